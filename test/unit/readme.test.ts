import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { exitCodeTable } from '../../scripts/exit-codes.ts';

it('the README lists exactly the exit codes of src/cli/errors.ts', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(exitCodeTable()), `README.md must contain:\n${exitCodeTable()}`);
});
