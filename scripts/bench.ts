/**
 * `npm run bench`: the numbers of issue #7 (a benchmark, never a test and never a timed assertion).
 * Prints tables and writes the same numbers as JSON to `.bench/results.json`.
 *
 *  1. against kubectl: `tags` and `revisions` of the linux-x64 executable and of the bundle on Node,
 *     side by side with a real kubectl 1.35 doing the runbook's lookups against the same server;
 *  2. start-up: `--help` of the executable (Node SEA + code cache, and pkg --sea) and of the bundle,
 *     against `node -e 0`;
 *  3. scale: API requests, list pages, bytes received, wall time and peak RSS of `revisions`, `tags`,
 *     `skew` and `tag-move --dry-run=server` on 10, 1,000 and 10,000 namespaces (2,000 gateways and
 *     waypoints at the top);
 *  4. against the runbook: `tag-move` end to end (no wait) versus `kubectl apply -f` of the chart's
 *     render plus helm's own start-up (the Istio chart itself cannot be fetched offline), on the real
 *     kube-apiserver of the contract suite when its binaries are there, else on the simulator.
 *
 * Timings are medians of BENCH_RUNS runs (default 11, at least 10) after a warm-up, runs of the
 * compared commands interleaved so that machine load hits them alike. Builds what it needs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { largeScenario } from '../test/cluster/scenarios.ts';
import { helmRender } from '../test/support/builders.ts';
import { startCluster, type TestCluster } from '../test/support/sim.ts';
import { buildWithPkg } from './package.ts';
import { helmBinary, kubectlBinary, log, nodeBinary, PLATFORMS, releaseDir, ROOT, type Platform } from './package-lib.ts';

const RUNS = Math.max(10, Number(process.env['BENCH_RUNS'] ?? 11));
const SIZES = [10, 1_000, 10_000];
const OUT = join(ROOT, '.bench', 'results.json');

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 === 1 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  return { median: Math.round(mid), min: Math.round(s[0] ?? 0), max: Math.round(s.at(-1) ?? 0) };
}

/** Runs a command to completion; its wall time in ms. Fails loudly on an unexpected exit code. */
function once(cmd: string, args: string[], env: Record<string, string>, okCodes = [0], stdin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    if (stdin !== undefined) child.stdin?.end(stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (!okCodes.includes(code ?? -1)) reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? '?'}: ${err.trim().split('\n').at(-1) ?? ''}`));
      else resolve(ms);
    });
  });
}

/** Interleaved runs of several commands: one warm-up each, then RUNS rounds. */
async function race(cases: { name: string; run: () => Promise<number> }[]): Promise<Record<string, Stats>> {
  const times = cases.map(() => [] as number[]);
  for (const c of cases) await c.run();
  for (let i = 0; i < RUNS; i++) for (const [j, c] of cases.entries()) times[j]?.push(await c.run());
  return Object.fromEntries(cases.map((c, j) => [c.name, stats(times[j] ?? [])]));
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

function table(head: string[], rows: (string | number)[][]): void {
  const all = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all) out(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('   ')}`);
}

/** A preload that reports the process's peak RSS (KiB) into RSS_FILE when it exits. */
function rssPreload(dir: string): string {
  const file = join(dir, 'rss-preload.cjs');
  writeFileSync(file, "process.on('exit', () => require('fs').writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  return file;
}

async function main(): Promise<void> {
  const linux = PLATFORMS[0] as Platform;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the benchmark runs the linux-x64 executable: run it on linux-x64');
  const packaged = join(releaseDir(), 'executables', 'linux-x64');
  if (!existsSync(packaged)) {
    log('no release yet: building linux-x64 (npm run package -- --platforms linux-x64)');
    execFileSync('npm', ['run', '-s', 'package', '--', '--platforms', 'linux-x64'], { stdio: 'inherit', cwd: ROOT });
  }
  const node = nodeBinary(linux);
  const kubectl = kubectlBinary();
  const helm = helmBinary();
  const work = mkdtempSync(join(tmpdir(), 'ambient-bench-'));
  const bundle = join(ROOT, 'dist', 'kubectl-ambient.cjs');
  const preload = rssPreload(work);
  const results: Record<string, unknown> = {};
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  out(`machine: ${machine}; load at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${RUNS} runs per median`);
  results['machine'] = machine;
  results['date'] = new Date().toISOString();
  results['runs'] = RUNS;

  const mid = await startCluster('mid-upgrade');
  try {
    const env = { PATH: '/nonexistent', HOME: work, KUBECONFIG: mid.kubeconfig };
    const exe = (args: string[]) => () => once(packaged, args, env);
    const onNode = (args: string[]) => () => once(node, [bundle, ...args], env);
    const kc = (args: string[]) => () => once(kubectl, args, env);

    // 1. Against kubectl.
    out('\n1. against kubectl (mid-upgrade scenario, same server), wall time ms: median (min-max)');
    const vsKubectl = await race([
      { name: 'kubectl get mwc -l istio.io/tag', run: kc(['get', 'mutatingwebhookconfigurations', '-l', 'istio.io/tag', '-L', 'istio.io/tag,istio.io/rev']) },
      { name: 'kubectl ambient tags (executable)', run: exe(['tags']) },
      { name: 'kubectl ambient tags (bundle on node)', run: onNode(['tags']) },
      { name: "kubectl get mwc -l 'istio.io/rev,!istio.io/tag'", run: kc(['get', 'mutatingwebhookconfigurations', '-l', 'istio.io/rev,!istio.io/tag', '-L', 'istio.io/rev']) },
      { name: 'kubectl ambient revisions (executable)', run: exe(['revisions']) },
      { name: 'kubectl ambient revisions (bundle on node)', run: onNode(['revisions']) },
    ]);
    const k1 = vsKubectl['kubectl get mwc -l istio.io/tag']?.median ?? 1;
    const k2 = vsKubectl["kubectl get mwc -l 'istio.io/rev,!istio.io/tag'"]?.median ?? 1;
    table(
      ['command', 'median', 'min', 'max', 'vs kubectl'],
      Object.entries(vsKubectl).map(([n, s]) => [n, s.median, s.min, s.max, ratio(s.median, n.includes('revisions') || n.includes('!istio.io/tag') ? k2 : k1)]),
    );
    out(`  target: tags at most 1.5x kubectl's: executable ${ratio(vsKubectl['kubectl ambient tags (executable)']?.median ?? 0, k1)}`);
    results['vsKubectl'] = vsKubectl;

    // 2. Start-up.
    out('\n2. start-up, wall time ms');
    log('building the pkg --sea variant of linux-x64 for comparison');
    const pkgExe = buildWithPkg([linux], work).get(linux) ?? '';
    const startup = await race([
      { name: 'node -e 0', run: () => once(node, ['-e', '0'], env) },
      { name: '--help, executable (Node SEA + code cache)', run: exe(['--help']) },
      { name: '--help, pkg --sea', run: () => once(pkgExe, ['--help'], env) },
      { name: '--help, bundle on node (compile cache)', run: onNode(['--help']) },
    ]);
    const n0 = startup['node -e 0']?.median ?? 1;
    table(['command', 'median', 'min', 'max', 'vs node -e 0'], Object.entries(startup).map(([n, s]) => [n, s.median, s.min, s.max, ratio(s.median, n0)]));
    out(`  target: --help at most 2x node -e 0: executable ${ratio(startup['--help, executable (Node SEA + code cache)']?.median ?? 0, n0)}`);
    results['startup'] = startup;
  } finally {
    await mid.close();
  }

  // 3. Scale.
  out('\n3. scale: requests (first pages + extra pages), KiB received, wall ms (median of 3), peak RSS MiB (bundle on node)');
  const commands: [string, string[]][] = [
    ['revisions', ['revisions', '-o', 'json']],
    ['tags', ['tags', '-o', 'json']],
    ['skew', ['skew', '-o', 'json']],
    ['tag-move --dry-run=server', ['tag-move', 'prod', '1-28-10', '--dry-run=server', '--yes']],
  ];
  const scale: Record<string, Record<string, { requests: number; pages: number; kib: number; ms: number; rssMiB: number }>> = {};
  const rows: (string | number)[][] = [];
  for (const size of SIZES) {
    const c = await startCluster(largeScenario({ namespaces: size, gateways: Math.min(2_000, Math.max(2, size / 5)) }), { istiod: false });
    try {
      const env = { PATH: '/nonexistent', HOME: work, KUBECONFIG: c.kubeconfig, RSS_FILE: join(work, 'rss') };
      for (const [name, args] of commands) {
        const ms: number[] = [];
        let requests = 0;
        let pages = 0;
        let bytes = 0;
        let rss = 0;
        for (let i = 0; i < 3; i++) {
          c.sim.clearRequests();
          ms.push(await once(node, ['-r', preload, bundle, ...args], env, name === 'skew' ? [0, 3] : [0]));
          rss = Math.max(rss, Number(readFileSync(join(work, 'rss'), 'utf8')) / 1024);
          pages = c.sim.requests.filter((q) => q.query['continue'] !== undefined).length;
          requests = c.sim.requests.length - pages;
          bytes = c.sim.requests.reduce((a, q) => a + q.bytes, 0);
        }
        const row = { requests, pages, kib: Math.round(bytes / 1024), ms: stats(ms).median, rssMiB: Math.round(rss) };
        (scale[name] ??= {})[String(size)] = row;
        rows.push([`${name} @ ${size} ns`, row.requests, row.pages, row.kib, row.ms, row.rssMiB]);
      }
    } finally {
      await c.close();
    }
  }
  table(['command @ namespaces', 'requests', '+pages', 'KiB', 'ms', 'RSS MiB'], rows);
  for (const [name] of commands) {
    const s = scale[name] ?? {};
    const small = s[String(SIZES[0])];
    const big = s[String(SIZES.at(-1))];
    if (small === undefined || big === undefined) continue;
    out(`  ${name}: requests ${small.requests} -> ${big.requests} (${small.requests === big.requests ? 'constant' : 'NOT constant'}); time x${(big.ms / small.ms).toFixed(1)} vs bytes x${(big.kib / Math.max(1, small.kib)).toFixed(1)}; peak RSS ${big.rssMiB} MiB at 10,000 (target <= 120)`);
  }
  results['scale'] = scale;

  // 4. Against the runbook.
  const runbook = await againstRunbook(node, bundle, kubectl, helm, work);
  results['runbook'] = runbook;

  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  out(`\nwrote ${OUT.replace(`${ROOT}/`, '')}`);
  rmSync(work, { recursive: true, force: true });
}

/**
 * `tag-move prod` end to end (--yes --no-wait) against `kubectl apply -f <the chart's render>` plus
 * `helm version` (helm's start-up: the floor of `helm template`, whose chart needs the internet).
 * Each run moves the tag back and forth between the two revisions, so every run really writes.
 */
async function againstRunbook(node: string, bundle: string, kubectl: string, helm: string, work: string): Promise<Record<string, unknown>> {
  const objects = largeScenario({ namespaces: 10, gateways: 2 }).objects;
  let server = 'simulator';
  let kubeconfig: string;
  let close: () => Promise<void>;
  try {
    const { startBackend, realSkipReason } = await import('../test/contract/backend.ts');
    const why = realSkipReason();
    if (why !== undefined) throw new Error(why);
    const real = await startBackend('real');
    await real.load(objects);
    kubeconfig = real.kubeconfig.admin;
    close = () => real.close();
    server = 'real kube-apiserver (contract suite)';
  } catch (e) {
    log(`runbook comparison on the simulator (${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)})`);
    const c: TestCluster = await startCluster(objects, { istiod: false });
    kubeconfig = c.kubeconfig;
    close = () => c.close();
  }
  try {
    const env = { PATH: '/nonexistent', HOME: work, KUBECONFIG: kubeconfig };
    const renders: Record<string, string> = {};
    for (const [rev, version] of [['1-28-10', '1.28.10'], ['1-27-9', '1.27.9']] as const) {
      renders[rev] = join(work, `tag-prod-${rev}.yaml`);
      writeFileSync(renders[rev], helmRender(version, `tag-prod-rev-${rev}.yaml`).map((o) => JSON.stringify(o)).join('\n---\n'));
    }
    let flip = 0;
    const ours = async (): Promise<number> => once(node, [bundle, 'tag-move', 'prod', flip++ % 2 === 0 ? '1-28-10' : '1-27-9', '--yes', '--no-wait'], env);
    let flap = 0;
    const theirs = async (): Promise<number> => {
      const helmMs = await once(helm, ['version', '--short'], env);
      return helmMs + (await once(kubectl, ['apply', '-f', renders[flap++ % 2 === 0 ? '1-28-10' : '1-27-9'] ?? ''], env));
    };
    const r = await race([
      { name: 'kubectl ambient tag-move prod (bundle on node, no wait)', run: ours },
      { name: 'runbook: helm start-up + kubectl apply -f render', run: theirs },
    ]);
    out(`\n4. against the runbook on the ${server}, wall time ms`);
    table(['command', 'median', 'min', 'max'], Object.entries(r).map(([n, s]) => [n, s.median, s.min, s.max]));
    const a = r['kubectl ambient tag-move prod (bundle on node, no wait)']?.median ?? 0;
    const b = r['runbook: helm start-up + kubectl apply -f render']?.median ?? 1;
    out(`  tag-move / runbook: ${ratio(a, b)} (ours also validates, diffs, records history and moves the 1.28 Service the runbook forgets)`);
    return { server, ...r };
  } finally {
    await close();
  }
}

main().catch((e: unknown) => {
  log(`bench: error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
