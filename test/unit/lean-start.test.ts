/**
 * The string-width wrapper of the lean start (scripts/lean-start.mjs) measures exactly like every
 * copy of string-width in the bundle: its fast path must never change a table's or help's layout.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInThisContext } from 'node:vm';
import { asciiWidthShim } from '../../scripts/lean-start.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every installed copy of string-width: top level, and nested under a package (scoped or not). */
function copies(): { dir: string; entry: string; version: string }[] {
  const nm = join(ROOT, 'node_modules');
  const dirs = [join(nm, 'string-width')];
  for (const name of readdirSync(nm)) {
    const owners = name.startsWith('@') ? readdirSync(join(nm, name)).map((n) => join(nm, name, n)) : [join(nm, name)];
    for (const o of owners) dirs.push(join(o, 'node_modules', 'string-width'));
  }
  return dirs
    .filter((d) => statSync(join(d, 'package.json'), { throwIfNoEntry: false }) !== undefined)
    .map((dir) => ({
      dir,
      // Resolved from the folder that holds it, so that its own package.json (main/exports) decides.
      entry: createRequire(join(dir, '..', 'resolve-from-here.js')).resolve('string-width'),
      version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version,
    }));
}

const SAMPLES = [
  '',
  'TAG',
  'kubectl ambient tags [tag]',
  '  1-28-10  ',
  'a\tb',
  'line\nbreak',
  '…',
  'trunc…',
  '\u001b[32mgreen\u001b[39m',
  '\u001b[1m\u001b[33mbold yellow\u001b[39m\u001b[22m',
  '\u001b]8;;http://x\u0007link\u001b]8;;\u0007',
  'café',
  'naïve',
  '日本語',
  '한국어',
  'emoji 👍',
  '👨‍👩‍👧',
  'e\u0301',
  '\u00ad',
  '→',
  '✔ done',
  '±',
  'x\u200by',
  '\u007f',
];

describe('lean start: the string-width wrapper', () => {
  const all = copies();
  it('finds the copies the bundle wraps (cliui, wrap-ansi, cli-table3, ora, yargs)', () => {
    assert.ok(all.length >= 3, JSON.stringify(all));
  });
  for (const c of all) {
    it(`measures like string-width ${c.version} (${c.dir.replace(ROOT, '')})`, () => {
      const req = createRequire(c.entry);
      const m = req(c.entry) as ((s: string, o?: object) => number) | { default: (s: string, o?: object) => number };
      const real = typeof m === 'function' ? m : m.default;
      const module = { exports: undefined as unknown };
      // The CommonJS form of the wrapper, evaluated as the bundle would (with a real require).
      const load = runInThisContext(`(function (module, require) {${asciiWidthShim(c.entry, false)}\n})`) as (
        m: typeof module,
        r: NodeJS.Require,
      ) => void;
      load(module, req);
      const wrapped = module.exports as (s: string, o?: object) => number;
      for (const options of [undefined, {}, { ambiguousIsNarrow: false }, { countAnsiEscapeCodes: true }]) {
        for (const s of SAMPLES)
          assert.equal(wrapped(s, options), real(s, options), `${JSON.stringify(s)} with ${JSON.stringify(options)}`);
      }
    });
  }
});
