/** The pure plan of `upgrade REVISION` (core/upgrade.ts): order, actions, preconditions, --tags. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/skew.ts';
import { parseTagList, planUpgradeTags, type UpgradeOptions } from '../../src/core/upgrade.ts';
import type { KubeObject as TestObject } from '../cluster/types.ts';
import {
  gateway,
  istiod,
  meshOf,
  namespace,
  pod,
  proxyDeployment,
  tagObjects,
  type GatewaySpec,
} from '../support/builders.ts';

const OLD = '1.27.9';
const NEW = '1.28.10';
const OPERATION = 'kubectl-ambient.dev/tag-operation';

/** A follower of `rev` (a tag), its proxy and one pod on `runs`, Programmed as given. */
function follower(g: GatewaySpec & { rev: string }, runs: string, version: string, programmed: boolean): TestObject[] {
  const gw = gateway(g);
  const withStatus = {
    ...gw,
    status: {
      conditions: [
        {
          type: 'Programmed',
          status: programmed ? 'True' : 'False',
          reason: programmed ? 'Programmed' : 'Pending',
          observedGeneration: 1,
        },
      ],
    },
  };
  const p = pod({
    namespace: g.namespace,
    name: `${g.name}-abc-0`,
    labels: { 'gateway.networking.k8s.io/gateway-name': g.name },
    annotations: { 'istio.io/rev': runs },
  });
  return [withStatus, proxyDeployment(g, runs, version), p];
}

const rev = (v: string): string => v.replaceAll('.', '-');

/** istiod as its Deployment controller leaves it once ready (the chart render has no status). */
const readyIstiod = (v: string): TestObject[] =>
  istiod(v).map((o) =>
    o.kind === 'Deployment'
      ? {
          ...o,
          status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
        }
      : o,
  );

function base(extra: TestObject[] = []): TestObject[] {
  return [
    namespace('istio-system'),
    ...readyIstiod(OLD),
    ...readyIstiod(NEW),
    ...tagObjects(OLD, 'default'),
    ...tagObjects(OLD, 'prod'),
    ...tagObjects(OLD, 'blue'),
    ...tagObjects(NEW, 'canary'),
    ...follower({ name: 'w1', namespace: 'a', rev: 'prod' }, rev(OLD), OLD, true),
    ...follower({ name: 'w2', namespace: 'b', rev: 'prod' }, rev(OLD), OLD, true),
    ...follower({ name: 'w3', namespace: 'c', rev: 'blue' }, rev(OLD), OLD, true),
    ...follower({ name: 'w4', namespace: 'd', rev: 'canary' }, rev(NEW), NEW, true),
    ...extra,
  ];
}

const options = (o: Partial<UpgradeOptions> = {}): UpgradeOptions => ({
  revision: rev(NEW),
  tags: undefined,
  force: false,
  skew: [],
  timeout: '5m',
  soak: '2m',
  now: new Date('2026-11-27T12:00:00Z'),
  ...o,
});

describe('upgrade plan', () => {
  it('order: tags already there first, then fewest gateways/waypoints, default last', () => {
    const plan = planUpgradeTags(meshOf(base()), options());
    assert.deepEqual(
      plan.tags.map((t) => [t.tag, t.action, t.from, t.followers.length]),
      [
        ['canary', 'skip', '1-28-10', 1],
        ['blue', 'move', '1-27-9', 1],
        ['prod', 'move', '1-27-9', 2],
        ['default', 'move', '1-27-9', 0],
      ],
    );
    assert.equal(plan.order, 'fewest-followers');
    assert.equal(plan.ok, true, JSON.stringify(plan.preconditions));
  });

  it('--tags gives the order and the set', () => {
    const plan = planUpgradeTags(meshOf(base()), options({ tags: ['default', 'prod'] }));
    assert.deepEqual(
      plan.tags.map((t) => t.tag),
      ['default', 'prod'],
    );
    assert.equal(plan.order, 'given');
    assert.throws(
      () => planUpgradeTags(meshOf(base()), options({ tags: ['prod', 'green'] })),
      /tag\(s\) green not found in namespace istio-system/,
    );
  });

  it('a tag on the revision whose follower is not seen healthy (not Programmed, or its pod on the old revision) is gated only', () => {
    const notProgrammed = planUpgradeTags(
      meshOf(base(follower({ name: 'w5', namespace: 'e', rev: 'canary' }, rev(NEW), NEW, false))),
      options(),
    );
    assert.deepEqual(notProgrammed.tags.find((t) => t.tag === 'canary')?.action, 'verify');
    const oldPod = planUpgradeTags(
      meshOf(base(follower({ name: 'w5', namespace: 'e', rev: 'canary' }, rev(OLD), OLD, true))),
      options(),
    );
    assert.match(
      oldPod.tags.find((t) => t.tag === 'canary')?.reason ?? '',
      /^already on 1-28-10, but e\/w5 not seen healthy yet: gated before the next tag$/,
    );
  });

  it('preconditions: the target istiod ready, no failing skew finding, no incomplete or split tag', () => {
    const unready = base().map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'istiod-1-28-10'
        ? { ...o, status: { ...(o['status'] as object), readyReplicas: 0 } }
        : o,
    );
    const failing: Finding = {
      component: 'kubernetes',
      name: 'kube-apiserver',
      namespace: '',
      version: 'v1.40.0',
      controlPlane: '1-28-10',
      controlPlaneVersion: NEW,
      rule: 'kubernetes-support',
      status: 'fail',
      message: 'Kubernetes 1.40 is outside the range Istio 1.28 supports',
    };
    const incomplete = base().map((o) =>
      o.kind === 'MutatingWebhookConfiguration' && o.metadata.name === 'istio-revision-tag-prod'
        ? {
            ...o,
            metadata: {
              ...o.metadata,
              annotations: {
                ...(o.metadata.annotations ?? {}),
                [OPERATION]: JSON.stringify({
                  id: 'x1',
                  op: 'move',
                  from: '1-27-9',
                  to: '1-28-10',
                  at: '2026-11-27T11:00:00Z',
                  history: [],
                  fromObjects: ['webhook'],
                  toObjects: ['webhook', 'service'],
                }),
              },
            },
          }
        : o,
    );
    const plan = planUpgradeTags(meshOf(unready), options({ skew: [failing] }));
    assert.deepEqual(
      plan.preconditions.map((p) => [p.check, p.ok]),
      [
        ['istiod-ready', false],
        ['skew', false],
        ['tags', true],
      ],
    );
    assert.deepEqual(plan.preconditions[1]?.details, [
      'kubernetes kube-apiserver: Kubernetes 1.40 is outside the range Istio 1.28 supports',
    ]);
    const inc = planUpgradeTags(meshOf(incomplete), options());
    assert.equal(inc.ok, false);
    assert.match(
      inc.preconditions[2]?.details[0] ?? '',
      /^tag prod: a tag-move from 1-27-9 to 1-28-10 \(operation x1, .*\) did not complete/,
    );
    // A tag with an unfinished operation is not "on the revision", whatever its objects say.
    assert.equal(inc.tags.find((t) => t.tag === 'prod')?.action, 'move');
  });

  it('an unknown revision is an input error naming the installed ones', () => {
    assert.throws(
      () => planUpgradeTags(meshOf(base()), options({ revision: '1-29-9' })),
      /revision "1-29-9" not found in namespace istio-system/,
    );
  });

  it('--tags parsing', () => {
    assert.deepEqual(parseTagList('canary, prod,default'), ['canary', 'prod', 'default']);
    assert.throws(() => parseTagList('prod,,default'), /an empty name/);
    assert.throws(() => parseTagList('prod,prod'), /prod is listed twice/);
    assert.throws(() => parseTagList('Prod'), /invalid tag name "Prod"/);
  });
});
