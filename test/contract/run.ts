/**
 * `npm run test:contract`: provides kube-apiserver and etcd once (scripts/kube-binaries.sh: env paths,
 * KUBEBUILDER_ASSETS, the cache, or a build), then runs the contract test files against each backend
 * in turn (the simulator first, then the real server), one summary per backend. Exit 1 if either fails.
 *
 * Arguments: test files (default: every test/contract/*.test.ts). CONTRACT_BACKENDS=sim|real picks one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO } from './harness.ts';

const files =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : readdirSync(join(REPO, 'test/contract'))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => relative(process.cwd(), join(REPO, 'test/contract', f)));
const wanted = (process.env['CONTRACT_BACKENDS'] ?? 'sim,real')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s === 'sim' || s === 'real');
const env: Record<string, string | undefined> = { ...process.env };
// The sim run leaves the CLI's JSON outputs here; the real run must print the same (cli.test.ts).
const outputs = mkdtempSync(join(tmpdir(), 'ambient-contract-out-'));
env['CONTRACT_OUTPUT_DIR'] = outputs;

if (wanted.includes('real')) {
  const started = Date.now();
  console.error('contract: providing kube-apiserver and etcd (scripts/kube-binaries.sh)');
  const out = await new Promise<{ code: number; stdout: string; lastError: string }>((resolve) => {
    const p = spawn('bash', [join(REPO, 'scripts/kube-binaries.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastError = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => {
      process.stderr.write(c);
      for (const l of c.toString().split('\n'))
        if (l.includes('kube-binaries: error:')) lastError = l.replace(/^kube-binaries: error: /, '');
    });
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, lastError }));
  });
  if (out.code === 0) {
    for (const line of out.stdout.trim().split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
    }
    const v = spawnSync(env['KUBE_APISERVER'] ?? '', ['--version'], { encoding: 'utf8' });
    const version = /v\d+\.\d+\.\d+\S*/.exec(v.stdout ?? '')?.[0];
    if (version !== undefined) env['CONTRACT_KUBE_VERSION'] = version;
    console.error(
      `contract: kube-apiserver ${version ?? '?'} at ${env['KUBE_APISERVER'] ?? '?'}, etcd at ${env['ETCD'] ?? '?'} (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  } else {
    env['CONTRACT_REAL_UNAVAILABLE'] =
      out.lastError !== '' ? out.lastError : `scripts/kube-binaries.sh exited with ${out.code}`;
    console.error(`contract: the real backend will be skipped: ${env['CONTRACT_REAL_UNAVAILABLE']}`);
  }
}

// Ctrl-C or a kill: pass it on to the test run (its files tear their servers down), run no further backend.
let current: ChildProcess | undefined;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    interrupted = true;
    current?.kill(sig);
  });
}

const summaries: string[] = [];
let failed = false;
for (const backend of wanted) {
  if (interrupted) break;
  console.error(`\ncontract: ${backend} backend`);
  const lines: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...env, CONTRACT_BACKENDS: backend },
      },
    );
    current = p;
    p.stdout.on('data', (c: Buffer) => {
      process.stdout.write(c);
      lines.push(...c.toString().split('\n'));
    });
    p.on('close', (c) => resolve(c ?? 1));
  });
  // eslint-disable-next-line no-control-regex
  const plain = lines.map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
  const count = (k: string): string =>
    plain.find((l) => new RegExp(`^ℹ ${k} \\d+`).test(l))?.replace(/^ℹ /, '') ?? `${k} ?`;
  summaries.push(
    `contract [${backend}]: ${['tests', 'pass', 'fail', 'skipped'].map(count).join(', ')}${code === 0 ? '' : ` (exit ${code})`}`,
  );
  if (code !== 0) failed = true;
}
rmSync(outputs, { recursive: true, force: true });
console.error(`\n${summaries.join('\n')}`);
process.exit(interrupted ? 130 : failed ? 1 : 0);
