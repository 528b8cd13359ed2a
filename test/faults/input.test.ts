import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { assertFails, state } from './support.ts';

describe('faults: bad input', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  const cases: [string, string[], 'usage' | 'input', RegExp][] = [
    [
      'unknown command, with a did-you-mean',
      ['tgas'],
      'usage',
      /^error: Unknown argument: tgas; did you mean "tags"\?/,
    ],
    [
      'unknown flag, with a did-you-mean',
      ['tags', '--outptu', 'json'],
      'usage',
      /^error: Unknown arguments?: .*outptu.*; did you mean "--output"\?/,
    ],
    ['no command', [], 'usage', /^error: a command is required; run "kubectl ambient --help"/],
    [
      'a command after "--" is not run (its arguments were never parsed for it)',
      ['--', 'tag-move', 'prod', '1-28-10', '--yes'],
      'usage',
      /^error: a command is required \(the words after "--" are not read as one\); run "kubectl ambient --help"$/,
    ],
    [
      'missing revision: the installed ones are listed',
      ['tag-move', 'prod'],
      'usage',
      /^error: missing REVISION: kubectl ambient tag-move prod REVISION; installed revisions: 1-27-9 \(1\.27\.9\), 1-28-10 \(1\.28\.10\)$/,
    ],
    [
      'missing tag: the tags are listed',
      ['tag-move'],
      'usage',
      /^error: missing TAG: kubectl ambient tag-move TAG REVISION; existing tags: canary \(-> 1-28-10\), default \(-> 1-27-9\), prod \(-> 1-27-9\)$/,
    ],
    [
      'tag-rollback without a tag',
      ['tag-rollback', '--yes'],
      'usage',
      /^error: missing TAG: kubectl ambient tag-rollback TAG; existing tags: canary /,
    ],
    [
      'missing shell: no cluster list',
      ['completion'],
      'usage',
      /^error: missing SHELL: kubectl ambient completion SHELL; run "kubectl ambient completion --help"$/,
    ],
    [
      'a version for a revision: did you mean',
      ['tag-move', 'prod', '1.28.10', '--yes'],
      'input',
      /^error: "1\.28\.10" is a version, not a revision name; did you mean revision "1-28-10"\? \(installed: 1-27-9 \(1\.27\.9\), 1-28-10 \(1\.28\.10\)\)$/,
    ],
    [
      'a version no revision runs',
      ['tag-move', 'prod', '1.29.0', '--yes'],
      'input',
      /^error: "1\.29\.0" is a version, not a revision name; no installed revision runs 1\.29\.0 \(installed: /,
    ],
    [
      'tag-rollback --to a version',
      ['tag-rollback', 'prod', '--to', 'v1.27.9', '--yes'],
      'input',
      /^error: "v1\.27\.9" is a version, not a revision name; did you mean revision "1-27-9"\?/,
    ],
    [
      'revisions with a version',
      ['revisions', '1.28.10'],
      'input',
      /^error: revision "1\.28\.10" not found in namespace istio-system; "1\.28\.10" is a version: did you mean revision "1-28-10"\?/,
    ],
    [
      '-n: the Istio namespace is -i',
      ['tags', '-n', 'istio-system'],
      'usage',
      /^error: Unknown argument: n; -n\/--namespace is kubectl's namespace flag: the Istio control plane's namespace is -i\/--istio-namespace/,
    ],
    [
      '--namespace=: the same hint',
      ['revisions', '--namespace=istio'],
      'usage',
      /^error: Unknown argument: namespace; -n\/--namespace is kubectl's namespace flag/,
    ],
    [
      '-o with an unknown format',
      ['tags', '-o', 'xml'],
      'usage',
      /^error: invalid --output "xml": use one of table, wide, json, yaml; run "kubectl ambient tags --help"$/,
    ],
    [
      'two invalid choices: both said',
      ['skew', '--only', 'x', '--fail-on', 'y'],
      'usage',
      /^error: invalid --only "x": use one of problems, fail; invalid --fail-on "y": use one of fail, warn; run "kubectl ambient skew --help"$/,
    ],
    ['uppercase tag', ['tag-move', 'PROD', '1-28-10', '--yes'], 'input', /^error: invalid tag name "PROD"/],
    [
      'too long tag',
      ['tag-move', 'x'.repeat(64), '1-28-10', '--yes'],
      'input',
      /must be at most 43 characters \(is 64\)/,
    ],
    ['.. in a revision', ['tag-move', 'prod', '1..2', '--yes'], 'input', /^error: invalid revision name "1\.\.2"/],
    ['spaces in a tag', ['tag-move', 'my tag', '1-28-10', '--yes'], 'input', /^error: invalid tag name "my tag"/],
    [
      'empty revision',
      ['tag-move', 'prod', '', '--yes'],
      'input',
      /^error: invalid revision name "": must not be empty/,
    ],
    [
      'unknown tag',
      ['tag-rollback', 'blue', '--yes'],
      'input',
      /^error: tag "blue" does not exist in namespace istio-system; existing tags: canary, default, prod/,
    ],
    ['unknown revision', ['tag-move', 'prod', '9-9-9', '--yes'], 'input', /^error: revision "9-9-9" not found/],
    [
      'tag equal to a revision name',
      ['tag-move', '1-28-10', '1-27-9', '--yes', '--create'],
      'input',
      /^error: cannot use "1-28-10" as a tag/,
    ],
    [
      '--wait with --dry-run',
      ['tag-move', 'prod', '1-28-10', '--wait', '--dry-run=server'],
      'usage',
      /^error: --wait cannot be combined with --dry-run/,
    ],
    [
      'bad --request-timeout',
      ['tags', '--request-timeout', 'soon'],
      'usage',
      /^error: invalid --request-timeout "soon"; use a duration such as 30s/,
    ],
  ];
  for (const [name, argv, kind, message] of cases) {
    it(name, async () => {
      const before = state(c);
      const r = await ambient(argv, { kubeconfig: c.kubeconfig });
      assertFails(r, kind, message);
      assert.deepEqual(state(c), before);
    });
  }

  it('missing revision, cluster unreachable: says what is missing and why nothing is listed (exit 64)', async () => {
    const r = await ambient(['tag-move', 'prod'], { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    assertFails(
      r,
      'usage',
      /^error: missing REVISION: kubectl ambient tag-move prod REVISION; the revisions could not be listed \(no kubeconfig found/,
    );
  });

  it('a version for a revision, cluster unreachable: the conventional name (exit 65)', async () => {
    const r = await ambient(['tag-move', 'prod', '1.28.10', '--yes'], {
      env: { KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    assertFails(
      r,
      'input',
      /^error: "1\.28\.10" is a version, not a revision name; revision names use dashes: did you mean "1-28-10"\?/,
    );
  });

  it('--dry-run with --yes is fine', async () => {
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run', '--yes'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
  });

  it('--verbose adds a stack trace to the same error', async () => {
    const r = await ambient(['tag-move', 'prod', '9-9-9', '--yes', '--verbose'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 65);
    assert.match(r.stderr, /^error: revision "9-9-9" not found/m);
    assert.match(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  });
});
