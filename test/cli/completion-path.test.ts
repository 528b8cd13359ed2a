/**
 * Asked by kubectl's completion (`kubectl_complete-ambient`, which passes --kubectl-completer), `__complete`
 * leaves out the commands kubectl already offers through `kubectl-ambient-<command>` on PATH; asked by our
 * own shell scripts (`kubectl-ambient __complete`), it offers every command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ambient } from '../support/cli.ts';

it('for kubectl, commands with a launcher on PATH are not offered again; for our scripts, all are', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ambient-path-'));
  try {
    const words = async (path: string, kubectl: boolean): Promise<string[]> => {
      const r = await ambient(['__complete', ...(kubectl ? ['--kubectl-completer'] : []), '--', ''], {
        env: { PATH: path },
      });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith(':'))
        .map((l) => l.split('\t')[0] ?? '');
    };
    const all = await words(dir, true);
    assert.ok(all.includes('tags') && all.includes('tag-move'), all.join(' '));
    for (const f of ['kubectl-ambient-tags', 'kubectl-ambient-tag_move'])
      writeFileSync(join(dir, f), '#!/bin/sh\n', { mode: 0o755 });
    const rest = await words(`/nonexistent:${dir}`, true);
    assert.deepEqual(
      rest,
      all.filter((w) => w !== 'tags' && w !== 'tag-move'),
    );
    assert.deepEqual(await words(`/nonexistent:${dir}`, false), all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
