/**
 * Helpers shared by the benchmark scripts (scripts/bench.ts, bench-fleet.ts, bench-ablation.ts):
 * timed runs, interleaved medians, peak RSS, tables and the machine's load. Benchmark code only.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export const RUNS = Math.max(10, Number(process.env['BENCH_RUNS'] ?? 11));

export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid =
    s.length % 2 === 1 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  return { median: Math.round(mid), min: Math.round(s[0] ?? 0), max: Math.round(s.at(-1) ?? 0) };
}

export interface RunResult {
  ms: number;
  stderr: string;
}

/** Runs a command to completion: its wall time and stderr. Fails loudly on an unexpected exit code. */
export function exec(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  okCodes = [0],
  stdin?: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    if (stdin !== undefined) child.stdin?.end(stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (!okCodes.includes(code ?? -1))
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? '?'}: ${err.trim().split('\n').at(-1) ?? ''}`));
      else resolve({ ms, stderr: err });
    });
  });
}
export const once = async (cmd: string, args: string[], env: Record<string, string>, okCodes = [0]): Promise<number> =>
  (await exec(cmd, args, env, okCodes)).ms;

/**
 * CPU time (user + system, ms) of one run, through GNU time: unlike wall time it hardly depends on
 * what else the machine runs (on 2 shared cores, wall time of a CPU-bound start grows with the load).
 */
export async function cpuOnce(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  okCodes = [0],
): Promise<number> {
  const r = await exec('/usr/bin/time', ['-f', 'bench-cpu %U %S', cmd, ...args], env, okCodes);
  const m = /bench-cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000;
}

/** Interleaved runs of several commands: one warm-up each, then `runs` rounds. */
export async function race(
  cases: { name: string; run: () => Promise<number> }[],
  runs = RUNS,
): Promise<Record<string, Stats>> {
  const times = cases.map(() => [] as number[]);
  for (const c of cases) await c.run();
  for (let i = 0; i < runs; i++) for (const [j, c] of cases.entries()) times[j]?.push(await c.run());
  return Object.fromEntries(cases.map((c, j) => [c.name, stats(times[j] ?? [])]));
}

export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
export const out = (line = ''): void => void process.stdout.write(`${line}\n`);
export const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export function table(head: string[], rows: (string | number)[][]): void {
  const all = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all)
    out(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('   ')}`);
}

/**
 * A preload that reports the process's peak RSS (KiB) into RSS_FILE when it exits: VmHWM of
 * /proc/self/status. Not getrusage's maxRSS: Linux carries the parent's resident size over fork
 * and exec into it, so children of this process (which may hold a 10,000-namespace simulator)
 * would report this process's size.
 */
export function rssPreload(dir: string): string {
  const file = join(dir, 'rss-preload.cjs');
  writeFileSync(
    file,
    "process.on('exit', () => { const fs = require('fs'); const m = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8')); fs.writeFileSync(process.env.RSS_FILE, m ? m[1] : 'NaN'); });\n",
  );
  return file;
}

/** Runs the bundle `bundle` on `node` with the RSS preload: wall time, stderr and peak RSS in MiB. */
export async function withRss(
  node: string,
  preload: string,
  bundle: string,
  args: string[],
  env: Record<string, string>,
  work: string,
  okCodes = [0],
): Promise<RunResult & { rssMiB: number }> {
  const file = join(work, 'rss');
  const r = await exec(node, ['-r', preload, bundle, ...args], { ...env, RSS_FILE: file }, okCodes);
  return { ...r, rssMiB: Number(readFileSync(file, 'utf8')) / 1024 };
}

/** A copy of `kubeconfig` whose server is `server` (the kube-apiserver's certificate names 127.0.0.1, so any loopback port works). */
export function pointAt(kubeconfig: string, server: string, path: string): string {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  for (const c of doc.clusters) c.cluster['server'] = server;
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}

/** The request log of a `--verbose` run: first requests, continue pages, bytes received. */
export function requestLog(stderr: string): { requests: number; pages: number; bytes: number } {
  const lines = stderr.split('\n').filter((l) => /^(GET|POST|PUT|DELETE|PATCH) \S+ \d+ \d+B \d+ms$/.test(l));
  const pages = lines.filter((l) => /[?&]continue=/.test(l)).length;
  return {
    requests: lines.length - pages,
    pages,
    bytes: lines.reduce((n, l) => n + Number(/ (\d+)B /.exec(l)?.[1] ?? 0), 0),
  };
}

/** What the benchmarks run. */
export interface Tools {
  node: string;
  exe: string;
  bundle: string;
  kubectl: string;
  helm: string;
  work: string;
  preload: string;
}
