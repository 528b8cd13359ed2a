import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { declareCommand, defineCommand, type CommandFactory, type PositionalTable } from '../cli/command.ts';
import { COMPLETION_SHELLS, completionScript } from '../cli/completion-scripts.ts';
import { KUBE_FLAGS, type FlagTable } from '../cli/options.ts';
import { clusterCandidates } from '../cli/candidates.ts';
import {
  analyse,
  commandSpecs,
  completionKubeArgs,
  DIRECTIVE,
  formatCompletion,
  globalFlags,
} from './shared/complete.ts';

/** The hidden command of cobra's completion protocol (what `kubectl_complete-ambient` runs). */
export const COMPLETE_COMMAND = '__complete';

// The kube flags are accepted (and listed in help) as by every command, though the script needs none.
const POSITIONALS = { shell: { choices: COMPLETION_SHELLS, describe: 'The shell', demandOption: true } } as const;

/** `kubectl ambient completion bash|zsh|fish`: the script that completes `kubectl ambient ...` in that shell. */
export const completionCommand = defineCommand(
  {
    command: 'completion <shell>',
    describe: 'Print the shell completion script for "kubectl ambient" (bash, zsh or fish)',
    flags: KUBE_FLAGS,
    positionals: POSITIONALS,
    positional: (y) => y.positional('shell', POSITIONALS.shell),
    examples: [
      [
        'source <(kubectl ambient completion bash)',
        'in ~/.bashrc, after kubectl\'s own "source <(kubectl completion bash)"',
      ],
      ['kubectl ambient completion fish | source', 'in ~/.config/fish/config.fish'],
    ],
  },
  (args, deps) => {
    deps.io.out(completionScript(args.shell));
  },
);

/**
 * Set when `kubectl_complete-ambient` was run (kubectl's plugin completion protocol, see
 * src/commands/multicall.ts): kubectl lists the `kubectl-ambient-<command>` executables on PATH as
 * subcommands itself, so those are left out (each command offered once). Our own shell scripts call
 * `__complete` without it and get every command.
 */
export const KUBECTL_COMPLETER_FLAG = 'kubectl-completer';
const COMPLETE_FLAGS = {
  ...KUBE_FLAGS,
  [KUBECTL_COMPLETER_FLAG]: {
    type: 'boolean',
    default: false,
    hidden: true,
    describe: 'Completing for kubectl (leave out the commands it lists from PATH)',
  },
} as const satisfies FlagTable;

const COMPLETE_POSITIONALS = {
  words: { type: 'string', array: true, describe: 'The command line so far, after "--"; the last word is completed' },
} as const satisfies PositionalTable;

/**
 * `__complete WORDS...` (hidden): the candidates for the last word. Tags and revisions come from
 * one snapshot of the cluster, read with the kube flags among the words; a cluster that cannot be
 * read gives no candidates (directive "error", the reason on stderr) and exit 0, as cobra does.
 */
export function completeCommandFor(factories: CommandFactory[]): CommandFactory {
  const declaration = declareCommand({
    command: `${COMPLETE_COMMAND} [words..]`,
    describe: false,
    flags: COMPLETE_FLAGS,
    positionals: COMPLETE_POSITIONALS,
    positional: (y) => y.positional('words', COMPLETE_POSITIONALS.words),
    examples: [],
  });
  return defineCommand(declaration, async (args, deps) => {
    // The words come after `--` (see src/commands/multicall.ts), so yargs leaves them in `_`.
    const words = args._.slice(1).map(String);
    // Asked by kubectl's own completion, which already offers each kubectl-ambient-<command> on PATH.
    const listedByKubectl = (command: string): boolean =>
      args[KUBECTL_COMPLETER_FLAG] && pluginOnPath(deps.env, command);
    const result = analyse(
      commandSpecs(factories, deps),
      globalFlags(KUBE_FLAGS),
      words.length === 0 ? [''] : words,
      listedByKubectl,
    );
    if (result.fromCluster === undefined) {
      deps.io.out(formatCompletion(result.candidates, result.directive));
      return;
    }
    try {
      const candidates = await clusterCandidates(deps, result.fromCluster, completionKubeArgs(result.kube));
      deps.io.out(
        formatCompletion(
          candidates.filter((c) => c.value.startsWith(result.partial)),
          result.directive,
        ),
      );
    } catch (e) {
      deps.io.err(`completion: ${e instanceof Error ? e.message : String(e)}\n`);
      deps.io.out(formatCompletion([], DIRECTIVE.error));
    }
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
  return dirs.some((d) =>
    [name, ...(windows ? [`${name}.exe`, `${name}.cmd`] : [])].some((f) => existsSync(join(d, f))),
  );
}
