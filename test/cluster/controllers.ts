/**
 * Simple deterministic controllers standing in for kube-controller-manager and the kubelets.
 */
import { createHash } from 'node:crypto';
import type { Controller, SimCluster } from './sim-types.ts';
import { isObject, type KubeObject, type StoreEvent } from './types.ts';

/** Annotation that keeps a Deployment (or DaemonSet) from ever becoming ready. */
export const NEVER_READY_ANNOTATION = 'sim.kubectl-ambient.dev/never-ready';

/** Options of the workloads controller. */
export interface WorkloadsOptions {
  readyDelayMs: number;
  nodes: number;
  /** Revisions whose proxies never become ready (read at each reconcile, so it can change). */
  unhealthy: () => ReadonlySet<string>;
  /** Timer scheduling owned by the cluster (cancelled on close). */
  schedule: (fn: () => void, ms: number) => void;
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Copy of `o` without zero-valued keys listed in `omitEmpty` (Go `omitempty` on int32 fields). */
function omitZero(o: Record<string, unknown>, omitEmpty: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!(omitEmpty.includes(k) && v === 0)) out[k] = v;
  return out;
}

/** The `istio.io/rev` annotation of a workload's pod template: the revision its proxies connect to. */
function templateRevision(o: KubeObject): string | undefined {
  const spec = isObject(o['spec']) ? o['spec'] : {};
  const template = isObject(spec['template']) ? spec['template'] : {};
  const meta = isObject(template['metadata']) ? template['metadata'] : {};
  const annotations = isObject(meta['annotations']) ? meta['annotations'] : {};
  const rev = annotations['istio.io/rev'];
  return typeof rev === 'string' ? rev : undefined;
}

/**
 * The status the deployment controller converges to. A Deployment never becomes ready with the
 * never-ready annotation, or when its pods run a revision in `unhealthy` (`--unhealthy-revision`).
 */
export function deploymentStatus(d: KubeObject, unhealthy: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const spec = isObject(d['spec']) ? d['spec'] : {};
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
  const rev = templateRevision(d);
  const neverReady =
    d.metadata.annotations?.[NEVER_READY_ANNOTATION] === 'true' || (rev !== undefined && unhealthy.has(rev));
  const ready = neverReady ? 0 : replicas;
  const now = nowTimestamp();
  const old =
    isObject(d['status']) && Array.isArray(d['status']['conditions']) ? d['status']['conditions'].filter(isObject) : [];
  const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> => {
    const prev = old.find((c) => c['type'] === type);
    const lastTransitionTime =
      prev !== undefined && prev['status'] === status && typeof prev['lastTransitionTime'] === 'string'
        ? prev['lastTransitionTime']
        : now;
    return { type, status, lastUpdateTime: now, lastTransitionTime, reason, message };
  };
  const name = d.metadata.name ?? '';
  return omitZero(
    {
      observedGeneration: d.metadata.generation ?? 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: replicas - ready,
      conditions: [
        ready >= replicas
          ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        ready >= replicas
          ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`)
          : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}" is progressing.`),
      ],
    },
    ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'],
  );
}

/** The status the daemonset controller converges to with `nodes` nodes. */
export function daemonSetStatus(ds: KubeObject, nodes: number): Record<string, unknown> {
  const neverReady = ds.metadata.annotations?.[NEVER_READY_ANNOTATION] === 'true';
  const ready = neverReady ? 0 : nodes;
  return omitZero(
    {
      currentNumberScheduled: nodes,
      numberMisscheduled: 0,
      desiredNumberScheduled: nodes,
      numberReady: ready,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: nodes,
      numberAvailable: ready,
      numberUnavailable: nodes - ready,
    },
    ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'],
  );
}

function observedGeneration(o: KubeObject): unknown {
  return isObject(o['status']) ? o['status']['observedGeneration'] : undefined;
}

/**
 * Workloads controller: when a Deployment or DaemonSet is created or its generation changes,
 * after `readyDelayMs` write the converged status through the store (new RV, MODIFIED event).
 */
export function workloadsController(opts: WorkloadsOptions): Controller {
  return (event: StoreEvent, sim: SimCluster) => {
    if (event.type === 'DELETED') return;
    const o = event.object;
    const isDeployment = o.apiVersion === 'apps/v1' && o.kind === 'Deployment';
    const isDaemonSet = o.apiVersion === 'apps/v1' && o.kind === 'DaemonSet';
    if (!isDeployment && !isDaemonSet) return;
    if (observedGeneration(o) === o.metadata.generation) return;
    const ref = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name ?? '',
    };
    const generation = o.metadata.generation;
    opts.schedule(() => {
      const cur = sim.get(ref);
      if (cur === undefined || cur.metadata.generation !== generation || observedGeneration(cur) === generation) return;
      cur['status'] = isDeployment ? deploymentStatus(cur, opts.unhealthy()) : daemonSetStatus(cur, opts.nodes);
      sim.upsert(cur);
    }, opts.readyDelayMs);
  };
}

/** The `pod-template-hash` of a pod template: a short stable hash of its JSON, like the ReplicaSet controller's. */
export function templateHash(template: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

/** Whether a Deployment or DaemonSet has rolled out its current generation (so old pods are gone). */
function rolledOut(o: KubeObject): boolean {
  const st = isObject(o['status']) ? o['status'] : {};
  if (st['observedGeneration'] !== o.metadata.generation) return false;
  if (o.kind === 'DaemonSet') return (st['numberReady'] ?? 0) === st['desiredNumberScheduled'];
  const spec = isObject(o['spec']) ? o['spec'] : {};
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
  return typeof st['readyReplicas'] === 'number' && st['readyReplicas'] >= replicas;
}

/** The status of a pod the kubelet runs: phase Running, Ready as given, each container running, no restart yet. */
export function podStatus(
  spec: Record<string, unknown>,
  ready: boolean,
  startedAt = nowTimestamp(),
): Record<string, unknown> {
  const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isObject) : [];
  const flag = ready ? 'True' : 'False';
  return {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: startedAt },
      {
        type: 'Ready',
        status: flag,
        lastProbeTime: null,
        lastTransitionTime: startedAt,
        ...(ready ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [istio-proxy]' }),
      },
      { type: 'ContainersReady', status: flag, lastProbeTime: null, lastTransitionTime: startedAt },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: startedAt },
    ],
    startTime: startedAt,
    containerStatuses: containers.map((c) => ({
      name: typeof c['name'] === 'string' ? c['name'] : '',
      ready,
      restartCount: 0,
      started: true,
      image: typeof c['image'] === 'string' ? c['image'] : '',
      state: { running: { startedAt } },
    })),
  };
}

/** Sets a pod's Ready (and its containers' ready) in place; false when it already was. */
function setPodReady(p: KubeObject, ready: boolean): boolean {
  const st = isObject(p['status']) ? p['status'] : undefined;
  if (st === undefined || !Array.isArray(st['conditions'])) return false;
  const flag = ready ? 'True' : 'False';
  const conditions = st['conditions'].filter(isObject);
  const cond = conditions.find((c) => c['type'] === 'Ready');
  if (cond === undefined || cond['status'] === flag) return false;
  const now = nowTimestamp();
  for (const c of conditions) {
    if (c['type'] !== 'Ready' && c['type'] !== 'ContainersReady') continue;
    c['status'] = flag;
    c['lastTransitionTime'] = now;
    delete c['reason'];
    delete c['message'];
  }
  if (Array.isArray(st['containerStatuses']))
    for (const c of st['containerStatuses'].filter(isObject)) c['ready'] = ready;
  return true;
}

/**
 * Pods controller (the ReplicaSet and DaemonSet controllers plus kubelets, reduced to what the suite
 * reads): a Deployment or DaemonSet gets pods of its current template (`pod-template-hash`, phase
 * Running, containers running) as soon as the template changes; they turn Ready when the workload
 * has rolled out (never, for a revision that never becomes ready); pods of older templates are
 * deleted only once the workload has rolled out, so a rollout in progress, or one that never becomes
 * ready, shows pods of both templates, as RollingUpdate does. Restarts and crash loops are not
 * simulated: a test plays the kubelet for those (it writes the pod's status).
 */
export function podsController(opts: { nodes: number }): Controller {
  return (event: StoreEvent, sim: SimCluster) => {
    const o = event.object;
    if (o.apiVersion !== 'apps/v1' || (o.kind !== 'Deployment' && o.kind !== 'DaemonSet')) return;
    const ns = o.metadata.namespace ?? 'default';
    const owner = o.metadata.name ?? '';
    const mine = sim
      .list({ apiVersion: 'v1', kind: 'Pod', namespace: ns })
      .filter((p) => p.metadata.ownerReferences?.some((r) => r['kind'] === o.kind && r['name'] === owner) === true);
    if (event.type === 'DELETED') {
      for (const p of mine) sim.remove({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: p.metadata.name ?? '' });
      return;
    }
    const spec = isObject(o['spec']) ? o['spec'] : {};
    const template = isObject(spec['template']) ? spec['template'] : {};
    const hash = templateHash(template);
    const count = o.kind === 'DaemonSet' ? opts.nodes : typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const meta = isObject(template['metadata']) ? template['metadata'] : {};
    const done = rolledOut(o);
    for (let i = 0; i < count; i++) {
      const name = `${owner}-${hash}-${i}`;
      if (mine.some((p) => p.metadata.name === name)) continue;
      const podSpec = isObject(template['spec']) ? template['spec'] : { containers: [] };
      sim.upsert({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: ns,
          labels: {
            ...(isObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : {}),
            'pod-template-hash': hash,
          },
          annotations: { ...(isObject(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : {}) },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: o.kind, name: owner, uid: o.metadata.uid ?? '', controller: true },
          ],
        },
        spec: podSpec,
        status: podStatus(podSpec, done),
      });
    }
    // The kubelet reports the new pods Ready once the workload's controller counts them ready.
    for (const p of mine)
      if (p.metadata.labels?.['pod-template-hash'] === hash && done && setPodReady(p, true)) sim.upsert(p);
    if (!done) return;
    for (const p of mine)
      if (p.metadata.labels?.['pod-template-hash'] !== hash)
        sim.remove({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: p.metadata.name ?? '' });
  };
}
