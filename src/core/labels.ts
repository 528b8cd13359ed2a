/**
 * Every Istio, Gateway API and Helm key and well-known object name the suite reads or writes, once.
 * Facts: `shared/docs/istio-semantics.md` (cited per constant as §n).
 */

/** Revision label on webhooks, Services, Deployments, Namespaces and Gateways; pod annotation of the actual revision (§3.6). */
export const REV = 'istio.io/rev';
/** Tag label on tag webhooks, 1.28+ tag Services and istioctl's default validator (§1.3, §2.2). */
export const TAG = 'istio.io/tag';
/** Ambient enrollment label on Namespaces and Pods (§3.6). */
export const DATAPLANE_MODE = 'istio.io/dataplane-mode';
/** Weighted waypoint canary label on Services, ServiceEntries and Namespaces (1.31 alpha, §3.10). */
export const USE_WAYPOINT_CANARY = 'istio.io/use-waypoint-canary';
/** Legacy sidecar-injection namespace label (§1.3 webhook selectors). */
export const ISTIO_INJECTION = 'istio-injection';
/** Pod-level sidecar opt in/out label (§1.3 objectSelector). */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
/** Label on the Deployments istiod renders for Gateways and waypoints (§3.2). */
export const GATEWAY_MANAGED = 'gateway.istio.io/managed';
/** Gateway API label naming the Gateway a Deployment belongs to (§3.2, waypoint template). */
export const GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';
/** Value of GATEWAY_MANAGED for waypoints (§3.2). */
export const MANAGED_WAYPOINT = 'istio.io-mesh-controller';
/** GatewayClass of waypoints (§3.2). */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** Label on every injected or istiod-rendered proxy pod (§3.7 row 6): the selector of the proxy pod list. */
export const CANONICAL_NAME = 'service.istio.io/canonical-name';
/** Helm's release annotation, set by `helm install/upgrade` (not by `helm template`). */
export const HELM_RELEASE_NAME = 'meta.helm.sh/release-name';
/** Helm's release-namespace annotation. */
export const HELM_RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';
/** Standard managed-by label; `Helm` on 1.24+ chart renders (§1.3). */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Version label on 1.24+ chart renders (§4.2 source 3). */
export const APP_VERSION = 'app.kubernetes.io/version';
/** Version label set by istioctl installs (§4.2 source 4). */
export const OPERATOR_VERSION = 'operator.istio.io/version';
/** Chart labels present on every tag object (§1.3a). */
export const APP = 'app';
export const RELEASE = 'release';
export const ISTIO = 'istio';
export const OWNING_RESOURCE = 'install.operator.istio.io/owning-resource';
export const OPERATOR_COMPONENT = 'operator.istio.io/component';
export const APP_NAME = 'app.kubernetes.io/name';
export const APP_INSTANCE = 'app.kubernetes.io/instance';
export const APP_PART_OF = 'app.kubernetes.io/part-of';
export const HELM_CHART = 'helm.sh/chart';

/**
 * GatewayClass controllers whose Gateways istiod's deployment controller reconciles behind `IsMine`
 * (§3.11), with the kind of proxy each renders. `istio.io/unmanaged-gateway` (`istio-remote`) gets
 * no Deployment and follows no revision.
 */
export const ISTIO_CONTROLLERS: Readonly<Record<string, 'gateway' | 'waypoint'>> = {
  'istio.io/gateway-controller': 'gateway',
  'istio.io/mesh-controller': 'waypoint',
  'istio.io/eastwest-controller': 'gateway',
  'istio.io/agentgateway-controller': 'gateway',
  'istio.io/agentgateway-waypoint-controller': 'waypoint',
};
/** The built-in GatewayClass names of those controllers, used when no such GatewayClass object exists (§3.11). */
export const BUILTIN_CLASSES: Readonly<Record<string, string>> = {
  istio: 'istio.io/gateway-controller',
  'istio-waypoint': 'istio.io/mesh-controller',
  'istio-east-west': 'istio.io/eastwest-controller',
  'istio-agentgateway': 'istio.io/agentgateway-controller',
  'istio-agentgateway-waypoint': 'istio.io/agentgateway-waypoint-controller',
};

/**
 * Selectors that find the Istio CRDs (§4.3): the 1.24+ base chart templates them with
 * `app.kubernetes.io/part-of: istio` (and a version); the <=1.23 chart's `crds/` directory and a
 * hand-applied `crd-all.gen.yaml` carry only the static `chart: istio`. No label is common to both, and
 * a selector cannot say "or": two lists.
 */
export const ISTIO_CRD_SELECTORS = [`${APP_PART_OF}=istio`, 'chart=istio'] as const;
/** The API groups of Istio's config CRDs (§4.3): `<plural>.<group>` is the CRD name. */
export const ISTIO_CRD_GROUPS = [
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
] as const;
/** Schema marker (§4.3): new in 1.30.0; a >=1.30 revision without it means the CRDs were not upgraded. */
export const CRD_MARKER_1_30 = { name: 'trafficextensions.extensions.istio.io', since: '1.30.0' } as const;
/** istio.io's supported-releases page: where to check a version the support table does not know (§5.2). */
export const SUPPORT_DATA_URL = 'https://istio.io/latest/docs/releases/supported-releases/';
/** Release that owns the Istio CRDs and `istiod-default-validator` in the runbook (§1.5). */
export const BASE_RELEASE = 'istio-base';

/** The tag that also selects `istio-injection=enabled` namespaces and owns the default validator (§2.5). */
export const DEFAULT_TAG = 'default';
/** istiod's default-revision ValidatingWebhookConfiguration (§2.2 step 6, §2.5). */
export const DEFAULT_VALIDATOR = 'istiod-default-validator';
/** Suffix shared by every injection webhook name (§2.2 step 4, §3.5). */
export const INJECTOR_SUFFIX = 'sidecar-injector.istio.io';
/** Names of the ztunnel and istio-cni DaemonSets (§3.3, §3.4). */
export const ZTUNNEL_NAME = 'ztunnel';
export const CNI_NAME = 'istio-cni-node';
/** Pod-template label of the istio-cni DaemonSet (§3.4). */
export const CNI_APP_LABEL = 'k8s-app';

/** The Istio namespace the charts and istiod's default-tag lookups assume (§1.3a, §2.7). */
export const ISTIO_SYSTEM = 'istio-system';
/** Name of the MutatingWebhookConfiguration of a tag (§1.3a): suffixed with the namespace outside istio-system. */
export function tagWebhookName(tag: string, istioNamespace: string): string {
  return istioNamespace === ISTIO_SYSTEM ? `istio-revision-tag-${tag}` : `istio-revision-tag-${tag}-${istioNamespace}`;
}
/**
 * The exact default-tag webhook name istiod's leader election and `otherDefaultTagExists` look for,
 * whatever the Istio namespace (§2.7, §3.1).
 */
export const DEFAULT_TAG_WEBHOOK = 'istio-revision-tag-default';
/** Name of the 1.28+ tag Service (§1.3b): never suffixed. */
export function tagServiceName(tag: string): string {
  return `istiod-revision-tag-${tag}`;
}
/** Name of a revision's istiod Service and Deployment (§4.2 "Revision objects"); none, `default` or `""` (§3.9): `istiod`. */
export function istiodName(revision: string | undefined): string {
  return revision === undefined || revision === 'default' || revision === '' ? 'istiod' : `istiod-${revision}`;
}

/** Our own annotation prefix: the history of a tag lives here, never under istio.io. */
export const HISTORY = 'kubectl-ambient.dev/tag-history';
/** Our record of a tag move or rollback under way: present only until the operation completes. */
export const OPERATION = 'kubectl-ambient.dev/tag-operation';
/** The Kubernetes namespace-name label (1.21+), used by the chart's `auto.` webhook (§1.3 row 5). */
export const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
