/** Starts a simulated cluster for a test: a scenario or objects, the istiod-like controller, a temp kubeconfig. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentStatus } from '../cluster/controllers.ts';
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
export async function startCluster(
  scenario: string | Scenario | KubeObject[],
  opts: StartOptions = {},
): Promise<TestCluster> {
  const s: Scenario =
    typeof scenario === 'string'
      ? (scenarios[scenario]?.() ?? assertNever(scenario))
      : Array.isArray(scenario)
        ? { objects: scenario }
        : scenario;
  const { istiod, ...simOpts } = opts;
  const sim = await startSimCluster({
    ...(s.kubernetesVersion !== undefined ? { kubernetesVersion: s.kubernetesVersion } : {}),
    ...simOpts,
    objects: s.objects,
  });
  if (istiod !== false) {
    sim.addController(istiodController(istiod ?? {}));
    istiodStartup(sim, istiod ?? {});
  }
  const dir = mkdtempSync(join(tmpdir(), 'ambient-test-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  try {
    await settled(sim, simOpts);
  } catch (e) {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
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

/**
 * Waits until the workloads controller has observed every Deployment and made ready those it will
 * (not those never ready by annotation or unhealthy revision, see deploymentStatus). Fails loudly, naming
 * the Deployments, if they have not within 30 s (a safety net: it waits on store changes, not on time).
 */
async function settled(sim: SimCluster, opts: StartOptions): Promise<void> {
  if (opts.controllers?.workloads === false) return; // nothing would make them ready
  const unhealthy = new Set(opts.unhealthyRevisions ?? []);
  const key = (d: KubeObject): string => `${d.metadata.namespace ?? ''}/${d.metadata.name ?? ''}`;
  const why = (d: KubeObject): string | undefined => {
    const st = (d['status'] ?? {}) as { observedGeneration?: number; readyReplicas?: number };
    // Never ready by design (annotation, unhealthy revision, no replicas): observed is enough.
    const readies = ((deploymentStatus(d, unhealthy) as { readyReplicas?: number }).readyReplicas ?? 0) > 0;
    if ((st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) && (!readies || (st.readyReplicas ?? 0) >= 1))
      return undefined;
    return `${key(d)} (observedGeneration ${st.observedGeneration ?? 0} of ${d.metadata.generation ?? 1}, ready ${st.readyReplicas ?? 0}${readies ? ', want 1' : ''})`;
  };
  const pending = new Map<string, string>();
  for (const d of sim.list({ apiVersion: 'apps/v1', kind: 'Deployment' })) {
    const w = why(d);
    if (w !== undefined) pending.set(key(d), w);
  }
  if (pending.size === 0) return;
  // Re-checked on each Deployment change (a controller sees every store event), not by polling.
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const t = setTimeout(() => {
      done = true;
      reject(
        new Error(
          `startCluster: the simulated cluster did not settle within 30 s; Deployments not at their converged status: ${[...pending.values()].join(', ')}`,
        ),
      );
    }, 30_000);
    sim.addController((e) => {
      if (done || e.object.kind !== 'Deployment') return;
      const w = e.type === 'DELETED' ? undefined : why(e.object);
      if (w === undefined) pending.delete(key(e.object));
      else pending.set(key(e.object), w);
      if (pending.size > 0) return;
      done = true;
      clearTimeout(t);
      resolve();
    });
  });
}
