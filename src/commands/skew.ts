import { declareCommand, defineCommand, type CommandArgs, type PositionalTable } from '../cli/command.ts';
import type { Deps } from '../cli/deps.ts';
import { KUBE_FLAGS, OUTPUT_FLAGS, type FlagTable } from '../cli/options.ts';
import {
  findingColumns,
  findingRows,
  renderFindings,
  renderSkewSummary,
  renderUpgradePlan,
} from '../cli/render/skew.ts';
import { crdState, readIstioCrds } from '../core/crds.ts';
import { AmbientError } from '../core/errors.ts';
import type { Mesh } from '../core/mesh.ts';
import type { Cluster } from '../core/ports.ts';
import {
  evaluateSkew,
  planUpgrade,
  resolveTarget,
  type Finding,
  type SkewInput,
  type UpgradePlan,
} from '../core/skew.ts';
import { loadMesh } from './shared/common.ts';
import { FLEET_FLAGS, fleetRequested, meshFacts, runFleet, type FleetEntry } from './shared/fleet.ts';

/** One cluster's skew: every finding, and with `--target` the plan and how the target was read. */
interface SkewResult {
  findings: Finding[];
  plan: UpgradePlan | undefined;
  note: string | undefined;
}

/** Reads what skew needs beyond the mesh (server version, Istio CRDs) and evaluates it, with `--target` as a plan. */
async function skewOf(cluster: Cluster, mesh: Mesh, target: string | undefined, now: Date): Promise<SkewResult> {
  const resolved = target !== undefined ? resolveTarget(mesh, target) : undefined;
  const [server, crds] = await Promise.all([cluster.serverVersion(), readIstioCrds(cluster)]);
  const input: SkewInput = {
    mesh,
    crds: crdState(crds.crds, crds.unreadable),
    kubernetesVersion: server.gitVersion,
    now,
  };
  if (resolved === undefined) return { findings: evaluateSkew(input), plan: undefined, note: undefined };
  const plan = planUpgrade(input, resolved);
  return { findings: plan.findings, plan, note: resolved.note };
}

/** The findings that fail `--fail-on`. */
function failingFindings(findings: Finding[], failOn: SkewArgs['fail-on']): Finding[] {
  return findings.filter((f) => f.status === 'fail' || (failOn === 'warn' && f.status === 'warn'));
}

/** `--only`: which findings to print (the exit code and the summary always count all of them). */
const SHOWN: Record<'problems' | 'fail', (f: Finding) => boolean> = {
  problems: (f) => f.status !== 'ok',
  fail: (f) => f.status === 'fail',
};

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  ...FLEET_FLAGS,
  target: {
    type: 'string',
    describe:
      'Plan an upgrade to this Istio version (1.29.6), minor (1.29: its latest known patch) or installed revision',
  },
  only: { choices: ['problems', 'fail'], describe: 'Print only findings that are not OK (problems) or that fail' },
  'fail-on': {
    choices: ['fail', 'warn'],
    default: 'fail',
    describe: 'Exit 3 when any finding has this status or worse',
  },
  now: { type: 'string', describe: 'Evaluate end-of-life dates as of this date (YYYY-MM-DD)', hidden: true },
} as const satisfies FlagTable;
const POSITIONALS = {} as const satisfies PositionalTable;

const COMMAND = declareCommand({
  command: 'skew',
  describe:
    'Check version skew and support of control plane, CRDs, ztunnel, CNI, gateways, waypoints and Kubernetes; ' +
    '--target plans the next upgrade',
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y,
  examples: [
    ['$0 skew', 'every finding; exit 3 if any fails'],
    ['$0 skew --only problems', 'only what is not OK, and a one-line summary'],
    ['$0 skew --target 1.29', 'what the upgrade meets, and the steps in order'],
    ['$0 skew --all-contexts --fail-on warn', 'every cluster of the kubeconfig; one exit code for CI'],
  ],
});

type SkewArgs = CommandArgs<typeof COMMAND>;

/** `kubectl ambient skew [--target VERSION|MINOR|REVISION]`: version skew and support, and the safe upgrade order. */
export const skewCommand = defineCommand(COMMAND, async (args, deps) => {
  const now = args.now !== undefined ? new Date(`${args.now}T12:00:00Z`) : deps.now();
  if (Number.isNaN(now.getTime()))
    throw new AmbientError('usage', `invalid --now "${args.now ?? ''}"`, 'use YYYY-MM-DD');
  if (fleetRequested(args)) {
    await fleet(deps, args, now);
    return;
  }
  const { cluster, mesh } = await loadMesh(deps, args);
  const { findings, plan, note } = await skewOf(cluster, mesh, args.target, now);
  const shown = args.only !== undefined ? SHOWN[args.only] : () => true;
  if (plan !== undefined)
    deps.io.out(
      renderUpgradePlan(
        { ...plan, findings: plan.findings.filter(shown) },
        args.output,
        deps.io.colorOut,
        deps.io.columns,
      ),
    );
  else deps.io.out(renderFindings(findings.filter(shown), args.output, deps.io.colorOut, deps.io.columns));
  deps.io.err(renderSkewSummary(findings, plan !== undefined ? { plan, note } : {}));
  const failing = failingFindings(findings, args['fail-on']);
  if (failing.length > 0) {
    // One name per component, with how many of the findings are its own: `istiod istiod-1-27-9 (2)`.
    const counts = new Map<string, number>();
    for (const key of failing.map((f) => `${f.component} ${f.name}`)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const names = [...counts].map(([name, n]) => (n > 1 ? `${name} (${n})` : name));
    const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
    throw new AmbientError(
      'problems',
      `${failing.length} finding(s) ${gateWords(args['fail-on'])}: ${names.slice(0, 5).join(', ')}${more}`,
      'see the MESSAGE column for the fix',
    );
  }
});

const gateWords = (failOn: SkewArgs['fail-on']): string => (failOn === 'warn' ? 'at warn or fail' : 'failed');

/**
 * `skew --contexts/--all-contexts`: one findings table with a CONTEXT column (or one document with
 * each cluster's findings, and with `--target` its plan), a summary line per cluster and for the
 * fleet on stderr, and one exit code: the worst failure to read, else 3 when any cluster fails `--fail-on`.
 */
async function fleet(deps: Deps, args: SkewArgs, now: Date): Promise<void> {
  const shown = args.only !== undefined ? SHOWN[args.only] : () => true;
  const failing = (r: SkewResult): number => failingFindings(r.findings, args['fail-on']).length;
  await runFleet(deps, args, {
    read: (mesh, cluster) => skewOf(cluster, mesh, args.target, now),
    // The summary's `problems` of a cluster are its findings that fail --fail-on.
    facts: (mesh, r) => ({ ...meshFacts(mesh), problems: failing(r) }),
    check: sameInputError,
    toOutput: (r) => ({
      findings: r.findings.filter(shown),
      ...(r.plan !== undefined
        ? { target: { version: r.plan.targetVersion, revision: r.plan.targetRevision }, steps: r.plan.steps }
        : {}),
    }),
    table: {
      columns: findingColumns(args.output),
      rowsOf: (r) => findingRows(r.findings.filter(shown), args.output, deps.io.colorOut),
    },
    notes: ({ findings, plan, note }, context) =>
      renderSkewSummary(findings, plan !== undefined ? { plan, note } : {}).replace(
        /^(note|skew):/gm,
        `$1 [${context}]:`,
      ),
    fails: (r) => failing(r) > 0,
    gate: `have findings ${gateWords(args['fail-on'])}`,
  });
}

/** A `--target` every cluster refuses for the same reason is one usage mistake: said once, not per cluster. */
function sameInputError(entries: FleetEntry<SkewResult>[]): void {
  const [first] = entries;
  const message = first?.error?.kind === 'input' ? first.error.message : undefined;
  if (message === undefined || !entries.every((e) => e.error?.kind === 'input' && e.error.message === message)) return;
  throw new AmbientError('input', message, first?.error?.hint ?? undefined);
}
