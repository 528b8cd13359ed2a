import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSimCluster } from './index.ts';
import { call, configMap, deployment, startTestSim, statusOf, type TestSim } from './testutil.ts';
import type { KubeObject } from './types.ts';

const CM = '/api/v1/namespaces/default/configmaps';

describe('discovery and version', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ kubernetesVersion: 'v1.29.7' });
  });
  after(async () => t.close());

  it('GET /version', async () => {
    const r = await call(t.sim.url, 'GET', '/version');
    assert.equal(r.status, 200);
    assert.equal(r.json['gitVersion'], 'v1.29.7');
    assert.equal(r.json['major'], '1');
    assert.equal(r.json['minor'], '29');
    assert.equal(r.json['platform'], 'linux/amd64');
    const v = await t.kc.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(v.gitVersion, 'v1.29.7');
  });

  it('GET /api and /api/v1', async () => {
    const api = await call(t.sim.url, 'GET', '/api');
    assert.equal(api.json['kind'], 'APIVersions');
    assert.deepEqual(api.json['versions'], ['v1']);
    const v1 = await call(t.sim.url, 'GET', '/api/v1');
    assert.equal(v1.json['kind'], 'APIResourceList');
    assert.equal(v1.json['groupVersion'], 'v1');
    const names = (v1.json['resources'] as { name: string }[]).map((r) => r.name);
    for (const n of [
      'namespaces',
      'namespaces/status',
      'services',
      'configmaps',
      'serviceaccounts',
      'pods',
      'secrets',
      'events',
    ])
      assert.ok(names.includes(n), n);
    const ns = (v1.json['resources'] as Record<string, unknown>[]).find((r) => r['name'] === 'namespaces');
    assert.deepEqual(ns, {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ns'],
    });
  });

  it('GET /apis lists every group; group versions list resources and status subresources', async () => {
    const apis = await call(t.sim.url, 'GET', '/apis');
    assert.equal(apis.json['kind'], 'APIGroupList');
    const groups = apis.json['groups'] as { name: string; preferredVersion: { groupVersion: string } }[];
    assert.deepEqual(
      groups.map((g) => g.preferredVersion.groupVersion),
      [
        'apps/v1',
        'admissionregistration.k8s.io/v1',
        'rbac.authorization.k8s.io/v1',
        'policy/v1',
        'autoscaling/v2',
        'apiextensions.k8s.io/v1',
        'gateway.networking.k8s.io/v1',
      ],
    );
    const appsV1 = await call(t.sim.url, 'GET', '/apis/apps/v1');
    const res = appsV1.json['resources'] as Record<string, unknown>[];
    assert.deepEqual(
      res.map((r) => r['name']),
      ['deployments', 'deployments/status', 'daemonsets', 'daemonsets/status', 'replicasets', 'replicasets/status'],
    );
    assert.deepEqual(res[1], {
      name: 'deployments/status',
      singularName: '',
      namespaced: true,
      kind: 'Deployment',
      verbs: ['get', 'patch', 'update'],
    });
    const gw = await call(t.sim.url, 'GET', '/apis/gateway.networking.k8s.io/v1');
    assert.deepEqual(
      (gw.json['resources'] as { name: string }[]).map((r) => r.name),
      ['gatewayclasses', 'gatewayclasses/status', 'gateways', 'gateways/status', 'httproutes', 'httproutes/status'],
    );
    const group = await call(t.sim.url, 'GET', '/apis/apps');
    assert.equal(group.json['kind'], 'APIGroup');
  });

  it('client-node resolves kinds through discovery (KubernetesObjectApi)', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(t.kc);
    const created = await api.create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'pdb', namespace: 'default' },
      spec: { minAvailable: 1 },
    } as k8s.KubernetesObject);
    assert.equal(created.metadata?.name, 'pdb');
    const list = await api.list('policy/v1', 'PodDisruptionBudget', 'default');
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ['pdb'],
    );
  });

  const notFound: [string, string][] = [
    ['GET', '/foo'],
    ['GET', '/apis/apps/v2'],
    ['GET', '/api/v2'],
    ['GET', '/api/v1/foos'],
    ['GET', '/api/v1/namespaces/default/foos/x'],
    ['GET', '/apis/apps/v1/namespaces/default/deployments/x/scale'],
    ['GET', '/api/v1/namespaces/default/clusterroles'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/clusterroles'],
  ];
  for (const [method, path] of notFound) {
    it(`${method} ${path} → 404 "the server could not find the requested resource"`, async () => {
      const r = await call(t.sim.url, method, path);
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      });
    });
  }

  // Outside the built-in groups no API handler answers: the mux's plain-text 404 (verified against kube-apiserver 1.20).
  for (const path of [
    '/apis/nope.example.com',
    '/apis/nope.example.com/v1',
    '/apis/nope.example.com/v1/things',
    '/apis/gateway.networking.k8s.io/v9/gateways',
    '/apis/gateway.networking.k8s.io/v1/nothings',
  ]) {
    it(`GET ${path} → plain-text 404 "404 page not found"`, async () => {
      const r = await call(t.sim.url, 'GET', path);
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      assert.deepEqual(r.json, { text: '404 page not found\n' });
    });
  }

  it('a method the route does not serve → 405', async () => {
    const r = await call(t.sim.url, 'POST', `${CM}/x`, configMap('x'));
    assert.equal(r.status, 405);
    assert.equal(r.json['reason'], 'MethodNotAllowed');
  });
});

describe('gatewayApi: false', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ gatewayApi: false });
  });
  after(async () => t.close());
  it('the group is absent from discovery and every path under it is 404', async () => {
    const apis = await call(t.sim.url, 'GET', '/apis');
    assert.ok(!(apis.json['groups'] as { name: string }[]).some((g) => g.name === 'gateway.networking.k8s.io'));
    for (const p of [
      '/apis/gateway.networking.k8s.io',
      '/apis/gateway.networking.k8s.io/v1',
      '/apis/gateway.networking.k8s.io/v1/gateways',
      '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/x',
    ]) {
      assert.equal((await call(t.sim.url, 'GET', p)).status, 404, p);
    }
  });
  it('objects of an unserved kind are rejected with a clear error', async () => {
    await assert.rejects(
      startSimCluster({
        gatewayApi: false,
        objects: [
          { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'x' } },
        ],
      }),
      /unknown kind "Gateway" in apiVersion "gateway.networking.k8s.io\/v1" \(object x\/g\)/,
    );
  });
  it('creating a CRD starts serving its kind; deleting it stops', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    };
    const c = await call(t.sim.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.equal(c.status, 201);
    assert.deepEqual(
      (c.json['status'] as { conditions: { type: string }[] }).conditions.map((x) => x.type),
      ['NamesAccepted', 'Established'],
    );
    const w = await call(t.sim.url, 'POST', '/apis/example.com/v1/namespaces/default/widgets', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 1 },
    });
    assert.equal(w.status, 201);
    const list = await call(t.sim.url, 'GET', '/apis/example.com/v1/widgets');
    assert.equal(list.json['kind'], 'WidgetList');
    assert.deepEqual(list.json['items'], [w.json]);
    const bad = await call(t.sim.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      ...crd,
      metadata: { name: 'wrong' },
    });
    assert.equal(bad.status, 422);
    assert.equal(
      (await call(t.sim.url, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com'))
        .status,
      200,
    );
    assert.equal((await call(t.sim.url, 'GET', '/apis/example.com/v1/widgets')).status, 404);
  });
});

describe('CRUD semantics', () => {
  let t: TestSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    t = await startTestSim({
      controllers: { workloads: false },
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
        configMap('existing', 'default', { a: 'b' }, { k: 'v' }),
        ...['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => configMap(n, 'paged')),
        configMap('other', 'zzz'),
      ],
    });
    core = t.kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => t.close());

  it('get of a missing object: 404 with the real Status body', async () => {
    const r = await call(t.sim.url, 'GET', `${CM}/nope`);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'configmaps' },
      code: 404,
    });
    const d = await call(t.sim.url, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    assert.deepEqual(d.json['details'], { name: 'nope', group: 'apps', kind: 'deployments' });
    assert.equal(d.json['message'], 'deployments.apps "nope" not found');
    await assert.rejects(
      core.readNamespace({ name: 'nope' }),
      (e: unknown) => statusOf(e)['message'] === 'namespaces "nope" not found',
    );
  });

  it('get returns kind/apiVersion and server-set metadata', async () => {
    const r = await call(t.sim.url, 'GET', `${CM}/existing`);
    assert.equal(r.json['kind'], 'ConfigMap');
    assert.equal(r.json['apiVersion'], 'v1');
    const md = r.json['metadata'] as Record<string, unknown>;
    assert.match(String(md['uid']), /^[0-9a-f-]{36}$/);
    assert.match(String(md['resourceVersion']), /^\d+$/);
    assert.match(String(md['creationTimestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(md['generation'], undefined);
  });

  it('list: kind XList, list RV = store RV, built-in items without apiVersion/kind', async () => {
    const r = await call(t.sim.url, 'GET', '/api/v1/namespaces/paged/configmaps');
    assert.equal(r.json['kind'], 'ConfigMapList');
    assert.equal(r.json['apiVersion'], 'v1');
    assert.equal((r.json['metadata'] as { resourceVersion: string }).resourceVersion, t.sim.resourceVersion());
    const items = r.json['items'] as Record<string, unknown>[];
    assert.equal(items.length, 5);
    assert.equal(items[0]?.['kind'], undefined);
    assert.equal(items[0]?.['apiVersion'], undefined);
  });

  it('pagination: limit 2 over 5 items with continue tokens and remainingItemCount', async () => {
    const pages: string[][] = [];
    const remaining: (number | undefined)[] = [];
    let token: string | undefined;
    do {
      const list = await core.listNamespacedConfigMap({
        namespace: 'paged',
        limit: 2,
        ...(token !== undefined ? { _continue: token } : {}),
      });
      pages.push(list.items.map((i) => i.metadata?.name ?? ''));
      remaining.push(list.metadata?.remainingItemCount);
      token = list.metadata?._continue;
      // A write between pages does not change the snapshot being paged.
      if (pages.length === 1)
        await core.createNamespacedConfigMap({ namespace: 'paged', body: { metadata: { name: 'p0' } } });
    } while (token !== undefined && token !== '');
    assert.deepEqual(pages, [['p1', 'p2'], ['p3', 'p4'], ['p5']]);
    assert.deepEqual(remaining, [3, 1, undefined]);
    const all = await core.listNamespacedConfigMap({ namespace: 'paged' });
    assert.deepEqual(
      all.items.map((i) => i.metadata?.name),
      ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
    );
  });

  it('pagination with a selector omits remainingItemCount; all-namespaces pages sort by namespace/name', async () => {
    const r = await call(t.sim.url, 'GET', '/api/v1/configmaps?limit=3&labelSelector=');
    assert.equal((r.json['metadata'] as Record<string, unknown>)['remainingItemCount'], 5);
    const s = await call(t.sim.url, 'GET', '/api/v1/configmaps?limit=1&fieldSelector=metadata.namespace%3Dpaged');
    const md = s.json['metadata'] as Record<string, unknown>;
    assert.equal(md['remainingItemCount'], undefined);
    assert.equal(typeof md['continue'], 'string');
    const bad = await call(t.sim.url, 'GET', '/api/v1/configmaps?limit=1&continue=bm9wZQ%3D%3D');
    assert.equal(bad.status, 400);
  });

  it('create: 201 with server fields; 409 AlreadyExists', async () => {
    const c = await call(t.sim.url, 'POST', CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'new1' },
      data: { a: '1' },
    });
    assert.equal(c.status, 201);
    assert.equal((c.json['metadata'] as { namespace: string }).namespace, 'default');
    const dup = await call(t.sim.url, 'POST', CM, { metadata: { name: 'new1' } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "new1" already exists',
      reason: 'AlreadyExists',
      details: { name: 'new1', kind: 'configmaps' },
      code: 409,
    });
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'new1' } } }),
      (e: unknown) => (e as { code: number }).code === 409,
    );
  });

  it('create with generateName', async () => {
    const c = await call(t.sim.url, 'POST', CM, { metadata: { generateName: 'gen-' } });
    assert.equal(c.status, 201);
    assert.match(String((c.json['metadata'] as { name: string }).name), /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  const invalidNames: [string, string, unknown, string][] = [
    [
      'ConfigMap with an uppercase name',
      CM,
      { metadata: { name: 'Bad_Name' } },
      "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    [
      'Namespace with a dot',
      '/api/v1/namespaces',
      { metadata: { name: 'a.b' } },
      "Namespace \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
    [
      'Service starting with a digit',
      '/api/v1/namespaces/default/services',
      { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } },
      "Service \"1svc\" is invalid: metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ],
    [
      'Deployment without a name',
      '/apis/apps/v1/namespaces/default/deployments',
      { metadata: {} },
      'Deployment.apps "" is invalid: metadata.name: Required value: name or generateName is required',
    ],
  ];
  for (const [name, path, body, message] of invalidNames) {
    it(`${name} → 422 Invalid`, async () => {
      const r = await call(t.sim.url, 'POST', path, body);
      assert.equal(r.status, 422);
      assert.equal(r.json['reason'], 'Invalid');
      assert.equal(r.json['message'], message);
      const details = r.json['details'] as { causes: { reason: string; field: string }[]; kind: string };
      assert.equal(details.causes[0]?.field, 'metadata.name');
      assert.ok(['FieldValueInvalid', 'FieldValueRequired'].includes(details.causes[0]?.reason ?? ''));
      assert.equal(details.kind, message.split(/[ .]/)[0]);
    });
  }

  it('a 254-character name is invalid; RBAC names may contain colons', async () => {
    const r = await call(t.sim.url, 'POST', CM, { metadata: { name: 'a'.repeat(254) } });
    assert.equal(r.status, 422);
    assert.match(String(r.json['message']), /must be no more than 253 characters/);
    const cr = await call(t.sim.url, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'system:istio:reader' },
      rules: [],
    });
    assert.equal(cr.status, 201);
  });

  it('create: namespace mismatch → 400; resourceVersion set → 500', async () => {
    const r = await call(t.sim.url, 'POST', CM, { metadata: { name: 'x', namespace: 'elsewhere' } });
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
      reason: 'BadRequest',
      code: 400,
    });
    const rv = await call(t.sim.url, 'POST', CM, { metadata: { name: 'x', resourceVersion: '5' } });
    assert.equal(rv.status, 500);
    assert.equal(rv.json['message'], 'resourceVersion should not be set on objects to be created');
  });

  it('update: stale resourceVersion → 409 Conflict; missing resourceVersion → unconditional', async () => {
    const cur = await core.readNamespacedConfigMap({ name: 'existing', namespace: 'default' });
    const stale = { ...cur, metadata: { ...cur.metadata, resourceVersion: '1' }, data: { k: 'stale' } };
    const r = await call(t.sim.url, 'PUT', `${CM}/existing`, stale);
    assert.equal(r.status, 409);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on configmaps "existing": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'existing', kind: 'configmaps' },
      code: 409,
    });
    const ok = await core.replaceNamespacedConfigMap({
      name: 'existing',
      namespace: 'default',
      body: { metadata: { name: 'existing' }, data: { k: 'v2' } },
    });
    assert.deepEqual(ok.data, { k: 'v2' });
    assert.equal(ok.metadata?.uid, cur.metadata?.uid);
    assert.notEqual(ok.metadata?.resourceVersion, cur.metadata?.resourceVersion);
    assert.equal(ok.metadata?.creationTimestamp?.toISOString(), cur.metadata?.creationTimestamp?.toISOString());
  });

  it('update: a no-op write keeps the resourceVersion', async () => {
    const cur = await core.readNamespacedConfigMap({ name: 'existing', namespace: 'default' });
    const again = await core.replaceNamespacedConfigMap({ name: 'existing', namespace: 'default', body: cur });
    assert.equal(again.metadata?.resourceVersion, cur.metadata?.resourceVersion);
  });

  it('update: missing object → 404; URL/body name mismatch → 400', async () => {
    const r = await call(t.sim.url, 'PUT', `${CM}/ghost`, { metadata: { name: 'ghost' } });
    assert.equal(r.status, 404);
    assert.equal(r.json['message'], 'configmaps "ghost" not found');
    const m = await call(t.sim.url, 'PUT', `${CM}/existing`, { metadata: { name: 'other' } });
    assert.equal(m.status, 400);
    assert.equal(m.json['message'], 'the name of the object (other) does not match the name on the URL (existing)');
  });

  it('generation: set to 1 on create, bumped by spec changes only', async () => {
    const apps = t.kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('gen') as unknown as k8s.V1Deployment,
    });
    assert.equal(d.metadata?.generation, 1);
    const labelled = await call(
      t.sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/gen',
      { metadata: { labels: { x: 'y' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal((labelled.json['metadata'] as { generation: number }).generation, 1);
    const scaled = await call(
      t.sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/gen',
      { spec: { replicas: 3 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal((scaled.json['metadata'] as { generation: number }).generation, 2);
    const annotated = await call(
      t.sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/gen',
      { metadata: { annotations: { a: 'b' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(
      (annotated.json['metadata'] as { generation: number }).generation,
      3,
      'deployments also bump on annotation changes',
    );
  });

  it('status subresource: main-resource writes keep status, /status writes change only status', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/st';
    const created = await call(t.sim.url, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      ...deployment('st'),
      status: { replicas: 99 },
    });
    assert.deepEqual(created.json['status'], {}, 'status is dropped on create (the empty struct is still encoded)');
    const put = await call(t.sim.url, 'PUT', `${path}/status`, {
      ...created.json,
      spec: { replicas: 7 },
      status: { replicas: 5 },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json['status'], { replicas: 5 });
    assert.equal((put.json['spec'] as { replicas: number }).replicas, 1, 'spec unchanged by a status write');
    assert.equal((put.json['metadata'] as { generation: number }).generation, 1);
    assert.notEqual(
      (put.json['metadata'] as { resourceVersion: string }).resourceVersion,
      (created.json['metadata'] as { resourceVersion: string }).resourceVersion,
    );
    const main = await call(
      t.sim.url,
      'PATCH',
      path,
      { status: { replicas: 1 }, metadata: { labels: { l: '1' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.deepEqual(main.json['status'], { replicas: 5 }, 'status unchanged by a main-resource write');
    const sp = await call(
      t.sim.url,
      'PATCH',
      `${path}/status`,
      { status: { readyReplicas: 2 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.deepEqual(sp.json['status'], { replicas: 5, readyReplicas: 2 });
    const g = await call(t.sim.url, 'GET', `${path}/status`);
    assert.equal(g.status, 200);
    assert.equal(g.json['kind'], 'Deployment');
    assert.equal((await call(t.sim.url, 'GET', `${CM}/existing/status`)).status, 404);
  });

  it('delete: a Status for most kinds, the object for pods/services; preconditions → 409', async () => {
    await call(t.sim.url, 'POST', CM, { metadata: { name: 'del1' } });
    const d = await call(t.sim.url, 'DELETE', `${CM}/del1`);
    assert.equal(d.status, 200);
    assert.equal(d.json['kind'], 'Status');
    assert.equal(d.json['status'], 'Success');
    assert.deepEqual(Object.keys(d.json['details'] as object), ['name', 'kind', 'uid']);
    assert.equal((await call(t.sim.url, 'DELETE', `${CM}/del1`)).status, 404);
    await call(t.sim.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'svc' },
      spec: { ports: [{ port: 80 }] },
    });
    const s = await call(t.sim.url, 'DELETE', '/api/v1/namespaces/default/services/svc');
    assert.equal(s.json['kind'], 'Service');
    const c = await call(t.sim.url, 'POST', CM, { metadata: { name: 'del2' } });
    const pre = await call(t.sim.url, 'DELETE', `${CM}/del2`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'wrong' },
    });
    assert.equal(pre.status, 409);
    assert.equal(
      pre.json['message'],
      `Operation cannot be fulfilled on ConfigMap "del2": the UID in the precondition (wrong) does not match the UID in record (${(c.json['metadata'] as { uid: string }).uid}). The object might have been deleted and then recreated`,
    );
    assert.deepEqual(pre.json['details'], { name: 'del2', kind: 'ConfigMap' });
    const rv = await call(t.sim.url, 'DELETE', `${CM}/del2`, { preconditions: { resourceVersion: '1' } });
    assert.equal(rv.status, 409);
    assert.match(
      rv.json['message'] as string,
      /^Operation cannot be fulfilled on ConfigMap "del2": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(\d+\)\. The object might have been modified$/,
    );
    // With a body, the options come from it alone: a dryRun in the query is ignored (handlers/delete.go).
    const dry = await call(t.sim.url, 'DELETE', `${CM}/del2?dryRun=All`, { preconditions: { resourceVersion: '1' } });
    assert.equal(dry.status, 409);
    assert.equal(
      (
        await call(t.sim.url, 'DELETE', `${CM}/del2`, {
          preconditions: { resourceVersion: (c.json['metadata'] as { resourceVersion: string }).resourceVersion },
        })
      ).status,
      200,
    );
  });

  it('delete with finalizers marks the object; removing the last finalizer deletes it', async () => {
    await call(t.sim.url, 'POST', CM, { metadata: { name: 'fin', finalizers: ['example.com/x'] } });
    const d = await call(t.sim.url, 'DELETE', `${CM}/fin`);
    assert.equal(d.status, 200);
    assert.equal(typeof (d.json['metadata'] as { deletionTimestamp: string }).deletionTimestamp, 'string');
    assert.equal((await call(t.sim.url, 'GET', `${CM}/fin`)).status, 200);
    const p = await call(
      t.sim.url,
      'PATCH',
      `${CM}/fin`,
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(p.status, 200);
    assert.equal((await call(t.sim.url, 'GET', `${CM}/fin`)).status, 404);
  });

  it('dryRun=All validates and answers but persists nothing', async () => {
    const before = JSON.stringify(t.sim.dump());
    const rv = t.sim.resourceVersion();
    const c = await call(t.sim.url, 'POST', `${CM}?dryRun=All`, { metadata: { name: 'dry' } });
    assert.equal(c.status, 201);
    assert.equal((c.json['metadata'] as { name: string }).name, 'dry');
    assert.equal((await call(t.sim.url, 'POST', `${CM}?dryRun=All`, { metadata: { name: 'existing' } })).status, 409);
    assert.equal(
      (
        await call(t.sim.url, 'PUT', `${CM}/existing?dryRun=All`, {
          metadata: { name: 'existing' },
          data: { dry: 'run' },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call(
          t.sim.url,
          'PATCH',
          `${CM}/existing?dryRun=All`,
          { data: { dry: 'run' } },
          { 'Content-Type': 'application/merge-patch+json' },
        )
      ).status,
      200,
    );
    assert.equal((await call(t.sim.url, 'DELETE', `${CM}/existing?dryRun=All`)).status, 200);
    assert.equal(
      (
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'dry2' } },
          dryRun: 'All',
        })
      ).metadata?.name,
      'dry2',
    );
    assert.equal(JSON.stringify(t.sim.dump()), before);
    assert.equal(t.sim.resourceVersion(), rv);
    const bad = await call(t.sim.url, 'POST', `${CM}?dryRun=Yes`, { metadata: { name: 'dry' } });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.json['message'],
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Yes"]: supported values: "All"',
    );
  });

  it('custom resources: list items carry apiVersion/kind, delete answers a Status', async () => {
    const gw: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'w' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [] },
    };
    const c = await call(t.sim.url, 'POST', '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways', gw);
    assert.equal(c.status, 201);
    assert.equal((c.json['metadata'] as { generation: number }).generation, 1);
    const l = await call(t.sim.url, 'GET', '/apis/gateway.networking.k8s.io/v1/gateways');
    assert.equal(l.json['kind'], 'GatewayList');
    const item = (l.json['items'] as Record<string, unknown>[])[0];
    assert.equal(item?.['apiVersion'], 'gateway.networking.k8s.io/v1');
    assert.equal(item?.['kind'], 'Gateway');
    const d = await call(t.sim.url, 'DELETE', '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/w');
    assert.deepEqual(Object.keys(d.json), ['kind', 'apiVersion', 'metadata', 'status', 'details']);
    assert.equal((d.json['details'] as { group: string }).group, 'gateway.networking.k8s.io');
  });

  it('namespace deletion: Terminating, then contents and namespace are gone', async () => {
    await call(t.sim.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call(t.sim.url, 'POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'c' } });
    const d = await call(t.sim.url, 'DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 200);
    assert.equal((d.json['status'] as { phase: string }).phase, 'Terminating');
    await new Promise((r) => setImmediate(r));
    assert.equal((await call(t.sim.url, 'GET', '/api/v1/namespaces/doomed')).status, 404);
    assert.equal((await call(t.sim.url, 'GET', '/api/v1/namespaces/doomed/configmaps/c')).status, 404);
  });

  it('server-side defaults: Service clusterIP and ports, Namespace label and phase', async () => {
    const s = await call(t.sim.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
    });
    const spec = s.json['spec'] as Record<string, unknown>;
    assert.match(String(spec['clusterIP']), /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(spec['ports'], [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.equal(spec['type'], 'ClusterIP');
    const n = await call(t.sim.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'fresh' } });
    assert.deepEqual((n.json['metadata'] as { labels: unknown }).labels, { 'kubernetes.io/metadata.name': 'fresh' });
    assert.deepEqual(n.json['status'], { phase: 'Active' });
  });
});

describe('auth and RBAC-lite', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ tokens: { 'tok-admin': 'admin', 'tok-dev': 'dev' } }, { token: 'tok-dev' });
  });
  after(async () => t.close());

  it('requests with an unknown token get 401', async () => {
    const r = await call(t.sim.url, 'GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer wrong' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    const ok = await call(t.sim.url, 'GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer tok-admin' });
    assert.equal(ok.status, 200);
  });

  it('requests without a token are system:anonymous: /version and health only, 403 elsewhere', async () => {
    const r = await call(t.sim.url, 'GET', '/api/v1/namespaces');
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { kind: 'namespaces' },
      code: 403,
    });
    assert.equal((await call(t.sim.url, 'GET', '/apis')).status, 403);
    assert.equal((await call(t.sim.url, 'GET', '/version')).status, 200);
    assert.equal((await call(t.sim.url, 'GET', '/readyz')).status, 200);
    const strict = await startSimCluster({ tokens: { tok: 'admin' }, anonymousAuth: false, gatewayApi: false });
    try {
      assert.equal((await call(strict.url, 'GET', '/api/v1/namespaces')).status, 401);
    } finally {
      await strict.close();
    }
  });

  it('forbid rules give 403 with the real RBAC message', async () => {
    t.sim.forbid({ verb: 'list', resource: 'namespaces', user: 'dev' });
    t.sim.forbid({ verb: 'get', resource: 'deployments', namespace: 'istio-system' });
    t.sim.forbid({ verb: 'patch', resource: 'mutatingwebhookconfigurations', user: 'dev' });
    const core = t.kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.listNamespace(), (e: unknown) => {
      assert.deepEqual(statusOf(e), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope',
        reason: 'Forbidden',
        details: { kind: 'namespaces' },
        code: 403,
      });
      return true;
    });
    const cases: [string, string, string][] = [
      [
        'GET',
        '/apis/apps/v1/namespaces/istio-system/deployments/istiod',
        'deployments.apps "istiod" is forbidden: User "admin" cannot get resource "deployments" in API group "apps" in the namespace "istio-system"',
      ],
      [
        'PATCH',
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/x',
        'mutatingwebhookconfigurations.admissionregistration.k8s.io "x" is forbidden: User "dev" cannot patch resource "mutatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope',
      ],
    ];
    for (const [method, path, message] of cases) {
      const token = message.includes('"admin"') ? 'tok-admin' : 'tok-dev';
      const r = await call(t.sim.url, method, path, method === 'PATCH' ? {} : undefined, {
        Authorization: `Bearer ${token}`,
        ...(method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : {}),
      });
      assert.equal(r.status, 403);
      assert.equal(r.json['message'], message);
      assert.equal(r.json['reason'], 'Forbidden');
    }
    const other = await call(t.sim.url, 'GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer tok-admin' });
    assert.equal(other.status, 200, 'rules only match their user');
  });
});

describe('request log', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ objects: [configMap('a'), configMap('b')] });
  });
  after(async () => t.close());

  it('records every request with verb, resource, namespace, name, status and bytes', async () => {
    t.sim.clearRequests();
    const core = t.kc.makeApiClient(k8s.CoreV1Api);
    await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'x' });
    await core.readNamespacedConfigMap({ name: 'a', namespace: 'default' });
    await core.readNamespacedConfigMap({ name: 'zz', namespace: 'default' }).catch(() => undefined);
    await core.patchNamespacedConfigMap(
      { name: 'b', namespace: 'default', body: { data: { x: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await call(t.sim.url, 'GET', '/apis');
    const log = t.sim.requests.map((r) => [
      r.method,
      r.verb,
      r.resource ?? '',
      r.namespace ?? '',
      r.name ?? '',
      r.status,
    ]);
    assert.deepEqual(log, [
      ['GET', 'list', 'configmaps', 'default', '', 200],
      ['GET', 'get', 'configmaps', 'default', 'a', 200],
      ['GET', 'get', 'configmaps', 'default', 'zz', 404],
      ['PATCH', 'patch', 'configmaps', 'default', 'b', 200],
      ['GET', 'discovery', '', '', '', 200],
    ]);
    assert.deepEqual(t.sim.requests[0]?.query, { labelSelector: 'x' });
    assert.ok(t.sim.requests.every((r) => r.bytes > 0));
    assert.match(t.sim.requests[0]?.userAgent ?? '', /.+/);
    assert.equal(t.sim.requests.filter((r) => r.verb === 'get').length, 2);
    t.sim.clearRequests();
    assert.equal(t.sim.requests.length, 0);
  });

  it('onRequest hooks can change the store between a read and a write (real 409)', async () => {
    const core = t.kc.makeApiClient(k8s.CoreV1Api);
    const cur = await core.readNamespacedConfigMap({ name: 'a', namespace: 'default' });
    t.sim.onRequest(async (r) => {
      if (r.verb === 'update') {
        await new Promise((res) => setTimeout(res, 1));
        const o = t.sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' });
        if (o !== undefined) t.sim.upsert({ ...o, data: { raced: 'yes' } });
      }
    });
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'a', namespace: 'default', body: { ...cur, data: { mine: '1' } } }),
      (e: unknown) => statusOf(e)['reason'] === 'Conflict',
    );
    t.sim.onRequest(undefined);
    assert.deepEqual(t.sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' })?.['data'], {
      raced: 'yes',
    });
  });
});

describe('strictNamespaces (NamespaceLifecycle admission)', () => {
  it('creating in a missing namespace is 404; lenient by default', async () => {
    const strict = await startSimCluster({ strictNamespaces: true, gatewayApi: false });
    const lenient = await startSimCluster({ gatewayApi: false });
    try {
      const r = await call(strict.url, 'POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
      assert.equal(r.status, 404);
      assert.equal(r.json['message'], 'namespaces "nope" not found');
      assert.equal(
        (await call(lenient.url, 'POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } })).status,
        201,
      );
    } finally {
      await strict.close();
      await lenient.close();
    }
  });
});

describe('direct store access', () => {
  it('get/list/upsert/remove/dump behave like requests (RV, generation) without logging', async () => {
    const sim = await startSimCluster({ gatewayApi: false, controllers: { workloads: false } });
    try {
      const created = sim.upsert(deployment('d', 'ns1'));
      assert.equal(created.metadata.generation, 1);
      const rv1 = created.metadata.resourceVersion;
      const spec = created['spec'] as { replicas: number };
      const updated = sim.upsert({ ...created, spec: { ...spec, replicas: 4 } });
      assert.equal(updated.metadata.generation, 2);
      assert.notEqual(updated.metadata.resourceVersion, rv1);
      assert.equal(updated.metadata.uid, created.metadata.uid);
      sim.upsert(configMap('c1', 'ns1', { app: 'x' }));
      sim.upsert(configMap('c2', 'ns2', { app: 'y' }));
      assert.deepEqual(
        sim.list({ apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app in (x,y)' }).map((o) => o.metadata.name),
        ['c1', 'c2'],
      );
      assert.deepEqual(
        sim.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns2' }).map((o) => o.metadata.name),
        ['c2'],
      );
      assert.deepEqual(
        sim.dump().map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
        ['apps/v1/Deployment/ns1/d', 'v1/ConfigMap/ns1/c1', 'v1/ConfigMap/ns2/c2'],
      );
      assert.equal(sim.remove({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns1', name: 'c1' }), true);
      assert.equal(sim.remove({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns1', name: 'c1' }), false);
      assert.equal(sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns1', name: 'c1' }), undefined);
      assert.equal(sim.requests.length, 0);
      assert.throws(
        () => sim.upsert({ apiVersion: 'v9', kind: 'Nope', metadata: { name: 'x' } }),
        /unknown kind "Nope"/,
      );
    } finally {
      await sim.close();
    }
  });
});
