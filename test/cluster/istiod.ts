/**
 * An istiod-like controller for the simulated cluster (§3.1, §3.2): whenever tags, Gateways,
 * Namespaces or istiod Deployments change, every Istio Gateway/waypoint is assigned to the revision
 * that owns it (own `istio.io/rev`, else its namespace's, else the default; a tag resolves through
 * its webhook, else its 1.28+ Service) and its proxy Deployment is re-rendered for that revision:
 * pod-template `istio.io/rev`, the proxy image of that revision's version, `CA_ADDR`. The workloads
 * controller then rolls it out (ready after its delay). Written independently of src/core on
 * purpose: a shared bug must not make both sides agree.
 */
import type { Controller, SimCluster } from './sim-types.ts';
import type { KubeObject } from './types.ts';

const REV = 'istio.io/rev';
const TAG = 'istio.io/tag';

export interface IstiodOptions {
  istioNamespace?: string;
  /** Delay before istiod re-renders after a change (default 0). */
  renderDelayMs?: number;
}

interface PodTemplateDeployment extends KubeObject {
  spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { name: string; image?: string; env?: { name: string; value?: string }[] }[] } } };
}

function reconcile(sim: SimCluster, ns: string): void {
  const tags = new Map<string, string>();
  for (const s of sim.list({ apiVersion: 'v1', kind: 'Service', namespace: ns, labelSelector: TAG })) {
    const t = s.metadata.labels?.[TAG];
    const r = s.metadata.labels?.[REV];
    if (t !== undefined && r !== undefined) tags.set(t, r);
  }
  for (const m of sim.list({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', labelSelector: TAG })) {
    const t = m.metadata.labels?.[TAG];
    const r = m.metadata.labels?.[REV];
    if (t !== undefined && r !== undefined) tags.set(t, r); // the webhook wins over the Service
  }
  const versions = new Map<string, string>();
  for (const d of sim.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, labelSelector: 'app=istiod' }) as PodTemplateDeployment[]) {
    const image = d.spec.template.spec.containers[0]?.image ?? '';
    const m = /:(\d+\.\d+\.\d+)/.exec(image);
    versions.set(d.metadata.labels?.[REV] ?? 'default', m?.[1] ?? 'latest');
  }
  const validator = sim.get({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name: 'istiod-default-validator' });
  const defaultRev = tags.get('default') ?? validator?.metadata.labels?.[REV] ?? 'default';
  const nsLabels = new Map(sim.list({ apiVersion: 'v1', kind: 'Namespace' }).map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]));

  for (const g of sim.list({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' })) {
    const cls = (g['spec'] as { gatewayClassName?: string } | undefined)?.gatewayClassName ?? '';
    if (!cls.startsWith('istio') || cls === 'istio-remote') continue; // istio-remote gets no Deployment (§3.11)
    const gns = g.metadata.namespace ?? 'default';
    // Own label, else the namespace's; an empty value at either level means the default (§3.9).
    const requested = g.metadata.labels?.[REV] ?? nsLabels.get(gns)?.[REV];
    const rev = requested === undefined || requested === '' ? defaultRev : (tags.get(requested) ?? (versions.has(requested) ? requested : undefined));
    if (rev === undefined || !versions.has(rev)) continue; // no istiod owns it: nothing re-renders it
    const version = versions.get(rev) ?? 'latest';
    const selector = `gateway.networking.k8s.io/gateway-name=${g.metadata.name ?? ''}`;
    for (const d of sim.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: gns, labelSelector: selector }) as PodTemplateDeployment[]) {
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

/** The controller; register it with `sim.addController(istiodController(...))`. */
export function istiodController(opts: IstiodOptions = {}): Controller {
  const ns = opts.istioNamespace ?? 'istio-system';
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  return (event, sim) => {
    const k = event.object.kind;
    const relevant = k === 'MutatingWebhookConfiguration' || k === 'ValidatingWebhookConfiguration' || k === 'Gateway' || k === 'Namespace' || (k === 'Service' && event.object.metadata.namespace === ns) || (k === 'Deployment' && event.object.metadata.labels?.['app'] === 'istiod');
    if (!relevant || scheduled !== undefined) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      reconcile(sim, ns);
    }, opts.renderDelayMs ?? 0);
    scheduled.unref?.();
  };
}
