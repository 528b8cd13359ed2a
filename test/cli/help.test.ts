/**
 * Help as a terminal shows it: laid out for the terminal's width (80 columns off a terminal), and
 * under every name the multi-call executable answers to, examples name each command once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/run.ts';
import type { Deps } from '../../src/cli/deps.ts';
import { commands } from '../../src/commands/index.ts';
import { invocation, SINGLE_COMMANDS } from '../../src/commands/multicall.ts';
import { captureIo } from '../support/io.ts';

async function help(name: string, args: string[], columns?: number): Promise<{ code: number; stdout: string }> {
  const inv = invocation(`/usr/local/bin/${name}`, args, {});
  const io = captureIo(columns !== undefined ? { columns } : {});
  const deps = {
    io,
    env: {},
    signal: new AbortController().signal,
    now: () => new Date(),
    connect: () => Promise.reject(new Error('--help reads no cluster')),
    contexts: () => Promise.reject(new Error('--help reads no kubeconfig')),
  };
  const code = await run(inv.argv, inv.factories, deps, { ...inv.opts, version: '0.0.0-test' });
  return { code, stdout: io.stdout };
}
const longest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));
const examples = (text: string): string[] =>
  text
    .split('\n')
    .slice(text.split('\n').indexOf('Examples:') + 1)
    .filter((l) => l.startsWith('  kubectl ambient'));

describe('help', () => {
  it('follows the terminal: within 80 columns on an 80-column terminal, wider lines on a 120-column one', async () => {
    for (const args of [['--help'], ['tags', '--help'], ['tag-move', '--help'], ['revisions', '--help']]) {
      const narrow = await help('kubectl-ambient', args, 80);
      assert.equal(narrow.code, 0);
      assert.ok(longest(narrow.stdout) <= 80, `${args.join(' ')} at 80: ${longest(narrow.stdout)}`);
      const wide = await help('kubectl-ambient', args, 120);
      assert.ok(
        longest(wide.stdout) <= 120 && longest(wide.stdout) > 100,
        `${args.join(' ')} at 120: ${longest(wide.stdout)}`,
      );
    }
    assert.ok(longest((await help('kubectl-ambient', ['tags', '--help'])).stdout) <= 80, 'off a terminal: 80 columns');
  });

  it('each positional: named in the command, declared in its table, and described in help from that table', async () => {
    for (const factory of commands) {
      const m = factory({} as Deps);
      const [name = '', ...words] = m.command.split(' ');
      const named = words.map((w) => w.replace(/^[<[]|\.*[>\]]$/g, ''));
      assert.deepEqual(named, Object.keys(m.positionals), m.command);
      if (m.describe === false) continue;
      const h = await help('kubectl-ambient', [name, '--help'], 200);
      for (const [key, p] of Object.entries(m.positionals))
        assert.match(
          h.stdout,
          new RegExp(`^  ${key} +${String(p.describe).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'),
          name,
        );
    }
  });

  for (const [name, single] of Object.entries(SINGLE_COMMANDS)) {
    const command = single.scriptName.split(' ').pop() ?? '';
    it(`${name} --help and kubectl-ambient ${command} --help: the same usage, each example names "${command}" once`, async () => {
      const direct = await help(name, ['--help'], 100);
      const dispatched = await help('kubectl-ambient', [command, '--help'], 100);
      for (const h of [direct, dispatched]) {
        assert.equal(h.code, 0);
        assert.ok(h.stdout.startsWith(`kubectl ambient ${command}`), h.stdout.split('\n')[0]);
        const ex = examples(h.stdout);
        assert.ok(ex.length >= 2, h.stdout);
        for (const line of ex)
          assert.match(line, new RegExp(`^  kubectl ambient ${command}( |$)(?!${command}\\b)`), line);
      }
      assert.deepEqual(examples(direct.stdout), examples(dispatched.stdout));
    });
  }
});
