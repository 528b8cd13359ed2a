/**
 * The shared flow of `tag-move` and `tag-rollback`: show the change, stop for a dry run, confirm,
 * apply (the only write path: core/apply.ts), then wait for the gateways and waypoints to follow.
 */
import type { Deps } from '../cli/deps.ts';
import { paint } from '../cli/io.ts';
import { parseDuration, type KubeArgs, type MutationArgs, type OutputFormat } from '../cli/options.ts';
import { renderProblems } from '../cli/render/common.ts';
import { renderPlan } from '../cli/render/plan.ts';
import { renderStructured } from '../cli/render/structured.ts';
import { applyPlan } from '../core/apply.ts';
import { AmbientError } from '../core/errors.ts';
import { GATEWAY_MANAGED, GATEWAY_NAME, REV } from '../core/labels.ts';
import { isReady } from '../core/mesh.ts';
import type { Deployment, KubeObject } from '../core/model.ts';
import type { Cluster } from '../core/ports.ts';
import type { Plan } from '../core/tag-plan.ts';

export type FlowArgs = KubeArgs & MutationArgs & { output: OutputFormat };

/** A List of objects, the way `kubectl get -o json` prints several. */
function asList(objects: KubeObject[], format: OutputFormat): string | undefined {
  if (format === 'yaml') return objects.map((o) => renderStructured(o, 'yaml')).join('---\n');
  return renderStructured({ apiVersion: 'v1', kind: 'List', items: objects }, format);
}

/** Runs the flow for a plan. `verb` words the prompt and the result ("Move", "Roll back"). */
export async function executePlan(deps: Deps, args: FlowArgs, cluster: Cluster, plan: Plan, verb: string): Promise<void> {
  const { io } = deps;
  const dryRun = args['dry-run'] ?? 'none';
  const structured = args.output === 'json' || args.output === 'yaml';
  io.err(renderProblems(plan.warnings, io.colorErr));
  if (plan.writes.length === 0) {
    io.err(`tag ${plan.tag} already points at ${plan.to} (${plan.toVersion}) and its objects match the chart: nothing to do\n`);
    if (structured) io.out(asList([], args.output) ?? '');
    return;
  }
  io.err(renderPlan(plan, io.colorErr));
  if (dryRun === 'client') {
    if (structured) io.out(asList(plan.writes.map((w) => w.after), args.output) ?? '');
    io.err('dry run (client): nothing was sent to the cluster\n');
    return;
  }
  if (dryRun === 'server') {
    const res = await applyPlan(cluster, plan, { dryRun: true });
    if (structured) io.out(asList(res.written.map((w) => w.result), args.output) ?? '');
    io.err(`dry run (server): the API server accepted all ${res.written.length} write(s); nothing was persisted\n`);
    return;
  }
  if (!args.yes) {
    if (!io.stdinIsTTY) {
      throw new AmbientError('usage', 'refusing to change the cluster without confirmation: stdin is not a terminal', 'pass --yes to confirm, or --dry-run to only look');
    }
    const answer = await io.prompt(`${verb} tag ${plan.tag} from ${plan.from ?? '(new)'} to ${plan.to}? [y/N] `, deps.signal).catch((e: unknown) => {
      io.err('\n');
      throw new AmbientError('interrupted', 'interrupted at the confirmation prompt: nothing was changed', undefined, { cause: e });
    });
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.err('aborted: nothing was changed\n');
      return;
    }
  }
  const result = await applyPlan(cluster, plan, { dryRun: false, shouldStop: () => deps.signal.aborted });
  if (structured) io.out(asList(result.written.map((w) => w.result), args.output) ?? '');
  const done = result.written.map((w) => `${w.write.action === 'create' ? 'created' : 'updated'} ${w.result.kind} ${w.result.metadata.name}`);
  io.err(`${paint(io.colorErr, 'green', '✔')} tag ${plan.tag} now points at ${plan.to} (${plan.toVersion})${plan.from !== undefined ? `, was ${plan.from}` : ''}: ${done.join(', ')}\n`);
  const wait = args.wait ?? io.stderrIsTTY;
  if (wait && plan.followers.length > 0) await waitForFollowers(deps, args, cluster, plan);
  else if (plan.followers.length > 0) io.err(`${plan.followers.length} gateway(s)/waypoint(s) follow ${plan.tag}; istiod rolls them to ${plan.to} now (check: kubectl ambient tags ${plan.tag})\n`);
  io.err(`next: check with "kubectl ambient tags ${plan.tag}"; undo with "kubectl ambient tag-rollback ${plan.tag}"\n`);
}

/**
 * Waits, watching (not polling) the proxy Deployments, until every Gateway/waypoint that follows
 * the tag runs the new revision with its rollout complete (issue #3 step 8).
 */
async function waitForFollowers(deps: Deps, args: FlowArgs, cluster: Cluster, plan: Plan): Promise<void> {
  const wanted = new Set(plan.followers.map((g) => `${g.namespace}/${g.name}`));
  const what = plan.followers.every((g) => g.kind === 'waypoint') ? 'waypoints' : plan.followers.every((g) => g.kind === 'gateway') ? 'gateways' : 'gateways/waypoints';
  const spinner = deps.io.spinner(`${what} on ${plan.to}: 0/${wanted.size}`);
  const timeoutMs = parseDuration(args.timeout, '--timeout');
  const timeout = AbortSignal.timeout(timeoutMs);
  let pending: string[] = [...wanted];
  const done = (objects: Deployment[]): boolean => {
    const ok = new Set<string>();
    for (const d of objects) {
      const key = `${d.metadata.namespace ?? ''}/${d.metadata.labels?.[GATEWAY_NAME] ?? ''}`;
      if (wanted.has(key) && d.spec?.template?.metadata?.annotations?.[REV] === plan.to && isReady(d)) ok.add(key);
    }
    pending = [...wanted].filter((k) => !ok.has(k)).sort();
    spinner.update(`${what} on ${plan.to}: ${ok.size}/${wanted.size}`);
    return pending.length === 0;
  };
  try {
    await cluster.watch({ kind: 'Deployment', labelSelector: GATEWAY_MANAGED }, done, AbortSignal.any([timeout, deps.signal]));
  } catch (e) {
    // Ctrl-C or the timeout may cut the watch's own list short: that is the outcome below, not a failure.
    if (!deps.signal.aborted && !timeout.aborted) {
      spinner.stop();
      throw e;
    }
  }
  if (pending.length === 0) {
    spinner.succeed(`${what} on ${plan.to}: ${wanted.size}/${wanted.size}`);
    return;
  }
  spinner.fail(`${what} on ${plan.to}: ${wanted.size - pending.length}/${wanted.size}`);
  const rollback = `kubectl ambient tag-rollback ${plan.tag}${args.context !== undefined ? ` --context ${args.context}` : ''}`;
  if (deps.signal.aborted) {
    throw new AmbientError('interrupted', `stopped waiting: the move of ${plan.tag} to ${plan.to} stays applied; not yet on ${plan.to}: ${pending.join(', ')}`, `check with "kubectl ambient tags ${plan.tag}", roll back with "${rollback}"`);
  }
  throw new AmbientError('wait-timeout', `timed out after ${args.timeout}: the move of ${plan.tag} to ${plan.to} is applied, but not yet on ${plan.to}: ${pending.join(', ')}`, `check with "kubectl ambient tags ${plan.tag}"; to roll back run "${rollback}"`);
}
