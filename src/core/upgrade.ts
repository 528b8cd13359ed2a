/**
 * `upgrade REVISION`, pure: which tags move to the revision and in which order, what
 * follows each, the preconditions, and the shape of the outcome. The runbook's data-plane step is
 * "move each tag, watch the applications that use it, roll back on a problem" (§1.5, §7); the
 * moves and rollbacks themselves go through tag-plan.ts/apply.ts like `tag-move`, the gate is
 * gate.ts. The cluster is the state: a tag whose objects all point at the revision is done.
 */
import { AmbientError } from './errors.ts';
import type { Finding } from './skew.ts';
import { DEFAULT_TAG } from './labels.ts';
import type { GatewayInfo, Mesh } from './mesh.ts';
import { planTagMove, validateNames } from './tag-plan.ts';
import { summariseTags, type TagView } from './views.ts';

/**
 * What happens to a tag: `move` (then its gate), `verify` (already on the revision, but its
 * followers are not seen healthy yet: gate only), `skip`.
 */
export type TagAction = 'move' | 'verify' | 'skip';

/** A Gateway or waypoint that follows a tag, as the plan shows it. */
export interface FollowerRef {
  kind: 'gateway' | 'waypoint';
  namespace: string;
  name: string;
  /** The revisions its pods run now (§3.7 rows 6, 9). */
  runs: string[];
}

/** One tag of the plan. */
export interface PlannedTag {
  tag: string;
  /** The revision the tag points at now (its webhook's, else its Service's); null when it points at none. */
  from: string | null;
  action: TagAction;
  /** Why this action, in words. */
  reason: string;
  followers: FollowerRef[];
  /** Namespaces labelled `istio.io/rev=<tag>`: their new pods get the revision's injector. */
  namespaces: string[];
}

/** One check made before anything is written. */
export interface Precondition {
  check: 'istiod-ready' | 'skew' | 'tags';
  ok: boolean;
  message: string;
  /** The failing findings or tag problems, one line each. */
  details: string[];
}

/** The plan of `upgrade REVISION` (printed first; `-o json` prints this object). */
export interface UpgradePlan {
  kind: 'UpgradePlan';
  revision: string;
  version: string | null;
  /** `given` (--tags) or `fewest-followers` (gateways/waypoints, then namespaces, then name; `default` last). */
  order: 'given' | 'fewest-followers';
  tags: PlannedTag[];
  preconditions: Precondition[];
  /** Every precondition holds. */
  ok: boolean;
  /** --force: failed preconditions are overridden. */
  forced: boolean;
  gate: { timeout: string; soak: string };
}

export interface UpgradeOptions {
  revision: string;
  /** --tags, in the order given; undefined: every tag. */
  tags: string[] | undefined;
  force: boolean;
  /** The findings of `skew --target REVISION` (§5), or why they could not be made. */
  skew: Finding[];
  timeout: string;
  soak: string;
  now: Date;
}

/** Outcome of a tag, for pipelines (`-o json`). */
export type TagOutcome = 'moved' | 'rolled-back' | 'skipped' | 'pending';

/** How the gate of a tag ended. */
export type GateStatus = 'passed' | 'failed' | 'timed-out' | 'interrupted' | 'unverified';

export interface GateReport {
  status: GateStatus;
  /** One line: what was seen, or what failed. */
  message: string;
  /** The followers that failed it, and why. */
  failing: string[];
}

export interface TagResult {
  tag: string;
  from: string | null;
  to: string;
  outcome: TagOutcome;
  /** null when no gate ran for it. */
  gate: GateReport | null;
  message: string;
}

/** The outcome of `upgrade REVISION` (printed last; `-o json` prints this object after the plan). */
export interface UpgradeResult {
  kind: 'UpgradeResult';
  revision: string;
  /** `succeeded`: every tag on the revision; `stopped`: a gate failed or a step failed; `interrupted`: a signal. */
  status: 'succeeded' | 'stopped' | 'interrupted';
  tags: TagResult[];
  /** The command that continues the upgrade, and those that undo what it moved (newest first). */
  next: { continue: string | null; undo: string[] };
}

/** Tag problems that make a move ambiguous: refused before anything is written (unless --force). */
const BLOCKING = new Set(['incomplete', 'split', 'duplicate', 'bad-operation']);

function followerRef(g: GatewayInfo): FollowerRef {
  return { kind: g.kind, namespace: g.namespace, name: g.name, runs: g.runningRevisions };
}

/**
 * A follower seen healthy on `revision` in the snapshot: managed by it, its pods on it, its proxy
 * rolled out on it, `Programmed=True`. The snapshot reads pods metadata-only, so restarts are the
 * gate's business; this only decides whether a tag already on the revision needs its gate.
 */
export function seenHealthy(g: GatewayInfo, revision: string): boolean {
  return (
    g.revision === revision &&
    g.runningRevisions.length > 0 &&
    g.runningRevisions.every((r) => r === revision) &&
    g.proxy !== undefined &&
    g.proxy.runningRevision === revision &&
    g.proxy.rolledOut &&
    g.programmed?.status === 'True' &&
    g.programmed.current
  );
}

/** Every object of the tag points at the revision and no operation is pending on it. */
function onRevision(v: TagView, revision: string): boolean {
  const o = v.objects;
  const pointed = [o.webhookRevision, o.serviceRevision, o.validatorRevision].filter((r) => r !== null);
  return v.operation === null && pointed.length > 0 && pointed.every((r) => r === revision);
}

/** Parses `--tags a,b,c`: names in order, no duplicates. */
export function parseTagList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw new AmbientError(
      'usage',
      `invalid --tags "${text}": an empty name`,
      'give tag names separated by commas, e.g. --tags canary,prod,default',
    );
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new AmbientError(
      'usage',
      `invalid --tags "${text}": ${dup} is listed twice`,
      'list each tag once, in the order to move them',
    );
  for (const n of names) validateNames(n);
  return names;
}

/**
 * Plans `upgrade REVISION`: the tags, their order and action, and the preconditions (target istiod
 * ready; no failing finding of `skew --target REVISION`; no tag to move incomplete, split, duplicated,
 * with an unreadable record or otherwise refused by `tag-move`). Throws `input` for an unknown
 * revision or tag.
 */
export function planUpgradeTags(mesh: Mesh, o: UpgradeOptions): UpgradePlan {
  validateNames(DEFAULT_TAG, o.revision);
  const target = mesh.revisions.get(o.revision);
  if (target === undefined || target.canonicalWebhooks.length + target.canonicalServices.length === 0) {
    const known = [...mesh.revisions.values()]
      .filter((r) => r.canonicalWebhooks.length + r.canonicalServices.length > 0)
      .map((r) => r.name)
      .sort();
    throw new AmbientError(
      'input',
      `revision "${o.revision}" not found in namespace ${mesh.istioNamespace}`,
      `upgrade moves tags to an installed revision (installed: ${known.join(', ') || 'none'}); install ` +
        `it first (kubectl ambient skew --target <version> gives the steps)`,
    );
  }
  const views = new Map(summariseTags(mesh).map((v) => [v.tag, v]));
  if (o.tags !== undefined) {
    const unknown = o.tags.filter((t) => !views.has(t));
    if (unknown.length > 0)
      throw new AmbientError(
        'input',
        `tag(s) ${unknown.join(', ')} not found in namespace ${mesh.istioNamespace}`,
        `existing tags: ${[...views.keys()].sort().join(', ') || 'none'}`,
      );
  }
  const names = o.tags ?? [...views.keys()];
  const tags: PlannedTag[] = names.map((name) => {
    const v = views.get(name) as TagView;
    const followers = mesh.gateways.filter((g) => g.tag === name);
    const base = { tag: name, from: v.revision, followers: followers.map(followerRef), namespaces: v.namespaces };
    if (!onRevision(v, o.revision))
      return { ...base, action: 'move' as const, reason: `points at ${v.revision ?? 'no revision'}` };
    const unhealthy = followers.filter((g) => !seenHealthy(g, o.revision));
    if (unhealthy.length === 0)
      return {
        ...base,
        action: 'skip' as const,
        reason: `already on ${o.revision}${followers.length > 0 ? `, ${followers.length} gateway(s)/waypoint(s) healthy` : ''}`,
      };
    return {
      ...base,
      action: 'verify' as const,
      reason:
        `already on ${o.revision}, but ${unhealthy.map((g) => `${g.namespace}/${g.name}`).join(', ')} ` +
        `not seen healthy yet: gated before the next tag`,
    };
  });
  if (o.tags === undefined) tags.sort(byOrder);

  const preconditions: Precondition[] = [];
  const ready = target.desired > 0 && target.ready >= target.desired;
  preconditions.push({
    check: 'istiod-ready',
    ok: ready,
    message: ready
      ? `istiod of ${o.revision} is ready (${target.ready}/${target.desired})`
      : `istiod of ${o.revision} is not ready (${target.ready}/${target.desired})`,
    details: ready
      ? []
      : [
          `wait for it: kubectl rollout status ` +
            `deployment/${target.deployment?.metadata.name ?? `istiod-${o.revision}`} -n ` +
            `${mesh.istioNamespace}`,
        ],
  });
  const failing = o.skew.filter((f) => f.status === 'fail');
  const warns = o.skew.filter((f) => f.status === 'warn').length;
  preconditions.push({
    check: 'skew',
    ok: failing.length === 0,
    message:
      failing.length === 0
        ? `skew --target ${o.revision}: no failing finding (${warns} warning(s))`
        : `skew --target ${o.revision}: ${failing.length} failing finding(s)`,
    details: failing.map((f) => `${f.component} ${f.namespace !== '' ? `${f.namespace}/` : ''}${f.name}: ${f.message}`),
  });
  const tagProblems: string[] = [];
  for (const t of tags.filter((x) => x.action !== 'skip')) {
    const v = views.get(t.tag) as TagView;
    for (const p of v.problems.filter((x) => BLOCKING.has(x.code))) tagProblems.push(p.message);
    if (t.action !== 'move' || v.problems.some((x) => BLOCKING.has(x.code))) continue;
    // What tag-move itself would refuse (a Service-only tag onto a pre-1.28 revision...), found before any write.
    try {
      planTagMove(mesh, { tag: t.tag, revision: o.revision, create: false, force: true, now: o.now, id: 'plan' });
    } catch (e) {
      if (!(e instanceof AmbientError)) throw e;
      tagProblems.push(`tag ${t.tag}: ${e.message}${e.hint !== undefined ? `; ${e.hint}` : ''}`);
    }
  }
  preconditions.push({
    check: 'tags',
    ok: tagProblems.length === 0,
    message:
      tagProblems.length === 0
        ? 'no tag to move is incomplete, split or refused by tag-move'
        : `${tagProblems.length} tag problem(s)`,
    details: tagProblems,
  });
  return {
    kind: 'UpgradePlan',
    revision: o.revision,
    version: target.version ?? null,
    order: o.tags !== undefined ? 'given' : 'fewest-followers',
    tags,
    preconditions,
    ok: preconditions.every((p) => p.ok),
    forced: o.force,
    gate: { timeout: o.timeout, soak: o.soak },
  };
}

/** Done tags first (they need no move), then fewest gateways/waypoints, fewest namespaces, by name; `default` last. */
function byOrder(a: PlannedTag, b: PlannedTag): number {
  const done = (t: PlannedTag): number => (t.action === 'move' ? 1 : 0);
  const isDefault = (t: PlannedTag): number => (t.tag === DEFAULT_TAG ? 1 : 0);
  return (
    done(a) - done(b) ||
    isDefault(a) - isDefault(b) ||
    a.followers.length - b.followers.length ||
    a.namespaces.length - b.namespaces.length ||
    a.tag.localeCompare(b.tag)
  );
}
