/**
 * End to end: the packaged linux-x64 executable, unpacked from its release archive, run with no
 * Node on PATH (`env -i`: PATH holds only the unpacked archive and a real kubectl 1.35 from npm),
 * through kubectl's own plugin dispatch, against the simulated cluster started in this process.
 * The other platforms' executables start under an emulator when there is one (qemu-aarch64,
 * wine), else their format is checked. The krew manifest is validated and installed like krew.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveName, kubectlBinary, packageVersion, PLATFORMS, type Platform } from '../../scripts/package-lib.ts';
import { extractLikeKrew, installLikeKrew, validate, type Manifest } from '../../scripts/validate-krew.ts';
import { parse } from 'yaml';
import { closedPort } from '../support/ports.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { tmuxServer, until } from '../support/terminal.ts';
import { buildRelease } from './release.ts';

const release = buildRelease();
const skip = 'unavailable' in release ? release.unavailable : false;
/** E2E_REQUIRE_RELEASE=1 (CI): a release that cannot be built fails the suite instead of skipping it. */
const required = process.env['E2E_REQUIRE_RELEASE'] === '1';
if (skip !== false) process.stderr.write(`# e2e ${required ? 'FAILS' : 'skipped'}: ${skip}\n`);
it(
  'the release is built (E2E_REQUIRE_RELEASE=1 makes a failed build a failure)',
  { skip: skip !== false && !required ? skip : false },
  () => {
    if (skip !== false) assert.fail(`E2E_REQUIRE_RELEASE=1 but ${skip}`);
  },
);
// A release built for this run is ~750 MB: remove it afterwards (a reused E2E_RELEASE_DIR stays).
after(() => {
  if ('dir' in release && release.buildSeconds > 0) rmSync(release.dir, { recursive: true, force: true });
});
const version = packageVersion();
const COMMANDS = ['completion', 'revisions', 'skew', 'tag-move', 'tag-rollback', 'tags', 'upgrade'];
/** The executables of the archive kubectl finds as plugins: the dispatcher and a launcher per command. */
const PLUGINS = [
  'kubectl-ambient',
  'kubectl-ambient-revisions',
  'kubectl-ambient-skew',
  'kubectl-ambient-tag_move',
  'kubectl-ambient-tag_rollback',
  'kubectl-ambient-tags',
  'kubectl-ambient-upgrade',
];
/** kubectl's own bash completion needs bash-completion's _get_comp_words_by_ref (Debian: bash-completion). */
const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with exactly `env` (nothing inherited), asynchronously: the simulated API server lives in this process. */
function exec(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function unpack(p: Platform, dir: string): string {
  const dest = join(dir, p.name);
  mkdirSync(dest, { recursive: true });
  extractLikeKrew(readFileSync(join('dir' in release ? release.dir : '', archiveName(version, p))), dest);
  return dest;
}

const linuxSkip =
  skip !== false
    ? skip
    : process.platform !== 'linux' || process.arch !== 'x64'
      ? 'needs a linux-x64 machine (the kubectl from npm is linux-x64)'
      : false;

describe('the linux-x64 release archive through kubectl', { skip: linuxSkip }, () => {
  let c: TestCluster;
  let work: string;
  let plugins: string;
  let kubectl: string;
  let env: Record<string, string>;
  const k = (...args: string[]): Promise<Result> => exec(kubectl, args, env);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ambient-e2e-'));
    plugins = unpack(PLATFORMS[0] as Platform, work);
    kubectl = kubectlBinary();
    c = await startCluster('mid-upgrade');
    mkdirSync(join(work, 'home'));
    env = { PATH: `${plugins}:${dirname(kubectl)}`, HOME: join(work, 'home'), KUBECONFIG: c.kubeconfig };
  });
  after(async () => {
    await c.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('PATH holds no Node: only the archive and kubectl', () => {
    for (const dir of env['PATH']?.split(':') ?? []) {
      for (const f of readdirSync(dir)) assert.doesNotMatch(f, /^node(\.exe)?$/, `${dir} holds ${f}`);
    }
    assert.deepEqual(readdirSync(dirname(kubectl)), ['kubectl']);
  });

  it('the archive: one executable, a launcher per command and completer, LICENSE and README; kubectl lists the plugins', async () => {
    const files = readdirSync(plugins).sort();
    const completers = PLUGINS.map((n) => n.replace(/^kubectl-/, 'kubectl_complete-'));
    assert.deepEqual(files, ['LICENSE', 'README.md', ...PLUGINS, ...completers].sort());
    const sizes = files.map((f) => statSync(join(plugins, f)).size);
    assert.equal(sizes.filter((s) => s > 1 << 20).length, 1, 'exactly one file carries the Node runtime');
    const r = await k('plugin', 'list');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('/'))
        .sort(),
      PLUGINS.map((n) => join(plugins, n)).sort(),
    );
  });

  it('--version and --help, of the dispatcher and of a single command', async () => {
    assert.deepEqual(await k('ambient', '--version'), { code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await k('ambient', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^kubectl ambient <command>\n/);
    for (const cmd of ['revisions', 'tags', 'tag-move', 'tag-rollback', 'upgrade', 'skew', 'completion'])
      assert.match(help.stdout, new RegExp(`kubectl ambient ${cmd}\\b`));
    const tags = await k('ambient', 'tags', '--help');
    assert.match(tags.stdout, /^kubectl ambient tags \[tag\]\n/);
    assert.match(tags.stdout, /^ {2}kubectl ambient tags prod -o yaml +the tag prod as YAML$/m);
    assert.doesNotMatch(tags.stdout, /kubectl ambient tags tags/);
    // A launcher name (a link, or the environment variable the launchers set) names the command once too.
    const linked = await exec(join(plugins, 'kubectl-ambient'), ['--help'], {
      ...env,
      KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-tag_move',
    });
    assert.match(linked.stdout, /^kubectl ambient tag-move <tag> <revision>\n/);
    assert.match(linked.stdout, /^ {2}kubectl ambient tag-move prod 1-28-10 /m);
    assert.doesNotMatch(linked.stdout, /tag-move tag-move/);
    assert.equal((await k('ambient', 'tags', '--version')).stdout, `${version}\n`);
  });

  it('starts with its trained code cache, which V8 accepts (a rejected one silently costs start-up time)', async () => {
    const r = await exec(join(plugins, 'kubectl-ambient-tags'), ['-o', 'json'], {
      ...env,
      KUBECTL_AMBIENT_TRACE_CODE_CACHE: '1',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^code cache: accepted$/m);
  });

  it('revisions: table and one revision as JSON', async () => {
    const r = await k('ambient', 'revisions');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^REVISION\s+VERSION\s+READY/);
    assert.match(r.stdout, /\n1-27-9\s+1\.27\.9\s+1\/1\s+yes\s+default,prod/);
    assert.match(r.stdout, /\n1-28-10\s+1\.28\.10\s+1\/1\s+-\s+canary/);
    const one = await k('ambient', 'revisions', '1-28-10', '-o', 'json');
    assert.equal(one.code, 0, one.stderr);
    const view = JSON.parse(one.stdout) as { revision: string; tags: string[] };
    assert.deepEqual([view.revision, view.tags], ['1-28-10', ['canary']]);
  });

  it('fleet: tags --all-contexts over two clusters and an unreachable one, revisions and skew over two, through kubectl', async () => {
    const second = await startCluster('fresh');
    try {
      const a = join(work, 'eu.kubeconfig');
      const b = join(work, 'us.kubeconfig');
      const dead = join(work, 'dead.kubeconfig');
      await c.sim.writeKubeconfig(a, { context: 'prod-eu' });
      await second.sim.writeKubeconfig(b, { context: 'prod-us' });
      writeFileSync(
        dead,
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{name: dead, cluster: {server: "http://127.0.0.1:${await closedPort()}"}}]`,
          'users: [{name: dead, user: {}}]',
          'contexts: [{name: dead, context: {cluster: dead, user: dead}}]',
          '',
        ].join('\n'),
      );
      const r = await exec(kubectl, ['ambient', 'tags', '--all-contexts'], {
        ...env,
        KUBECONFIG: [a, b, dead].join(':'),
      });
      assert.equal(r.code, 69, r.stderr);
      assert.match(r.stdout, /^CONTEXT\s+TAG\s+REVISION/);
      assert.match(r.stdout, /\ndead\s+(-\s+){7}error: /);
      assert.match(r.stdout, /\nprod-eu\s+prod\s+1-27-9\s/);
      assert.match(r.stderr, /^fleet: 3 cluster\(s\): 2 read, 1 failed \(unreachable x1\)$/m);
      const j = await exec(kubectl, ['ambient', 'revisions', '--contexts', 'prod-*', '-o', 'json'], {
        ...env,
        KUBECONFIG: [a, b, dead].join(':'),
      });
      assert.equal(j.code, 0, j.stderr);
      assert.deepEqual(
        (JSON.parse(j.stdout) as { context: string; ok: boolean }[]).map((e) => [e.context, e.ok]),
        [
          ['prod-eu', true],
          ['prod-us', true],
        ],
      );
      const skew = await exec(
        kubectl,
        ['ambient', 'skew', '--contexts', 'prod-*', '--fail-on', 'warn', '--now', '2026-03-01'],
        { ...env, KUBECONFIG: [a, b, dead].join(':') },
      );
      assert.equal(skew.code, 3, skew.stderr);
      assert.match(skew.stdout, /^CONTEXT\s+COMPONENT\s+NAMESPACE/);
      assert.match(
        skew.stderr,
        /^error: 2 of 2 cluster\(s\) have findings at warn or fail: prod-eu, prod-us; see their rows$/m,
      );
    } finally {
      await second.close();
    }
  });

  it('tags: table with the pitfall warning on stderr', async () => {
    const r = await k('ambient', 'tags');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nprod\s+1-27-9\s+1\.27\.9\s+-\s+2\s/);
    assert.match(r.stderr, /^warning: ambient namespace\(s\) reviews carry istio\.io\/rev=prod/);
  });

  it('tag-move --dry-run shows the diff and changes nothing; -o yaml prints the objects', async () => {
    const dry = await k('ambient', 'tag-move', 'prod', '1-28-10', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /tag prod: 1-27-9 -> 1-28-10 \(1\.28\.10\)/);
    assert.match(dry.stderr, /\+ Service istio-system\/istiod-revision-tag-prod \(new\)/);
    const yaml = await k('ambient', 'tag-move', 'prod', '1-28-10', '--dry-run=client', '-o', 'yaml');
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /kind: MutatingWebhookConfiguration/);
    assert.match(yaml.stdout, /kind: Service/);
    const rev = await k(
      'get',
      'mutatingwebhookconfiguration',
      'istio-revision-tag-prod',
      '-o',
      'jsonpath={.metadata.labels.istio\\.io/rev}',
    );
    assert.deepEqual([rev.code, rev.stdout], [0, '1-27-9']);
  });

  it('tag-move --yes --no-wait moves the tag (seen by kubectl get), tag-rollback moves it back', async () => {
    const move = await k('ambient', 'tag-move', 'prod', '1-28-10', '--yes', '--no-wait');
    assert.equal(move.code, 0, move.stderr);
    assert.match(move.stderr, /tag prod now points at 1-28-10 \(1\.28\.10\), was 1-27-9/);
    const rev = await k(
      'get',
      'mutatingwebhookconfiguration',
      'istio-revision-tag-prod',
      '-o',
      'jsonpath={.metadata.labels.istio\\.io/rev}',
    );
    assert.equal(rev.stdout, '1-28-10');
    const svc = await k(
      '-n',
      'istio-system',
      'get',
      'service',
      'istiod-revision-tag-prod',
      '-o',
      'jsonpath={.spec.selector.istio\\.io/rev}',
    );
    assert.deepEqual([svc.code, svc.stdout], [0, '1-28-10']);
    const moved = JSON.parse((await k('ambient', 'tags', 'prod', '-o', 'json')).stdout) as {
      revision: string;
      previousRevision: string;
    };
    assert.deepEqual([moved.revision, moved.previousRevision], ['1-28-10', '1-27-9']);
    const back = await k('ambient', 'tag-rollback', 'prod', '--yes', '--no-wait');
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stderr, /tag prod now points at 1-27-9 \(1\.27\.9\), was 1-28-10/);
    const after = await k(
      'get',
      'mutatingwebhookconfiguration',
      'istio-revision-tag-prod',
      '-o',
      'jsonpath={.metadata.labels.istio\\.io/rev}',
    );
    assert.equal(after.stdout, '1-27-9');
  });

  it('in a terminal, without --yes: the prompt asks, "n" changes nothing, "y" moves (tag-move and tag-rollback)', async () => {
    const terminals = tmuxServer();
    const revOf = async (): Promise<string> =>
      (
        await k(
          'get',
          'mutatingwebhookconfiguration',
          'istio-revision-tag-canary',
          '-o',
          'jsonpath={.metadata.labels.istio\\.io/rev}',
        )
      ).stdout;
    const ask = async (name: string, args: string[], question: RegExp, answer: string): Promise<string> => {
      const t = terminals.open({
        name,
        command: [kubectl, 'ambient', ...args, '--no-wait'],
        dir: work,
        env,
        clean: true,
      });
      await until(() => question.test(t.pane().replace(/\n/g, '')), 'prompt', t.pane);
      t.keys(answer, 'Enter');
      assert.equal(await t.exit(), 0, t.pane());
      return t.pane().replace(/\n/g, '');
    };
    try {
      assert.equal(await revOf(), '1-28-10');
      const moved = await ask(
        'move',
        ['tag-move', 'canary', '1-27-9'],
        /Move tag canary .* from 1-28-10 to 1-27-9\? \[y\/N\]/,
        'y',
      );
      assert.match(moved, /tag canary now points at 1-27-9 \(1\.27\.9\), was 1-28-10/);
      assert.equal(await revOf(), '1-27-9');
      const kept = await ask('no', ['tag-rollback', 'canary'], /from 1-27-9 to 1-28-10\? \[y\/N\]/, 'n');
      assert.match(kept, /aborted: nothing was changed/);
      assert.equal(await revOf(), '1-27-9');
      await ask('back', ['tag-rollback', 'canary'], /from 1-27-9 to 1-28-10\? \[y\/N\]/, 'y');
      assert.equal(await revOf(), '1-28-10');
    } finally {
      terminals.close();
    }
  });

  it('skew: findings, --target plan, --fail-on warn exits 3', async () => {
    const r = await k('ambient', 'skew');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^COMPONENT\s+NAMESPACE\s+NAME/);
    assert.match(r.stdout, /\nztunnel\s+istio-system\s+ztunnel\s+1\.27\.9/);
    const plan = await k('ambient', 'skew', '--target', '1.28.10', '-o', 'json');
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok((JSON.parse(plan.stdout) as { steps: unknown[] }).steps.length > 3);
    assert.equal((await k('ambient', 'skew', '--fail-on', 'warn')).code, 3);
  });

  it('exit codes: unknown revision 65, unknown tag 65, no kubeconfig 78, usage 64, unreachable 69', async () => {
    const unknownRev = await k('ambient', 'tag-move', 'prod', '9-99-9', '--yes', '--no-wait');
    assert.equal(unknownRev.code, 65, unknownRev.stderr);
    assert.match(unknownRev.stderr, /^error: .*9-99-9/);
    assert.equal(unknownRev.stdout, '');
    assert.equal((await k('ambient', 'tags', 'nosuch')).code, 65);
    const noConfig = await exec(kubectl, ['ambient', 'tags'], { ...env, KUBECONFIG: join(work, 'missing') });
    assert.equal(noConfig.code, 78, noConfig.stderr);
    assert.match(noConfig.stderr, /^error: .*kubeconfig/);
    assert.equal((await k('ambient', 'frobnicate')).code, 64);
    assert.equal((await k('ambient', 'tags', '--frobnicate')).code, 64);
    const dead = join(work, 'dead-kubeconfig');
    writeFileSync(
      dead,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${await closedPort()}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    const unreachable = await k('ambient', 'revisions', '--kubeconfig', dead, '--request-timeout', '5s');
    assert.equal(unreachable.code, 69, unreachable.stderr);
  });

  it("completion through kubectl's own (kubectl __complete -> kubectl_complete-ambient): each command once, bare flag values", async () => {
    const words = (r: Result): string[] =>
      r.stdout
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith(':'))
        .map((l) => l.split('\t')[0] ?? '');
    const commands = await k('__complete', 'ambient', '');
    assert.equal(commands.code, 0, commands.stderr);
    // kubectl offers the launchers it finds on PATH itself; kubectl_complete-ambient adds the rest (completion): each once.
    assert.deepEqual(words(commands).sort(), COMMANDS);
    assert.match(commands.stdout, /^completion\tPrint the shell completion script/m);
    assert.match(commands.stdout, /\n:4\n$/);
    assert.deepEqual(words(await k('__complete', 'ambient', 'tag-move', '')).sort(), ['canary', 'default', 'prod']);
    assert.deepEqual(words(await k('__complete', 'ambient', 'tag-move', 'prod', '')).sort(), ['1-27-9', '1-28-10']);
    assert.deepEqual(words(await k('__complete', 'ambient', 'tags', '-o', '')), ['table', 'wide', 'json', 'yaml']);
    // cobra's protocol: `--flag=<TAB>` gets the values alone, the shell keeps `--flag=`.
    assert.deepEqual(words(await k('__complete', 'ambient', 'tag-move', 'prod', '1-28-10', '--dry-run=')), [
      'client',
      'server',
    ]);
    assert.deepEqual(words(await k('__complete', 'ambient', 'tags', '--output=j')), ['json']);
    assert.deepEqual(words(await k('__complete', 'ambient', 'tag-rollback', 'prod', '--to=1-2')).sort(), [
      '1-27-9',
      '1-28-10',
    ]);
  });

  it(
    'kubectl completion bash: __start_kubectl completes --dry-run=, --output= and the commands (each once)',
    {
      skip: existsSync(BASH_COMPLETION)
        ? false
        : `needs ${BASH_COMPLETION} (apt-get install bash-completion): kubectl's bash completion calls its _get_comp_words_by_ref`,
    },
    async () => {
      const file = join(work, 'kubectl.bash');
      const script = await k('completion', 'bash');
      assert.equal(script.code, 0, script.stderr);
      writeFileSync(file, script.stdout);
      // As bash calls a completion function: COMP_WORDS split at COMP_WORDBREAKS (so "=" is a word), the cursor at the end.
      const complete = async (words: string[]): Promise<string[]> => {
        const line = words.join(' ').replace(/ = ?/g, '=');
        const probe = [
          `source ${BASH_COMPLETION}`,
          `source ${file}`,
          `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}`,
          `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}`,
          '__start_kubectl kubectl 2>/dev/null',
          'printf "%s\\n" "${COMPREPLY[@]}"',
        ].join('\n');
        const r = await exec('/bin/bash', ['--noprofile', '--norc', '-c', probe], env);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.split('\n').filter((l) => l !== '');
      };
      assert.deepEqual(await complete(['kubectl', 'ambient', 'tag-move', 'prod', '1-28-10', '--dry-run', '=']), [
        'client',
        'server',
      ]);
      assert.deepEqual(await complete(['kubectl', 'ambient', 'tag-move', 'prod', '1-28-10', '--dry-run', '=', 's']), [
        'server',
      ]);
      assert.deepEqual(await complete(['kubectl', 'ambient', 'tags', '--output', '=']), [
        'table',
        'wide',
        'json',
        'yaml',
      ]);
      assert.deepEqual(await complete(['kubectl', 'ambient', 'revisions', '--output', '=', 'w']), ['wide']);
      assert.deepEqual((await complete(['kubectl', 'ambient', ''])).sort(), COMMANDS);
      assert.deepEqual((await complete(['kubectl', 'ambient', 'tag-'])).sort(), ['tag-move', 'tag-rollback']);
      assert.deepEqual(await complete(['kubectl', 'ambient', 'tag-move', 'p']), ['prod']);
    },
  );

  it('kubectl ambient completion bash: the script completes "kubectl ambient tag-move <TAB>" in bash', async () => {
    const script = await k('ambient', 'completion', 'bash');
    assert.equal(script.code, 0, script.stderr);
    const file = join(work, 'completion.bash');
    writeFileSync(file, script.stdout);
    const probe = `source ${file}; COMP_WORDS=(kubectl ambient tag-move p); COMP_CWORD=3; __kubectl_ambient_kubectl; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await exec('/bin/bash', ['--noprofile', '--norc', '-c', probe], env);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'prod\n', '']);
    const cmd = await exec(
      '/bin/bash',
      ['--noprofile', '--norc', '-c', probe.replace('tag-move p); COMP_CWORD=3', 'tag-); COMP_CWORD=2')],
      env,
    );
    assert.deepEqual(cmd.stdout.split('\n').filter(Boolean).sort(), ['tag-move', 'tag-rollback']);
    // --dry-run=<TAB>: readline replaces what follows "=", so the values come alone (without bash-completion too).
    const flag = await exec(
      '/bin/bash',
      [
        '--noprofile',
        '--norc',
        '-c',
        probe.replace('tag-move p); COMP_CWORD=3', 'tag-move prod 1-28-10 --dry-run = s); COMP_CWORD=7'),
      ],
      env,
    );
    assert.deepEqual([flag.stdout, flag.stderr], ['server\n', '']);
  });

  it(
    'kubectl ambient completion zsh: the completer offers the tags (zsh, with _describe stubbed)',
    { skip: existsSync('/usr/bin/zsh') ? false : 'zsh is not installed' },
    async () => {
      const script = await k('ambient', 'completion', 'zsh');
      const file = join(work, 'completion.zsh');
      writeFileSync(file, script.stdout);
      const probe = `autoload -Uz compinit && compinit -u -D -d ${join(work, 'zcomp')}; source ${file}; _describe() { print -l -- "\${(@P)\${@[-1]}}"; }; words=(kubectl ambient tag-move ''); CURRENT=4; __kubectl_ambient_kubectl`;
      const r = await exec('/usr/bin/zsh', ['-f', '-c', probe], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), [
        'canary:-> 1-28-10',
        'default:-> 1-27-9',
        'prod:-> 1-27-9',
      ]);
    },
  );

  it(
    'kubectl ambient completion fish: complete -C "kubectl ambient tag-move prod "',
    { skip: existsSync('/usr/bin/fish') ? false : 'fish is not installed' },
    async () => {
      const script = await k('ambient', 'completion', 'fish');
      const file = join(work, 'completion.fish');
      writeFileSync(file, script.stdout);
      const r = await exec(
        '/usr/bin/fish',
        ['--no-config', '-c', `source ${file}; complete -C 'kubectl ambient tag-move prod '`],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0])
          .sort(),
        ['1-27-9', '1-28-10'],
      );
      const flag = await exec(
        '/usr/bin/fish',
        ['--no-config', '-c', `source ${file}; complete -C 'kubectl ambient tag-move prod 1-28-10 --dry-run='`],
        env,
      );
      assert.deepEqual(flag.stdout.split('\n').filter(Boolean), ['--dry-run=client', '--dry-run=server']);
    },
  );

  it('installed like krew (only kubectl-ambient linked), kubectl ambient tags still works', async () => {
    const root = join(work, 'krew');
    const manifestText = readFileSync(join('dir' in release ? release.dir : '', 'ambient.yaml'), 'utf8');
    const archive = readFileSync(
      join('dir' in release ? release.dir : '', archiveName(version, PLATFORMS[0] as Platform)),
    );
    installLikeKrew(parse(manifestText) as Manifest, 'linux', 'amd64', archive, root, manifestText);
    const krewEnv = { ...env, PATH: `${join(root, 'bin')}:${dirname(kubectl)}` };
    assert.deepEqual(readdirSync(join(root, 'bin')), ['kubectl-ambient']);
    const r = await exec(kubectl, ['ambient', 'tags', '-o', 'json'], krewEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { tag: string }[]).map((t) => t.tag),
      ['default', 'canary', 'prod'],
    );
  });

  // Last: it moves every tag of the shared cluster.
  it('upgrade through kubectl (kubectl-ambient-upgrade): --dry-run changes nothing, then every tag moves behind its gate', async () => {
    const revOf = async (tag: string): Promise<string> =>
      (
        await k(
          'get',
          'mutatingwebhookconfiguration',
          `istio-revision-tag-${tag}`,
          '-o',
          'jsonpath={.metadata.labels.istio\\.io/rev}',
        )
      ).stdout;
    const dry = await k('ambient', 'upgrade', '1-28-10', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /^ {3}2\. prod +1-27-9 -> 1-28-10: /m);
    assert.match(dry.stderr, /^dry run: nothing was changed; run "kubectl ambient upgrade 1-28-10" to upgrade$/m);
    assert.equal(await revOf('prod'), '1-27-9');
    const noTty = await k('ambient', 'upgrade', '1-28-10');
    assert.equal(noTty.code, 64, noTty.stderr);
    const r = await k('ambient', 'upgrade', '1-28-10', '--yes', '--soak', '0s', '--timeout', '1m');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^✔ gate prod passed: 2\/2 healthy on 1-28-10/m);
    assert.match(
      r.stderr,
      /^upgrade to 1-28-10: done, every tag is on 1-28-10 \(2 moved, 0 rolled back, 1 skipped, 0 pending\)$/m,
    );
    for (const tag of ['default', 'prod', 'canary']) assert.equal(await revOf(tag), '1-28-10', tag);
    const pods = await k(
      'get',
      'pods',
      '-A',
      '-l',
      'gateway.networking.k8s.io/gateway-name',
      '-o',
      'jsonpath={.items[*].metadata.annotations.istio\\.io/rev}',
    );
    assert.deepEqual(
      [...new Set(pods.stdout.split(' '))],
      ['1-28-10'],
      'every gateway/waypoint proxy pod runs the new revision',
    );
  });
});

describe('the krew manifest', { skip }, () => {
  it('validates against krew-index rules and installs every platform like krew (scripts/validate-krew.ts)', () => {
    const dir = 'dir' in release ? release.dir : '';
    const { passed, failed } = validate(join(dir, 'ambient.yaml'), dir);
    assert.equal(failed, 0);
    assert.ok(passed >= 7);
  });
});

/** What an executable is, read from its header: ELF machine, PE machine/subsystem, Mach-O CPU. */
function describeExecutable(buf: Buffer): string {
  if (buf.readUInt32BE(0) === 0x7f454c46)
    return `ELF ${({ 0x3e: 'x86-64', 0xb7: 'aarch64' } as Record<number, string>)[buf.readUInt16LE(18)] ?? 'other'}`;
  if (buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    const ok = buf.toString('latin1', pe, pe + 4) === 'PE\0\0';
    const machine = buf.readUInt16LE(pe + 4);
    const magic = buf.readUInt16LE(pe + 24);
    const subsystem = buf.readUInt16LE(pe + 24 + 68);
    return `PE ${ok && machine === 0x8664 ? 'x86-64' : 'other'} ${magic === 0x20b ? 'PE32+' : 'PE32'} ${subsystem === 3 ? 'console' : 'gui'}`;
  }
  if (buf.readUInt32LE(0) === 0xfeedfacf)
    return `Mach-O ${({ 0x01000007: 'x86-64', 0x0100000c: 'arm64' } as Record<number, string>)[buf.readUInt32LE(4)] ?? 'other'}`;
  return 'unknown';
}

/** LC_CODE_SIGNATURE among a Mach-O's load commands. */
function machoSigned(buf: Buffer): boolean {
  const ncmds = buf.readUInt32LE(16);
  let off = 32;
  for (let i = 0; i < ncmds; i++) {
    if (buf.readUInt32LE(off) === 0x1d) return true;
    off += buf.readUInt32LE(off + 4);
  }
  return false;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

describe('the other platforms', { skip }, () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), 'ambient-e2e-platforms-'))));
  after(() => rmSync(work, { recursive: true, force: true }));
  const expected: Record<string, string> = {
    'linux-x64': 'ELF x86-64',
    'linux-arm64': 'ELF aarch64',
    'darwin-x64': 'Mach-O x86-64',
    'darwin-arm64': 'Mach-O arm64',
    'win-x64': 'PE x86-64 PE32+ console',
  };

  for (const p of PLATFORMS) {
    it(`${p.name}: ${expected[p.name] ?? ''} with the application injected (SEA fuse set, bundle inside)`, (t) => {
      const dir = unpack(p, work);
      const exe = readFileSync(join(dir, `kubectl-ambient${p.exe}`));
      assert.equal(describeExecutable(exe), expected[p.name]);
      assert.ok(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the SEA fuse is flipped');
      assert.ok(exe.includes('kubectl_complete-ambient'), 'the bundle is inside');
      const launchers = readdirSync(dir).filter(
        (f) => f.startsWith('kubectl-ambient-') || f.startsWith('kubectl_complete-'),
      );
      assert.equal(launchers.length, 2 * (PLUGINS.length - 1) + 1, launchers.join(' '));
      if (p.os === 'windows') assert.ok(launchers.every((f) => f.endsWith('.cmd')));
      if (p.os === 'darwin')
        t.diagnostic(
          `${p.name}: ${machoSigned(exe) ? 'signed' : 'NOT signed (no rcodesign/ldid/codesign on the build machine)'}`,
        );
      if (which('file'))
        t.diagnostic(
          `file: ${spawnSync('file', ['-b', join(dir, `kubectl-ambient${p.exe}`)], { encoding: 'utf8' }).stdout.trim()}`,
        );
    });
  }

  const sysroot = '/usr/aarch64-linux-gnu';
  const qemu = which('qemu-aarch64') && existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'));
  it(
    'linux-arm64 starts under qemu-aarch64: --version, and a launcher name picks its command',
    {
      skip: qemu
        ? false
        : 'no qemu-aarch64 with an aarch64 sysroot (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross): format checked above',
    },
    async () => {
      const dir = join(work, 'linux-arm64');
      const exe = join(dir, 'kubectl-ambient');
      const qenv = { QEMU_LD_PREFIX: sysroot };
      const v = await exec('qemu-aarch64', [exe, '--version'], qenv, 120_000);
      assert.deepEqual([v.code, v.stdout], [0, `${version}\n`], v.stderr);
      const tags = await exec(
        'qemu-aarch64',
        [exe, '--help'],
        { ...qenv, KUBECTL_AMBIENT_INVOKED_AS: 'kubectl-ambient-tags' },
        120_000,
      );
      assert.match(tags.stdout, /^kubectl ambient tags \[tag\]\n/, tags.stderr);
    },
  );

  const wine = ['wine64', 'wine'].find(which);
  it(
    'win-x64 starts under wine: --version',
    { skip: wine !== undefined ? false : 'wine is not installed (about 700 MB from Debian): PE format checked above' },
    async () => {
      const v = await exec(
        wine ?? 'wine',
        [join(work, 'win-x64', 'kubectl-ambient.exe'), '--version'],
        { HOME: work, WINEDEBUG: '-all', PATH: '/usr/bin:/bin' },
        300_000,
      );
      assert.equal(v.stdout.trim(), version, v.stderr);
    },
  );
});
