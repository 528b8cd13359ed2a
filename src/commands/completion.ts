import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from '../cli/completion-scripts.ts';
import type { Deps } from '../cli/deps.ts';
import { withKubeOptions } from '../cli/options.ts';
import type { CommandFactory } from '../cli/run.ts';
import { clusterCandidates } from '../cli/candidates.ts';
import { analyse, commandSpecs, completionKubeArgs, DIRECTIVE, formatCompletion, globalFlags } from './complete.ts';

/** The hidden command of cobra's completion protocol (what `kubectl_complete-ambient` runs). */
export const COMPLETE_COMMAND = '__complete';

/** `kubectl ambient completion bash|zsh|fish`: the script that completes `kubectl ambient ...` in that shell. */
export function completionCommand(deps: Deps): CommandModule<object, { shell: CompletionShell }> {
  return {
    command: 'completion <shell>',
    describe: 'Print the shell completion script for "kubectl ambient" (bash, zsh or fish)',
    builder: (y: Argv) =>
      y
        .positional('shell', { choices: COMPLETION_SHELLS, describe: 'The shell' })
        .example('source <(kubectl ambient completion bash)', 'in ~/.bashrc, after kubectl\'s own "source <(kubectl completion bash)"')
        .example('kubectl ambient completion fish | source', 'in ~/.config/fish/config.fish') as unknown as Argv<{ shell: CompletionShell }>,
    handler: (args) => {
      deps.io.out(completionScript(args.shell));
    },
  };
}

/**
 * `__complete WORDS...` (hidden): the candidates for the last word. Tags and revisions come from
 * one snapshot of the cluster, read with the kube flags among the words; a cluster that cannot be
 * read gives no candidates (directive "error", the reason on stderr) and exit 0, as cobra does.
 */
export function completeCommandFor(factories: CommandFactory[]): CommandFactory {
  return (deps: Deps): CommandModule<object, { _: (string | number)[] }> => ({
    command: `${COMPLETE_COMMAND} [words..]`,
    describe: false,
    builder: (y: Argv) => y,
    handler: async (args) => {
      // The words come after `--` (see src/commands/multicall.ts), so yargs leaves them in `_`.
      const words = args._.slice(1).map(String);
      const result = analyse(commandSpecs(factories, deps), globalFlags(withKubeOptions), words.length === 0 ? [''] : words, (command) => pluginOnPath(deps.env, command));
      if (result.fromCluster === undefined) {
        deps.io.out(formatCompletion(result.candidates, result.directive));
        return;
      }
      try {
        const candidates = await clusterCandidates(deps, result.fromCluster, completionKubeArgs(result.kube));
        deps.io.out(formatCompletion(candidates.filter((c) => c.value.startsWith(result.partial)), result.directive));
      } catch (e) {
        deps.io.err(`completion: ${e instanceof Error ? e.message : String(e)}\n`);
        deps.io.out(formatCompletion([], DIRECTIVE.error));
      }
    },
  });
}

/**
 * Whether kubectl's plugin discovery finds `kubectl-ambient-<command>` (dashes as underscores) on
 * PATH, as a file kubectl would run (on Windows also `.exe`/`.cmd`).
 */
function pluginOnPath(env: Record<string, string | undefined>, command: string): boolean {
  const name = `kubectl-ambient-${command.replaceAll('-', '_')}`;
  const windows = (env['PATHEXT'] ?? '') !== '';
  const dirs = (env['PATH'] ?? '').split(windows ? ';' : ':').filter((d) => d !== '');
  return dirs.some((d) => [name, ...(windows ? [`${name}.exe`, `${name}.cmd`] : [])].some((f) => existsSync(join(d, f))));
}
