import type { Argv, CommandModule } from 'yargs';
import type { Deps } from '../cli/deps.ts';
import { withKubeOptions, withOutputOptions, type KubeArgs, type OutputArgs } from '../cli/options.ts';
import { renderFindings, renderUpgradePlan } from '../cli/render/skew.ts';
import { AmbientError } from '../core/errors.ts';
import { evaluateSkew, planUpgrade, type Finding } from '../core/skew.ts';
import { loadMesh } from './common.ts';

export type SkewArgs = KubeArgs & OutputArgs & { target?: string; now?: string; 'fail-on': 'fail' | 'warn' };

/** `kubectl ambient skew [--target VERSION|REVISION]`: version skew and support, and the safe upgrade order. */
export function skewCommand(deps: Deps): CommandModule<object, SkewArgs> {
  return {
    command: 'skew',
    describe: 'Check version skew and support of control plane, ztunnel, CNI, gateways, waypoints and Kubernetes; --target plans the next upgrade',
    builder: (y: Argv) =>
      withOutputOptions(withKubeOptions(y))
        .option('target', { type: 'string', describe: 'Plan an upgrade to this Istio version (e.g. 1.31.0) or installed revision' })
        .option('fail-on', { choices: ['fail', 'warn'] as const, default: 'fail' as const, describe: 'Exit 3 when any finding has this status or worse' })
        .option('now', { type: 'string', describe: 'Evaluate end-of-life dates as of this date (YYYY-MM-DD)', hidden: true })
        .example('$0 skew', 'every finding; exit 3 if any fails')
        .example('$0 skew --target 1.31.0', 'what would break, and the steps in order') as unknown as Argv<SkewArgs>,
    handler: async (args) => {
      const now = args.now !== undefined ? new Date(`${args.now}T12:00:00Z`) : deps.now();
      if (Number.isNaN(now.getTime())) throw new AmbientError('usage', `invalid --now "${args.now ?? ''}"`, 'use YYYY-MM-DD');
      const { cluster, mesh } = await loadMesh(deps, args);
      const k8s = (await cluster.serverVersion()).gitVersion;
      let findings: Finding[];
      if (args.target !== undefined) {
        const plan = planUpgrade(mesh, args.target, k8s, now);
        deps.io.out(renderUpgradePlan(plan, args.output, deps.io.colorOut));
        findings = plan.findings;
      } else {
        findings = evaluateSkew(mesh, k8s, now);
        deps.io.out(renderFindings(findings, args.output, deps.io.colorOut));
      }
      const failing = findings.filter((f) => f.status === 'fail' || (args['fail-on'] === 'warn' && f.status === 'warn'));
      if (failing.length > 0) {
        throw new AmbientError('problems', `${failing.length} finding(s) ${args['fail-on'] === 'warn' ? 'at warn or fail' : 'failed'}: ${failing.map((f) => `${f.component} ${f.name}`).join(', ')}`, 'see the MESSAGE column for the fix');
      }
    },
  };
}
