import { AmbientError } from './errors.ts';
import { DEFAULT_TAG, REV, SIDECAR_INJECT, TAG } from './labels.ts';
import { ambientLabelled, helmOwner, nameList, namespacesLabelled, type GatewayInfo, type Mesh, type Revision, type Tag } from './mesh.ts';
import type { HistoryEntry } from './history.ts';

/** A Gateway or waypoint as shown in Views. */
export interface GatewayRef {
  namespace: string;
  name: string;
  kind: 'gateway' | 'waypoint';
  /** The revision its istiod manages it from (what it follows). */
  revision: string | null;
  /** The revision its pods actually run (pod-template `istio.io/rev` annotation, §3.2). */
  runningRevision: string | null;
  ready: boolean;
}

/** A problem found while summarising, shown on stderr and kept in the View. */
export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

/** One row of `revisions` (json/yaml keys are these names). */
export interface RevisionView {
  revision: string;
  version: string | null;
  readyReplicas: number;
  desiredReplicas: number;
  default: boolean;
  tags: string[];
  namespaces: string[];
  gateways: GatewayRef[];
  ztunnel: boolean;
  inUse: boolean;
  reasons: string[];
  image: string | null;
  helmRelease: string | null;
  created: string | null;
}

/** The objects that make up a tag, and whether they agree. */
export interface TagObjects {
  webhook: string | null;
  webhookRevision: string | null;
  service: string | null;
  serviceRevision: string | null;
  validator: string | null;
  validatorRevision: string | null;
  consistent: boolean;
}

/** One row of `tags`. */
export interface TagView {
  tag: string;
  revision: string | null;
  version: string | null;
  previousRevision: string | null;
  history: HistoryEntry[];
  namespaces: string[];
  gateways: GatewayRef[];
  objects: TagObjects;
  helmRelease: string | null;
  problems: Problem[];
}

function gatewayRef(g: GatewayInfo): GatewayRef {
  return {
    namespace: g.namespace,
    name: g.name,
    kind: g.kind,
    revision: g.revision ?? null,
    runningRevision: g.proxy?.runningRevision ?? null,
    ready: g.proxy?.rolledOut ?? false,
  };
}

/** Tags pointing at a revision, sorted. */
export function tagsOf(mesh: Mesh, revision: string): string[] {
  return [...mesh.tags.values()].filter((t) => t.revision === revision).map((t) => t.name).sort();
}

function summariseRevision(mesh: Mesh, r: Revision): RevisionView {
  const tags = tagsOf(mesh, r.name);
  const namespaces = [...new Set([r.name, ...tags].flatMap((v) => namespacesLabelled(mesh, v)))].sort();
  const following = mesh.gateways.filter((g) => g.revision === r.name);
  // Proxies that still run this revision although they follow another one (a move in progress).
  const stillRunning = mesh.gateways.filter((g) => g.revision !== r.name && g.proxy?.runningRevision === r.name);
  const ztunnel = mesh.ztunnels.some((z) => z.pinnedRevision === r.name);
  const isDefault = mesh.defaultRevision === r.name;
  const reasons: string[] = [];
  if (isDefault) reasons.push('default revision');
  if (tags.length > 0) reasons.push(`tags: ${tags.join(', ')}`);
  if (namespaces.length > 0) reasons.push(`${namespaces.length} namespace(s) follow it`);
  if (following.length > 0) reasons.push(`${following.length} gateway(s)/waypoint(s) follow it`);
  if (stillRunning.length > 0) reasons.push(`${stillRunning.length} gateway/waypoint proxy(ies) still run it`);
  if (ztunnel) reasons.push('ztunnel is pinned to it');
  return {
    revision: r.name,
    version: r.version ?? null,
    readyReplicas: r.ready,
    desiredReplicas: r.desired,
    default: isDefault,
    tags,
    namespaces,
    gateways: [...following, ...stillRunning].map(gatewayRef),
    ztunnel,
    inUse: reasons.length > 0,
    reasons,
    image: r.image ?? null,
    helmRelease: r.helmRelease ?? null,
    created: r.created ?? null,
  };
}

/** Known names for "did you mean / known are" hints. */
function known(names: Iterable<string>): string {
  const list = [...names].sort();
  return list.length === 0 ? 'none are installed' : `known: ${list.join(', ')}`;
}

/**
 * `revisions [REVISION]`: one View per control-plane revision, sorted by version then name.
 * Throws an `input` error naming the known revisions when `only` is unknown.
 */
export function summariseRevisions(mesh: Mesh, only?: string): RevisionView[] {
  if (only !== undefined && !mesh.revisions.has(only)) {
    throw new AmbientError('input', `revision "${only}" not found in namespace ${mesh.istioNamespace}`, known(mesh.revisions.keys()));
  }
  return [...mesh.revisions.values()]
    .filter((r) => only === undefined || r.name === only)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    .map((r) => summariseRevision(mesh, r));
}

function tagProblems(mesh: Mesh, t: Tag, objects: TagObjects): Problem[] {
  const problems: Problem[] = [];
  if (t.revision !== '' && !mesh.revisions.has(t.revision)) {
    problems.push({
      severity: 'error',
      code: 'dangling',
      message: `tag ${t.name} points at revision ${t.revision}, which is not installed: move it with "kubectl ambient tag-move ${t.name} <revision>"`,
    });
  }
  if (objects.webhookRevision !== null && objects.serviceRevision !== null && objects.webhookRevision !== objects.serviceRevision) {
    // §3.1 (1.28+): both istiods then consider the tag theirs.
    problems.push({
      severity: 'error',
      code: 'split',
      message: `tag ${t.name}: webhook points at ${objects.webhookRevision} but Service ${objects.service} at ${objects.serviceRevision}, so both istiods claim it: re-run "kubectl ambient tag-move ${t.name} <revision>"`,
    });
  }
  if (objects.validatorRevision !== null && objects.validatorRevision !== t.revision) {
    problems.push({
      severity: 'warning',
      code: 'validator',
      message: `${objects.validator} points at ${objects.validatorRevision}, not at the default tag's ${t.revision}: re-run "kubectl ambient tag-move default ${t.revision}"`,
    });
  }
  // §3.6 pitfall: the tag webhook's rev.namespace selector injects sidecars into ambient namespaces.
  const ambient = ambientLabelled(mesh, t.name);
  if (ambient.length > 0) {
    problems.push({
      severity: 'warning',
      code: 'ambient-sidecar',
      message: `ambient namespace(s) ${nameList(ambient)} carry ${REV}=${t.name}: new pods there get sidecars; label the Gateways/waypoints with ${REV} instead, or set ${SIDECAR_INJECT}=false on pods`,
    });
  }
  if (t.name === DEFAULT_TAG && mesh.revisions.has('default') && t.revision !== 'default') {
    // §3.1: a revision-less istiod always counts "default" among its tags.
    problems.push({
      severity: 'error',
      code: 'both-claim',
      message: `the default tag points at ${t.revision}, but a revision-less istiod (revision "default") is still installed and claims it too: remove that istiod once nothing follows it`,
    });
  }
  const release = helmOwner(t.webhook) ?? helmOwner(t.service);
  if (release !== undefined) {
    problems.push({
      severity: 'warning',
      code: 'helm-owned',
      message: `tag ${t.name} is owned by Helm release "${release}": a later "helm upgrade ${release}" sets it back to that release's revision`,
    });
  }
  return problems;
}

function summariseTag(mesh: Mesh, t: Tag): TagView {
  const webhookRevision = t.webhook?.metadata.labels?.[REV] ?? null;
  const serviceRevision = t.service?.metadata.labels?.[REV] ?? null;
  const validatorRevision = t.validator?.metadata.labels?.[REV] ?? null;
  const revs = [webhookRevision, serviceRevision, validatorRevision].filter((v) => v !== null);
  const objects: TagObjects = {
    webhook: t.webhook?.metadata.name ?? null,
    webhookRevision,
    service: t.service?.metadata.name ?? null,
    serviceRevision,
    validator: t.validator?.metadata.name ?? null,
    validatorRevision,
    consistent: new Set(revs).size <= 1,
  };
  const namespaces = namespacesLabelled(mesh, t.name);
  const previous = t.history.at(-1);
  return {
    tag: t.name,
    revision: t.revision === '' ? null : t.revision,
    version: mesh.revisions.get(t.revision)?.version ?? null,
    previousRevision: previous?.revision ?? null,
    history: t.history,
    namespaces,
    gateways: mesh.gateways.filter((g) => g.tag === t.name).map(gatewayRef),
    objects,
    helmRelease: helmOwner(t.webhook) ?? helmOwner(t.service) ?? null,
    problems: tagProblems(mesh, t, objects),
  };
}

/**
 * `tags [TAG]`: one View per revision tag, `default` first, then by name. Tags come from webhooks
 * and (1.28+) Services labelled `${TAG}` (§3.1). Throws an `input` error for an unknown `only`.
 */
export function summariseTags(mesh: Mesh, only?: string): TagView[] {
  if (only !== undefined && !mesh.tags.has(only)) {
    throw new AmbientError('input', `tag "${only}" not found (no ${TAG}=${only} webhook or Service)`, known(mesh.tags.keys()));
  }
  return [...mesh.tags.values()]
    .filter((t) => only === undefined || t.name === only)
    .sort((a, b) => (a.name === DEFAULT_TAG ? -1 : b.name === DEFAULT_TAG ? 1 : a.name.localeCompare(b.name)))
    .map((t) => summariseTag(mesh, t));
}
