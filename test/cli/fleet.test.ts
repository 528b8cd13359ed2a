/**
 * Fleet mode: `revisions` and `tags` over several simulated clusters in one kubeconfig (merged from
 * KUBECONFIG like kubectl), plus a context whose server is unreachable and one whose user may read
 * nothing. Asserts tables, JSON, the summary, exit codes and the requests each cluster received.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import { ambient } from '../support/cli.ts';
import { assertGolden } from '../support/golden.ts';
import { closedPort } from '../support/ports.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

describe('fleet mode: --contexts and --all-contexts', () => {
  const clusters: Record<string, TestCluster> = {};
  let kubeconfigs = '';
  before(async () => {
    clusters['prod-eu'] = await startCluster('mid-upgrade');
    clusters['prod-us'] = await startCluster('fresh');
    clusters['staging'] = await startCluster('mid-upgrade', {
      tokens: { 'admin-token': 'admin', 'locked-token': 'locked-user' },
    });
    const files: string[] = [];
    for (const [name, c] of Object.entries(clusters)) {
      const file = join(c.dir, `${name}.kubeconfig`);
      await c.sim.writeKubeconfig(file, { context: name });
      files.push(file);
    }
    // The user of `locked` may read nothing (403 on every list); `dead` points at a closed port.
    const locked = clusters['staging'];
    assert.ok(locked);
    locked.sim.forbid({ user: 'locked-user' });
    const extra = join(locked.dir, 'extra.kubeconfig');
    writeFileSync(
      extra,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'dead',
            cluster: { server: `http://127.0.0.1:${await closedPort()}`, 'insecure-skip-tls-verify': true },
          },
          { name: 'locked', cluster: { server: locked.sim.url, 'insecure-skip-tls-verify': true } },
        ],
        users: [
          { name: 'dead', user: {} },
          { name: 'locked', user: { token: 'locked-token' } },
        ],
        contexts: [
          { name: 'dead', context: { cluster: 'dead', user: 'dead' } },
          { name: 'locked', context: { cluster: 'locked', user: 'locked' } },
        ],
      }),
    );
    // staging itself is read with an admin token; the sim with tokens needs one.
    await locked.sim.writeKubeconfig(join(locked.dir, 'staging.kubeconfig'), {
      context: 'staging',
      token: 'admin-token',
    });
    kubeconfigs = [...files, extra].join(':');
  });
  after(async () => {
    for (const c of Object.values(clusters)) await c.close();
  });

  const run = (argv: string[]): ReturnType<typeof ambient> => ambient(argv, { env: { KUBECONFIG: kubeconfigs } });

  it('tags --contexts with a glob: one table with a CONTEXT column, the summary on stderr, exit 0', async () => {
    for (const c of Object.values(clusters)) c.sim.clearRequests();
    const r = await run(['tags', '--contexts', 'prod-*']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^CONTEXT\s+TAG\s+REVISION\s+VERSION\s+PREVIOUS\s+NAMESPACES\s+GATEWAYS\s+WAYPOINTS\s+OBJECTS$/,
    );
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
      ['prod-eu default 1-27-9', 'prod-eu canary 1-28-10', 'prod-eu prod 1-27-9'],
    );
    assert.match(r.stderr, /^warning: \[prod-eu\] ambient namespace\(s\) reviews carry istio\.io\/rev=prod/m);
    assert.match(r.stderr, /^fleet: 2 cluster\(s\): 2 read$/m);
    assert.match(r.stderr, /^ {2}control planes: 1\.27\.9 x1, 1\.28\.10 x1, 1\.30\.3 x1$/m);
    assert.match(r.stderr, /^ {2}tags: canary->1-28-10 x1, default->1-27-9 x1, prod->1-27-9 x1$/m);
    // Each cluster got exactly the single-cluster snapshot: 13 list calls, no more.
    for (const name of ['prod-eu', 'prod-us']) {
      const first = clusters[name]?.sim.requests.filter((q) => q.query['continue'] === undefined) ?? [];
      assert.equal(first.length, 13, `${name}: ${first.map((q) => q.path).join(', ')}`);
    }
    assert.equal(clusters['staging']?.sim.requests.length, 0);
  });

  it('--all-contexts with an unreachable and a forbidden cluster: their rows say why, the others are printed, exit is the worst (77)', async () => {
    const r = await run(['tags', '--all-contexts']);
    assert.equal(r.code, 77, r.stderr);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    assert.deepEqual([...new Set(rows.map((l) => l.split(/\s+/)[0]))], ['dead', 'locked', 'prod-eu', 'staging']);
    assert.match(
      r.stdout,
      /^dead\s+(-\s+){7}error: (cannot reach|lost the connection to) the API server at http:\/\/127\.0\.0\.1:\d+ \(context "dead"\)/m,
    );
    assert.match(r.stdout, /^locked\s+(-\s+){7}error: RBAC refused: /m);
    assert.match(
      r.stderr,
      /^fleet: 5 cluster\(s\): 3 read, 2 failed \((auth x1, unreachable x1|unreachable x1, auth x1)\)$/m,
    );
    assert.match(
      r.stderr,
      /^error: 2 of 5 cluster\(s\) could not be read: dead \(unreachable\), locked \(auth\); see their rows for the cause of each$/m,
    );
  });

  it('-o json: one document with an entry per context', async () => {
    const r = await run(['tags', '--contexts', 'prod-us,prod-eu,dead', '-o', 'json']);
    assert.equal(r.code, 69, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      context: string;
      cluster: string;
      server: string;
      ok: boolean;
      error?: { kind: string; exitCode: number; message: string };
      tags?: TagView[];
    }[];
    assert.deepEqual(
      doc.map((e) => [e.context, e.ok, e.error?.kind ?? null, e.tags?.map((t) => t.tag) ?? null]),
      [
        ['dead', false, 'unreachable', null],
        ['prod-eu', true, null, ['default', 'canary', 'prod']],
        ['prod-us', true, null, []],
      ],
    );
    assert.equal(doc[0]?.error?.exitCode, 69);
    assert.equal(doc[1]?.server, clusters['prod-eu']?.sim.url);
  });

  it('revisions REVISION --fail-on in-use across the fleet: exit 3 naming the clusters where it is in use', async () => {
    const r = await run(['revisions', '1-27-9', '--contexts', 'prod-*', '--fail-on', 'in-use', '-o', 'json']);
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { context: string; revisions: RevisionView[] }[];
    assert.deepEqual(
      doc.map((e) => [e.context, e.revisions.map((v) => `${v.revision}:${v.status}`)]),
      [
        ['prod-eu', ['1-27-9:in-use']],
        ['prod-us', []],
      ],
    );
    assert.match(r.stderr, /^error: 1 of 2 cluster\(s\) still depend on 1-27-9: prod-eu; see their rows$/m);
    const table = await run(['revisions', '--contexts', 'prod-us']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^CONTEXT\s+REVISION\s+VERSION\s+READY\s+DEFAULT\s+TAGS\s+GATEWAYS\s+WAYPOINTS\s+PODS\s+STATUS\s+REASONS\nprod-us\s+1-30-3\s+1\.30\.3\s+1\/1\s+-\s+-\s+0\s+0\s+0\s+IN USE\s+ztunnel\n$/,
    );
  });

  it('bad selections: an unmatched glob (78), --context with --contexts (64), a revision nowhere (65)', async () => {
    const none = await run(['tags', '--contexts', 'qa-*']);
    assert.equal(none.code, 78);
    assert.match(
      none.stderr,
      /^error: --contexts 'qa-\*' matches no context; known contexts: prod-eu, prod-us, staging, dead, locked\n$/,
    );
    const both = await run(['tags', '--contexts', 'prod-eu', '--context', 'prod-us']);
    assert.equal(both.code, 64);
    assert.match(both.stderr, /^error: --context cannot be combined with --contexts\/--all-contexts/);
    const missing = await run(['revisions', '9-9-9', '--contexts', 'prod-*']);
    assert.equal(missing.code, 65);
    assert.match(missing.stderr, /revision "9-9-9" is installed in none of the 2 cluster\(s\) read/);
    const unknown = await run(['tags', '--contexts', 'prod-eu,nope']);
    assert.equal(unknown.code, 78);
    assert.match(unknown.stdout, /^nope\s+(-\s+){7}error: context "nope" not found in /m);
  });

  it('skew --contexts --only problems --fail-on warn: one table with CONTEXT, a summary per cluster and for the fleet, exit 3 naming the clusters', async () => {
    for (const c of Object.values(clusters)) c.sim.clearRequests();
    const r = await run([
      'skew',
      '--contexts',
      'prod-*',
      '--only',
      'problems',
      '--fail-on',
      'warn',
      '--now',
      '2026-03-01',
    ]);
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^CONTEXT\s+COMPONENT\s+NAMESPACE\s+NAME\s+VERSION\s+CONTROL PLANE\s+STATUS\s+MESSAGE$/,
    );
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/));
    assert.ok(rows.length > 0 && rows.every((c) => c[0] === 'prod-eu' || c[0] === 'prod-us'), r.stdout);
    // --only problems: no OK row is printed, though the summaries count them.
    assert.ok(
      rows.every((c) => c[6] === 'WARN' || c[6] === 'FAIL'),
      r.stdout,
    );
    assert.match(r.stderr, /^skew \[prod-eu\]: \d+ finding\(s\): 0 fail, [1-9]\d* warn, [1-9]\d* ok$/m);
    assert.match(r.stderr, /^skew \[prod-us\]: \d+ finding\(s\): 0 fail, [1-9]\d* warn, [1-9]\d* ok$/m);
    assert.match(r.stderr, /^fleet: 2 cluster\(s\): 2 read$/m);
    assert.match(r.stderr, /^ {2}with problems: 2 \(prod-eu, prod-us\)$/m);
    assert.match(
      r.stderr,
      /^error: 2 of 2 cluster\(s\) have findings at warn or fail: prod-eu, prod-us; see their rows$/m,
    );
    // Each cluster got what a single-cluster skew asks: the same requests, once each.
    const firstPages = (name: string): string[] =>
      (clusters[name]?.sim.requests ?? [])
        .filter((q) => q.query['continue'] === undefined)
        .map((q) => `${q.method} ${q.path}`)
        .sort();
    const fleetRequests = firstPages('prod-us');
    clusters['prod-us']?.sim.clearRequests();
    const single = await ambient(['skew', '--now', '2026-03-01'], {
      kubeconfig: clusters['prod-us']?.kubeconfig ?? '',
    });
    assert.equal(single.code, 0, single.stderr);
    assert.deepEqual(fleetRequests, firstPages('prod-us'));
    assert.equal(firstPages('prod-eu').length, fleetRequests.length);
    // Without --fail-on warn the same fleet passes (nothing fails).
    const pass = await run(['skew', '--contexts', 'prod-*', '--now', '2026-03-01']);
    assert.equal(pass.code, 0, pass.stderr);
    assert.doesNotMatch(pass.stderr, /with problems/);
  });

  it('skew --all-contexts: the unreachable and forbidden clusters are rows with their error, exit 77', async () => {
    const r = await ambient(['skew', '--all-contexts', '--now', '2026-03-01'], {
      env: { KUBECONFIG: kubeconfigs },
      stderrIsTTY: true,
    });
    assert.equal(r.code, 77, r.stderr);
    // On a terminal a spinner counts the clusters read, up to all of them; off a terminal nothing (see the other tests).
    assert.equal(r.io.spinnerLog[0], 'clusters read: 0/5');
    assert.equal(r.io.spinnerLog.at(-1), 'clusters read: 5/5');
    assert.deepEqual((await run(['tags', '--contexts', 'prod-eu'])).io.spinnerLog, []);
    assert.match(
      r.stdout,
      /^dead\s+(-\s+){6}error: (cannot reach|lost the connection to) the API server at http:\/\/127\.0\.0\.1:\d+/m,
    );
    assert.match(r.stdout, /^locked\s+(-\s+){6}error: RBAC refused: /m);
    assert.match(r.stdout, /^staging\s+kubernetes\s+/m);
    assert.match(r.stderr, /^fleet: 5 cluster\(s\): 3 read, 2 failed /m);
  });

  it("skew --target across the fleet: -o json holds each cluster's findings and plan; a cluster the target does not fit is an entry (65)", async () => {
    const r = await run(['skew', '--contexts', 'prod-*', '--target', '1-28-10', '--now', '2026-03-01', '-o', 'json']);
    assert.equal(r.code, 65, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      context: string;
      ok: boolean;
      error?: { kind: string; message: string };
      findings?: { rule: string }[];
      target?: { version: string; revision: string };
      steps?: { step: string; status: string }[];
    }[];
    assert.deepEqual(
      doc.map((e) => [e.context, e.ok]),
      [
        ['prod-eu', true],
        ['prod-us', false],
      ],
    );
    assert.deepEqual(doc[0]?.target, { version: '1.28.10', revision: '1-28-10' });
    assert.ok((doc[0]?.steps ?? []).length > 0 && (doc[0]?.findings ?? []).length > 0);
    assert.equal(doc[1]?.error?.kind, 'input');
    assert.match(r.stderr, /^skew \[prod-eu\]: .*; next: step \d+ of \d+, /m);
    assert.match(
      r.stderr,
      /^error: 1 of 2 cluster\(s\) refused the request: prod-us \(input\); see their rows for the cause of each$/m,
    );
    // A target no cluster can read is one usage line, not a row per cluster.
    const bad = await run(['skew', '--contexts', 'prod-*', '--target', 'nope']);
    assert.equal(bad.code, 65);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^error: --target "nope" is not a version, a minor or an installed revision; /m);
    assert.doesNotMatch(bad.stderr, /cluster\(s\)/);
  });
  // On a terminal the fleet tables give way like the single-cluster ones (test/cli/tables.test.ts).
  const longest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));
  for (const argv of [['tags'], ['revisions'], ['skew', '--now', '2026-03-01']]) {
    for (const width of [80, 120]) {
      it(`${argv[0] ?? ''} --contexts prod-*,staging at ${width} columns: golden, every line fits`, async () => {
        const r = await ambient([...argv, '--contexts', 'prod-*,staging'], {
          env: { KUBECONFIG: kubeconfigs },
          columns: width,
        });
        assert.equal(r.code, 0, r.stderr);
        assertGolden(`fleet/${argv[0] ?? ''}.${width}.txt`, r.stdout);
        assert.ok(longest(r.stdout) <= width, `${longest(r.stdout)} columns:\n${r.stdout}`);
      });
    }
  }

  it('skew --all-contexts at 80 columns: under a failed cluster comes its error, nothing else', async () => {
    const r = await ambient(['skew', '--all-contexts', '--now', '2026-03-01'], {
      env: { KUBECONFIG: kubeconfigs },
      columns: 80,
    });
    assert.equal(r.code, 77, r.stderr);
    assert.ok(longest(r.stdout) <= 80, `${longest(r.stdout)} columns:\n${r.stdout}`);
    assert.match(r.stdout, /^dead( +-)+\n {4}error: /m);
    assert.match(r.stdout, /^locked( +-)+\n {4}error: RBAC refused/m);
  });

  it('tags --all-contexts at 80 columns: a failed cluster is a row of "-" with its error whole under it', async () => {
    const r = await ambient(['tags', '--all-contexts'], { env: { KUBECONFIG: kubeconfigs }, columns: 80 });
    assert.equal(r.code, 77, r.stderr);
    assert.ok(longest(r.stdout) <= 80, `${longest(r.stdout)} columns:\n${r.stdout}`);
    const doc = JSON.parse((await run(['tags', '--all-contexts', '-o', 'json'])).stdout) as {
      context: string;
      error?: { message: string; hint: string | null };
    }[];
    const lines = r.stdout.trimEnd().split('\n');
    for (const name of ['dead', 'locked']) {
      const at = lines.findIndex((l) => l.startsWith(`${name} `));
      assert.match(lines[at] ?? '', new RegExp(`^${name}(\\s+-)+$`));
      const under = [];
      for (let i = at + 1; i < lines.length && (lines[i] ?? '').startsWith('    '); i++) under.push(lines[i] ?? '');
      assert.ok(under.length > 0, `no error under ${name}:\n${r.stdout}`);
      const err = doc.find((e) => e.context === name)?.error;
      // The message of this run (the JSON's is another run's: an unreachable server words it one of two ways).
      assert.match(under.join(' ').replace(/\s+/g, ' ').trim(), /^error: \S/);
      if (name === 'locked')
        assert.equal(
          under.join(' ').replace(/\s+/g, ' ').trim(),
          `error: ${err?.message ?? ''}; ${err?.hint ?? ''}`.replace(/\s+/g, ' '),
        );
    }
    assert.match(r.stdout, /^prod-eu +default +/m);
  });
});
