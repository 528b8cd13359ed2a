/**
 * Every table and detail view of `revisions` and `tags`, through the CLI, on a terminal 80 and 120
 * columns wide and off a terminal, against golden files (test/golden; UPDATE_GOLDEN=1 rewrites
 * them). `mid-upgrade` for the layout, `large` (10,000 namespaces, 2,000 gateways) for the cuts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renderRevisionDetail, renderRevisions } from '../../src/cli/render/revisions.ts';
import { renderTagDetail, renderTags } from '../../src/cli/render/tags.ts';
import { renderFindings } from '../../src/cli/render/skew.ts';
import type { Finding } from '../../src/core/skew.ts';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import { ambient } from '../support/cli.ts';
import { assertGolden } from '../support/golden.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

const WIDTHS = [80, 120] as const;
const longest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

describe('tables and detail views: mid-upgrade', () => {
  let c: TestCluster;
  let now: Date;
  before(async () => {
    c = await startCluster('mid-upgrade');
    // AGE (-o wide) counts from the objects' creation, which is the simulator's start.
    now = new Date(Date.now() + 3 * 3600_000);
  });
  after(() => c.close());
  const run = (argv: string[], columns?: number) =>
    ambient(argv, { kubeconfig: c.kubeconfig, now, ...(columns !== undefined ? { columns } : {}) });

  for (const argv of [
    ['revisions'],
    ['revisions', '-o', 'wide'],
    ['tags'],
    ['tags', '-o', 'wide'],
    ['revisions', '1-27-9'],
    ['revisions', '1-28-10'],
    ['tags', 'prod'],
    ['tags', 'canary'],
    ['skew'],
    ['skew', '-o', 'wide'],
    ['skew', '--target', '1.28.10'],
  ]) {
    for (const width of WIDTHS) {
      it(`${argv.join(' ')} at ${width} columns`, async () => {
        const r = await run(argv, width);
        assert.equal(r.code, 0, r.stderr);
        assertGolden(`mid-upgrade/${argv.join('_').replace(/-o_/, '').replace(/--/g, '')}.${width}.txt`, r.stdout);
        // -o wide is everything, as in kubectl; the rest fits the terminal, but for what stays whole to be
        // copied: skew --target's commands, and a word longer than the line under a skew row.
        const text = r.stdout
          .split('\n')
          .filter((l) => !/^ {6}(helm|kubectl) /.test(l) && !/^ {4}\S+$/.test(l))
          .join('\n');
        if (!argv.includes('wide')) assert.ok(longest(text) <= width, `${longest(text)} columns:\n${r.stdout}`);
      });
    }
  }

  it('skew at 80 columns: the messages go under their rows, whole', async () => {
    const r = await run(['skew'], 80);
    assert.match(r.stdout, /^COMPONENT +NAMESPACE +NAME +VERSION +CONTROL PLANE +STATUS$/m);
    assert.match(
      r.stdout,
      /^istiod +istio-system +istiod-1-27-9 +1\.27\.9 +1-27-9 +WARN\n {4}Istio 1\.27 reached end of life on 2026-04-07: plan an upgrade$/m,
    );
    const words = (t: string): string => t.replace(/\s+/g, ' ');
    for (const f of (JSON.parse((await run(['skew', '-o', 'json'])).stdout) as { findings: { message: string }[] })
      .findings)
      assert.ok(words(r.stdout).includes(words(f.message)), f.message);
  });

  it('off a terminal the default tables are laid out in full, and fit 120 columns', async () => {
    for (const argv of [['revisions'], ['tags']]) {
      const r = await run(argv);
      assert.equal(r.stdout, (await run(argv, 1000)).stdout);
      assert.ok(longest(r.stdout) <= 120, `${argv.join(' ')}: ${longest(r.stdout)} columns`);
    }
  });

  it('json keeps every reason in full and the codes the table shows', async () => {
    const table = await run(['revisions'], 80);
    assert.doesNotMatch(table.stdout, /REASONS/);
    const json = JSON.parse((await run(['revisions', '-o', 'json'], 80)).stdout) as {
      revision: string;
      reasons: { code: string; message: string }[];
    }[];
    const old = json.find((v) => v.revision === '1-27-9');
    assert.deepEqual([...new Set(old?.reasons.map((r) => r.code))], ['tags', 'ns', 'pods', 'gw', 'ztunnel']);
    assert.ok(old?.reasons.every((r) => r.message.length > 20));
  });
});

describe('tables and detail views: large (long lists are cut with a count)', () => {
  let c: TestCluster;
  let revisions: RevisionView[];
  let tags: TagView[];
  let findings: Finding[];
  const now = new Date('2026-11-27T12:00:00Z');
  before(async () => {
    c = await startCluster('large');
    revisions = JSON.parse((await run(['revisions', '-o', 'json'])).stdout) as RevisionView[];
    tags = JSON.parse((await run(['tags', '-o', 'json'])).stdout) as TagView[];
    findings = (JSON.parse((await run(['skew', '-o', 'json'])).stdout) as { findings: Finding[] }).findings;
  });
  after(() => c.close());
  const run = (argv: string[], columns?: number) =>
    ambient(argv, { kubeconfig: c.kubeconfig, now, ...(columns !== undefined ? { columns } : {}) });

  // A run on `large` takes seconds: the CLI renders the detail views at 80 columns, the renderers
  // the rest from the same Views (what -o json printed).
  it('revisions 1-27-9 and tags prod through the CLI at 80 columns', async () => {
    for (const argv of [
      ['revisions', '1-27-9'],
      ['tags', 'prod'],
    ]) {
      const r = await run(argv, 80);
      assert.equal(r.code, 0, r.stderr);
      assertGolden(`large/${argv.join('_')}.80.txt`, r.stdout);
      assert.ok(longest(r.stdout) <= 80, `${longest(r.stdout)} columns`);
    }
  });

  for (const width of WIDTHS) {
    it(`every table and detail view at ${width} columns`, () => {
      const rc = { color: false, now, width };
      const out: [string, string][] = [
        ['revisions', renderRevisions(revisions, 'table', rc)],
        ['tags', renderTags(tags, 'table', rc)],
        [
          'revisions_1-27-9',
          renderRevisionDetail(revisions.find((v) => v.revision === '1-27-9') as RevisionView, 'table', rc),
        ],
        ['tags_prod', renderTagDetail(tags.find((v) => v.tag === 'prod') as TagView, 'table', rc)],
      ];
      for (const [name, text] of out) {
        assertGolden(`large/${name}.${width}.txt`, text);
        assert.ok(longest(text) <= width, `${name}: ${longest(text)} columns`);
      }
      // skew has a row per gateway and waypoint (2,000 here): the golden holds its head.
      const skew = renderFindings(findings, 'table', false, width);
      assertGolden(`large/skew.head.${width}.txt`, `${skew.split('\n').slice(0, 30).join('\n')}\n`);
      assert.ok(
        longest(
          skew
            .split('\n')
            .filter((l) => !/^ {4}\S+$/.test(l))
            .join('\n'),
        ) <= width,
        `skew: ${longest(skew)} columns`,
      );
      assert.ok(
        findings.length > 2000 && skew.split('\n').length > findings.length,
        `${findings.length} findings, ${skew.split('\n').length} lines`,
      );
    });
  }

  it('the detail views count what they cut; -o json and -o yaml keep every item', async () => {
    const prod = tags.find((v) => v.tag === 'prod') as TagView;
    const detail = renderTagDetail(prod, 'table', { color: false, now, width: 120 });
    assert.match(detail, /^Namespaces: +legacy, reviews, team-0, .*,\n {14}.*,\n {14}.*, \+1,9\d\d more$/m);
    assert.ok(detail.length < 2000, `${detail.length} characters`);
    assert.equal(prod.namespaces.length, 2002);
    const yaml = (await run(['tags', 'prod', '-o', 'yaml'])).stdout;
    assert.equal(yaml.split('\n').filter((l) => /^ {2}- team-\d+$/.test(l)).length, 2000);
    const rev = renderRevisionDetail(revisions.find((v) => v.revision === '1-27-9') as RevisionView, 'table', {
      color: false,
      now,
      width: 120,
    });
    assert.match(
      rev,
      /^ {2}- [\d,]+ more \[ns\], [\d,]+ more \[pods\], [\d,]+ more \[gw\]: "-o json" lists every reason$/m,
    );
    assert.ok(rev.split('\n').length < 80, `${rev.split('\n').length} lines`);
  });
});
