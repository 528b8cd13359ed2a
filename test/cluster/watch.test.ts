import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { call, configMap, eventually, startTestSim, type TestSim } from './testutil.ts';

interface Seen {
  type: string;
  name: string;
  rv: string;
  object: Record<string, unknown>;
}

/** Start a client-node Watch collecting events; resolves once the request is established. */
async function watch(
  kc: k8s.KubeConfig,
  path: string,
  query: Record<string, string | number | boolean> = {},
): Promise<{ events: Seen[]; done: Promise<unknown>; abort: () => void }> {
  const events: Seen[] = [];
  let resolveDone: (e: unknown) => void = () => undefined;
  const done = new Promise<unknown>((r) => {
    resolveDone = r;
  });
  const controller = await new k8s.Watch(kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string } }) => {
      events.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', object: obj });
    },
    (err) => resolveDone(err ?? null),
  );
  return { events, done, abort: () => controller.abort() };
}

const summary = (events: Seen[]): string[] => events.map((e) => `${e.type} ${e.name}`);

describe('watch', () => {
  let t: TestSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    t = await startTestSim({
      objects: [configMap('a', 'w', { app: 'x' }), configMap('b', 'w', { app: 'y' }), configMap('z', 'other')],
      watchHistory: 20,
      watchBookmarkIntervalMs: 30,
    });
    core = t.kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => t.close());

  it('without resourceVersion: synthetic ADDED, then ADDED/MODIFIED/DELETED live (client-node Watch)', async () => {
    const w = await watch(t.kc, '/api/v1/namespaces/w/configmaps');
    await eventually(() => w.events.length === 2, 2000, 'initial events');
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'c' } } });
    await core.patchNamespacedConfigMap(
      { name: 'c', namespace: 'w', body: { data: { k: 'v' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'c', namespace: 'w' });
    await core.createNamespacedConfigMap({ namespace: 'other', body: { metadata: { name: 'not-mine' } } });
    await eventually(() => w.events.length === 5, 2000, 'live events');
    w.abort();
    assert.deepEqual(summary(w.events), ['ADDED a', 'ADDED b', 'ADDED c', 'MODIFIED c', 'DELETED c']);
    // Each event object carries kind/apiVersion and increasing resourceVersions.
    assert.equal(w.events[2]?.object['kind'], 'ConfigMap');
    const rvs = w.events.slice(2).map((e) => Number(e.rv));
    assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `increasing RVs ${rvs.join(',')}`);
  });

  it('with a labelSelector: objects leaving the selector are DELETED, entering are ADDED', async () => {
    const w = await watch(t.kc, '/api/v1/namespaces/w/configmaps', { labelSelector: 'app=x' });
    await eventually(() => w.events.length === 1);
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap(
      { name: 'a', namespace: 'w', body: { metadata: { labels: { app: 'gone' } } } },
      merge,
    );
    await core.patchNamespacedConfigMap(
      { name: 'b', namespace: 'w', body: { metadata: { labels: { app: 'x' } } } },
      merge,
    );
    await core.patchNamespacedConfigMap({ name: 'b', namespace: 'w', body: { data: { d: '1' } } }, merge);
    await eventually(() => w.events.length === 4);
    w.abort();
    assert.deepEqual(summary(w.events), ['ADDED a', 'DELETED a', 'ADDED b', 'MODIFIED b']);
    // The DELETED object is the previous content with the event's resourceVersion (cacheWatcher).
    assert.deepEqual((w.events[1]?.object['metadata'] as { labels: unknown }).labels, { app: 'x' });
  });

  it('from a resourceVersion: only later events; a name fieldSelector filters', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'w' });
    const rv = list.metadata?.resourceVersion ?? '';
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'after1' } } });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'after2' } } });
    const w = await watch(t.kc, '/api/v1/namespaces/w/configmaps', { resourceVersion: rv });
    const byName = await watch(t.kc, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: rv,
      fieldSelector: 'metadata.name=after2',
    });
    await eventually(() => w.events.length === 2 && byName.events.length === 1);
    w.abort();
    byName.abort();
    assert.deepEqual(summary(w.events), ['ADDED after1', 'ADDED after2']);
    assert.deepEqual(summary(byName.events), ['ADDED after2']);
  });

  it('a resourceVersion older than the history gets an ERROR event with a 410 Expired Status', async () => {
    for (let i = 0; i < 25; i++)
      await call(t.sim.url, 'POST', '/api/v1/namespaces/churn/configmaps', { metadata: { name: `c${i}` } });
    const w = await watch(t.kc, '/api/v1/namespaces/w/configmaps', { resourceVersion: '101' });
    await w.done;
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]?.type, 'ERROR');
    const status = w.events[0]?.object;
    assert.equal(status?.['kind'], 'Status');
    assert.equal(status?.['code'], 410);
    assert.equal(status?.['reason'], 'Expired');
    assert.match(String(status?.['message']), /^too old resource version: 101 \(\d+\)$/);
  });

  it('timeoutSeconds ends the stream; bookmarks are sent when allowed', async () => {
    const started = Date.now();
    const w = await watch(t.kc, '/api/v1/namespaces/nothing/configmaps', {
      timeoutSeconds: 1,
      allowWatchBookmarks: true,
    });
    const err = await w.done;
    assert.equal(err, null);
    assert.ok(Date.now() - started >= 900);
    assert.ok(w.events.length > 0 && w.events.every((e) => e.type === 'BOOKMARK'));
    assert.match(w.events[0]?.rv ?? '', /^\d+$/);
  });

  it('watching custom resources and the watch verb in the request log', async () => {
    t.sim.clearRequests();
    const w = await watch(t.kc, '/apis/gateway.networking.k8s.io/v1/namespaces/w/gateways');
    await call(t.sim.url, 'POST', '/apis/gateway.networking.k8s.io/v1/namespaces/w/gateways', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'g' },
      spec: { gatewayClassName: 'istio', listeners: [] },
    });
    await eventually(() => w.events.length === 1);
    w.abort();
    assert.equal(w.events[0]?.object['apiVersion'], 'gateway.networking.k8s.io/v1');
    assert.equal(t.sim.requests[0]?.verb, 'watch');
    assert.equal(t.sim.requests[0]?.status, 200);
    await eventually(() => (t.sim.requests[0]?.bytes ?? 0) > 0);
  });

  it('a client-node informer lists, then follows changes', async () => {
    const path = '/api/v1/namespaces/inf/configmaps';
    const informer = k8s.makeInformer(t.kc, path, () => core.listNamespacedConfigMap({ namespace: 'inf' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
    await call(t.sim.url, 'POST', '/api/v1/namespaces/inf/configmaps', { metadata: { name: 'pre' } });
    await informer.start();
    await call(t.sim.url, 'POST', '/api/v1/namespaces/inf/configmaps', { metadata: { name: 'live' } });
    await call(
      t.sim.url,
      'PATCH',
      '/api/v1/namespaces/inf/configmaps/live',
      { data: { a: '1' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(t.sim.url, 'DELETE', '/api/v1/namespaces/inf/configmaps/pre');
    await eventually(() => seen.length === 4, 2000, 'informer events');
    await informer.stop();
    assert.deepEqual(seen, ['add pre', 'add live', 'update live', 'delete pre']);
  });

  it('close() ends open watches', async () => {
    const t2 = await startTestSim();
    const w = await watch(t2.kc, '/api/v1/configmaps');
    await t2.close();
    await w.done;
  });
});
