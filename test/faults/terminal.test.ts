/**
 * The CLI in a real terminal (tmux, 80 columns) and at the end of a pipe, as an operator runs it:
 * Ctrl-C typed while the --wait spinner runs and at the confirmation prompt; `| head` closing the
 * pipe early. Synchronised on what the terminal shows and on the process exit, never on sleeps
 * (the polling interval only paces the reads of the pane).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { GOLDEN_DIR } from '../support/golden.ts';
import { cliBundle } from '../support/spawn.ts';
import { tmuxServer, until, type Terminal } from '../support/terminal.ts';
import { tagRevision } from './support.ts';

const terminals = tmuxServer();

/** Runs `kubectl ambient args` (the bundle) in a fresh 80x24 terminal. */
async function inTerminal(c: TestCluster, name: string, args: string[], redirect = ''): Promise<Terminal> {
  return terminals.open({
    name,
    command: [process.execPath, await cliBundle(), ...args, '--kubeconfig', c.kubeconfig],
    redirect,
    dir: c.dir,
    env: { HOME: c.dir },
  });
}

describe('faults: a real terminal', () => {
  let c: TestCluster;
  before(async () => {
    c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 600_000 } });
    await cliBundle();
  });
  after(async () => {
    terminals.close();
    await c.close();
  });

  it('Ctrl-C typed while the --wait spinner runs: exit 130, the move stays applied, how to check and roll back', async () => {
    const t = await inTerminal(c, 'spinner', ['tag-move', 'prod', '1-28-10', '--yes', '--wait']);
    await until(() => /waypoints on 1-28-10: 0\/2/.test(t.pane()), 'spinner', t.pane);
    t.keys('C-c');
    assert.equal(await t.exit(), 130, t.pane());
    const screen = t.pane().replace(/\n/g, '');
    assert.match(screen, /error: stopped waiting: the move of prod to 1-28-10 stays applied/);
    assert.match(screen, /roll back with "kubectl ambient tag-rollback prod"/);
    assert.equal(tagRevision(c, 'prod'), '1-28-10');
    // The terminal is not left in raw mode: a typed line echoes.
    t.keys('echo-check');
    await until(() => t.pane().includes('echo-check'), 'echo of typed text', t.pane);
    t.keys('Enter');
  });

  it('Ctrl-C typed at the confirmation prompt: exit 130, nothing changed', async () => {
    const before = tagRevision(c, 'default');
    const t = await inTerminal(c, 'prompt', ['tag-move', 'default', '1-28-10']);
    await until(
      () =>
        /Move tag default on context sim \(http[^)]+\) from 1-27-9 to 1-28-10\? \[y\/N\]/.test(
          t.pane().replace(/\n/g, ''),
        ),
      'prompt',
      t.pane,
    );
    t.keys('C-c');
    assert.equal(await t.exit(), 130, t.pane());
    assert.match(t.pane(), /error: interrupted at the confirmation prompt: nothing was changed/);
    assert.equal(tagRevision(c, 'default'), before);
  });

  it('Ctrl-D typed at the confirmation prompt: no answer is "no" (exit 0, aborted, nothing changed)', async () => {
    const before = tagRevision(c, 'canary');
    const t = await inTerminal(c, 'eof', ['tag-move', 'canary', '1-27-9']);
    await until(() => /from 1-28-10 to 1-27-9\? \[y\/N\]/.test(t.pane().replace(/\n/g, '')), 'prompt', t.pane);
    t.keys('C-d');
    assert.equal(await t.exit(), 0, t.pane());
    assert.match(t.pane(), /aborted: nothing was changed/);
    assert.equal(tagRevision(c, 'canary'), before);
  });

  it('upgrade: one question for the plan, a spinner line per gate with counts, Ctrl-C in the gate asks nothing (exit 130)', async () => {
    // prod was moved above and istiod never re-renders here: its gate (gate only) waits, before default's move.
    const t = await inTerminal(c, 'upgrade', ['upgrade', '1-28-10', '--soak', '0s']);
    await until(
      () =>
        /Upgrade to 1-28-10: move default one at a time and gate prod, rolling back a tag whose gate fails\? \[y\/N\]/.test(
          t.pane().replace(/\n/g, ''),
        ),
      'prompt',
      t.pane,
    );
    t.keys('y', 'Enter');
    await until(
      () => /gate prod: 0\/2 healthy on 1-28-10, pods 0\/2 \(waiting up to 5m\)/.test(t.pane()),
      'gate spinner',
      t.pane,
    );
    t.keys('C-c');
    assert.equal(await t.exit(), 130, t.pane());
    const screen = t.pane().replace(/\n/g, '');
    assert.match(screen, /error: stopped waiting for the gate of prod: it stays on 1-28-10 as it is/);
    assert.match(screen, /roll it back with "kubectl ambient tag-rollback prod", or continue/);
    assert.doesNotMatch(screen, /\[y\/N\].*\[y\/N\]/, 'asked once');
    assert.equal(tagRevision(c, 'default'), '1-27-9');
    t.keys('echo-check');
    await until(() => t.pane().includes('echo-check'), 'echo of typed text', t.pane);
    t.keys('Enter');
  });
});

describe('a real terminal, 80 columns', () => {
  let c: TestCluster;
  before(async () => {
    c = await startCluster('mid-upgrade');
    await cliBundle();
  });
  after(async () => {
    terminals.close();
    await c.close();
  });

  it('the prompt names context, server and tag, and shows on the terminal with stderr redirected to a file', async () => {
    const log = join(c.dir, 'move.log');
    const t = await inTerminal(c, 'redirected', ['tag-move', 'prod', '1-28-10'], ` 2>'${log}'`);
    const question = `Move tag prod on context sim (${c.sim.url}) from 1-27-9 to 1-28-10? [y/N]`;
    await until(() => t.pane().replace(/\n/g, '').includes(question), 'prompt', t.pane);
    t.keys('n', 'Enter');
    assert.equal(await t.exit(), 0, t.pane());
    assert.match(readFileSync(log, 'utf8'), /aborted: nothing was changed/);
    assert.doesNotMatch(readFileSync(log, 'utf8'), /\[y\/N\]/, 'the question went to the terminal, not into the log');
    assert.equal(tagRevision(c, 'prod'), '1-27-9');
  });

  it('revisions, tags and skew fit the terminal: what it shows is the 80-column golden file', async () => {
    for (const cmd of ['revisions', 'tags', 'skew']) {
      const t = await inTerminal(c, `table-${cmd}`, [cmd], ' 2>/dev/null');
      assert.equal(await t.exit(), 0, t.pane());
      const golden = readFileSync(join(GOLDEN_DIR, 'mid-upgrade', `${cmd}.80.txt`), 'utf8');
      const shown = t
        .all()
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n');
      assert.ok(shown.startsWith(golden), `the pane:\n${shown}\nthe golden file:\n${golden}`);
    }
  });

  it("upgrade's gate line on a terminal: one mark (the spinner adds none of its own)", async () => {
    const t = await inTerminal(c, 'gate', ['upgrade', '1-28-10', '--tags', 'prod', '--soak', '0s', '--yes']);
    assert.equal(await t.exit(), 0, t.all());
    const screen = t.all();
    assert.match(screen, /^✔ gate prod passed: 2\/2 healthy on 1-28-10/m, screen);
    assert.doesNotMatch(screen, /[✔✖]\s+[✔✖]/, screen);
  });
});

describe('faults: a closed pipe', () => {
  it('`| head` closing stdout early: the command finishes quietly (no EPIPE stack), exit 0', async () => {
    const c = await startCluster('large', { istiod: false });
    try {
      const child = spawn(
        process.execPath,
        [await cliBundle(), 'revisions', '-o', 'json', '--kubeconfig', c.kubeconfig],
        { env: { PATH: process.env['PATH'] ?? '', HOME: c.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      let first = 0;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', (d: Buffer) => {
        first = d.length;
        child.stdout.destroy(); // what `head -c` does once it has enough
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', (n) => resolve(n)));
      assert.ok(first > 0 && first < 200_000, `read ${first} bytes of a longer output`);
      assert.equal(stderr, '');
      assert.equal(code, 0);
    } finally {
      await c.close();
    }
  });
});
