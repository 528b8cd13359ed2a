import type { Argv, CommandModule } from 'yargs';
import type { Deps } from '../cli/deps.ts';
import { withKubeOptions, withOutputOptions, type KubeArgs, type OutputArgs } from '../cli/options.ts';
import { renderFindings, renderSkewSummary, renderUpgradePlan } from '../cli/render/skew.ts';
import { crdState, readIstioCrds } from '../core/crds.ts';
import { AmbientError } from '../core/errors.ts';
import { evaluateSkew, planUpgrade, resolveTarget, type Finding, type SkewInput } from '../core/skew.ts';
import { loadMesh } from './common.ts';

export type SkewArgs = KubeArgs & OutputArgs & { target?: string; now?: string; 'fail-on': 'fail' | 'warn'; only?: 'problems' | 'fail' };

/** `--only`: which findings to print (the exit code and the summary always count all of them). */
const SHOWN: Record<'problems' | 'fail', (f: Finding) => boolean> = { problems: (f) => f.status !== 'ok', fail: (f) => f.status === 'fail' };

/** `kubectl ambient skew [--target VERSION|MINOR|REVISION]`: version skew and support, and the safe upgrade order. */
export function skewCommand(deps: Deps): CommandModule<object, SkewArgs> {
  return {
    command: 'skew',
    describe: 'Check version skew and support of control plane, CRDs, ztunnel, CNI, gateways, waypoints and Kubernetes; --target plans the next upgrade',
    builder: (y: Argv) =>
      withOutputOptions(withKubeOptions(y))
        .option('target', { type: 'string', describe: 'Plan an upgrade to this Istio version (1.29.6), minor (1.29: its latest known patch) or installed revision' })
        .option('only', { choices: ['problems', 'fail'] as const, describe: 'Print only findings that are not OK (problems) or that fail' })
        .option('fail-on', { choices: ['fail', 'warn'] as const, default: 'fail' as const, describe: 'Exit 3 when any finding has this status or worse' })
        .option('now', { type: 'string', describe: 'Evaluate end-of-life dates as of this date (YYYY-MM-DD)', hidden: true })
        .example('$0 skew', 'every finding; exit 3 if any fails')
        .example('$0 skew --only problems', 'only what is not OK, and a one-line summary')
        .example('$0 skew --target 1.29', 'what the upgrade meets, and the steps in order') as unknown as Argv<SkewArgs>,
    handler: async (args) => {
      const now = args.now !== undefined ? new Date(`${args.now}T12:00:00Z`) : deps.now();
      if (Number.isNaN(now.getTime())) throw new AmbientError('usage', `invalid --now "${args.now ?? ''}"`, 'use YYYY-MM-DD');
      const { cluster, mesh } = await loadMesh(deps, args);
      const target = args.target !== undefined ? resolveTarget(mesh, args.target) : undefined;
      const [server, crds] = await Promise.all([cluster.serverVersion(), readIstioCrds(cluster)]);
      const input: SkewInput = { mesh, crds: crdState(crds.crds, crds.unreadable), kubernetesVersion: server.gitVersion, now };
      const shown = args.only !== undefined ? SHOWN[args.only] : () => true;
      let findings: Finding[];
      if (target !== undefined) {
        const plan = planUpgrade(input, target);
        deps.io.out(renderUpgradePlan({ ...plan, findings: plan.findings.filter(shown) }, args.output, deps.io.colorOut, deps.io.columns));
        findings = plan.findings;
        deps.io.err(renderSkewSummary(findings, { plan, note: target.note }));
      } else {
        findings = evaluateSkew(input);
        deps.io.out(renderFindings(findings.filter(shown), args.output, deps.io.colorOut, deps.io.columns));
        deps.io.err(renderSkewSummary(findings, {}));
      }
      const failing = findings.filter((f) => f.status === 'fail' || (args['fail-on'] === 'warn' && f.status === 'warn'));
      if (failing.length > 0) {
        const names = failing.map((f) => `${f.component} ${f.name}`);
        throw new AmbientError('problems', `${failing.length} finding(s) ${args['fail-on'] === 'warn' ? 'at warn or fail' : 'failed'}: ${[...new Set(names)].slice(0, 5).join(', ')}${new Set(names).size > 5 ? ` and ${new Set(names).size - 5} more` : ''}`, 'see the MESSAGE column for the fix');
      }
    },
  };
}
