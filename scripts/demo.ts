/**
 * `npm run demo`: starts the embedded simulated cluster with the `mid-upgrade` scenario (two
 * control planes, tags default/prod/canary, ambient namespaces, waypoints, a gateway) and runs the
 * real CLI against it, printing each command line before its output.
 */
import { kubeConnector, kubeContexts, type Deps } from '../src/cli/deps.ts';
import { processIo } from '../src/cli/io.ts';
import { run } from '../src/cli/run.ts';
import { commands } from '../src/commands/index.ts';
import { startCluster } from '../test/support/sim.ts';

// Rollouts take a moment, as on a real cluster, so the spinner of `tag-move --wait` has something to show.
const cluster = await startCluster('mid-upgrade', { controllers: { workloads: { readyDelayMs: 700 } }, istiod: { renderDelayMs: 300 } });
const kubeconfig = cluster.kubeconfig;

const io = processIo();
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const env = { ...process.env, KUBECONFIG: kubeconfig };
const deps: Deps = { io, env, signal: controller.signal, now: () => new Date(), connect: kubeConnector(env, controller.signal, (l) => io.err(`${l}\n`)), contexts: kubeContexts(env) };

const steps: string[][] = [
  ['revisions'],
  ['tags'],
  ['revisions', '1-27-9'],
  ['tag-move', 'prod', '1-28-10', '--yes', '--wait'],
  ['tags'],
  ['tag-rollback', 'prod', '--yes', '--wait'],
  ['tags', 'prod'],
  ['skew'],
  ['skew', '--target', '1.29'],
];
let failed = 0;
for (const argv of steps) {
  io.out(`\n$ kubectl ambient ${argv.join(' ')}\n`);
  const code = await run(argv, commands, deps, { scriptName: 'kubectl ambient', single: false, version: 'demo' });
  if (code !== 0) {
    io.out(`(exit ${code})\n`);
    failed++;
  }
}
await cluster.close();
process.exitCode = failed === 0 ? 0 : 1;
