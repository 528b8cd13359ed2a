/**
 * Shell completion in cobra's `__complete` protocol, which kubectl (1.26+) speaks with plugins
 * through `kubectl_complete-<plugin>`: given the words after `kubectl ambient` (the last one is
 * the word being completed, possibly empty), print one candidate per line (`value\tdescription`),
 * then `:<directive>`. The flags and positionals are read from the tables each command's builder
 * hands to yargs, so completion cannot drift from the parser.
 */
import type { CommandFactory, PositionalTable } from '../../cli/command.ts';
import type { Deps } from '../../cli/deps.ts';
import type { FlagTable, KubeArgs } from '../../cli/options.ts';
import { POSITIONAL_LISTS, type Candidate, type ClusterList } from '../../cli/candidates.ts';

/** cobra's ShellCompDirective bits. */
export const DIRECTIVE = { default: 0, error: 1, noSpace: 2, noFileComp: 4 } as const;

export type { Candidate } from '../../cli/candidates.ts';

interface FlagSpec {
  names: string[];
  takesValue: boolean;
  choices: string[] | undefined;
  description: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  hidden: boolean;
  positionals: string[];
  flags: FlagSpec[];
  /** Choices of positionals that have them (e.g. `completion <shell>`). */
  positionalChoices: Record<string, string[]>;
}

/** What completing the last word needs. */
export interface Completion {
  candidates: Candidate[];
  directive: number;
  /** Candidates still to be read from the cluster (one snapshot), kept when they start with `partial`. */
  fromCluster?: ClusterList;
  /** What the user typed of the value being completed (`cl` of `--dry-run=cl`). */
  partial: string;
  /** The kube flags found among the words (to read the cluster like the command would). */
  kube: Partial<Record<'kubeconfig' | 'context' | 'istio-namespace' | 'request-timeout' | 'as' | 'as-uid', string>> & {
    'as-group'?: string[];
  };
}

/** Flags whose value is a cluster object or a file; others complete to nothing (e.g. durations). */
const FLAG_VALUES: Record<string, ClusterList | 'files' | string[]> = {
  to: 'revisions',
  target: 'revisions',
  tags: 'tags',
  kubeconfig: 'files',
  'dry-run': ['client', 'server'],
};

/** yargs' own flags, first in every command's help: `--help` (and on the dispatcher `--version`). */
const HELP: FlagTable = { help: { type: 'boolean', describe: 'Show help' } };
const VERSION: FlagTable = { version: { type: 'boolean', describe: 'Show version number' } };

function flagSpecs(table: FlagTable): FlagSpec[] {
  return Object.entries(table)
    .filter(([, o]) => o.hidden !== true)
    .map(([k, o]) => ({
      names: [k, ...[o.alias ?? []].flat()],
      takesValue: o.type !== 'boolean' && o.type !== 'count' && o.boolean !== true && o.count !== true,
      choices: o.choices === undefined ? undefined : [o.choices].flat().map(String),
      description: o.describe ?? o.description ?? o.desc ?? '',
    }));
}

/** Each command's name, positionals and flags, from the tables its builder declares (no handler runs). */
export function commandSpecs(factories: CommandFactory[], deps: Deps): CommandSpec[] {
  return factories.map((f) => {
    const m = f(deps);
    const [name = '', ...rest] = m.command.split(' ');
    const positionals = rest.map((p) => p.replace(/^[<[]|\.*[>\]]$/g, '').replace(/\.\.$/, ''));
    return {
      name,
      description: typeof m.describe === 'string' ? m.describe : '',
      hidden: m.describe === false,
      positionals,
      flags: flagSpecs({ ...HELP, ...m.flags }),
      positionalChoices: choicesOf(m.positionals),
    };
  });
}

function choicesOf(positionals: PositionalTable): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(positionals).flatMap(([k, p]) =>
      p.choices === undefined ? [] : [[k, [p.choices].flat().map(String)]],
    ),
  );
}

const KUBE_FLAGS = ['kubeconfig', 'context', 'istio-namespace', 'request-timeout', 'as', 'as-uid'] as const;

function findFlag(flags: FlagSpec[], name: string): FlagSpec | undefined {
  return flags.find((f) => f.names.includes(name));
}

function byPrefix(candidates: Candidate[], prefix: string): Candidate[] {
  return candidates.filter((c) => c.value.startsWith(prefix));
}

/**
 * Completes the value of `flag` from what was typed of it (`word`). Bare values also for
 * `--dry-run=<TAB>`, as cobra answers: the shell keeps `--dry-run=` (bash and readline replace only
 * what follows `=`; kubectl's and our zsh and fish scripts put the flag back in front).
 */
function flagValue(flag: FlagSpec, word: string, kube: Completion['kube']): Completion {
  const values = flag.choices ?? FLAG_VALUES[flag.names[0] ?? ''];
  if (values === 'files') return { candidates: [], directive: DIRECTIVE.default, kube, partial: word };
  if (values === 'tags' || values === 'revisions')
    return { candidates: [], directive: DIRECTIVE.noFileComp, fromCluster: values, kube, partial: word };
  return {
    candidates: byPrefix(
      (values ?? []).map((value) => ({ value })),
      word,
    ),
    directive: DIRECTIVE.noFileComp,
    kube,
    partial: word,
  };
}

/**
 * Works out what the last of `words` completes to. `global` are the flags the dispatcher knows
 * before a command is named; `specs` the commands.
 */
export function analyse(
  specs: CommandSpec[],
  global: FlagSpec[],
  words: string[],
  listedByKubectl: (command: string) => boolean = () => false,
): Completion {
  const kube: Completion['kube'] = {};
  const current = words.at(-1) ?? '';
  let command: CommandSpec | undefined;
  let unknownCommand = false;
  let positional = 0;
  let pending: FlagSpec | undefined;
  let dashDash = false;
  const given = new Set<string>();
  const record = (flag: FlagSpec, value: string): void => {
    const key = KUBE_FLAGS.find((k) => flag.names.includes(k));
    if (key !== undefined) kube[key] = value;
    // Impersonation reads the cluster as the user the command would act as.
    if (flag.names.includes('as-group')) kube['as-group'] = [...(kube['as-group'] ?? []), value];
  };
  for (const w of words.slice(0, -1)) {
    const flags = command?.flags ?? global;
    if (pending !== undefined) {
      record(pending, w);
      pending = undefined;
    } else if (!dashDash && w === '--') {
      dashDash = true;
    } else if (!dashDash && w.startsWith('-') && w !== '-') {
      // --name, --name=value, -n, -n=value, -nvalue (kubectl's -ojson)
      const long = /^--([^=]+)(?:=(.*))?$/s.exec(w);
      const name = long?.[1] ?? w.slice(1, 2);
      const inline = long !== null ? long[2] : w.length > 2 ? w.slice(2).replace(/^=/, '') : undefined;
      const flag = findFlag(flags, name) ?? findFlag(flags, name.replace(/^no-/, ''));
      if (flag === undefined) continue;
      given.add(flag.names[0] ?? name);
      if (flag.takesValue && inline === undefined) pending = flag;
      else if (inline !== undefined) record(flag, inline);
    } else if (command === undefined && !unknownCommand) {
      command = specs.find((s) => s.name === w);
      unknownCommand = command === undefined;
    } else {
      positional++;
    }
  }
  const none: Completion = { candidates: [], directive: DIRECTIVE.noFileComp, kube, partial: current };
  if (unknownCommand) return none;
  const flags = command?.flags ?? global;
  if (pending !== undefined) return flagValue(pending, current, kube);
  if (!dashDash && current.startsWith('-')) {
    const withValue = /^(--?[^=]+)=(.*)$/s.exec(current);
    if (withValue !== null) {
      const flag = findFlag(flags, (withValue[1] ?? '').replace(/^--?/, ''));
      return flag === undefined ? { ...none, partial: withValue[2] ?? '' } : flagValue(flag, withValue[2] ?? '', kube);
    }
    const candidates = flags
      .filter((f) => !given.has(f.names[0] ?? ''))
      .map((f) => ({ value: `--${f.names[0] ?? ''}`, description: f.description }));
    return { ...none, candidates: byPrefix(candidates, current) };
  }
  if (command === undefined) {
    // kubectl itself offers every `kubectl-ambient-<command>` it finds on PATH as a subcommand: those stay out here, or they show twice.
    const candidates = specs
      .filter((s) => !s.hidden && !listedByKubectl(s.name))
      .map((s) => ({ value: s.name, description: s.description }));
    return { ...none, candidates: byPrefix(candidates, current) };
  }
  const name = command.positionals[positional];
  if (name === undefined) return none;
  const choices = command.positionalChoices[name];
  if (choices !== undefined)
    return {
      ...none,
      candidates: byPrefix(
        choices.map((value) => ({ value })),
        current,
      ),
    };
  const list = POSITIONAL_LISTS[name];
  return list === undefined ? none : { ...none, fromCluster: list };
}

/** The flags of the dispatcher before a command is named: yargs' own, then `global`. */
export function globalFlags(global: FlagTable): FlagSpec[] {
  return flagSpecs({ ...HELP, ...VERSION, ...global });
}

/** The protocol's output: candidates (with a tab before the description), then `:<directive>`. */
export function formatCompletion(candidates: Candidate[], directive: number): string {
  const lines = candidates.map((c) =>
    c.description !== undefined && c.description !== '' ? `${c.value}\t${c.description.split('\n')[0] ?? ''}` : c.value,
  );
  return [...lines, `:${directive}`].join('\n') + '\n';
}

/** Kube flags for the one snapshot a completion may read: a short request timeout unless one is given. */
export function completionKubeArgs(kube: Completion['kube']): KubeArgs {
  return {
    kubeconfig: kube.kubeconfig,
    context: kube.context,
    'request-timeout': kube['request-timeout'] ?? '5s',
    'istio-namespace': kube['istio-namespace'] ?? 'istio-system',
    verbose: false,
    as: kube.as,
    'as-group': kube['as-group'],
    'as-uid': kube['as-uid'],
  };
}
