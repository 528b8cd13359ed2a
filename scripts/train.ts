/**
 * The training run behind the linux-x64 executable's code cache (see scripts/sea-main.cjs): starts
 * the simulated cluster with the mid-upgrade scenario and runs scripts/train-cache.cjs with the
 * executable's own base Node binary over the usual command lines (help, tags, revisions, skew,
 * tag-move dry runs; none writes). `--random-seed=1` keeps the cache byte-for-byte reproducible.
 *
 *   node --import tsx scripts/train.ts <base node binary> <bundle.cjs (no #! line)> <out.cache> [V8 flags of the executable...]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/support/sim.ts';

/** What the executable is trained on: the commands operators run most, as kubectl runs them and through the dispatcher. */
export const TRAINING_RUNS: { argv: string[]; invokedAs?: string }[] = [
  { argv: ['--help'] },
  { argv: ['tags', '--help'] },
  { argv: [], invokedAs: 'kubectl-ambient-tags' },
  { argv: ['tags'] },
  { argv: ['-o', 'yaml'], invokedAs: 'kubectl-ambient-tags' },
  { argv: [], invokedAs: 'kubectl-ambient-revisions' },
  { argv: ['-o', 'json'], invokedAs: 'kubectl-ambient-revisions' },
  { argv: [], invokedAs: 'kubectl-ambient-skew' },
  { argv: ['prod', '1-28-10', '--dry-run=server', '--yes'], invokedAs: 'kubectl-ambient-tag_move' },
  { argv: ['prod', '1-28-10', '--dry-run'], invokedAs: 'kubectl-ambient-tag_move' },
];

export async function trainCodeCache(base: string, bundle: string, out: string, flags: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ambient-train-'));
  const cluster = await startCluster('mid-upgrade');
  try {
    const runs = join(dir, 'runs.json');
    writeFileSync(runs, JSON.stringify(TRAINING_RUNS));
    const script = new URL('train-cache.cjs', import.meta.url).pathname;
    const code = await new Promise<number>((resolve, reject) => {
      const p = spawn(base, ['--random-seed=1', ...flags, script, bundle, out, runs], {
        env: { PATH: '/nonexistent', HOME: dir, KUBECONFIG: cluster.kubeconfig },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('error', reject);
      p.on('close', (c) => {
        if (c !== 0 || !/exit codes ([03] ?)+\)/.test(err))
          reject(new Error(`training the code cache failed (exit ${c ?? '?'}):\n${err}`));
        else resolve(c);
      });
    });
    void code;
  } finally {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [base, bundle, out, ...flags] = process.argv.slice(2);
  if (base === undefined || bundle === undefined || out === undefined)
    throw new Error('usage: train.ts <node> <bundle.cjs> <out.cache> [flags...]');
  trainCodeCache(base, bundle, out, flags).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
