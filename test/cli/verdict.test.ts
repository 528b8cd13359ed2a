/**
 * The SAFE TO REMOVE verdict (istio-semantics.md §3.7): for every referrer the API server can show,
 * a cluster built from Istio's real Helm renders where only that referrer still depends on the old
 * revision must call it IN USE with that reason, and negative controls must leave it SAFE TO REMOVE.
 * The old revision is 1.28.10 (it reads tag Services), the new one 1.30.3; every tag is on the new one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationValue } from '../../src/core/history.ts';
import { OPERATION, REV } from '../../src/core/labels.ts';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  ambientNamespace,
  cni,
  gateway,
  gatewayChartPod,
  pod,
  helmRender,
  istiod,
  namespace,
  proxyDeployment,
  revOf,
  sidecarPod,
  tagObjects,
  ztunnel,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type StartOptions } from '../support/sim.ts';

const OLD = '1.28.10';
const NEW = '1.30.3';
const old = revOf(OLD);
const neu = revOf(NEW);

/** Both control planes, `default` and `prod` on the new one, ztunnel and CNI on the new one: the old one is unused. */
function base(): KubeObject[] {
  return [
    namespace('istio-system'),
    ...istiod(OLD),
    ...istiod(NEW),
    ...tagObjects(NEW, 'default'),
    ...tagObjects(NEW, 'prod'),
    ...ztunnel(NEW),
    ...cni(NEW),
  ];
}

/** The base cluster without the objects `drop` matches, plus `extra`. */
function cluster(extra: KubeObject[], drop: (o: KubeObject) => boolean = () => false): KubeObject[] {
  return [...base().filter((o) => !drop(o)), ...extra];
}

function withMeta(
  o: KubeObject,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
): KubeObject {
  return {
    ...o,
    metadata: {
      ...o.metadata,
      labels: { ...(o.metadata.labels ?? {}), ...(meta.labels ?? {}) },
      annotations: { ...(o.metadata.annotations ?? {}), ...(meta.annotations ?? {}) },
    },
  };
}

const helmOwned = (o: KubeObject, release: string): KubeObject =>
  withMeta(o, {
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': 'istio-system' },
  });

/** `revisions -o json` on a cluster of `objects`, and the old revision's view. */
async function verdict(
  objects: KubeObject[],
  opts: StartOptions = {},
  prepare?: (c: Awaited<ReturnType<typeof startCluster>>) => void,
): Promise<{ view: RevisionView; all: RevisionView[]; stderr: string; code: number }> {
  const c = await startCluster(objects, opts);
  try {
    prepare?.(c);
    const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
    const all = JSON.parse(r.stdout || '[]') as RevisionView[];
    const view = all.find((v) => v.revision === old);
    assert.ok(view, `no view of ${old}: ${r.stderr}`);
    return { view, all, stderr: r.stderr, code: r.code };
  } finally {
    await c.close();
  }
}

/** The reasons as `code/row object` strings. */
const reasons = (v: RevisionView): string[] =>
  v.reasons.map(
    (r) =>
      `${r.code}/${r.row} ${r.object.kind} ${r.object.namespace !== undefined ? `${r.object.namespace}/` : ''}${r.object.name}`,
  );

describe('SAFE TO REMOVE: §3.7, one referrer at a time', () => {
  it('the base cluster: the old revision is SAFE TO REMOVE and the new one IN USE', async () => {
    const { view, all } = await verdict(base());
    assert.equal(view.status, 'safe');
    assert.deepEqual(view.reasons, []);
    assert.equal(all.find((v) => v.revision === neu)?.status, 'in-use');
  });

  it('row 1: a tag webhook on the old revision', async () => {
    const { view } = await verdict(cluster(tagObjects(OLD, 'canary')));
    assert.equal(view.status, 'in-use');
    assert.deepEqual(reasons(view), [
      'tags/1 MutatingWebhookConfiguration istio-revision-tag-canary',
      'tags/2 Service istio-system/istiod-revision-tag-canary',
    ]);
  });

  it('row 2: a split tag (webhook on new, Service on old) keeps the old revision in use', async () => {
    const oldService = tagObjects(OLD, 'prod').filter((o) => o.kind === 'Service');
    const { view } = await verdict(
      cluster(oldService, (o) => o.kind === 'Service' && o.metadata.name === 'istiod-revision-tag-prod'),
    );
    assert.equal(view.status, 'in-use');
    assert.deepEqual(reasons(view), ['tags/2 Service istio-system/istiod-revision-tag-prod']);
    assert.match(
      view.reasons[0]?.message ?? '',
      /tag prod is split: its Service istiod-revision-tag-prod still points at it while its webhook points at 1-30-3/,
    );
  });

  it('row 2 does not apply to a pre-1.28 revision: it reads no tag Services (§3.1)', async () => {
    const service = withMeta(tagObjects(OLD, 'prod').filter((o) => o.kind === 'Service')[0] ?? assert.fail(), {
      labels: { 'istio.io/rev': revOf('1.27.9') },
    });
    const objects = [
      ...cluster([service], (o) => o.kind === 'Service' && o.metadata.name === 'istiod-revision-tag-prod'),
      ...istiod('1.27.9'),
    ];
    const c = await startCluster(objects);
    try {
      const r = await ambient(['revisions', revOf('1.27.9'), '-o', 'json'], { kubeconfig: c.kubeconfig });
      const v = JSON.parse(r.stdout) as RevisionView;
      assert.equal(v.status, 'safe', JSON.stringify(v.reasons));
    } finally {
      await c.close();
    }
  });

  it('row 3: istiod-default-validator still on the old revision (base chart render)', async () => {
    const { view } = await verdict(cluster(helmRender(OLD, `base-default-validator-rev-${old}.yaml`)));
    assert.equal(view.status, 'in-use');
    assert.deepEqual(reasons(view), ['validator/3 ValidatingWebhookConfiguration istiod-default-validator']);
    assert.match(view.reasons[0]?.message ?? '', /rejects every write of Istio config/);
    assert.match(
      view.reasons[0]?.fix ?? '',
      /helm upgrade istio-base istio\/base -n istio-system --reuse-values --set defaultRevision=<revision>/,
    );
  });

  it('row 3: a validator that calls the old istiod Service while labelled with the new revision', async () => {
    const validator = helmRender(OLD, `base-default-validator-rev-${old}.yaml`).map((o) =>
      withMeta(o, { labels: { 'istio.io/rev': neu } }),
    );
    const { view } = await verdict(cluster(validator));
    assert.deepEqual(reasons(view), ['validator/3 ValidatingWebhookConfiguration istiod-default-validator']);
  });

  it('row 4: a namespace labelled with the old revision, and one labelled with a tag on it', async () => {
    const { view } = await verdict(
      cluster([
        namespace('direct', { 'istio.io/rev': old }),
        ...tagObjects(OLD, 'legacy'),
        namespace('billing', { 'istio.io/rev': 'legacy' }),
      ]),
    );
    assert.deepEqual(
      reasons(view).filter((r) => r.startsWith('ns/')),
      ['ns/4 Namespace billing', 'ns/4 Namespace direct'],
    );
    assert.deepEqual(view.namespaces, ['billing', 'direct']);
  });

  it('row 5: istio-injection=enabled counts for the default injector', async () => {
    const objects = cluster(
      [...tagObjects(OLD, 'default'), namespace('classic', { 'istio-injection': 'enabled' })],
      (o) => o.metadata.name === 'istio-revision-tag-default' || o.metadata.name === 'istiod-revision-tag-default',
    );
    const { view } = await verdict(objects);
    assert.ok(reasons(view).includes('ns/5 Namespace classic'), reasons(view).join('\n'));
  });

  it('row 6: a running sidecar pod injected by the old revision; a Succeeded one is not counted', async () => {
    const { view } = await verdict(
      cluster([
        namespace('shop'),
        sidecarPod('shop', 'cart-5d8f9c-a1b2c', old),
        sidecarPod('shop', 'batch-5d8f9c-z9y8x', old, { phase: 'Succeeded' }),
      ]),
    );
    assert.deepEqual(reasons(view), ['pods/6 Pod shop/cart-5d8f9c-a1b2c']);
    assert.equal(view.pods, 1);
    assert.equal(view.reasons[0]?.count, 1);
  });

  it('negative control: only a Succeeded pod of the old revision: SAFE TO REMOVE', async () => {
    const { view } = await verdict(
      cluster([
        namespace('shop'),
        sidecarPod('shop', 'batch-5d8f9c-z9y8x', old, { phase: 'Succeeded' }),
        sidecarPod('shop', 'crash-5d8f9c-z9y8x', old, { phase: 'Failed' }),
      ]),
    );
    assert.equal(view.status, 'safe', reasons(view).join('\n'));
  });

  it('row 6 and 7: an istio/gateway chart gateway (no gateway.istio.io/managed label) pinned to the old revision', async () => {
    const { view } = await verdict(
      cluster([
        namespace('istio-ingress'),
        gatewayChartPod('istio-ingress', 'istio-ingress-7f9d8c6b5-k2j4h', old, old),
      ]),
    );
    assert.deepEqual(reasons(view), ['pods/6 Pod istio-ingress/istio-ingress-7f9d8c6b5-k2j4h']);
  });

  it('row 7: a pod labelled for the old revision, still running the new one, in a namespace that names no revision', async () => {
    const { view } = await verdict(
      cluster([namespace('edge'), gatewayChartPod('edge', 'istio-edge-7f9d8c6b5-k2j4h', old, neu)]),
    );
    assert.deepEqual(reasons(view), ['pods/7 Pod edge/istio-edge-7f9d8c6b5-k2j4h']);
    assert.match(view.reasons[0]?.message ?? '', /recreated, they are injected by it/);
  });

  it('row 7: a pod labelled for the old revision and never injected (no proxy labels) is found by the second pod list', async () => {
    const labelled = pod({ namespace: 'edge', name: 'batch-7f9d8c6b5-k2j4h', labels: { app: 'batch', [REV]: old } });
    const { view } = await verdict(cluster([namespace('edge'), labelled]));
    assert.deepEqual(reasons(view), ['pods/7 Pod edge/batch-7f9d8c6b5-k2j4h']);
  });

  it('row 7 does not apply where the namespace names a revision, or to sidecar.istio.io/inject=false pods', async () => {
    const pinned = gatewayChartPod('labelled', 'istio-edge-7f9d8c6b5-k2j4h', old, neu);
    const off = withMeta(gatewayChartPod('edge', 'istio-off-7f9d8c6b5-k2j4h', old, neu), {
      labels: { 'sidecar.istio.io/inject': 'false' },
    });
    const { view } = await verdict(
      cluster([namespace('labelled', { 'istio.io/rev': 'prod' }), pinned, namespace('edge'), off]),
    );
    assert.equal(view.status, 'safe', reasons(view).join('\n'));
  });

  it('row 8: a Gateway labelled with the old revision keeps it in use before any pod exists', async () => {
    const { view } = await verdict(
      cluster([ambientNamespace('apps'), gateway({ name: 'waypoint', namespace: 'apps', rev: old })]),
      { istiod: false },
    );
    assert.deepEqual(reasons(view), ['gw/8 Gateway apps/waypoint']);
  });

  it('row 8, §3.11: an agentgateway, east-west and custom-class gateway count; istio-remote does not', async () => {
    const custom: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'corp-ingress' },
      spec: { controllerName: 'istio.io/gateway-controller' },
    };
    const objects = cluster([
      namespace('edge'),
      custom,
      gateway({ name: 'agw', namespace: 'edge', className: 'istio-agentgateway', rev: old }),
      gateway({ name: 'eastwest', namespace: 'edge', className: 'istio-east-west', rev: old }),
      gateway({ name: 'corp', namespace: 'edge', className: 'corp-ingress', rev: old }),
      gateway({ name: 'remote', namespace: 'edge', className: 'istio-remote', rev: old }),
    ]);
    const { view } = await verdict(objects, { istiod: false });
    assert.deepEqual(reasons(view), ['gw/8 Gateway edge/agw', 'gw/8 Gateway edge/corp', 'gw/8 Gateway edge/eastwest']);
  });

  it('row 8, §3.9: istio.io/rev "" on a Gateway means the default, even inside a namespace labelled prod', async () => {
    const objects = cluster(
      [
        ...tagObjects(OLD, 'default'),
        ambientNamespace('apps', 'prod'),
        gateway({ name: 'waypoint', namespace: 'apps', rev: '' }),
      ],
      (o) => o.metadata.name === 'istio-revision-tag-default' || o.metadata.name === 'istiod-revision-tag-default',
    );
    const { view } = await verdict(objects, { istiod: false });
    assert.ok(reasons(view).includes('gw/8 Gateway apps/waypoint'), reasons(view).join('\n'));
  });

  it('row 8, §3.9: istio.io/rev "" on the namespace means the default too', async () => {
    const objects = cluster(
      [...tagObjects(OLD, 'default'), ambientNamespace('apps', ''), gateway({ name: 'waypoint', namespace: 'apps' })],
      (o) => o.metadata.name === 'istio-revision-tag-default' || o.metadata.name === 'istiod-revision-tag-default',
    );
    const { view } = await verdict(objects, { istiod: false });
    assert.ok(reasons(view).includes('gw/8 Gateway apps/waypoint'), reasons(view).join('\n'));
  });

  it('negative controls: a Gateway labelled with an unknown tag, a namespace labelled default while the default is elsewhere', async () => {
    const { view } = await verdict(
      cluster([
        ambientNamespace('apps'),
        gateway({ name: 'waypoint', namespace: 'apps', rev: 'nope' }),
        namespace('classic', { 'istio.io/rev': 'default' }),
      ]),
      { istiod: false },
    );
    assert.equal(view.status, 'safe', reasons(view).join('\n'));
  });

  it('row 9: a waypoint rollout in progress (template on new, a pod of the old ReplicaSet on old) shows both revisions', async () => {
    const g = { name: 'waypoint', namespace: 'apps', rev: 'prod' };
    const leftover = sidecarPod('apps', 'waypoint-6c9f7d8b4-old01', old, {
      labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'sidecar.istio.io/inject': 'false' },
    });
    const c = await startCluster(
      cluster([ambientNamespace('apps'), gateway(g), proxyDeployment(g, neu, NEW), leftover]),
    );
    try {
      const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
      const views = JSON.parse(r.stdout) as RevisionView[];
      const v = views.find((x) => x.revision === old);
      assert.deepEqual(v && reasons(v), ['pods/6 Pod apps/waypoint-6c9f7d8b4-old01']);
      assert.deepEqual(
        v?.gateways.map((x) => `${x.namespace}/${x.name} ${x.runningRevisions.join('+')}`),
        [`apps/waypoint ${old}+${neu}`],
      );
      const tags = await ambient(['tags', 'prod'], { kubeconfig: c.kubeconfig });
      assert.match(tags.stdout, new RegExp(`^Waypoints:\\s+apps/waypoint \\(runs ${old}\\+${neu}\\)$`, 'm'));
    } finally {
      await c.close();
    }
  });

  it('row 10: ztunnel pinned to the old revision', async () => {
    const { view } = await verdict([
      ...cluster([], (o) => o.kind === 'DaemonSet' && o.metadata.name === 'ztunnel'),
      ...ztunnel(OLD),
    ]);
    assert.ok(reasons(view).includes('ztunnel/10 DaemonSet istio-system/ztunnel'), reasons(view).join('\n'));
  });

  it("row 11: a tag now on the new revision but owned by the old revision's Helm release", async () => {
    const owned = tagObjects(NEW, 'prod').map((o) => helmOwned(o, `istiod-${old}`));
    const { view } = await verdict(
      cluster(
        owned,
        (o) => o.metadata.name === 'istio-revision-tag-prod' || o.metadata.name === 'istiod-revision-tag-prod',
      ),
    );
    assert.deepEqual(reasons(view), [
      'helm/11 MutatingWebhookConfiguration istio-revision-tag-prod',
      'helm/11 Service istio-system/istiod-revision-tag-prod',
    ]);
    assert.match(
      view.reasons[0]?.message ?? '',
      new RegExp(
        `belongs to Helm release istiod-${old} although it points at ${neu}: "helm uninstall istiod-${old}" deletes it`,
      ),
    );
    assert.match(
      view.reasons[0]?.fix ?? '',
      /helm\.sh\/resource-policy=keep, then helm upgrade .* --reuse-values --set revisionTags=null/,
    );
  });

  it('row 11 follows the release named on the istiod Deployment', async () => {
    const renamed = [...istiod(OLD)].map((o) => (o.kind === 'Deployment' ? helmOwned(o, 'cp-old') : o));
    const owned = tagObjects(NEW, 'prod').map((o) => helmOwned(o, 'cp-old'));
    const objects = [
      ...cluster(
        owned,
        (o) =>
          (o.kind === 'Deployment' && o.metadata.name === `istiod-${old}`) ||
          o.metadata.name === 'istio-revision-tag-prod' ||
          o.metadata.name === 'istiod-revision-tag-prod',
      ),
      ...renamed.filter((o) => o.kind === 'Deployment'),
    ];
    const { view } = await verdict(objects);
    assert.equal(view.helmRelease, 'cp-old');
    assert.deepEqual(
      reasons(view).map((r) => r.split(' ')[0]),
      ['helm/11', 'helm/11'],
    );
  });

  it('an interrupted move (operation record on the webhook): both revisions stay in use until it is finished or undone', async () => {
    const op = operationValue({
      id: 'op-1',
      op: 'move',
      from: old,
      to: neu,
      at: '2026-11-30T12:00:00Z',
      history: [{ revision: old, at: '2026-11-30T12:00:00Z' }],
      fromObjects: ['webhook', 'service'],
      toObjects: ['webhook', 'service'],
    });
    const stuck = tagObjects(NEW, 'prod').map((o) =>
      o.kind === 'MutatingWebhookConfiguration' ? withMeta(o, { annotations: { [OPERATION]: op } }) : o,
    );
    const { view } = await verdict(
      cluster(
        stuck,
        (o) => o.metadata.name === 'istio-revision-tag-prod' || o.metadata.name === 'istiod-revision-tag-prod',
      ),
    );
    assert.deepEqual(reasons(view), ['incomplete/1 MutatingWebhookConfiguration istio-revision-tag-prod']);
    assert.match(
      view.reasons[0]?.fix ?? '',
      new RegExp(`finish it: kubectl ambient tag-move prod ${neu}, or undo it: kubectl ambient tag-rollback prod`),
    );
  });

  it('two webhooks claiming one tag: a duplicate problem, and both revisions in use', async () => {
    const stray = tagObjects(OLD, 'prod')
      .filter((o) => o.kind === 'MutatingWebhookConfiguration')
      .map((o) => ({ ...o, metadata: { ...o.metadata, name: 'istio-revision-tag-prod-copy' } }));
    const c = await startCluster(cluster(stray));
    try {
      const r = await ambient(['revisions', old, '-o', 'json'], { kubeconfig: c.kubeconfig });
      const v = JSON.parse(r.stdout) as RevisionView;
      assert.deepEqual(reasons(v), ['tags/1 MutatingWebhookConfiguration istio-revision-tag-prod-copy']);
      const t = await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig });
      const view = JSON.parse(t.stdout) as TagView;
      assert.deepEqual(
        view.problems.map((p) => p.code),
        ['duplicate'],
      );
      assert.match(
        view.problems[0]?.message ?? '',
        /tag prod is defined by 2 webhooks \(istio-revision-tag-prod -> 1-30-3, istio-revision-tag-prod-copy -> 1-28-10\)/,
      );
    } finally {
      await c.close();
    }
  });
});

describe('SAFE TO REMOVE: what could not be read', () => {
  it('pods forbidden by RBAC: UNKNOWN with the reason, the rest printed, exit 0; --fail-on in-use exits 3', async () => {
    const c = await startCluster(base());
    try {
      c.sim.forbid({ resource: 'pods' });
      const table = await ambient(['revisions'], { kubeconfig: c.kubeconfig });
      assert.equal(table.code, 0, table.stderr);
      assert.match(
        table.stdout,
        new RegExp(`^${old}\\s+1\\.28\\.10\\s+1/1\\s+-\\s+-\\s+0\\s+0\\s+0\\s+UNKNOWN\\s+cannot read pods$`, 'm'),
      );
      assert.match(table.stdout, new RegExp(`^${neu}\\s.*IN USE`, 'm'));
      const detail = await ambient(['revisions', old], { kubeconfig: c.kubeconfig });
      assert.match(detail.stdout, /^Status:\s+UNKNOWN$/m);
      assert.match(
        detail.stdout,
        /^ {2}- pods could not be read \(RBAC refused: pods is forbidden: .*kubectl auth can-i list pods/m,
      );
      const gate = await ambient(['revisions', old, '--fail-on', 'in-use'], { kubeconfig: c.kubeconfig });
      assert.equal(gate.code, 3);
      assert.match(
        gate.stderr,
        new RegExp(`^error: revision ${old} is not safe to remove \\(UNKNOWN\\): pods could not be read`, 'm'),
      );
    } finally {
      await c.close();
    }
  });

  it('--fail-on in-use: 0 for a revision safe to remove, 3 with the reasons otherwise; REVISION is required', async () => {
    const c = await startCluster(cluster([namespace('direct', { 'istio.io/rev': old })]));
    try {
      const gate = await ambient(['revisions', old, '--fail-on', 'in-use'], { kubeconfig: c.kubeconfig });
      assert.equal(gate.code, 3);
      assert.match(
        gate.stderr,
        new RegExp(
          `^error: revision ${old} is not safe to remove \\(IN USE\\): \\[ns\\] namespace direct is labelled istio.io/rev=${old}`,
          'm',
        ),
      );
      c.sim.remove({ apiVersion: 'v1', kind: 'Namespace', name: 'direct' });
      const safe = await ambient(['revisions', old, '--fail-on', 'in-use'], { kubeconfig: c.kubeconfig });
      assert.equal(safe.code, 0, safe.stderr);
      assert.match(safe.stdout, /^Status:\s+SAFE TO REMOVE$/m);
      const missing = await ambient(['revisions', '--fail-on', 'in-use'], { kubeconfig: c.kubeconfig });
      assert.equal(missing.code, 64);
      assert.match(missing.stderr, /^error: --fail-on in-use needs a REVISION/);
    } finally {
      await c.close();
    }
  });

  it('a revision that does not exist: exit 65 with the known names', async () => {
    const c = await startCluster(base());
    try {
      const r = await ambient(['revisions', '1-29-0', '--fail-on', 'in-use'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 65);
      assert.equal(r.stderr, `error: revision "1-29-0" not found in namespace istio-system; known: ${old}, ${neu}\n`);
    } finally {
      await c.close();
    }
  });
});

describe('tags --fail-on', () => {
  it('problem: exit 3 for a split tag, naming the problem; warning also fails on warnings only', async () => {
    const oldService = tagObjects(OLD, 'prod').filter((o) => o.kind === 'Service');
    const c = await startCluster(
      cluster(
        [...oldService, ambientNamespace('reviews', 'canary'), ...tagObjects(NEW, 'canary')],
        (o) => o.kind === 'Service' && o.metadata.name === 'istiod-revision-tag-prod',
      ),
    );
    try {
      const plain = await ambient(['tags'], { kubeconfig: c.kubeconfig });
      assert.equal(plain.code, 0, plain.stderr);
      const gate = await ambient(['tags', '--fail-on', 'problem'], { kubeconfig: c.kubeconfig });
      assert.equal(gate.code, 3);
      assert.match(
        gate.stderr,
        /^problem: tag prod: webhook points at 1-30-3 but Service istiod-revision-tag-prod at 1-28-10/m,
      );
      assert.match(gate.stderr, /^error: 1 problem\(s\) found \(split\); see the lines above for what to do$/m);
      c.sim.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'istio-system', name: 'istiod-revision-tag-prod' });
      const onlyWarnings = await ambient(['tags', '--fail-on', 'problem'], { kubeconfig: c.kubeconfig });
      assert.equal(onlyWarnings.code, 0, onlyWarnings.stderr);
      assert.match(onlyWarnings.stderr, /^warning: ambient namespace\(s\) reviews carry istio.io\/rev=canary/m);
      const strict = await ambient(['tags', '--fail-on', 'warning'], { kubeconfig: c.kubeconfig });
      assert.equal(strict.code, 3);
      // prod's 1.30 webhook is now without its tag Service too (§7): reported, a warning.
      assert.match(strict.stderr, /^error: 2 warning\(s\) found \(ambient-sidecar, no-service\)/m);
    } finally {
      await c.close();
    }
  });
});

describe('-i outside istio-system (§2.7)', () => {
  it('the default tag is found under its suffixed name, and the name istiod reads is reported', async () => {
    const ns = 'istio-control';
    const rendered = helmRender(NEW, `tag-canary-rev-${neu}-ns-istio-control.yaml`).map(
      (o) => JSON.parse(JSON.stringify(o).replaceAll('canary', 'default')) as KubeObject,
    );
    const control = istiod(NEW).map(
      (o) =>
        JSON.parse(
          JSON.stringify(o).replaceAll('"istio-system"', `"${ns}"`).replaceAll('.istio-system.', `.${ns}.`),
        ) as KubeObject,
    );
    const c = await startCluster([namespace(ns), ...control, ...rendered]);
    try {
      const r = await ambient(['tags', 'default', '-i', ns, '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const v = JSON.parse(r.stdout) as TagView;
      assert.equal(v.objects.webhook, 'istio-revision-tag-default-istio-control');
      assert.equal(v.revision, neu);
      const warning = v.problems.find((p) => p.code === 'default-name');
      assert.match(
        warning?.message ?? '',
        /outside istio-system the default tag's webhook is istio-revision-tag-default-istio-control, but istiod's leader election and istioctl 1\.28-1\.30 read istio-revision-tag-default \(absent\)/,
      );
      const revs = await ambient(['revisions', neu, '-i', ns, '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal((JSON.parse(revs.stdout) as RevisionView).default, true);
    } finally {
      await c.close();
    }
  });
});
