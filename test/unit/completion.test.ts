import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPLETION_SHELLS, completionScript } from '../../src/cli/completion-scripts.ts';
import { KUBE_FLAGS } from '../../src/cli/options.ts';
import { analyse, commandSpecs, globalFlags } from '../../src/commands/shared/complete.ts';
import { commands } from '../../src/commands/index.ts';
import { ARCHIVE_LAUNCHERS, invocation, invokedName, LINK_NAMES } from '../../src/commands/multicall.ts';
import { captureIo } from '../support/io.ts';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

describe('multi-call: the name picks the command', () => {
  const scriptName = (argv1: string, args: string[] = [], env: Record<string, string> = {}): unknown => {
    const i = invocation(argv1, args, env);
    return [i.opts.scriptName, i.opts.single, i.factories.length, i.argv];
  };

  it('strips folders and .exe/.cmd/.cjs from the invoked path', () => {
    assert.equal(invokedName('/usr/local/bin/kubectl-ambient-tags'), 'kubectl-ambient-tags');
    assert.equal(invokedName('C:\\krew\\bin\\kubectl-ambient.exe'), 'kubectl-ambient');
    assert.equal(invokedName('dist/kubectl-ambient-tag_move.cjs'), 'kubectl-ambient-tag_move');
  });

  it('single-purpose names run one command as the root; the dispatcher and unknown names run all', () => {
    assert.deepEqual(scriptName('/x/kubectl-ambient-tags', ['prod']), ['kubectl ambient tags', true, 1, ['prod']]);
    assert.deepEqual(scriptName('/x/kubectl-ambient-tag_move', ['a', 'b']), [
      'kubectl ambient tag-move',
      true,
      1,
      ['a', 'b'],
    ]);
    assert.deepEqual(scriptName('/x/kubectl-ambient', ['tags']), ['kubectl ambient', false, commands.length, ['tags']]);
    assert.deepEqual(scriptName('/x/kubectl-ambient-linux-amd64', ['tags']), [
      'kubectl ambient',
      false,
      commands.length,
      ['tags'],
    ]);
  });

  it('the launchers name themselves through KUBECTL_AMBIENT_INVOKED_AS', () => {
    assert.deepEqual(
      scriptName('/x/kubectl-ambient', ['--help'], { KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-skew' }),
      ['kubectl ambient skew', true, 1, ['--help']],
    );
  });

  it('completion names run __complete with the words after "--" (so --help among them stays a word)', () => {
    assert.deepEqual(invocation('/x/kubectl_complete-ambient', ['tags', '--help', ''], {}).argv, [
      '__complete',
      '--kubectl-completer',
      '--',
      'tags',
      '--help',
      '',
    ]);
    assert.deepEqual(invocation('/x/kubectl_complete-ambient-tag_move', ['prod', ''], {}).argv, [
      '__complete',
      '--',
      'tag-move',
      'prod',
      '',
    ]);
    assert.deepEqual(invocation('/x/kubectl-ambient', ['__complete', 'tags', '-o', ''], {}).argv, [
      '__complete',
      '--',
      'tags',
      '-o',
      '',
    ]);
    assert.deepEqual(LINK_NAMES.filter((n) => n.startsWith('kubectl_complete-')).length, 7);
    // The archives ship a launcher per single-purpose name and per completer.
    assert.deepEqual(ARCHIVE_LAUNCHERS, LINK_NAMES);
  });
});

describe('completion: what the last word completes to', () => {
  const io = captureIo();
  const deps = {
    io,
    env: {},
    signal: new AbortController().signal,
    now: () => new Date(),
    connect: () => Promise.reject(new Error('no cluster in this test')),
    contexts: () => Promise.reject(new Error('no kubeconfig in this test')),
  };
  const specs = commandSpecs(commands, deps);
  const global = globalFlags(KUBE_FLAGS);
  const values = (words: string[]): string[] => analyse(specs, global, words).candidates.map((c) => c.value);

  it('commands first (the hidden __complete is not offered), filtered by prefix', () => {
    assert.deepEqual(values(['']), ['revisions', 'tags', 'tag-move', 'tag-rollback', 'upgrade', 'skew', 'completion']);
    assert.deepEqual(values(['tag']), ['tags', 'tag-move', 'tag-rollback']);
    assert.deepEqual(values(['--kubeconfig', '/k', 'ta']), ['tags', 'tag-move', 'tag-rollback']);
  });

  it('flags of the command, then flag values: choices, --dry-run=, files for --kubeconfig', () => {
    assert.ok(values(['tag-move', '--']).includes('--dry-run'));
    assert.ok(values(['tag-move', '--']).includes('--create'));
    assert.ok(!values(['tags', '--']).includes('--create'));
    assert.deepEqual(values(['tags', '-o', '']), ['table', 'wide', 'json', 'yaml']);
    // cobra's protocol: `--flag=<TAB>` gets the values alone (the shell keeps `--flag=`).
    assert.deepEqual(values(['tags', '--output=j']), ['json']);
    assert.deepEqual(values(['tag-move', '--dry-run=']), ['client', 'server']);
    assert.deepEqual(values(['tag-move', 'prod', '1-28-10', '--dry-run=s']), ['server']);
    const to = analyse(specs, global, ['tag-rollback', 'prod', '--to=1-2']);
    assert.deepEqual([to.fromCluster, to.partial], ['revisions', '1-2']);
    assert.deepEqual(values(['completion', '']), ['bash', 'zsh', 'fish']);
    const kubeconfig = analyse(specs, global, ['tags', '--kubeconfig', '']);
    assert.deepEqual([kubeconfig.candidates, kubeconfig.directive], [[], 0]);
  });

  it('tags, then revisions, from the cluster, with the kube flags found among the words', () => {
    const tag = analyse(specs, global, ['tag-move', '--context', 'prod-eu', '-i', 'istio', '']);
    assert.deepEqual([tag.fromCluster, tag.kube], ['tags', { context: 'prod-eu', 'istio-namespace': 'istio' }]);
    const as = analyse(specs, global, [
      'tag-move',
      '--as',
      'sre',
      '--as-group',
      'oncall',
      '--as-group=admins',
      '--as-uid',
      '7',
      '',
    ]);
    assert.deepEqual(
      as.kube,
      { as: 'sre', 'as-group': ['oncall', 'admins'], 'as-uid': '7' },
      'completion reads the cluster as the user the command would act as',
    );
    assert.ok(values(['tags', '--as']).includes('--as-group'));
    assert.equal(analyse(specs, global, ['tag-move', 'prod', '--kubeconfig=/k', '']).fromCluster, 'revisions');
    assert.equal(analyse(specs, global, ['tag-rollback', 'prod', '--to', '']).fromCluster, 'revisions');
    assert.equal(analyse(specs, global, ['tag-move', 'prod', '1-28-10', '']).fromCluster, undefined);
    // upgrade REVISION, and --tags from the tags.
    assert.equal(analyse(specs, global, ['upgrade', '']).fromCluster, 'revisions');
    assert.equal(analyse(specs, global, ['upgrade', '1-28-10', '--tags', '']).fromCluster, 'tags');
    assert.ok(values(['upgrade', '1-28-10', '--']).includes('--soak'));
    assert.deepEqual(values(['frobnicate', '']), []);
  });
});

describe('__complete against the simulated cluster', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  it('one snapshot gives the tags, then the revisions (cobra protocol: value<TAB>description, then :4)', async () => {
    const tags = await ambient(['__complete', '--', 'tag-move', '--kubeconfig', c.kubeconfig, '']);
    assert.deepEqual([tags.code, tags.stdout], [0, 'canary\t-> 1-28-10\ndefault\t-> 1-27-9\nprod\t-> 1-27-9\n:4\n']);
    const revisions = await ambient(['__complete', '--', 'tag-move', '--kubeconfig', c.kubeconfig, 'prod', '1-28']);
    assert.equal(revisions.stdout, '1-28-10\t1.28.10\n:4\n');
  });

  it('a cluster that cannot be read completes nothing (:1), exit 0, the reason on stderr', async () => {
    const r = await ambient(['__complete', '--', 'tags', '--kubeconfig', '/nonexistent/kubeconfig', '']);
    assert.deepEqual([r.code, r.stdout], [0, ':1\n']);
    assert.match(r.stderr, /^completion: .*kubeconfig/);
  });
});

describe('completion scripts', () => {
  for (const shell of COMPLETION_SHELLS) {
    const bin = `/usr/bin/${shell}`;
    it(`${shell}: the script parses`, { skip: existsSync(bin) ? false : `${shell} is not installed` }, () => {
      const file = join(mkdtempSync(join(tmpdir(), 'completion-')), `script.${shell}`);
      writeFileSync(file, completionScript(shell));
      const r = spawnSync(bin, ['-n', file], { encoding: 'utf8' });
      rmSync(dirname(file), { recursive: true });
      assert.deepEqual([r.status, r.stderr], [0, '']);
      assert.match(completionScript(shell), /__complete/);
    });
  }
});
