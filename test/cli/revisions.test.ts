import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RevisionView } from '../../src/core/views.ts';
import { cni, istiod, namespace, tagObjects, ztunnel } from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

describe('revisions on mid-upgrade', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  it('prints one row per revision with every column', async () => {
    const r = await ambient(['revisions'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(
      head ?? '',
      /^REVISION\s+VERSION\s+READY\s+DEFAULT\s+TAGS\s+GATEWAYS\s+WAYPOINTS\s+PODS\s+STATUS\s+REASONS$/,
    );
    assert.equal(rows.length, 2);
    // 6 pods: the two sidecars in legacy and the proxies of three waypoints and one gateway.
    assert.match(
      rows[0] ?? '',
      /^1-27-9\s+1\.27\.9\s+1\/1\s+yes\s+default,prod\s+1\/1\s+3\/3\s+6\s+IN USE\s+tags,ns,pods,gw,ztunnel$/,
    );
    assert.match(rows[1] ?? '', /^1-28-10\s+1\.28\.10\s+1\/1\s+-\s+canary\s+0\s+1\/1\s+1\s+IN USE\s+tags,gw$/);
    assert.equal(r.stderr, '');
  });

  it('-o json prints the same View with stable keys', async () => {
    const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const views = JSON.parse(r.stdout) as RevisionView[];
    const old = views.find((v) => v.revision === '1-27-9');
    assert.ok(old);
    assert.equal(old.version, '1.27.9');
    assert.equal(old.default, true);
    assert.deepEqual(old.tags, ['default', 'prod']);
    assert.deepEqual(old.namespaces, ['legacy', 'reviews']);
    assert.deepEqual(
      old.gateways.map((g) => `${g.namespace}/${g.name}:${g.kind}:${g.runningRevisions.join('+')}`).sort(),
      [
        'bookinfo/waypoint:waypoint:1-27-9',
        'ingress/ingress:gateway:1-27-9',
        'orders/waypoint:waypoint:1-27-9',
        'reviews/waypoint:waypoint:1-27-9',
      ],
    );
    assert.equal(old.ztunnel, true);
    assert.equal(old.inUse, true);
    assert.equal(old.status, 'in-use');
    assert.equal(old.pods, 6);
    assert.deepEqual([...new Set(old.reasons.map((x) => x.code))], ['tags', 'ns', 'pods', 'gw', 'ztunnel']);
    const neu = views.find((v) => v.revision === '1-28-10');
    assert.deepEqual(
      { tags: neu?.tags, default: neu?.default, ztunnel: neu?.ztunnel, inUse: neu?.inUse },
      { tags: ['canary'], default: false, ztunnel: false, inUse: true },
    );
  });

  it('-o yaml prints the same data', async () => {
    const r = await ambient(['revisions', '-o', 'yaml'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^- revision: 1-27-9\n {2}version: 1\.27\.9\n/);
  });

  it('-o wide adds image, Helm release and age', async () => {
    const r = await ambient(['revisions', '-o', 'wide'], { kubeconfig: c.kubeconfig });
    assert.match(r.stdout.split('\n')[0] ?? '', /NAMESPACES\s+IMAGE\s+HELM RELEASE\s+AGE$/);
    assert.match(r.stdout, /docker\.io\/istio\/pilot:1\.27\.9-distroless/);
  });

  it('REVISION shows everything that follows it by name', async () => {
    const r = await ambient(['revisions', '1-27-9'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Revision:\s+1-27-9$/m);
    assert.match(r.stdout, /^Tags:\s+default, prod$/m);
    assert.match(r.stdout, /^Namespaces:\s+legacy, reviews$/m);
    assert.match(r.stdout, /^Gateways:\s+ingress\/ingress \(runs 1-27-9\)$/m);
    assert.match(
      r.stdout,
      /^Waypoints:\s+bookinfo\/waypoint \(runs 1-27-9\), orders\/waypoint \(runs 1-27-9\), reviews\/waypoint \(runs 1-27-9\)$/m,
    );
    assert.match(r.stdout, /^ztunnel:\s+pinned to this revision$/m);
    assert.match(
      r.stdout,
      /^Status:\s+IN USE\nIn use because:\n {2}- \[tags\] tag default: webhook istio-revision-tag-default points at it/m,
    );
    assert.match(
      r.stdout,
      /^ {2}- \[pods\] 2 running pod\(s\) in legacy have its proxy \(billing-7c9f6d-q8w3n, billing-7c9f6d-x2k4p\)\n {6}fix: restart them/m,
    );
  });

  it('an unknown REVISION is exit 65 with the known ones', async () => {
    const r = await ambient(['revisions', 'nope'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 65);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: revision "nope" not found in namespace istio-system; known: 1-27-9, 1-28-10\n');
  });

  it('the wrong Istio namespace says so and suggests -i', async () => {
    const r = await ambient(['revisions', '-i', 'istio-control'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 65);
    assert.match(
      r.stderr,
      /^error: no Istio control plane found in namespace istio-control .*pass -i\/--istio-namespace/,
    );
  });
});

describe('revisions: safe to remove', () => {
  let c: TestCluster;
  before(
    async () =>
      (c = await startCluster([
        namespace('istio-system'),
        ...istiod('1.30.3'),
        ...istiod('1.24.0'),
        ...tagObjects('1.30.3', 'default'),
        ...ztunnel('1.30.3'),
        ...cni('1.30.3'),
      ])),
  );
  after(() => c.close());

  it('a revision nothing follows is SAFE TO REMOVE', async () => {
    const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
    const views = JSON.parse(r.stdout) as RevisionView[];
    assert.deepEqual(
      views.map((v) => [v.revision, v.version, v.status, [...new Set(v.reasons.map((x) => x.code))]]),
      [
        ['1-24-0', '1.24.0', 'safe', []],
        ['1-30-3', '1.30.3', 'in-use', ['tags', 'ztunnel']],
      ],
    );
    const table = await ambient(['revisions'], { kubeconfig: c.kubeconfig });
    assert.match(table.stdout, /^1-24-0\s+1\.24\.0\s+1\/1\s+-\s+-\s+0\s+0\s+0\s+SAFE TO REMOVE\s+-$/m);
  });
});
