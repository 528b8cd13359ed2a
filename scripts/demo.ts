/**
 * `npm run demo`: starts the embedded simulated cluster with the `mid-upgrade` scenario (two
 * control planes, tags default/prod/canary, ambient namespaces, waypoints, a gateway) and runs the
 * real CLI against it, printing each command line before its output. It ends with `upgrade`: one
 * gated upgrade that succeeds (prod), then one whose gate fails on a revision whose proxies never
 * become ready (the simulator's --unhealthy-revision) and is rolled back by itself.
 */
import { kubeConnector, kubeContexts, type Deps } from '../src/cli/deps.ts';
import { processIo } from '../src/cli/io.ts';
import { run } from '../src/cli/run.ts';
import { commands } from '../src/commands/index.ts';
import { startCluster } from '../test/support/sim.ts';

// Rollouts take a moment, as on a real cluster, so the spinner of `tag-move --wait` has something to show.
const cluster = await startCluster('mid-upgrade', {
  controllers: { workloads: { readyDelayMs: 700 } },
  istiod: { renderDelayMs: 300 },
});
const kubeconfig = cluster.kubeconfig;

const io = processIo();
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const env = { ...process.env, KUBECONFIG: kubeconfig };
const deps: Deps = {
  io,
  env,
  signal: controller.signal,
  now: () => new Date(),
  connect: kubeConnector(env, controller.signal, (l) => io.err(`${l}\n`)),
  contexts: kubeContexts(env),
};

interface Step {
  argv: string[];
  /** The exit code this step is meant to end with (default 0). */
  expect?: number;
  /** Said (as a comment) and done to the cluster before the step. */
  before?: { say: string; run: () => void };
}
const steps: Step[] = [
  { argv: ['revisions'] },
  { argv: ['tags'] },
  { argv: ['revisions', '1-27-9'] },
  { argv: ['tag-move', 'prod', '1-28-10', '--yes', '--wait'] },
  { argv: ['tags'] },
  { argv: ['tag-rollback', 'prod', '--yes', '--wait'] },
  { argv: ['tags', 'prod'] },
  { argv: ['skew'] },
  { argv: ['skew', '--target', '1.29'] },
  { argv: ['upgrade', '1-28-10', '--tags', 'prod', '--yes', '--soak', '3s'] },
  {
    argv: ['upgrade', '1-28-10', '--yes', '--soak', '3s', '--timeout', '5s'],
    expect: 3,
    before: {
      say: 'from now on, proxies rendered for 1-28-10 never become ready (like npm run sim -- --unhealthy-revision 1-28-10)',
      run: () => cluster.sim.setUnhealthyRevisions(['1-28-10']),
    },
  },
  { argv: ['tags'] },
];
let failed = 0;
for (const step of steps) {
  if (step.before !== undefined) {
    io.out(`\n# ${step.before.say}\n`);
    step.before.run();
  }
  io.out(`\n$ kubectl ambient ${step.argv.join(' ')}\n`);
  const code = await run(step.argv, commands, deps, { scriptName: 'kubectl ambient', single: false, version: 'demo' });
  if (code !== 0) io.out(`(exit ${code})\n`);
  if (code !== (step.expect ?? 0)) failed++;
}
await cluster.close();
process.exitCode = failed === 0 ? 0 : 1;
