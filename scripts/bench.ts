/**
 * `npm run bench`: startup of the linux-x64 executable against `node -e 0` (a benchmark, not a
 * test). Measures, interleaved, the median wall time of BENCH_RUNS runs (default 15, after 2
 * warm-ups) of `--help` and of `tags` against the simulated cluster (mid-upgrade, in this process),
 * for the executable `npm run package` built (out/release), the same bundle built with pkg `--sea`
 * (built here into a temporary folder), and the bundle on plain Node. Prints the machine it ran on.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../test/support/sim.ts';
import { buildWithPkg } from './package.ts';
import { log, nodeBinary, PLATFORMS, releaseDir, ROOT, type Platform } from './package-lib.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);

function once(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? '?'}`));
      else resolve(ms);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const linux = PLATFORMS[0] as Platform;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the benchmark runs the linux-x64 executable: run it on linux-x64');
  const packaged = join(releaseDir(), 'executables', 'linux-x64');
  if (!existsSync(packaged)) throw new Error(`${packaged} not found: run "npm run package" first`);
  const node = nodeBinary(linux);
  const work = mkdtempSync(join(tmpdir(), 'ambient-bench-'));
  const cluster = await startCluster('mid-upgrade');
  try {
    log('building the pkg --sea variant of linux-x64 for comparison');
    const pkgExe = buildWithPkg([linux], work).get(linux) ?? '';
    const env = { PATH: '/nonexistent', HOME: work, KUBECONFIG: cluster.kubeconfig };
    const bundle = join(ROOT, 'dist', 'kubectl-ambient-multicall.cjs'); // the loader: compile cache on
    const cases: [string, string, string[]][] = [
      ['node -e 0', node, ['-e', '0']],
      ['--help, Node SEA + code cache (released)', packaged, ['--help']],
      ['--help, pkg --sea', pkgExe, ['--help']],
      ['--help, node bundle.cjs', node, [bundle, '--help']],
      ['tags, Node SEA + code cache (released)', packaged, ['tags']],
      ['tags, pkg --sea', pkgExe, ['tags']],
      ['tags, node bundle.cjs', node, [bundle, 'tags']],
    ];
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < RUNS + 2; i++) {
      for (const [j, [, cmd, args]] of cases.entries()) {
        const ms = await once(cmd, args, env);
        if (i >= 2) times[j]?.push(ms);
      }
    }
    const base = median(times[0] ?? []);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write(`machine: ${cpu}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}\n`);
    process.stdout.write(`median of ${RUNS} runs each (interleaved, after 2 warm-ups):\n`);
    for (const [j, [name]] of cases.entries()) {
      const m = median(times[j] ?? []);
      process.stdout.write(`  ${name.padEnd(44)} ${m.toFixed(0).padStart(5)} ms  ${(m / base).toFixed(1)}x node -e 0\n`);
    }
  } finally {
    await cluster.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(`bench: error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
