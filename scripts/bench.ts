/**
 * `npm run bench`: the performance figures (issues #7 and #15; a benchmark, never a test and never a
 * timed assertion). Prints tables and writes the same numbers as JSON to `.bench/results.json`.
 *
 * Every cluster figure is taken on each backend: the real kube-apiserver of the contract suite over
 * TLS (when scripts/kube-binaries.sh can provide it; the output says when it cannot) and the
 * simulator (HTTPS, HTTP/2, its own CA).
 *
 *  1. against kubectl: `tags` and `revisions` (the executable, as kubectl runs it and as the
 *     dispatcher; the bundle on Node) side by side with a real kubectl 1.35 doing the matching
 *     `kubectl get`, on the mid-upgrade scenario;
 *  2. connections and TLS handshakes per command, counted on the wire by a TCP proxy of our own
 *     (test/support/tcp-proxy.ts), ours and kubectl's;
 *  3. the same comparison at 10 ms and 50 ms of added round-trip time (that proxy delaying each
 *     direction by half);
 *  4. start-up: `--help` of the executable and of the bundle against `node -e 0`;
 *  5. scale: requests, list pages, bytes received, wall time and peak RSS of `revisions`, `tags`,
 *     `skew` and `tag-move --dry-run=server` on 10, 1,000 and 10,000 namespaces (2,000 Gateways and
 *     waypoints at the top), from the command's own `--verbose` request log;
 *  6. against the runbook: `tag-move` end to end (no wait) versus `kubectl apply -f` of the chart's
 *     render plus helm's own start-up.
 *
 * Timings are medians of BENCH_RUNS runs (default 11, at least 10) after a warm-up, the runs of
 * compared commands interleaved so that machine load hits them alike; the machine's load average
 * is printed at the start and the end of every section. Builds what it needs (BENCH_SKIP_BUILD=1
 * reuses dist/ and out/release). BENCH_BACKENDS=sim or =real runs one backend.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { largeScenario, scenarios } from '../test/cluster/scenarios.ts';
import type { KubeObject } from '../test/cluster/types.ts';
import { helmRender } from '../test/support/builders.ts';
import { startCluster } from '../test/support/sim.ts';
import { startTcpProxy, type ProxyStats } from '../test/support/tcp-proxy.ts';
import { fleetBench } from './bench-fleet.ts';
import {
  cpuOnce,
  exec,
  load,
  once,
  out,
  pointAt,
  race,
  ratio,
  requestLog,
  rssPreload,
  RUNS,
  stats,
  table,
  type Stats,
  type Tools,
} from './bench-lib.ts';
import { buildVariantAsync, type Variant } from './bench-variants.ts';
import {
  helmBinary,
  kubectlBinary,
  log,
  nodeBinary,
  PLATFORMS,
  releaseDir,
  ROOT,
  type Platform,
} from './package-lib.ts';

const SIZES = [10, 1_000, 10_000];
const OUT = join(ROOT, '.bench', 'results.json');
const RTTS = [10, 50];

/** A running backend with some objects. */
interface Running {
  kubeconfig: string;
  url: string;
  close(): Promise<void>;
}

type BackendName = 'real' | 'sim';

const LABEL: Record<BackendName, string> = {
  real: 'real kube-apiserver (contract suite) over TLS',
  sim: 'simulator (HTTPS, HTTP/2)',
};

/** Starts `kind` with `objects`; the real one through the contract suite's loader. */
async function startWith(kind: BackendName, objects: KubeObject[]): Promise<Running> {
  if (kind === 'real') {
    const { startBackend } = await import('../test/contract/backend.ts');
    const b = await startBackend('real');
    try {
      await b.load(objects);
    } catch (e) {
      await b.close();
      throw e;
    }
    return { kubeconfig: b.kubeconfig.admin, url: b.url, close: () => b.close() };
  }
  const c = await startCluster(objects, { istiod: false });
  return { kubeconfig: c.kubeconfig, url: c.sim.url, close: () => c.close() };
}

/** Our commands and kubectl's, against one kubeconfig. */
function commands(
  t: Tools,
  kubeconfig: string,
  measure: typeof once = once,
): Record<string, (args: string[]) => () => Promise<number>> {
  const env = { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: kubeconfig };
  const once = measure;
  return {
    // As kubectl runs it: `kubectl ambient tags` finds the launcher kubectl-ambient-tags, which runs the executable under that name.
    single: (args) => () =>
      once(t.exe, args.slice(1), { ...env, KUBECTL_AMBIENT_INVOKED_AS: `kubectl-ambient-${args[0] ?? ''}` }),
    dispatcher: (args) => () => once(t.exe, args, env),
    bundle: (args) => () => once(t.node, [t.bundle, ...args], env),
    kubectl: (args) => () => once(t.kubectl, args, env),
  };
}

const KUBECTL_TAGS = ['get', 'mutatingwebhookconfigurations', '-l', 'istio.io/tag', '-L', 'istio.io/tag,istio.io/rev'];
const KUBECTL_REVS = ['get', 'mutatingwebhookconfigurations', '-l', 'istio.io/rev,!istio.io/tag', '-L', 'istio.io/rev'];

/** 1 and 3: ours against kubectl on one kubeconfig (direct, or through a delaying proxy). */
async function vsKubectl(
  t: Tools,
  kubeconfig: string,
  withRevisions: boolean,
): Promise<Record<string, Stats & { cpuMs?: number }>> {
  const wall = await vsKubectlBy(commands(t, kubeconfig), withRevisions, RUNS);
  // CPU time (user + system) where GNU time is installed: medians of 5 interleaved runs.
  if (!existsSync('/usr/bin/time')) return wall;
  const cpu = await vsKubectlBy(commands(t, kubeconfig, cpuOnce), withRevisions, 5);
  return Object.fromEntries(Object.entries(wall).map(([n, s]) => [n, { ...s, cpuMs: cpu[n]?.median ?? NaN }]));
}

async function vsKubectlBy(
  c: ReturnType<typeof commands>,
  withRevisions: boolean,
  runs: number,
): Promise<Record<string, Stats>> {
  const cases = [
    { name: 'kubectl get mwc -l istio.io/tag', run: c['kubectl']!(KUBECTL_TAGS) },
    { name: 'kubectl ambient tags (executable)', run: c['single']!(['tags']) },
    { name: 'kubectl-ambient tags (executable, dispatcher)', run: c['dispatcher']!(['tags']) },
    { name: 'kubectl ambient tags (bundle on node)', run: c['bundle']!(['tags']) },
  ];
  if (withRevisions) {
    cases.push(
      { name: "kubectl get mwc -l 'istio.io/rev,!istio.io/tag'", run: c['kubectl']!(KUBECTL_REVS) },
      { name: 'kubectl ambient revisions (executable)', run: c['single']!(['revisions']) },
      { name: 'kubectl ambient revisions (bundle on node)', run: c['bundle']!(['revisions']) },
    );
  }
  return race(cases, runs);
}

function printVs(r: Record<string, Stats & { cpuMs?: number }>, target: number): void {
  const k1 = r['kubectl get mwc -l istio.io/tag'];
  const k2 = r["kubectl get mwc -l 'istio.io/rev,!istio.io/tag'"];
  table(
    ['command', 'median', 'min', 'max', 'vs kubectl', 'CPU ms', 'CPU vs kubectl'],
    Object.entries(r).map(([n, s]) => {
      const k = n.includes('revisions') || n.includes('!istio.io/tag') ? k2 : k1;
      return [
        n,
        s.median,
        s.min,
        s.max,
        ratio(s.median, k?.median ?? 1),
        Number.isNaN(s.cpuMs ?? NaN) ? '-' : Math.round(s.cpuMs ?? 0),
        s.cpuMs === undefined || Number.isNaN(s.cpuMs) ? '-' : ratio(s.cpuMs, k?.cpuMs ?? 1),
      ];
    }),
  );
  const k1m = k1?.median ?? 1;
  const exe = r['kubectl ambient tags (executable)']?.median ?? 0;
  out(
    `  goal: tags (executable) at most ${target.toFixed(1)}x kubectl: ${ratio(exe, k1m)} (${exe / k1m <= target ? 'met' : 'MISSED'})`,
  );
}

/** 2: connections and TLS handshakes per command, counted by a forwarding proxy. */
async function connectionsPerCommand(t: Tools, b: Running): Promise<Record<string, ProxyStats>> {
  const target = new URL(b.url);
  const proxy = await startTcpProxy({ mode: 'forward', target: { host: target.hostname, port: Number(target.port) } });
  try {
    const kc = pointAt(b.kubeconfig, `https://127.0.0.1:${proxy.port}`, join(t.work, 'counted.kubeconfig'));
    const c = commands(t, kc);
    const cases: [string, () => Promise<number>][] = [
      ['kubectl get mwc -l istio.io/tag', c['kubectl']!(KUBECTL_TAGS)],
      ['kubectl ambient tags', c['single']!(['tags'])],
      ['kubectl ambient revisions', c['single']!(['revisions'])],
      [
        'kubectl ambient skew',
        async () =>
          once(
            t.exe,
            ['-o', 'json'],
            { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: kc, KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-skew' },
            [0, 3],
          ),
      ],
      [
        'kubectl ambient tag-move --dry-run=server',
        c['single']!(['tag_move', 'prod', '1-28-10', '--dry-run=server', '--yes']),
      ],
    ];
    const result: Record<string, ProxyStats> = {};
    for (const [name, run] of cases) {
      await run(); // kubectl's discovery cache is per server address: warm it first
      proxy.reset();
      await run();
      result[name] = { ...proxy.stats, tunnels: [] };
    }
    table(
      ['command', 'connections', 'TLS handshakes', 'KiB up', 'KiB down'],
      Object.entries(result).map(([n, s]) => [
        n,
        s.connections,
        s.tlsHandshakes,
        Math.round(s.bytesUp / 1024),
        Math.round(s.bytesDown / 1024),
      ]),
    );
    const ours = Object.entries(result).filter(([n]) => n.startsWith('kubectl ambient'));
    const ok = ours.every(([, s]) => s.connections === 1 && s.tlsHandshakes === 1);
    out(`  goal: one connection and one TLS handshake per command: ${ok ? 'met' : 'MISSED'}`);
    return result;
  } finally {
    await proxy.close();
  }
}

/** 3: the comparison at added round-trip times. */
async function withRtt(t: Tools, b: Running): Promise<Record<string, Record<string, Stats>>> {
  const target = new URL(b.url);
  const results: Record<string, Record<string, Stats>> = {};
  for (const rtt of RTTS) {
    const proxy = await startTcpProxy({
      mode: 'forward',
      target: { host: target.hostname, port: Number(target.port) },
      delayMs: rtt / 2,
    });
    try {
      const kc = pointAt(b.kubeconfig, `https://127.0.0.1:${proxy.port}`, join(t.work, `rtt-${rtt}.kubeconfig`));
      out(`\n  + ${rtt} ms round-trip time (a proxy of ours delays each direction by ${rtt / 2} ms); load ${load()}`);
      const r = await vsKubectl(t, kc, false);
      printVs(r, 1.5);
      results[`${rtt}ms`] = r;
    } finally {
      await proxy.close();
    }
  }
  return results;
}

/**
 * The builds that show what each change of issue 15 bought (scripts/bench-variants.ts): earlier
 * commits, and HEAD with one measure left out. The executable's code cache is measured on the
 * executable itself (KUBECTL_AMBIENT_CODE_CACHE=0).
 */
const VARIANTS: Variant[] = [
  {
    name: 'before-h2',
    what: 'before one connection (9c637b3^: undici, a connection per concurrent list)',
    commit: '9c637b3^',
  },
  { name: 'h2', what: 'one HTTP/2 connection, before the lean start (9c637b3)', commit: '9c637b3' },
  {
    name: 'lean-off',
    what: 'HEAD without the lean start (LEAN_START_OFF: its four build measures)',
    env: { LEAN_START_OFF: 'string-width,lazy,undici,client-node' },
  },
  {
    name: 'no-strip',
    what: 'HEAD without managedFields stripped before JSON.parse',
    patch: [{ file: 'src/kube/client.ts', from: 'JSON.parse(withoutManagedFields(json))', to: 'JSON.parse(json)' }],
  },
  {
    name: 'before-rss',
    what: 'before the peak-RSS measures of issue 11 (8866100^: young generation grows, pages parsed whole)',
    commit: '8866100^',
  },
  {
    name: 'growth-2',
    what: "HEAD with V8's default young generation growth (pages still read item by item)",
    patch: [
      {
        file: 'src/cli/run.ts',
        from: "setFlagsFromString('--semi-space-growth-factor=1')",
        to: "setFlagsFromString('--semi-space-growth-factor=2')",
      },
    ],
  },
  {
    name: 'ns-page-500',
    what: 'HEAD with 500 items per metadata-only page (namespaces, pods; HEAD: 5,000)',
    patch: [{ file: 'src/kube/client.ts', from: 'metadataPageSize: 5000,', to: 'metadataPageSize: 500,' }],
  },
];

/** 4: `tags` (bundle on node) of the earlier builds and HEAD, interleaved, direct and at 10 ms RTT; connections each. */
async function ablation(t: Tools, b: Running, bundles: Record<string, string>): Promise<Record<string, unknown>> {
  const target = new URL(b.url);
  const result: Record<string, unknown> = {};
  // [key, label, command and arguments before `tags`, extra environment]
  const exe = (cache: boolean): [string, string[], Record<string, string>] => [
    t.exe,
    [],
    { KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-tags', ...(cache ? {} : { KUBECTL_AMBIENT_CODE_CACHE: '0' }) },
  ];
  const bundle = (key: string): [string, string[], Record<string, string>] => [
    t.node,
    [key === 'head' ? t.bundle : (bundles[key] ?? ''), 'tags'],
    {},
  ];
  const names: [string, string, [string, string[], Record<string, string>]][] = [
    ['before-h2', 'bundle 9c637b3^: undici, connection per list', bundle('before-h2')],
    ['h2', 'bundle 9c637b3: one HTTP/2 connection', bundle('h2')],
    ['lean-off', 'bundle HEAD, lean start off', bundle('lean-off')],
    ['head', 'bundle HEAD', bundle('head')],
    ['exe-no-cache', 'executable HEAD, code cache off', exe(false)],
    ['exe', 'executable HEAD', exe(true)],
  ];
  for (const rtt of [0, 10]) {
    const proxy = await startTcpProxy({
      mode: 'forward',
      target: { host: target.hostname, port: Number(target.port) },
      delayMs: rtt / 2,
    });
    try {
      const kc = pointAt(b.kubeconfig, `https://127.0.0.1:${proxy.port}`, join(t.work, `ablation-${rtt}.kubeconfig`));
      const env = { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: kc };
      const conns: Record<string, { connections: number; tlsHandshakes: number }> = {};
      for (const [key, , [cmd, args, extra]] of names) {
        proxy.reset();
        await once(cmd, args, { ...env, ...extra });
        conns[key] = { connections: proxy.stats.connections, tlsHandshakes: proxy.stats.tlsHandshakes };
      }
      const r = await race(
        names.map(([, label, [cmd, args, extra]]) => ({
          name: label,
          run: () => once(cmd, args, { ...env, ...extra }),
        })),
      );
      const cpu = existsSync('/usr/bin/time')
        ? await race(
            names.map(([, label, [cmd, args, extra]]) => ({
              name: label,
              run: () => cpuOnce(cmd, args, { ...env, ...extra }),
            })),
            5,
          )
        : {};
      const head = r['bundle HEAD']?.median ?? 1;
      const headCpu = cpu['bundle HEAD']?.median ?? NaN;
      out(
        `  ${rtt === 0 ? 'through a counting proxy, no added delay' : `+ ${rtt} ms round-trip time`}; load ${load()}`,
      );
      const signed = (n: number): string => (Number.isNaN(n) ? '-' : `${n >= 0 ? '+' : ''}${n} ms`);
      table(
        [
          'tags',
          'median',
          'min',
          'max',
          'vs bundle HEAD',
          'CPU ms',
          'CPU vs bundle HEAD',
          'connections',
          'TLS handshakes',
        ],
        names.map(([key, label]) => {
          const st = r[label];
          const c = cpu[label]?.median ?? NaN;
          return [
            label,
            st?.median ?? 0,
            st?.min ?? 0,
            st?.max ?? 0,
            signed((st?.median ?? 0) - head),
            Number.isNaN(c) ? '-' : c,
            signed(c - headCpu),
            conns[key]?.connections ?? 0,
            conns[key]?.tlsHandshakes ?? 0,
          ];
        }),
      );
      result[`${rtt}ms`] = { wallMs: r, cpuMs: cpu, connections: conns };
    } finally {
      await proxy.close();
    }
  }
  return result;
}

interface ScaleRow {
  requests: number;
  pages: number;
  kib: number;
  ms: number;
  rssMiB: number;
}

/** 5: scale on one backend. */
async function scale(
  t: Tools,
  kind: BackendName,
  variants: Record<string, string>,
): Promise<Record<string, Record<string, ScaleRow>>> {
  const cmds: [string, string[], number[], string][] = [
    ['revisions', ['revisions', '-o', 'json'], [0], t.bundle],
    ['tags', ['tags', '-o', 'json'], [0], t.bundle],
    ['skew', ['skew', '-o', 'json'], [0, 3], t.bundle],
    ['tag-move --dry-run=server', ['tag-move', 'prod', '1-28-10', '--dry-run=server', '--yes'], [0], t.bundle],
    // The account of issue 15 (see VARIANTS): tags without one measure.
    ...Object.entries(variants).map(([v, bundle]): [string, string[], number[], string] => [
      `tags [${v}]`,
      ['tags', '-o', 'json'],
      [0],
      bundle,
    ]),
  ];
  const result: Record<string, Record<string, ScaleRow>> = {};
  const rows: (string | number)[][] = [];
  for (const size of SIZES) {
    const started = Date.now();
    const b = await startWith(
      kind,
      largeScenario({ namespaces: size, gateways: Math.min(2_000, Math.max(2, size / 5)) }).objects,
    );
    log(`  ${kind}: ${size} namespaces loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    try {
      const env = { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: b.kubeconfig, RSS_FILE: join(t.work, 'rss') };
      for (const [name, args, ok, bundle] of cmds) {
        const ms: number[] = [];
        let rss = 0;
        let reqs = { requests: 0, pages: 0, bytes: 0 };
        for (let i = 0; i < 3; i++) {
          const r = await exec(t.node, ['-r', t.preload, bundle, ...args, '-v'], env, ok);
          ms.push(r.ms);
          rss = Math.max(rss, Number(readFileSync(join(t.work, 'rss'), 'utf8')) / 1024);
          reqs = requestLog(r.stderr);
        }
        const row = {
          requests: reqs.requests,
          pages: reqs.pages,
          kib: Math.round(reqs.bytes / 1024),
          ms: stats(ms).median,
          rssMiB: Math.round(rss),
        };
        (result[name] ??= {})[String(size)] = row;
        rows.push([`${name} @ ${size} ns`, row.requests, row.pages, row.kib, row.ms, row.rssMiB]);
      }
    } finally {
      await b.close();
    }
  }
  table(['command @ namespaces', 'requests', '+pages', 'KiB', 'ms', 'peak RSS MiB'], rows);
  for (const [name] of cmds.filter(([n]) => !n.includes('['))) {
    const s = result[name] ?? {};
    const small = s[String(SIZES[0])];
    const big = s[String(SIZES.at(-1))];
    if (small === undefined || big === undefined) continue;
    out(
      `  ${name}: requests ${small.requests} -> ${big.requests} (${small.requests === big.requests ? 'constant' : 'NOT constant'}), +${big.pages} pages; time x${(big.ms / small.ms).toFixed(1)} vs bytes x${(big.kib / Math.max(1, small.kib)).toFixed(1)}; peak RSS ${big.rssMiB} MiB at 10,000 (goal <= 120: ${big.rssMiB <= 120 ? 'met' : 'MISSED'})`,
    );
  }
  return result;
}

/** Runs one section; a failure is printed and recorded, and the other sections still run. */
async function section<T>(name: string, fn: () => Promise<T>, errors: string[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const msg = `${name}: ${e instanceof Error ? e.message : String(e)}`;
    out(`  FAILED: ${msg}`);
    errors.push(msg);
    return undefined;
  }
}

async function main(): Promise<void> {
  const errors: string[] = [];
  const linux = PLATFORMS[0] as Platform;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error('the benchmark runs the linux-x64 executable: run it on linux-x64');
  if (process.env['BENCH_SKIP_BUILD'] !== '1') {
    log('building the bundles and the linux-x64 executable (npm run package -- --platforms linux-x64)');
    execFileSync('npm', ['run', '-s', 'package', '--', '--platforms', 'linux-x64'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: ROOT,
    });
  }
  const work = mkdtempSync(join(tmpdir(), 'ambient-bench-'));
  const t: Tools = {
    node: nodeBinary(linux),
    exe: join(releaseDir(), 'executables', 'linux-x64'),
    bundle: join(ROOT, 'dist', 'kubectl-ambient.cjs'),
    kubectl: kubectlBinary(),
    helm: helmBinary(),
    work,
    preload: rssPreload(work),
  };
  const results: Record<string, unknown> = {};
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  out(`machine: ${machine}; load at start ${load()}; ${RUNS} runs per median`);
  results['machine'] = machine;
  results['date'] = new Date().toISOString();
  results['runs'] = RUNS;
  results['loadAtStart'] = loadavg();

  // The builds for the account of issue 15 (two at a time: two cores).
  log(`building ${VARIANTS.length} variants for the account of issues 11 and 15 (scripts/bench-variants.ts)`);
  const variants: Record<string, string> = {};
  const vdir = join(work, 'variants');
  const built = Date.now();
  for (let i = 0; i < VARIANTS.length; i += 2) {
    const pair = VARIANTS.slice(i, i + 2);
    const paths = await Promise.all(pair.map((v) => buildVariantAsync(v, vdir)));
    pair.forEach((v, j) => (variants[v.name] = paths[j] ?? ''));
  }
  log(`  variants built in ${((Date.now() - built) / 1000).toFixed(0)} s`);
  results['variants'] = Object.fromEntries(VARIANTS.map((v) => [v.name, v.what]));

  const wanted = (process.env['BENCH_BACKENDS'] ?? 'real,sim').split(',').map((s) => s.trim());
  const backends: BackendName[] = [];
  if (wanted.includes('real')) {
    const { realSkipReason } = await import('../test/contract/backend.ts');
    const why = realSkipReason();
    if (why === undefined) backends.push('real');
    else out(`\nreal kube-apiserver: not measured (${why})`);
  }
  if (wanted.includes('sim')) backends.push('sim');
  const perBackend: Record<string, Record<string, unknown>> = {};

  for (const kind of backends) {
    const r: Record<string, unknown> = {};
    perBackend[kind] = r;
    const mid = await startWith(kind, scenarios['mid-upgrade']!().objects);
    try {
      out(`\n1. against kubectl on the ${LABEL[kind]} (mid-upgrade scenario), wall time ms; load ${load()}`);
      const direct = await vsKubectl(t, mid.kubeconfig, true);
      printVs(direct, 2.0);
      r['vsKubectl'] = direct;
      out(`\n2. connections and TLS handshakes per command on the ${LABEL[kind]}, counted by a TCP proxy on the way`);
      r['connections'] = await section(`connections on ${kind}`, () => connectionsPerCommand(t, mid), errors);
      out(`\n3. against kubectl with added round-trip time, on the ${LABEL[kind]}`);
      r['rtt'] = await section(`rtt on ${kind}`, () => withRtt(t, mid), errors);
      out(
        `\n4. what the changes of issue 15 bought: tags on the ${LABEL[kind]} (mid-upgrade), earlier builds and HEAD, interleaved, wall time ms`,
      );
      r['account'] = await section(`account on ${kind}`, () => ablation(t, mid, variants), errors);
    } finally {
      await mid.close();
    }
  }

  out(`\n5. start-up, wall time ms; load ${load()}`);
  const env = { PATH: '/nonexistent', HOME: work };
  const startup = await race([
    { name: 'node -e 0', run: () => once(t.node, ['-e', '0'], env) },
    { name: '--help, executable (Node SEA + code cache)', run: () => once(t.exe, ['--help'], env) },
    { name: '--help, bundle on node (compile cache)', run: () => once(t.node, [t.bundle, '--help'], env) },
    {
      name: '--help, executable, code cache off',
      run: () => once(t.exe, ['--help'], { ...env, KUBECTL_AMBIENT_CODE_CACHE: '0' }),
    },
    { name: '--help, bundle, lean start off', run: () => once(t.node, [variants['lean-off'] ?? '', '--help'], env) },
    {
      name: '--help, bundle 9c637b3^ (before issue 15)',
      run: () => once(t.node, [variants['before-h2'] ?? '', '--help'], env),
    },
  ]);
  const n0 = startup['node -e 0']?.median ?? 1;
  table(
    ['command', 'median', 'min', 'max', 'vs node -e 0'],
    Object.entries(startup).map(([n, s]) => [n, s.median, s.min, s.max, ratio(s.median, n0)]),
  );
  const help = startup['--help, executable (Node SEA + code cache)']?.median ?? 0;
  out(`  goal: --help at most 2.0x node -e 0: executable ${ratio(help, n0)} (${help / n0 <= 2 ? 'met' : 'MISSED'})`);
  results['startup'] = startup;

  for (const kind of backends) {
    out(
      `\n6. scale on the ${LABEL[kind]}: requests (first pages + extra pages), KiB received, wall ms (median of 3), peak RSS (bundle on node); tags [variant]: see 4; load ${load()}`,
    );
    (perBackend[kind] ?? {})['scale'] = await section(
      `scale on ${kind}`,
      () =>
        scale(t, kind, {
          'no-strip': variants['no-strip'] ?? '',
          'ns-page-500': variants['ns-page-500'] ?? '',
          'before-h2': variants['before-h2'] ?? '',
          'before-rss': variants['before-rss'] ?? '',
          'growth-2': variants['growth-2'] ?? '',
        }),
      errors,
    );
  }
  results['backends'] = perBackend;

  results['runbook'] = await section('runbook', () => againstRunbook(t, backends[0] ?? 'sim'), errors);
  results['fleet'] = await section('fleet', () => fleetBench(t), errors);
  results['errors'] = errors;
  results['loadAtEnd'] = loadavg();
  out(`\nload at the end ${load()}`);

  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  out(`wrote ${OUT.replace(`${ROOT}/`, '')}`);
  if (errors.length > 0) {
    log(`bench: ${errors.length} section(s) failed: ${errors.join('; ')}`);
    process.exitCode = 1;
  }
  rmSync(work, { recursive: true, force: true });
}

/**
 * `tag-move prod` end to end (--yes --no-wait) against `kubectl apply -f <the chart's render>` plus
 * `helm version` (helm's start-up: the floor of `helm template`, whose chart needs the internet).
 * Each run moves the tag back and forth between the two revisions, so every run really writes.
 */
async function againstRunbook(t: Tools, kind: BackendName): Promise<Record<string, unknown>> {
  const b = await startWith(kind, largeScenario({ namespaces: 10, gateways: 2 }).objects);
  try {
    const env = { PATH: '/nonexistent', HOME: t.work, KUBECONFIG: b.kubeconfig };
    const renders: Record<string, string> = {};
    for (const [rev, version] of [
      ['1-28-10', '1.28.10'],
      ['1-27-9', '1.27.9'],
    ] as const) {
      renders[rev] = join(t.work, `tag-prod-${rev}.yaml`);
      writeFileSync(
        renders[rev],
        helmRender(version, `tag-prod-rev-${rev}.yaml`)
          .map((o) => JSON.stringify(o))
          .join('\n---\n'),
      );
    }
    let flip = 0;
    const ours = async (): Promise<number> =>
      once(t.node, [t.bundle, 'tag-move', 'prod', flip++ % 2 === 0 ? '1-28-10' : '1-27-9', '--yes', '--no-wait'], env);
    let flap = 0;
    const theirs = async (): Promise<number> => {
      const helmMs = await once(t.helm, ['version', '--short'], env);
      return (
        helmMs + (await once(t.kubectl, ['apply', '-f', renders[flap++ % 2 === 0 ? '1-28-10' : '1-27-9'] ?? ''], env))
      );
    };
    out(`\n7. against the runbook on the ${LABEL[kind]}, wall time ms; load ${load()}`);
    const r = await race([
      { name: 'kubectl ambient tag-move prod (bundle on node, no wait)', run: ours },
      { name: 'runbook: helm start-up + kubectl apply -f render', run: theirs },
    ]);
    table(
      ['command', 'median', 'min', 'max'],
      Object.entries(r).map(([n, s]) => [n, s.median, s.min, s.max]),
    );
    const a = r['kubectl ambient tag-move prod (bundle on node, no wait)']?.median ?? 0;
    const c = r['runbook: helm start-up + kubectl apply -f render']?.median ?? 1;
    out(
      `  tag-move / runbook: ${ratio(a, c)} (ours also validates, diffs, records history and moves the 1.28 Service the runbook forgets)`,
    );
    return { server: LABEL[kind], ...r };
  } finally {
    await b.close();
  }
}

main().catch((e: unknown) => {
  log(`bench: error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
