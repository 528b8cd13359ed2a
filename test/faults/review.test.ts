/** Cases found in review: each was a silent wrong answer before its fix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/skew.ts';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import { forCode } from '../cluster/status.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  ambientNamespace,
  gateway,
  helmRender,
  istiod,
  namespace,
  proxyDeployment,
  tagObjects,
  ztunnel,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';
import { startProxy, isWrite } from '../support/proxy.ts';
import { assertFails, kubeconfigVia, state, tagRevision } from './support.ts';

const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const SVC = { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system' };
const serviceOnly = (version: string, tag: string): KubeObject[] =>
  tagObjects(version, tag).filter((o) => o.kind === 'Service');

describe('review: tag forms and names', () => {
  it('a Service-only 1.28+ tag stays Service-only (no webhook that would inject ambient namespaces)', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...istiod('1.30.3'),
      ...serviceOnly('1.28.10', 'prod'),
      ambientNamespace('shop', 'prod'),
    ]);
    try {
      const r = await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' }), undefined);
      const svc = c.sim.get({ ...SVC, name: 'istiod-revision-tag-prod' });
      assert.equal(svc?.metadata.labels?.['istio.io/rev'], '1-30-3');
      const tags = JSON.parse(
        (await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.equal(tags.previousRevision, '1-28-10', 'the history lives on the Service');
      const back = await ambient(['tag-rollback', 'prod', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(back.code, 0, back.stderr);
      assert.equal(
        c.sim.get({ ...SVC, name: 'istiod-revision-tag-prod' })?.metadata.labels?.['istio.io/rev'],
        '1-28-10',
      );
    } finally {
      await c.close();
    }
  });

  it('a Service-only tag cannot move to a pre-1.28 revision (it would read no tag at all)', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...istiod('1.27.9'),
      ...serviceOnly('1.28.10', 'prod'),
    ]);
    try {
      const before = state(c);
      assertFails(
        await ambient(['tag-move', 'prod', '1-27-9', '--yes'], { kubeconfig: c.kubeconfig }),
        'problems',
        /^error: tag "prod" is defined by its Service alone, which istiod before 1\.28 does not read/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('a tag webhook made with istioctl --webhook-name keeps its name', async () => {
    const renamed = tagObjects('1.27.9', 'prod').map((o) =>
      o.kind === 'MutatingWebhookConfiguration'
        ? { ...o, metadata: { ...o.metadata, name: 'custom-prod-injector' } }
        : o,
    );
    const c = await startCluster([namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.26.8'), ...renamed]);
    try {
      const r = await ambient(['tag-move', 'prod', '1-26-8', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(c.sim.get({ ...MWC, name: 'custom-prod-injector' })?.metadata.labels?.['istio.io/rev'], '1-26-8');
      assert.equal(c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' }), undefined);
    } finally {
      await c.close();
    }
  });

  it('tag-rollback --to a revision outside the history remembers where the tag was', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.26.8'),
      ...istiod('1.27.9'),
      ...tagObjects('1.27.9', 'prod'),
    ]);
    try {
      assert.equal(
        (await ambient(['tag-rollback', 'prod', '--to', '1-26-8', '--yes'], { kubeconfig: c.kubeconfig })).code,
        0,
      );
      const back = await ambient(['tag-rollback', 'prod', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(back.code, 0, back.stderr);
      assert.equal(c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' })?.metadata.labels?.['istio.io/rev'], '1-27-9');
    } finally {
      await c.close();
    }
  });
});

describe('review: a write whose answer is lost', () => {
  it('landed (connection dropped after the server wrote it): the read-back proves it and the move completes; the message is true', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    const proxy = await startProxy({ url: c.sim.url, ...(c.sim.ca !== undefined ? { ca: c.sim.ca } : {}) });
    try {
      proxy.intercept(
        (r) => isWrite(r) && r.method === 'POST' && r.path.endsWith('/services'),
        async (x) => {
          await x.forward();
          x.drop();
        },
      );
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], {
        kubeconfig: kubeconfigVia(c, proxy),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^ {2}read back: Service istiod-revision-tag-prod -> 1-28-10, webhook istio-revision-tag-prod -> 1-28-10$/m,
      );
      assert.equal(
        c.sim.requests.filter(
          (q) => q.method === 'POST' && q.resource === 'services' && q.query['dryRun'] === undefined,
        ).length,
        1,
        'created once',
      );
      assert.equal(tagRevision(c, 'prod'), '1-28-10');
    } finally {
      await proxy.close();
      await c.close();
    }
  });
});

describe('review: who owns what', () => {
  it('ztunnel is checked against the istiod its XDS_ADDRESS names, not its annotation', async () => {
    const zt = ztunnel('1.28.10').map(
      (o) =>
        JSON.parse(
          JSON.stringify(o).replaceAll('istiod-1-28-10.istio-system.svc', 'istiod-1-26-8.istio-system.svc'),
        ) as KubeObject,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...istiod('1.26.8'),
      ...tagObjects('1.28.10', 'default'),
      ...zt,
    ]);
    try {
      const r = await ambient(['skew', '-o', 'json', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      const f = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find((x) => x.component === 'ztunnel');
      assert.deepEqual([f?.controlPlane, f?.status], ['1-26-8', 'fail']);
      assert.equal(r.code, 3);
    } finally {
      await c.close();
    }
  });

  it('a ztunnel pinned to "default" with no revision-less istiod follows no control plane', async () => {
    const zt = ztunnel('1.28.10').map(
      (o) =>
        JSON.parse(
          JSON.stringify(o)
            .replaceAll('istiod-1-28-10.istio-system.svc', 'istiod.istio-system.svc')
            .replaceAll('"istio.io/rev":"1-28-10"', '"istio.io/rev":"default"'),
        ) as KubeObject,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...tagObjects('1.28.10', 'default'),
      ...zt,
    ]);
    try {
      const r = await ambient(['skew', '-o', 'json', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      const f = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find((x) => x.component === 'ztunnel');
      assert.deepEqual([f?.controlPlane, f?.status], [null, 'fail']);
    } finally {
      await c.close();
    }
  });

  it('istiod older than 1.25.5 does not take the default from istiod-default-validator', async () => {
    const validator = helmRender('1.22.8', 'base-default-validator-rev-1-22-8.yaml').map(
      (o) => JSON.parse(JSON.stringify(o).replaceAll('1-22-8', '1-24-0')) as KubeObject,
    );
    const wp = { name: 'waypoint', namespace: 'shop' };
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.24.0'),
      ...validator,
      ambientNamespace('shop'),
      gateway(wp),
      proxyDeployment(wp, '1-24-0', '1.24.0'),
    ]);
    try {
      const revs = JSON.parse(
        (await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as RevisionView[];
      assert.deepEqual(
        revs.map((r) => [r.revision, r.default]),
        [['1-24-0', false]],
      );
    } finally {
      await c.close();
    }
  });

  it('a revision-less istiod next to a default tag on another revision: both claim default', async () => {
    const legacy = istiod('1.27.9').map(
      (o) =>
        JSON.parse(
          JSON.stringify(o)
            .replaceAll('istiod-1-27-9', 'istiod')
            .replaceAll('istio-sidecar-injector-1-27-9', 'istio-sidecar-injector')
            .replaceAll('"1-27-9"', '"default"'),
        ) as KubeObject,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...legacy,
      ...istiod('1.28.10'),
      ...istiod('1.30.3'),
      ...tagObjects('1.28.10', 'default'),
    ]);
    try {
      const tags = JSON.parse(
        (await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView[];
      assert.ok(
        tags[0]?.problems.some((p) => p.code === 'both-claim'),
        JSON.stringify(tags[0]?.problems),
      );
      // A move that happens (a no-op warns about nothing): the plan warns that the revision-less istiod keeps claiming default.
      const before = state(c);
      const move = await ambient(['tag-move', 'default', '1-30-3', '--dry-run'], { kubeconfig: c.kubeconfig });
      assert.equal(move.code, 0, move.stderr);
      assert.match(
        move.stderr,
        /^warning: a revision-less istiod \(revision "default"\) is still installed: it claims the default tag too, next to 1-30-3, and its injector istio-sidecar-injector stays active; remove it \(or deactivate that injector\) once nothing follows it$/m,
      );
      assert.match(move.stderr, /^dry run \(client\): nothing was sent to the cluster$/m);
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });
});

describe('review: paging', () => {
  it('an expired continue token (410) lists again in one request instead of failing', async () => {
    const c = await startCluster('large', { istiod: false });
    try {
      let armed = true;
      // The first continue request itself gets the 410 (pages are large: there may be only one).
      c.sim.onRequest((req) => {
        if (armed && req.resource === 'namespaces' && req.query['continue'] !== undefined) {
          armed = false;
          throw forCode(410, 'The provided continue parameter is too old to display a consistent list result.');
        }
      });
      const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        c.sim.requests.some((q) => q.resource === 'namespaces' && q.query['limit'] === undefined),
        'a full list without limit',
      );
      const old = (JSON.parse(r.stdout) as RevisionView[]).find((v) => v.revision === '1-27-9');
      assert.equal(old?.namespaces.length, 2 + 2000);
    } finally {
      await c.close();
    }
  });
});
