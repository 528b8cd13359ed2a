/**
 * The wire (src/kube/transport.ts) through the real CLI entry point, counted on the server side:
 * one connection and one TLS handshake per command, HTTP/2 when offered, HTTP/1.1 and plain HTTP
 * when not, proxies (HTTPS_PROXY with NO_PROXY, proxy-url, proxy authentication, SOCKS5), and
 * credentials (one exec-plugin run per snapshot, a token refreshed during a long --wait, tokenFile).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { connect } from '../../src/kube/connect.ts';
import { SIM_HOSTNAME } from '../cluster/index.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const dir = mkdtempSync(join(tmpdir(), 'ambient-wire-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a kubeconfig with the cluster and/or user entry changed. */
function edit(
  kubeconfig: string,
  name: string,
  change: { cluster?: Record<string, unknown>; user?: Record<string, unknown> },
): string {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: Record<string, unknown> }[];
    users: { user: unknown }[];
  };
  if (change.cluster !== undefined)
    doc.clusters = doc.clusters.map((c) => ({ ...c, cluster: { ...c.cluster, ...change.cluster } }));
  if (change.user !== undefined) doc.users = doc.users.map((u) => ({ ...u, user: change.user }));
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}

describe('wire: one connection per command', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  it("tags: the snapshot's lists on one TLS connection, HTTP/2 chosen by ALPN", async () => {
    c.sim.clearRequests();
    const r = await ambient(['tags', '-v'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(c.sim.requests.length >= 9, `${c.sim.requests.length} requests`);
    assert.deepEqual(
      c.sim.connections.map((x) => [x.tls, x.protocol, x.requests]),
      [[true, 'h2', c.sim.requests.length]],
    );
    assert.ok(c.sim.requests.every((q) => q.connection === c.sim.connections[0]?.id && q.protocol === 'h2'));
    assert.match(r.stderr, /^connected: TLS, HTTP\/2$/m);
  });

  it('tag-move --dry-run=server: reads and writes on the same one connection', async () => {
    c.sim.clearRequests();
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run=server', '--yes'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(c.sim.connections.length, 1);
    assert.ok(c.sim.requests.some((q) => q.method === 'PUT' || q.method === 'POST'));
    assert.ok(c.sim.requests.every((q) => q.connection === c.sim.connections[0]?.id));
  });

  it('a server that only speaks HTTP/1.1 gets HTTP/1.1 over TLS (the ALPN probe serves the first request)', async () => {
    const h1 = await startCluster('mid-upgrade', { wire: 'https' });
    try {
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: h1.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as unknown[]).length, 3);
      assert.ok(h1.sim.connections.every((x) => x.tls && x.protocol === 'http/1.1'));
      assert.equal(
        h1.sim.connections.reduce((n, x) => n + x.requests, 0),
        h1.sim.requests.length,
      );
    } finally {
      await h1.close();
    }
  });

  it('a plain http:// server works too', async () => {
    const plain = await startCluster('mid-upgrade', { wire: 'http' });
    try {
      assert.match(plain.sim.url, /^http:\/\//);
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: plain.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(plain.sim.connections.every((x) => !x.tls));
    } finally {
      await plain.close();
    }
  });
});

describe('wire: proxies', () => {
  let c: TestCluster;
  let proxy: TcpProxy;
  let named: string;
  const toSim = (host: string): string => (host === SIM_HOSTNAME ? '127.0.0.1' : host);
  before(async () => {
    c = await startCluster('mid-upgrade');
    proxy = await startTcpProxy({ mode: 'connect', resolve: toSim });
    // A name DNS cannot resolve: only a proxy can reach it.
    named = edit(c.kubeconfig, 'named', { cluster: { server: c.sim.url.replace('127.0.0.1', SIM_HOSTNAME) } });
  });
  after(async () => {
    await proxy.close();
    await c.close();
  });

  it('HTTPS_PROXY: one CONNECT tunnel, HTTP/2 inside it', async () => {
    proxy.reset();
    c.sim.clearRequests();
    const r = await ambient(['tags', '-o', 'json', '-v'], { kubeconfig: named, env: { HTTPS_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(proxy.stats.tunnels, [`${SIM_HOSTNAME}:${new URL(c.sim.url).port}`]);
    assert.equal(proxy.stats.tlsHandshakes, 1);
    assert.deepEqual(
      c.sim.connections.map((x) => x.protocol),
      ['h2'],
    );
    assert.match(r.stderr, /^connected: TLS, HTTP\/2, through the proxy http:\/\/127\.0\.0\.1:\d+$/m);
  });

  it('NO_PROXY excludes the host (and then its name does not resolve)', async () => {
    proxy.reset();
    const r = await ambient(['tags', '--request-timeout', '5s'], {
      kubeconfig: named,
      env: { https_proxy: proxy.url, NO_PROXY: `example.com,.ambient.invalid` },
    });
    assert.equal(r.code, 69, r.stderr);
    assert.match(r.stderr, /host not found \(DNS\)|DNS lookup failed/);
    assert.equal(proxy.stats.connections, 0);
  });

  it('loopback servers never go through HTTPS_PROXY (as in kubectl)', async () => {
    proxy.reset();
    const r = await ambient(['tags'], { kubeconfig: c.kubeconfig, env: { HTTPS_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.stats.connections, 0);
  });

  it("the cluster's proxy-url wins over the environment", async () => {
    proxy.reset();
    const k = edit(named, 'proxy-url', { cluster: { 'proxy-url': proxy.url } });
    const r = await ambient(['tags'], { kubeconfig: k, env: { HTTPS_PROXY: 'http://127.0.0.1:1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.stats.tunnels.length, 1);
  });

  it('a proxy asking for credentials: refused without, tunnels with user:password in the URL', async () => {
    const guarded = await startTcpProxy({ mode: 'connect', resolve: toSim, auth: 'ops:s3cret' });
    try {
      const refused = await ambient(['tags'], { kubeconfig: named, env: { HTTPS_PROXY: guarded.url } });
      assert.equal(refused.code, 69, refused.stderr);
      assert.match(
        refused.stderr,
        /^error: cannot reach the API server at https:\/\/kubernetes\.ambient\.invalid:\d+ \(context "sim"\): the proxy http:\/\/127\.0\.0\.1:\d+ refused to connect to kubernetes\.ambient\.invalid:\d+ \(HTTP 407\); check the proxy/,
      );
      const ok = await ambient(['tags'], {
        kubeconfig: named,
        env: { HTTPS_PROXY: guarded.url.replace('//', '//ops:s3cret@') },
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.doesNotMatch(ok.stderr + refused.stderr, /s3cret/);
    } finally {
      await guarded.close();
    }
  });

  it("a SOCKS5 proxy-url (through client-node's SOCKS agent, HTTP/1.1)", async () => {
    const socks = await startTcpProxy({ mode: 'socks5', resolve: toSim });
    try {
      c.sim.clearRequests();
      const k = edit(named, 'socks', { cluster: { 'proxy-url': socks.url } });
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: k });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        socks.stats.tunnels.length >= 1 && socks.stats.tunnels.every((t) => t.startsWith(`${SIM_HOSTNAME}:`)),
        JSON.stringify(socks.stats.tunnels),
      );
      assert.ok(c.sim.requests.length >= 9, `${c.sim.requests.length} requests`);
    } finally {
      await socks.close();
    }
  });
});

describe('wire: extra headers per cluster (for impersonation)', () => {
  it('are sent on every request, a list value as repeated header fields', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const seen: Record<string, string[]>[] = [];
      c.sim.onRequest((r) => void seen.push(r.headers ?? {}));
      const cluster = connect({
        kubeconfig: c.kubeconfig,
        requestTimeoutMs: 10_000,
        env: { HOME: '/nonexistent' },
        signal: new AbortController().signal,
        headers: { 'Impersonate-User': 'jane', 'Impersonate-Group': ['devs', 'ops'] },
      });
      await cluster.list({ kind: 'Namespace' });
      await cluster.serverVersion();
      assert.equal(seen.length, 2);
      for (const h of seen) {
        assert.deepEqual(h['impersonate-user'], ['jane']);
        assert.deepEqual(h['impersonate-group'], ['devs', 'ops']);
        assert.deepEqual(h['authorization'], ['Bearer sim-admin']);
      }
    } finally {
      await c.close();
    }
  });
});

describe('wire: credentials', () => {
  /** An exec plugin that counts its runs in `<dir>/runs` and prints token tok-<run> (expired at once when `expired`). */
  function plugin(name: string, expired: boolean): { user: Record<string, unknown>; runs: () => number } {
    const home = mkdtempSync(join(dir, `${name}-`));
    const script = join(home, 'plugin.sh');
    const expiry = expired ? ',"expirationTimestamp":"2000-01-01T00:00:00Z"' : '';
    writeFileSync(
      script,
      `#!/bin/sh\nn=$(( $(cat "${home}/runs" 2>/dev/null || echo 0) + 1 ))\necho $n > "${home}/runs"\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-%s"${expiry}}}' $n\n`,
    );
    chmodSync(script, 0o755);
    return {
      user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: script, interactiveMode: 'Never' } },
      runs: () => Number(readFileSync(join(home, 'runs'), 'utf8')),
    };
  }
  const tokens = (): Record<string, string> =>
    Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`tok-${i + 1}`, 'admin']));

  it('the lists of a snapshot run the exec plugin once', async () => {
    const c = await startCluster('mid-upgrade', { tokens: tokens() });
    try {
      const p = plugin('once', false);
      const r = await ambient(['tags'], { kubeconfig: edit(c.kubeconfig, 'exec-once', { user: p.user }) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(p.runs(), 1);
    } finally {
      await c.close();
    }
  });

  it('a --wait that outlives its token re-authenticates (the plugin runs again, the old token is refused)', async () => {
    const table = tokens();
    const c = await startCluster('mid-upgrade', {
      tokens: table,
      istiod: { renderDelayMs: 100 },
      controllers: { workloads: { readyDelayMs: 300 } },
    });
    try {
      const p = plugin('refresh', true);
      let revokedUpTo = 0;
      // When the wait's watch starts, every token issued so far expires on the server too; the
      // watch is then cut, so the wait must list again with a fresh token.
      c.sim.onRequest((req) => {
        if (revokedUpTo === 0 && req.verb === 'watch') {
          revokedUpTo = p.runs();
          for (let i = 1; i <= revokedUpTo; i++) delete table[`tok-${i}`];
        }
      });
      c.sim.inject({ match: { verb: 'watch', resource: 'deployments' }, drop: 'mid-body', times: 1 });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait', '--timeout', '20s'], {
        kubeconfig: edit(c.kubeconfig, 'exec-refresh', { user: p.user }),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(revokedUpTo > 0, 'the wait watched');
      assert.ok(p.runs() > revokedUpTo, `plugin runs ${p.runs()}, revoked ${revokedUpTo}`);
      assert.equal(c.sim.requests.filter((q) => q.status === 401).length, 0);
      assert.match(r.stderr, /waypoints on 1-28-10: 2\/2/);
    } finally {
      await c.close();
    }
  });

  it("kubectl's tokenFile (relative to the kubeconfig) is read", async () => {
    const c = await startCluster('mid-upgrade', { tokens: { 'file-token': 'admin' } });
    try {
      writeFileSync(join(dir, 'token'), 'file-token\n');
      const r = await ambient(['tags'], {
        kubeconfig: edit(c.kubeconfig, 'token-file', { user: { tokenFile: 'token' } }),
      });
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await c.close();
    }
  });
});
