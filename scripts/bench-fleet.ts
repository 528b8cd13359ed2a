/**
 * The fleet benchmark (issue 17, part of `npm run bench`; standalone: `node --import tsx
 * scripts/bench-fleet.ts` after a build): `tags --all-contexts` over BENCH_FLEET_CLUSTERS (default
 * 50) simulated clusters in one kubeconfig, against the single-cluster `tags` on the same
 * kubeconfig (`--context`), interleaved.
 *
 * The clusters: one simulator per cluster (the mid-upgrade scenario each; its own port, store and
 * request log), all in this benchmark process: one process serving 50 HTTPS/HTTP/2 listeners.
 * They share this process's simulator CA (one per process), but each is its own cluster entry in
 * the kubeconfig with its own `certificate-authority-data` and server, so the command makes 50
 * connections and TLS handshakes as it would to 50 clusters. This process's CPU time during the
 * fleet runs is reported too: it is the 50 servers' work, which on 2 cores competes with the
 * command being measured (a real fleet's servers run elsewhere).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { scenarios } from '../test/cluster/scenarios.ts';
import { startCluster, type TestCluster } from '../test/support/sim.ts';
import {
  cpuOnce,
  exec,
  load,
  out,
  race,
  RUNS,
  ratio,
  rssPreload,
  table,
  withRss,
  type Stats,
  type Tools,
} from './bench-lib.ts';
import { kubectlBinary, log, nodeBinary, PLATFORMS, releaseDir, ROOT, type Platform } from './package-lib.ts';

const CLUSTERS = Math.max(2, Number(process.env['BENCH_FLEET_CLUSTERS'] ?? 50));

export interface FleetResult {
  clusters: number;
  wallMs: Record<string, Stats>;
  cpuMs: Record<string, Stats>;
  /** fleet median / single-cluster `tags` median (goal <= 1.5). */
  ratio: number;
  peakRssMiB: Record<string, number>;
  requestsSingle: number;
  requestsPerCluster: { min: number; max: number };
  connectionsPerCluster: { min: number; max: number };
  serverCpuMsPerFleetRun: number;
  simulatorsRssMiB: number;
  loadAtStart: number[];
}

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
}

/** `count` simulators of the mid-upgrade scenario, and one kubeconfig with a context per cluster (`c01`...). */
async function startFleet(count: number, dir: string): Promise<{ sims: TestCluster[]; kubeconfig: string }> {
  const sims: TestCluster[] = [];
  const merged: Kubeconfig & Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [],
    users: [],
    contexts: [],
    'current-context': 'c01',
    preferences: {},
  };
  for (let i = 1; i <= count; i++) {
    const name = `c${String(i).padStart(2, '0')}`;
    const c = await startCluster(scenarios['mid-upgrade']!().objects, { istiod: false });
    sims.push(c);
    const file = join(c.dir, 'kubeconfig');
    await c.sim.writeKubeconfig(file, { context: name });
    const doc = parse(readFileSync(file, 'utf8')) as Kubeconfig;
    merged.clusters.push(...doc.clusters);
    merged.users.push(...doc.users);
    merged.contexts.push(...doc.contexts);
  }
  const kubeconfig = join(dir, 'fleet.kubeconfig');
  writeFileSync(kubeconfig, stringify(merged), { mode: 0o600 });
  return { sims, kubeconfig };
}

/** First requests (not continue pages) a simulator received since its log was cleared. */
const firstRequests = (c: TestCluster): number =>
  c.sim.requests.filter((q) => q.query['continue'] === undefined).length;

export async function fleetBench(t: Tools): Promise<FleetResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ambient-fleet-'));
  const before = process.memoryUsage().rss;
  const started = Date.now();
  const { sims, kubeconfig } = await startFleet(CLUSTERS, dir);
  const simulatorsRssMiB = Math.round((process.memoryUsage().rss - before) / 2 ** 20);
  log(
    `  fleet: ${CLUSTERS} simulators started in ${((Date.now() - started) / 1000).toFixed(1)} s (+${simulatorsRssMiB} MiB in the benchmark process)`,
  );
  try {
    const env = {
      PATH: '/nonexistent',
      HOME: t.work,
      KUBECONFIG: kubeconfig,
      KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-tags',
    };
    const loadAtStart = loadavg();
    out(
      `\n8. fleet (issue 17): ${CLUSTERS} simulated clusters (mid-upgrade each) in one kubeconfig, the executable as \`kubectl ambient tags\`, wall time ms; load ${load()}`,
    );

    // Requests and connections per cluster: one fleet run against cleared logs, and one single run.
    for (const c of sims) c.sim.clearRequests();
    await exec(t.exe, ['--context', 'c01'], env);
    const requestsSingle = firstRequests(sims[0]!);
    for (const c of sims) c.sim.clearRequests();
    await exec(t.exe, ['--all-contexts'], env);
    const perCluster = sims.map(firstRequests);
    const connections = sims.map((c) => c.sim.connections.length);

    // Wall time: fleet (default --parallel 8, and all at once) and single-cluster runs interleaved;
    // the single runs go round the clusters. This process's CPU during the fleet runs: the servers' work.
    let next = 0;
    let serverCpu = 0;
    let fleetRuns = 0;
    const timed = async (args: string[], fleet: boolean): Promise<number> => {
      const cpu = process.cpuUsage();
      const r = await exec(t.exe, args, env);
      if (fleet) {
        const d = process.cpuUsage(cpu);
        serverCpu += (d.user + d.system) / 1000;
        fleetRuns++;
      }
      return r.ms;
    };
    const names = {
      single: 'tags --context cNN (one cluster)',
      fleet: `tags --all-contexts (${CLUSTERS} clusters, --parallel 8)`,
      all: `tags --all-contexts --parallel ${CLUSTERS}`,
    };
    const wallMs = await race([
      {
        name: names.single,
        run: () => timed(['--context', `c${String((next++ % CLUSTERS) + 1).padStart(2, '0')}`], false),
      },
      { name: names.fleet, run: () => timed(['--all-contexts'], true) },
      { name: names.all, run: () => timed(['--all-contexts', '--parallel', String(CLUSTERS)], true) },
    ]);
    const single = wallMs[names.single]?.median ?? 1;
    // CPU time of the command (user + system; GNU time), 5 interleaved runs: what the load cannot inflate.
    const cpuMs = existsSync('/usr/bin/time')
      ? await race(
          [
            { name: names.single, run: () => cpuOnce(t.exe, ['--context', 'c01'], env) },
            { name: names.fleet, run: () => cpuOnce(t.exe, ['--all-contexts'], env) },
            { name: names.all, run: () => cpuOnce(t.exe, ['--all-contexts', '--parallel', String(CLUSTERS)], env) },
          ],
          5,
        )
      : {};
    const singleCpu = cpuMs[names.single]?.median ?? NaN;
    table(
      ['command', 'median', 'min', 'max', 'vs one cluster', 'CPU ms', 'CPU vs one cluster'],
      Object.entries(wallMs).map(([n, s]) => [
        n,
        s.median,
        s.min,
        s.max,
        ratio(s.median, single),
        cpuMs[n]?.median ?? '-',
        Number.isNaN(singleCpu) ? '-' : ratio(cpuMs[n]?.median ?? NaN, singleCpu),
      ]),
    );

    // Peak RSS: the bundle on Node with the VmHWM preload, 3 runs each, the highest.
    const peakRssMiB: Record<string, number> = {};
    for (const [name, args] of [
      [names.single, ['tags', '--context', 'c01']],
      [names.fleet, ['tags', '--all-contexts']],
      [names.all, ['tags', '--all-contexts', '--parallel', String(CLUSTERS)]],
    ] as const) {
      const rss: number[] = [];
      for (let i = 0; i < 3; i++)
        rss.push(
          (
            await withRss(
              t.node,
              t.preload,
              t.bundle,
              [...args],
              { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: kubeconfig },
              t.work,
            )
          ).rssMiB,
        );
      peakRssMiB[name] = Math.round(Math.max(...rss));
    }
    const fleet = wallMs[names.fleet]?.median ?? 0;
    const serverCpuMsPerFleetRun = Math.round(serverCpu / Math.max(1, fleetRuns));
    table(
      ['command', 'peak RSS MiB (bundle on node)'],
      Object.entries(peakRssMiB).map(([n, v]) => [n, v]),
    );
    const reqMin = Math.min(...perCluster);
    const reqMax = Math.max(...perCluster);
    out(
      `  requests per cluster: ${reqMin === reqMax ? reqMin : `${reqMin}-${reqMax}`} in fleet mode, ${requestsSingle} for one cluster (${reqMin === requestsSingle && reqMax === requestsSingle ? 'equal: goal met' : 'NOT equal: goal MISSED'}); connections per cluster: ${Math.min(...connections)}-${Math.max(...connections)}`,
    );
    out(
      `  the ${CLUSTERS} simulators' CPU time per fleet run: ${serverCpuMsPerFleetRun} ms (in this process, on the same 2 cores)`,
    );
    out(
      `  goal: fleet at most 1.5x one cluster's tags: ${ratio(fleet, single)} (${fleet / single <= 1.5 ? 'met' : 'MISSED'}); peak RSS under 250 MiB: ${peakRssMiB[names.fleet]} MiB (${(peakRssMiB[names.fleet] ?? 0) < 250 ? 'met' : 'MISSED'})`,
    );
    return {
      clusters: CLUSTERS,
      wallMs,
      cpuMs,
      ratio: Number((fleet / single).toFixed(2)),
      peakRssMiB,
      requestsSingle,
      requestsPerCluster: { min: reqMin, max: reqMax },
      connectionsPerCluster: { min: Math.min(...connections), max: Math.max(...connections) },
      serverCpuMsPerFleetRun,
      simulatorsRssMiB,
      loadAtStart,
    };
  } finally {
    for (const c of sims) await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Standalone: reuses the built bundle and executable (npm run bench builds them).
if (import.meta.url === `file://${process.argv[1]}`) {
  const work = mkdtempSync(join(tmpdir(), 'ambient-bench-'));
  const linux = PLATFORMS[0] as Platform;
  const t: Tools = {
    node: nodeBinary(linux),
    exe: join(releaseDir(), 'executables', 'linux-x64'),
    bundle: join(ROOT, 'dist', 'kubectl-ambient.cjs'),
    kubectl: kubectlBinary(),
    helm: '',
    work,
    preload: rssPreload(work),
  };
  out(`${RUNS} runs per median`);
  fleetBench(t)
    .then((r) => out(JSON.stringify({ ...r, wallMs: undefined, cpuMs: undefined }, null, 0)))
    .finally(() => rmSync(work, { recursive: true, force: true }))
    .catch((e: unknown) => {
      log(`bench-fleet: error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
}
