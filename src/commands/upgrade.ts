import { declareCommand, defineCommand, type CommandArgs, type PositionalTable } from '../cli/command.ts';
import { operationId, type Deps } from '../cli/deps.ts';
import { paint } from '../cli/io.ts';
import { DRY_RUN_OPTION, KUBE_FLAGS, OUTPUT_FLAGS, parseDuration, type FlagTable } from '../cli/options.ts';
import { renderStructured } from '../cli/render/structured.ts';
import { renderUpgradePlan, renderUpgradeSummary } from '../cli/render/upgrade.ts';
import { crdState, readIstioCrds } from '../core/crds.ts';
import { AmbientError } from '../core/errors.ts';
import type { GateFollower } from '../core/gate.ts';
import { ISTIO_SYSTEM } from '../core/labels.ts';
import type { Mesh } from '../core/mesh.ts';
import type { Cluster } from '../core/ports.ts';
import { planUpgrade, resolveTarget } from '../core/skew.ts';
import { planTagMove, planTagRollback, validateNames } from '../core/tag-plan.ts';
import {
  parseTagList,
  planUpgradeTags,
  type GateReport,
  type PlannedTag,
  type TagResult,
  type Precondition,
  type UpgradePlan,
  type UpgradeResult,
} from '../core/upgrade.ts';
import { confirm, loadMesh, readMesh } from './shared/common.ts';
import { gateOpenError, openGateWatch, type GateTimes, type GateWatch } from './shared/gate-watch.ts';
import { executePlan, type FlowArgs } from './shared/move-flow.ts';

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  tags: {
    type: 'string',
    describe:
      'Only these tags, in this order (comma-separated; default: every tag, fewest gateways/waypoints first, default last)',
  },
  'dry-run': {
    ...DRY_RUN_OPTION,
    describe:
      'Only print the plan and each move\'s diff: "client" renders locally, "server" also has the API server validate every write',
  },
  yes: { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation of the plan' },
  timeout: {
    type: 'string',
    default: '5m',
    describe: 'How long each gate waits for the gateways and waypoints to be healthy (0 = no limit)',
  },
  soak: {
    type: 'string',
    default: '2m',
    describe: 'How long each gate then watches for restarts and crash loops (0s = none)',
  },
  force: { type: 'boolean', default: false, describe: 'Upgrade even when a precondition fails' },
} as const satisfies FlagTable;
const POSITIONALS = {
  revision: {
    type: 'string',
    describe: 'The installed revision to move the tags to, e.g. 1-28-10',
    demandOption: true,
  },
} as const satisfies PositionalTable;

const COMMAND = declareCommand({
  command: 'upgrade <revision>',
  describe: 'Move every tag to a revision, one at a time, each behind a health gate that rolls it back by itself',
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y.positional('revision', POSITIONALS.revision),
  examples: [
    ['$0 upgrade 1-28-10', 'print the plan, ask once, then move, gate and soak each tag'],
    ['$0 upgrade 1-28-10 --dry-run', 'only the plan and the diff of each move'],
    ['$0 upgrade 1-28-10 --tags canary,prod --soak 5m', 'two tags, in this order, five minutes of soak each'],
  ],
});

type UpgradeArgs = CommandArgs<typeof COMMAND>;

/**
 * `kubectl ambient upgrade REVISION`: move every tag to REVISION one at a time, each
 * behind a health gate; a tag whose gate fails is rolled back and the upgrade stops. Every move and
 * rollback goes through the flow of `tag-move` (move-flow.ts, the only write path: apply.ts).
 */
export const upgradeCommand = defineCommand(COMMAND, async (args, deps) => {
  const times: GateTimes = {
    timeoutMs: parseDuration(args.timeout, '--timeout'),
    soakMs: parseDuration(args.soak, '--soak'),
    timeout: args.timeout,
    soak: args.soak,
  };
  validateNames('default', args.revision); // the revision's name, before any API call
  const only = args.tags !== undefined ? parseTagList(args.tags) : undefined;
  const { cluster, mesh } = await loadMesh(deps, args);
  const plan = await makePlan(deps, args, cluster, mesh, only);
  await runPlan(deps, args, cluster, mesh, plan, times);
});

/** Reads what `skew --target REVISION` reads and plans the upgrade (core/upgrade.ts). */
async function makePlan(
  deps: Deps,
  args: UpgradeArgs,
  cluster: Cluster,
  mesh: Mesh,
  only: string[] | undefined,
): Promise<UpgradePlan> {
  // An unknown revision is an input error before anything else is read.
  const base = {
    revision: args.revision,
    tags: only,
    force: args.force,
    timeout: args.timeout,
    soak: args.soak,
    now: deps.now(),
  };
  if (!mesh.revisions.has(args.revision)) planUpgradeTags(mesh, { ...base, skew: [] });
  const [server, crds] = await Promise.all([cluster.serverVersion(), readIstioCrds(cluster)]);
  let skew: ReturnType<typeof planUpgrade>;
  try {
    skew = planUpgrade(
      { mesh, crds: crdState(crds.crds, crds.unreadable), kubernetesVersion: server.gitVersion, now: deps.now() },
      resolveTarget(mesh, args.revision),
    );
  } catch (e) {
    // skew's refusal of a downgrade, worded for this command.
    if (!(e instanceof AmbientError && /is a downgrade/.test(e.message))) throw e;
    throw new AmbientError(
      e.kind,
      e.message.replace(/^--target /, 'upgrade '),
      `upgrade moves tags forward only; to go back, roll tags back with "kubectl ambient tag-rollback <tag>"`,
      { cause: e },
    );
  }
  return planUpgradeTags(mesh, { ...base, skew: skew.findings });
}

/** ` --context X -i ns`: what the printed commands need to reach the same mesh. */
function scope(args: UpgradeArgs): string {
  const context = args.context !== undefined ? ` --context ${args.context}` : '';
  return `${context}${args['istio-namespace'] !== ISTIO_SYSTEM ? ` -i ${args['istio-namespace']}` : ''}`;
}

/** A failed precondition with its first detail: `skew fails (ztunnel 1.26.0 ..., +2 more)`. */
function preconditionLine(p: Precondition): string {
  const [first] = p.details;
  if (first === undefined) return p.message;
  return `${p.message} (${first}${p.details.length > 1 ? `, +${p.details.length - 1} more` : ''})`;
}

async function runPlan(
  deps: Deps,
  args: UpgradeArgs,
  cluster: Cluster,
  mesh: Mesh,
  plan: UpgradePlan,
  times: GateTimes,
): Promise<void> {
  const { io } = deps;
  const structured = args.output === 'json' || args.output === 'yaml';
  const dryRun = args['dry-run'] ?? 'none';
  const printed = renderStructured(plan, args.output);
  if (printed !== undefined) io.out(args.output === 'yaml' ? `---\n${printed}` : printed);
  else io.err(renderUpgradePlan(plan, io.colorErr));
  if (!plan.ok) {
    const failed = plan.preconditions.filter((p) => !p.ok);
    if (!args.force) {
      throw new AmbientError(
        'problems',
        `refusing to upgrade: ${failed.map(preconditionLine).join('; ')}; nothing was changed`,
        'fix the failed precondition(s), or pass --force to upgrade anyway',
      );
    }
    io.err(
      `${paint(io.colorErr, 'yellow', 'warning:')} --force: going on although ${failed.length} precondition(s) failed\n`,
    );
  }
  const flow: FlowArgs = { ...args, 'dry-run': dryRun, yes: true, wait: false };
  const work = plan.tags.filter((t) => t.action !== 'skip');
  const continueCommand = `kubectl ambient upgrade ${plan.revision}${args.tags !== undefined ? ` --tags ${args.tags}` : ''}${scope(args)}`;
  if (dryRun !== 'none') {
    // Each move's diff exactly as tag-move --dry-run shows it (for "server", validated by the API server).
    for (const t of work.filter((x) => x.action === 'move')) {
      const p = planTagMove(mesh, {
        tag: t.tag,
        revision: plan.revision,
        create: false,
        force: true,
        now: deps.now(),
        id: operationId(deps),
      });
      await executePlan(deps, flow, cluster, p, 'Move', { confirmed: true, embedded: true });
    }
    io.err(`dry run: nothing was changed; run "${continueCommand}" to upgrade\n`);
    return;
  }
  const results: TagResult[] = plan.tags.map((t) => ({
    tag: t.tag,
    from: t.from,
    to: plan.revision,
    outcome: t.action === 'skip' ? 'skipped' : 'pending',
    gate: null,
    message: t.action === 'skip' ? t.reason : 'not reached',
  }));
  const finish = (status: UpgradeResult['status']): void => {
    const moved = results.filter((r) => r.outcome === 'moved').map((r) => r.tag);
    const result: UpgradeResult = {
      kind: 'UpgradeResult',
      revision: plan.revision,
      status,
      tags: results,
      next: {
        continue: status === 'succeeded' ? null : continueCommand,
        undo: moved.reverse().map((t) => `kubectl ambient tag-rollback ${t}${scope(args)}`),
      },
    };
    io.err(renderUpgradeSummary(result, io.colorErr));
    const out = renderStructured(result, args.output);
    if (out !== undefined) io.out(args.output === 'yaml' ? `---\n${out}` : out);
  };
  if (work.length === 0) {
    io.err(`nothing to do: every tag is on ${plan.revision} and its gateways/waypoints are healthy\n`);
    if (structured) finish('succeeded');
    return;
  }
  if (!(await confirmPlan(deps, args, plan, work))) return;
  let gate: GateWatch;
  try {
    gate = await openGateWatch(deps, cluster);
  } catch (e) {
    throw gateOpenError(e);
  }
  let stop: Error | undefined;
  try {
    stop = await upgradeTags(deps, args, flow, cluster, plan, results, gate, times);
  } finally {
    gate.close();
  }
  const interrupted = stop instanceof AmbientError && stop.kind === 'interrupted';
  finish(stop === undefined ? 'succeeded' : interrupted ? 'interrupted' : 'stopped');
  if (stop !== undefined) throw stop;
}

/** Asks once for the whole plan (stderr; a non-terminal without --yes is refused, exit 64). False: the answer was no. */
async function confirmPlan(deps: Deps, args: UpgradeArgs, plan: UpgradePlan, work: PlannedTag[]): Promise<boolean> {
  if (args.yes) return true;
  const moves = work.filter((t) => t.action === 'move').map((t) => t.tag);
  const verify = work.filter((t) => t.action === 'verify').map((t) => t.tag);
  const steps = [
    moves.length > 0 ? `move ${moves.join(', ')} one at a time` : '',
    verify.length > 0 ? `gate ${verify.join(', ')}` : '',
  ];
  const what = steps.filter((x) => x !== '').join(' and ');
  const question = `Upgrade to ${plan.revision}: ${what}, rolling back a tag whose gate fails? [y/N] `;
  return confirm(deps, question, 'upgrade');
}

/**
 * Moves, gates and (on a failing gate) rolls back each tag in order. Returns the error that stopped
 * the upgrade (undefined: every tag passed); `results` says what happened to each tag.
 */
async function upgradeTags(
  deps: Deps,
  args: UpgradeArgs,
  flow: FlowArgs,
  cluster: Cluster,
  plan: UpgradePlan,
  results: TagResult[],
  gate: GateWatch,
  times: GateTimes,
): Promise<Error | undefined> {
  const { io } = deps;
  const ns = args['istio-namespace'];
  const total = plan.tags.filter((t) => t.action !== 'skip').length;
  let n = 0;
  for (const [i, t] of plan.tags.entries()) {
    const r = results[i];
    if (r === undefined || t.action === 'skip') continue;
    n++;
    if (deps.signal.aborted)
      return new AmbientError(
        'interrupted',
        `interrupted before tag ${t.tag}: it and the tags after it were not moved`,
        `continue with "kubectl ambient upgrade ${plan.revision}${scope(args)}"`,
      );
    const what =
      t.action === 'move'
        ? `${t.from ?? '(none)'} -> ${plan.revision}, then its gate`
        : `already on ${plan.revision}: its gate only`;
    io.err(`\n${paint(io.colorErr, 'bold', `[${n}/${total}] tag ${t.tag}`)}: ${what}\n`);
    let followers: GateFollower[];
    let back: string | undefined;
    try {
      const mesh = await readMesh(cluster, ns);
      if (t.action === 'move') {
        const p = planTagMove(mesh, {
          tag: t.tag,
          revision: plan.revision,
          create: false,
          force: args.force,
          now: deps.now(),
          id: operationId(deps),
        });
        await executePlan(deps, flow, cluster, p, 'Move', { confirmed: true, embedded: true });
        r.outcome = 'moved';
        r.from = p.from ?? null;
        r.message = `moved from ${p.from ?? '(none)'}`;
        followers = p.followers;
        back = p.from;
      } else {
        r.outcome = 'skipped';
        r.message = `already on ${plan.revision}`;
        followers = mesh.gateways.filter((g) => g.tag === t.tag);
        back = mesh.tags.get(t.tag)?.history.at(-1)?.revision;
      }
    } catch (e) {
      // The engine undid its writes (or its message says what is left): the tag is not moved.
      r.message = `not moved: ${e instanceof Error ? e.message : String(e)}`;
      return e instanceof Error ? e : new AmbientError('internal', String(e));
    }
    const report = await gate.run(t.tag, followers, plan.revision, times);
    r.gate = report;
    if (report.status === 'passed') {
      const how = t.action === 'move' ? `moved from ${r.from ?? '(none)'}` : `already on ${plan.revision}`;
      r.message = `${how}; gate passed: ${report.message}`;
      continue;
    }
    const rollback = `kubectl ambient tag-rollback ${t.tag}${scope(args)}`;
    const cont = `kubectl ambient upgrade ${plan.revision}${args.tags !== undefined ? ` --tags ${args.tags}` : ''}${scope(args)}`;
    if (report.status === 'interrupted') {
      r.message = `${r.message}; gate interrupted, left on ${plan.revision} as it is`;
      return new AmbientError(
        'interrupted',
        `stopped waiting for the gate of ${t.tag}: it stays on ${plan.revision} as it is (${report.message})`,
        `roll it back with "${rollback}", or continue (its gate runs again first) with "${cont}"`,
      );
    }
    if (report.status === 'unverified') {
      r.message = `${r.message}; its gate could not be checked: ${report.message}`;
      return new AmbientError(
        'wait-timeout',
        `the gate of ${t.tag} could not be checked (${report.message}): ${t.tag} stays on ${plan.revision}, unverified`,
        `check with "kubectl ambient tags ${t.tag}", then continue with "${cont}" or roll it back with "${rollback}"`,
      );
    }
    return rollBack(deps, flow, cluster, ns, t, r, report, back, { rollback, cont, revision: plan.revision });
  }
  return undefined;
}

/** A failed gate: the tag goes back through the same flow (waiting for its followers), and the upgrade stops. */
async function rollBack(
  deps: Deps,
  flow: FlowArgs,
  cluster: Cluster,
  ns: string,
  t: PlannedTag,
  r: TagResult,
  report: GateReport,
  back: string | undefined,
  c: { rollback: string; cont: string; revision: string },
): Promise<AmbientError> {
  const { io } = deps;
  const failed = `the gate of ${t.tag} failed: ${report.message}`;
  const shown =
    report.failing.slice(0, 3).join('; ') +
    (report.failing.length > 3 ? `; and ${report.failing.length - 3} more` : '');
  const detailed = `${failed}${shown !== '' ? ` (${shown})` : ''}`;
  if (back === undefined) {
    r.message = `${r.message}; ${failed}; not rolled back: it has no recorded previous revision`;
    return new AmbientError(
      'problems',
      `${detailed}; ${t.tag} stays on ${c.revision}: it has no recorded previous revision to roll back to`,
      `move it with "kubectl ambient tag-move ${t.tag} <revision>"`,
    );
  }
  io.err(`${paint(io.colorErr, 'bold', `rolling back tag ${t.tag} to ${back}`)}\n`);
  try {
    const mesh = await readMesh(cluster, ns);
    const p = planTagRollback(mesh, {
      tag: t.tag,
      to: back,
      force: flow.force,
      now: deps.now(),
      id: operationId(deps),
    });
    await executePlan(deps, { ...flow, wait: true }, cluster, p, 'Roll back', { confirmed: true, embedded: true });
  } catch (e) {
    if (e instanceof AmbientError && e.kind === 'wait-timeout') {
      // The rollback is applied; its gateways/waypoints are not all back yet (the message says which).
      r.outcome = 'rolled-back';
      r.message = `${failed}; rolled back to ${back}, but ${e.message}`;
      return new AmbientError(
        'problems',
        `${detailed}; ${t.tag} was rolled back to ${back}, but not all of its gateways/waypoints are back yet`,
        `check with "kubectl ambient tags ${t.tag}"; once fixed, continue with "${c.cont}"`,
      );
    }
    const why = e instanceof Error ? e.message : String(e);
    r.message = `${failed}; rolling it back failed: ${why}`;
    if (e instanceof AmbientError && e.kind === 'interrupted')
      return new AmbientError(
        'interrupted',
        `${detailed}; its rollback was interrupted: ${why}`,
        `roll it back with "${c.rollback}"`,
      );
    return new AmbientError(
      'partial',
      `${detailed}, and rolling ${t.tag} back to ${back} failed: ${why}`,
      `roll it back with "${c.rollback}"`,
      { cause: e },
    );
  }
  r.outcome = 'rolled-back';
  r.message = `${failed}; rolled back to ${back}`;
  return new AmbientError(
    'problems',
    `${detailed}; ${t.tag} was rolled back to ${back}`,
    `fix the cause, then continue with "${c.cont}"`,
  );
}
