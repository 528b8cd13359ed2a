/**
 * `upgrade` as a real process (the bundled dispatcher) receiving SIGINT or SIGTERM while a gate
 * waits: it asks nothing, stops waiting, leaves the tag as it is (moved), prints how to roll it back
 * or continue and exits 130; the tags after it are untouched. Synchronised on the process's stderr.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT_CODES } from '../../src/cli/errors.ts';
import { spawnCli } from '../support/spawn.ts';
import { startCluster } from '../support/sim.ts';
import { tagRevision } from './support.ts';

describe('faults: a signal to upgrade during a gate', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: exit 130, the tag stays moved, the next ones untouched, one line says how to roll back or continue`, async () => {
      // istiod takes its time, so the gate of prod is waiting when the signal comes.
      const c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 60_000 } });
      try {
        const child = await spawnCli(['upgrade', '1-28-10', '--yes', '--soak', '0s', '--kubeconfig', c.kubeconfig], {
          home: c.dir,
        });
        await child.waitForStderr(/^gate prod: 0\/2 healthy on 1-28-10/m);
        child.proc.kill(signal);
        const { code } = await child.exited;
        const stderr = child.stderr();
        assert.equal(code, EXIT_CODES.interrupted.code, stderr);
        assert.match(stderr, /^✖ gate prod interrupted: stopped waiting \(before every follower was healthy\)/m);
        assert.match(stderr, /^upgrade to 1-28-10 interrupted \(1 moved, 0 rolled back, 1 skipped, 1 pending\)$/m);
        const errors = stderr.split('\n').filter((l) => l.startsWith('error: '));
        assert.equal(errors.length, 1, stderr);
        assert.match(
          errors[0] ?? '',
          /^error: stopped waiting for the gate of prod: it stays on 1-28-10 as it is .*; roll it back with "kubectl ambient tag-rollback prod", or continue \(its gate runs again first\) with "kubectl ambient upgrade 1-28-10"$/,
        );
        assert.doesNotMatch(stderr, /undoing this run's writes/, 'nothing was being written: no undo');
        assert.equal(child.stdout(), '');
        assert.equal(tagRevision(c, 'prod'), '1-28-10');
        assert.equal(tagRevision(c, 'default'), '1-27-9');
      } finally {
        await c.close();
      }
    });
  }
});
