/**
 * yargs lays out a command's whole help text after running a handler it calls (for a showHelp()
 * that none of ours makes): run() stops yargs once it has chosen the command, so a command's run
 * lays out no help. Counted at cliui, the layout engine yargs imports (mocked through node:test).
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { captureIo } from '../support/io.ts';

let layouts = 0;
const real = (await import('cliui')).default;
mock.module('cliui', {
  defaultExport: (...args: Parameters<typeof real>) => {
    layouts++;
    return real(...args);
  },
});
const { run } = await import('../../src/cli/run.ts');
const { invocation } = await import('../../src/commands/multicall.ts');
const { AmbientError } = await import('../../src/core/errors.ts');

async function layoutsOf(name: string, args: string[]): Promise<{ code: number; layouts: number; stdout: string }> {
  const inv = invocation(`/usr/local/bin/${name}`, args, {});
  const io = captureIo({});
  const deps = {
    io,
    env: {},
    signal: new AbortController().signal,
    now: () => new Date(),
    connect: () => Promise.reject(new AmbientError('unreachable', 'no cluster in this test')),
    contexts: () => Promise.resolve([]),
  };
  layouts = 0;
  const code = await run(inv.argv, inv.factories, deps, { ...inv.opts, version: '0.0.0-test' });
  return { code, layouts, stdout: io.stdout };
}

describe('help layout', () => {
  it('the counter sees yargs lay out help: --help lays it out once', async () => {
    const r = await layoutsOf('kubectl-ambient', ['tags', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^kubectl ambient tags \[tag\]/);
    assert.equal(r.layouts, 1);
  });
  for (const [name, args, code] of [
    ['kubectl-ambient', ['tags'], 69],
    ['kubectl-ambient', ['completion', 'bash'], 0],
    ['kubectl-ambient', ['tag-move', 'prod', '1-28-10', '--yes'], 69],
    ['kubectl-ambient-tags', [], 69],
  ] as const) {
    it(`${name} ${args.join(' ')}: runs the command (exit ${code}) and lays out no help`, async () => {
      const r = await layoutsOf(name, [...args]);
      assert.equal(r.code, code);
      assert.equal(r.layouts, 0);
    });
  }
});
