import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { EXIT_CODES } from '../../src/cli/errors.ts';
import { startCluster } from '../support/sim.ts';
import { tagRevision } from './support.ts';

const ENTRY = new URL('../../src/bin/kubectl-ambient.ts', import.meta.url).pathname;

describe('faults: a real SIGINT to the process', () => {
  it('during --wait: exit 130, the move stays applied, one line says how to check and roll back', async () => {
    const c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 60_000 } });
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', ENTRY, 'tag-move', 'prod', '1-28-10', '--yes', '--wait', '--kubeconfig', c.kubeconfig],
        {
          env: { PATH: process.env['PATH'] ?? '', HOME: c.dir, NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const applied = new Promise<void>((resolve) =>
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('now points at 1-28-10')) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await Promise.race([applied, exited]);
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, EXIT_CODES.interrupted.code, stderr);
      assert.match(
        stderr,
        /^error: stopped waiting: the move of prod to 1-28-10 stays applied; .*roll back with "kubectl ambient tag-rollback prod"$/m,
      );
      assert.equal(stdout, '');
      assert.equal(tagRevision(c, 'prod'), '1-28-10');
    } finally {
      await c.close();
    }
  });
});
