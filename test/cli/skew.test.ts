/**
 * `skew` through the real CLI entry point against simulated clusters built from the real Helm renders
 * (1.24.0, 1.25.5, 1.27.9, 1.28.10, 1.30.3; versions without a render are the nearest render re-stamped,
 * said where used): what the mesh is judged against, the findings, the exit code, the summary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/skew.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  ambientNamespace,
  cni,
  gateway,
  helmRender,
  istioCrds,
  istiod,
  namespace,
  proxyDeployment,
  restamp,
  revOf,
  tagObjects,
  withEnv,
  ztunnel,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';

const statusOf = (fs: Finding[]): string[] =>
  fs.map((f) => `${f.component}/${f.namespace}/${f.name}@${f.controlPlane ?? '-'}:${f.rule}:${f.status}`);

/** A one-revision ambient mesh of `v` as the runbook leaves it: CRDs, istiod, tags default and prod, ztunnel, CNI, a waypoint on prod. */
function mesh(v: string, o: { crds?: boolean } = {}): KubeObject[] {
  return [
    namespace('istio-system'),
    ...(o.crds === false ? [] : istioCrds(v)),
    ...istiod(v),
    ...tagObjects(v, 'default'),
    ...tagObjects(v, 'prod'),
    ...ztunnel(v),
    ...cni(v),
    ambientNamespace('bookinfo'),
    gateway({ name: 'waypoint', namespace: 'bookinfo', rev: 'prod' }),
    proxyDeployment({ name: 'waypoint', namespace: 'bookinfo' }, revOf(v), v),
  ];
}

async function skewJson(
  objects: KubeObject[],
  argv: string[] = [],
  k8s = 'v1.31.4',
): Promise<{ code: number; findings: Finding[]; stderr: string; stdout: string }> {
  const c = await startCluster(objects, { kubernetesVersion: k8s });
  try {
    const r = await ambient(['skew', '-o', 'json', ...argv], { kubeconfig: c.kubeconfig });
    return {
      code: r.code,
      findings: r.code === 0 || r.code === 3 ? (JSON.parse(r.stdout) as { findings: Finding[] }).findings : [],
      stderr: r.stderr,
      stdout: r.stdout,
    };
  } finally {
    await c.close();
  }
}

describe('skew', () => {
  it('mid-upgrade: every finding, exit 0 when only warnings; --fail-on warn exits 3', async () => {
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
        'crds//istio-crds@1-28-10:crd-version:ok',
        'ztunnel/istio-system/ztunnel@1-27-9:data-plane-skew:ok',
        'istio-cni/istio-system/istio-cni-node@1-27-9:data-plane-skew:ok',
        'istio-cni/istio-system/istio-cni-node@1-28-10:data-plane-skew:ok',
        'waypoint/bookinfo/waypoint@1-27-9:data-plane-skew:ok',
        'gateway/ingress/ingress@1-27-9:data-plane-skew:ok',
        'waypoint/orders/waypoint@1-27-9:data-plane-skew:ok',
        'waypoint/payments/waypoint@1-28-10:data-plane-skew:ok',
        'waypoint/reviews/waypoint@1-27-9:data-plane-skew:ok',
        // The scenario has no istiod-default-validator, and both revisions are < 1.31 (§5.4, #60110).
        'istiod/istio-system/istiod-1-27-9@1-27-9:hazard:no-validator-panic:warn',
      ]);
      const keys = Object.keys(findings[0] ?? {});
      for (const k of [
        'component',
        'name',
        'namespace',
        'version',
        'controlPlane',
        'controlPlaneVersion',
        'rule',
        'status',
        'message',
      ])
        assert.ok(keys.includes(k), k);
      assert.match(r.stderr, /^skew: 14 finding\(s\): 0 fail, 1 warn, 13 ok$/m);
      const late = await ambient(['skew', '--now', '2026-11-27'], { kubeconfig: c.kubeconfig });
      assert.equal(late.code, 0);
      assert.match(
        late.stdout,
        /^istiod\s+istio-system\s+istiod-1-27-9\s+1\.27\.9\s+1-27-9 \(1\.27\.9\)\s+WARN\s+Istio 1\.27 reached end of life on 2026-04-07/m,
      );
      const gate = await ambient(['skew', '--now', '2026-11-27', '--fail-on', 'warn'], { kubeconfig: c.kubeconfig });
      assert.equal(gate.code, 3);
      assert.match(
        gate.stderr,
        /^error: 3 finding\(s\) at warn or fail: istiod istiod-1-27-9 \(2\), istiod istiod-1-28-10; see the MESSAGE column for the fix$/m,
      );
    } finally {
      await c.close();
    }
  });

  it('ztunnel upgraded before the control plane fails with the fix, exit 3', async () => {
    const zt = ztunnel('1.28.10').map(
      (o) => JSON.parse(JSON.stringify(o).replaceAll('1-28-10', '1-27-9')) as KubeObject,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...istioCrds('1.27.9'),
      ...istiod('1.27.9'),
      ...tagObjects('1.27.9', 'default'),
      ...zt,
      ...cni('1.27.9'),
    ]);
    try {
      const r = await ambient(['skew', '--now', '2026-03-01'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 3);
      assert.match(
        r.stdout,
        /^ztunnel\s+istio-system\s+ztunnel\s+1\.28\.10\s+1-27-9 \(1\.27\.9\)\s+FAIL\s+ztunnel istio-system\/ztunnel \(1\.28\.10\) is ahead of its control plane 1-27-9 \(1\.27\.9\): the control plane must be upgraded first/m,
      );
      assert.match(r.stderr, /^error: 1 finding\(s\) failed: ztunnel ztunnel; see the MESSAGE column for the fix$/m);
    } finally {
      await c.close();
    }
  });

  it('ztunnel two minors behind its pin: the fix is the next minor, not the target (§5.3)', async () => {
    // 1.28.10 ztunnel pinned to a 1.30.3 istiod.
    const zt = ztunnel('1.28.10').map(
      (o) => JSON.parse(JSON.stringify(o).replaceAll('1-28-10', '1-30-3')) as KubeObject,
    );
    const { code, findings } = await skewJson(
      [
        namespace('istio-system'),
        ...istioCrds('1.30.3'),
        ...istiod('1.30.3'),
        ...tagObjects('1.30.3', 'default'),
        ...zt,
        ...cni('1.30.3'),
      ],
      [],
      'v1.33.2',
    );
    assert.equal(code, 3);
    const z = findings.find((f) => f.component === 'ztunnel');
    assert.equal(z?.status, 'fail');
    assert.match(
      z?.message ?? '',
      /is 2 minors behind its control plane 1-30-3 \(1\.30\.3\); at most 1 is supported: upgrade it one minor at a time \(§5\.3\): next 1\.29\.9$/,
    );
  });

  for (const [k8s, status, code] of [
    ['v1.30.2', 'warn', 0],
    ['v1.26.0', 'fail', 3],
  ] as const) {
    it(`Istio 1.30 on Kubernetes ${k8s}: ${status}, exit ${code}`, async () => {
      const r = await skewJson(
        [namespace('istio-system'), ...istioCrds('1.30.3'), ...istiod('1.30.3')],
        ['--now', '2026-06-01'],
        k8s,
      );
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.findings.find((x) => x.rule === 'kubernetes-support')?.status, status);
    });
  }
});

describe('skew: istio-cni is judged against the revisions in use (§5.3)', () => {
  it('a 1.25 mesh with an idle 1.31.0-rc.0 istiod: CNI is fine, the idle revision is a note', async () => {
    // The 1.31.0-rc.0 istiod is the 1.30.3 render re-stamped (no 1.31 render is held); nothing points at it.
    const idle = restamp(istiod('1.30.3'), '1.30.3', '1.31.0-rc.0');
    const { code, findings, stderr } = await skewJson([...mesh('1.25.5'), ...idle], [], 'v1.32.2');
    assert.equal(code, 0, stderr);
    const cniFindings = findings.filter((f) => f.component === 'istio-cni');
    assert.deepEqual(statusOf(cniFindings), ['istio-cni/istio-system/istio-cni-node@1-25-5:data-plane-skew:ok']);
    assert.ok(!findings.some((f) => /minors behind/.test(f.message)), 'no "minors behind" anywhere');
    const note = findings.find((f) => f.rule === 'idle-revision');
    assert.equal(note?.controlPlane, '1-31-0-rc-0');
    assert.equal(note?.status, 'ok');
    assert.match(
      note?.message ?? '',
      /^note: nothing in the data plane uses revision 1-31-0-rc-0 \(1\.31\.0-rc\.0\): istio-cni is not judged against it/,
    );
  });

  it('a revision held only by the default validator is not judged against: it serves no data plane', async () => {
    // The base chart's validator still on a 1.30 revision nothing else uses (§3.8): IN USE for removal, idle for CNI.
    const validator = restamp(helmRender('1.28.10', 'base-default-validator-rev-1-28-10.yaml'), '1.28.10', '1.30.3');
    const { code, findings, stderr } = await skewJson(
      [...mesh('1.28.10'), ...istiod('1.30.3'), ...validator],
      [],
      'v1.32.2',
    );
    assert.equal(code, 0, stderr);
    assert.deepEqual(statusOf(findings.filter((f) => f.component === 'istio-cni' && f.rule === 'data-plane-skew')), [
      'istio-cni/istio-system/istio-cni-node@1-28-10:data-plane-skew:ok',
    ]);
    assert.equal(findings.find((f) => f.rule === 'idle-revision')?.controlPlane, '1-30-3');
  });

  it('a waypoint labelled with a 1.30 revision puts 1.30 in use: a 1.28 CNI is two minors behind it; without it, fine', async () => {
    const base = [...mesh('1.28.10'), ...istiod('1.30.3')];
    const pinned = [
      ambientNamespace('payments'),
      gateway({ name: 'waypoint', namespace: 'payments', rev: '1-30-3' }),
      proxyDeployment({ name: 'waypoint', namespace: 'payments' }, '1-30-3', '1.30.3'),
    ];
    const withIt = await skewJson([...base, ...pinned], [], 'v1.32.2');
    assert.equal(withIt.code, 3);
    assert.deepEqual(statusOf(withIt.findings.filter((f) => f.component === 'istio-cni')), [
      'istio-cni/istio-system/istio-cni-node@1-28-10:data-plane-skew:ok',
      'istio-cni/istio-system/istio-cni-node@1-30-3:data-plane-skew:fail',
    ]);
    assert.match(
      withIt.findings.find((f) => f.component === 'istio-cni' && f.status === 'fail')?.message ?? '',
      /is 2 minors behind its control plane 1-30-3 \(1\.30\.3\); at most 1 is supported: upgrade it one minor at a time \(§5\.3\): next 1\.29\.9/,
    );
    const without = await skewJson(base, [], 'v1.32.2');
    assert.equal(without.code, 0, without.stderr);
    assert.deepEqual(statusOf(without.findings.filter((f) => f.component === 'istio-cni')), [
      'istio-cni/istio-system/istio-cni-node@1-28-10:data-plane-skew:ok',
    ]);
  });
});

describe('skew: the CRDs are read from their labels (§4.3)', () => {
  const cases: [string, KubeObject[], 'ok' | 'warn', RegExp][] = [
    [
      '1.24+ Helm labels at the revision',
      istioCrds('1.28.10'),
      'ok',
      /^the Istio CRDs are at 1\.28\.10, not older than 1-28-10 \(1\.28\.10\)$/,
    ],
    [
      'older than the revision',
      istioCrds('1.27.9'),
      'warn',
      /^the Istio CRDs are at 1\.27\.9, older than 1-28-10 \(1\.28\.10\): upgrade them first \(helm upgrade istio-base istio\/base -n istio-system --version 1\.28\.10 --reuse-values\)$/,
    ],
    [
      'static labels only (<=1.23 chart or by hand)',
      istioCrds('1.28.10', 'legacy'),
      'warn',
      /cannot tell whether the CRDs match 1-28-10 \(1\.28\.10\): no Istio CRD carries a version label/,
    ],
    [
      'none',
      [],
      'warn',
      /^no Istio CRDs found \(none labelled app\.kubernetes\.io\/part-of=istio or chart=istio\): istiod needs them/,
    ],
  ];
  for (const [name, crds, status, message] of cases) {
    it(`${name}: ${status}`, async () => {
      const { findings } = await skewJson([...mesh('1.28.10', { crds: false }), ...crds]);
      const f = findings.find((x) => x.rule === 'crd-version');
      assert.equal(f?.status, status);
      assert.match(f?.message ?? '', message);
    });
  }
});

describe('skew: CRDs RBAC refuses to list', () => {
  it('skew still runs: the CRD finding warns why, the --target step is unknown; exit 0', async () => {
    const c = await startCluster(mesh('1.28.10'), { kubernetesVersion: 'v1.32.2' });
    try {
      c.sim.forbid({ resource: 'customresourcedefinitions' });
      const r = await ambient(['skew', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const f = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find((x) => x.rule === 'crd-version');
      assert.equal(f?.status, 'warn');
      assert.match(
        f?.message ?? '',
        /^cannot tell the version of the Istio CRDs: they could not be listed \(.*customresourcedefinitions.*forbidden/,
      );
      const p = await ambient(['skew', '--target', '1.29.9', '-o', 'json'], { kubeconfig: c.kubeconfig });
      const step = (JSON.parse(p.stdout) as { steps: { status: string; notes: string[] }[] }).steps[0];
      assert.equal(step?.status, 'unknown');
      assert.match(step?.notes[0] ?? '', /^the CRDs could not be listed: /);
    } finally {
      await c.close();
    }
  });
});

describe('skew: hazards of the mesh as it is (§5.4), end to end', () => {
  it('tag-labelled waypoint on istiod 1.24.0 (< 1.24.3): FAIL; on 1.27.9: silent', async () => {
    const r = await skewJson(mesh('1.24.0'));
    assert.equal(r.code, 3);
    const hit = r.findings.find((f) => f.rule === 'hazard:tag-labelled-gateways');
    assert.equal(hit?.status, 'fail');
    assert.match(
      hit?.message ?? '',
      /^revision 1-24-0 \(1\.24\.0\) in <1\.24\.3: Gateways and waypoints labelled with a tag are not programmed by istiod before 1\.24\.3 \(1 gateway\(s\)\/waypoint\(s\)\); label them with the revision itself/,
    );
    const later = await skewJson(mesh('1.27.9'));
    assert.equal(
      later.findings.find((f) => f.rule === 'hazard:tag-labelled-gateways'),
      undefined,
    );
  });

  it('dry-run AuthorizationPolicy flag on a 1.30 istiod with a 1.28 ztunnel pinned to it: FAIL; unset, or ztunnel 1.29+: silent', async () => {
    const zt128 = ztunnel('1.28.10').map(
      (o) => JSON.parse(JSON.stringify(o).replaceAll('1-28-10', '1-30-3')) as KubeObject,
    );
    const objects = (istiodObjects: KubeObject[], zt: KubeObject[]): KubeObject[] => [
      namespace('istio-system'),
      ...istioCrds('1.30.3'),
      ...istiodObjects,
      ...tagObjects('1.30.3', 'default'),
      ...zt,
      ...cni('1.30.3'),
    ];
    const flagged = withEnv(istiod('1.30.3'), 'AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY', 'true');
    const on = await skewJson(objects(flagged, zt128), [], 'v1.33.2');
    const hit = on.findings.find((f) => f.rule === 'hazard:dry-run-authz-enforced');
    assert.equal(hit?.status, 'fail');
    assert.match(
      hit?.message ?? '',
      /enforces dry-run AuthorizationPolicies; upgrade that ztunnel to 1\.29 or later before pinning it there/,
    );
    const off = await skewJson(objects(istiod('1.30.3'), zt128), [], 'v1.33.2');
    assert.equal(
      off.findings.find((f) => f.rule === 'hazard:dry-run-authz-enforced'),
      undefined,
    );
    const newZt = await skewJson(objects(flagged, ztunnel('1.30.3')), [], 'v1.33.2');
    assert.equal(
      newZt.findings.find((f) => f.rule === 'hazard:dry-run-authz-enforced'),
      undefined,
    );
  });
});

describe('skew: gateways of every Istio class (§3.11)', () => {
  it('an agentgateway on an old proxy is judged like any gateway: two minors behind fails', async () => {
    const gw = { name: 'edge', namespace: 'edge', className: 'istio-agentgateway', rev: 'prod' };
    const { code, findings } = await skewJson(
      [...mesh('1.30.3'), namespace('edge'), gateway(gw), proxyDeployment(gw, '1-30-3', '1.28.10')],
      [],
      'v1.33.2',
    );
    assert.equal(code, 3);
    const f = findings.find((x) => x.namespace === 'edge');
    assert.equal(`${f?.component ?? ''} ${f?.name ?? ''} ${f?.status ?? ''}`, 'gateway edge fail');
    assert.match(
      f?.message ?? '',
      /^gateway edge\/edge \(1\.28\.10\) is 2 minors behind its control plane 1-30-3 \(1\.30\.3\)/,
    );
  });
});
