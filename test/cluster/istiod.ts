/**
 * An istiod-like controller for the simulated cluster (§3.1, §3.2): whenever tags, Gateways,
 * Namespaces or istiod Deployments change, every Istio Gateway/waypoint is assigned to the revision
 * that owns it (own `istio.io/rev`, else its namespace's, else the default; a tag resolves through
 * its webhook, else its 1.28+ Service) and its proxy Deployment is re-rendered for that revision:
 * pod-template `istio.io/rev`, the proxy image of that revision's version, `CA_ADDR`. The workloads
 * controller then rolls it out (ready after its delay). The owning istiod also writes the Gateway's
 * status: `Accepted=True`, and `Programmed=True` once the proxy Deployment is rendered for the owning
 * revision and rolled out (`False`, reason `Pending`, before). Real istiod bases Programmed on the
 * address of the Gateway's Service; the gate of `upgrade` reads both, so the simulator ties it to the
 * proxy (the brief of issue 18). Written independently of src/core on purpose: a shared bug must not
 * make both sides agree.
 */
import type { Controller, SimCluster } from './sim-types.ts';
import type { KubeObject, StoreEvent } from './types.ts';

const REV = 'istio.io/rev';
const TAG = 'istio.io/tag';

export interface IstiodOptions {
  istioNamespace?: string;
  /** Delay before istiod re-renders after a change (default 0). */
  renderDelayMs?: number;
}

interface PodTemplateDeployment extends KubeObject {
  spec: {
    replicas?: number;
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: { name: string; image?: string; env?: { name: string; value?: string }[] }[] };
    };
  };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; replicas?: number };
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

/** Rendered for `rev` and rolled out: every replica updated and ready, the current generation observed. */
function proxyReady(d: PodTemplateDeployment, rev: string): boolean {
  const st = d.status ?? {};
  const replicas = d.spec.replicas ?? 1;
  return (
    d.spec.template.metadata.annotations?.[REV] === rev &&
    st.observedGeneration === d.metadata.generation &&
    (st.readyReplicas ?? 0) >= replicas &&
    (st.updatedReplicas ?? 0) >= replicas &&
    (st.replicas ?? replicas) <= replicas
  );
}

/** Writes the Gateway's Accepted and Programmed conditions when they change (kept timestamps otherwise). */
function writeStatus(sim: SimCluster, g: KubeObject, programmed: boolean, rev: string): void {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = (g['status'] ?? {}) as { conditions?: Condition[] };
  const old = status.conditions ?? [];
  const generation = g.metadata.generation ?? 1;
  const cond = (type: string, ok: boolean, reason: string, message: string): Condition => {
    const prev = old.find((c) => c.type === type);
    const s = ok ? 'True' : 'False';
    return {
      type,
      status: s,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: prev !== undefined && prev.status === s ? prev.lastTransitionTime : now,
    };
  };
  const conditions = [
    cond('Accepted', true, 'Accepted', 'Resource accepted'),
    programmed
      ? cond('Programmed', true, 'Programmed', `Resource programmed, proxy ready on revision ${rev}`)
      : cond('Programmed', false, 'Pending', `Waiting for the proxy Deployment to be ready on revision ${rev}`),
  ];
  if (JSON.stringify(conditions) === JSON.stringify(old)) return;
  sim.upsert({ ...structuredClone(g), status: { ...status, conditions } });
}

function reconcile(sim: SimCluster, ns: string, render = true): void {
  const tags = new Map<string, string>();
  for (const s of sim.list({ apiVersion: 'v1', kind: 'Service', namespace: ns, labelSelector: TAG })) {
    const t = s.metadata.labels?.[TAG];
    const r = s.metadata.labels?.[REV];
    if (t !== undefined && r !== undefined) tags.set(t, r);
  }
  for (const m of sim.list({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    labelSelector: TAG,
  })) {
    const t = m.metadata.labels?.[TAG];
    const r = m.metadata.labels?.[REV];
    if (t !== undefined && r !== undefined) tags.set(t, r); // the webhook wins over the Service
  }
  const versions = new Map<string, string>();
  for (const d of sim.list({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: ns,
    labelSelector: 'app=istiod',
  }) as PodTemplateDeployment[]) {
    const image = d.spec.template.spec.containers[0]?.image ?? '';
    const m = /:(\d+\.\d+\.\d+)/.exec(image);
    versions.set(d.metadata.labels?.[REV] ?? 'default', m?.[1] ?? 'latest');
  }
  const validator = sim.get({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    name: 'istiod-default-validator',
  });
  const defaultRev = tags.get('default') ?? validator?.metadata.labels?.[REV] ?? 'default';
  const nsLabels = new Map(
    sim.list({ apiVersion: 'v1', kind: 'Namespace' }).map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]),
  );

  for (const g of sim.list({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' })) {
    const cls = (g['spec'] as { gatewayClassName?: string } | undefined)?.gatewayClassName ?? '';
    if (!cls.startsWith('istio') || cls === 'istio-remote') continue; // istio-remote gets no Deployment (§3.11)
    const gns = g.metadata.namespace ?? 'default';
    // Own label, else the namespace's; an empty value at either level means the default (§3.9).
    const requested = g.metadata.labels?.[REV] ?? nsLabels.get(gns)?.[REV];
    const rev =
      requested === undefined || requested === ''
        ? defaultRev
        : (tags.get(requested) ?? (versions.has(requested) ? requested : undefined));
    if (rev === undefined || !versions.has(rev)) continue; // no istiod owns it: nothing re-renders it
    const version = versions.get(rev) ?? 'latest';
    const selector = `gateway.networking.k8s.io/gateway-name=${g.metadata.name ?? ''}`;
    const proxies = sim.list({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: gns,
      labelSelector: selector,
    }) as PodTemplateDeployment[];
    writeStatus(sim, g, proxies.length > 0 && proxies.every((d) => proxyReady(d, rev)), rev);
    if (!render) continue;
    for (const d of proxies) {
      const tpl = d.spec.template;
      if (tpl.metadata.annotations?.[REV] === rev) continue;
      const next = structuredClone(d);
      next.spec.template.metadata.annotations = { ...(tpl.metadata.annotations ?? {}), [REV]: rev };
      for (const c of next.spec.template.spec.containers) {
        if (c.name !== 'istio-proxy') continue;
        c.image = `${(c.image ?? 'docker.io/istio/proxyv2').replace(/:[^/]*$/, '')}:${version}`;
        c.env = (c.env ?? []).map((e) => (e.name === 'CA_ADDR' ? { ...e, value: `istiod-${rev}.${ns}.svc:15012` } : e));
      }
      sim.upsert(next);
    }
  }
}

/**
 * What istiod does when it starts: writes the status of the Gateways it owns (it does not re-render
 * their proxies here, so a scenario's half-done rollouts stay as built).
 */
export function istiodStartup(sim: SimCluster, opts: IstiodOptions = {}): void {
  reconcile(sim, opts.istioNamespace ?? 'istio-system', false);
}

/** A MODIFIED event that changed only the object's status (istiod's own status writes, a rollout's progress). */
function statusOnly(event: StoreEvent): boolean {
  if (event.type !== 'MODIFIED' || event.oldObject === undefined) return false;
  const strip = (o: KubeObject): string => {
    const { status: _s, metadata, ...rest } = o;
    const { resourceVersion: _rv, managedFields: _m, ...meta } = metadata;
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return strip(event.object) === strip(event.oldObject);
}

/** The controller; register it with `sim.addController(istiodController(...))`, then call istiodStartup. */
export function istiodController(opts: IstiodOptions = {}): Controller {
  const ns = opts.istioNamespace ?? 'istio-system';
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  let render = false;
  return (event, sim) => {
    const k = event.object.kind;
    const labels = event.object.metadata.labels ?? {};
    const config =
      k === 'MutatingWebhookConfiguration' ||
      k === 'ValidatingWebhookConfiguration' ||
      k === 'Gateway' ||
      k === 'Namespace' ||
      (k === 'Service' && event.object.metadata.namespace === ns) ||
      (k === 'Deployment' && labels['app'] === 'istiod');
    // A proxy Deployment's rollout, or a status write, only updates the Gateways' status (Programmed).
    const proxy = k === 'Deployment' && labels['gateway.istio.io/managed'] !== undefined;
    if (!config && !proxy) return;
    if (config && !(k === 'Gateway' && statusOnly(event))) render = true;
    if (scheduled !== undefined) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      const full = render;
      render = false;
      reconcile(sim, ns, full);
    }, opts.renderDelayMs ?? 0);
    scheduled.unref?.();
  };
}
