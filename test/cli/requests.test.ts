import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snapshotQueries } from '../../src/core/snapshot.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

/** The requests of one command, and how many of them were follow-up list pages (`continue=`). */
async function requestsOf(
  c: TestCluster,
  argv: string[],
): Promise<{ calls: string[]; lists: string[]; pages: number }> {
  c.sim.clearRequests();
  const r = await ambient(argv, { kubeconfig: c.kubeconfig });
  assert.equal(r.code, 0, r.stderr);
  const first = c.sim.requests.filter((q) => q.query['continue'] === undefined);
  return {
    calls: first.map((q) => `${q.method} ${q.path}?${q.query['labelSelector'] ?? ''}`).sort(),
    lists: first
      .map((q) =>
        list(
          q.verb === 'list' ? (q.resource ?? '?') : `${q.method} ${q.path}`,
          q.namespace,
          q.query['labelSelector'],
          q.query['fieldSelector'],
        ),
      )
      .sort(),
    pages: c.sim.requests.length - first.length,
  };
}

/** One list as resource, namespace and selectors (the same key for a request and for a query). */
const list = (
  resource: string,
  namespace: string | undefined,
  labels: string | undefined,
  fields: string | undefined,
): string => `${resource} in ${namespace ?? '*'} l=${labels ?? ''} f=${fields ?? ''}`;

/**
 * The lists the snapshot declares (src/core/snapshot.ts snapshotQueries), one request each: the
 * expectation follows the snapshot when it grows, and anything else (a request per namespace, per
 * tag, a get) shows up as a difference. Plurals as the API derives them for these kinds.
 */
const declared = Object.values(snapshotQueries('istio-system'))
  .map((q) =>
    list(`${q.kind.toLowerCase()}${q.kind.endsWith('s') ? 'es' : 's'}`, q.namespace, q.labelSelector, q.fieldSelector),
  )
  .sort();

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
      assert.deepEqual(small.lists, declared, 'exactly the lists snapshotQueries declares, once each');
      assert.equal(small.pages, 0);
      assert.ok(big.pages > 0, 'the large cluster needs more than one page for some lists');
    });
  }

  it('skew adds GET /version and the two Istio CRD lists (§4.3), the same on both', async () => {
    const small = await requestsOf(fresh, ['skew', '-o', 'json']);
    const big = await requestsOf(large, ['skew', '-o', 'json']);
    assert.deepEqual(big.calls, small.calls);
    const snapshot = (await requestsOf(fresh, ['revisions', '-o', 'json'])).calls;
    assert.deepEqual(
      small.calls.filter((x) => !x.includes('customresourcedefinitions') && x !== 'GET /version?'),
      snapshot,
    );
    assert.equal(small.calls.length, snapshot.length + 3, small.calls.join('\n'));
    const crds = small.calls.filter((x) => x.startsWith('GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions'));
    assert.deepEqual(crds, [
      'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?app.kubernetes.io/part-of=istio',
      'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?chart=istio',
    ]);
    const target = await requestsOf(large, ['skew', '--target', '1.29', '-o', 'json']);
    assert.deepEqual(target.calls, big.calls, '--target reads nothing more');
  });
});
