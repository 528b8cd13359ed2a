/**
 * Builds of other versions of the code, for the benchmark's account of what each change bought
 * (scripts/bench-ablation.ts). A variant is a commit (`git archive`, so the repository is left
 * alone) with optional text replacements in its files, built by its own scripts/build.mjs with the
 * given environment (LEAN_START_OFF...) against this checkout's node_modules. Benchmark code only.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './package-lib.ts';

export interface Variant {
  name: string;
  /** What it leaves out, in words (printed in the tables). */
  what: string;
  /** The commit to build (default HEAD). */
  commit?: string;
  /** Exact text replacements, each of which must match once. */
  patch?: { file: string; from: string; to: string }[];
  /** Environment of the build (LEAN_START_OFF=...). */
  env?: Record<string, string>;
}

/** Builds `v` under `dir/<name>` and returns the path of its Node bundle (the loader with the compile cache). */
export async function buildVariantAsync(v: Variant, dir: string): Promise<string> {
  const src = prepare(v, dir);
  await new Promise<void>((resolve, reject) => {
    execFile(
      join(ROOT, 'node_modules', '.bin', 'node'),
      ['scripts/build.mjs'],
      { cwd: src, env: { ...process.env, ...v.env } },
      (e, _out, err) =>
        e ? reject(new Error(`variant ${v.name}: build failed: ${err.trim().split('\n').at(-1) ?? ''}`)) : resolve(),
    );
  });
  return bundleOf(v, src);
}

export function buildVariant(v: Variant, dir: string): string {
  const src = prepare(v, dir);
  execFileSync(join(ROOT, 'node_modules', '.bin', 'node'), ['scripts/build.mjs'], {
    cwd: src,
    env: { ...process.env, ...v.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return bundleOf(v, src);
}

function bundleOf(v: Variant, src: string): string {
  const bundle = join(src, 'dist', 'kubectl-ambient.cjs');
  if (!existsSync(bundle)) throw new Error(`variant ${v.name}: no ${bundle} after the build`);
  return bundle;
}

/** The variant's source tree: the commit's files, this checkout's node_modules, the patches applied. */
function prepare(v: Variant, dir: string): string {
  const src = join(dir, v.name);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', v.commit ?? 'HEAD'], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', src], { input: tar });
  // This checkout's node_modules when the commit has the same dependencies; else its own (npm ci:
  // an older commit may need a package HEAD no longer has, such as cli-table3).
  const deps = (dir: string): string => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return JSON.stringify([pkg['dependencies'], pkg['devDependencies']]);
  };
  if (deps(src) === deps(ROOT)) symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  else
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: src,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  for (const p of v.patch ?? []) {
    const file = join(src, p.file);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(p.from);
    if (at < 0 || text.indexOf(p.from, at + 1) >= 0)
      throw new Error(`variant ${v.name}: "${p.from}" must occur exactly once in ${p.file}`);
    writeFileSync(file, text.replace(p.from, p.to));
  }
  return src;
}
