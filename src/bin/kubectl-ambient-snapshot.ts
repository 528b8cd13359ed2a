import { startupSnapshot } from 'node:v8';
import type { Deps } from '../cli/deps.ts';
import { mainByName, run } from '../cli/run.ts';
import { commands } from '../commands/index.ts';
import { invocation } from '../commands/multicall.ts';

/** Runs the dispatcher once with nothing connected and no output, so that V8 compiles its hot paths. */
async function warmUp(): Promise<void> {
  const quiet = { out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false, colorOut: false, colorErr: false };
  const io = { ...quiet, prompt: () => Promise.resolve(''), spinner: () => ({ update: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined }) };
  const deps: Deps = { io, env: {}, signal: new AbortController().signal, now: () => new Date(0), connect: () => Promise.reject(new Error('no cluster')) };
  for (const argv of [['--help'], ['tags', '--help'], ['tags']]) await run(argv, commands, deps, { scriptName: 'kubectl ambient', single: false, version: '0' });
}

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(() => void mainByName(invocation));
  void warmUp();
} else {
  void mainByName(invocation);
}
