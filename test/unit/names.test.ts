import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revisionNameError, tagNameError } from '../../src/core/names.ts';

describe('tag and revision names (DNS-1123 labels)', () => {
  const cases: [string, boolean][] = [
    ['prod', true],
    ['1-22-1', true],
    ['default', true],
    ['a', true],
    ['Prod', false],
    ['', false],
    ['-prod', false],
    ['prod-', false],
    ['pr..od', false],
    ['pr od', false],
    ['prod_1', false],
    ['a'.repeat(43), true],
    ['a'.repeat(44), false],
  ];
  for (const [name, ok] of cases) {
    it(`tag ${JSON.stringify(name)} is ${ok ? 'valid' : 'invalid'}`, () =>
      assert.equal(tagNameError(name) === undefined, ok));
  }
  it('revision names may be longer than tag names', () => assert.equal(revisionNameError('a'.repeat(56)), undefined));
  it('but not beyond 56 characters', () => assert.match(revisionNameError('a'.repeat(57)) ?? '', /at most 56/));
});
