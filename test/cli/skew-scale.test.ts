/**
 * `skew` at 10,000 namespaces and 2,000 gateways/waypoints (the `large` scenario): a one-line summary
 * on stderr counting every finding, `--only problems` printing only what is not OK, `-o json` the
 * full list, unchanged by the summary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Finding } from '../../src/core/skew.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

describe('skew at 10,000 namespaces', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('large', { istiod: false })));
  after(async () => c.close());

  it('summary on stderr, --only problems on stdout, -o json unchanged', async () => {
    const json = await ambient(['skew', '-o', 'json'], { kubeconfig: c.kubeconfig });
    assert.equal(json.code, 0, json.stderr);
    const { findings } = JSON.parse(json.stdout) as { findings: Finding[] };
    // 2 revisions x (Kubernetes, end of life), CRDs, ztunnel, CNI x 2 revisions in use, 2,005 gateways/waypoints, 1 hazard.
    assert.equal(findings.length, 2014);
    const count = (s: string): number => findings.filter((f) => f.status === s).length;
    assert.deepEqual([count('fail'), count('warn'), count('ok')], [0, 3, 2011]);
    assert.equal(json.stderr, 'skew: 2014 finding(s): 0 fail, 3 warn, 2011 ok\n');

    const only = await ambient(['skew', '--only', 'problems'], { kubeconfig: c.kubeconfig });
    assert.equal(only.code, 0, only.stderr);
    const rows = only.stdout.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^COMPONENT\s+NAMESPACE\s+NAME\s+VERSION\s+CONTROL PLANE\s+STATUS\s+MESSAGE$/);
    assert.deepEqual(
      rows.slice(1).map((r) => /\s(OK|WARN|FAIL)\s/.exec(r)?.[1]),
      ['WARN', 'WARN', 'WARN'],
    );
    assert.equal(only.stderr, 'skew: 2014 finding(s): 0 fail, 3 warn, 2011 ok\n');

    const onlyJson = await ambient(['skew', '--only', 'problems', '-o', 'json'], { kubeconfig: c.kubeconfig });
    const filtered = (JSON.parse(onlyJson.stdout) as { findings: Finding[] }).findings;
    assert.deepEqual(
      filtered,
      findings.filter((f) => f.status !== 'ok'),
      'same objects, same keys: only the OK ones left out',
    );

    const fails = await ambient(['skew', '--only', 'fail'], { kubeconfig: c.kubeconfig });
    assert.equal(fails.stdout, '', 'nothing fails: no table at all');
    assert.match(fails.stderr, /^skew: 2014 finding\(s\): 0 fail/);
  });
});
