/**
 * The pure core of issue 12: what a move owns (chart-merge.ts), the full diff (diff.ts), our two
 * annotations (history.ts), the order of the requests (applySteps) and the planner's modes. The
 * cluster behaviour is tested through the CLI (test/faults/writes.test.ts, test/contract/).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySteps, type Step } from '../../src/core/apply.ts';
import { mergeLabels, serviceOver, webhookConfigOver } from '../../src/core/chart-merge.ts';
import { carries, objectChanges } from '../../src/core/diff.ts';
import { operationCommands, parseHistory, parseOperation, type TagOperation } from '../../src/core/history.ts';
import type { Mesh } from '../../src/core/mesh.ts';
import type { KubeObject, Service, WebhookConfiguration } from '../../src/core/model.ts';
import type { KubeObject as TestObject } from '../cluster/types.ts';
import { planTagMove, planTagRollback, type Plan } from '../../src/core/tag-plan.ts';
import { renderTag } from '../../src/core/tag-render.ts';
import { istiod, meshOf, namespace, tagObjects } from '../support/builders.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const OPERATION = 'kubectl-ambient.dev/tag-operation';
const HISTORY = 'kubectl-ambient.dev/tag-history';

const base = (): TestObject[] => [namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.28.10')];
const withRv = (objects: TestObject[]): TestObject[] =>
  objects.map((o, i) => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(100 + i) } }));
const move = (mesh: Mesh, tag: string, revision: string): Plan =>
  planTagMove(mesh, { tag, revision, create: false, force: true, now: NOW, id: 'op1' });
const steps = (p: Plan): string[] => applySteps(p).map((s: Step) => `${s.phase} ${s.op} ${s.role}`);

describe("chart-merge: the chart's fields from the render, everything else kept", () => {
  it('labels: chart keys follow the render (removed when it has none), others stay; Helm keeps managed-by', () => {
    const owned = ['istio.io/rev', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by'];
    const live = {
      'istio.io/rev': 'a',
      'app.kubernetes.io/version': '1.27.9',
      'app.kubernetes.io/managed-by': 'Helm',
      team: 'payments',
    };
    assert.deepEqual(mergeLabels(live, { 'istio.io/rev': 'b' }, owned, false), {
      'istio.io/rev': 'b',
      team: 'payments',
    });
    assert.deepEqual(mergeLabels(live, { 'istio.io/rev': 'b' }, owned, true), {
      'istio.io/rev': 'b',
      'app.kubernetes.io/managed-by': 'Helm',
      team: 'payments',
    });
  });

  it('webhooks by name: chart fields replaced, timeoutSeconds/matchPolicy/caBundle/rule scope kept, foreign ones kept (and repointed when they call the old istiod)', () => {
    const live = structuredClone(tagObjects('1.27.9', 'prod')[0]!) as unknown as WebhookConfiguration;
    const hooks = live.webhooks!;
    Object.assign(hooks[0]!, { timeoutSeconds: 5, matchPolicy: 'Exact' });
    hooks[0]!.clientConfig.caBundle = 'Q0E=';
    (hooks[0]!['rules'] as Record<string, unknown>[])[0]!['scope'] = 'Namespaced';
    hooks.push(
      { ...structuredClone(hooks[1]!), name: 'x.example.com' },
      {
        ...structuredClone(hooks[1]!),
        name: 'y.example.com',
        clientConfig: { service: { name: 'other', namespace: 'istio-system' } },
      },
    );
    const rendered = renderTag({
      tag: 'prod',
      revision: '1-28-10',
      version: '1.28.10',
      istioNamespace: 'istio-system',
    }).webhook;
    const { object, foreign } = webhookConfigOver(live, rendered, {
      istioNamespace: 'istio-system',
      fromRevision: '1-27-9',
      helmOwned: false,
    });
    const out = object.webhooks!;
    assert.deepEqual(
      out.map((w) => w.name),
      [
        'rev.namespace.sidecar-injector.istio.io',
        'rev.object.sidecar-injector.istio.io',
        'x.example.com',
        'y.example.com',
      ],
    );
    assert.deepEqual(
      [
        out[0]!['timeoutSeconds'],
        out[0]!['matchPolicy'],
        out[0]!.clientConfig.caBundle,
        (out[0]!['rules'] as Record<string, unknown>[])[0]!['scope'],
      ],
      [5, 'Exact', 'Q0E=', 'Namespaced'],
    );
    assert.equal(out[0]!.clientConfig.service?.name, 'istiod-1-28-10');
    assert.deepEqual(
      out.slice(2).map((w) => w.clientConfig.service?.name),
      ['istiod-1-28-10', 'other'],
    );
    assert.deepEqual(foreign, [
      { name: 'x.example.com', repointed: true },
      { name: 'y.example.com', repointed: false },
    ]);
    assert.equal(object.metadata.labels?.['app.kubernetes.io/version'], '1.28.10');
  });

  it("Service: labels, ports and selector from the render; clusterIP, type, a port's defaulted targetPort and nodePort kept; ports the chart lacks removed", () => {
    const rendered = renderTag({
      tag: 'prod',
      revision: '1-28-10',
      version: '1.28.10',
      istioNamespace: 'istio-system',
    }).service!;
    const live: Service = {
      ...structuredClone(rendered),
      metadata: { ...rendered.metadata, labels: { ...rendered.metadata.labels, 'istio.io/rev': '1-27-9', team: 'x' } },
      spec: {
        clusterIP: '10.0.0.7',
        type: 'ClusterIP',
        selector: { app: 'istiod', 'istio.io/rev': '1-27-9' },
        ports: [...rendered.spec!.ports!.map((p) => ({ targetPort: p.port, ...p })), { name: 'extra', port: 9999 }],
      },
    };
    const out = serviceOver(live, rendered, false);
    assert.equal(out.spec?.['clusterIP'], '10.0.0.7');
    assert.deepEqual(out.spec?.selector, { app: 'istiod', 'istio.io/rev': '1-28-10' });
    assert.deepEqual(
      out.spec?.ports?.map((p) => [p.name, p.targetPort]),
      [
        ['grpc-xds', 15010],
        ['https-dns', 15012],
        ['https-webhook', 15017],
        ['http-monitoring', 15014],
      ],
    );
    assert.equal(out.metadata.labels?.['team'], 'x');
  });
});

describe('diff: the full objects, server-set fields aside', () => {
  const svc = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', labels: { a: '1', b: '2' }, resourceVersion: '1', uid: 'u', managedFields: [{}] },
    spec: { ports: [{ name: 'p', port: 1 }], clusterIP: '10.0.0.1' },
    status: { loadBalancer: {} },
  });
  it('shows removals and changes by key and by name; ignores resourceVersion, uid, managedFields, status', () => {
    const after = svc();
    after.metadata = { name: 's', labels: { a: '9' } };
    (after['spec'] as Record<string, unknown>)['ports'] = [{ name: 'p', port: 2 }];
    delete (after['spec'] as Record<string, unknown>)['clusterIP'];
    delete after['status'];
    assert.deepEqual(objectChanges(svc(), after), [
      { path: 'label a', before: '1', after: '9' },
      { path: 'label b', before: '2', after: undefined },
      { path: 'spec.ports[p].port', before: '1', after: '2' },
      { path: 'spec.clusterIP', before: '10.0.0.1', after: undefined },
    ]);
  });
  it('carries: the server may add defaults, but labels and annotations must be exactly what was sent', () => {
    const live = svc();
    assert.equal(
      carries(live, {
        ...svc(),
        metadata: { name: 's', labels: { a: '1', b: '2' } },
        spec: { ports: [{ name: 'p', port: 1 }] },
      }),
      true,
    );
    assert.equal(carries(live, { ...svc(), metadata: { name: 's', labels: { a: '1' } } }), false);
  });
});

describe('history and operation record annotations', () => {
  const cases: [string, string | undefined, number, RegExp | undefined][] = [
    ['absent', undefined, 0, undefined],
    ['empty list', '[]', 0, undefined],
    [
      'two entries',
      '[{"revision":"a","at":"t"},{"revision":"b","at":"t","objects":["webhook","service"]}]',
      2,
      undefined,
    ],
    ['not JSON', '{"oops"', 0, /^not JSON/],
    ['not a list', '{}', 0, /not a JSON list/],
    ['a bad entry', '[{"revision":""}]', 0, /entry 1/],
    ['bad objects', '[{"revision":"a","at":"t","objects":["pod"]}]', 0, /entry 1/],
  ];
  for (const [name, raw, n, error] of cases) {
    it(`history: ${name}`, () => {
      const h = parseHistory(raw);
      assert.equal(h.value.length, n);
      if (error === undefined) assert.equal(h.error, undefined);
      else assert.match(h.error ?? '', error);
    });
  }
  it('operation record: parsed, validated, and its commands', () => {
    const op: TagOperation = {
      id: 'x',
      op: 'rollback',
      from: 'a',
      to: 'b',
      at: 't',
      history: [],
      fromObjects: ['webhook'],
      toObjects: ['webhook'],
    };
    assert.deepEqual(parseOperation(JSON.stringify(op)).value, op);
    assert.match(parseOperation('{"id":1}').error ?? '', /not an operation record/);
    assert.deepEqual(operationCommands('prod', op), {
      finish: 'kubectl ambient tag-rollback prod',
      undo: 'kubectl ambient tag-move prod a',
    });
    assert.deepEqual(operationCommands('prod', { ...op, op: 'move' }), {
      finish: 'kubectl ambient tag-move prod b',
      undo: 'kubectl ambient tag-rollback prod',
    });
  });
});

describe('plans and their requests', () => {
  it('one object changes: one write, no record (atomic)', () => {
    const p = move(
      meshOf(
        withRv([namespace('istio-system'), ...istiod('1.26.8'), ...istiod('1.27.9'), ...tagObjects('1.27.9', 'prod')]),
      ),
      'prod',
      '1-26-8',
    );
    assert.deepEqual(steps(p), ['complete replace webhook']);
    assert.equal(p.writes[0]?.after.metadata.annotations?.[OPERATION], undefined);
    assert.deepEqual(JSON.parse(p.writes[0]?.after.metadata.annotations?.[HISTORY] ?? ''), [
      { revision: '1-27-9', at: NOW.toISOString(), objects: ['webhook'] },
    ]);
  });

  it('several objects: the record first, the holder last, with where the tag was and what it had', () => {
    const mesh = meshOf(withRv([...base(), ...tagObjects('1.27.9', 'prod'), ...tagObjects('1.27.9', 'default')]));
    assert.deepEqual(steps(move(mesh, 'prod', '1-28-10')), [
      'record replace webhook',
      'change create service',
      'complete replace webhook',
    ]);
    const record = applySteps(move(mesh, 'prod', '1-28-10'))[0]!.object.metadata.annotations?.[OPERATION];
    assert.deepEqual(parseOperation(record).value, {
      id: 'op1',
      op: 'move',
      from: '1-27-9',
      to: '1-28-10',
      at: NOW.toISOString(),
      history: [{ revision: '1-27-9', at: NOW.toISOString(), objects: ['webhook'] }],
      fromObjects: ['webhook'],
      toObjects: ['webhook', 'service'],
    });
  });

  it('a new tag: the holder is created with the record, then completed', () => {
    const p = planTagMove(meshOf(withRv(base())), {
      tag: 'blue',
      revision: '1-28-10',
      create: true,
      force: true,
      now: NOW,
      id: 'op2',
    });
    assert.deepEqual(steps(p), ['record create webhook', 'change create service', 'complete replace webhook']);
  });

  const pending = (from: string | null, op: 'move' | 'rollback'): TestObject[] => {
    const objs = withRv([...base(), ...tagObjects('1.27.9', 'prod')]);
    const w = objs.find(
      (o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.name === 'istio-revision-tag-prod',
    )!;
    const record: TagOperation = {
      id: 'old',
      op,
      from,
      to: '1-28-10',
      at: 't',
      history: [{ revision: '1-27-9', at: 't', objects: ['webhook'] }],
      fromObjects: ['webhook'],
      toObjects: ['webhook', 'service'],
    };
    w.metadata.annotations = { [OPERATION]: JSON.stringify(record) };
    return objs;
  };

  it('an unfinished move: the same target finishes it, the start undoes it, another revision is refused; no second record', () => {
    const mesh = meshOf(pending('1-27-9', 'move'));
    const finish = move(mesh, 'prod', '1-28-10');
    assert.deepEqual(
      [finish.mode, finish.operation.id, steps(finish)],
      ['finish', 'old', ['change create service', 'complete replace webhook']],
    );
    assert.deepEqual(JSON.parse(finish.writes.at(-1)!.after.metadata.annotations?.[HISTORY] ?? ''), [
      { revision: '1-27-9', at: 't', objects: ['webhook'] },
    ]);
    const undo = planTagRollback(mesh, { tag: 'prod', to: undefined, force: true, now: NOW, id: 'new' });
    assert.deepEqual([undo.mode, undo.to, steps(undo)], ['undo', '1-27-9', ['complete replace webhook']]);
    assert.equal(undo.writes[0]?.after.metadata.annotations, undefined, 'the record goes, no history appears');
    assert.throws(
      () => move(mesh, 'prod', '1-26-8'),
      /tag prod has an unfinished tag-move from 1-27-9 to 1-28-10 \(operation old, started t\)/,
    );
  });

  it("an unfinished creation is undone by deleting the tag's objects, the holder last", () => {
    const objs = pending(null, 'move');
    objs.push(...tagObjects('1.28.10', 'prod').filter((o) => o.kind === 'Service'));
    const undo = planTagRollback(meshOf(withRv(objs)), { tag: 'prod', to: undefined, force: true, now: NOW, id: 'n' });
    assert.deepEqual([undo.to, steps(undo)], [undefined, ['change delete service', 'complete delete webhook']]);
  });
});

describe('renderTag: enableNamespacesByDefault (§1.3 row 5)', () => {
  it('default gets the auto. webhook last; other tags never', () => {
    const names = (tag: string): string[] =>
      (
        renderTag({
          tag,
          revision: 'r',
          version: '1.28.10',
          istioNamespace: 'istio-system',
          enableNamespacesByDefault: true,
        }).webhook.webhooks ?? []
      ).map((w) => w.name);
    assert.deepEqual(names('default').at(-1), 'auto.sidecar-injector.istio.io');
    assert.equal(names('default').length, 5);
    assert.equal(names('prod').length, 2);
  });
});
