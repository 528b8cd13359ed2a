import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding, UpgradeStep } from '../../src/core/skew.ts';
import { cni, istiod, namespace, tagObjects, ztunnel } from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';

const statusOf = (fs: Finding[]): string[] => fs.map((f) => `${f.component}/${f.namespace}/${f.name}@${f.controlPlane ?? '-'}:${f.rule}:${f.status}`);

describe('skew', () => {
  it('mid-upgrade: every finding, exit 0 when only end-of-life warns', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const r = await ambient(['skew', '-o', 'json', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const { findings } = JSON.parse(r.stdout) as { findings: Finding[] };
      assert.deepEqual(statusOf(findings), [
        'kubernetes//kube-apiserver@1-27-9:kubernetes-support:ok',
        'istiod/istio-system/istiod-1-27-9@1-27-9:end-of-life:ok',
        'kubernetes//kube-apiserver@1-28-10:kubernetes-support:ok',
        'istiod/istio-system/istiod-1-28-10@1-28-10:end-of-life:ok',
        'ztunnel/istio-system/ztunnel@1-27-9:data-plane-skew:ok',
        'istio-cni/istio-system/istio-cni-node@1-28-10:data-plane-skew:ok',
        'waypoint/bookinfo/waypoint@1-27-9:data-plane-skew:ok',
        'gateway/ingress/ingress@1-27-9:data-plane-skew:ok',
        'waypoint/orders/waypoint@1-27-9:data-plane-skew:ok',
        'waypoint/payments/waypoint@1-28-10:data-plane-skew:ok',
        'waypoint/reviews/waypoint@1-27-9:data-plane-skew:ok',
      ]);
      const keys = Object.keys(findings[0] ?? {});
      for (const k of ['component', 'name', 'namespace', 'version', 'controlPlane', 'status', 'message']) assert.ok(keys.includes(k), k);
      const late = await ambient(['skew', '--now', '2026-11-27'], { kubeconfig: c.kubeconfig });
      assert.equal(late.code, 0);
      assert.match(late.stdout, /^istiod\s+istio-system\s+istiod-1-27-9\s+1\.27\.9\s+1-27-9 \(1\.27\.9\)\s+WARN\s+Istio 1\.27 reached end of life on 2026-04-07/m);
      const gate = await ambient(['skew', '--now', '2026-11-27', '--fail-on', 'warn'], { kubeconfig: c.kubeconfig });
      assert.equal(gate.code, 3);
      assert.match(gate.stderr, /^error: 2 finding\(s\) at warn or fail: istiod istiod-1-27-9, istiod istiod-1-28-10/);
    } finally {
      await c.close();
    }
  });

  it('ztunnel upgraded before the control plane fails with the fix, exit 3', async () => {
    const c = await startCluster([namespace('istio-system'), ...istiod('1.27.9'), ...tagObjects('1.27.9', 'default'), ...ztunnel('1.28.10').map((o) => JSON.parse(JSON.stringify(o).replaceAll('1-28-10', '1-27-9')) as typeof o), ...cni('1.27.9')]);
    try {
      const r = await ambient(['skew', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 3);
      assert.match(r.stdout, /^ztunnel\s+istio-system\s+ztunnel\s+1\.28\.10\s+1-27-9 \(1\.27\.9\)\s+FAIL\s+ztunnel istio-system\/ztunnel \(1\.28\.10\) is ahead of its control plane 1-27-9 \(1\.27\.9\): the control plane must be upgraded first/m);
      assert.match(r.stderr, /^error: 1 finding\(s\) failed: ztunnel ztunnel; see the MESSAGE column for the fix$/m);
    } finally {
      await c.close();
    }
  });

  for (const [k8s, status, code] of [['v1.30.2', 'warn', 0], ['v1.26.0', 'fail', 3]] as const) {
    it(`Istio 1.30 on Kubernetes ${k8s}: ${status}, exit ${code}`, async () => {
      const c = await startCluster([namespace('istio-system'), ...istiod('1.30.3')], { kubernetesVersion: k8s });
      try {
        const r = await ambient(['skew', '-o', 'json', '--now', '2026-06-01'], { kubeconfig: c.kubeconfig });
        assert.equal(r.code, code, r.stderr);
        const f = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find((x) => x.rule === 'kubernetes-support');
        assert.equal(f?.status, status);
      } finally {
        await c.close();
      }
    });
  }

  it('--target prints the runbook order with the steps already done', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const r = await ambient(['skew', '--target', '1.28.10', '-o', 'json', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { target: { revision: string }; steps: UpgradeStep[]; findings: Finding[] };
      assert.equal(plan.target.revision, '1-28-10');
      assert.deepEqual(plan.steps.map((s) => `${s.done ? 'done' : 'todo'} ${s.step}`), [
        'done upgrade the Istio CRDs (istio/base chart) to 1.28.10',
        'done install control-plane revision 1-28-10',
        'todo upgrade istio-cni to 1.28.10',
        'todo upgrade ztunnel to 1.28.10, pinned to 1-28-10',
        'done move tag canary to 1-28-10',
        'todo move tag prod to 1-28-10',
        'todo move tag default to 1-28-10',
        'todo remove control-plane revision 1-27-9 once nothing follows it',
      ]);
      const next = await ambient(['skew', '--target', '1.31.0', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.equal(next.code, 3, 'ztunnel and CNI on 1.27 are three minors behind 1.31');
      assert.match(next.stdout, /^ 2\. \[todo\] install control-plane revision 1-31-0$/m);
      assert.match(next.stdout, /1\.27\.9 -> 1\.31\.0 skips 3 minors; revision-based upgrades may skip at most one/);
    } finally {
      await c.close();
    }
  });
});
