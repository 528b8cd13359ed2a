import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { assertFails } from './support.ts';

/** A kubeconfig like the sim's but pointing at another server URL. */
function pointAt(c: TestCluster, server: string, name: string): string {
  const path = join(c.dir, `${name}.yaml`);
  writeFileSync(path, readFileSync(c.kubeconfig, 'utf8').replace(c.sim.url, server));
  return path;
}

describe('faults: network', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  it('connection refused names the URL and the context', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await ambient(['tags'], { kubeconfig: pointAt(c, `http://127.0.0.1:${port}`, 'refused') });
    assertFails(
      r,
      'unreachable',
      new RegExp(
        `^error: cannot reach the API server at http://127\\.0\\.0\\.1:${port} \\(context "sim"\\): connection refused; check that the cluster is up`,
      ),
    );
  });

  it('a DNS failure', async () => {
    const r = await ambient(['tags', '--request-timeout', '5s'], {
      kubeconfig: pointAt(c, 'http://no-such-host.invalid:6443', 'dns'),
    });
    assertFails(
      r,
      'unreachable',
      /^error: cannot reach the API server at http:\/\/no-such-host\.invalid:6443 \(context "sim"\): (host not found \(DNS\)|DNS lookup failed)/,
    );
  });

  // The test timeout only turns a hang (no request timeout at all) into a failure; nothing is timed.
  it(
    'a server that accepts and never answers: the request timeout fires, once, without a retry',
    { timeout: 60_000 },
    async () => {
      c.sim.inject({ match: { resource: 'mutatingwebhookconfigurations' }, hang: true });
      try {
        c.sim.clearRequests();
        const r = await ambient(['tags', '--request-timeout', '3s'], { kubeconfig: c.kubeconfig });
        assertFails(
          r,
          'timeout',
          /^error: the API server at https:\/\/127\.0\.0\.1:\d+ \(context "sim"\) did not answer list mutatingwebhookconfigurations\.admissionregistration\.k8s\.io within 3s; check the connection to the cluster, or raise --request-timeout/,
        );
        // The client gave up on its own (the server never answered it) and did not send the read again.
        const hung = c.sim.requests.filter((q) => q.resource === 'mutatingwebhookconfigurations');
        assert.deepEqual(
          hung.map((q) => q.status),
          [0],
          'one request, never answered',
        );
      } finally {
        c.sim.clearFaults();
      }
    },
  );

  it('a connection dropped mid-list once is retried (reads are idempotent)', async () => {
    c.sim.inject({ match: { resource: 'namespaces' }, drop: 'mid-body', times: 1 });
    const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 3);
  });

  it('a connection dropped on every attempt gives up with one line', async () => {
    c.sim.inject({ match: { resource: 'namespaces' }, drop: 'mid-body' });
    try {
      assertFails(
        await ambient(['tags'], { kubeconfig: c.kubeconfig }),
        'unreachable',
        /^error: (cannot reach|lost the connection to) the API server at https:\/\/127\.0\.0\.1:\d+ \(context "sim"\)(: connection closed by the server| during list namespaces)/,
      );
    } finally {
      c.sim.clearFaults();
    }
  });

  it('a slow list that pages still completes', async () => {
    const large = await startCluster('large', { istiod: false });
    try {
      large.sim.inject({ match: { resource: 'namespaces' }, delayMs: 50 });
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: large.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      // 10,000 namespaces, 8,000 of them ambient: more than one page of metadataPageSize.
      const pages = large.sim.requests.filter(
        (q) => q.resource === 'namespaces' && q.query['continue'] !== undefined,
      ).length;
      assert.ok(pages >= 1, `paged ${pages} times`);
    } finally {
      await large.close();
    }
  });
});
