import type { CommandFactory, RunOptions } from '../cli/run.ts';
import { COMPLETE_COMMAND, KUBECTL_COMPLETER_FLAG } from './completion.ts';
import { commands } from './index.ts';
import { revisionsCommand } from './revisions.ts';
import { skewCommand } from './skew.ts';
import { tagMoveCommand } from './tag-move.ts';
import { tagRollbackCommand } from './tag-rollback.ts';
import { tagsCommand } from './tags.ts';
import { upgradeCommand } from './upgrade.ts';

/**
 * The names one multi-call executable answers to. kubectl turns `kubectl ambient tag-move` into
 * `kubectl-ambient-tag_move` (dashes of the words become underscores), falls back to
 * `kubectl-ambient tag-move`, and (1.26+) completes `kubectl ambient <TAB>` through
 * `kubectl_complete-ambient`.
 */
export const DISPATCHER_NAME = 'kubectl-ambient';
export const COMPLETION_NAME = 'kubectl_complete-ambient';
/** Single-purpose names: the archives ship a launcher for each (ARCHIVE_LAUNCHERS). */
export const SINGLE_COMMANDS: Record<string, { factory: CommandFactory; scriptName: string }> = {
  'kubectl-ambient-revisions': { factory: revisionsCommand, scriptName: 'kubectl ambient revisions' },
  'kubectl-ambient-tags': { factory: tagsCommand, scriptName: 'kubectl ambient tags' },
  'kubectl-ambient-tag_move': { factory: tagMoveCommand, scriptName: 'kubectl ambient tag-move' },
  'kubectl-ambient-tag_rollback': { factory: tagRollbackCommand, scriptName: 'kubectl ambient tag-rollback' },
  'kubectl-ambient-upgrade': { factory: upgradeCommand, scriptName: 'kubectl ambient upgrade' },
  'kubectl-ambient-skew': { factory: skewCommand, scriptName: 'kubectl ambient skew' },
};
/**
 * When `kubectl-ambient-tag_move` is on PATH, kubectl completes `kubectl ambient tag-move <TAB>`
 * through `kubectl_complete-ambient-tag_move` (with the words after `tag-move`), not through
 * COMPLETION_NAME: one completion name per single-purpose one.
 */
export const completionNameOf = (single: string): string => single.replace(/^kubectl-/, 'kubectl_complete-');
/** Every name besides DISPATCHER_NAME that the executable answers to. */
export const LINK_NAMES = [
  ...Object.keys(SINGLE_COMMANDS),
  COMPLETION_NAME,
  ...Object.keys(SINGLE_COMMANDS).map(completionNameOf),
];
/**
 * The launchers the release archives hold beside DISPATCHER_NAME (krew cannot unpack symbolic
 * links): one per single-purpose executable (`kubectl-ambient-tags`, ...) and per completer. kubectl's
 * completion offers each `kubectl-ambient-<command>` on PATH as a subcommand of `ambient` by itself,
 * so `__complete` leaves those out of the command list (each command is offered once).
 */
export const ARCHIVE_LAUNCHERS = LINK_NAMES;

/**
 * Set by the launchers of the release archives to the name they stand for: a launcher cannot pass
 * its own name as argv[0] portably (`exec -a` is not POSIX, and .cmd files have no equivalent).
 */
export const INVOKED_AS_ENV = 'KUBECTL_AMBIENT_INVOKED_AS';

export interface Invocation {
  factories: CommandFactory[];
  opts: Omit<RunOptions, 'version'>;
  argv: string[];
}

/** `/usr/local/bin/kubectl-ambient-tags`, `C:\krew\kubectl-ambient.exe`, `dist/kubectl-ambient-tags.cjs` -> the bare name. */
export function invokedName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? '';
  return base.replace(/\.(exe|cmd|cjs|js|ts)$/i, '');
}

/**
 * What to run for an executable invoked as `argv1` (process.argv[1]: the path it was started by,
 * also under Node's single-executable applications) with `args`. Unknown names (a renamed
 * download, `node dist/kubectl-ambient-multicall.cjs`) get the dispatcher.
 */
export function invocation(argv1: string, args: string[], env: Record<string, string | undefined>): Invocation {
  const name = env[INVOKED_AS_ENV] ?? invokedName(argv1);
  const single = SINGLE_COMMANDS[name];
  if (single !== undefined)
    return { factories: [single.factory], opts: { scriptName: single.scriptName, single: true }, argv: args };
  const dispatcher = { factories: commands, opts: { scriptName: 'kubectl ambient', single: false } };
  // The completion protocol takes the words verbatim: `--` keeps yargs from reading `--help` & co. among them.
  if (name === COMPLETION_NAME)
    return { ...dispatcher, argv: [COMPLETE_COMMAND, `--${KUBECTL_COMPLETER_FLAG}`, '--', ...args] };
  const completes = Object.entries(SINGLE_COMMANDS).find(([n]) => completionNameOf(n) === name)?.[1];
  if (completes !== undefined)
    return { ...dispatcher, argv: [COMPLETE_COMMAND, '--', completes.scriptName.split(' ').pop() ?? '', ...args] };
  if (args[0] === COMPLETE_COMMAND && args[1] !== '--')
    return { ...dispatcher, argv: [COMPLETE_COMMAND, '--', ...args.slice(1)] };
  return { ...dispatcher, argv: args };
}
