/**
 * Built-in clusters for `npm run sim -- --scenario <name>`, the demo and the tests: real chart
 * renders (test/fixtures/helm) plus builders for the objects istiod and users create at run time.
 */
import {
  ambientNamespace,
  cni,
  gateway,
  istiod,
  istioCrds,
  namespace,
  proxyDeployment,
  revOf,
  sidecarPod,
  tagObjects,
  ztunnel,
  type GatewaySpec,
} from '../support/builders.ts';
import type { KubeObject } from './types.ts';

export interface Scenario {
  objects: KubeObject[];
  /** Extra simulator options (e.g. the Kubernetes version). */
  kubernetesVersion?: string;
}

/** The two control planes of `mid-upgrade`: one minor apart, the new one a 1.28+ (tag Services). */
export const OLD = '1.27.9';
export const NEW = '1.28.10';

interface Follower extends GatewaySpec {
  /** The revision istiod rendered the proxy for. */
  runs: string;
  version: string;
}

function followers(list: Follower[]): KubeObject[] {
  return list.flatMap((f) => [gateway(f), proxyDeployment(f, f.runs, f.version)]);
}

/**
 * Two revisions mid-upgrade (Istio CRDs already at the new version): `default` and `prod` on the old revision, `canary` on the new one;
 * ztunnel and CNI still on the old version and ztunnel pinned to the old revision; ambient
 * namespaces with waypoints following tags, a namespace-labelled waypoint, an unlabelled ingress
 * gateway (follows the default), a sidecar namespace on `prod`, and the §3.6 pitfall (`reviews`).
 */
function midUpgrade(): Scenario {
  const oldRev = revOf(OLD);
  const newRev = revOf(NEW);
  return {
    kubernetesVersion: 'v1.31.4',
    objects: [
      namespace('istio-system'),
      // The runbook's first step is done: the base chart (CRDs) is already at the new version (§1.5, §4.3).
      ...istioCrds(NEW),
      ...istiod(OLD),
      ...istiod(NEW),
      ...tagObjects(OLD, 'default'),
      ...tagObjects(OLD, 'prod'),
      ...tagObjects(NEW, 'canary'),
      ...ztunnel(OLD),
      ...cni(OLD),
      ambientNamespace('bookinfo'),
      ambientNamespace('payments'),
      ambientNamespace('reviews', 'prod'),
      ambientNamespace('orders'),
      namespace('legacy', { 'istio.io/rev': 'prod' }),
      // Sidecar pods injected by the old revision through `prod`: they keep it in use until restarted.
      sidecarPod('legacy', 'billing-7c9f6d-x2k4p', oldRev),
      sidecarPod('legacy', 'billing-7c9f6d-q8w3n', oldRev),
      namespace('ingress'),
      ...followers([
        { name: 'waypoint', namespace: 'bookinfo', rev: 'prod', runs: oldRev, version: OLD },
        { name: 'waypoint', namespace: 'payments', rev: 'canary', runs: newRev, version: NEW },
        { name: 'waypoint', namespace: 'reviews', runs: oldRev, version: OLD },
        { name: 'waypoint', namespace: 'orders', runs: oldRev, version: OLD },
        { name: 'ingress', namespace: 'ingress', className: 'istio', runs: oldRev, version: OLD },
      ]),
    ],
  };
}

/** A fresh install: one revision, no tags, ztunnel and CNI of the same version, one ambient namespace. */
function fresh(): Scenario {
  const v = '1.30.3';
  return {
    kubernetesVersion: 'v1.33.2',
    objects: [
      namespace('istio-system'),
      ...istioCrds(v),
      ...istiod(v),
      ...ztunnel(v),
      ...cni(v),
      ambientNamespace('bookinfo'),
    ],
  };
}

/**
 * `mid-upgrade` at production scale: 10,000 ambient namespaces (a fifth labelled with `prod`), 2,000
 * Gateways and waypoints with their Deployments and pods, and 20,000 sidecar pods.
 */
function large(opts: { namespaces?: number; gateways?: number; podsPerNamespace?: number } = {}): Scenario {
  const base = midUpgrade();
  const nsCount = opts.namespaces ?? 10_000;
  const gwCount = opts.gateways ?? 2_000;
  const objects = [...base.objects];
  for (let i = 0; i < nsCount; i++)
    objects.push(i % 5 === 0 ? namespace(`team-${i}`, { 'istio.io/rev': 'prod' }) : ambientNamespace(`team-${i}`));
  // 20,000 sidecar pods: ten in each namespace labelled prod (the proxy pods of the gateways come from the pods controller).
  for (let i = 0; i < nsCount; i += 5)
    for (let p = 0; p < (opts.podsPerNamespace ?? 10); p++)
      objects.push(sidecarPod(`team-${i}`, `app-${p}-7d4b9c-${String(p).padStart(5, 'x')}`, revOf(OLD)));
  const list: Follower[] = [];
  for (let i = 0; i < gwCount; i++) {
    const ns = `team-${(i * 5 + 1) % nsCount}`;
    const onCanary = i % 4 === 0;
    list.push({
      name: i % 10 === 0 ? 'ingress' : 'waypoint',
      namespace: ns,
      ...(i % 10 === 0 ? { className: 'istio' } : {}),
      rev: onCanary ? 'canary' : 'prod',
      runs: revOf(onCanary ? NEW : OLD),
      version: onCanary ? NEW : OLD,
    });
  }
  objects.push(...followers(list));
  return { ...base, objects };
}

/** Scenarios by name (`--scenario`). */
export const scenarios: Record<string, () => Scenario> = {
  'mid-upgrade': midUpgrade,
  fresh,
  large: () => large(),
};

export { large as largeScenario };
