/**
 * The health gate of `upgrade`, pure: from the proxy Deployments, pods and Gateways as a
 * watch sees them, whether each Gateway/waypoint that follows a tag runs the target revision and is
 * healthy. A follower passes when
 *  - its proxy Deployment (label `gateway.networking.k8s.io/gateway-name`) is rendered for the
 *    revision (pod-template `istio.io/rev`, §3.2) and rolled out (current generation, every replica
 *    updated and ready, no surplus old replica);
 *  - every pod of it that runs (not terminating, not Succeeded/Failed) carries the annotation
 *    `istio.io/rev` = the revision (the proxy's actual revision, §3.6, §3.7 rows 6 and 9) and is Ready;
 *  - its Gateway reports `Programmed=True` for its current generation (the owning istiod writes the
 *    status, §3.2).
 * A container in CrashLoopBackOff on the revision fails the gate at once; during the soak, a
 * restart (restartCount growing) fails it too (`soakProblems`).
 */
import { GATEWAY_MANAGED, GATEWAY_NAME, REV } from './labels.ts';
import { isReady, programmedOf, proxyRevision } from './mesh.ts';
import type { Deployment, Gateway, Pod } from './model.ts';

/** A Gateway or waypoint the gate looks at. */
export interface GateFollower {
  kind: 'gateway' | 'waypoint';
  namespace: string;
  name: string;
}

/** What the gate reads, as the watches currently see it. */
export interface GateObjects {
  deployments: Deployment[];
  pods: Pod[];
  gateways: Gateway[];
}

/** The health of one follower. */
export interface FollowerHealth {
  follower: GateFollower;
  healthy: boolean;
  /** What is not (yet) true, in words, e.g. `Deployment waypoint not rolled out (0/1 ready)`. */
  problems: string[];
  /** Its running pods, and those on the revision and Ready. */
  pods: number;
  podsOk: number;
  /** Containers in CrashLoopBackOff on the revision (`pod/container (N restarts)`): the gate fails at once. */
  crashLooping: string[];
  /** Restart count of each running pod, by pod name (the soak compares them). */
  restarts: Record<string, number>;
}

interface ContainerStatus {
  name?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
}
interface PodStatus {
  phase?: string;
  conditions?: { type?: string; status?: string }[];
  containerStatuses?: ContainerStatus[];
}

const key = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;
const statusOf = (p: Pod): PodStatus => p['status'] ?? {};

/** A pod that runs: not finished, not being deleted (a terminating old pod is on its way out). */
function running(p: Pod): boolean {
  const phase = statusOf(p).phase;
  return p.metadata['deletionTimestamp'] === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

function podReady(p: Pod): boolean {
  return (statusOf(p).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The pod's restarts: the sum over its containers. */
export function restartCount(p: Pod): number {
  return (statusOf(p).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

function crashLoops(p: Pod): string[] {
  return (statusOf(p).containerStatuses ?? [])
    .filter((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')
    .map(
      (c) => `pod ${p.metadata.name} container ${c.name ?? '?'} in CrashLoopBackOff (${c.restartCount ?? 0} restarts)`,
    );
}

/** The objects indexed by `namespace/gateway-name` once per evaluation (watches hand over full lists). */
export interface GateIndex {
  deployments: Map<string, Deployment[]>;
  pods: Map<string, Pod[]>;
  gateways: Map<string, Gateway>;
}

export function indexGateObjects(o: GateObjects): GateIndex {
  const group = <T extends Deployment | Pod>(list: T[]): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const x of list) {
      const gw = x.metadata.labels?.[GATEWAY_NAME];
      if (gw === undefined) continue;
      const k = key(x.metadata.namespace, gw);
      m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  return {
    deployments: group(o.deployments.filter((d) => d.metadata.labels?.[GATEWAY_MANAGED] !== undefined)),
    pods: group(o.pods.filter(running)),
    gateways: new Map(o.gateways.map((g) => [key(g.metadata.namespace, g.metadata.name), g])),
  };
}

/** The health of one follower against `revision` (see the file comment). */
export function followerHealth(f: GateFollower, revision: string, idx: GateIndex): FollowerHealth {
  const k = key(f.namespace, f.name);
  const problems: string[] = [];
  const deployments = idx.deployments.get(k) ?? [];
  if (deployments.length === 0) problems.push('no proxy Deployment');
  for (const d of deployments) {
    const rev = proxyRevision(d);
    const st = d.status ?? {};
    if (rev !== revision) problems.push(`Deployment ${d.metadata.name} still rendered for ${rev ?? '(no revision)'}`);
    else if (!isReady(d))
      problems.push(
        `Deployment ${d.metadata.name} not rolled out (${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 1} ready)`,
      );
  }
  const pods = idx.pods.get(k) ?? [];
  const on = pods.filter((p) => p.metadata.annotations?.[REV] === revision);
  const ok = on.filter(podReady);
  if (ok.length < pods.length) {
    const others = new Map<string, number>();
    for (const p of pods) {
      const r = p.metadata.annotations?.[REV] ?? '(none)';
      if (r !== revision) others.set(r, (others.get(r) ?? 0) + 1);
    }
    const elsewhere = [...others].map(([r, n]) => `${n} on ${r}`);
    const unready = on.length - ok.length;
    problems.push(
      `${ok.length}/${pods.length} pods on ${revision} and Ready ` +
        `(${[...elsewhere, ...(unready > 0 ? [`${unready} not Ready`] : [])].join(', ')})`,
    );
  }
  const gw = idx.gateways.get(k);
  if (gw === undefined) problems.push('Gateway not found');
  else {
    const c = programmedOf(gw);
    if (c === undefined) problems.push('no Programmed condition');
    else if (c.status !== 'True')
      problems.push(`Programmed=${c.status}${c.reason !== undefined ? ` (${c.reason})` : ''}`);
    else if (!c.current)
      problems.push(
        `Programmed=True is for generation ${c.observedGeneration ?? '?'}, the Gateway is at ` +
          `${gw.metadata.generation ?? '?'}`,
      );
  }
  const restarts: Record<string, number> = {};
  for (const p of pods) restarts[p.metadata.name] = restartCount(p);
  return {
    follower: f,
    healthy: problems.length === 0,
    problems,
    pods: pods.length,
    podsOk: ok.length,
    crashLooping: on.flatMap(crashLoops),
    restarts,
  };
}

/** The health of every follower (one index for all of them). */
export function gateHealth(followers: GateFollower[], revision: string, objects: GateObjects): FollowerHealth[] {
  const idx = indexGateObjects(objects);
  return followers.map((f) => followerHealth(f, revision, idx));
}

/**
 * What fails a soak that started with `baseline` (each pod's restarts at its start): a restart
 * (restartCount above the baseline, or above 0 for a pod that appeared since), a crash loop, or a
 * follower that is no longer healthy.
 */
export function soakProblems(health: FollowerHealth[], baseline: Record<string, number>): string[] {
  const out: string[] = [];
  for (const h of health) {
    const what = `${h.follower.kind} ${h.follower.namespace}/${h.follower.name}`;
    for (const [pod, n] of Object.entries(h.restarts)) {
      const before = baseline[`${h.follower.namespace}/${pod}`] ?? 0;
      if (n > before) out.push(`${what}: pod ${pod} restarted (restartCount ${before} -> ${n})`);
    }
    for (const c of h.crashLooping) out.push(`${what}: ${c}`);
    if (!h.healthy) out.push(`${what}: no longer healthy: ${h.problems.join('; ')}`);
  }
  return out;
}

/** Each pod's restarts at the start of a soak, by `namespace/pod`. */
export function restartBaseline(health: FollowerHealth[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of health) for (const [pod, n] of Object.entries(h.restarts)) out[`${h.follower.namespace}/${pod}`] = n;
  return out;
}

/** `waypoint bookinfo/waypoint: pods on 1-28-10 and Ready: 0/1 (1 on 1-27-9); Programmed=False (...)`, one per unhealthy follower. */
export function describeUnhealthy(health: FollowerHealth[]): string[] {
  return health
    .filter((h) => !h.healthy)
    .map((h) => `${h.follower.kind} ${h.follower.namespace}/${h.follower.name}: ${h.problems.join('; ')}`);
}
