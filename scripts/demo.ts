/**
 * `npm run demo`: starts the embedded simulated cluster with the `mid-upgrade` scenario (two
 * control planes, tags default/prod/canary, ambient namespaces, waypoints, a gateway) and runs the
 * real CLI against it, printing each command line before its output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeConnector, type Deps } from '../src/cli/deps.ts';
import { processIo } from '../src/cli/io.ts';
import { run } from '../src/cli/run.ts';
import { commands } from '../src/commands/index.ts';
import { startSimCluster } from '../test/cluster/index.ts';
import { istiodController } from '../test/cluster/istiod.ts';
import { scenarios } from '../test/cluster/scenarios.ts';

const scenario = scenarios['mid-upgrade']!();
const sim = await startSimCluster({ objects: scenario.objects, kubernetesVersion: scenario.kubernetesVersion ?? 'v1.31.4', controllers: { workloads: { readyDelayMs: 700 } } });
sim.addController(istiodController({ renderDelayMs: 300 }));
const dir = mkdtempSync(join(tmpdir(), 'ambient-demo-'));
const kubeconfig = join(dir, 'kubeconfig');
await sim.writeKubeconfig(kubeconfig, { context: 'demo' });

const io = processIo();
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const env = { ...process.env, KUBECONFIG: kubeconfig };
const deps: Deps = { io, env, signal: controller.signal, now: () => new Date(), connect: kubeConnector(env, controller.signal, (l) => io.err(`${l}\n`)) };

const steps: string[][] = [
  ['revisions'],
  ['tags'],
  ['revisions', '1-27-9'],
  ['tag-move', 'prod', '1-28-10', '--yes', '--wait'],
  ['tags'],
  ['tag-rollback', 'prod', '--yes', '--wait'],
  ['tags', 'prod'],
  ['skew'],
  ['skew', '--target', '1.28.10'],
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
await sim.close();
rmSync(dir, { recursive: true, force: true });
process.exitCode = failed === 0 ? 0 : 1;
