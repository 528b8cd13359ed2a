/**
 * Plans a tag move or rollback, pure: validation, the objects as they will be once the operation
 * completes (the live objects with what Istio's chart owns rendered like the target's chart,
 * chart-merge.ts), the diff, the warnings and the operation record that makes the change
 * crash-consistent (history.ts). `applyPlan` (apply.ts) is the only writer.
 *
 * A plan is one of three modes: `new` (a fresh move or rollback), `finish` (a move/rollback an
 * earlier run left incomplete, re-run with the same target) and `undo` (the same, back to where it
 * started). The `upgrade` command can plan several tags in a row with these functions.
 */
import {
  serviceOver,
  serviceRepointed,
  validatorRepointed,
  webhookConfigOver,
  withAnnotation,
  type ForeignWebhook,
} from './chart-merge.ts';
import { objectChanges, type Change } from './diff.ts';
import { AmbientError } from './errors.ts';
import { forwardMoveWarning } from './hazards.ts';
import {
  TAG_LABELLED_GATEWAYS_FIX,
  emptiesConfigOnMove,
  movesBackSeveralMinors,
  programsTagLabelledGateways,
} from './istio-rules.ts';
import {
  appended,
  operationCommands,
  operationValue,
  type HistoryEntry,
  type TagOperation,
  type TagRole,
} from './history.ts';
import { DEFAULT_TAG, DEFAULT_VALIDATOR, HISTORY, OPERATION, REV, istiodName } from './labels.ts';
import { helmOwner, namespacesLabelled, type GatewayInfo, type Mesh, type Revision, type Tag } from './mesh.ts';
import type { KubeObject, WebhookConfiguration } from './model.ts';
import { revisionNameError, tagNameError } from './names.ts';
import { AUTO_WEBHOOK, injectorOf, renderTag, templateShape } from './tag-render.ts';
import { ambientSidecar, bothClaim, helmOwned, type Problem } from './views.ts';

/** Which object of a tag a write is about. */
export type WriteRole = TagRole | 'validator';

/** One object of a plan: what is there now and what it will be once the operation completes. */
export interface PlannedWrite {
  action: 'create' | 'replace' | 'delete';
  role: WriteRole;
  /** The object as read (with its resourceVersion): the precondition of a replace or delete. */
  before: KubeObject | undefined;
  /** The object once the operation completes; for a delete, the object deleted (= before). */
  after: KubeObject;
  /** Every change from `before` to `after` (empty for create and delete). */
  changes: Change[];
  /** Why an object is deleted (shown in the diff). */
  reason?: string;
}

export type PlanMode = 'new' | 'finish' | 'undo';

/** A tag change, ready to show, confirm and apply. */
export interface Plan {
  tag: string;
  mode: PlanMode;
  /** What the operation record says the user ran (for `finish`/`undo`: the interrupted command). */
  op: 'move' | 'rollback';
  /** The revision the tag pointed at before the operation (undefined: a new tag). */
  from: string | undefined;
  /** The revision it points at once the plan is applied (undefined: an undone creation removes the tag). */
  to: string | undefined;
  toVersion: string | undefined;
  /** The object our annotations (history, operation record) live on. */
  holder: TagRole;
  /** The record the holder carries while the writes run; `pending` when an earlier run wrote it. */
  operation: TagOperation;
  pending: boolean;
  /** The history once the plan is applied. */
  history: HistoryEntry[];
  /** Object changes in apply order, the holder last. Empty: nothing to do. */
  writes: PlannedWrite[];
  /** Every object of the tag (changed or not, as read, or as created): what the final message reads back. */
  objects: { role: WriteRole; object: KubeObject }[];
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
  /** The id recorded for a new operation. */
  id: string;
}

export interface RollbackOptions {
  tag: string;
  /** Roll back to this revision instead of the newest in the history. */
  to: string | undefined;
  force: boolean;
  now: Date;
  id: string;
}

/** Validates names before any API call. */
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
    const known = [...mesh.revisions.values()]
      .filter((x) => x.canonicalWebhooks.length + x.canonicalServices.length > 0)
      .map((x) => x.name)
      .sort();
    throw new AmbientError(
      'input',
      `revision "${revision}" not found in namespace ${mesh.istioNamespace} (no injector webhook or ` +
        `Service labelled ${REV}=${revision})`,
      `installed revisions: ${known.join(', ') || 'none'}`,
    );
  }
  if (canonical > 1 || services > 1) {
    throw new AmbientError(
      'input',
      `found several canonical ${canonical > 1 ? 'webhooks' : 'Services'} for revision "${revision}"; ` +
        `the tag would be ambiguous`,
      'remove the stray copies first',
    );
  }
  return r;
}

/** The target's version and readiness, checked before anything is planned. */
function usableTarget(mesh: Mesh, revision: string, force: boolean): { target: Revision; version: string } {
  const target = targetRevision(mesh, revision);
  if (target.version === undefined) {
    throw new AmbientError(
      'input',
      `cannot tell the Istio version of revision ${target.name} (image ${target.image ?? 'unknown'} ` +
        `has no version tag and no version label)`,
      'the tag objects depend on the chart version; fix the istiod image or labels',
    );
  }
  if (!force && (target.ready === 0 || target.ready < target.desired)) {
    throw new AmbientError(
      'problems',
      `istiod of revision ${target.name} is not ready (${target.ready}/${target.desired})`,
      'wait for it, or pass --force to move the tag anyway',
    );
  }
  return { target, version: target.version };
}

/** Followers labelled with the tag itself stay unprogrammed on an istiod before 1.24.3 (§3.2). */
function tagLabelledWarning(
  tag: string,
  target: Revision,
  version: string,
  labelled: GatewayInfo[],
): Problem | undefined {
  if (labelled.length === 0 || programsTagLabelledGateways(version)) return undefined;
  const message =
    `${labelled.length} gateway(s)/waypoint(s) carry ${REV}=${tag}, but ${target.name} (${version}) ` +
    `predates ${TAG_LABELLED_GATEWAYS_FIX}: ` +
    'they will not be programmed (istio#54465); label them with the revision or upgrade';
  return { severity: 'warning', code: 'tag-labelled-gateways', message };
}

/** A move off or onto an istiod in the empty-config window empties its followers' config for ~30 s (§3.2). */
function emptyConfigWarning(
  tag: string,
  oldVersion: string | undefined,
  version: string,
  followers: GatewayInfo[],
): Problem | undefined {
  if (followers.length === 0 || !(emptiesConfigOnMove(oldVersion) || emptiesConfigOnMove(version))) return undefined;
  const which = emptiesConfigOnMove(oldVersion)
    ? `the old revision (${oldVersion ?? '?'})`
    : `the new revision (${version})`;
  const message =
    `${followers.length} gateway(s)/waypoint(s) follow ${tag} and ${which} is in 1.24.3-1.29.4 or 1.30.0-1.30.1: ` +
    'expect about 30 s of empty config on them while they move (istio#59959, fixed in 1.29.5/1.30.2)';
  return { severity: 'warning', code: 'empty-config-window', message };
}

/** Warnings about the default validator when the default tag moves (§2.2 step 6, §1.6). */
function validatorWarnings(mesh: Mesh, target: Revision): Problem[] {
  const w: Problem[] = [];
  const baseRelease = helmOwner(mesh.defaultValidator);
  if (baseRelease !== undefined) {
    const message =
      `${DEFAULT_VALIDATOR} is owned by Helm release "${baseRelease}": also run ` +
      `"helm upgrade ${baseRelease} istio/base --set defaultRevision=${target.name}", or its next upgrade points validation back`;
    w.push({ severity: 'warning', code: 'helm-owned', message });
  }
  if (mesh.defaultValidator === undefined) {
    const message =
      `there is no ${DEFAULT_VALIDATOR}: Istio config is validated by no default revision; ` +
      `install it with the istio/base chart (--set defaultRevision=${target.name})`;
    w.push({ severity: 'warning', code: 'no-validator', message });
  }
  return w;
}

/** A move more than one minor backwards: the followers' proxies jump back with it (§5.1). */
function backwardsWarning(tag: string, oldVersion: string | undefined, version: string): Problem | undefined {
  if (oldVersion === undefined || !movesBackSeveralMinors(oldVersion, version)) return undefined;
  const message =
    `this moves ${tag} back more than one minor version (${oldVersion} -> ${version}): gateways and ` +
    `waypoints will run a much older proxy`;
  return { severity: 'warning', code: 'backwards', message };
}

function warningsFor(
  mesh: Mesh,
  t: Tag | undefined,
  tag: string,
  target: Revision,
  version: string,
  followers: GatewayInfo[],
): Problem[] {
  const w: (Problem | undefined)[] = [];
  // The followers change istiod only when some istiod claiming the tag is not the target (§3.1: a
  // split tag has two claimants); a move that only repairs objects moves none of them.
  const followersMove =
    t === undefined || t.claimants.some((r) => r !== target.name) || !t.claimants.includes(target.name);
  const oldVersion = t?.revision !== undefined ? mesh.revisions.get(t.revision)?.version : undefined;
  if (followersMove) {
    const labelled = followers.filter((g) => g.source === 'gateway' && g.requested === tag);
    w.push(tagLabelledWarning(tag, target, version, labelled), emptyConfigWarning(tag, oldVersion, version, followers));
  }
  w.push(helmOwned(tag, t));
  if (tag === DEFAULT_TAG) w.push(...validatorWarnings(mesh, target), bothClaim(mesh, tag, target.name, 'warning'));
  w.push(ambientSidecar(mesh, tag));
  const forward = forwardMoveWarning(oldVersion, version); // §5.1, §5.3: more than one minor forward, or onto a pre-release
  if (forward !== undefined) w.push({ severity: 'warning', code: 'forward-jump', message: `tag ${tag}: ${forward}` });
  w.push(backwardsWarning(tag, oldVersion, version));
  if (t?.historyError !== undefined) {
    const message =
      `the history annotation ${HISTORY} of tag ${tag} is malformed (${t.historyError}): it is ` +
      `replaced, the earlier revisions it held are lost`;
    w.push({ severity: 'warning', code: 'bad-history', message });
  }
  return w.filter((p) => p !== undefined);
}

/** The objects a tag has now. */
function rolesOf(t: Tag | undefined): TagRole[] {
  return [
    ...(t?.webhook !== undefined ? (['webhook'] as const) : []),
    ...(t?.service !== undefined ? (['service'] as const) : []),
  ];
}

/**
 * The objects the tag has once moved to `version`: the webhook, and the Service when that chart
 * renders one (1.28+, §1.2). A tag defined by its Service alone keeps only its Service (adding a
 * webhook would inject sidecars into namespaces labelled with the tag, ambient ones included, §3.1,
 * §3.6); `planNew` refuses such a tag on a chart before 1.28.
 */
function chartRoles(t: Tag | undefined, version: string): TagRole[] {
  const serviceOnly = t !== undefined && t.webhook === undefined && t.service !== undefined;
  return [
    ...(serviceOnly ? [] : (['webhook'] as const)),
    ...(templateShape(version).service || serviceOnly ? (['service'] as const) : []),
  ];
}

function write(role: WriteRole, before: KubeObject | undefined, after: KubeObject): PlannedWrite {
  return {
    action: before === undefined ? 'create' : 'replace',
    role,
    before,
    after,
    changes: before === undefined ? [] : objectChanges(before, after),
  };
}

/** What to write, given where the tag goes. The core of every mode. */
interface Change0 {
  mode: PlanMode;
  operation: TagOperation;
  pending: boolean;
  /** undefined: the tag is removed (an undone creation). */
  target: { revision: Revision; version: string } | undefined;
  toObjects: TagRole[];
  history: HistoryEntry[];
}

function planChange(mesh: Mesh, tag: string, t: Tag | undefined, c: Change0): Plan {
  const writes: PlannedWrite[] = [];
  const warnings: Problem[] = [];
  const holder: TagRole = c.toObjects.includes('webhook') || t?.webhook !== undefined ? 'webhook' : 'service';
  const helm = helmOwner(t?.webhook) !== undefined || helmOwner(t?.service) !== undefined;
  // Our annotations once done: the new history (kept absent on a tag that never had one), no operation record.
  const finalise = (o: KubeObject): KubeObject => {
    const hadHistory = o.metadata.annotations?.[HISTORY] !== undefined;
    const withHistory = c.history.length > 0 || hadHistory ? withAnnotation(o, HISTORY, JSON.stringify(c.history)) : o;
    return withAnnotation(withHistory, OPERATION, undefined);
  };

  if (c.target === undefined) {
    // Undoing a creation: the objects the interrupted tag-move --create made are deleted, the holder last.
    if (t?.service !== undefined && holder !== 'service')
      writes.push({
        action: 'delete',
        role: 'service',
        before: t.service,
        after: t.service,
        changes: [],
        reason: 'created by the interrupted tag-move --create',
      });
    const h = holder === 'webhook' ? t?.webhook : t?.service;
    if (h !== undefined)
      writes.push({
        action: 'delete',
        role: holder,
        before: h,
        after: h,
        changes: [],
        reason: 'created by the interrupted tag-move --create',
      });
  } else {
    const { revision: target, version } = c.target;
    const enableNamespacesByDefault =
      tag === DEFAULT_TAG && (t?.webhook?.webhooks ?? []).some((w) => w.name === AUTO_WEBHOOK);
    const rendered = renderTag({
      tag,
      revision: target.name,
      version,
      istioNamespace: mesh.istioNamespace,
      canonical: injectorOf(target.canonicalWebhooks[0]),
      enableNamespacesByDefault,
    });
    // Keep the caBundle a live webhook already has when the canonical one has none yet (§3.5).
    const liveCa = t?.webhook?.webhooks?.find((w) => w.clientConfig.caBundle !== undefined)?.clientConfig.caBundle;
    if (liveCa !== undefined) for (const w of rendered.webhook.webhooks ?? []) w.clientConfig.caBundle ??= liveCa;

    let hook: PlannedWrite | undefined;
    if (c.toObjects.includes('webhook')) {
      if (t?.webhook !== undefined) {
        const from = c.operation.from ?? t.revision;
        const merged = webhookConfigOver(t.webhook, rendered.webhook, {
          istioNamespace: mesh.istioNamespace,
          fromRevision: from,
          helmOwned: helm,
        });
        hook = write('webhook', t.webhook, merged.object);
        warnings.push(...foreignWarnings(tag, t.webhook, merged.foreign, from, target.name));
      } else {
        hook = write('webhook', undefined, rendered.webhook);
      }
    }
    if (c.toObjects.includes('service')) {
      if (rendered.service !== undefined)
        writes.push(
          t?.service !== undefined
            ? write('service', t.service, serviceOver(t.service, rendered.service, helm))
            : write('service', undefined, rendered.service),
        );
      else if (t?.service !== undefined)
        writes.push(write('service', t.service, serviceRepointed(t.service, target.name)));
    } else if (t?.service !== undefined && holder !== 'service') {
      // §7: left, a tag Service keeps the 1.28+ istiod claiming the tag (§3.1).
      const reason = templateShape(version).service
        ? `the tag had no Service at ${target.name}`
        : `the ${version} chart renders no tag Service; left, it would keep the newer istiod claiming ${tag}`;
      writes.push({ action: 'delete', role: 'service', before: t.service, after: t.service, changes: [], reason });
    }
    const validator = tag === DEFAULT_TAG ? mesh.defaultValidator : undefined;
    if (validator !== undefined && validator.metadata.name === DEFAULT_VALIDATOR)
      writes.push(write('validator', validator, validatorRepointed(validator, target.name)));
    if (hook !== undefined) writes.push(hook);
    // The holder's final write carries the history and drops the operation record (even when
    // nothing else of it changes).
    let h = writes.find((w) => w.role === holder);
    const live = holder === 'webhook' ? t?.webhook : t?.service;
    if (h === undefined && live !== undefined) writes.push((h = write(holder, live, live)));
    if (h !== undefined && h.action !== 'delete') {
      h.after = finalise(h.after);
      h.changes = h.before === undefined ? [] : objectChanges(h.before, h.after);
    }
  }
  const kept = writes.filter((w) => w.action !== 'replace' || w.changes.length > 0);
  // The holder last: its final write completes the operation.
  kept.sort((a, b) => Number(a.role === holder) - Number(b.role === holder));
  const objects = kept.map((w) => ({ role: w.role, object: w.before ?? w.after }));
  const unchanged: [WriteRole, KubeObject | undefined][] = [
    ['service', t?.service],
    ['validator', tag === DEFAULT_TAG ? mesh.defaultValidator : undefined],
    ['webhook', t?.webhook],
  ];
  for (const [role, o] of unchanged)
    if (o !== undefined && !objects.some((x) => x.role === role)) objects.push({ role, object: o });
  // Always in one order (the write order): Service, validator, webhook.
  const rank: Record<WriteRole, number> = { service: 0, validator: 1, webhook: 2 };
  objects.sort((a, b) => rank[a.role] - rank[b.role]);
  const followers = mesh.gateways.filter((g) => g.tag === tag);
  const baseWarnings =
    c.target !== undefined ? warningsFor(mesh, t, tag, c.target.revision, c.target.version, followers) : [];
  return {
    tag,
    mode: c.mode,
    op: c.operation.op,
    from: c.operation.from ?? undefined,
    to: c.target?.revision.name,
    toVersion: c.target?.version,
    holder,
    operation: c.operation,
    pending: c.pending,
    history: c.history,
    writes: kept,
    objects,
    warnings: [...baseWarnings, ...warnings],
    followers,
    namespaces: namespacesLabelled(mesh, tag),
  };
}

function foreignWarnings(
  tag: string,
  live: WebhookConfiguration,
  foreign: ForeignWebhook[],
  from: string | undefined,
  to: string,
): Problem[] {
  return foreign
    .filter((f) => f.repointed)
    .map((f) => ({
      severity: 'warning' as const,
      code: 'foreign-webhook',
      message:
        `webhook ${f.name} of ${live.metadata.name} is not rendered by Istio's chart for tag ${tag} but ` +
        `called ${istiodName(from)}: it now calls ${istiodName(to)} too, the rest of it is kept`,
    }));
}

/** A tag whose operation record cannot be read: nothing is moved until someone looks. */
function refuseUnreadable(t: Tag): void {
  if (t.intentError === undefined) return;
  const o = t.webhook ?? t.service;
  const kind = t.webhook !== undefined ? 'mutatingwebhookconfiguration' : `service -n ${o?.metadata.namespace ?? ''}`;
  throw new AmbientError(
    'problems',
    `the operation record (annotation ${OPERATION}) on ${o?.metadata.name ?? t.name} is unreadable: ${t.intentError}`,
    `check the tag's objects with "kubectl ambient tags ${t.name}", then remove the record: kubectl ` +
      `annotate ${kind} ${o?.metadata.name ?? ''} ${OPERATION}-`,
  );
}

function pendingRefusal(t: Tag, p: TagOperation, asked: string): AmbientError {
  const { finish, undo } = operationCommands(t.name, p);
  return new AmbientError(
    'problems',
    `tag ${t.name} has an unfinished tag-${p.op} from ${p.from ?? '(new)'} to ${p.to} (operation ` +
      `${p.id}, started ${p.at}), so it cannot be ${asked}`,
    `finish it with "${finish}" or undo it with "${undo}" first`,
  );
}

/** Finishing or undoing the operation an earlier run left on the tag. */
function planPending(mesh: Mesh, t: Tag, p: TagOperation, mode: 'finish' | 'undo', force: boolean): Plan {
  const revision = mode === 'finish' ? p.to : p.from;
  const target =
    revision === null
      ? undefined
      : (() => {
          const u = usableTarget(mesh, revision, force);
          return { revision: u.target, version: u.version };
        })();
  return planChange(mesh, t.name, t, {
    mode,
    operation: p,
    pending: true,
    target,
    toObjects: mode === 'finish' ? p.toObjects : p.fromObjects,
    history: mode === 'finish' ? p.history : t.history,
  });
}

/**
 * Plans `tag-move TAG REVISION`. Throws `input` errors for unknown or invalid names and `problems`
 * for safety refusals (target not ready without --force, an unfinished operation to another
 * revision). With an unfinished operation on the tag, moving to its target finishes it and moving
 * to where it started undoes it.
 */
export function planTagMove(mesh: Mesh, o: MoveOptions): Plan {
  validateNames(o.tag, o.revision);
  const t = mesh.tags.get(o.tag);
  if (t !== undefined) {
    refuseUnreadable(t);
    const p = t.intent;
    if (p !== undefined) {
      if (o.revision === p.to) return planPending(mesh, t, p, 'finish', o.force);
      if (o.revision === p.from) return planPending(mesh, t, p, 'undo', o.force);
      throw pendingRefusal(t, p, `moved to ${o.revision}`);
    }
  }
  const { target, version } = usableTarget(mesh, o.revision, o.force);
  const existingRevision = mesh.revisions.get(o.tag);
  if (
    o.tag !== DEFAULT_TAG &&
    existingRevision !== undefined &&
    existingRevision.canonicalWebhooks.length + existingRevision.canonicalServices.length > 0
  ) {
    throw new AmbientError(
      'input',
      `cannot use "${o.tag}" as a tag: a control-plane revision has that name`,
      'pick another tag name',
    );
  }
  if (t === undefined && !o.create) {
    const known = [...mesh.tags.keys()].sort();
    throw new AmbientError(
      'input',
      `tag "${o.tag}" does not exist in namespace ${mesh.istioNamespace}`,
      `pass --create to create it (existing tags: ${known.join(', ') || 'none'})`,
    );
  }
  const history = recorded(t, target.name, o.now);
  return planNew(mesh, o, t, { op: 'move', target, version, history, toObjects: chartRoles(t, version) });
}

/** The tag's history, plus where it is now when it moves elsewhere (`tag-rollback` returns there). */
function recorded(t: Tag | undefined, to: string, now: Date): HistoryEntry[] {
  const from = t?.revision;
  return from !== undefined && from !== to
    ? appended(t?.history ?? [], { revision: from, at: now.toISOString(), objects: rolesOf(t) })
    : (t?.history ?? []);
}

/** A move or rollback of tag `o.tag` from where it is now (`t`, undefined when new) to `n.target`. */
function planNew(
  mesh: Mesh,
  o: { tag: string; id: string; now: Date },
  t: Tag | undefined,
  n: {
    op: 'move' | 'rollback';
    target: Revision;
    version: string;
    history: HistoryEntry[];
    toObjects: TagRole[];
  },
): Plan {
  const tag = o.tag;
  if (t !== undefined && t.webhook === undefined && t.service !== undefined && !templateShape(n.version).service) {
    throw new AmbientError(
      'problems',
      `tag "${tag}" is defined by its Service alone, which istiod before 1.28 does not read, and ${n.target.name} is ${n.version}`,
      'move it to a 1.28+ revision, or recreate it with a webhook (delete the Service, then tag-move --create)',
    );
  }
  const operation: TagOperation = {
    id: o.id,
    op: n.op,
    from: t?.revision ?? null,
    to: n.target.name,
    at: o.now.toISOString(),
    history: n.history,
    fromObjects: rolesOf(t),
    toObjects: n.toObjects,
  };
  return planChange(mesh, tag, t, {
    mode: 'new',
    operation,
    pending: false,
    target: { revision: n.target, version: n.version },
    toObjects: n.toObjects,
    history: n.history,
  });
}

/**
 * Plans `tag-rollback TAG [--to REVISION]`: back to the newest revision of the history (or the
 * newest entry for `--to`), restoring the objects the tag had there (the entry records them), and
 * consuming the history from that entry on. A `--to` outside the history is a plain move (where
 * the tag was is recorded). With an unfinished operation on the tag: an interrupted move is undone,
 * an interrupted rollback finished.
 */
export function planTagRollback(mesh: Mesh, o: RollbackOptions): Plan {
  validateNames(o.tag, o.to);
  const t = mesh.tags.get(o.tag);
  if (t === undefined)
    throw new AmbientError(
      'input',
      `tag "${o.tag}" does not exist in namespace ${mesh.istioNamespace}`,
      `existing tags: ${[...mesh.tags.keys()].sort().join(', ') || 'none'}`,
    );
  refuseUnreadable(t);
  const p = t.intent;
  if (p !== undefined) {
    if (p.op === 'move' && (o.to === undefined || o.to === p.from)) return planPending(mesh, t, p, 'undo', o.force);
    if (p.op === 'rollback' && (o.to === undefined || o.to === p.to)) return planPending(mesh, t, p, 'finish', o.force);
    throw pendingRefusal(t, p, `rolled back${o.to !== undefined ? ` to ${o.to}` : ''}`);
  }
  const installed = [...mesh.revisions.keys()].sort();
  let revision: string;
  let history: HistoryEntry[];
  let objects: TagRole[] | undefined;
  if (o.to === undefined) {
    if (t.historyError !== undefined) {
      throw new AmbientError(
        'input',
        `the history of tag "${o.tag}" (annotation ${HISTORY}) is malformed: ${t.historyError}`,
        `pick the revision with --to (installed revisions: ${installed.join(', ') || 'none'})`,
      );
    }
    const last = t.history.at(-1);
    if (last === undefined) {
      throw new AmbientError(
        'input',
        `tag "${o.tag}" has no recorded history (it was created by Helm or istioctl, or never moved by kubectl ambient)`,
        `to move it, run "kubectl ambient tag-move ${o.tag} <revision>" (installed revisions: ${installed.join(', ') || 'none'})`,
      );
    }
    if (!mesh.revisions.has(last.revision)) {
      throw new AmbientError(
        'input',
        `the previous revision of "${o.tag}", ${last.revision}, is no longer installed`,
        `pick one with --to (installed: ${installed.join(', ') || 'none'})`,
      );
    }
    revision = last.revision;
    history = t.history.slice(0, -1);
    objects = last.objects;
  } else {
    const idx = t.history.map((h) => h.revision).lastIndexOf(o.to);
    revision = o.to;
    if (idx === -1) {
      // A --to outside the history is a plain move: where the tag was is recorded.
      history = recorded(t, o.to, o.now);
    } else {
      history = t.history.slice(0, idx);
      objects = t.history[idx]?.objects;
    }
  }
  const { target, version } = usableTarget(mesh, revision, o.force);
  return planNew(mesh, o, t, {
    op: 'rollback',
    target,
    version,
    history,
    toObjects: objects ?? chartRoles(t, version),
  });
}

/** One line for the top of the diff: what the plan does. */
export function planTitle(plan: Plan): string {
  const arrow = `${plan.from ?? '(new)'} -> ${plan.to ?? '(removed)'}${plan.toVersion !== undefined ? ` (${plan.toVersion})` : ''}`;
  const interrupted =
    `the interrupted tag-${plan.op} ${plan.operation.from ?? '(new)'} -> ${plan.operation.to} ` +
    `(operation ${plan.operation.id})`;
  if (plan.mode === 'finish') return `tag ${plan.tag}: finishing ${interrupted}`;
  if (plan.mode === 'undo') {
    const back =
      plan.to !== undefined
        ? `back to ${plan.to}${plan.toVersion !== undefined ? ` (${plan.toVersion})` : ''}`
        : undefined;
    return `tag ${plan.tag}: undoing ${interrupted}: ${back ?? 'its objects are deleted'}`;
  }
  return `tag ${plan.tag}: ${arrow}`;
}

/**
 * The confirmation question for a plan, naming the cluster it changes (`on context prod-eu
 * (https://...)`): the one thing a prompt must not leave to the operator's memory of --context.
 */
export function planQuestion(plan: Plan, verb: string, where: { context: string; server: string }): string {
  const on = `on context ${where.context} (${where.server})`;
  if (plan.mode === 'finish') return `Finish the tag-${plan.op} of ${plan.tag} ${on} to ${plan.to ?? '?'}? [y/N] `;
  if (plan.mode === 'undo')
    return (
      `Undo the tag-${plan.op} of ${plan.tag} ` +
      `${on}${plan.to !== undefined ? ` (back to ${plan.to})` : ' (delete its objects)'}? [y/N] `
    );
  return `${verb} tag ${plan.tag} ${on} from ${plan.from ?? '(new)'} to ${plan.to ?? '?'}? [y/N] `;
}

/** The operation record's annotation value as the plan writes it. */
export function recordValue(plan: Plan): string {
  return operationValue(plan.operation);
}
