import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

/** The requests of one command, and how many of them were follow-up list pages (`continue=`). */
async function requestsOf(c: TestCluster, argv: string[]): Promise<{ calls: string[]; pages: number }> {
  c.sim.clearRequests();
  const r = await ambient(argv, { kubeconfig: c.kubeconfig });
  assert.equal(r.code, 0, r.stderr);
  const first = c.sim.requests.filter((q) => q.query['continue'] === undefined);
  return {
    calls: first.map((q) => `${q.method} ${q.path}?${q.query['labelSelector'] ?? ''}`).sort(),
    pages: c.sim.requests.length - first.length,
  };
}

describe('constant API requests: fresh vs large (10,000 namespaces, 2,000 gateways and waypoints)', () => {
  let fresh: TestCluster;
  let large: TestCluster;
  before(async () => {
    fresh = await startCluster('fresh', { istiod: false });
    large = await startCluster('large', { istiod: false });
  });
  after(async () => {
    await fresh.close();
    await large.close();
  });

  for (const cmd of ['revisions', 'tags']) {
    it(`${cmd} makes the same requests on both, list pages aside`, async () => {
      const small = await requestsOf(fresh, [cmd, '-o', 'json']);
      const big = await requestsOf(large, [cmd, '-o', 'json']);
      assert.deepEqual(big.calls, small.calls);
      assert.equal(small.calls.length, 13, small.calls.join('\n'));
      assert.equal(small.pages, 0);
      assert.ok(big.pages > 0, 'the large cluster needs more than one page for some lists');
    });
  }

  it('skew adds GET /version and the two Istio CRD lists (§4.3), the same on both', async () => {
    const small = await requestsOf(fresh, ['skew', '-o', 'json']);
    const big = await requestsOf(large, ['skew', '-o', 'json']);
    assert.deepEqual(big.calls, small.calls);
    const snapshot = (await requestsOf(fresh, ['revisions', '-o', 'json'])).calls;
    assert.deepEqual(small.calls.filter((x) => !x.includes('customresourcedefinitions') && x !== 'GET /version?'), snapshot);
    assert.equal(small.calls.length, snapshot.length + 3, small.calls.join('\n'));
    const crds = small.calls.filter((x) => x.startsWith('GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions'));
    assert.deepEqual(crds, ['GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?app.kubernetes.io/part-of=istio', 'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?chart=istio']);
    const target = await requestsOf(large, ['skew', '--target', '1.29', '-o', 'json']);
    assert.deepEqual(target.calls, big.calls, '--target reads nothing more');
  });
});
