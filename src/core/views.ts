import { AmbientError } from './errors.ts';
import {
  DEFAULT_TAG,
  DEFAULT_TAG_WEBHOOK,
  HISTORY,
  ISTIO_SYSTEM,
  OPERATION,
  REV,
  SIDECAR_INJECT,
  TAG,
} from './labels.ts';
import { rendersTagService } from './istio-rules.ts';
import {
  ambientLabelled,
  helmOwner,
  nameList,
  namespacesLabelled,
  type GatewayInfo,
  type Mesh,
  type Revision,
  type Tag,
} from './mesh.ts';
import { operationCommands, type HistoryEntry, type TagRole } from './history.ts';
import { revisionForVersion } from './names.ts';
import { revisionUsage, type RevisionUsage, type UsageReason, type UsageStatus } from './usage.ts';

/** A Gateway or waypoint as shown in Views. */
export interface GatewayRef {
  namespace: string;
  name: string;
  kind: 'gateway' | 'waypoint';
  /** The revision its istiod manages it from (what it follows). */
  revision: string | null;
  /** The revisions its pods run (their `istio.io/rev` annotation, §3.7 rows 6, 9): two while its rollout is half done. */
  runningRevisions: string[];
  /** Its proxy Deployment's current generation is rolled out and ready. */
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
  /** Namespaces whose new pods it injects (§3.7 rows 4, 5). */
  namespaces: string[];
  /** Gateways and waypoints it manages, and those whose pods still run it. */
  gateways: GatewayRef[];
  /** Running pods whose proxy connects to it (§3.7 rows 6, 9). */
  pods: number;
  ztunnel: boolean;
  /** `in-use`, `unknown` (something could not be read) or `safe` (SAFE TO REMOVE). */
  status: UsageStatus;
  inUse: boolean;
  /** Everything that still depends on it, each with the object and the way out (§3.7). */
  reasons: UsageReason[];
  /** What could not be read; makes a reason-less revision UNKNOWN. */
  unknown: string[];
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

/** A tag-move or tag-rollback that started and has not completed. */
export interface OperationView {
  id: string;
  /** `move` or `rollback`: what was run. */
  op: 'move' | 'rollback';
  /** The revision before (null: it creates the tag). */
  from: string | null;
  to: string;
  /** When it started. */
  at: string;
  /** The objects the tag has once it completes. */
  toObjects: TagRole[];
  /** The command that finishes it and the one that undoes it. */
  finish: string;
  undo: string;
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
  /** An unfinished tag-move/tag-rollback (problem `incomplete`), else null. */
  operation: OperationView | null;
  problems: Problem[];
}

function gatewayRef(g: GatewayInfo): GatewayRef {
  return {
    namespace: g.namespace,
    name: g.name,
    kind: g.kind,
    revision: g.revision ?? null,
    runningRevisions: g.runningRevisions,
    ready: g.proxy?.rolledOut ?? false,
  };
}

/** Tags pointing at a revision, sorted. */
export function tagsOf(mesh: Mesh, revision: string): string[] {
  return [...mesh.tags.values()]
    .filter((t) => t.revision === revision)
    .map((t) => t.name)
    .sort();
}

function summariseRevision(mesh: Mesh, r: Revision, usage: RevisionUsage): RevisionView {
  const claimed = new Set(
    usage.reasons.filter((x) => x.code === 'gw').map((x) => `${x.object.namespace ?? ''}/${x.object.name}`),
  );
  const gateways = mesh.gateways.filter(
    (g) => claimed.has(`${g.namespace}/${g.name}`) || g.runningRevisions.includes(r.name),
  );
  return {
    revision: r.name,
    version: r.version ?? null,
    readyReplicas: r.ready,
    desiredReplicas: r.desired,
    default: mesh.defaultRevision === r.name,
    tags: tagsOf(mesh, r.name),
    namespaces: [...new Set(usage.reasons.filter((x) => x.code === 'ns').map((x) => x.object.name))].sort(),
    gateways: gateways.map(gatewayRef),
    pods: usage.pods,
    ztunnel: usage.reasons.some((x) => x.code === 'ztunnel'),
    status: usage.status,
    inUse: usage.status === 'in-use',
    reasons: usage.reasons,
    unknown: usage.status === 'in-use' ? [] : usage.unknown,
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
 * For a version typed where a revision belongs (`1.28.10`): the installed revision that runs it
 * (`did you mean revision "1-28-10"?`) or that none does, with the installed ones; undefined
 * when `word` is not a version.
 */
export function versionHint(mesh: Mesh, word: string): string | undefined {
  const guess = revisionForVersion(word, mesh.revisions.values());
  if (guess === undefined) return undefined;
  const installed = [...mesh.revisions.values()]
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    .map((r) => `${r.name} (${r.version ?? 'unknown'})`);
  const list = `installed: ${installed.join(', ') || 'none'}`;
  return guess.installed
    ? `did you mean revision "${guess.name}"? (${list})`
    : `no installed revision runs ${word.replace(/^v/, '')} (${list})`;
}

/** The hint for a revision that is not installed: the known ones, or `did you mean` for a version. */
function unknownRevisionHint(mesh: Mesh, word: string): string {
  const hint = versionHint(mesh, word);
  return hint === undefined ? known(mesh.revisions.keys()) : `"${word}" is a version: ${hint}`;
}

/**
 * `revisions [REVISION]`: one View per control-plane revision, sorted by name (numerically: 1-9-0 before 1-10-0).
 * Throws an `input` error naming the known revisions when `only` is unknown.
 */
export function summariseRevisions(mesh: Mesh, only?: string): RevisionView[] {
  if (only !== undefined && !mesh.revisions.has(only)) {
    throw new AmbientError(
      'input',
      `revision "${only}" not found in namespace ${mesh.istioNamespace}`,
      unknownRevisionHint(mesh, only),
    );
  }
  const usage = revisionUsage(mesh);
  return [...mesh.revisions.values()]
    .filter((r) => only === undefined || r.name === only)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    .map((r) =>
      summariseRevision(
        mesh,
        r,
        usage.get(r.name) ?? { revision: r.name, status: 'safe', reasons: [], unknown: [], pods: 0 },
      ),
    );
}

/** Where a tag's objects point, for messages: `webhook -> 1-27-9, Service -> 1-28-10`. */
function pointing(objects: TagObjects): string {
  const parts = [
    objects.webhook !== null ? `webhook -> ${objects.webhookRevision ?? '?'}` : 'no webhook',
    objects.service !== null ? `Service -> ${objects.serviceRevision ?? '?'}` : 'no Service',
    ...(objects.validator !== null ? [`validator -> ${objects.validatorRevision ?? '?'}`] : []),
  ];
  return parts.join(', ');
}

/** The problems of an unfinished operation or of unreadable annotations; they explain `split`/`validator` when present. */
function operationProblems(t: Tag, objects: TagObjects): Problem[] {
  const holder = t.webhook ?? t.service;
  const problems: Problem[] = [];
  if (t.intent !== undefined) {
    const p = t.intent;
    const { finish, undo } = operationCommands(t.name, p);
    problems.push({
      severity: 'error',
      code: 'incomplete',
      message:
        `tag ${t.name}: a tag-${p.op} from ${p.from ?? '(new)'} to ${p.to} (operation ${p.id}, started ` +
        `${p.at}) did not complete (${pointing(objects)}): finish it with "${finish}", or undo it with ` +
        `"${undo}"`,
    });
  }
  if (t.intentError !== undefined) {
    problems.push({
      severity: 'error',
      code: 'bad-operation',
      message:
        `tag ${t.name}: the operation record (annotation ${OPERATION}) on ` +
        `${holder?.metadata.name ?? '?'} is unreadable (${t.intentError}); check its objects ` +
        `(${pointing(objects)}), then remove the annotation`,
    });
  }
  if (t.historyError !== undefined) {
    problems.push({
      severity: 'warning',
      code: 'bad-history',
      message:
        `tag ${t.name}: the history annotation ${HISTORY} on ${holder?.metadata.name ?? '?'} is ` +
        `malformed (${t.historyError}): tag-rollback needs --to; the next tag-move replaces it`,
    });
  }
  return problems;
}

function tagProblems(mesh: Mesh, t: Tag, objects: TagObjects): Problem[] {
  const problems: Problem[] = operationProblems(t, objects);
  const explained = t.intent !== undefined;
  if (t.revision !== undefined && !mesh.revisions.has(t.revision)) {
    problems.push({
      severity: 'error',
      code: 'dangling',
      message:
        `tag ${t.name} points at revision ${t.revision}, which is not installed: move it with ` +
        `"kubectl ambient tag-move ${t.name} <revision>"`,
    });
  }
  if (
    !explained &&
    objects.webhookRevision !== null &&
    objects.serviceRevision !== null &&
    objects.webhookRevision !== objects.serviceRevision
  ) {
    // §3.1 (1.28+): both istiods then consider the tag theirs.
    problems.push({
      severity: 'error',
      code: 'split',
      message:
        `tag ${t.name}: webhook points at ${objects.webhookRevision} but Service ${objects.service} at ` +
        `${objects.serviceRevision}, so both istiods claim it: re-run ` +
        `"kubectl ambient tag-move ${t.name} <revision>"`,
    });
  }
  for (const [kind, list] of [
    ['webhooks', t.webhooks],
    ['Services', t.services],
  ] as const) {
    if (list.length < 2) continue;
    problems.push({
      severity: 'error',
      code: 'duplicate',
      message:
        `tag ${t.name} is defined by ${list.length} ${kind} ` +
        `(${list.map((o) => `${o.metadata.name} -> ${o.metadata.labels?.[REV] ?? '?'}`).join(', ')}): ` +
        `every one of them counts; delete the stray copies`,
    });
  }
  // §3.7, §7: a 1.28+ target renders a tag Service next to the webhook; a Service without a webhook
  // is what the 1.28+ istiod alone reads (sidecar injection does not follow it).
  const version = objects.webhookRevision !== null ? mesh.revisions.get(objects.webhookRevision)?.version : undefined;
  if (
    !explained &&
    objects.webhook !== null &&
    objects.service === null &&
    version !== undefined &&
    rendersTagService(version)
  ) {
    problems.push({
      severity: 'warning',
      code: 'no-service',
      message:
        `tag ${t.name} points at ${objects.webhookRevision ?? '?'} (${version ?? '?'}) but has no tag ` +
        `Service (its chart renders istiod-revision-tag-${t.name}): re-run ` +
        `"kubectl ambient tag-move ${t.name} ${objects.webhookRevision ?? '<revision>'}" to create it`,
    });
  }
  if (!explained && objects.webhook === null && objects.service !== null) {
    problems.push({
      severity: 'warning',
      code: 'service-only',
      message:
        `tag ${t.name} has a Service (-> ${objects.serviceRevision ?? '?'}) but no webhook: only istiod ` +
        `>= 1.28 reads it and sidecar injection does not follow the tag; if a tool left it half-made, ` +
        `re-create the webhook with "kubectl ambient tag-move ${t.name} <revision> --create" after ` +
        `deleting the Service`,
    });
  }
  if (t.name === DEFAULT_TAG && mesh.istioNamespace !== ISTIO_SYSTEM && t.webhook !== undefined) {
    // §2.7: istiod's leader election and otherDefaultTagExists read the unsuffixed name only.
    const other = mesh.exactDefaultWebhook;
    const exact =
      other !== undefined ? ` (which exists and points at ${other.metadata.labels?.[REV] ?? '?'})` : ' (absent)';
    problems.push({
      severity: 'warning',
      code: 'default-name',
      message:
        `outside ${ISTIO_SYSTEM} the default tag's webhook is ${t.webhook.metadata.name}, but istiod's ` +
        `leader election and istioctl 1.28-1.30 read ${DEFAULT_TAG_WEBHOOK}${exact}; ` +
        `unlabelled Gateways are claimed by ${nameList(mesh.defaultClaimants) || 'no revision'}`,
    });
  }
  if (!explained && objects.validatorRevision !== null && objects.validatorRevision !== t.revision) {
    problems.push({
      severity: 'error',
      code: 'validator',
      message: validatorMismatch(objects.validator, objects.validatorRevision, t.revision),
    });
  }
  problems.push(
    ...compact([ambientSidecar(mesh, t.name), bothClaim(mesh, t.name, t.revision, 'error'), helmOwned(t.name, t)]),
  );
  return problems;
}

const compact = (list: (Problem | undefined)[]): Problem[] => list.filter((p) => p !== undefined);

/** §3.8: the default validator calls another revision than the default tag (which may point at none). */
function validatorMismatch(
  validator: string | null,
  validatorRevision: string,
  tagRevision: string | undefined,
): string {
  if (tagRevision === undefined) {
    return (
      `${validator ?? 'the default validator'} points at ${validatorRevision}, and the default tag at no revision: ` +
      `point both at one with "kubectl ambient tag-move default <revision>"`
    );
  }
  return (
    `${validator ?? 'the default validator'} points at ${validatorRevision}, not at the default tag's ${tagRevision}: ` +
    `re-run "kubectl ambient tag-move default ${tagRevision}"`
  );
}

/**
 * §3.6 pitfall: the tag webhook's `rev.namespace` selector injects sidecars into ambient namespaces
 * labelled with the tag. Shown by `tags` and by `tag-move`/`tag-rollback`.
 */
export function ambientSidecar(mesh: Mesh, tag: string): Problem | undefined {
  const ambient = ambientLabelled(mesh, tag);
  if (ambient.length === 0) return undefined;
  const fix = `label the Gateways/waypoints with ${REV} instead, or set ${SIDECAR_INJECT}=false on pods`;
  const message = `ambient namespace(s) ${nameList(ambient)} carry ${REV}=${tag}: new pods there get sidecars; ${fix}`;
  return { severity: 'warning', code: 'ambient-sidecar', message };
}

/**
 * §3.1, §2.2 step 6a: a revision-less istiod always counts `default` among its tags, so with the
 * default tag on another revision both claim it. `tags` reports it as an error, a move as a warning.
 */
export function bothClaim(
  mesh: Mesh,
  tag: string,
  revision: string | undefined,
  severity: Problem['severity'],
): Problem | undefined {
  if (tag !== DEFAULT_TAG || !mesh.revisions.has(DEFAULT_TAG) || revision === DEFAULT_TAG) return undefined;
  const message =
    'a revision-less istiod (revision "default") is still installed: it claims the default tag too, ' +
    `next to ${revision ?? 'no revision'}, and its injector istio-sidecar-injector stays active; ` +
    'remove it (or deactivate that injector) once nothing follows it';
  return { severity, code: 'both-claim', message };
}

/** §1.6: tag objects of a Helm release are set back by its next `helm upgrade`. */
export function helmOwned(tag: string, t: Tag | undefined): Problem | undefined {
  const release = helmOwner(t?.webhook) ?? helmOwner(t?.service);
  if (release === undefined) return undefined;
  const message =
    `tag ${tag} is owned by Helm release "${release}": a later "helm upgrade ${release}" moves it ` +
    `back to that release's revisionTags`;
  return { severity: 'warning', code: 'helm-owned', message };
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
    revision: t.revision ?? null,
    version: (t.revision !== undefined ? mesh.revisions.get(t.revision)?.version : undefined) ?? null,
    previousRevision: previous?.revision ?? null,
    history: t.history,
    namespaces,
    gateways: mesh.gateways.filter((g) => g.tag === t.name).map(gatewayRef),
    objects,
    helmRelease: helmOwner(t.webhook) ?? helmOwner(t.service) ?? null,
    operation:
      t.intent === undefined
        ? null
        : {
            id: t.intent.id,
            op: t.intent.op,
            from: t.intent.from,
            to: t.intent.to,
            at: t.intent.at,
            toObjects: t.intent.toObjects,
            ...operationCommands(t.name, t.intent),
          },
    problems: tagProblems(mesh, t, objects),
  };
}

/**
 * `tags [TAG]`: one View per revision tag, `default` first, then by name. Tags come from webhooks
 * and (1.28+) Services labelled `${TAG}` (§3.1). Throws an `input` error for an unknown `only`.
 */
export function summariseTags(mesh: Mesh, only?: string): TagView[] {
  if (only !== undefined && !mesh.tags.has(only)) {
    throw new AmbientError(
      'input',
      `tag "${only}" not found (no ${TAG}=${only} webhook or Service)`,
      known(mesh.tags.keys()),
    );
  }
  return [...mesh.tags.values()]
    .filter((t) => only === undefined || t.name === only)
    .sort((a, b) => (a.name === DEFAULT_TAG ? -1 : b.name === DEFAULT_TAG ? 1 : a.name.localeCompare(b.name)))
    .map((t) => summariseTag(mesh, t));
}
