import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import type { KubeObject } from '../cluster/types.ts';
import { helmRender, istiod, namespace, tagObjects } from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';
import { assertFails, tagRevision } from './support.ts';

const inNamespace = (objects: KubeObject[], ns: string): KubeObject[] =>
  JSON.parse(JSON.stringify(objects).replaceAll('istio-system', ns)) as KubeObject[];

describe('faults: cluster states', () => {
  it('no Istio at all: says so and suggests -i', async () => {
    const c = await startCluster([namespace('default')]);
    try {
      for (const cmd of ['revisions', 'tags', 'skew']) {
        assertFails(
          await ambient([cmd], { kubeconfig: c.kubeconfig }),
          'input',
          /^error: no Istio control plane found in namespace istio-system .*; if Istio runs in another namespace, pass -i\/--istio-namespace <namespace>$/,
        );
      }
    } finally {
      await c.close();
    }
  });

  it('Istio in another namespace works with -i', async () => {
    const c = await startCluster([
      namespace('istio-control'),
      ...inNamespace(istiod('1.30.3'), 'istio-control'),
      ...helmRender('1.30.3', 'tag-canary-rev-1-30-3-ns-istio-control.yaml').map((o) =>
        o.kind === 'Service' ? { ...o, metadata: { ...o.metadata, namespace: 'istio-control' } } : o,
      ),
    ]);
    try {
      const r = await ambient(['tags', '-i', 'istio-control', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        (JSON.parse(r.stdout) as TagView[]).map((t) => [t.tag, t.revision, t.objects.webhook]),
        [['canary', '1-30-3', 'istio-revision-tag-canary-istio-control']],
      );
      const move = await ambient(['tag-move', 'prod', '1-30-3', '--create', '--yes', '-i', 'istio-control'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(move.code, 0, move.stderr);
      const mwc = c.sim.get({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        name: 'istio-revision-tag-prod-istio-control',
      });
      assert.equal(
        (mwc?.['webhooks'] as { clientConfig: { service: { namespace: string } } }[])[0]?.clientConfig.service
          .namespace,
        'istio-control',
      );
      assertFails(
        await ambient(['tags'], { kubeconfig: c.kubeconfig }),
        'input',
        /no Istio control plane found in namespace istio-system/,
      );
    } finally {
      await c.close();
    }
  });

  it('a tag pointing at a deleted revision: flagged, and tag-move repairs it', async () => {
    const c = await startCluster([namespace('istio-system'), ...istiod('1.30.3'), ...tagObjects('1.28.10', 'prod')]);
    try {
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.deepEqual(
        (JSON.parse(r.stdout) as TagView[])[0]?.problems.map((p) => p.code),
        ['dangling'],
      );
      assert.equal((await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig })).code, 0);
      assert.equal(tagRevision(c, 'prod'), '1-30-3');
    } finally {
      await c.close();
    }
  });

  it('webhook and Service disagreeing: flagged, and tag-move makes them agree', async () => {
    const split = tagObjects('1.28.10', 'prod').map((o) =>
      o.kind === 'Service'
        ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'istio.io/rev': '1-30-3' } } }
        : o,
    );
    const c = await startCluster([namespace('istio-system'), ...istiod('1.28.10'), ...istiod('1.30.3'), ...split]);
    try {
      const before = JSON.parse(
        (await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.equal(before.objects.consistent, false);
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /~ Service istio-system\/istiod-revision-tag-prod/);
      const after = JSON.parse(
        (await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.equal(after.objects.consistent, true);
    } finally {
      await c.close();
    }
  });

  it('an istiod scaled to zero: READY 0/0, and tag-move refuses it without --force', async () => {
    const scaled = istiod('1.28.10').map((o) =>
      o.kind === 'Deployment' ? { ...o, spec: { ...(o['spec'] as object), replicas: 0 } } : o,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.27.9'),
      ...scaled,
      ...tagObjects('1.27.9', 'prod'),
    ]);
    try {
      const revs = JSON.parse(
        (await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as RevisionView[];
      assert.deepEqual(
        revs.map((r) => [r.revision, r.readyReplicas, r.desiredReplicas]),
        [
          ['1-27-9', 1, 1],
          ['1-28-10', 0, 0],
        ],
      );
      assertFails(
        await ambient(['tag-move', 'prod', '1-28-10', '--yes'], { kubeconfig: c.kubeconfig }),
        'problems',
        /^error: istiod of revision 1-28-10 is not ready \(0\/0\)/,
      );
    } finally {
      await c.close();
    }
  });

  it('images with digests and no version labels: VERSION unknown, and tag-move refuses to guess', async () => {
    const digest = istiod('1.30.3').map((o) => {
      const s = JSON.stringify(o).replace(
        /docker\.io\/istio\/pilot:1\.30\.3-distroless/g,
        'registry.corp/istio/pilot@sha256:0123456789abcdef',
      );
      const x = JSON.parse(s) as KubeObject;
      if (x.metadata.labels !== undefined) delete x.metadata.labels['app.kubernetes.io/version'];
      return x;
    });
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...digest,
      ...tagObjects('1.28.10', 'prod'),
    ]);
    try {
      const revs = JSON.parse(
        (await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as RevisionView[];
      assert.equal(revs.find((r) => r.revision === '1-30-3')?.version, null);
      assert.match((await ambient(['revisions'], { kubeconfig: c.kubeconfig })).stdout, /^1-30-3\s+unknown\s/m);
      assertFails(
        await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig }),
        'input',
        /^error: cannot tell the Istio version of revision 1-30-3 \(image registry\.corp\/istio\/pilot@sha256:0123456789abcdef has no version tag/,
      );
      const skew = await ambient(['skew', '-o', 'json', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.ok(
        (JSON.parse(skew.stdout) as { findings: { rule: string; status: string }[] }).findings.some(
          (f) => f.rule === 'version-known' && f.status === 'warn',
        ),
      );
    } finally {
      await c.close();
    }
  });
});
