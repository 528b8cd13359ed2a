/**
 * The CLI as a real process (the source entry under tsx, the way the packaged executable runs it):
 * for what an in-process run cannot show, SIGKILL, SIGTERM/SIGHUP and a second signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildCredentials, COMMON_OPTIONS, startupPlugin } from '../../scripts/lean-start.mjs';

export const ENTRY = new URL('../../src/bin/kubectl-ambient.ts', import.meta.url).pathname;
const CREDENTIALS = new URL('../../src/kube/credentials.ts', import.meta.url).pathname;

let bundled: Promise<string> | undefined;

/**
 * The dispatcher bundled as scripts/build.mjs bundles it (the same esbuild options and lean-start
 * plugins: stage 1's credentials bundle, the lazy stand-ins, the string-width wrapper), once per
 * test process: it starts in a fraction of the time tsx needs, and it is what the executables
 * package, so a fault of the build (a stand-in that cannot load) fails these tests.
 */
export function cliBundle(): Promise<string> {
  bundled ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ambient-cli-')), 'kubectl-ambient.cjs');
    const stage1 = await buildCredentials(CREDENTIALS);
    await build({
      entryPoints: [ENTRY],
      outfile: out,
      ...COMMON_OPTIONS,
      plugins: [startupPlugin({ entry: CREDENTIALS, code: stage1.code })],
      define: { __VERSION__: '"0.0.0-test"', 'import.meta.url': 'importMetaUrl' },
      banner: { js: 'const importMetaUrl = require("url").pathToFileURL(__filename).href;' },
    });
    return out;
  })();
  return bundled;
}

export interface CliProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches (or rejects when the process exits first). */
  waitForStderr(re: RegExp): Promise<void>;
  /** The exit: a code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `kubectl ambient <args>` (the bundle of cliBundle) as a child process with a clean environment (no colour). */
export async function spawnCli(args: string[], o: { home: string; env?: Record<string, string> }): Promise<CliProcess> {
  const proc = spawn(process.execPath, [await cliBundle(), ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: o.home, NO_COLOR: '1', ...(o.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters]) w();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => {
      done = true;
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: (re) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (re.test(err)) {
            waiters.delete(check);
            resolve();
          } else if (done) {
            waiters.delete(check);
            reject(new Error(`the CLI exited before stderr matched ${String(re)}:\n${err}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}
