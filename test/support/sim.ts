/** Starts a simulated cluster for a test: a scenario or objects, the istiod-like controller, a temp kubeconfig. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimCluster } from '../cluster/index.ts';
import { istiodController, istiodStartup, type IstiodOptions } from '../cluster/istiod.ts';
import { scenarios, type Scenario } from '../cluster/scenarios.ts';
import type { SimCluster, SimOptions } from '../cluster/sim-types.ts';
import type { KubeObject } from '../cluster/types.ts';

export interface TestCluster {
  sim: SimCluster;
  kubeconfig: string;
  dir: string;
  close(): Promise<void>;
}

export interface StartOptions extends Omit<SimOptions, 'objects'> {
  istiod?: IstiodOptions | false;
}

/** Starts `scenario` (a built-in name, a Scenario, or a list of objects). */
export async function startCluster(scenario: string | Scenario | KubeObject[], opts: StartOptions = {}): Promise<TestCluster> {
  const s: Scenario = typeof scenario === 'string' ? (scenarios[scenario]?.() ?? assertNever(scenario)) : Array.isArray(scenario) ? { objects: scenario } : scenario;
  const { istiod, ...simOpts } = opts;
  const sim = await startSimCluster({ ...(s.kubernetesVersion !== undefined ? { kubernetesVersion: s.kubernetesVersion } : {}), ...simOpts, objects: s.objects });
  if (istiod !== false) {
    sim.addController(istiodController(istiod ?? {}));
    istiodStartup(sim, istiod ?? {});
  }
  const dir = mkdtempSync(join(tmpdir(), 'ambient-test-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  await settled(sim);
  return {
    sim,
    kubeconfig,
    dir,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function assertNever(name: string): never {
  throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
}

/** Waits (bounded) until the workloads controller has made every Deployment it will make ready, ready. */
async function settled(sim: SimCluster): Promise<void> {
  const deadline = Date.now() + 5000;
  const pending = (): boolean =>
    sim.list({ apiVersion: 'apps/v1', kind: 'Deployment' }).some((d) => {
      const st = d['status'] as { observedGeneration?: number; readyReplicas?: number } | undefined;
      const neverReady = d.metadata.annotations?.['sim.kubectl-ambient.dev/never-ready'] === 'true';
      return !neverReady && ((st?.observedGeneration ?? 0) < (d.metadata.generation ?? 1) || (st?.readyReplicas ?? 0) < 1);
    });
  while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
