import semver from 'semver';
import { readHistory, type HistoryEntry } from './history.ts';
import {
  APP,
  CNI_APP_LABEL,
  CNI_NAME,
  DATAPLANE_MODE,
  DEFAULT_TAG,
  DEFAULT_VALIDATOR,
  GATEWAY_MANAGED,
  GATEWAY_NAME,
  HELM_RELEASE_NAME,
  MANAGED_WAYPOINT,
  REV,
  TAG,
  WAYPOINT_CLASS,
  ZTUNNEL_NAME,
} from './labels.ts';
import type { DaemonSet, Deployment, KubeObject, Namespace, Service, WebhookConfiguration } from './model.ts';
import type { Snapshot } from './snapshot.ts';
import { resolveVersion, type VersionSource } from './version.ts';

/** A control-plane revision, as found from its canonical webhook, canonical Service and/or istiod Deployment. */
export interface Revision {
  name: string;
  version: string | undefined;
  versionSource: VersionSource;
  image: string | undefined;
  ready: number;
  desired: number;
  deployment: Deployment | undefined;
  /** Canonical injector MWC `istio.io/rev=<rev>,!istio.io/tag` (§2.1). */
  canonicalWebhooks: WebhookConfiguration[];
  /** 1.28+: canonical Service `istio.io/rev=<rev>,!istio.io/tag,app=istiod` (§1.3b). */
  canonicalServices: Service[];
  helmRelease: string | undefined;
  created: string | undefined;
}

/** The objects that make up one tag and the revision each points at. */
export interface Tag {
  name: string;
  webhook: WebhookConfiguration | undefined;
  service: Service | undefined;
  /** `istiod-default-validator` for the `default` tag only (§2.2 step 6). */
  validator: WebhookConfiguration | undefined;
  /** The revision the tag resolves to: its webhook's, else its Service's (1.28+ Service-only tags, §3.1). */
  revision: string;
  history: HistoryEntry[];
}

/** Where a Gateway's requested revision came from (§3.2: own label, else its namespace's, else the default). */
export type RevisionSource = 'gateway' | 'namespace' | 'default';

/** A Gateway or waypoint and the control plane that manages it. */
export interface GatewayInfo {
  name: string;
  namespace: string;
  kind: 'gateway' | 'waypoint';
  className: string;
  /** The `istio.io/rev` value that applies (a revision or a tag), undefined when it follows the default. */
  requested: string | undefined;
  source: RevisionSource;
  /** The tag it follows, if `requested` is a tag (or `default` when it follows the default). */
  tag: string | undefined;
  /** The revision whose istiod manages it, undefined when nothing resolves (dangling label). */
  revision: string | undefined;
  proxy: ProxyInfo | undefined;
}

/** The Deployment istiod rendered for a Gateway or waypoint. */
export interface ProxyInfo {
  name: string;
  /** Pod-template annotation `istio.io/rev`: the revision the pods actually connect to (§3.2). */
  runningRevision: string | undefined;
  image: string | undefined;
  version: string | undefined;
  desired: number;
  ready: number;
  updated: number;
  /** The rollout of the current generation is complete. */
  rolledOut: boolean;
  deployment: Deployment;
}

/** The ztunnel or istio-cni DaemonSet. */
export interface NodeAgent {
  name: string;
  namespace: string;
  image: string | undefined;
  version: string | undefined;
  /** ztunnel only: the revision it is pinned to (§3.3), from `istio.io/rev` or `XDS_ADDRESS`/`CA_ADDRESS`. */
  pinnedRevision: string | undefined;
  daemonSet: DaemonSet;
}

/** The whole mesh, joined in memory from one Snapshot. */
export interface Mesh {
  istioNamespace: string;
  revisions: Map<string, Revision>;
  tags: Map<string, Tag>;
  /** The revision that unlabelled Gateways, and `default`, resolve to (§2.5, §3.1). */
  defaultRevision: string | undefined;
  defaultValidator: WebhookConfiguration | undefined;
  namespaces: Namespace[];
  gateways: GatewayInfo[];
  ztunnels: NodeAgent[];
  cnis: NodeAgent[];
}

const label = (o: KubeObject | undefined, key: string): string | undefined => o?.metadata.labels?.[key];

/**
 * Injection webhooks that belong to this Istio namespace: every webhook's service points there,
 * or (remote control planes) it uses a URL. Keeps two meshes in two namespaces apart (`-i`).
 */
function servesNamespace(mwc: WebhookConfiguration, ns: string): boolean {
  const hooks = mwc.webhooks ?? [];
  if (hooks.length === 0) return true;
  return hooks.some((w) => w.clientConfig.url !== undefined || w.clientConfig.service?.namespace === ns);
}

/** First container's image of a pod template (istiod: `discovery`, proxies: `istio-proxy`). */
function mainImage(obj: Deployment | DaemonSet, preferred: string): string | undefined {
  const containers = obj.spec?.template?.spec?.containers ?? [];
  return (containers.find((c) => c.name === preferred) ?? containers[0])?.image;
}

/**
 * Revision named by an istiod address such as `istiod-1-22-1.istio-system.svc:15012` (§3.3).
 * `istiod.<ns>.svc` means the revision-less install, `default`.
 */
export function revisionFromAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const host = address.split(':')[0] ?? '';
  const service = host.split('.')[0] ?? '';
  if (service === 'istiod') return 'default';
  return service.startsWith('istiod-') ? service.slice('istiod-'.length) : undefined;
}

/**
 * The revision ztunnel talks to (§3.3): the istiod its `XDS_ADDRESS` (else `CA_ADDRESS`) names, which
 * is what it dials even when `xdsAddress` overrides the chart; else the `istio.io/rev` annotation.
 */
function ztunnelPin(ds: DaemonSet): string | undefined {
  const env = (ds.spec?.template?.spec?.containers ?? []).flatMap((c) => c.env ?? []);
  const fromEnv = revisionFromAddress(env.find((e) => e.name === 'XDS_ADDRESS')?.value ?? env.find((e) => e.name === 'CA_ADDRESS')?.value);
  if (fromEnv !== undefined) return fromEnv;
  const annotated = ds.metadata.annotations?.[REV] ?? ds.spec?.template?.metadata?.annotations?.[REV];
  return annotated !== undefined && annotated !== '' ? annotated : undefined;
}

/** Whether istiod of this version falls back to `istiod-default-validator` for the default (§3.1, #57467). */
function readsDefaultValidator(version: string | undefined): boolean {
  if (version === undefined) return true; // unknown: assume a current release
  const v = semver.coerce(version)?.version ?? version;
  return (semver.gte(v, '1.25.5') && semver.lt(v, '1.26.0')) || (semver.gte(v, '1.26.4') && semver.lt(v, '1.27.0')) || semver.gte(v, '1.27.1');
}

function nodeAgent(ds: DaemonSet, container: string, pinned: boolean): NodeAgent {
  const image = mainImage(ds, container);
  return {
    name: ds.metadata.name,
    namespace: ds.metadata.namespace ?? '',
    image,
    version: resolveVersion(image, ds.metadata.labels).version,
    pinnedRevision: pinned ? ztunnelPin(ds) : undefined,
    daemonSet: ds,
  };
}

function proxyInfo(d: Deployment): ProxyInfo {
  const image = mainImage(d, 'istio-proxy');
  const desired = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const updated = st.updatedReplicas ?? 0;
  const ready = st.readyReplicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const observed = (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  return {
    name: d.metadata.name,
    runningRevision: d.spec?.template?.metadata?.annotations?.[REV],
    image,
    version: resolveVersion(image, undefined).version,
    desired,
    ready,
    updated,
    rolledOut: observed && updated >= desired && available >= desired && (st.replicas ?? desired) <= desired,
    deployment: d,
  };
}

/** True when a Deployment's current generation is fully rolled out and ready. */
export function isReady(d: Deployment): boolean {
  return proxyInfo(d).rolledOut;
}

/** Joins a Snapshot into a Mesh: revisions, tags, gateways and node agents, with every cross-reference resolved. */
export function buildMesh(s: Snapshot): Mesh {
  const ns = s.istioNamespace;
  const revisions = new Map<string, Revision>();
  const revision = (name: string): Revision => {
    let r = revisions.get(name);
    if (r === undefined) {
      r = {
        name,
        version: undefined,
        versionSource: 'unknown',
        image: undefined,
        ready: 0,
        desired: 0,
        deployment: undefined,
        canonicalWebhooks: [],
        canonicalServices: [],
        helmRelease: undefined,
        created: undefined,
      };
      revisions.set(name, r);
    }
    return r;
  };

  const mwcs = s.mutatingWebhooks.filter((m) => servesNamespace(m, ns));
  // Canonical injectors: `istio.io/rev=<rev>,!istio.io/tag` (§2.1).
  for (const m of mwcs) {
    const rev = label(m, REV);
    if (rev !== undefined && label(m, TAG) === undefined) revision(rev).canonicalWebhooks.push(m);
  }
  // 1.28+ canonical Services: `istio.io/rev=<rev>,!istio.io/tag,app=istiod` (§1.3b).
  for (const svc of s.services) {
    const rev = label(svc, REV);
    if (rev !== undefined && label(svc, TAG) === undefined && label(svc, APP) === 'istiod') revision(rev).canonicalServices.push(svc);
  }
  for (const d of s.istiods) {
    const rev = label(d, REV) ?? 'default';
    const r = revision(rev);
    const image = mainImage(d, 'discovery');
    const v = resolveVersion(image, d.metadata.labels);
    r.deployment = d;
    r.image = image;
    r.version = v.version;
    r.versionSource = v.source;
    r.desired = d.spec?.replicas ?? 1;
    r.ready = d.status?.readyReplicas ?? 0;
    r.helmRelease = d.metadata.annotations?.[HELM_RELEASE_NAME];
    r.created = d.metadata.creationTimestamp;
  }

  // Tags: union of tag MWCs and (1.28+) tag Services, keyed by tag (§7 "tags").
  const tags = new Map<string, Tag>();
  const tag = (name: string): Tag => {
    let t = tags.get(name);
    if (t === undefined) {
      t = { name, webhook: undefined, service: undefined, validator: undefined, revision: '', history: [] };
      tags.set(name, t);
    }
    return t;
  };
  for (const m of mwcs) {
    const t = label(m, TAG);
    if (t !== undefined) tag(t).webhook = m;
  }
  for (const svc of s.services) {
    const t = label(svc, TAG);
    if (t !== undefined) tag(t).service = svc;
  }
  const defaultValidator = s.validatingWebhooks.find((v) => v.metadata.name === DEFAULT_VALIDATOR);
  for (const t of tags.values()) {
    t.revision = label(t.webhook, REV) ?? label(t.service, REV) ?? '';
    t.history = readHistory(t.webhook ?? t.service);
    if (t.name === DEFAULT_TAG) t.validator = defaultValidator;
  }

  // The default revision: the `default` tag's (§2.5), else the default validator's when that
  // revision's tag watcher reads it (1.25.5, 1.26.4, 1.27.1 and later, §3.1), else a revision-less
  // install named `default`.
  const validatorRev = label(defaultValidator, REV);
  const defaultRevision =
    tags.get(DEFAULT_TAG)?.revision ??
    (validatorRev !== undefined && readsDefaultValidator(revisions.get(validatorRev)?.version) ? validatorRev : undefined) ??
    (revisions.has('default') ? 'default' : undefined);

  const resolve = (requested: string): { tag: string | undefined; revision: string | undefined } => {
    const t = tags.get(requested);
    if (t !== undefined) return { tag: requested, revision: t.revision === '' ? undefined : t.revision };
    return { tag: undefined, revision: revisions.has(requested) ? requested : undefined };
  };

  // Gateways and waypoints: own `istio.io/rev`, else the namespace's, else the default (§3.2, IsMine).
  const nsByName = new Map(s.namespaces.map((n) => [n.metadata.name, n]));
  const proxies = new Map<string, Deployment>();
  for (const d of s.proxies) {
    const gw = label(d, GATEWAY_NAME);
    if (gw !== undefined) proxies.set(`${d.metadata.namespace ?? ''}/${gw}`, d);
  }
  const gateways: GatewayInfo[] = [];
  for (const g of s.gateways) {
    const className = g.spec?.gatewayClassName ?? '';
    const gwNs = g.metadata.namespace ?? '';
    const proxy = proxies.get(`${gwNs}/${g.metadata.name}`);
    // Istio's classes (`istio`, `istio-waypoint`, `istio-east-west`, `istio-remote`) or anything istiod deployed.
    if (!className.startsWith('istio') && proxy === undefined) continue;
    const own = label(g, REV);
    const fromNs = label(nsByName.get(gwNs), REV);
    const requested = own ?? fromNs;
    const source: RevisionSource = own !== undefined ? 'gateway' : fromNs !== undefined ? 'namespace' : 'default';
    const resolved =
      requested !== undefined
        ? resolve(requested)
        : { tag: tags.has(DEFAULT_TAG) ? DEFAULT_TAG : undefined, revision: defaultRevision };
    const isWaypoint = className === WAYPOINT_CLASS || label(proxy, GATEWAY_MANAGED) === MANAGED_WAYPOINT;
    gateways.push({
      name: g.metadata.name,
      namespace: gwNs,
      kind: isWaypoint ? 'waypoint' : 'gateway',
      className,
      requested,
      source,
      tag: resolved.tag,
      revision: resolved.revision,
      proxy: proxy === undefined ? undefined : proxyInfo(proxy),
    });
  }
  gateways.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));

  const ztunnels = s.daemonSets
    .filter((d) => d.metadata.name === ZTUNNEL_NAME || d.spec?.template?.metadata?.labels?.[APP] === ZTUNNEL_NAME)
    .map((d) => nodeAgent(d, 'istio-proxy', true));
  const cnis = s.daemonSets
    .filter((d) => d.metadata.name === CNI_NAME || d.spec?.template?.metadata?.labels?.[CNI_APP_LABEL] === CNI_NAME)
    .map((d) => nodeAgent(d, 'install-cni', false));

  return {
    istioNamespace: ns,
    revisions,
    tags,
    defaultRevision,
    defaultValidator,
    namespaces: [...s.namespaces].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    gateways,
    ztunnels,
    cnis,
  };
}

/** Namespaces whose `istio.io/rev` label is exactly `value` (istioctl's "namespaces using a tag", §2.1). */
export function namespacesLabelled(mesh: Mesh, value: string): string[] {
  return mesh.namespaces.filter((n) => label(n, REV) === value).map((n) => n.metadata.name);
}

/** Ambient namespaces labelled `istio.io/rev=<value>`: the §3.6 sidecar-injection pitfall. One pass. */
export function ambientLabelled(mesh: Mesh, value: string): string[] {
  return mesh.namespaces.filter((n) => label(n, REV) === value && isAmbient(n)).map((n) => n.metadata.name);
}

/** `a, b, c, d, e and 1995 more`: names for a one-line message. */
export function nameList(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** True for a namespace enrolled in ambient mode (§3.6). */
export function isAmbient(n: Namespace): boolean {
  return label(n, DATAPLANE_MODE) === 'ambient';
}

/**
 * The Helm release that owns an object, if any. Only `helm install/upgrade` sets the
 * `meta.helm.sh/release-name` annotation; `helm template | kubectl apply` (the runbook) and our own
 * renders carry `app.kubernetes.io/managed-by: Helm` too, but no release will ever re-render them.
 */
export function helmOwner(o: KubeObject | undefined): string | undefined {
  return o?.metadata.annotations?.[HELM_RELEASE_NAME];
}
