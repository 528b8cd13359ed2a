import { AmbientError } from './errors.ts';
import {
  APP,
  CANONICAL_NAME,
  DATAPLANE_MODE,
  GATEWAY_MANAGED,
  GATEWAY_NAME,
  ISTIO_INJECTION,
  REV,
  SIDECAR_INJECT,
} from './labels.ts';
import type {
  DaemonSet,
  Deployment,
  Gateway,
  GatewayClass,
  Namespace,
  Pod,
  Service,
  WebhookConfiguration,
  KindTypes,
} from './model.ts';
import type { ClusterReader, KindName, ListQuery } from './ports.ts';

/** A list the snapshot could not read (RBAC refused it): verdicts that need it say UNKNOWN, never "safe". */
export interface Unavailable {
  /** What was not read, in words: `pods`, `gateways`, `gateway classes`. */
  what: string;
  /** The API server's reason and what to do, one line. */
  reason: string;
}

/**
 * The cluster state every command joins into a Mesh (`skew` also reads the CRDs, crds.ts, and the
 * server version), gathered with a fixed set of list calls (snapshotQueries), each with a
 * server-side selector, run concurrently. The number of requests does not depend on the size of the
 * cluster (list pages aside): everything is joined in memory, never fetched per tag or per namespace
 * (istioctl's `tag list` N+1 is the counter-example).
 */
export interface Snapshot {
  istioNamespace: string;
  /** Revision and tag injectors: MWCs labelled `istio.io/rev` (§2.1 "all revision and tag MWCs"), cluster-wide. */
  mutatingWebhooks: WebhookConfiguration[];
  /** VWCs labelled `istio.io/rev`: per-revision validators and `istiod-default-validator` (§2.2 step 6, §3.8). */
  validatingWebhooks: WebhookConfiguration[];
  /** Services labelled `istio.io/rev` in the Istio namespace: canonical `istiod-<rev>` and 1.28+ tag Services (§1.3b). */
  services: Service[];
  /** istiod Deployments (`app=istiod`) in the Istio namespace (§4.2). */
  istiods: Deployment[];
  /** Every DaemonSet (few per cluster): ztunnel and istio-cni are picked in memory, whatever namespace they run in. */
  daemonSets: DaemonSet[];
  /** Namespaces labelled `istio.io/rev`, `istio.io/dataplane-mode` or `istio-injection` (metadata only), de-duplicated. */
  namespaces: Namespace[];
  /** Gateway API Gateways in every namespace (v1, else v1beta1); none when the Gateway API is not installed. */
  gateways: Gateway[];
  /** GatewayClasses: their `controllerName` says which Gateways istiod deploys (§3.11). */
  gatewayClasses: GatewayClass[];
  /** Deployments istiod renders for Gateways and waypoints (`gateway.istio.io/managed`, §3.2). */
  proxies: Deployment[];
  /**
   * Pods that are not `Succeeded`/`Failed` and carry a proxy (`service.istio.io/canonical-name`, §3.7
   * row 6) or an `istio.io/rev` label (row 7), metadata only: two lists that do not overlap.
   */
  pods: Pod[];
  /** Lists RBAC refused; empty when everything was read. */
  unavailable: Unavailable[];
}

/** Pods that finished hold no proxy (Sail's `podReferencesRevision` skips them, §3.7). */
const RUNNING_PODS = 'status.phase!=Succeeded,status.phase!=Failed';
/**
 * Pods per page. A pod's metadata (with the sidecar status annotation) is kilobytes before it is cut
 * to POD_KEYS, so a page is parsed whole first: 1,000 a page, and the two pod lists one after the
 * other, keep the peak memory of 20,000 pods near that of the rest of the snapshot.
 */
const POD_PAGE = 1000;
/** What the domain reads of a pod; the rest of its metadata (the sidecar status annotation...) is dropped per page. */
const POD_KEYS = { labels: [REV, SIDECAR_INJECT, GATEWAY_NAME, GATEWAY_MANAGED, APP], annotations: [REV] } as const;

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
    injectionNamespaces: query({ kind: 'Namespace', labelSelector: ISTIO_INJECTION, metadataOnly: true }),
    gateways: query({ kind: 'Gateway', summary: true }),
    gatewayClasses: query({ kind: 'GatewayClass' }),
    proxies: query({ kind: 'Deployment', labelSelector: GATEWAY_MANAGED, summary: true }),
    proxyPods: query({
      kind: 'Pod',
      labelSelector: CANONICAL_NAME,
      fieldSelector: RUNNING_PODS,
      metadataOnly: true,
      summary: true,
      keep: POD_KEYS,
      pageSize: POD_PAGE,
    }),
    // Row 7's pods that the first list did not return: an injected pod labelled istio.io/rev has both
    // labels, and would otherwise be sent, parsed and held twice.
    revPods: query({
      kind: 'Pod',
      labelSelector: `${REV},!${CANONICAL_NAME}`,
      fieldSelector: RUNNING_PODS,
      metadataOnly: true,
      summary: true,
      keep: POD_KEYS,
      pageSize: POD_PAGE,
    }),
  };
}

/** The Gateway API version tried when `v1` is not served (Gateway API before 1.0). */
const GATEWAY_BETA = 'gateway.networking.k8s.io/v1beta1';

function query<K extends KindName>(q: ListQuery<K>): ListQuery<K> {
  return q;
}

type Listed<K extends KindName> = { items: KindTypes[K][]; unavailable?: Unavailable };

/**
 * A list RBAC may refuse: 403 gives no items and an Unavailable naming what is missing; 404 (API not
 * served) gives none, or what `notServed` lists instead.
 */
async function tolerant<K extends KindName>(
  reader: ClusterReader,
  q: ListQuery<K>,
  what: string,
  notServed?: () => Promise<Listed<K>>,
): Promise<Listed<K>> {
  try {
    return { items: await reader.list(q) };
  } catch (e) {
    if (e instanceof AmbientError && e.status === 404) return notServed !== undefined ? notServed() : { items: [] };
    if (e instanceof AmbientError && e.status === 403)
      return { items: [], unavailable: { what, reason: `${e.message}${e.hint !== undefined ? `; ${e.hint}` : ''}` } };
    throw e;
  }
}

/** Gateways at v1, else at v1beta1 (one more request only on clusters without v1); none when neither is served. */
function listGateways(reader: ClusterReader, q: ListQuery<'Gateway'>): Promise<Listed<'Gateway'>> {
  return tolerant(reader, q, 'gateways', () => tolerant(reader, { ...q, apiVersion: GATEWAY_BETA }, 'gateways'));
}

/** The two pod lists, one after the other (see POD_PAGE); concurrent with the other lists. */
async function podLists(
  reader: ClusterReader,
  proxyPods: ListQuery<'Pod'>,
  revPods: ListQuery<'Pod'>,
): Promise<[Listed<'Pod'>, Listed<'Pod'>]> {
  const first = await tolerant(reader, proxyPods, 'pods');
  return [first, await tolerant(reader, revPods, 'pods')];
}

/** Runs the snapshot's list calls concurrently (the pod lists in turn) and assembles the Snapshot. */
export async function gatherSnapshot(reader: ClusterReader, istioNamespace: string): Promise<Snapshot> {
  const q = snapshotQueries(istioNamespace);
  const [
    mutatingWebhooks,
    validatingWebhooks,
    services,
    istiods,
    daemonSets,
    revNs,
    ambientNs,
    injectionNs,
    gateways,
    classes,
    proxies,
    [proxyPods, revPods],
  ] = await Promise.all([
    reader.list(q.mutatingWebhooks),
    reader.list(q.validatingWebhooks),
    reader.list(q.services),
    reader.list(q.istiods),
    reader.list(q.daemonSets),
    reader.list(q.revNamespaces),
    reader.list(q.ambientNamespaces),
    reader.list(q.injectionNamespaces),
    listGateways(reader, q.gateways),
    tolerant(reader, q.gatewayClasses, 'gateway classes'),
    reader.list(q.proxies),
    podLists(reader, q.proxyPods, q.revPods),
  ]);
  return {
    istioNamespace,
    mutatingWebhooks,
    validatingWebhooks,
    services,
    istiods,
    daemonSets,
    namespaces: unique([...revNs, ...ambientNs, ...injectionNs]),
    gateways: gateways.items,
    gatewayClasses: classes.items,
    proxies,
    pods: unique([...proxyPods.items, ...revPods.items]),
    unavailable: uniqueUnavailable([
      gateways.unavailable,
      classes.unavailable,
      proxyPods.unavailable,
      revPods.unavailable,
    ]),
  };
}

/** Objects de-duplicated by namespace and name (an object matched by two selectors is listed twice). */
function unique<T extends { metadata: { name: string; namespace?: string } }>(objects: T[]): T[] {
  const byKey = new Map<string, T>();
  for (const o of objects) byKey.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  return [...byKey.values()];
}

function uniqueUnavailable(list: (Unavailable | undefined)[]): Unavailable[] {
  const byWhat = new Map<string, Unavailable>();
  for (const u of list) if (u !== undefined && !byWhat.has(u.what)) byWhat.set(u.what, u);
  return [...byWhat.values()];
}
