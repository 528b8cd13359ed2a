import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, smpSchemaFor } from './patch.ts';
import { call, deployment, startTestSim, statusOf, type TestSim } from './testutil.ts';
import type { KubeObject } from './types.ts';

describe('JSON patch (unit)', () => {
  const doc = { a: { b: 1 }, list: [1, 2, 3] };
  const cases: [string, unknown[], unknown][] = [
    ['add key', [{ op: 'add', path: '/a/c', value: 2 }], { a: { b: 1, c: 2 }, list: [1, 2, 3] }],
    ['add to end', [{ op: 'add', path: '/list/-', value: 4 }], { a: { b: 1 }, list: [1, 2, 3, 4] }],
    ['insert', [{ op: 'add', path: '/list/0', value: 0 }], { a: { b: 1 }, list: [0, 1, 2, 3] }],
    ['remove', [{ op: 'remove', path: '/list/1' }], { a: { b: 1 }, list: [1, 3] }],
    ['replace', [{ op: 'replace', path: '/a/b', value: 'x' }], { a: { b: 'x' }, list: [1, 2, 3] }],
    ['move', [{ op: 'move', from: '/a/b', path: '/z' }], { a: {}, list: [1, 2, 3], z: 1 }],
    ['copy', [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, list: [1, 2, 3], c: { b: 1 } }],
    ['test ok', [{ op: 'test', path: '/a/b', value: 1 }], doc],
    [
      'escaped pointer',
      [{ op: 'add', path: '/a/x~1y~0z', value: true }],
      { a: { b: 1, 'x/y~z': true }, list: [1, 2, 3] },
    ],
  ];
  for (const [name, patch, want] of cases) it(name, () => assert.deepEqual(applyJsonPatch(doc, patch), want));
  const failures: [string, unknown[], string][] = [
    ['failed test', [{ op: 'test', path: '/a/b', value: 2 }], 'testing value /a/b failed: test failed'],
    [
      'remove missing',
      [{ op: 'remove', path: '/a/nope' }],
      "error in remove for path: '/a/nope': Unable to remove nonexistent key: nope: missing value",
    ],
    [
      'replace missing',
      [{ op: 'replace', path: '/a/nope', value: 1 }],
      'replace operation does not apply: doc is missing key: /a/nope: missing value',
    ],
    [
      'add under missing parent',
      [{ op: 'add', path: '/x/y', value: 1 }],
      'add operation does not apply: doc is missing path: "/x/y": missing value',
    ],
  ];
  for (const [name, patch, msg] of failures) {
    it(name, () =>
      assert.throws(
        () => applyJsonPatch(doc, patch),
        (e: unknown) => e instanceof PatchError && e.kind === 'unprocessable' && e.message === msg,
      ),
    );
  }
  it('does not modify its input', () => {
    const d = { a: [1] };
    applyJsonPatch(d, [{ op: 'add', path: '/a/-', value: 2 }]);
    assert.deepEqual(d, { a: [1] });
  });
});

describe('JSON merge patch (unit)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([doc, patch, want], i) => {
    it(`RFC 7386 example ${i + 1}`, () => assert.deepEqual(applyMergePatch(doc, patch), want));
  });
});

describe('strategic merge patch (unit)', () => {
  const dep = deployment('d');
  (dep['spec'] as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [
    {
      name: 'a',
      image: 'a:1',
      env: [
        { name: 'X', value: '1' },
        { name: 'Y', value: '2' },
      ],
      ports: [{ containerPort: 80 }],
    },
    { name: 'b', image: 'b:1' },
  ];
  const schema = smpSchemaFor('apps', 'Deployment');
  const containers = (o: unknown): unknown =>
    (o as { spec: { template: { spec: { containers: unknown } } } }).spec.template.spec.containers;
  const tpl = (c: unknown[]): Record<string, unknown> => ({ spec: { template: { spec: { containers: c } } } });

  it('merges containers by name, env by name, ports by containerPort', () => {
    const out = applyStrategicMergePatch(
      dep,
      tpl([
        {
          name: 'a',
          image: 'a:2',
          env: [
            { name: 'Y', value: '3' },
            { name: 'Z', value: '4' },
          ],
          ports: [{ containerPort: 443 }],
        },
      ]),
      schema,
    );
    assert.deepEqual(containers(out), [
      {
        name: 'a',
        image: 'a:2',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '3' },
          { name: 'Z', value: '4' },
        ],
        ports: [{ containerPort: 80 }, { containerPort: 443 }],
      },
      { name: 'b', image: 'b:1' },
    ]);
  });
  it('appends a new container', () => {
    const out = applyStrategicMergePatch(dep, tpl([{ name: 'c', image: 'c:1' }]), schema);
    assert.deepEqual(
      (containers(out) as { name: string }[]).map((c) => c.name),
      ['a', 'b', 'c'],
    );
  });
  it('$patch: delete removes a list element', () => {
    const out = applyStrategicMergePatch(dep, tpl([{ name: 'a', $patch: 'delete' }]), schema);
    assert.deepEqual(containers(out), [{ name: 'b', image: 'b:1' }]);
  });
  it('$patch: replace replaces the whole list', () => {
    const out = applyStrategicMergePatch(dep, tpl([{ $patch: 'replace' }, { name: 'z', image: 'z:1' }]), schema);
    assert.deepEqual(containers(out), [{ name: 'z', image: 'z:1' }]);
  });
  it('$patch: replace on a map replaces the map', () => {
    const out = applyStrategicMergePatch(
      { metadata: { labels: { a: '1', b: '2' } } },
      { metadata: { labels: { $patch: 'replace', c: '3' } } },
      schema,
    );
    assert.deepEqual(out, { metadata: { labels: { c: '3' } } });
  });
  it('null deletes a key; lists without a merge key are replaced', () => {
    const out = applyStrategicMergePatch(
      { spec: { a: 1, b: 2, tolerations: [{ key: 'x' }] } },
      { spec: { a: null, tolerations: [{ key: 'y' }] } },
      schema,
    );
    assert.deepEqual(out, { spec: { b: 2, tolerations: [{ key: 'y' }] } });
  });
  it('finalizers merge as a set, $deleteFromPrimitiveList removes', () => {
    const out = applyStrategicMergePatch(
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
      schema,
    );
    assert.deepEqual(out, { metadata: { finalizers: ['b', 'c'] } });
  });
  it('$setElementOrder reorders and $retainKeys prunes', () => {
    const out = applyStrategicMergePatch(
      dep,
      {
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
        },
      },
      schema,
    );
    assert.deepEqual(
      (containers(out) as { name: string }[]).map((c) => c.name),
      ['b', 'a'],
    );
    assert.deepEqual((out as { spec: { strategy: unknown } }).spec.strategy, { type: 'Recreate' });
  });
  it('an element without its merge key is an internal error like upstream', () => {
    assert.throws(
      () => applyStrategicMergePatch(dep, tpl([{ image: 'x' }]), schema),
      (e: unknown) =>
        e instanceof PatchError && e.kind === 'internal' && /does not contain declared merge key: name/.test(e.message),
    );
  });
});

function webhookConfig(): KubeObject {
  const hook = (name: string): Record<string, unknown> => ({
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } },
    namespaceSelector: { matchLabels: { 'istio.io/rev': 'old' } },
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'istio-sidecar-injector', labels: { 'istio.io/rev': 'old' } },
    webhooks: [hook('rev.namespace.sidecar-injector.istio.io'), hook('rev.object.sidecar-injector.istio.io')],
  };
}

describe('PATCH through the API', () => {
  let t: TestSim;
  let objApi: k8s.KubernetesObjectApi;
  const url = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector';
  before(async () => {
    t = await startTestSim({
      objects: [
        webhookConfig(),
        deployment('app', 'apps'),
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'gw', namespace: 'apps' },
          spec: { gatewayClassName: 'istio', listeners: [] },
        },
      ],
    });
    objApi = k8s.KubernetesObjectApi.makeApiClient(t.kc);
  });
  after(async () => t.close());

  it('strategic merge of webhooks by name (client-node KubernetesObjectApi.patch)', async () => {
    const before = t.sim.get({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      name: 'istio-sidecar-injector',
    });
    const patched = (await objApi.patch(
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'istio-sidecar-injector' },
        webhooks: [
          {
            name: 'rev.object.sidecar-injector.istio.io',
            namespaceSelector: { matchLabels: { 'istio.io/rev': 'new' } },
          },
        ],
      } as k8s.KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.StrategicMergePatch,
    )) as unknown as KubeObject;
    const hooks = JSON.parse(JSON.stringify(patched['webhooks'])) as {
      name: string;
      namespaceSelector: unknown;
      sideEffects: string;
    }[];
    assert.deepEqual(
      hooks.map((h) => h.name),
      ['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io'],
    );
    assert.deepEqual(hooks[1]?.namespaceSelector, { matchLabels: { 'istio.io/rev': 'new' } });
    assert.equal(hooks[1]?.sideEffects, 'None');
    assert.equal(patched.metadata.generation, (before?.metadata.generation ?? 0) + 1);
    assert.notEqual(patched.metadata.resourceVersion, before?.metadata.resourceVersion);
  });

  it('strategic merge of containers by name (raw PATCH)', async () => {
    const r = await call(
      t.sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/apps/deployments/app',
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'main', image: 'example/app:2.0' },
                { name: 'sidecar', image: 'proxy:1' },
              ],
            },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(r.status, 200);
    const cs = (r.json['spec'] as { template: { spec: { containers: { name: string; image: string }[] } } }).template
      .spec.containers;
    assert.deepEqual(
      cs.map((c) => `${c.name}=${c.image}`),
      ['main=example/app:2.0', 'sidecar=proxy:1'],
    );
    assert.equal((r.json['metadata'] as { generation: number }).generation, 2);
  });

  it('merge patch replaces lists and deletes with null', async () => {
    const r = await call(
      t.sim.url,
      'PATCH',
      url,
      {
        metadata: { labels: { 'istio.io/rev': null, x: 'y' } },
        webhooks: [
          { name: 'only', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: 'https://x' } },
        ],
      },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 200);
    assert.deepEqual((r.json['metadata'] as { labels: unknown }).labels, { x: 'y' });
    assert.deepEqual(
      (r.json['webhooks'] as { name: string }[]).map((w) => w.name),
      ['only'],
    );
  });

  it('json patch with a passing test applies; a failing test is 422', async () => {
    const ok = await call(
      t.sim.url,
      'PATCH',
      url,
      [
        { op: 'test', path: '/metadata/labels/x', value: 'y' },
        { op: 'replace', path: '/metadata/labels/x', value: 'z' },
      ],
      { 'Content-Type': 'application/json-patch+json' },
    );
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.json['metadata'] as { labels: unknown }).labels, { x: 'z' });
    const bad = await call(t.sim.url, 'PATCH', url, [{ op: 'test', path: '/metadata/labels/x', value: 'nope' }], {
      'Content-Type': 'application/json-patch+json',
    });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {
        causes: [
          { reason: 'UnexpectedServerResponse', message: 'testing value /metadata/labels/x failed: test failed' },
        ],
      },
      code: 422,
    });
  });

  it('a patch carrying a stale resourceVersion is a 409 Conflict', async () => {
    const r = await call(
      t.sim.url,
      'PATCH',
      url,
      { metadata: { resourceVersion: '1' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 409);
    assert.equal(r.json['reason'], 'Conflict');
    assert.equal(
      r.json['message'],
      'Operation cannot be fulfilled on mutatingwebhookconfigurations.admissionregistration.k8s.io "istio-sidecar-injector": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  const mediaCases: [string, string, number, string][] = [
    [
      'strategic merge on a custom resource',
      '/apis/gateway.networking.k8s.io/v1/namespaces/apps/gateways/gw',
      415,
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    ],
    [
      'unknown media type',
      '/apis/apps/v1/namespaces/apps/deployments/app',
      415,
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    ],
  ];
  for (const [name, path, code, message] of mediaCases) {
    it(`${name} → ${code}`, async () => {
      const ct = name.startsWith('strategic') ? 'application/strategic-merge-patch+json' : 'text/plain';
      const r = await call(t.sim.url, 'PATCH', path, { metadata: { labels: { a: 'b' } } }, { 'Content-Type': ct });
      assert.equal(r.status, code);
      assert.deepEqual(r.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'UnsupportedMediaType',
        code,
      });
    });
  }

  it('server-side apply is refused with 415', async () => {
    const r = await call(
      t.sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/apps/deployments/app?fieldManager=x',
      'apiVersion: apps/v1',
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(r.status, 415);
    assert.equal(r.json['message'], 'server-side apply is not supported by the simulator');
  });

  it('merge patch on a custom resource works', async () => {
    const r = await call(
      t.sim.url,
      'PATCH',
      '/apis/gateway.networking.k8s.io/v1/namespaces/apps/gateways/gw',
      { metadata: { labels: { 'istio.io/rev': 'canary' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 200);
    assert.deepEqual((r.json['metadata'] as { labels: unknown }).labels, { 'istio.io/rev': 'canary' });
  });

  it('patch of a missing object is 404', async () => {
    await assert.rejects(
      objApi.patch({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'nope', namespace: 'apps' },
        spec: {},
      } as k8s.KubernetesObject),
      (e: unknown) => {
        assert.equal(statusOf(e)['message'], 'deployments.apps "nope" not found');
        return true;
      },
    );
  });
});
