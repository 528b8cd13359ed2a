/**
 * Golden files: `assertGolden(name, actual)` compares `actual` with test/golden/<name> and fails
 * with a diff when they differ. `UPDATE_GOLDEN=1` writes the files instead (then review them with
 * `git diff test/golden`); a missing file is an error otherwise, so a golden cannot pass unseen.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const GOLDEN_DIR = join(dirname(new URL(import.meta.url).pathname), '..', 'golden');

export function assertGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `no golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}
