import type { KindTypes, KubeObject, ServerVersion } from './model.ts';

/** The kinds the suite reads, with their API coordinates. The kube layer maps them to URLs. */
export const KINDS = {
  MutatingWebhookConfiguration: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  ValidatingWebhookConfiguration: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  Service: { apiVersion: 'v1', plural: 'services', namespaced: true },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  Gateway: { apiVersion: 'gateway.networking.k8s.io/v1', plural: 'gateways', namespaced: true },
  GatewayClass: { apiVersion: 'gateway.networking.k8s.io/v1', plural: 'gatewayclasses', namespaced: false },
  Pod: { apiVersion: 'v1', plural: 'pods', namespaced: true },
  CustomResourceDefinition: {
    apiVersion: 'apiextensions.k8s.io/v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
} as const satisfies Record<keyof KindTypes, { apiVersion: string; plural: string; namespaced: boolean }>;

export type KindName = keyof typeof KINDS;

/** One list call: a kind, an optional namespace (all namespaces when absent) and a server-side label selector. */
export interface ListQuery<K extends KindName = KindName> {
  kind: K;
  namespace?: string;
  labelSelector?: string;
  /** A server-side field selector, e.g. `status.phase!=Succeeded` for pods. */
  fieldSelector?: string;
  /** The API version to list instead of the kind's own (same group), e.g. `gateway.networking.k8s.io/v1beta1`. */
  apiVersion?: string;
  /** Only metadata is needed (served as PartialObjectMetadata: far fewer bytes on big clusters). */
  metadataOnly?: boolean;
  /** A 404 for this kind means "API not installed": return no objects instead of failing. */
  optional?: boolean;
  /**
   * Keep only what the domain reads of each item (labels, annotations, generation, replicas,
   * pod-template annotations and images, status, gatewayClassName): thousands of Gateways and proxy
   * Deployments then cost a fraction of the memory. Never for objects that are written back.
   */
  summary?: boolean;
  /**
   * With `summary`: keep only these label and annotation keys of each item (thousands of pods then
   * cost a few bytes each instead of their whole metadata). Absent: keep them all.
   */
  keep?: { labels: readonly string[]; annotations: readonly string[] };
  /** Items per page instead of the client's default: smaller pages of large items keep the peak memory down. */
  pageSize?: number;
}

/** What the domain needs to read from a cluster: `list` is one paginated list (a request per page), `serverVersion` one GET /version. */
export interface ClusterReader {
  list<K extends KindName>(query: ListQuery<K>): Promise<KindTypes[K][]>;
  serverVersion(): Promise<ServerVersion>;
}

/** One write of `applyPlan`. `replace` carries the resourceVersion read before (optimistic concurrency). */
export type WriteOp =
  { op: 'create'; object: KubeObject } | { op: 'replace'; object: KubeObject } | { op: 'delete'; object: KubeObject };

/** What a mutating command needs on top of reading. */
export interface ClusterWriter extends ClusterReader {
  /** Performs one write; with dryRun the server validates it and persists nothing. Returns the object the server returned. */
  write(op: WriteOp, opts: { dryRun: boolean; fieldManager: string }): Promise<KubeObject>;
  /**
   * Reads one object by kind, namespace and name; undefined when it does not exist. `ignoreAbort`:
   * the read goes on after Ctrl-C (a writer settling its writes and reading back what it left).
   */
  get<K extends KindName>(
    kind: K,
    name: string,
    namespace?: string,
    opts?: { ignoreAbort?: boolean },
  ): Promise<KindTypes[K] | undefined>;
  /**
   * Watches objects of a kind until `onChange` returns true for the current set or the signal aborts.
   * Calls `onChange` with the full current set after each event, and `onOpen` once the first watch
   * request is accepted (list and watch permitted: a caller can check that before changing anything).
   */
  watch<K extends KindName>(
    query: ListQuery<K>,
    onChange: (objects: KindTypes[K][]) => boolean,
    signal: AbortSignal,
    opts?: { onOpen?: () => void },
  ): Promise<void>;
}

/** A connected cluster: identity for messages plus the reader/writer ports. */
export interface Cluster extends ClusterWriter {
  /** The kubeconfig context in use, for messages ("context X"). */
  readonly contextName: string;
  /** The API server URL, for messages. */
  readonly server: string;
}
