/**
 * The only code that writes to the cluster: applies a Plan (tag-plan.ts) crash-consistently.
 *
 * Order of the requests (`applySteps`): when more than one object changes, the operation record is
 * written on the tag's first object (the holder) before anything else changes; then the other
 * objects; then the holder's final write, which carries the new history and drops the record. A
 * crash at any point therefore leaves either the old state, the new state, or a record that `tags`
 * reports as incomplete and that the same command finishes (or the opposite one undoes).
 *
 * Every write has a precondition (the resourceVersion last read or returned; creates cannot
 * overwrite). A write whose answer is lost is settled: read back, and sent once more with the same
 * precondition when it has not landed yet, so that the original can no longer land later; only when
 * that fails too is its state "unknown" (and nothing is restored: a restore could race with it).
 * On a failure or a stop request, the writes of this run are undone, newest first, with
 * preconditions. The result always carries each object's state from a fresh read.
 */
import { withAnnotation } from './chart-merge.ts';
import { carries, withoutServerFields, objectChanges } from './diff.ts';
import { AmbientError } from './errors.ts';
import { operationCommands, operationValue, readOperation } from './history.ts';
import { OPERATION, REV } from './labels.ts';
import type { KubeObject } from './model.ts';
import type { ClusterWriter, KindName } from './ports.ts';
import type { Plan, PlannedWrite, WriteRole } from './tag-plan.ts';

/** The field manager our writes carry (visible in managedFields). */
export const FIELD_MANAGER = 'kubectl-ambient';

/** One request of an apply. */
export interface Step {
  /** `record`: the operation record on the holder; `change`: another object; `complete`: the holder's final write. */
  phase: 'record' | 'change' | 'complete';
  op: 'create' | 'replace' | 'delete';
  role: WriteRole;
  /** What is sent (the resourceVersion precondition is filled in when it is sent). */
  object: KubeObject;
}

/** An object of the tag as last seen: from an answer, or from a fresh read. */
export interface ObjectState {
  role: WriteRole;
  kind: string;
  name: string;
  namespace: string | undefined;
  state: 'present' | 'absent' | 'unknown';
  /** Its `istio.io/rev` label when present. */
  revision: string | undefined;
  /** The id of the operation record it carries (the holder while incomplete). */
  operation: string | undefined;
  /** A write to it was sent and not confirmed: it may still change. */
  unconfirmed: boolean;
}

/** What a successful apply did, and the objects as read back afterwards. */
export interface ApplyResult {
  /** Requests that changed something (records and final writes included). */
  writes: number;
  /** Object changes that were made, in plan order. */
  changed: PlannedWrite[];
  states: ObjectState[];
  /** The tag's objects as read back (deleted ones absent). */
  objects: KubeObject[];
}

export interface ApplyOptions {
  /** Checked before each request (Ctrl-C, SIGTERM, SIGHUP): the writes made so far are undone. */
  shouldStop?: () => boolean;
  /** What is known while writing, for a second signal that exits at once (one line, no newline). */
  onProgress?: (note: string) => void;
}

const what = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The requests that apply a plan, in order (see the file comment). Empty: nothing to do. */
export function applySteps(plan: Plan): Step[] {
  const holderWrite = plan.writes.find((w) => w.role === plan.holder);
  const others = plan.writes.filter((w) => w !== holderWrite);
  const step = (phase: Step['phase'], w: PlannedWrite): Step => ({
    phase,
    op: w.action,
    role: w.role,
    object: w.after,
  });
  if (others.length === 0) return holderWrite === undefined ? [] : [step('complete', holderWrite)];
  const steps: Step[] = [];
  const record = operationValue(plan.operation);
  const holderLive = holderWrite?.before;
  if (!plan.pending && holderWrite !== undefined) {
    steps.push(
      holderWrite.action === 'create'
        ? {
            phase: 'record',
            op: 'create',
            role: plan.holder,
            object: withAnnotation(holderWrite.after, OPERATION, record),
          }
        : {
            phase: 'record',
            op: 'replace',
            role: plan.holder,
            object: withAnnotation(holderLive ?? holderWrite.after, OPERATION, record),
          },
    );
  }
  steps.push(...others.map((w) => step('change', w)));
  if (holderWrite !== undefined)
    steps.push({
      phase: 'complete',
      op: holderWrite.action === 'create' ? 'replace' : holderWrite.action,
      role: plan.holder,
      object: holderWrite.after,
    });
  return steps;
}

type Sent = { ok: true; result: KubeObject | undefined } | { ok: false; error: unknown; lost: boolean };

/**
 * A lost answer: no status came back, or 504 (the API server's own "the request may still
 * complete"), so the write may or may not have landed.
 */
function isLost(e: unknown): boolean {
  if (!(e instanceof AmbientError)) return false;
  return e.kind === 'timeout' || e.kind === 'unreachable' || (e as { status?: unknown }).status === 504;
}

/** A 409 (Conflict or AlreadyExists): the object is no longer as the write's precondition says. */
const isConflict = (e: unknown): boolean => e instanceof AmbientError && e.kind === 'conflict';

/** The object with the precondition of `current` (resourceVersion) or none (create). */
function withPrecondition(o: KubeObject, op: Step['op'], current: KubeObject | undefined): KubeObject {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _c, managedFields: _m, ...meta } = o.metadata;
  if (op === 'create') return { ...withoutServerFields(o), metadata: { ...meta } };
  return { ...o, metadata: { ...meta, resourceVersion: current?.metadata.resourceVersion ?? '' } };
}

async function send(cluster: ClusterWriter, op: Step['op'], object: KubeObject): Promise<Sent> {
  try {
    const result = await cluster.write({ op, object }, { dryRun: false, fieldManager: FIELD_MANAGER });
    return { ok: true, result: op === 'delete' ? undefined : result };
  } catch (e) {
    return { ok: false, error: e, lost: isLost(e) };
  }
}

async function read(cluster: ClusterWriter, o: KubeObject): Promise<KubeObject | undefined | 'unknown'> {
  try {
    // Also after Ctrl-C: settling a write and reading back what was left are part of stopping.
    return await cluster.get(o.kind as KindName, o.metadata.name, o.metadata.namespace, { ignoreAbort: true });
  } catch {
    return 'unknown';
  }
}

type Settled =
  | { state: 'landed'; result: KubeObject | undefined }
  | { state: 'failed'; error: unknown }
  | { state: 'unknown'; error: unknown };

/** Whether the live object (or its absence) is what `sent` asked for. */
function shows(live: KubeObject | undefined, op: Step['op'], sent: KubeObject): boolean {
  if (op === 'delete') return live === undefined;
  return live !== undefined && carries(live, sent);
}

/**
 * Settles a write whose answer was lost. Read back: if it shows the write, it landed. If the object
 * is still as it was (same resourceVersion, or still absent for a create), the same conditional write
 * is sent once more: either it lands, or the original landed first and this one is refused, and
 * either way the original can no longer land later. Anything else is someone else's change.
 */
async function settle(cluster: ClusterWriter, op: Step['op'], sent: KubeObject, cause: unknown): Promise<Settled> {
  const live = await read(cluster, sent);
  if (live === 'unknown') return { state: 'unknown', error: cause };
  if (shows(live, op, sent)) return { state: 'landed', result: live };
  const untouched =
    op === 'create'
      ? live === undefined
      : live !== undefined && live.metadata.resourceVersion === sent.metadata.resourceVersion;
  if (!untouched) return { state: 'failed', error: changedMeanwhile(sent, cause) };
  const again = await send(cluster, op, sent);
  if (again.ok) return { state: 'landed', result: again.result };
  // Only a 409 proves the original can no longer land (the object moved on, or exists); after any
  // other refusal it may still be on its way.
  if (!isConflict(again.error)) return { state: 'unknown', error: again.lost ? again.error : cause };
  const after = await read(cluster, sent);
  if (after === 'unknown') return { state: 'unknown', error: again.error };
  if (shows(after, op, sent)) return { state: 'landed', result: after };
  return { state: 'failed', error: changedMeanwhile(sent, cause) };
}

function changedMeanwhile(sent: KubeObject, cause: unknown): AmbientError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new AmbientError(
    'conflict',
    `the answer to the write of ${what(sent)} was lost (${why}), and someone else has changed it since`,
    're-run the command to see the current state',
    { cause },
  );
}

/** Sends one write and settles a lost answer. */
async function writeSettled(cluster: ClusterWriter, op: Step['op'], object: KubeObject): Promise<Settled> {
  const r = await send(cluster, op, object);
  if (r.ok) return { state: 'landed', result: r.result };
  if (!r.lost) return { state: 'failed', error: r.error };
  return settle(cluster, op, object, r.error);
}

/** Identity of every object of the tag (written or not, the holder included). */
function identities(plan: Plan): { role: WriteRole; object: KubeObject }[] {
  return plan.objects;
}

function stateOf(
  role: WriteRole,
  id: KubeObject,
  live: KubeObject | undefined | 'unknown',
  unconfirmed: boolean,
): ObjectState {
  const base = { role, kind: id.kind, name: id.metadata.name, namespace: id.metadata.namespace, unconfirmed };
  if (live === 'unknown') return { ...base, state: 'unknown', revision: undefined, operation: undefined };
  if (live === undefined) return { ...base, state: 'absent', revision: undefined, operation: undefined };
  return { ...base, state: 'present', revision: live.metadata.labels?.[REV], operation: readOperation(live).value?.id };
}

/** Reads every object of the plan again (one GET each, concurrently): the states for the final message and the objects. */
export async function readBack(
  cluster: ClusterWriter,
  plan: Plan,
  unconfirmed: Set<WriteRole> = new Set(),
): Promise<{ states: ObjectState[]; objects: KubeObject[] }> {
  const read1 = await Promise.all(
    identities(plan).map(async ({ role, object }) => ({ role, object, live: await read(cluster, object) })),
  );
  return {
    states: read1.map(({ role, object, live }) => stateOf(role, object, live, unconfirmed.has(role))),
    objects: read1.flatMap(({ live }) =>
      live === undefined || live === 'unknown' ? [] : [withoutManagedFields(live)],
    ),
  };
}

/** Each object's state from a fresh read (see readBack). */
export async function readStates(
  cluster: ClusterWriter,
  plan: Plan,
  unconfirmed: Set<WriteRole> = new Set(),
): Promise<ObjectState[]> {
  return (await readBack(cluster, plan, unconfirmed)).states;
}

/** `webhook istio-revision-tag-prod -> 1-28-10, Service istiod-revision-tag-prod absent`. */
export function describeStates(states: ObjectState[]): string {
  return states
    .map((s) => {
      const name = `${s.role === 'webhook' ? 'webhook' : s.role === 'service' ? 'Service' : 'validator'} ${s.name}`;
      const now =
        s.state === 'unknown'
          ? 'unknown (reading it failed)'
          : s.state === 'absent'
            ? 'absent'
            : `-> ${s.revision ?? '(no revision label)'}`;
      const op = s.operation !== undefined ? ` (operation ${s.operation} recorded)` : '';
      return `${name} ${now}${op}${s.unconfirmed ? ' (a write to it is unconfirmed: it may still change)' : ''}`;
    })
    .join(', ');
}

/** The "finish with / undo with" hint of a plan's operation. */
export function incompleteHint(plan: Plan): string {
  const { finish, undo } = operationCommands(plan.tag, plan.operation);
  return `check with "kubectl ambient tags ${plan.tag}"; finish with "${finish}", undo with "${undo}"`;
}

/**
 * Applies a plan (see the file comment). Resolves with the fresh states when every step is done;
 * otherwise throws an AmbientError whose message says what happened and each object's state from a
 * fresh read: the cause's kind when everything this run wrote was undone (`interrupted` for a stop
 * request), `partial` when the tag is left incomplete (the hint then names the commands that
 * finish and undo it).
 */
export async function applyPlan(cluster: ClusterWriter, plan: Plan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const steps = applySteps(plan);
  // What each object is now, as far as the answers tell: the precondition of the next write to it.
  const current = new Map<WriteRole, KubeObject | undefined>([
    ...plan.objects.map((o): [WriteRole, KubeObject | undefined] => [o.role, o.object]),
    ...plan.writes.map((w): [WriteRole, KubeObject | undefined] => [w.role, w.before]),
  ]);
  const original = new Map(current);
  const touched: WriteRole[] = [];
  const unconfirmed = new Set<WriteRole>();
  let writes = 0;
  const note = (inFlight?: WriteRole): void => {
    if (opts.onProgress === undefined) return;
    const known = identities(plan).map(({ role, object }) =>
      stateOf(role, object, current.get(role), role === inFlight || unconfirmed.has(role)),
    );
    opts.onProgress(`${plan.tag} from the last answers: ${describeStates(known)}`);
  };
  let failure: unknown;
  for (const step of steps) {
    if (opts.shouldStop?.() === true) {
      failure = new AmbientError('interrupted', 'interrupted');
      break;
    }
    const sent = withPrecondition(step.object, step.op, current.get(step.role));
    note(step.role);
    const r = await writeSettled(cluster, step.op, sent);
    if (r.state === 'landed') {
      current.set(step.role, r.result);
      if (!touched.includes(step.role)) touched.push(step.role);
      writes++;
      note();
      continue;
    }
    if (r.state === 'unknown') {
      // Its original may still land: restoring anything now could leave a mix nobody reported.
      unconfirmed.add(step.role);
      if (!touched.includes(step.role)) touched.push(step.role);
      note();
      const states = await readStates(cluster, plan, unconfirmed);
      const cause = r.error instanceof Error ? r.error.message : String(r.error);
      // With more than one step the operation record is (or may be) on the holder: the tag is incomplete.
      const recorded = plan.pending || steps.length > 1;
      const writeOf =
        step.op === 'create' ? 'the creation of' : step.op === 'delete' ? 'the deletion of' : 'the update of';
      throw new AmbientError(
        'partial',
        `${cause}; whether ${writeOf} ${what(sent)} landed is unknown and it may still land, so nothing was undone; ` +
          `now: ${describeStates(states)}`,
        recorded ? incompleteHint(plan) : `check with "kubectl ambient tags ${plan.tag}" and re-run the command`,
        { cause: r.error },
      );
    }
    failure = r.error;
    break;
  }
  if (failure === undefined) {
    note();
    return { writes, changed: plan.writes, ...(await readBack(cluster, plan)) };
  }
  return restore(cluster, plan, { failure, touched, current, original, writes, note });
}

/** Undoes this run's writes (newest object first, with preconditions) and throws what happened. */
async function restore(
  cluster: ClusterWriter,
  plan: Plan,
  s: {
    failure: unknown;
    touched: WriteRole[];
    current: Map<WriteRole, KubeObject | undefined>;
    original: Map<WriteRole, KubeObject | undefined>;
    writes: number;
    note: (inFlight?: WriteRole) => void;
  },
): Promise<never> {
  const cause = s.failure instanceof Error ? s.failure.message : String(s.failure);
  const kind = s.failure instanceof AmbientError ? s.failure.kind : 'internal';
  const stuck: string[] = [];
  const unconfirmed = new Set<WriteRole>();
  for (const role of [...s.touched].reverse()) {
    const now = s.current.get(role);
    const was = s.original.get(role);
    let op: Step['op'];
    let object: KubeObject;
    if (was === undefined && now === undefined) continue;
    if (was === undefined && now !== undefined) [op, object] = ['delete', withPrecondition(now, 'delete', now)];
    else if (was !== undefined && now === undefined)
      [op, object] = ['create', withPrecondition(was, 'create', undefined)];
    else if (was !== undefined && now !== undefined && objectChanges(now, was).length === 0) continue;
    else [op, object] = ['replace', withPrecondition(was as KubeObject, 'replace', now)];
    s.note(role);
    const r = await writeSettled(cluster, op, object);
    if (r.state === 'landed') {
      s.current.set(role, r.result);
      s.note();
      continue;
    }
    if (r.state === 'unknown') unconfirmed.add(role);
    stuck.push(`${what(object)} (${r.error instanceof Error ? r.error.message : String(r.error)})`);
  }
  const states = await readStates(cluster, plan, unconfirmed);
  const now = describeStates(states);
  const hint = s.failure instanceof AmbientError ? s.failure.hint : undefined;
  if (stuck.length > 0) {
    throw new AmbientError(
      'partial',
      `${cause}; undoing the ${s.writes} write(s) already made failed for ${stuck.join('; ')}; now: ${now}`,
      incompleteHint(plan),
      { cause: s.failure },
    );
  }
  const undone =
    s.writes === 0
      ? 'nothing was changed'
      : `the ${s.writes} write(s) already made were undone, ` +
        `${plan.pending ? `the tag is incomplete as before (operation ${plan.operation.id})` : 'nothing changed'}`;
  throw new AmbientError(
    kind,
    `${kind === 'interrupted' ? 'interrupted before all objects were written' : cause}; ${undone}; ` + `now: ${now}`,
    plan.pending ? incompleteHint(plan) : hint,
    { cause: s.failure },
  );
}

/**
 * Sends each object change of a plan with dryRun=All (nothing is persisted) and returns the plan
 * with the server's answers as the objects to be written and the diff recomputed from them: the
 * diff then shows exactly what the server would store (defaults and admission included), and a
 * refusal (RBAC, validation) stops before any real write.
 */
export async function previewOnServer(cluster: ClusterWriter, plan: Plan): Promise<Plan> {
  const writes: PlannedWrite[] = [];
  for (const w of plan.writes) {
    const sent = withPrecondition(w.after, w.action, w.before);
    const answer = await cluster.write({ op: w.action, object: sent }, { dryRun: true, fieldManager: FIELD_MANAGER });
    if (w.action === 'delete') {
      writes.push(w);
      continue;
    }
    const after = withoutManagedFields(answer);
    writes.push({ ...w, after, changes: w.before === undefined ? [] : objectChanges(w.before, after) });
  }
  return { ...plan, writes };
}

function withoutManagedFields(o: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = o.metadata;
  return { ...o, metadata };
}
