/**
 * Contract: the wire. Both backends serve HTTPS with a CA the kubeconfig carries, offer HTTP/2 by
 * ALPN and still accept HTTP/1.1, and the CLI makes one TLS connection per command on both
 * (counted by a TCP proxy of ours between the CLI and the server); a watch streams over HTTP/2.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { scenarios } from '../cluster/scenarios.ts';
import { ambient } from '../support/cli.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { forEachBackend, USERS } from './backend.ts';

/** The protocol the server picks when the client offers `offer`. */
function alpn(url: string, ca: string, offer: string[]): Promise<string | false> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca, ALPNProtocols: offer }, () => {
      resolve(s.alpnProtocol ?? false);
      s.destroy();
    });
    s.on('error', reject);
  });
}

forEachBackend(
  'wire',
  () => scenarios['mid-upgrade']!().objects,
  (backend, kind) => {
    let proxy: TcpProxy;
    let counted: string;
    before(async () => {
      const u = new URL(backend().url);
      proxy = await startTcpProxy({ mode: 'forward', target: { host: u.hostname, port: Number(u.port) } });
      const doc = JSON.parse(JSON.stringify(readKubeconfig(backend().kubeconfig.admin))) as {
        clusters: { cluster: Record<string, unknown> }[];
      };
      for (const c of doc.clusters) c.cluster['server'] = `https://127.0.0.1:${proxy.port}`;
      counted = join(tmpdir(), `wire-${kind}-${process.pid}.kubeconfig`);
      writeFileSync(counted, JSON.stringify(doc));
    });
    after(async () => {
      await proxy.close();
    });

    it('HTTPS with the CA of the kubeconfig; HTTP/2 by ALPN, HTTP/1.1 still accepted', async () => {
      const b = backend();
      assert.match(b.url, /^https:\/\//);
      assert.ok(b.ca !== undefined);
      assert.equal(await alpn(b.url, b.ca, ['h2', 'http/1.1']), 'h2');
      assert.equal(await alpn(b.url, b.ca, ['http/1.1']), 'http/1.1');
      const r = await b.api('GET', '/version');
      assert.equal(r.status, 200);
    });

    it('tags and tag-move --dry-run=server: one connection, one TLS handshake each', async () => {
      for (const argv of [
        ['tags', '-o', 'json'],
        ['tag-move', 'prod', '1-28-10', '--dry-run=server', '--yes'],
      ]) {
        proxy.reset();
        const r = await ambient(argv, { kubeconfig: counted });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual([proxy.stats.connections, proxy.stats.tlsHandshakes], [1, 1], argv.join(' '));
      }
    });

    it('a watch streams events over HTTP/2', async () => {
      const b = backend();
      const session = h2connect(b.url, { ca: b.ca });
      try {
        const path = '/api/v1/namespaces?watch=true&labelSelector=istio.io%2Frev%3Dprod&timeoutSeconds=5';
        const stream = session.request({
          ':path': path,
          authorization: `Bearer ${USERS.admin.token}`,
          accept: 'application/json',
        });
        const status = await new Promise<number>((resolve) =>
          stream.once('response', (h) => resolve(Number(h[':status']))),
        );
        assert.equal(status, 200);
        const first = await new Promise<string>((resolve) => {
          let buf = '';
          stream.setEncoding('utf8');
          stream.on('data', (c: string) => {
            buf += c;
            if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
          });
        });
        assert.equal((JSON.parse(first) as { type: string }).type, 'ADDED');
        stream.close();
      } finally {
        session.destroy();
      }
    });
  },
);

function readKubeconfig(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
