/** kubectl's --as, --as-group (repeated) and --as-uid become Impersonate-* headers on every request. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestInfo } from '../cluster/sim-types.ts';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';

describe('impersonation flags', () => {
  it('every request carries Impersonate-User, one Impersonate-Group field per group and Impersonate-Uid; the server acts as that user', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const seen: RequestInfo[] = [];
      c.sim.onRequest((r) => void seen.push(r));
      const r = await ambient(['tags', '--as', 'oncall', '--as-group', 'sre', '--as-group', 'dba', '--as-uid', '42'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(seen.length >= 13);
      for (const q of seen) {
        assert.equal(q.user, 'oncall', q.path);
        assert.deepEqual(
          [q.headers?.['impersonate-user'], q.headers?.['impersonate-group'], q.headers?.['impersonate-uid']],
          [['oncall'], ['sre', 'dba'], ['42']],
          q.path,
        );
      }
      c.sim.forbid({ user: 'oncall', resource: 'mutatingwebhookconfigurations' });
      const refused = await ambient(['tags', '--as', 'oncall'], { kubeconfig: c.kubeconfig });
      assert.equal(refused.code, 77);
      assert.match(refused.stderr, /User "oncall" cannot list resource "mutatingwebhookconfigurations"/);
      const uidAlone = await ambient(['tags', '--as-uid', '42'], { kubeconfig: c.kubeconfig });
      assert.equal(uidAlone.code, 64);
      assert.match(uidAlone.stderr, /^error: --as-uid needs --as/);
    } finally {
      await c.close();
    }
  });
});
