import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import yargs, { type ArgumentsCamelCase, type Argv } from 'yargs';
import { AmbientError } from '../core/errors.ts';
import { kubeConnector, kubeContexts, type Deps } from './deps.ts';
import { exitCode } from './errors.ts';
import type { AmbientCommand, CommandFactory } from './command.ts';
import { KUBE_FLAGS, type FlagTable } from './options.ts';
import { processIo } from './io.ts';
import { clusterCandidates, POSITIONAL_LISTS } from './candidates.ts';
import { cutList } from './render/table.ts';
import { closest } from './suggest.ts';

export type { CommandFactory } from './command.ts';

export interface RunOptions {
  /** The name shown in help and hints, e.g. `kubectl ambient` or `kubectl ambient tags`. */
  scriptName: string;
  /** A single-purpose executable: the one command is the root command. */
  single: boolean;
  version: string;
}

/** The flags known where parsing stopped (the command's own too); used for "did you mean" on unknown flags. */
function knownFlags(command: AmbientCommand<object> | undefined): string[] {
  return ['help', 'version', ...Object.keys(command?.flags ?? KUBE_FLAGS)];
}

/**
 * The dispatcher's kube flags: known before a command is named (`kubectl ambient tgas --context x`
 * is about `tgas`), not global, so that the command's own declaration of them takes over (a global
 * one would be listed twice in the command's help).
 */
const DISPATCHER_FLAGS: FlagTable = Object.fromEntries(
  Object.entries(KUBE_FLAGS).map(([k, v]) => [k, { ...v, global: false }]),
);

/** kubectl's namespace flag: here the Istio control plane's namespace is `-i`. */
const NAMESPACE_HINT =
  "-n/--namespace is kubectl's namespace flag: the Istio control plane's namespace is -i/--istio-namespace (default istio-system)";
const NAMESPACE_FLAGS = ['n', 'namespace'];

async function usageError(
  message: string,
  args: Record<string, unknown>,
  modules: AmbientCommand<object>[],
  argv: string[],
  opts: RunOptions,
  deps: Deps,
): Promise<AmbientError> {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const commands = modules.map(commandName);
  const module = opts.single
    ? modules[0]
    : modules.find((m) => commandName(m) === String(args['_'] instanceof Array ? args['_'][0] : ''));
  const flags = knownFlags(module);
  // The help of the command the words name, else the dispatcher's.
  const own = module !== undefined && !opts.single ? `${opts.scriptName} ${commandName(module)}` : opts.scriptName;
  let hint = `run "${own} --help"`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(lines[0] ?? '');
  if (unknown !== null) {
    const words = (unknown[1] ?? '').split(',').map((w) => w.trim());
    const word = words[0] ?? '';
    const guess = closest(word, [...commands, ...flags]);
    if (words.some((w) => NAMESPACE_FLAGS.includes(w))) {
      hint = `${NAMESPACE_HINT}; ${hint}`;
    } else if (guess !== undefined) {
      hint = `did you mean "${commands.includes(guess) ? guess : `--${guess}`}"? ${hint}`;
    }
  }
  // yargs: "Invalid values:", then a line "Argument: X, Given: ..., Choices: ..." per invalid argument.
  if (lines[0] === 'Invalid values:') {
    const each = lines.slice(1).map((l) => /^Argument: (\S+), Given: (.*), Choices: (.*)$/.exec(l));
    if (each.length > 0 && each.every((m) => m !== null)) {
      const said = each.map(([, name = '', given = '', choices = '']) => {
        const what = module !== undefined && name in module.positionals ? name.toUpperCase() : `--${name}`;
        return `invalid ${what} ${given}: use one of ${choices.replaceAll('"', '')}`;
      });
      return new AmbientError('usage', said.join('; '), hint);
    }
  }
  const missing = /^Not enough non-option arguments: got (\d+), need at least \d+$/.exec(lines[0] ?? '');
  if (missing !== null && module !== undefined)
    return missingPositional(module, Number(missing[1]), args, argv, opts, deps);
  return new AmbientError('usage', lines.join(' '), hint);
}

function commandName(m: AmbientCommand<object>): string {
  return String(m.command).split(' ')[0] ?? '';
}

/**
 * `tag-move prod` without a revision: names what is missing in the command's usage and lists the
 * candidates (tags, revisions) from one read of the cluster, with the kube flags given (5 s unless
 * --request-timeout says otherwise); when the cluster cannot be read, says why instead.
 */
async function missingPositional(
  m: AmbientCommand<object>,
  given: number,
  args: Record<string, unknown>,
  argv: string[],
  opts: RunOptions,
  deps: Deps,
): Promise<AmbientError> {
  const [name = '', ...positionals] = String(m.command).split(' ');
  const required = positionals.filter((p) => p.startsWith('<')).map((p) => p.replace(/^<|\.*>$/g, ''));
  const what = required[given] ?? required.at(-1) ?? '';
  const command = opts.single ? opts.scriptName : `${opts.scriptName} ${name}`;
  const usage = [
    command,
    ...required.map((p, i) => (i < given && typeof args[p] === 'string' ? args[p] : p.toUpperCase())),
  ].join(' ');
  const message = `missing ${what.toUpperCase()}: ${usage}`;
  const list = POSITIONAL_LISTS[what];
  if (list === undefined) return new AmbientError('usage', message, `run "${command} --help"`);
  const str = (k: string): string | undefined => (typeof args[k] === 'string' ? args[k] : undefined);
  const timeoutGiven = argv.some((a) => a === '--request-timeout' || a.startsWith('--request-timeout='));
  try {
    const candidates = await clusterCandidates(deps, list, {
      kubeconfig: str('kubeconfig'),
      context: str('context'),
      'istio-namespace': str('istio-namespace') ?? 'istio-system',
      'request-timeout': timeoutGiven ? (str('request-timeout') ?? '5s') : '5s',
      verbose: false,
      as: undefined,
      'as-group': undefined,
      'as-uid': undefined,
    });
    const items = candidates
      .sort((a, b) => a.value.localeCompare(b.value, 'en', { numeric: true }))
      .map((c) => (c.description !== undefined && c.description !== '' ? `${c.value} (${c.description})` : c.value));
    const label = list === 'tags' ? 'existing tags' : 'installed revisions';
    return new AmbientError(
      'usage',
      message,
      items.length === 0
        ? `no ${list} found in namespace ${str('istio-namespace') ?? 'istio-system'}`
        : `${label}: ${cutList(items, 200, ', ')}`,
    );
  } catch (e) {
    if (deps.signal.aborted) return new AmbientError('usage', message);
    return new AmbientError(
      'usage',
      message,
      `the ${list} could not be listed (${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)})`,
    );
  }
}

/** Help is laid out for the terminal stdout is (80 columns when it is not one, yargs' default). */
function helpWidth(deps: Deps): number {
  return deps.io.columns ?? 80;
}

/**
 * A command's examples as its help shows them. They are written for the dispatcher (`$0 tags prod`);
 * a single-purpose executable (`kubectl-ambient-tags`) is named `kubectl ambient tags` in help, so
 * there they drop the command's name: `kubectl ambient tags prod`, not `... tags tags prod`.
 */
function examplesOf(m: AmbientCommand<object>, single: boolean): [string, string][] {
  const prefix = `$0 ${commandName(m)}`;
  const own = (cmd: string): string =>
    single && (cmd === prefix || cmd.startsWith(`${prefix} `)) ? `$0${cmd.slice(prefix.length)}` : cmd;
  return m.examples.map(([cmd, description]) => [own(cmd), description]);
}

/**
 * What the handler yargs runs throws: the command yargs chose, with the arguments it parsed and
 * validated; run() then runs the command itself. yargs stops there: after a handler it lays out the
 * command's whole help text (cliui, string-width) for a showHelp() that none of ours makes, on every
 * run of the dispatcher (a single-purpose executable's command is yargs' default one, which skips it).
 */
class Chosen extends Error {
  constructor(
    readonly command: AmbientCommand<object>,
    readonly args: ArgumentsCamelCase<object>,
  ) {
    super(`command ${commandName(command)} chosen`);
  }
}

/**
 * Parses argv, runs the command and returns the exit code. The one place that turns errors into
 * exit codes and prints `error: ...` (one line; the stack only with --verbose).
 */
export async function run(argv: string[], factories: CommandFactory[], deps: Deps, opts: RunOptions): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const modules = factories.map((f) => f(deps));
  let y = yargs(argv)
    .scriptName(opts.scriptName)
    .parserConfiguration({ 'dot-notation': false, 'camel-case-expansion': true })
    .strict()
    .exitProcess(false)
    .help()
    .alias('help', 'h')
    .version(opts.version)
    .wrap(helpWidth(deps));
  for (const m of modules) {
    y = y.command({
      command: opts.single ? String(m.command).replace(/^\S+/, '$0') : m.command,
      describe: m.describe,
      builder: (b: Argv) => m.builder(b).example(examplesOf(m, opts.single)),
      handler: (args) => {
        throw new Chosen(m, args);
      },
    });
  }
  // The dispatcher knows the kube flags globally, so `kubectl ambient tgas --context x` is about `tgas`.
  if (!opts.single) y = y.options(DISPATCHER_FLAGS).demandCommand(1, 'a command is required');
  let usage: AmbientError | undefined;
  let failure: { message: string; args: Record<string, unknown> } | undefined;
  let output = '';
  let chosen: Chosen | undefined;
  try {
    try {
      await y.parseAsync(argv, {}, (err: Error | undefined, args: Record<string, unknown>, out: string) => {
        output = out;
        // yargs reports its own validation failures (YError) here: those are usage errors.
        if (err !== undefined && err !== null && err.name === 'YError') failure = { message: err.message, args };
      });
    } catch (e) {
      if (!(e instanceof Chosen)) throw e;
      chosen = e;
    }
    if (failure !== undefined) usage = await usageError(failure.message, failure.args, modules, argv, opts, deps);
    if (usage !== undefined) throw usage;
    if (output !== '') {
      deps.io.out(output.endsWith('\n') ? output : `${output}\n`); // --help, --version
      return 0;
    }
    // Words after `--` satisfy yargs' demandCommand without naming a command yargs runs.
    if (chosen === undefined)
      throw new AmbientError(
        'usage',
        'a command is required (the words after "--" are not read as one)',
        `run "${opts.scriptName} --help"`,
      );
    await chosen.command.handler(chosen.args);
    return 0;
  } catch (e) {
    return report(usage ?? e, deps, verbose);
  }
}

/** Prints one line for an error and returns its exit code. */
export function report(e: unknown, deps: Deps, verbose: boolean): number {
  if (e instanceof AmbientError) {
    deps.io.err(`error: ${e.message}${e.hint !== undefined ? `; ${e.hint}` : ''}\n`);
    if (verbose && e.stack !== undefined)
      deps.io.err(
        `${e.stack}\n${e.cause instanceof Error && e.cause.stack !== undefined ? `caused by: ${e.cause.stack}\n` : ''}`,
      );
    return exitCode(e.kind);
  }
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  deps.io.err(`error: ${message}; this is a bug in kubectl-ambient: re-run with --verbose and report it\n`);
  if (verbose && e instanceof Error && e.stack !== undefined) deps.io.err(`${e.stack}\n`);
  return exitCode('internal');
}

/** The signals a CLI run treats as "stop": Ctrl-C, kill, and a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The process entry of every executable: wires the real process into Deps. SIGINT, SIGTERM and
 * SIGHUP are handled alike: the first aborts (reads stop, a running write finishes and is undone,
 * exit 130); a second exits at once, after saying what state a write in progress leaves.
 */
export async function main(
  factories: CommandFactory[],
  opts: Omit<RunOptions, 'version'>,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  const restoreYoungGeneration = keepYoungGenerationSmall();
  const controller = new AbortController();
  const io = processIo();
  const interruptNote: { current: string | undefined } = { current: undefined };
  let interrupts = 0;
  const onSignal = (sig: string): void => {
    interrupts++;
    if (interrupts > 1) {
      io.err(`\nerror: ${sig} again: stopped at once; ${interruptNote.current ?? 'nothing was being written'}\n`);
      process.exit(exitCode('interrupted'));
    }
    if (interruptNote.current !== undefined)
      io.err(
        `\n${sig}: finishing the request in flight, then undoing this run's writes (a second signal stops at once)\n`,
      );
    controller.abort(new AmbientError('interrupted', `interrupted (${sig})`));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, () => onSignal(sig));
  const env = { ...process.env };
  const log = (line: string): void => io.err(`${line}\n`);
  const deps: Deps = {
    io,
    env,
    signal: controller.signal,
    now: () => new Date(),
    connect: kubeConnector(env, controller.signal, log),
    contexts: kubeContexts(env),
    verboseLog: log,
    interruptNote,
    newId: () => randomUUID().slice(0, 8),
  };
  let code: number;
  try {
    code = await run(argv, factories, deps, { ...opts, version: VERSION });
  } finally {
    restoreYoungGeneration();
  }
  process.exitCode = controller.signal.aborted && code !== 0 ? exitCode('interrupted') : code;
}

/** What a multi-call executable runs, chosen from how it was invoked (see src/commands/multicall.ts). */
export type PickInvocation = (
  argv1: string,
  args: string[],
  env: Record<string, string | undefined>,
) => { factories: CommandFactory[]; opts: Omit<RunOptions, 'version'>; argv: string[] };

/**
 * V8 lets its young generation grow from 1 MiB to 16 MiB semi-spaces (48 MiB reserved) when many
 * objects survive a scavenge, which is what a snapshot of a large cluster does (every list item is
 * kept). That growth was about 20 MiB of the peak RSS at 10,000 namespaces and 22,000 pods, for no
 * gain in a process that lives seconds (README "Performance": peak RSS with and without). Unlike
 * `--max-semi-space-size`, the growth factor is read at each growth, so it can be set at run time
 * (an `execArgv` in the executable would cost its fast start, scripts/package.ts).
 *
 * The returned function puts back V8's default (2) when the command ends: V8 checks code caches
 * against a hash of its flags, and both the executable's cache (made after a training run,
 * scripts/train-cache.cjs) and Node's compile cache of the bundle (written at exit) are made then;
 * made with the flag still set, each would be rejected at every start (test/e2e checks "code cache:
 * accepted", which caught it).
 */
function keepYoungGenerationSmall(): () => void {
  setFlagsFromString('--semi-space-growth-factor=1');
  return () => setFlagsFromString('--semi-space-growth-factor=2');
}

/**
 * The entry of the multi-call executable: `pick` gets the path it was started by (process.argv[1],
 * which keeps the name of a link also in Node's single-executable applications), the arguments and
 * the environment.
 */
export async function mainByName(pick: PickInvocation): Promise<void> {
  const { factories, opts, argv } = pick(process.argv[1] ?? process.argv0, process.argv.slice(2), process.env);
  await main(factories, opts, argv);
}

/** Replaced by the build (esbuild `define`) with package.json's version. */
declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
