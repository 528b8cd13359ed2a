/**
 * `skew --target` through the real CLI entry point: the accepted forms and each refusal with its exit
 * code, the multi-step node-agent plan (§5.3), each step's status read from the cluster (CRD labels,
 * istiod readiness, DaemonSet images, tags, proxies), Helm commands that keep the release's values
 * (§1.5), planned hazards (§5.4), and tag-move's forward-jump warning.
 * Clusters are the real Helm renders of 1.27.9, 1.28.10 and 1.30.3; 1.29.9 has no render, so the
 * 1.28.10 chart re-stamped stands in where a cluster must run it (said at each use).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Finding, UpgradeStep } from '../../src/core/skew.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  ambientNamespace,
  cni,
  gateway,
  istioCrds,
  istiod,
  namespace,
  neverReady,
  proxyDeployment,
  restamp,
  revOf,
  tagObjects,
  ztunnel,
} from '../support/builders.ts';
import { ambient, type CliResult } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

interface PlanJson {
  target: { version: string; revision: string };
  findings: Finding[];
  steps: UpgradeStep[];
}

/** A one-revision ambient mesh of `v`: CRDs, istiod, tags default and prod, ztunnel, CNI, a waypoint on prod. */
function mesh(v: string, o: { crds?: KubeObject[] } = {}): KubeObject[] {
  return [
    namespace('istio-system'),
    ...(o.crds ?? istioCrds(v)),
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

const lines = (steps: UpgradeStep[]): string[] => steps.map((s) => `${s.status} ${s.step}`);

async function withCluster<T>(objects: KubeObject[], fn: (c: TestCluster) => Promise<T>, k8s = 'v1.32.2'): Promise<T> {
  const c = await startCluster(objects, { kubernetesVersion: k8s });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

const plan = (r: CliResult): PlanJson => JSON.parse(r.stdout) as PlanJson;

describe('skew --target: 1.27 -> 1.29, node agents one minor per step (§5.3)', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster(mesh('1.27.9'), { kubernetesVersion: 'v1.31.4' })));
  after(async () => c.close());

  it('the runbook order with ztunnel and CNI through 1.28.10, istiod jumping to 1.29.9', async () => {
    const r = await ambient(['skew', '--target', '1.29', '-o', 'json'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const p = plan(r);
    assert.deepEqual(p.target, { version: '1.29.9', revision: '1-29-9' });
    assert.deepEqual(lines(p.steps), [
      'todo upgrade the Istio CRDs (istio/base chart) to 1.29.9',
      'todo install control-plane revision 1-29-9',
      'todo upgrade istio-cni to 1.28.10',
      'todo upgrade ztunnel to 1.28.10, pinned to 1-29-9',
      'todo upgrade istio-cni to 1.29.9',
      'todo upgrade ztunnel to 1.29.9, pinned to 1-29-9',
      'todo move tag prod to 1-29-9',
      'todo move tag default to 1-29-9',
      'todo gateways and waypoints run 1-29-9',
      'todo remove control-plane revision 1-27-9',
    ]);
    assert.deepEqual(
      p.steps.map((s) => s.command),
      [
        'helm upgrade istio-base istio/base -n istio-system --version 1.29.9 --reuse-values',
        'helm install istiod-1-29-9 istio/istiod -n istio-system --version 1.29.9 -f istiod-values.yaml --set revision=1-29-9 --set profile=ambient --wait',
        'helm upgrade istio-cni istio/cni -n istio-system --version 1.28.10 --reuse-values --set profile=ambient --wait',
        'helm upgrade ztunnel istio/ztunnel -n istio-system --version 1.28.10 --reuse-values --set revision=1-29-9 --wait',
        'helm upgrade istio-cni istio/cni -n istio-system --version 1.29.9 --reuse-values --set profile=ambient --wait',
        'helm upgrade ztunnel istio/ztunnel -n istio-system --version 1.29.9 --reuse-values --set revision=1-29-9 --wait',
        'kubectl ambient tag-move prod 1-29-9',
        'kubectl ambient tag-move default 1-29-9',
        'kubectl ambient revisions 1-29-9',
        'helm uninstall istiod-1-27-9 -n istio-system',
      ],
    );
    // §1.5: Helm 4 needs --force-conflicts on the base chart; the new istiod gets your values.
    assert.ok(
      p.steps[0]?.notes.includes('Helm 4: add --force-conflicts (server-side apply; Helm 3 has no such flag) (§1.5)'),
    );
    assert.match(p.steps[1]?.notes.join('\n') ?? '', /istiod-values\.yaml: your istiod values, without revisionTags/);
    // Not done while in use: the verdict of usage.ts (§3.7), its reasons and fixes.
    assert.equal(p.steps[9]?.notes[0], 'still in use (§3.7): tag objects 2, gateways/waypoints 1, ztunnel 1');
    assert.match(
      p.steps[9]?.notes[1] ?? '',
      /^tag default: webhook istio-revision-tag-default points at it.*\(fix: move the tag: kubectl ambient tag-move default <revision>\)$/,
    );
    const rules = p.findings.map((f) => `${f.rule}:${f.status}`);
    assert.ok(rules.includes('upgrade-jump:warn'), rules.join(' '));
    assert.ok(rules.includes('plan-window:warn'), rules.join(' '));
    assert.match(
      p.findings.find((f) => f.rule === 'upgrade-jump')?.message ?? '',
      /^1\.27\.9 -> 1\.29\.9 moves 2 minors forward: istiod revisions may jump two minors, but ztunnel and istio-cni must follow one minor at a time/,
    );
    assert.match(r.stderr, /^note: 1\.29 means 1\.29\.9, its latest patch in the support table \(as of 2026-10-15\)$/m);
    assert.match(
      r.stderr,
      /^skew: \d+ finding\(s\): 0 fail, \d+ warn, \d+ ok; next: step 1 of 10, upgrade the Istio CRDs \(istio\/base chart\) to 1\.29\.9$/m,
    );
  });

  it('the table prints done steps on one line and todo steps with their command and notes', async () => {
    const r = await ambient(['skew', '--target', '1.29.9'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Upgrade to 1\.29\.9 \(revision 1-29-9\), in this order:\n 1\. \[todo\] upgrade the Istio CRDs \(istio\/base chart\) to 1\.29\.9\n {6}helm upgrade istio-base istio\/base -n istio-system --version 1\.29\.9 --reuse-values\n {6}- the Istio CRDs are at 1\.27\.9\n {6}- Helm 4: add --force-conflicts/m,
    );
    assert.match(
      r.stdout,
      /^ 4\. \[todo\] upgrade ztunnel to 1\.28\.10, pinned to 1-29-9\n {6}helm upgrade ztunnel istio\/ztunnel -n istio-system --version 1\.28\.10 --reuse-values --set revision=1-29-9 --wait\n {6}- one minor per step \(§5\.3\): 1\.28\.10 on the way to 1\.29\.9$/m,
    );
  });
});

describe('skew --target: every step is read from the cluster', () => {
  it('1.28 -> 1.30 half-way: CRDs and istiod done, CNI at 1.29 done, ztunnel next; CRDs do not follow the revision', async () => {
    // istio-cni 1.29.9 is the 1.28.10 chart re-stamped (no 1.29 render is held).
    const objects = [
      ...mesh('1.28.10', { crds: istioCrds('1.30.3') }).filter(
        (o) => o.kind !== 'DaemonSet' || o.metadata.name !== 'istio-cni-node',
      ),
      ...restamp(cni('1.28.10'), '1.28.10', '1.29.9'),
      ...istiod('1.30.3'),
    ];
    const r = await withCluster(objects, (c) =>
      ambient(['skew', '--target', '1.30.3', '-o', 'json'], { kubeconfig: c.kubeconfig }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(plan(r).steps), [
      'done upgrade the Istio CRDs (istio/base chart) to 1.30.3',
      'done install control-plane revision 1-30-3',
      'done upgrade istio-cni to 1.29.9',
      'todo upgrade ztunnel to 1.29.9, pinned to 1-30-3',
      'todo upgrade istio-cni to 1.30.3',
      'todo upgrade ztunnel to 1.30.3, pinned to 1-30-3',
      'todo move tag prod to 1-30-3',
      'todo move tag default to 1-30-3',
      'todo gateways and waypoints run 1-30-3',
      'todo remove control-plane revision 1-28-10',
    ]);
    assert.match(r.stderr, /; next: step 4 of 10, upgrade ztunnel to 1\.29\.9, pinned to 1-30-3$/m);
    // The same cluster with the CRDs still at 1.28.10: the installed revision does not make them done.
    const old = objects.filter((o) => o.kind !== 'CustomResourceDefinition').concat(istioCrds('1.28.10'));
    const r2 = await withCluster(old, (c) =>
      ambient(['skew', '--target', '1.30.3', '-o', 'json'], { kubeconfig: c.kubeconfig }),
    );
    assert.deepEqual(lines(plan(r2).steps).slice(0, 2), [
      'todo upgrade the Istio CRDs (istio/base chart) to 1.30.3',
      'done install control-plane revision 1-30-3',
    ]);
  });

  it('an installed revision that is not ready: "wait for istiod-X", not "install"', async () => {
    const r = await withCluster(
      [...mesh('1.28.10', { crds: istioCrds('1.30.3') }), ...neverReady(istiod('1.30.3'))],
      (c) => ambient(['skew', '--target', '1.30.3', '-o', 'json'], { kubeconfig: c.kubeconfig }),
    );
    assert.equal(r.code, 0, r.stderr);
    const s = plan(r).steps[1];
    assert.equal(s?.status, 'todo');
    assert.equal(s?.step, 'wait for istiod-1-30-3 to become ready (0/1)');
    assert.equal(s?.command, 'kubectl rollout status deployment/istiod-1-30-3 -n istio-system');
  });

  const crdCases: [string, KubeObject[], string, RegExp][] = [
    ['Helm labels at the target', istioCrds('1.30.3'), 'done', /^the Istio CRDs are at 1\.30\.3$/],
    ['Helm labels below the target', istioCrds('1.28.10'), 'todo', /^the Istio CRDs are at 1\.28\.10$/],
    [
      'static labels, no 1.30 schema marker',
      istioCrds('1.28.10', 'legacy'),
      'todo',
      /^trafficextensions\.extensions\.istio\.io \(new in 1\.30\.0\) is missing: the CRDs predate 1\.30$/,
    ],
    [
      'static labels with the 1.30 schema marker',
      istioCrds('1.30.3', 'legacy'),
      'unknown',
      /^no Istio CRD carries a version label \(installed by the <=1\.23 chart or by hand\): their version cannot be read$/,
    ],
    [
      'one CRD without a label among versioned ones',
      [
        ...istioCrds('1.30.3').filter((o) => o.metadata.name !== 'telemetries.telemetry.istio.io'),
        ...istioCrds('1.30.3', 'legacy', { only: ['telemetries.telemetry.istio.io'] }),
      ],
      'unknown',
      /^1 of 15 Istio CRDs carry no version label/,
    ],
    ['no Istio CRDs', [], 'todo', /^no Istio CRDs found/],
  ];
  for (const [name, crds, status, reason] of crdCases) {
    it(`CRD step from the CRD labels: ${name} -> ${status}`, async () => {
      const r = await withCluster([...mesh('1.28.10', { crds }), ...istiod('1.30.3')], (c) =>
        ambient(['skew', '--target', '1.30.3', '-o', 'json'], { kubeconfig: c.kubeconfig }),
      );
      assert.equal(r.code, 0, r.stderr);
      const s = plan(r).steps[0];
      assert.equal(s?.status, status);
      assert.equal(s?.done, status === 'done');
      assert.match(s?.notes[0] ?? '', reason);
    });
  }

  it('static-labelled CRDs going to 1.24+: the step says to adopt them into istio-base first', async () => {
    const r = await withCluster(
      [...mesh('1.28.10', { crds: istioCrds('1.28.10', 'legacy') }), ...istiod('1.30.3')],
      (c) => ambient(['skew', '--target', '1.30.3'], { kubeconfig: c.kubeconfig }),
    );
    assert.match(
      r.stdout,
      /- CRDs not installed by Helm: adopt them into istio-base first: kubectl label crds -l chart=istio app\.kubernetes\.io\/managed-by=Helm && kubectl annotate crds -l chart=istio meta\.helm\.sh\/release-name=istio-base meta\.helm\.sh\/release-namespace=istio-system/,
    );
  });
});

describe('skew --target: what is accepted, and each refusal with its exit code', () => {
  let mid: TestCluster;
  let one: TestCluster;
  before(async () => {
    mid = await startCluster('mid-upgrade');
    one = await startCluster(mesh('1.28.10'), { kubernetesVersion: 'v1.32.2' });
  });
  after(async () => {
    await mid.close();
    await one.close();
  });

  const accepted: [string, string, string, RegExp | undefined][] = [
    ['a released version', '1.29.6', '1.29.6 1-29-6', undefined],
    ['a version with a v', 'v1.29.6', '1.29.6 1-29-6', undefined],
    [
      'a minor: its latest known patch, said so',
      '1.29',
      '1.29.9 1-29-9',
      /^note: 1\.29 means 1\.29\.9, its latest patch in the support table \(as of 2026-10-15\)$/m,
    ],
    ['an installed revision', '1-28-10', '1.28.10 1-28-10', undefined],
    ['a version that is installed', '1.28.10', '1.28.10 1-28-10', undefined],
    ['a pre-release', '1.31.0-rc.0', '1.31.0-rc.0 1-31-0-rc-0', undefined],
  ];
  for (const [what, target, want, note] of accepted) {
    it(`accepts ${what}: ${target}`, async () => {
      const r = await ambient(['skew', '--target', target, '-o', 'json'], { kubeconfig: one.kubeconfig });
      assert.ok(r.code === 0 || r.code === 3, r.stderr);
      const p = plan(r);
      assert.equal(`${p.target.version} ${p.target.revision}`, want);
      if (note !== undefined) assert.match(r.stderr, note);
    });
  }

  it('1.28 on a 1.28.10 mesh is 1-28-10 itself: nothing to remove, every step done', async () => {
    const r = await ambient(['skew', '--target', '1.28', '-o', 'json'], { kubeconfig: one.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const p = plan(r);
    assert.equal(p.target.revision, '1-28-10');
    assert.ok(!p.steps.some((s) => s.step.includes('remove control-plane revision 1-28-10')));
    assert.deepEqual(
      p.steps.filter((s) => s.status !== 'done').map((s) => s.step),
      [],
    );
    assert.match(r.stderr, /; all 8 steps done$/m);
  });

  it('1.28 on mid-upgrade: 1-28-10 is the target, 1-27-9 is the one removed', async () => {
    const p = plan(await ambient(['skew', '--target', '1.28', '-o', 'json'], { kubeconfig: mid.kubeconfig }));
    assert.equal(p.target.revision, '1-28-10');
    assert.deepEqual(
      p.steps.filter((s) => s.step.startsWith('remove')).map((s) => s.step),
      ['remove control-plane revision 1-27-9'],
    );
  });

  it('a pre-release target warns (a forward move onto a pre-release, §5.1)', async () => {
    const p = plan(await ambient(['skew', '--target', '1.31.0-rc.0', '-o', 'json'], { kubeconfig: one.kubeconfig }));
    const jump = p.findings.find((f) => f.rule === 'upgrade-jump');
    assert.equal(jump?.status, 'fail', 'three minors from 1.28');
    const c = await startCluster(mesh('1.30.3'), { kubernetesVersion: 'v1.33.2' });
    try {
      const q = plan(await ambient(['skew', '--target', '1.31.0-rc.0', '-o', 'json'], { kubeconfig: c.kubeconfig }));
      const f = q.findings.find((x) => x.rule === 'upgrade-jump');
      assert.equal(f?.status, 'warn');
      assert.match(f?.message ?? '', /1\.31\.0-rc\.0 is a pre-release: not for production/);
    } finally {
      await c.close();
    }
  });

  it('a minor outside the support table: said once, with where to check', async () => {
    const c = await startCluster(mesh('1.30.3'), { kubernetesVersion: 'v1.33.2' });
    try {
      const r = await ambient(['skew', '--target', '1.32.0', '-o', 'json'], { kubeconfig: c.kubeconfig });
      const outside = plan(r).findings.filter((f) => /not in the support table/.test(f.message));
      assert.equal(outside.length, 1);
      assert.equal(outside[0]?.rule, 'support-data');
      assert.match(
        outside[0]?.message ?? '',
        /^Istio 1\.32 is not in the support table \(data as of 2026-10-15\): check its Kubernetes range and end of life at https:\/\/istio\.io\/latest\/docs\/releases\/supported-releases\/$/,
      );
    } finally {
      await c.close();
    }
  });

  const refused: [string, string[], number, RegExp][] = [
    [
      'not a version',
      ['--target', 'banana'],
      65,
      /^error: --target "banana" is not a version, a minor or an installed revision; use a released version \(1\.29\.6\), a minor \(1\.29, meaning its latest known patch\) or an installed revision \(installed: 1-27-9, 1-28-10\)$/m,
    ],
    ['empty', ['--target', ''], 65, /^error: --target is empty; use a released version/m],
    ['four numbers', ['--target', '1.29.6.1'], 65, /^error: --target "1\.29\.6\.1" is not a version/m],
    [
      'another major (not a downgrade)',
      ['--target', '2.0.0'],
      65,
      /^error: --target 2\.0\.0 is not an Istio 1\.x release: the skew rules and support data cover Istio 1\.x \(newest known: 1\.31\.0\)/m,
    ],
    [
      'a minor with no known patch',
      ['--target', '1.33'],
      65,
      /^error: no patch release of Istio 1\.33 is known \(support data as of 2026-10-15\); give the full version, e.g\. 1\.33\.0/m,
    ],
    [
      'older than a revision in use',
      ['--target', '1.27.9'],
      65,
      /^error: --target 1\.27\.9 is a downgrade: 1\.27\.9 is older than revision 1-28-10 \(1\.28\.10, in use\); skew plans upgrades only; to go back, move tags with "kubectl ambient tag-rollback <tag>"$/m,
    ],
    [
      'an installed revision older than one in use',
      ['--target', '1-27-9'],
      65,
      /^error: --target 1-27-9 \(1\.27\.9\) is a downgrade: 1\.27\.9 is older than revision 1-28-10 \(1\.28\.10, in use\)/m,
    ],
    [
      'older than ztunnel',
      ['--target', '1.26.8'],
      65,
      /is a downgrade: 1\.26\.8 is older than revision 1-27-9 \(1\.27\.9, in use\), revision 1-28-10 \(1\.28\.10, in use\), ztunnel istio-system\/ztunnel \(1\.27\.9\), istio-cni istio-system\/istio-cni-node \(1\.27\.9\)/m,
    ],
  ];
  for (const [what, argv, code, stderr] of refused) {
    it(`refuses ${what}: exit ${code}`, async () => {
      const r = await ambient(['skew', ...argv], { kubeconfig: mid.kubeconfig });
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, stderr);
      assert.doesNotMatch(r.stderr, /this is a bug/);
      assert.equal(r.stdout, '');
      if (what.startsWith('another major')) assert.doesNotMatch(r.stderr, /downgrade/);
    });
  }

  it('more than two minors forward: fails the plan (exit 3) with the step to take first', async () => {
    const r = await ambient(['skew', '--target', '1.31.0'], { kubeconfig: mid.kubeconfig });
    assert.equal(r.code, 3);
    assert.match(
      r.stdout,
      /1\.27\.9 -> 1\.31\.0 skips 3 minors; revision-based upgrades may skip at most one: upgrade to 1\.29 first/,
    );
  });
});

describe('skew --target: hazards of the upgrade (§5.4) fire inside their ranges only', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster(mesh('1.28.10'), { kubernetesVersion: 'v1.32.2' })));
  after(async () => c.close());

  const rulesFor = async (target: string): Promise<string[]> =>
    plan(await ambient(['skew', '--target', target, '-o', 'json'], { kubeconfig: c.kubeconfig })).findings.map(
      (f) => f.rule,
    );
  const cases: [string, string, string, boolean][] = [
    ['istio-cni crosses into 1.30', 'hazard:cni-exclude-namespaces', '1.30.3', true],
    ['istio-cni stays below 1.30', 'hazard:cni-exclude-namespaces', '1.29.9', false],
    ['installing 1.29.6 (webhook ready late)', 'hazard:webhook-not-ready', '1.29.6', true],
    ['installing 1.29.7 (fixed)', 'hazard:webhook-not-ready', '1.29.7', false],
    ['installing 1.30.3', 'hazard:gateway-deployment-at-start', '1.30.3', true],
    ['installing 1.30.4 (fixed)', 'hazard:gateway-deployment-at-start', '1.30.4', false],
    ['tags leave 1.28.10 (empty config window)', 'hazard:empty-config-on-move', '1.29.9', true],
    ['TLSRoute minimum from 1.30', 'hazard:gateway-api-tlsroute-minimum', '1.30.3', true],
    ['TLSRoute minimum below 1.30', 'hazard:gateway-api-tlsroute-minimum', '1.29.9', false],
    ['TLSRoute windows: 1.28.10 and 1.30 in use together', 'hazard:gateway-api-tlsroute-windows', '1.30.3', true],
    ['TLSRoute windows: 1.28.10 and 1.29 share one', 'hazard:gateway-api-tlsroute-windows', '1.29.9', false],
    ['gRPC limit: 1.29.7 and later', 'hazard:wds-reconnect-limit', '1.29.7', true],
    ['gRPC limit: 1.29.6', 'hazard:wds-reconnect-limit', '1.29.6', false],
  ];
  for (const [what, rule, target, fires] of cases) {
    it(`${what}: ${rule} ${fires ? 'fires' : 'is silent'} for --target ${target}`, async () => {
      assert.equal((await rulesFor(target)).includes(rule), fires);
    });
  }
});

describe('tag-move warns on a forward move of more than one minor or onto a pre-release', () => {
  it('prod from 1.28.10 to 1.30.3 and to a 1.31.0-rc.0 revision (1.30.3 chart re-stamped)', async () => {
    const objects = [...mesh('1.28.10'), ...istiod('1.30.3'), ...restamp(istiod('1.30.3'), '1.30.3', '1.31.0-rc.0')];
    await withCluster(objects, async (c) => {
      const two = await ambient(['tag-move', 'prod', '1-30-3', '--dry-run'], { kubeconfig: c.kubeconfig });
      assert.equal(two.code, 0, two.stderr);
      assert.match(
        two.stderr,
        /tag prod: 1\.28\.10 -> 1\.30\.3 moves 2 minors forward: istiod revisions may jump two minors, but ztunnel and istio-cni must follow one minor at a time/,
      );
      const rc = await ambient(['tag-move', 'prod', '1-31-0-rc-0', '--dry-run'], { kubeconfig: c.kubeconfig });
      assert.match(rc.stderr, /tag prod: .*1\.31\.0-rc\.0 is a pre-release: not for production/);
      const back = await ambient(['tag-move', 'canary', '1-30-3', '--create', '--dry-run'], {
        kubeconfig: c.kubeconfig,
      });
      assert.doesNotMatch(back.stderr, /moves \d minors forward|pre-release/);
    });
  });
});
