import { readHistory, readOperation, type HistoryEntry, type TagOperation } from './history.ts';
import { readsDefaultValidator, readsTagServices } from './istio-rules.ts';
import {
  APP,
  BUILTIN_CLASSES,
  CNI_APP_LABEL,
  CNI_NAME,
  DATAPLANE_MODE,
  DEFAULT_TAG,
  DEFAULT_TAG_WEBHOOK,
  DEFAULT_VALIDATOR,
  GATEWAY_MANAGED,
  GATEWAY_NAME,
  HELM_RELEASE_NAME,
  ISTIO_CONTROLLERS,
  REV,
  SIDECAR_INJECT,
  TAG,
  ZTUNNEL_NAME,
  tagServiceName,
  tagWebhookName,
} from './labels.ts';
import type {
  DaemonSet,
  Deployment,
  Gateway,
  GatewayClass,
  KubeObject,
  Namespace,
  Pod,
  Service,
  WebhookConfiguration,
} from './model.ts';
import type { Snapshot, Unavailable } from './snapshot.ts';
import { resolveVersion } from './version.ts';

/** A control-plane revision, as found from its canonical webhook, canonical Service and/or istiod Deployment. */
export interface Revision {
  name: string;
  version: string | undefined;
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
  /** The tag's webhook: the one the chart names `istio-revision-tag-<tag>[-<ns>]`, else the first found. */
  webhook: WebhookConfiguration | undefined;
  service: Service | undefined;
  /** Every MWC and Service labelled with the tag: more than one of a kind is a problem (`duplicate`), never merged silently. */
  webhooks: WebhookConfiguration[];
  services: Service[];
  /** `istiod-default-validator` for the `default` tag only (§2.2 step 6). */
  validator: WebhookConfiguration | undefined;
  /** The revision the tag resolves to: its webhook's, else its Service's (1.28+ Service-only tags, §3.1); undefined: none. */
  revision: string | undefined;
  /** Every revision whose istiod counts the tag among its own (`GetMyTags`, §3.1): two for a split tag. */
  claimants: string[];
  history: HistoryEntry[];
  /** Why the history annotation could not be read (it is then treated as empty and reported). */
  historyError: string | undefined;
  /**
   * A tag-move or tag-rollback that started and has not completed (interrupted, or running now):
   * both `from` and `to` are in use until it is finished or undone (§3.7 row 2: a split tag keeps
   * both revisions in use).
   */
  intent: TagOperation | undefined;
  /** Why the operation record could not be read (reported; moves refuse until it is removed). */
  intentError: string | undefined;
}

/** Where a Gateway's requested revision came from (§3.2: own label, else its namespace's, else the default). */
export type RevisionSource = 'gateway' | 'namespace' | 'default';

/** A Gateway or waypoint and the control plane that manages it. */
export interface GatewayInfo {
  name: string;
  namespace: string;
  kind: 'gateway' | 'waypoint';
  className: string;
  /** The GatewayClass controller (§3.11), e.g. `istio.io/mesh-controller`. */
  controller: string;
  /** The `istio.io/rev` value that applies (a revision or a tag; `''` follows the default, §3.9), undefined when unlabelled. */
  requested: string | undefined;
  source: RevisionSource;
  /** The tag it follows, if `requested` is a tag (or `default` when it follows the default). */
  tag: string | undefined;
  /** The revision whose istiod manages it, undefined when nothing resolves (dangling label). */
  revision: string | undefined;
  /** Every revision whose `IsMine` is true for it (§3.1, §3.7 row 8): more than one while a tag is split. */
  claimants: string[];
  proxy: ProxyInfo | undefined;
  /**
   * The revisions its proxy pods run (their `istio.io/rev` annotation, §3.7 rows 6 and 9): two while a
   * rollout is half done. From the Deployment template when pods could not be read.
   */
  runningRevisions: string[];
  /** How many of its pods run (undefined when pods could not be read). */
  pods: number | undefined;
  /** Its `Programmed` condition (Gateway API status, written by the istiod that owns it): undefined when it has none. */
  programmed: GatewayCondition | undefined;
}

/** One condition of a Gateway's status (Gateway API `metav1.Condition`). */
export interface GatewayCondition {
  status: string;
  reason: string | undefined;
  message: string | undefined;
  /** The Gateway generation it was written for; older than the Gateway's own means stale. */
  observedGeneration: number | undefined;
  /** Written for the Gateway's current generation (or without a generation). */
  current: boolean;
}

/** The Deployment istiod rendered for a Gateway or waypoint. */
export interface ProxyInfo {
  name: string;
  /** Pod-template annotation `istio.io/rev`: the revision new pods connect to (§3.2). */
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

/** A running pod that holds or requests a proxy, as far as the verdict needs it (§3.7 rows 6, 7, 9). */
export interface PodInfo {
  namespace: string;
  name: string;
  /** Annotation `istio.io/rev`: the revision its proxy connects to (set by the injector or istiod's templates). */
  runs: string | undefined;
  /** Label `istio.io/rev`: the revision or tag it asks to be injected by. */
  requests: string | undefined;
  /** `sidecar.istio.io/inject=false`. */
  injectionOff: boolean;
  /** The Gateway its pods belong to (`gateway.networking.k8s.io/gateway-name`). */
  gateway: string | undefined;
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
  /**
   * Every revision that claims unlabelled Gateways (§3.1 `IsMine` with selected == ""): the default
   * tag's and, when no `istio-revision-tag-default` webhook says otherwise, the validator's.
   */
  defaultClaimants: string[];
  defaultValidator: WebhookConfiguration | undefined;
  /** The webhook istiod's leader election reads, by its exact name (§2.7), whichever namespace it serves. */
  exactDefaultWebhook: WebhookConfiguration | undefined;
  namespaces: Namespace[];
  gateways: GatewayInfo[];
  /** Running pods with a proxy or an `istio.io/rev` label; empty when they could not be read (see `unavailable`). */
  pods: PodInfo[];
  ztunnels: NodeAgent[];
  cnis: NodeAgent[];
  /** What the snapshot could not read (RBAC): verdicts depending on it are UNKNOWN. */
  unavailable: Unavailable[];
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
  const fromEnv = revisionFromAddress(
    env.find((e) => e.name === 'XDS_ADDRESS')?.value ?? env.find((e) => e.name === 'CA_ADDRESS')?.value,
  );
  if (fromEnv !== undefined) return fromEnv;
  const annotated = ds.metadata.annotations?.[REV] ?? ds.spec?.template?.metadata?.annotations?.[REV];
  return annotated !== undefined && annotated !== '' ? annotated : undefined;
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

/** The revision a Gateway/waypoint proxy Deployment is rendered for: its pod template's `istio.io/rev` (§3.2). */
export function proxyRevision(d: Deployment): string | undefined {
  return d.spec?.template?.metadata?.annotations?.[REV];
}

/** `<namespace>/<gateway>` of the Gateway or waypoint a proxy Deployment belongs to. */
export function proxyGatewayKey(d: Deployment): string {
  return `${d.metadata.namespace ?? ''}/${label(d, GATEWAY_NAME) ?? ''}`;
}

/**
 * A proxy Deployment runs `revision` once the istiod of that revision has re-rendered it (§3.2) and
 * its current generation is rolled out: what a tag move's `--wait` waits for.
 */
export function proxyOnRevision(d: Deployment, revision: string): boolean {
  return proxyRevision(d) === revision && isReady(d);
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
    runningRevision: proxyRevision(d),
    image,
    version: resolveVersion(image, undefined).version,
    desired,
    ready,
    updated,
    rolledOut: observed && updated >= desired && available >= desired && (st.replicas ?? desired) <= desired,
    deployment: d,
  };
}

/** The `Programmed` condition of a Gateway's status, if any (Gateway API; istiod writes it for the Gateways it owns, §3.2). */
export function programmedOf(g: Gateway): GatewayCondition | undefined {
  const status = g['status'] as { conditions?: unknown } | undefined;
  const conditions = Array.isArray(status?.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
  const c = conditions.find((x) => x['type'] === 'Programmed');
  if (c === undefined) return undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const observedGeneration = typeof c['observedGeneration'] === 'number' ? c['observedGeneration'] : undefined;
  return {
    status: text(c['status']) ?? 'Unknown',
    reason: text(c['reason']),
    message: text(c['message']),
    observedGeneration,
    current: observedGeneration === undefined || observedGeneration >= (g.metadata.generation ?? 0),
  };
}

/** True when a Deployment's current generation is fully rolled out and ready. */
export function isReady(d: Deployment): boolean {
  return proxyInfo(d).rolledOut;
}

/**
 * Joins a Snapshot into a Mesh, one named join each: revisions, tags, the default revision, gateways
 * (with their pods) and node agents, every cross-reference resolved.
 */
export function buildMesh(s: Snapshot): Mesh {
  const ns = s.istioNamespace;
  const mwcs = s.mutatingWebhooks.filter((m) => servesNamespace(m, ns));
  const revisions = joinRevisions(mwcs, s.services, s.istiods);
  const defaultValidator = s.validatingWebhooks.find((v) => v.metadata.name === DEFAULT_VALIDATOR);
  const tags = joinTags(mwcs, s.services, defaultValidator, revisions, ns);
  const exactDefaultWebhook = s.mutatingWebhooks.find((m) => m.metadata.name === DEFAULT_TAG_WEBHOOK);
  const { defaultRevision, defaultClaimants } = resolveDefault(tags, revisions, defaultValidator, exactDefaultWebhook);
  const podsRead = !s.unavailable.some((u) => u.what === 'pods');
  const pods = s.pods.map(podInfo);
  const claims = (requested: string | undefined): string[] =>
    requested === undefined || requested === '' ? defaultClaimants : claimantsOf(requested, tags, revisions);
  const gateways = joinGateways(s, tags, revisions, defaultRevision, claims, podsRead ? pods : undefined);
  return {
    istioNamespace: ns,
    revisions,
    tags,
    defaultRevision,
    defaultClaimants,
    defaultValidator,
    exactDefaultWebhook,
    namespaces: [...s.namespaces].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    gateways,
    pods,
    ...joinNodeAgents(s.daemonSets),
    unavailable: s.unavailable,
  };
}

/** ztunnel (pinned to a revision, §3.3) and istio-cni (§3.4) DaemonSets, by name or app label, in any namespace. */
function joinNodeAgents(daemonSets: DaemonSet[]): { ztunnels: NodeAgent[]; cnis: NodeAgent[] } {
  const app = (d: DaemonSet, key: string): string | undefined => d.spec?.template?.metadata?.labels?.[key];
  return {
    ztunnels: daemonSets
      .filter((d) => d.metadata.name === ZTUNNEL_NAME || app(d, APP) === ZTUNNEL_NAME)
      .map((d) => nodeAgent(d, 'istio-proxy', true)),
    cnis: daemonSets
      .filter((d) => d.metadata.name === CNI_NAME || app(d, CNI_APP_LABEL) === CNI_NAME)
      .map((d) => nodeAgent(d, 'install-cni', false)),
  };
}

/**
 * Revisions from their canonical injectors (`istio.io/rev`, `!istio.io/tag`, §2.1), canonical
 * Services (§1.3b) and istiod Deployments (§4.2).
 */
function joinRevisions(
  mwcs: WebhookConfiguration[],
  services: Service[],
  istiods: Deployment[],
): Map<string, Revision> {
  const revisions = new Map<string, Revision>();
  const revision = (name: string): Revision => {
    let r = revisions.get(name);
    if (r === undefined) {
      r = {
        name,
        version: undefined,
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
  for (const m of mwcs) {
    const rev = label(m, REV);
    if (rev !== undefined && label(m, TAG) === undefined) revision(rev).canonicalWebhooks.push(m);
  }
  for (const svc of services) {
    const rev = label(svc, REV);
    if (rev !== undefined && label(svc, TAG) === undefined && label(svc, APP) === 'istiod')
      revision(rev).canonicalServices.push(svc);
  }
  for (const d of istiods) {
    const r = revision(label(d, REV) ?? 'default');
    const image = mainImage(d, 'discovery');
    const v = resolveVersion(image, d.metadata.labels);
    Object.assign(r, {
      deployment: d,
      image,
      version: v.version,
      desired: d.spec?.replicas ?? 1,
      ready: d.status?.readyReplicas ?? 0,
      helmRelease: d.metadata.annotations?.[HELM_RELEASE_NAME],
      created: d.metadata.creationTimestamp,
    });
  }
  return revisions;
}

/**
 * Tags: the union of tag MWCs and (1.28+) tag Services, keyed by tag (§7 "tags"). Each tag's claimants
 * are the revisions whose `GetMyTags` holds it (§3.1): its webhook's revision, its Service's when that
 * istiod reads Services (1.28+), and a revision of the same name.
 */
function joinTags(
  mwcs: WebhookConfiguration[],
  services: Service[],
  validator: WebhookConfiguration | undefined,
  revisions: Map<string, Revision>,
  ns: string,
): Map<string, Tag> {
  const tags = new Map<string, Tag>();
  const tag = (name: string): Tag => {
    let t = tags.get(name);
    if (t === undefined) {
      t = {
        name,
        webhook: undefined,
        service: undefined,
        webhooks: [],
        services: [],
        validator: undefined,
        revision: undefined,
        claimants: [],
        history: [],
        historyError: undefined,
        intent: undefined,
        intentError: undefined,
      };
      tags.set(name, t);
    }
    return t;
  };
  for (const m of mwcs) {
    const t = label(m, TAG);
    if (t !== undefined) tag(t).webhooks.push(m);
  }
  for (const svc of services) {
    const t = label(svc, TAG);
    if (t !== undefined) tag(t).services.push(svc);
  }
  for (const t of tags.values()) {
    t.webhook = t.webhooks.find((m) => m.metadata.name === tagWebhookName(t.name, ns)) ?? t.webhooks[0];
    t.service = t.services.find((v) => v.metadata.name === tagServiceName(t.name)) ?? t.services[0];
    t.revision = (label(t.webhook, REV) ?? label(t.service, REV)) || undefined; // an empty label points nowhere
    // Our annotations live on the tag's first object: its webhook, or the Service of a Service-only tag.
    const h = readHistory(t.webhook ?? t.service);
    t.history = h.value;
    t.historyError = h.error;
    const op = readOperation(t.webhook ?? t.service);
    t.intent = op.value;
    t.intentError = op.error;
    if (t.name === DEFAULT_TAG) t.validator = validator;
    const claimants = new Set<string>();
    for (const m of t.webhooks) addDefined(claimants, label(m, REV));
    for (const v of t.services) {
      const rev = label(v, REV);
      if (rev !== undefined && readsTagServices(revisions.get(rev)?.version)) claimants.add(rev);
    }
    if (revisions.has(t.name)) claimants.add(t.name);
    t.claimants = [...claimants].sort();
  }
  return tags;
}

/**
 * The default revision (§2.5, §3.1, §2.7). Shown: the default tag's revision, else the validator's
 * when that istiod reads it (1.25.5, 1.26.4, 1.27.1+), else a revision-less install. Claimants of
 * unlabelled objects (`IsMine` with selected == ""): every holder of tag `default`, plus the
 * validator's revision unless a webhook named exactly `istio-revision-tag-default` points elsewhere.
 */
function resolveDefault(
  tags: Map<string, Tag>,
  revisions: Map<string, Revision>,
  validator: WebhookConfiguration | undefined,
  exactDefault: WebhookConfiguration | undefined,
): { defaultRevision: string | undefined; defaultClaimants: string[] } {
  const validatorRev = label(validator, REV);
  const validatorClaims =
    validatorRev !== undefined &&
    revisions.has(validatorRev) &&
    readsDefaultValidator(revisions.get(validatorRev)?.version);
  const tagged = tags.get(DEFAULT_TAG);
  const claimants = new Set(tagged?.claimants ?? (revisions.has(DEFAULT_TAG) ? [DEFAULT_TAG] : []));
  const otherDefaultTagExists = exactDefault !== undefined && label(exactDefault, REV) !== validatorRev;
  if (validatorClaims && !otherDefaultTagExists) claimants.add(validatorRev);
  const revisionLess = revisions.has(DEFAULT_TAG) ? DEFAULT_TAG : undefined;
  const shown = tagged?.revision ?? (validatorClaims ? validatorRev : undefined) ?? revisionLess;
  return { defaultRevision: shown, defaultClaimants: [...claimants].sort() };
}

/** The revisions that claim objects labelled `istio.io/rev=<requested>` (a tag or a revision, §3.1). */
function claimantsOf(requested: string, tags: Map<string, Tag>, revisions: Map<string, Revision>): string[] {
  return tags.get(requested)?.claimants ?? (revisions.has(requested) ? [requested] : []);
}

/** The GatewayClass controller of a class name (§3.11): the GatewayClass object's, else the built-in name's. */
function controllerOf(className: string, classes: GatewayClass[]): string | undefined {
  return classes.find((c) => c.metadata.name === className)?.spec?.controllerName ?? BUILTIN_CLASSES[className];
}

/** `istio.io-mesh-controller` (the proxy's `gateway.istio.io/managed` label) -> `istio.io/mesh-controller`. */
function controllerFromManaged(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.replace(/^([^-]+)-/, '$1/');
}

/**
 * Gateways and waypoints of every Istio class (§3.11), each with the revision it follows (own label,
 * else its namespace's, else the default; `""` at either level means the default, §3.9) and, from its
 * pods, the revisions its proxies run (§3.7 row 9). Sorted by namespace and name.
 */
function joinGateways(
  s: Snapshot,
  tags: Map<string, Tag>,
  revisions: Map<string, Revision>,
  defaultRevision: string | undefined,
  claims: (requested: string | undefined) => string[],
  pods: PodInfo[] | undefined,
): GatewayInfo[] {
  const nsByName = new Map(s.namespaces.map((n) => [n.metadata.name, n]));
  const proxies = new Map<string, Deployment>();
  for (const d of s.proxies) {
    const gw = label(d, GATEWAY_NAME);
    if (gw !== undefined) proxies.set(`${d.metadata.namespace ?? ''}/${gw}`, d);
  }
  const podsOf = new Map<string, PodInfo[]>();
  for (const p of pods ?? []) {
    if (p.gateway === undefined) continue;
    const key = `${p.namespace}/${p.gateway}`;
    podsOf.set(key, [...(podsOf.get(key) ?? []), p]);
  }
  const gateways: GatewayInfo[] = [];
  for (const g of s.gateways) {
    const className = g.spec?.gatewayClassName ?? '';
    const gwNs = g.metadata.namespace ?? '';
    const key = `${gwNs}/${g.metadata.name}`;
    const proxy = proxies.get(key);
    const controller =
      controllerOf(className, s.gatewayClasses) ?? controllerFromManaged(label(proxy, GATEWAY_MANAGED));
    const kind = controller !== undefined ? ISTIO_CONTROLLERS[controller] : undefined;
    if (controller === undefined || kind === undefined) continue; // not reconciled by istiod
    const own = label(g, REV);
    const fromNs = label(nsByName.get(gwNs), REV);
    const requested = own ?? fromNs;
    const source: RevisionSource = own !== undefined ? 'gateway' : fromNs !== undefined ? 'namespace' : 'default';
    const followsDefault = requested === undefined || requested === '';
    const tag = followsDefault
      ? tags.has(DEFAULT_TAG)
        ? DEFAULT_TAG
        : undefined
      : tags.has(requested)
        ? requested
        : undefined;
    const revision = followsDefault
      ? defaultRevision
      : tag !== undefined
        ? tags.get(tag)?.revision
        : revisions.has(requested)
          ? requested
          : undefined;
    const info = proxy === undefined ? undefined : proxyInfo(proxy);
    const mine = podsOf.get(key) ?? [];
    const running = pods === undefined ? [info?.runningRevision] : mine.map((p) => p.runs);
    gateways.push({
      name: g.metadata.name,
      namespace: gwNs,
      kind,
      className,
      controller,
      requested,
      source,
      tag,
      revision,
      claimants: claims(requested),
      proxy: info,
      runningRevisions: [...new Set(running.filter((r) => r !== undefined))].sort(),
      pods: pods === undefined ? undefined : mine.length,
      programmed: programmedOf(g),
    });
  }
  return gateways.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function podInfo(p: Pod): PodInfo {
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    runs: p.metadata.annotations?.[REV],
    requests: p.metadata.labels?.[REV],
    injectionOff: p.metadata.labels?.[SIDECAR_INJECT] === 'false',
    gateway: p.metadata.labels?.[GATEWAY_NAME],
  };
}

function addDefined(set: Set<string>, value: string | undefined): void {
  if (value !== undefined) set.add(value);
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
