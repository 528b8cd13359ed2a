/**
 * The release under test: built once per e2e run with scripts/package.ts into a temporary folder
 * (all five platforms, as `npm run package` makes them), or taken from E2E_RELEASE_DIR (a folder a
 * previous `npm run package` filled) to iterate faster. `unavailable` says why there is none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/package-lib.ts';

export interface Release {
  dir: string;
  /** Seconds the build took (0 when reused). */
  buildSeconds: number;
}

export function buildRelease(): Release | { unavailable: string } {
  const reuse = process.env['E2E_RELEASE_DIR'];
  if (reuse !== undefined && reuse !== '') {
    if (!existsSync(join(reuse, 'SHA256SUMS')))
      return { unavailable: `E2E_RELEASE_DIR=${reuse} holds no SHA256SUMS: run "npm run package" first` };
    return { dir: reuse, buildSeconds: 0 };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ambient-e2e-release-'));
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'package.ts')], {
    cwd: ROOT,
    env: { ...process.env, KUBECTL_AMBIENT_RELEASE_DIR: dir },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (r.status !== 0) {
    const tail = `${r.stderr}`.trim().split('\n').slice(-15).join('\n');
    return {
      unavailable: `the executables could not be built (scripts/package.ts exit ${r.status ?? r.signal ?? '?'}):\n${tail}`,
    };
  }
  process.stderr.write(
    r.stderr
      .split('\n')
      .filter((l) => /MiB|done in|WARNING|NOT SIGNED/.test(l))
      .map((l) => `# package: ${l}\n`)
      .join(''),
  );
  return { dir, buildSeconds: (Date.now() - started) / 1000 };
}
