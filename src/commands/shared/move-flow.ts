/**
 * The shared flow of `tag-move`, `tag-rollback` and, tag after tag, `upgrade`: show the change
 * (validated by the server first), stop for a dry run, confirm, open the --wait watch, apply (the
 * only write path: core/apply.ts), report each object from a fresh read, then wait for the gateways
 * and waypoints to follow.
 */
import type { Deps } from '../../cli/deps.ts';
import { paint } from '../../cli/io.ts';
import { parseDuration, type KubeArgs, type MutationArgs, type OutputFormat } from '../../cli/options.ts';
import { renderProblems } from '../../cli/render/common.ts';
import { renderPlan } from '../../cli/render/plan.ts';
import { renderStructured } from '../../cli/render/structured.ts';
import {
  applyPlan,
  applySteps,
  describeStates,
  incompleteHint,
  previewOnServer,
  type ApplyResult,
} from '../../core/apply.ts';
import { AmbientError } from '../../core/errors.ts';
import { GATEWAY_MANAGED } from '../../core/labels.ts';
import { proxyGatewayKey, proxyOnRevision } from '../../core/mesh.ts';
import type { Deployment, KubeObject } from '../../core/model.ts';
import type { Cluster } from '../../core/ports.ts';
import { planQuestion, type Plan } from '../../core/tag-plan.ts';
import { confirm } from './common.ts';

export type FlowArgs = KubeArgs & MutationArgs & { output: OutputFormat };

/** How a caller that runs several plans (`upgrade`) uses the flow. */
export interface FlowOptions {
  /** The caller asked once for its whole plan: no prompt per tag. */
  confirmed?: boolean;
  /** The caller prints its own result: nothing on stdout, no "next:" line. */
  embedded?: boolean;
}

/** What the flow did: `applied` is false for a dry run, "nothing to do" or a "no" at the prompt. */
export interface FlowOutcome {
  applied: boolean;
  result: ApplyResult | undefined;
}

/** A List of objects, the way `kubectl get -o json` prints several. */
function asList(objects: KubeObject[], format: OutputFormat): string | undefined {
  if (format === 'yaml') return objects.map((o) => renderStructured(o, 'yaml')).join('---\n');
  return renderStructured({ apiVersion: 'v1', kind: 'List', items: objects }, format);
}

/** The objects a plan leaves (what a dry run prints): created and replaced ones, in apply order. */
const finals = (plan: Plan): KubeObject[] => plan.writes.filter((w) => w.action !== 'delete').map((w) => w.after);

/** A failure before the first write: the message says nothing changed. */
function beforeAnyWrite(e: unknown): unknown {
  if (!(e instanceof AmbientError) || /nothing was changed/.test(e.message)) return e;
  return new AmbientError(e.kind, `${e.message}; nothing was changed`, e.hint, { cause: e });
}

/**
 * Runs the flow for a plan. `verb` words the prompt and the result ("Move", "Roll back"). Throws
 * what applyPlan and the --wait watch throw (their messages say what is left).
 */
export async function executePlan(
  deps: Deps,
  args: FlowArgs,
  cluster: Cluster,
  plan: Plan,
  verb: string,
  opts: FlowOptions = {},
): Promise<FlowOutcome> {
  const { io } = deps;
  const dryRun = args['dry-run'] ?? 'none';
  const structured = opts.embedded !== true && (args.output === 'json' || args.output === 'yaml');
  const none: FlowOutcome = { applied: false, result: undefined };
  if (plan.writes.length === 0) {
    // Nothing will happen, so nothing to warn about (`tags` reports the state).
    io.err(
      `tag ${plan.tag} already points at ${plan.to ?? '?'} (${plan.toVersion ?? '?'}) and its objects match the chart: nothing to do\n`,
    );
    if (structured) io.out(asList([], args.output) ?? '');
    return none;
  }
  io.err(renderProblems(plan.warnings, io.colorErr));
  if (dryRun === 'client') {
    io.err(renderPlan(plan, io.colorErr));
    if (structured) io.out(asList(finals(plan), args.output) ?? '');
    io.err('dry run (client): nothing was sent to the cluster\n');
    return none;
  }
  // The server validates every write (RBAC, schema, admission) and its answers are the diff.
  const shown = await previewOnServer(cluster, plan).catch((e: unknown) => {
    throw beforeAnyWrite(e);
  });
  io.err(renderPlan(shown, io.colorErr));
  if (dryRun === 'server') {
    if (structured) io.out(asList(finals(shown), args.output) ?? '');
    io.err(`dry run (server): the API server accepted all ${shown.writes.length} write(s); nothing was persisted\n`);
    return none;
  }
  if (!args.yes && opts.confirmed !== true) {
    const question = planQuestion(plan, verb, { context: cluster.contextName, server: cluster.server });
    if (!(await confirm(deps, question, 'change the cluster'))) return none;
  }
  const wait = (args.wait ?? io.stderrIsTTY) && plan.followers.length > 0 && plan.to !== undefined;
  // The watch opens before any write: a missing permission (or a dead connection) stops here.
  const waiter = wait ? await openWaiter(deps, cluster, plan) : undefined;
  if (deps.signal.aborted) {
    waiter?.cancel();
    throw new AmbientError('interrupted', 'interrupted before the first write: nothing was changed');
  }
  let result: ApplyResult;
  const note = deps.interruptNote;
  try {
    result = await applyPlan(cluster, plan, {
      shouldStop: () => deps.signal.aborted,
      onProgress: (known) => {
        if (note !== undefined)
          note.current = `${known}; ${applySteps(plan).length > 1 ? incompleteHint(plan) : checkWith(plan)}`;
      },
    });
  } catch (e) {
    waiter?.cancel();
    throw e;
  } finally {
    if (note !== undefined) note.current = undefined;
  }
  if (structured) io.out(asList(result.objects, args.output) ?? '');
  io.err(`${paint(io.colorErr, 'green', '✔')} ${doneLine(plan)}\n`);
  io.err(`  read back: ${describeStates(result.states)}\n`);
  if (waiter !== undefined) await waiter.finish(args);
  else if (plan.followers.length > 0 && plan.to !== undefined && opts.embedded !== true)
    io.err(rollingLine(plan, plan.to));
  if (plan.to !== undefined && opts.embedded !== true)
    io.err(`next: check with "kubectl ambient tags ${plan.tag}"; undo with "${undoCommand(plan)}"\n`);
  return { applied: true, result };
}

/** What undoes a completed plan: a rollback for a move, a move back for a rollback. */
function undoCommand(plan: Plan): string {
  const o = plan.operation;
  // A completed move (or an undone rollback) is undone by a rollback; a completed rollback (or an
  // undone move) by moving to where the tag was (or was heading).
  const viaRollback = plan.mode === 'undo' ? o.op === 'rollback' : o.op === 'move';
  const back = plan.mode === 'undo' ? o.to : o.from;
  return viaRollback || back === null
    ? `kubectl ambient tag-rollback ${plan.tag}`
    : `kubectl ambient tag-move ${plan.tag} ${back}`;
}

/** `check with "kubectl ambient tags prod"`. */
const checkWith = (plan: Plan): string => `check with "kubectl ambient tags ${plan.tag}"`;

/** `unverified: gw-a, gw-b on 1-28-10`. */
const unverified = (pending: string[], to: string): string => `unverified: ${pending.join(', ')} on ${to}`;

/** Without --wait: what follows the tag now rolls on its own. */
function rollingLine(plan: Plan, to: string): string {
  const followers = `${plan.followers.length} gateway(s)/waypoint(s) follow ${plan.tag}`;
  return `${followers}; istiod rolls them to ${to} now (check: kubectl ambient tags ${plan.tag})\n`;
}

/** `tag prod now points at 1-28-10 (1.28.10), was 1-27-9: updated ..., created ...`. */
function doneLine(plan: Plan): string {
  const done = plan.writes.map(
    (w) =>
      `${w.action === 'create' ? 'created' : w.action === 'delete' ? 'deleted' : 'updated'} ${w.after.kind} ${w.after.metadata.name}`,
  );
  if (plan.to === undefined) return `tag ${plan.tag} removed (the interrupted creation is undone): ${done.join(', ')}`;
  const how =
    plan.mode === 'finish'
      ? ` (finished operation ${plan.operation.id})`
      : plan.mode === 'undo'
        ? ` (undid operation ${plan.operation.id})`
        : '';
  const was = plan.mode === 'new' && plan.from !== undefined ? `, was ${plan.from}` : '';
  return `tag ${plan.tag} now points at ${plan.to} (${plan.toVersion ?? '?'})${was}${how}: ${done.join(', ')}`;
}

/** A --wait watch, opened before the writes. */
interface Waiter {
  /** After the writes: waits until every follower runs the target, or fails with the move applied. */
  finish(args: FlowArgs): Promise<void>;
  cancel(): void;
}

/**
 * Opens the watch on the proxy Deployments (list + watch accepted) before anything is written, so
 * that RBAC refusing `watch deployments` stops with nothing changed. Events before the writes are
 * only kept; `finish` then waits (watching, not polling) until every Gateway/waypoint following the
 * tag runs the target revision with its rollout complete (`proxyOnRevision`).
 */
async function openWaiter(deps: Deps, cluster: Cluster, plan: Plan): Promise<Waiter> {
  const to = plan.to ?? '';
  const wanted = new Set(plan.followers.map((g) => `${g.namespace}/${g.name}`));
  const ctl = new AbortController();
  let latest: Deployment[] | undefined;
  let armed = false;
  let pending: string[] = [...wanted].sort();
  let onUpdate: ((ok: number) => void) | undefined;
  const check = (objects: Deployment[]): boolean => {
    const ok = new Set<string>();
    for (const d of objects) {
      const key = proxyGatewayKey(d);
      if (wanted.has(key) && proxyOnRevision(d, to)) ok.add(key);
    }
    pending = [...wanted].filter((k) => !ok.has(k)).sort();
    onUpdate?.(ok.size);
    return pending.length === 0;
  };
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const watching = cluster.watch(
    { kind: 'Deployment', labelSelector: GATEWAY_MANAGED },
    (objects) => {
      latest = objects;
      return armed && check(objects);
    },
    AbortSignal.any([ctl.signal, deps.signal]),
    { onOpen: () => opened() },
  );
  watching.catch(() => undefined); // observed below; never an unhandled rejection
  const what = plan.followers.every((g) => g.kind === 'waypoint')
    ? 'waypoints'
    : plan.followers.every((g) => g.kind === 'gateway')
      ? 'gateways'
      : 'gateways/waypoints';
  try {
    await Promise.race([open, watching.then(() => undefined)]);
  } catch (e) {
    throw beforeAnyWrite(
      e instanceof AmbientError
        ? new AmbientError(
            e.kind,
            `${e.message} (--wait watches the Deployments of the ${what} that follow ${plan.tag})`,
            `pass --no-wait to move without waiting, then ${checkWith(plan)}${e.hint !== undefined ? `; or ${e.hint}` : ''}`,
            { cause: e },
          )
        : e,
    );
  }
  return {
    cancel: () => ctl.abort(),
    finish: async (args) => {
      const spinner = deps.io.spinner(`${what} on ${to}: 0/${wanted.size}`);
      onUpdate = (ok) => spinner.update(`${what} on ${to}: ${ok}/${wanted.size}`);
      armed = true;
      let timedOut = false;
      const timer = setTimeout(
        () => {
          timedOut = true;
          ctl.abort();
        },
        parseDuration(args.timeout, '--timeout'),
      );
      let failure: unknown;
      try {
        // Followers already on the target before any event: done without waiting for one.
        if (latest !== undefined && check(latest)) ctl.abort();
        else await watching;
      } catch (e) {
        failure = e;
      } finally {
        clearTimeout(timer);
        ctl.abort();
      }
      if (pending.length === 0) {
        spinner.succeed(`${what} on ${to}: ${wanted.size}/${wanted.size}`);
        return;
      }
      spinner.fail(`${what} on ${to}: ${wanted.size - pending.length}/${wanted.size}`);
      const rollback = `kubectl ambient tag-rollback ${plan.tag}${args.context !== undefined ? ` --context ${args.context}` : ''}`;
      if (deps.signal.aborted) {
        throw new AmbientError(
          'interrupted',
          `stopped waiting: the move of ${plan.tag} to ${to} stays applied; not yet on ${to}: ${pending.join(', ')}`,
          `check with "kubectl ambient tags ${plan.tag}", roll back with "${rollback}"`,
        );
      }
      if (timedOut) {
        throw new AmbientError(
          'wait-timeout',
          `timed out after ${args.timeout}: the move of ${plan.tag} to ${to} is applied, but not yet on ${to}: ${pending.join(', ')}`,
          `check with "kubectl ambient tags ${plan.tag}"; to roll back run "${rollback}"`,
        );
      }
      // RBAC changed, a credential expired, the connection died: the move is applied all the same.
      const cause =
        failure instanceof Error
          ? failure.message
          : failure === undefined
            ? 'the watch ended'
            : JSON.stringify(failure);
      throw new AmbientError(
        'wait-timeout',
        `the move of ${plan.tag} to ${to} is applied, but waiting for its ${what} failed (${cause}); ${unverified(pending, to)}`,
        `check with "kubectl ambient tags ${plan.tag}"; to roll back run "${rollback}"`,
        { cause: failure },
      );
    },
  };
}
