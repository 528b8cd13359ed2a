import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import {
  ambientNamespace,
  gateway,
  istiod,
  namespace,
  proxyDeployment,
  revOf,
  tagObjects,
  ztunnel,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import type { KubeObject } from '../cluster/types.ts';

describe('tags on mid-upgrade', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  it('prints one row per tag, default first, and flags the ambient-sidecar pitfall on stderr', async () => {
    const r = await ambient(['tags'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TAG\s+REVISION\s+VERSION\s+PREVIOUS\s+NAMESPACES\s+GATEWAYS\s+WAYPOINTS\s+OBJECTS$/);
    assert.match(lines[1] ?? '', /^default\s+1-27-9\s+1\.27\.9\s+-\s+0\s+1\/1\s+1\/1\s+webhook ok$/);
    assert.match(lines[2] ?? '', /^canary\s+1-28-10\s+1\.28\.10\s+-\s+0\s+0\s+1\/1\s+webhook\+service ok$/);
    assert.match(lines[3] ?? '', /^prod\s+1-27-9\s+1\.27\.9\s+-\s+2\s+0\s+2\/2\s+webhook ok$/);
    assert.equal(
      r.stderr,
      'warning: ambient namespace(s) reviews carry istio.io/rev=prod: new pods there get sidecars; label the Gateways/waypoints with istio.io/rev instead, or set sidecar.istio.io/inject=false on pods\n',
    );
  });

  it('-o json: tag, revision, namespaces, gateways with the revision their pods run', async () => {
    const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
    const views = JSON.parse(r.stdout) as TagView[];
    const byTag = Object.fromEntries(views.map((v) => [v.tag, v]));
    assert.deepEqual(Object.keys(byTag), ['default', 'canary', 'prod']);
    assert.deepEqual(byTag['prod']?.namespaces, ['legacy', 'reviews']);
    assert.deepEqual(
      byTag['prod']?.gateways.map((g) => `${g.namespace}/${g.name}@${g.runningRevisions.join('+')}`),
      ['bookinfo/waypoint@1-27-9', 'reviews/waypoint@1-27-9'],
    );
    assert.deepEqual(
      byTag['default']?.gateways.map((g) => `${g.namespace}/${g.name}:${g.kind}`),
      ['ingress/ingress:gateway', 'orders/waypoint:waypoint'],
    );
    assert.deepEqual(byTag['canary']?.objects, {
      webhook: 'istio-revision-tag-canary',
      webhookRevision: '1-28-10',
      service: 'istiod-revision-tag-canary',
      serviceRevision: '1-28-10',
      validator: null,
      validatorRevision: null,
      consistent: true,
    });
    assert.deepEqual(
      byTag['prod']?.problems.map((p) => p.code),
      ['ambient-sidecar'],
    );
  });

  it('TAG shows one tag in detail; an unknown TAG is exit 65', async () => {
    const r = await ambient(['tags', 'canary'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Service:\s+istiod-revision-tag-canary -> 1-28-10$/m);
    const bad = await ambient(['tags', 'nope'], { kubeconfig: c.kubeconfig });
    assert.equal(bad.code, 65);
    assert.equal(
      bad.stderr,
      'error: tag "nope" not found (no istio.io/tag=nope webhook or Service); known: canary, default, prod\n',
    );
  });
});

/** A cluster of one chart version: istiod, `prod` and `default` tags, ztunnel, a waypoint on prod. */
function versionCluster(v: string): KubeObject[] {
  const wp = { name: 'waypoint', namespace: 'bookinfo', rev: 'prod' };
  return [
    namespace('istio-system'),
    ...istiod(v),
    ...tagObjects(v, 'prod'),
    ...tagObjects(v, 'default'),
    ...ztunnel(v),
    ambientNamespace('bookinfo'),
    gateway(wp),
    proxyDeployment(wp, revOf(v), v),
  ];
}

describe('clusters built from the Helm renders of each version', () => {
  for (const v of ['1.21.0', '1.24.0', '1.28.10', '1.30.3']) {
    it(`${v}: tags and revisions see the chart's objects`, async () => {
      const c = await startCluster(versionCluster(v));
      try {
        const tags = JSON.parse(
          (await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
        ) as TagView[];
        const hasService = v >= '1.28';
        assert.deepEqual(
          tags.map((t) => [t.tag, t.revision, t.version, t.objects.service !== null, t.objects.consistent]),
          [
            ['default', revOf(v), v, hasService, true],
            ['prod', revOf(v), v, hasService, true],
          ],
        );
        assert.deepEqual(
          tags[1]?.gateways.map((g) => g.runningRevisions.join('+')),
          [revOf(v)],
        );
        const revs = JSON.parse(
          (await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
        ) as RevisionView[];
        assert.deepEqual(
          revs.map((r) => [r.revision, r.version, r.default, r.tags, r.ztunnel, r.inUse]),
          [[revOf(v), v, true, ['default', 'prod'], true, true]],
        );
      } finally {
        await c.close();
      }
    });
  }
});

describe('tag problems', () => {
  it('flags a dangling tag, a webhook/Service split and a Helm-owned tag', async () => {
    const split = tagObjects('1.28.10', 'canary').map((o) =>
      o.kind === 'Service'
        ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'istio.io/rev': '1-30-3' } } }
        : o,
    );
    const helm = tagObjects('1.30.3', 'prod').map((o) => ({
      ...o,
      metadata: {
        ...o.metadata,
        annotations: { 'meta.helm.sh/release-name': 'istiod-1-30-3', 'meta.helm.sh/release-namespace': 'istio-system' },
      },
    }));
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.30.3'),
      ...istiod('1.28.10'),
      ...tagObjects('1.24.0', 'old'),
      ...split,
      ...helm,
    ]);
    try {
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
      const views = Object.fromEntries((JSON.parse(r.stdout) as TagView[]).map((v) => [v.tag, v]));
      assert.deepEqual(
        views['old']?.problems.map((p) => p.code),
        ['dangling'],
      );
      assert.deepEqual(
        views['canary']?.problems.map((p) => p.code),
        ['split'],
      );
      assert.equal(views['canary']?.objects.consistent, false);
      assert.deepEqual(
        views['prod']?.problems.map((p) => p.code),
        ['helm-owned'],
      );
      assert.match(r.stderr, /^problem: tag old points at revision 1-24-0, which is not installed/m);
      assert.match(
        r.stderr,
        /^problem: tag canary: webhook points at 1-28-10 but Service istiod-revision-tag-canary at 1-30-3, so both istiods claim it/m,
      );
      assert.match(r.stderr, /^warning: tag prod is owned by Helm release "istiod-1-30-3"/m);
      const table = await ambient(['tags'], { kubeconfig: c.kubeconfig });
      assert.match(table.stdout, /^old\s+1-24-0 \(missing\)\s+unknown/m);
      assert.match(table.stdout, /^canary\s+1-28-10\s+1\.28\.10\s+-\s+0\s+0\s+0\s+webhook\+service MISMATCH$/m);
    } finally {
      await c.close();
    }
  });

  it('no tags: a friendly line on stderr and [] for json', async () => {
    const c = await startCluster('fresh');
    try {
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0);
      assert.equal(r.stdout, '[]\n');
      assert.match(r.stderr, /^No revision tags found in namespace istio-system/);
    } finally {
      await c.close();
    }
  });
});
