import { APP, DATAPLANE_MODE, GATEWAY_MANAGED, REV } from './labels.ts';
import type { DaemonSet, Deployment, Gateway, Namespace, Service, WebhookConfiguration } from './model.ts';
import type { ClusterReader, KindName, ListQuery } from './ports.ts';

/**
 * Everything `revisions`, `tags`, `tag-move` and `skew` look at, gathered with a fixed set of list
 * calls (SNAPSHOT_QUERIES), each with a server-side selector, run concurrently. The number of
 * requests does not depend on the size of the cluster (list pages aside): everything is joined in
 * memory, never fetched per tag or per namespace (istioctl's `tag list` N+1 is the counter-example).
 */
export interface Snapshot {
  istioNamespace: string;
  /** Revision and tag injectors: MWCs labelled `istio.io/rev` (§2.1 "all revision and tag MWCs"). */
  mutatingWebhooks: WebhookConfiguration[];
  /** VWCs labelled `istio.io/rev`: per-revision validators and `istiod-default-validator` (§2.2 step 6). */
  validatingWebhooks: WebhookConfiguration[];
  /** Services labelled `istio.io/rev` in the Istio namespace: canonical `istiod-<rev>` and 1.28+ tag Services (§1.3b). */
  services: Service[];
  /** istiod Deployments (`app=istiod`) in the Istio namespace (§4.2). */
  istiods: Deployment[];
  /** Every DaemonSet (few per cluster): ztunnel and istio-cni are picked in memory, whatever namespace they run in. */
  daemonSets: DaemonSet[];
  /** Namespaces labelled `istio.io/rev` or `istio.io/dataplane-mode` (metadata only), de-duplicated. */
  namespaces: Namespace[];
  /** Gateway API Gateways in every namespace; none when the Gateway API is not installed. */
  gateways: Gateway[];
  /** Deployments istiod renders for Gateways and waypoints (`gateway.istio.io/managed`, §3.2). */
  proxies: Deployment[];
}

/** The fixed set of list calls behind a Snapshot, as data: documented in the README, counted in tests. */
export function snapshotQueries(istioNamespace: string) {
  return {
    mutatingWebhooks: query({ kind: 'MutatingWebhookConfiguration', labelSelector: REV }),
    validatingWebhooks: query({ kind: 'ValidatingWebhookConfiguration', labelSelector: REV }),
    services: query({ kind: 'Service', namespace: istioNamespace, labelSelector: REV }),
    istiods: query({ kind: 'Deployment', namespace: istioNamespace, labelSelector: `${APP}=istiod` }),
    daemonSets: query({ kind: 'DaemonSet' }),
    revNamespaces: query({ kind: 'Namespace', labelSelector: REV, metadataOnly: true }),
    ambientNamespaces: query({ kind: 'Namespace', labelSelector: DATAPLANE_MODE, metadataOnly: true }),
    gateways: query({ kind: 'Gateway', optional: true, summary: true }),
    proxies: query({ kind: 'Deployment', labelSelector: GATEWAY_MANAGED, summary: true }),
  };
}

function query<K extends KindName>(q: ListQuery<K>): ListQuery<K> {
  return q;
}

/** Runs the snapshot's list calls concurrently and assembles the Snapshot. */
export async function gatherSnapshot(reader: ClusterReader, istioNamespace: string): Promise<Snapshot> {
  const q = snapshotQueries(istioNamespace);
  const [mutatingWebhooks, validatingWebhooks, services, istiods, daemonSets, revNs, ambientNs, gateways, proxies] =
    await Promise.all([
      reader.list(q.mutatingWebhooks),
      reader.list(q.validatingWebhooks),
      reader.list(q.services),
      reader.list(q.istiods),
      reader.list(q.daemonSets),
      reader.list(q.revNamespaces),
      reader.list(q.ambientNamespaces),
      reader.list(q.gateways),
      reader.list(q.proxies),
    ]);
  const byName = new Map<string, Namespace>();
  for (const ns of [...revNs, ...ambientNs]) byName.set(ns.metadata.name, ns);
  return {
    istioNamespace,
    mutatingWebhooks,
    validatingWebhooks,
    services,
    istiods,
    daemonSets,
    namespaces: [...byName.values()],
    gateways,
    proxies,
  };
}
