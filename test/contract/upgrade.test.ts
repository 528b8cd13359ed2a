/**
 * Contract (issue 18): `upgrade` through the real CLI entry on both backends loaded with
 * `mid-upgrade`. Neither runs istiod or a kubelet, so no proxy is ever re-rendered and no Gateway
 * programmed: a gate cannot pass. The gated move must time out and roll back cleanly (the tag as it
 * was, its history consumed, no operation record, its followers waited for), and a dry run must
 * change nothing. Kubernetes 1.20 is outside what Istio 1.28 supports, so `skew --target` fails
 * there: without --force the upgrade refuses (exit 3).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TagView } from '../../src/core/views.ts';
import { scenarios } from '../cluster/scenarios.ts';
import type { KubeObject } from '../cluster/types.ts';
import { ambient } from '../support/cli.ts';
import { forEachBackend, type Backend } from './backend.ts';

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const SVC = '/api/v1/namespaces/istio-system/services';
const HISTORY = 'kubectl-ambient.dev/tag-history';
const OPERATION = 'kubectl-ambient.dev/tag-operation';

async function get(b: Backend, path: string): Promise<KubeObject | undefined> {
  const r = await b.api('GET', path);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.text);
  return r.body as KubeObject;
}

/** A tag's webhook and Service as the API server holds them. */
async function tag(
  b: Backend,
  name: string,
): Promise<{ webhook: KubeObject | undefined; service: KubeObject | undefined }> {
  return {
    webhook: await get(b, `${MWC}/istio-revision-tag-${name}`),
    service: await get(b, `${SVC}/istiod-revision-tag-${name}`),
  };
}

forEachBackend(
  'upgrade on mid-upgrade',
  () => scenarios['mid-upgrade']!().objects,
  (backend, kind) => {
    const run = (argv: string[]): ReturnType<typeof ambient> =>
      ambient(argv, { kubeconfig: backend().kubeconfig.admin });

    it('a failed precondition (Kubernetes outside what 1.28 supports) refuses with exit 3, nothing changed', async () => {
      const b = backend();
      const before = await tag(b, 'prod');
      const r = await run(['upgrade', '1-28-10', '--yes']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^ {2}✖ skew --target 1-28-10: \d+ failing finding\(s\)$/m);
      assert.match(
        r.stderr,
        /^ {6}- kubernetes kube-apiserver: Kubernetes 1\.20 is outside the range Istio 1\.28 supports/m,
      );
      assert.match(
        r.stderr,
        /^error: refusing to upgrade: skew --target 1-28-10: .*; nothing was changed; fix the failed precondition\(s\), or pass --force to upgrade anyway$/m,
      );
      const after = await tag(b, 'prod');
      assert.equal(after.webhook?.metadata.resourceVersion, before.webhook?.metadata.resourceVersion);
    });

    it('--dry-run=server --force: the plan, and every move validated by the server; nothing changes', async () => {
      const b = backend();
      const before = await Promise.all(['prod', 'default', 'canary'].map((t) => tag(b, t)));
      const r = await run(['upgrade', '1-28-10', '--dry-run=server', '--force']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^ {3}2\. prod +1-27-9 -> 1-28-10: waypoints bookinfo\/waypoint, reviews\/waypoint; namespaces legacy, reviews$/m,
      );
      assert.match(r.stderr, /^tag prod: 1-27-9 -> 1-28-10 \(1\.28\.10\)$/m);
      assert.match(r.stderr, /^tag default: 1-27-9 -> 1-28-10 \(1\.28\.10\)$/m);
      assert.equal(
        (
          r.stderr.match(/^dry run \(server\): the API server accepted all 2 write\(s\); nothing was persisted$/gm) ??
          []
        ).length,
        2,
        r.stderr,
      );
      const after = await Promise.all(['prod', 'default', 'canary'].map((t) => tag(b, t)));
      assert.deepEqual(
        after.map((t) => [t.webhook?.metadata.resourceVersion, t.service?.metadata.resourceVersion]),
        before.map((t) => [t.webhook?.metadata.resourceVersion, t.service?.metadata.resourceVersion]),
      );
    });

    it('a gated move that cannot pass (no istiod, no kubelet) times out and rolls the tag back cleanly (exit 3)', async () => {
      const b = backend();
      const r = await run([
        'upgrade',
        '1-28-10',
        '--tags',
        'prod',
        '--yes',
        '--force',
        '--timeout',
        '2s',
        '--soak',
        '0s',
        '-o',
        'json',
      ]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^✔ tag prod now points at 1-28-10 \(1\.28\.10\), was 1-27-9/m);
      assert.match(
        r.stderr,
        /^✖ gate prod failed: timed out after 2s: 2 of 2 gateway\(s\)\/waypoint\(s\) not healthy on 1-28-10$/m,
      );
      assert.match(
        r.stderr,
        /^ {4}- waypoint bookinfo\/waypoint: Deployment waypoint still rendered for 1-27-9; no Programmed condition$/m,
      );
      assert.match(r.stderr, /^rolling back tag prod to 1-27-9$/m);
      assert.match(
        r.stderr,
        /^✔ tag prod now points at 1-27-9 \(1\.27\.9\), was 1-28-10: deleted Service istiod-revision-tag-prod/m,
      );
      assert.match(r.stderr, /^waypoints on 1-27-9: 2\/2$/m, 'the rollback waited for its followers');
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(
        errors[0] ?? '',
        /^error: the gate of prod failed: timed out after 2s: .*; prod was rolled back to 1-27-9; fix the cause, then continue with "kubectl ambient upgrade 1-28-10 --tags prod"$/,
      );
      const result = JSON.parse(r.stdout.split(/^(?=\{)/m)[1] ?? '{}') as {
        tags: { tag: string; outcome: string; gate: { status: string } | null }[];
      };
      assert.deepEqual(
        result.tags.map((t) => [t.tag, t.outcome, t.gate?.status]),
        [['prod', 'rolled-back', 'timed-out']],
      );
      // As before the upgrade: the webhook on 1-27-9, no Service, no history entry left, no operation record.
      const { webhook, service } = await tag(b, 'prod');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.deepEqual(JSON.parse(webhook?.metadata.annotations?.[HISTORY] ?? '[]'), []);
      assert.equal(webhook?.metadata.annotations?.[OPERATION], undefined);
      assert.equal(service, undefined);
      const t = await run(['tags', 'prod', '-o', 'json']);
      const view = JSON.parse(t.stdout) as TagView;
      assert.deepEqual(
        [view.revision, view.objects.consistent, view.operation, view.problems.filter((p) => p.severity === 'error')],
        ['1-27-9', true, null, []],
        kind,
      );
      // default was never part of it.
      assert.equal((await tag(b, 'default')).webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
    });
  },
);
