/** `__complete` leaves out the commands kubectl already offers through `kubectl-ambient-<command>` on PATH. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ambient } from '../support/cli.ts';

it('commands with a launcher on PATH are not offered again; the others are, with their descriptions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ambient-path-'));
  try {
    const words = async (path: string): Promise<string[]> => {
      const r = await ambient(['__complete', ''], { env: { PATH: path } });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(':')).map((l) => l.split('\t')[0] ?? '');
    };
    const all = await words(dir);
    assert.ok(all.includes('tags') && all.includes('tag-move'), all.join(' '));
    for (const f of ['kubectl-ambient-tags', 'kubectl-ambient-tag_move']) writeFileSync(join(dir, f), '#!/bin/sh\n', { mode: 0o755 });
    const rest = await words(`/nonexistent:${dir}`);
    assert.deepEqual(rest, all.filter((w) => w !== 'tags' && w !== 'tag-move'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
