/**
 * Fleet mode: a read-only command over many kubeconfig contexts in one call (`--contexts a,'prod-*'`,
 * `--all-contexts`). Each cluster is read concurrently (at most `--parallel`), with its own
 * connection, credentials, snapshot and `--request-timeout`; a failing cluster becomes one entry
 * with its error and never stops the others.
 */
import type { Deps, KubeContextInfo } from '../../cli/deps.ts';
import { exitCode } from '../../cli/errors.ts';
import type { FlagArgs, FlagTable, KubeArgs, OutputArgs, OutputFormat } from '../../cli/options.ts';
import { renderStructured } from '../../cli/render/structured.ts';
import { renderFitted, type Cell, type Column } from '../../cli/render/table.ts';
import { AmbientError, type ErrorKind } from '../../core/errors.ts';
import type { Mesh } from '../../core/mesh.ts';
import { summariseTags } from '../../core/views.ts';
import type { Cluster } from '../../core/ports.ts';
import { readMesh, unavailableWarnings } from './common.ts';

/** `--contexts`, `--all-contexts`, `--parallel` (read-only commands only). */
export const FLEET_FLAGS = {
  contexts: { type: 'string', describe: "Read these kubeconfig contexts (comma-separated; globs such as 'prod-*')" },
  'all-contexts': { type: 'boolean', default: false, describe: 'Read every context of the kubeconfig' },
  parallel: { type: 'number', default: 8, describe: 'With --contexts/--all-contexts: clusters read at once' },
} as const satisfies FlagTable;

export type FleetArgs = FlagArgs<typeof FLEET_FLAGS>;

/** True when the flags ask for fleet mode; refuses combinations that make no sense. */
export function fleetRequested(args: FleetArgs & KubeArgs): boolean {
  const fleet = args['all-contexts'] || args.contexts !== undefined;
  if (!fleet) return false;
  if (args['all-contexts'] && args.contexts !== undefined)
    throw new AmbientError('usage', '--contexts and --all-contexts cannot be combined', 'drop one of them');
  if (args.context !== undefined)
    throw new AmbientError(
      'usage',
      '--context cannot be combined with --contexts/--all-contexts',
      'use --contexts to name several',
    );
  if (!Number.isInteger(args.parallel) || args.parallel < 1)
    throw new AmbientError('usage', `invalid --parallel ${String(args.parallel)}`, 'use a whole number of at least 1');
  return true;
}

/** A failure of one cluster, as kept in its entry (JSON keys). */
export interface FleetError {
  kind: ErrorKind;
  exitCode: number;
  message: string;
  hint: string | null;
}

/** One cluster's outcome (JSON keys: `context`, `cluster`, `server`, `ok`, `error`, then the command's own). */
export interface FleetEntry<T> {
  context: string;
  cluster: string | null;
  server: string | null;
  ok: boolean;
  error?: FleetError;
  result?: T;
  /** What the fleet summary counts (not printed per entry). */
  facts?: ClusterFacts;
}

/** What the summary line counts of each cluster read. */
export interface ClusterFacts {
  versions: string[];
  tags: string[];
  problems: number;
}

/** `*` and `?` globs (the only ones `--contexts` takes), anchored; hand-written: three lines, no dependency. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The contexts the flags select, in kubeconfig order; a plain name that does not exist is kept (it fails as its own entry). */
async function selectContexts(deps: Deps, args: FleetArgs & KubeArgs): Promise<KubeContextInfo[]> {
  const all = await deps.contexts(args);
  if (args['all-contexts']) {
    if (all.length === 0)
      throw new AmbientError('config', 'the kubeconfig has no contexts', 'add contexts, or pass another --kubeconfig');
    return all;
  }
  const patterns = (args.contexts ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (patterns.length === 0)
    throw new AmbientError(
      'usage',
      '--contexts needs at least one context name or glob',
      "e.g. --contexts prod-eu,prod-us or --contexts 'prod-*'",
    );
  const picked = new Map<string, KubeContextInfo>();
  for (const p of patterns) {
    const glob = /[*?]/.test(p);
    const matches = glob ? all.filter((c) => globRegExp(p).test(c.name)) : all.filter((c) => c.name === p);
    if (matches.length === 0 && glob)
      throw new AmbientError(
        'config',
        `--contexts '${p}' matches no context`,
        `known contexts: ${all.map((c) => c.name).join(', ') || 'none'}`,
      );
    for (const c of matches.length > 0 ? matches : [{ name: p, cluster: undefined, server: undefined }])
      picked.set(c.name, c);
  }
  return [...picked.values()];
}

/** Runs `fn` over `items` with at most `limit` at once, keeping their order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function asFleetError(e: unknown): FleetError {
  if (e instanceof AmbientError)
    return { kind: e.kind, exitCode: exitCode(e.kind), message: e.message, hint: e.hint ?? null };
  return {
    kind: 'internal',
    exitCode: exitCode('internal'),
    message: e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e),
    hint: 're-run with --verbose',
  };
}

/**
 * Reads every selected cluster (spinner `clusters read: n/N` on a TTY) and returns one entry per
 * context, sorted by context. `read` turns a cluster's Mesh into the command's result.
 */
async function readFleet<T>(
  deps: Deps,
  args: FleetArgs & KubeArgs,
  read: (mesh: Mesh, cluster: Cluster) => T | Promise<T>,
  facts: (mesh: Mesh, result: T) => ClusterFacts,
): Promise<FleetEntry<T>[]> {
  const contexts = await selectContexts(deps, args);
  const spinner = deps.io.spinner(`clusters read: 0/${contexts.length}`);
  let done = 0;
  const entries = await pool(contexts, args.parallel, async (c): Promise<FleetEntry<T>> => {
    const base = { context: c.name, cluster: c.cluster ?? null, server: c.server ?? null };
    try {
      const cluster = await deps.connect({ ...args, context: c.name });
      const mesh = await readMesh(cluster, args['istio-namespace']);
      for (const line of unavailableWarnings(mesh)) deps.io.err(`warning: [${c.name}] ${line}\n`);
      const result = await read(mesh, cluster);
      return { ...base, ok: true, result, facts: facts(mesh, result) };
    } catch (e) {
      return { ...base, ok: false, error: asFleetError(e) };
    } finally {
      spinner.update(`clusters read: ${++done}/${contexts.length}`);
    }
  });
  spinner.stop();
  if (deps.signal.aborted)
    throw new AmbientError('interrupted', `interrupted after reading ${done} of ${contexts.length} clusters`);
  return entries.sort((a, b) => a.context.localeCompare(b.context));
}

/**
 * Prints the fleet on stdout: for `-o json|yaml` one document (fleetDocument, `toOutput` gives each
 * cluster's own keys), else one table with a CONTEXT column (fleetTable) laid out for `table.width`.
 */
function printFleet<T>(
  deps: Deps,
  entries: FleetEntry<T>[],
  output: OutputFormat,
  toOutput: (result: T) => Record<string, unknown>,
  table: FleetColumns<T>,
): void {
  const structured = renderStructured(fleetDocument(entries, toOutput), output);
  deps.io.out(structured ?? fleetTable(entries, table));
}

/** The entries as one JSON/YAML document: `{context, cluster, server, ok, error?, <key>: result}`. */
function fleetDocument<T>(
  entries: FleetEntry<T>[],
  toOutput: (result: T) => Record<string, unknown>,
): Record<string, unknown>[] {
  return entries.map((e) => ({
    context: e.context,
    cluster: e.cluster,
    server: e.server,
    ok: e.ok,
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.result !== undefined ? toOutput(e.result) : {}),
  }));
}

/** A command's table for the fleet: its columns, its rows per cluster, the terminal's width (undefined: not a terminal, or `-o wide`). */
export interface FleetColumns<T> {
  columns: Column[];
  rowsOf: (result: T) => Cell[][];
  width?: number | undefined;
}

/**
 * A table with a leading CONTEXT column: each cluster's rows, or for a cluster that failed one row
 * of `-` with its error and hint. On a terminal the command's columns give way as in its own table
 * and the error goes under the row (it would widen the last column past the terminal); otherwise
 * the error is the last cell, so each cluster stays one line for grep and awk.
 */
function fleetTable<T>(entries: FleetEntry<T>[], table: FleetColumns<T>): string {
  const { columns, rowsOf, width } = table;
  const rows: Cell[][] = [];
  const notes: (string | undefined)[] = [];
  for (const e of entries) {
    if (e.result !== undefined) {
      for (const r of rowsOf(e.result)) {
        rows.push([e.context, ...r]);
        notes.push(undefined);
      }
      continue;
    }
    const err = e.error;
    const message = `error: ${err?.message ?? ''}${err?.hint !== null && err?.hint !== undefined ? `; ${err.hint}` : ''}`;
    if (width === undefined) rows.push([e.context, ...columns.slice(1).map(() => '-'), message]);
    // A `wrap` column that goes below the row would print its `-` there, above the error.
    else rows.push([e.context, ...columns.map((c) => (c.shrink === 'wrap' ? '' : '-'))]);
    notes.push(message);
  }
  if (width === undefined)
    return renderFitted([{ head: 'CONTEXT' }, ...columns.map((c) => ({ head: c.head }))], rows, undefined);
  return renderFitted([{ head: 'CONTEXT' }, ...columns], rows, width, notes);
}

/** `3 (1.27.9) 2 (1.28.10)`: counts of a multiset, most first. */
function counted(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([v, n]) => `${v} x${n}`)
    .join(', ');
}

/** The fleet summary for stderr: clusters read and failed, control-plane versions, tag targets, problems. */
function fleetSummary<T>(entries: FleetEntry<T>[]): string {
  const read = entries.filter((e) => e.ok);
  const failed = entries.filter((e) => !e.ok);
  const byKind = counted(failed.map((e) => e.error?.kind ?? 'internal'));
  const lines = [
    `fleet: ${entries.length} cluster(s): ${read.length} read${failed.length > 0 ? `, ${failed.length} failed (${byKind})` : ''}`,
  ];
  const versions = read.flatMap((e) => e.facts?.versions ?? []);
  if (versions.length > 0) lines.push(`  control planes: ${counted(versions)}`);
  const tags = read.flatMap((e) => e.facts?.tags ?? []);
  if (tags.length > 0) lines.push(`  tags: ${counted(tags)}`);
  const withProblems = read.filter((e) => (e.facts?.problems ?? 0) > 0).map((e) => e.context);
  if (withProblems.length > 0) lines.push(`  with problems: ${withProblems.length} (${withProblems.join(', ')})`);
  return `${lines.join('\n')}\n`;
}

/** The order in which failures decide the fleet's exit code: the first kind present wins. */
const WORST: ErrorKind[] = [
  'internal',
  'partial',
  'config',
  'auth',
  'unreachable',
  'timeout',
  'server',
  'conflict',
  'input',
  'interrupted',
];

/**
 * Throws the fleet's outcome: the worst failure's documented error (an unreachable cluster among
 * healthy ones is still a failure), else `problems` when `failing` names clusters that fail the
 * `--fail-on` gate; returns when every cluster was read and passed.
 */
function fleetOutcome<T>(entries: FleetEntry<T>[], failing: string[] = [], gate = ''): void {
  const failed = entries.filter((e) => !e.ok);
  if (failed.length > 0) {
    const worst = WORST.find((k) => failed.some((e) => e.error?.kind === k)) ?? 'internal';
    const names = failed.map((e) => `${e.context} (${e.error?.kind ?? 'internal'})`).join(', ');
    // Input one cluster refuses (a revision it does not have, a target behind it) is not a failure to read it.
    const what = failed.every((e) => e.error?.kind === 'input') ? 'refused the request' : 'could not be read';
    throw new AmbientError(
      worst,
      `${failed.length} of ${entries.length} cluster(s) ${what}: ${names}`,
      'see their rows for the cause of each',
    );
  }
  if (failing.length > 0)
    throw new AmbientError(
      'problems',
      `${failing.length} of ${entries.length} cluster(s) ${gate}: ${failing.join(', ')}`,
      'see their rows',
    );
}

/** The summary's facts of one cluster: its control-plane versions, its tags' targets, its tag problems. */
export function meshFacts(mesh: Mesh): ClusterFacts {
  const versions = [...new Set([...mesh.revisions.values()].map((r) => r.version ?? 'unknown'))].sort();
  const tags = [...mesh.tags.values()].map((t) => `${t.name}->${t.revision || '?'}`).sort();
  const problems = summariseTags(mesh)
    .flatMap((v) => v.problems)
    .filter((p) => p.severity === 'error').length;
  return { versions, tags, problems };
}

/** What a read-only command gives fleet mode: how to read one cluster, print it, and gate it. */
export interface FleetRun<T> {
  /** One cluster's result from its Mesh (and its connection, for what the Mesh does not hold). */
  read: (mesh: Mesh, cluster: Cluster) => T | Promise<T>;
  /** What the summary counts of a cluster (default: meshFacts). */
  facts?: (mesh: Mesh, result: T) => ClusterFacts;
  /** Runs once every cluster is read, before anything is printed: may throw one error for the whole fleet. */
  check?: (entries: FleetEntry<T>[]) => void;
  /** A cluster's own keys in the `-o json|yaml` document. */
  toOutput: (result: T) => Record<string, unknown>;
  /** The command's table (its width is the terminal's, none for `-o wide` or off a terminal). */
  table: Omit<FleetColumns<T>, 'width'>;
  /** A cluster's own lines for stderr (problems, summaries), already labelled with its context. */
  notes?: (result: T, context: string) => string;
  /** True when a cluster fails the command's `--fail-on` gate; `gate` says what they have, for the exit message. */
  fails: (result: T) => boolean;
  gate: string;
}

/**
 * A command in fleet mode: reads every selected cluster, prints one document or one table with a
 * CONTEXT column on stdout, each cluster's notes and the fleet summary on stderr, and throws the
 * one outcome (fleetOutcome).
 */
export async function runFleet<T>(
  deps: Deps,
  args: FleetArgs & KubeArgs & OutputArgs,
  run: FleetRun<T>,
): Promise<void> {
  const entries = await readFleet(deps, args, run.read, run.facts ?? meshFacts);
  run.check?.(entries);
  const width = args.output === 'wide' ? undefined : deps.io.columns;
  printFleet(deps, entries, args.output, run.toOutput, { ...run.table, width });
  for (const e of entries)
    if (e.result !== undefined && run.notes !== undefined) deps.io.err(run.notes(e.result, e.context));
  deps.io.err(fleetSummary(entries));
  const failing = entries.filter((e) => e.result !== undefined && run.fails(e.result)).map((e) => e.context);
  fleetOutcome(entries, failing, run.gate);
}
