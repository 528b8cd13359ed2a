/**
 * Plain structural types for the Kubernetes objects the suite reads and writes. They carry only the
 * fields the domain looks at; anything else an object has is kept untouched (index signatures), so
 * an object read from the cluster can be written back without losing fields.
 */

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  [key: string]: unknown;
}

/** Any API object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface WebhookClientConfig {
  service?: { name: string; namespace: string; path?: string; port?: number };
  url?: string;
  caBundle?: string;
}

/** One webhook of a Mutating/ValidatingWebhookConfiguration. */
export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  reinvocationPolicy?: string;
  admissionReviewVersions?: string[];
  failurePolicy?: string;
  [key: string]: unknown;
}

export interface WebhookConfiguration extends KubeObject {
  webhooks?: Webhook[];
}

export interface ServicePort {
  port: number;
  name?: string;
  targetPort?: number | string;
  protocol?: string;
  [key: string]: unknown;
}
export interface Service extends KubeObject {
  spec?: { selector?: Labels; ports?: ServicePort[]; [key: string]: unknown };
}

export interface EnvVar {
  name: string;
  value?: string;
  [key: string]: unknown;
}
export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  [key: string]: unknown;
}
export interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Labels };
  spec?: { containers?: Container[]; [key: string]: unknown };
}

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; template?: PodTemplate; [key: string]: unknown };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    [key: string]: unknown;
  };
}

export interface DaemonSet extends KubeObject {
  spec?: { template?: PodTemplate; [key: string]: unknown };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    [key: string]: unknown;
  };
}

export interface Gateway extends KubeObject {
  spec?: { gatewayClassName?: string; [key: string]: unknown };
}

export interface GatewayClass extends KubeObject {
  spec?: { controllerName?: string; [key: string]: unknown };
}

export type Namespace = KubeObject;

/** A Pod as read metadata-only (PartialObjectMetadata): labels and annotations are what the domain reads. */
export type Pod = KubeObject;

/** A CustomResourceDefinition, read as metadata only (labels say which chart version installed it, §4.3). */
export type CustomResourceDefinition = KubeObject;

/** Kubernetes server version as served by `/version`. */
export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

/** The object type of each kind the suite reads (ports.ts gives each its API coordinates). */
export interface KindTypes {
  MutatingWebhookConfiguration: WebhookConfiguration;
  ValidatingWebhookConfiguration: WebhookConfiguration;
  Service: Service;
  Deployment: Deployment;
  DaemonSet: DaemonSet;
  Namespace: Namespace;
  Gateway: Gateway;
  GatewayClass: GatewayClass;
  Pod: Pod;
  CustomResourceDefinition: CustomResourceDefinition;
}
