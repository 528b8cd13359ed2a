/**
 * Drives the real CLI entry point (`run` with every command, the real kube seam and client-node)
 * in-process against a simulated cluster, capturing stdout, stderr and the exit code.
 */
import { kubeConnector, kubeContexts, type Deps } from '../../src/cli/deps.ts';
import { run } from '../../src/cli/run.ts';
import { commands } from '../../src/commands/index.ts';
import { captureIo, type CaptureOptions, type CapturedIo } from './io.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  io: CapturedIo;
}

export interface CliOptions extends CaptureOptions {
  kubeconfig?: string;
  env?: Record<string, string | undefined>;
  now?: Date;
  signal?: AbortSignal;
}

/** `kubectl ambient <argv...>` with `--kubeconfig` pointing at the simulated cluster. */
export async function ambient(argv: string[], o: CliOptions = {}): Promise<CliResult> {
  const io = captureIo(o);
  const env = { HOME: '/nonexistent-home', ...(o.env ?? {}) };
  const signal = o.signal ?? new AbortController().signal;
  const deps: Deps = {
    io,
    env,
    signal,
    now: () => o.now ?? new Date('2026-11-27T12:00:00Z'),
    connect: kubeConnector(env, signal, (l) => io.err(`${l}\n`)),
    contexts: kubeContexts(env),
  };
  const args = o.kubeconfig !== undefined ? [...argv, '--kubeconfig', o.kubeconfig] : argv;
  const code = await run(args, commands, deps, { scriptName: 'kubectl ambient', single: false, version: '0.0.0-test' });
  return { code, stdout: io.stdout, stderr: io.stderr, io };
}
