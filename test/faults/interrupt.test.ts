import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ambient } from '../support/cli.ts';
import { barrier, isWrite, startProxy } from '../support/proxy.ts';
import { startCluster } from '../support/sim.ts';
import { assertFails, kubeconfigVia, state, tagRevision } from './support.ts';

describe('faults: Ctrl-C', () => {
  it('before confirmation: nothing changed, exit 130', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      const before = state(c);
      const ctrl = new AbortController();
      const r = await ambient(['tag-move', 'prod', '1-28-10'], {
        kubeconfig: c.kubeconfig,
        stdinIsTTY: true,
        signal: ctrl.signal,
        onPrompt: () => ctrl.abort(),
      });
      assert.deepEqual(r.io.prompts, [`Move tag prod on context sim (${c.sim.url}) from 1-27-9 to 1-28-10? [y/N] `]);
      assert.equal(r.code, 130);
      assert.match(r.stderr, /^error: interrupted at the confirmation prompt: nothing was changed$/m);
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('a prompt that fails for another reason is not an interrupt: exit 1, nothing changed', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      const before = state(c);
      const r = await ambient(['tag-move', 'prod', '1-28-10'], {
        kubeconfig: c.kubeconfig,
        stdinIsTTY: true,
        onPrompt: () => {
          throw new RangeError('Maximum call stack size exceeded');
        },
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: Maximum call stack size exceeded; this is a bug in kubectl-ambient/m);
      assert.doesNotMatch(r.stderr, /error: interrupted/);
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('during apply: the in-flight write completes, the written objects are restored, and the message says so', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      const before = state(c);
      const ctrl = new AbortController();
      c.sim.onRequest((req) => {
        if (req.method === 'PUT' && req.query['dryRun'] === undefined) ctrl.abort(); // Ctrl-C while the first write is in flight
      });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], {
        kubeconfig: c.kubeconfig,
        signal: ctrl.signal,
      });
      c.sim.onRequest(undefined);
      assertFails(
        r,
        'interrupted',
        /^error: interrupted before all objects were written; the 1 write\(s\) already made were undone, nothing changed; now: Service istiod-revision-tag-prod absent, webhook istio-revision-tag-prod -> 1-27-9$/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('during --wait: the move stays applied; the message says how to check and roll back', async () => {
    const c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 5000 } });
    try {
      const ctrl = new AbortController();
      // Ctrl-C once the writes are done: when the move reads its objects back after the last write.
      let writes = 0;
      c.sim.onRequest((req) => {
        if (req.method === 'PUT' && req.query['dryRun'] === undefined) writes++;
        if (writes === 2 && req.method === 'GET' && req.name === 'istio-revision-tag-prod') ctrl.abort();
      });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait'], {
        kubeconfig: c.kubeconfig,
        signal: ctrl.signal,
      });
      c.sim.onRequest(undefined);
      assert.equal(r.code, 130, r.stderr);
      assert.match(
        r.stderr,
        /^error: stopped waiting: the move of prod to 1-28-10 stays applied; not yet on 1-28-10: bookinfo\/waypoint, reviews\/waypoint; check with "kubectl ambient tags prod", roll back with "kubectl ambient tag-rollback prod"$/m,
      );
      assert.equal(tagRevision(c, 'prod'), '1-28-10');
    } finally {
      await c.close();
    }
  });
});

describe('faults: races', () => {
  it('two tag-moves of the same tag at once (a barrier holds both first writes): exactly one wins, the other reports the conflict, history intact', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    const proxy = await startProxy({ url: c.sim.url, ca: c.sim.ca });
    try {
      const kubeconfig = kubeconfigVia(c, proxy);
      // Both moves have read the webhook when their writes are let through together: a real race, every time.
      const raced = barrier(
        proxy,
        2,
        (r) =>
          isWrite(r) &&
          r.method === 'PUT' &&
          r.path === '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-revision-tag-prod',
      );
      const [a, b] = await Promise.all([
        ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig }),
        ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig }),
      ]);
      assert.deepEqual((await raced).map((u) => u.status).sort(), [200, 409]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 75], `${a.stderr}\n${b.stderr}`);
      assert.match((a.code === 75 ? a : b).stderr, /^error: conflict on update/m);
      assert.equal(tagRevision(c, 'prod'), '1-28-10');
      const history = c.sim.get({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        name: 'istio-revision-tag-prod',
      })?.metadata.annotations?.['kubectl-ambient.dev/tag-history'];
      assert.deepEqual(
        (JSON.parse(history ?? '[]') as { revision: string }[]).map((h) => h.revision),
        ['1-27-9'],
      );
    } finally {
      await proxy.close();
      await c.close();
    }
  });
});
