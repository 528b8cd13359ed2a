/**
 * Plans a tag move or rollback: validation, the objects to write (rendered like the chart, §1),
 * the diff and the warnings, all pure. `applyPlan` (src/core/apply.ts) is the only writer.
 */
import semver from 'semver';
import { objectChanges, type Change } from './diff.ts';
import { AmbientError } from './errors.ts';
import { forwardMoveWarning } from './hazards.ts';
import { appendHistory, popHistory, type HistoryEntry } from './history.ts';
import { DEFAULT_TAG, DEFAULT_VALIDATOR, HISTORY, REV, istiodName } from './labels.ts';
import { ambientLabelled, helmOwner, nameList, namespacesLabelled, type GatewayInfo, type Mesh, type Revision, type Tag } from './mesh.ts';
import { revisionNameError, tagNameError } from './names.ts';
import { injectorOf, renderTag } from './tag-render.ts';
import type { KubeObject, Service, WebhookConfiguration } from './model.ts';
import type { Problem } from './views.ts';

/** One object of a plan: what is there now, what will be written. */
export interface PlannedWrite {
  action: 'create' | 'replace';
  /** The object as read (with its resourceVersion), for `replace`. */
  before: KubeObject | undefined;
  /** The object to write; for `replace` it carries `before`'s resourceVersion (optimistic concurrency). */
  after: KubeObject;
  changes: Change[];
}

/** A tag move, ready to show, confirm and apply. */
export interface Plan {
  tag: string;
  /** The revision the tag points at now (undefined for a new tag). */
  from: string | undefined;
  to: string;
  toVersion: string;
  /** Writes in apply order: webhook, Service, default validator. Empty when nothing changes. */
  writes: PlannedWrite[];
  warnings: Problem[];
  /** Gateways and waypoints that follow the tag (their proxies roll to the new revision). */
  followers: GatewayInfo[];
  namespaces: string[];
}

export interface MoveOptions {
  tag: string;
  revision: string;
  /** Create the tag if it does not exist. */
  create: boolean;
  /** Move even when the target istiod is not ready. */
  force: boolean;
  now: Date;
}

/** Validates names before any API call (issue #3 step 1). */
export function validateNames(tag: string, revision?: string): void {
  const t = tagNameError(tag);
  if (t !== undefined) throw new AmbientError('input', `invalid tag name ${JSON.stringify(tag)}: ${t}`);
  if (revision === undefined) return;
  const r = revisionNameError(revision);
  if (r !== undefined) throw new AmbientError('input', `invalid revision name ${JSON.stringify(revision)}: ${r}`);
}

/** The target revision, which must exist exactly once (§2.2 step 2). */
function targetRevision(mesh: Mesh, revision: string): Revision {
  const r = mesh.revisions.get(revision);
  const canonical = r === undefined ? 0 : r.canonicalWebhooks.length;
  const services = r === undefined ? 0 : r.canonicalServices.length;
  if (r === undefined || canonical + services === 0) {
    const known = [...mesh.revisions.values()].filter((x) => x.canonicalWebhooks.length + x.canonicalServices.length > 0).map((x) => x.name).sort();
    throw new AmbientError('input', `revision "${revision}" not found in namespace ${mesh.istioNamespace} (no injector webhook or Service labelled ${REV}=${revision})`, `installed revisions: ${known.join(', ') || 'none'}`);
  }
  if (canonical > 1 || services > 1) {
    throw new AmbientError('input', `found several canonical ${canonical > 1 ? 'webhooks' : 'Services'} for revision "${revision}"; the tag would be ambiguous`, 'remove the stray copies first');
  }
  return r;
}

/**
 * The rendered object over the live one's identity: its name (a tag made with
 * `istioctl tag set --webhook-name` keeps it), its resourceVersion and its other annotations.
 */
function withMeta(obj: KubeObject, before: KubeObject | undefined, annotations: Record<string, string>): KubeObject {
  const meta = { ...obj.metadata, ...(before !== undefined ? { name: before.metadata.name } : {}) };
  if (before?.metadata.resourceVersion !== undefined) meta.resourceVersion = before.metadata.resourceVersion;
  const merged = { ...(before?.metadata.annotations ?? {}), ...(obj.metadata.annotations ?? {}), ...annotations };
  if (Object.keys(merged).length > 0) meta.annotations = merged;
  return { ...obj, metadata: meta };
}

/** The history annotation shown as the revisions it remembers, not as raw JSON. */
function readable(c: Change): Change {
  if (c.path !== `annotation ${HISTORY}`) return c;
  const revs = (v: string | undefined): string | undefined => (v === undefined ? undefined : (JSON.parse(v) as HistoryEntry[]).map((h) => h.revision).join(' > ') || '(empty)');
  return { path: 'history', before: revs(c.before), after: revs(c.after) };
}

function write(before: KubeObject | undefined, after: KubeObject): PlannedWrite {
  return {
    action: before === undefined ? 'create' : 'replace',
    before,
    after,
    changes: before === undefined ? [] : objectChanges(before, after).map(readable),
  };
}

/** The Service written to a tag whose Service exists: the render over the live object (keeps clusterIP & co). */
function serviceOver(existing: Service, desired: Service, annotations: Record<string, string>): Service {
  return {
    ...existing,
    metadata: { ...existing.metadata, labels: desired.metadata.labels ?? {}, ...(Object.keys(annotations).length > 0 ? { annotations: { ...(existing.metadata.annotations ?? {}), ...annotations } } : {}) },
    spec: { ...(existing.spec ?? {}), ports: desired.spec?.ports ?? [], selector: desired.spec?.selector ?? {} },
  };
}

/** A pre-1.28 target keeps a tag's existing Service pointing at it too (webhook and Service must agree, §3.1). */
function serviceRepointed(existing: Service, revision: string): Service {
  return {
    ...existing,
    metadata: { ...existing.metadata, labels: { ...(existing.metadata.labels ?? {}), [REV]: revision } },
    spec: { ...(existing.spec ?? {}), selector: { ...(existing.spec?.selector ?? {}), [REV]: revision } },
  };
}

/** `istiod-default-validator` pointed at the revision (§2.2 step 6): its label and its service name. */
function validatorRepointed(v: WebhookConfiguration, revision: string): WebhookConfiguration {
  return {
    ...v,
    metadata: { ...v.metadata, labels: { ...(v.metadata.labels ?? {}), [REV]: revision } },
    webhooks: (v.webhooks ?? []).map((w) =>
      w.clientConfig.service === undefined ? w : { ...w, clientConfig: { ...w.clientConfig, service: { ...w.clientConfig.service, name: istiodName(revision) } } },
    ),
  };
}

const WAYPOINT_TAG_FIX = '1.24.3';
/** §3.2: tag moves pushed empty xDS to waypoints for ~30 s in [1.24.3, 1.29.5) and [1.30.0, 1.30.2). */
function inEmptyConfigWindow(version: string | undefined): boolean {
  if (version === undefined) return false;
  const v = semver.coerce(version)?.version ?? version;
  return (semver.gte(v, '1.24.3') && semver.lt(v, '1.29.5')) || (semver.gte(v, '1.30.0') && semver.lt(v, '1.30.2'));
}

function warningsFor(mesh: Mesh, t: Tag | undefined, tag: string, target: Revision, version: string, followers: GatewayInfo[]): Problem[] {
  const w: Problem[] = [];
  const labelled = followers.filter((g) => g.source === 'gateway' && g.requested === tag);
  if (semver.lt(semver.coerce(version)?.version ?? version, WAYPOINT_TAG_FIX) && labelled.length > 0) {
    w.push({
      severity: 'warning',
      code: 'tag-labelled-gateways',
      message: `${labelled.length} gateway(s)/waypoint(s) carry ${REV}=${tag}, but ${target.name} (${version}) predates ${WAYPOINT_TAG_FIX}: they will not be programmed (istio#54465); label them with the revision or upgrade`,
    });
  }
  const oldVersion = t !== undefined ? mesh.revisions.get(t.revision)?.version : undefined;
  if (followers.length > 0 && (inEmptyConfigWindow(oldVersion) || inEmptyConfigWindow(version))) {
    w.push({
      severity: 'warning',
      code: 'empty-config-window',
      message: `${followers.length} gateway(s)/waypoint(s) follow ${tag} and ${inEmptyConfigWindow(oldVersion) ? `the old revision (${oldVersion ?? '?'})` : `the new revision (${version})`} is in 1.24.3-1.29.4 or 1.30.0-1.30.1: expect about 30 s of empty config on them while they move (istio#59959, fixed in 1.29.5/1.30.2)`,
    });
  }
  const release = helmOwner(t?.webhook) ?? helmOwner(t?.service);
  if (release !== undefined) {
    w.push({ severity: 'warning', code: 'helm-owned', message: `tag ${tag} is owned by Helm release "${release}": a later "helm upgrade ${release}" moves it back to that release's revisionTags` });
  }
  if (tag === DEFAULT_TAG) {
    const baseRelease = helmOwner(mesh.defaultValidator);
    if (baseRelease !== undefined) {
      w.push({ severity: 'warning', code: 'helm-owned', message: `${DEFAULT_VALIDATOR} is owned by Helm release "${baseRelease}": also run "helm upgrade ${baseRelease} istio/base --set defaultRevision=${target.name}", or its next upgrade points validation back` });
    }
    if (mesh.defaultValidator === undefined) {
      w.push({ severity: 'warning', code: 'no-validator', message: `there is no ${DEFAULT_VALIDATOR}: Istio config is validated by no default revision; install it with the istio/base chart (--set defaultRevision=${target.name})` });
    }
    if (mesh.revisions.has('default') && target.name !== 'default') {
      // §3.1: a revision-less istiod always counts "default" among its tags; §2.2 step 6a.
      w.push({ severity: 'warning', code: 'both-claim', message: `a revision-less istiod (revision "default") is still installed: it keeps claiming the default tag and its injector istio-sidecar-injector stays active next to ${target.name}; remove it (or deactivate that injector) after the move` });
    }
  }
  const ambient = ambientLabelled(mesh, tag);
  if (ambient.length > 0) {
    w.push({ severity: 'warning', code: 'ambient-sidecar', message: `ambient namespace(s) ${nameList(ambient)} carry ${REV}=${tag}: new pods there get sidecars from ${target.name}` });
  }
  const forward = forwardMoveWarning(oldVersion, version); // §5.1, §5.3: more than one minor forward, or onto a pre-release
  if (forward !== undefined) w.push({ severity: 'warning', code: 'forward-jump', message: `tag ${tag}: ${forward}` });
  if (oldVersion !== undefined && semver.minor(oldVersion) - semver.minor(semver.coerce(version)?.version ?? version) > 1) {
    w.push({ severity: 'warning', code: 'backwards', message: `this moves ${tag} back more than one minor version (${oldVersion} -> ${version}): gateways and waypoints will run a much older proxy` });
  }
  return w;
}

/**
 * Plans pointing TAG at REVISION. Throws `input` errors for unknown or invalid names and `problems`
 * for safety refusals (target not ready without --force). History: `appendTo` records where the tag
 * was; a rollback passes the history it leaves behind instead.
 */
export function planTagMove(mesh: Mesh, o: MoveOptions, history?: { entries: HistoryEntry[] }): Plan {
  validateNames(o.tag, o.revision);
  const target = targetRevision(mesh, o.revision);
  const existingRevision = mesh.revisions.get(o.tag);
  if (o.tag !== DEFAULT_TAG && existingRevision !== undefined && existingRevision.canonicalWebhooks.length + existingRevision.canonicalServices.length > 0) {
    throw new AmbientError('input', `cannot use "${o.tag}" as a tag: a control-plane revision has that name`, 'pick another tag name');
  }
  const t = mesh.tags.get(o.tag);
  if (t === undefined && !o.create) {
    const known = [...mesh.tags.keys()].sort();
    throw new AmbientError('input', `tag "${o.tag}" does not exist in namespace ${mesh.istioNamespace}`, `pass --create to create it (existing tags: ${known.join(', ') || 'none'})`);
  }
  if (target.version === undefined) {
    throw new AmbientError('input', `cannot tell the Istio version of revision ${target.name} (image ${target.image ?? 'unknown'} has no version tag and no version label)`, 'the tag objects depend on the chart version; fix the istiod image or labels');
  }
  if (!o.force && (target.ready === 0 || target.ready < target.desired)) {
    throw new AmbientError('problems', `istiod of revision ${target.name} is not ready (${target.ready}/${target.desired})`, 'wait for it, or pass --force to move the tag anyway');
  }
  const version = target.version;
  const rendered = renderTag({ tag: o.tag, revision: target.name, version, istioNamespace: mesh.istioNamespace, canonical: injectorOf(target.canonicalWebhooks[0]) });
  const entries = history?.entries ?? t?.history ?? [];
  const from = t !== undefined && t.revision !== '' ? t.revision : undefined;
  const historyValue =
    history !== undefined ? JSON.stringify(entries) : from !== undefined && from !== target.name ? appendHistory(entries, { revision: from, at: o.now.toISOString() }) : JSON.stringify(entries);
  const holder = t?.webhook ?? t?.service; // the history lives on the webhook, or on a Service-only tag's Service
  const annotations = entries.length === 0 && historyValue === '[]' && holder?.metadata.annotations?.[HISTORY] === undefined ? {} : { [HISTORY]: historyValue };

  // Keep the caBundle a live webhook already has when the canonical one has none yet (§3.5).
  const liveCa = t?.webhook?.webhooks?.find((w) => w.clientConfig.caBundle !== undefined)?.clientConfig.caBundle;
  if (liveCa !== undefined) for (const w of rendered.webhook.webhooks ?? []) w.clientConfig.caBundle ??= liveCa;

  // A 1.28+ tag defined by its Service alone stays that way: adding the webhook would start injecting
  // sidecars into namespaces labelled with the tag, ambient ones included (§3.1, §3.6).
  const serviceOnly = t !== undefined && t.webhook === undefined && t.service !== undefined;
  if (serviceOnly && rendered.service === undefined) {
    throw new AmbientError(
      'problems',
      `tag "${o.tag}" is defined by its Service alone, which istiod before 1.28 does not read, and ${target.name} is ${version}`,
      'move it to a 1.28+ revision, or recreate it with a webhook (delete the Service, then tag-move --create)',
    );
  }
  const candidates: PlannedWrite[] = serviceOnly ? [] : [write(t?.webhook, withMeta(rendered.webhook, t?.webhook, annotations))];
  if (rendered.service !== undefined) {
    candidates.push(t?.service !== undefined ? write(t.service, serviceOver(t.service, rendered.service, serviceOnly ? annotations : {})) : write(undefined, rendered.service));
  } else if (t?.service !== undefined) {
    candidates.push(write(t.service, serviceRepointed(t.service, target.name)));
  }
  const validator = o.tag === DEFAULT_TAG ? mesh.defaultValidator : undefined;
  if (validator !== undefined && validator.metadata.name === DEFAULT_VALIDATOR) candidates.push(write(validator, validatorRepointed(validator, target.name)));

  const writes = candidates.filter((w) => w.action === 'create' || w.changes.length > 0);
  const followers = mesh.gateways.filter((g) => g.tag === o.tag);
  const namespaces = namespacesLabelled(mesh, o.tag);
  return { tag: o.tag, from, to: target.name, toVersion: version, writes, warnings: warningsFor(mesh, t, o.tag, target, version, followers), followers, namespaces };
}

/**
 * Where a rollback goes and the history it leaves: the newest entry, or the newest entry for `--to`;
 * `remaining` undefined means "record the current revision, like a move".
 */
export function rollbackTarget(mesh: Mesh, tag: string, to: string | undefined): { revision: string; remaining: HistoryEntry[] | undefined } {
  validateNames(tag, to);
  const t = mesh.tags.get(tag);
  if (t === undefined) throw new AmbientError('input', `tag "${tag}" does not exist in namespace ${mesh.istioNamespace}`, `existing tags: ${[...mesh.tags.keys()].sort().join(', ') || 'none'}`);
  const history = t.history;
  const installed = [...mesh.revisions.keys()].sort();
  if (to === undefined) {
    const last = history.at(-1);
    if (last === undefined) {
      throw new AmbientError(
        'input',
        `tag "${tag}" has no recorded history (it was created by Helm or istioctl, or never moved by kubectl ambient)`,
        `to move it, run "kubectl ambient tag-move ${tag} <revision>" (installed revisions: ${installed.join(', ') || 'none'})`,
      );
    }
    if (!mesh.revisions.has(last.revision)) {
      throw new AmbientError('input', `the previous revision of "${tag}", ${last.revision}, is no longer installed`, `pick one with --to (installed: ${installed.join(', ') || 'none'})`);
    }
    return { revision: last.revision, remaining: JSON.parse(popHistory(history)) as HistoryEntry[] };
  }
  const idx = history.map((h) => h.revision).lastIndexOf(to);
  // A --to outside the history is a plain move: where the tag was is recorded (undefined = record).
  return { revision: to, remaining: idx === -1 ? undefined : history.slice(0, idx) };
}
