import type { InferredOptionTypes, Options } from 'yargs';
import { AmbientError } from '../core/errors.ts';

/**
 * A command's flags, declared once: yargs option declarations by long name, in help order. The same
 * table feeds yargs (`.options(table)`), completion (src/commands/shared/complete.ts) and, through
 * yargs' own inference (`FlagArgs`), the type of the handler's arguments.
 */
export type FlagTable = Record<string, Options>;
/** The arguments a flag table parses to. */
export type FlagArgs<F extends FlagTable> = InferredOptionTypes<F>;

/** A flag given once is a string, repeated an array (yargs' duplicate-arguments-array): always an array here. */
const repeated = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : [v].flat().map(String);

/** kubectl's names: `--kubeconfig`, `--context`, `--request-timeout`, `-i/--istio-namespace`, `-v/--verbose`, `--as*`. */
export const KUBE_FLAGS = {
  kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', describe: 'The kubeconfig context to use' },
  'request-timeout': {
    type: 'string',
    default: '30s',
    describe: 'How long to wait for each API request (e.g. 10s, 1m; 0 = no limit)',
  },
  'istio-namespace': {
    alias: 'i',
    type: 'string',
    default: 'istio-system',
    describe: 'The namespace of the Istio control plane',
  },
  verbose: { alias: 'v', type: 'boolean', default: false, describe: 'Log API requests and show stack traces' },
  // Not `array: true`: that would swallow the positionals after `--as-group sre` (kubectl repeats the flag instead).
  as: {
    type: 'string',
    describe: 'Username to impersonate for the operation (kubectl --as); needs RBAC "impersonate" on users',
  },
  'as-group': {
    type: 'string',
    describe: 'Group to impersonate; repeat the flag for several groups (needs --as)',
    coerce: repeated,
  },
  'as-uid': { type: 'string', describe: 'UID to impersonate (needs --as)' },
} as const satisfies FlagTable;

/** Flags every command takes to reach the cluster; `as-group` is always an array (see `repeated`). */
export type KubeArgs = FlagArgs<typeof KUBE_FLAGS>;

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o table|wide|json|yaml`. */
export const OUTPUT_FLAGS = {
  output: { alias: 'o', choices: OUTPUT_FORMATS, default: 'table', describe: 'Output format' },
} as const satisfies FlagTable;

export type OutputArgs = FlagArgs<typeof OUTPUT_FLAGS>;

/**
 * kubectl's rule for impersonation: groups or a UID without a user is refused before any request
 * (kubectl: "requesting uid, groups or user-extra for <cluster> without impersonating a user").
 */
export function validateKubeArgs(args: KubeArgs): void {
  if (
    (args.as === undefined || args.as === '') &&
    ((args['as-group'] ?? []).length > 0 || (args['as-uid'] ?? '') !== '')
  ) {
    throw new AmbientError(
      'usage',
      `${(args['as-group'] ?? []).length > 0 ? '--as-group' : '--as-uid'} needs --as: groups and a UID are impersonated along with a user`,
      'add --as <user> (as kubectl requires)',
    );
  }
}

/**
 * Parses kubectl-style durations: `30s`, `1m`, `1m30s`, `500ms`, `2h`, or a bare number of seconds.
 * Returns milliseconds; 0 means no limit.
 */
export function parseDuration(v: string, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let matched = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1000);
    matched = re.lastIndex;
  }
  if (v === '' || matched !== v.length) {
    throw new AmbientError('usage', `invalid ${flag} "${v}"`, 'use a duration such as 30s, 1m or 1m30s');
  }
  return total;
}

/** `--dry-run[=client|server]` (a bare `--dry-run` means client), shared by every changing command. */
export const DRY_RUN_OPTION = {
  type: 'string',
  describe:
    'Only show the change: "client" renders it locally, "server" also has the API server validate it (dryRun=All)',
  // Absent when not given: a yargs default would swallow a bare `--dry-run`, which must mean client.
  coerce: (v: string | boolean | undefined): 'none' | 'client' | 'server' => {
    if (v === undefined || v === false || v === 'none') return 'none';
    if (v === true || v === '' || v === 'client') return 'client';
    if (v === 'server') return 'server';
    // yargs keeps only the message of an error thrown here: what to use goes in it.
    throw new AmbientError('usage', `invalid --dry-run "${String(v)}": use --dry-run=client or --dry-run=server`);
  },
} as const;

/** The flags of the commands that change the cluster: `--dry-run`, `-y/--yes`, `--wait/--no-wait`, `--timeout`, `--force`. */
export const MUTATION_FLAGS = {
  'dry-run': DRY_RUN_OPTION,
  yes: { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation' },
  wait: {
    type: 'boolean',
    describe: 'Wait until every gateway and waypoint following the tag runs the new revision',
    defaultDescription: 'on a terminal',
  },
  timeout: { type: 'string', default: '5m', describe: 'How long --wait waits' },
  force: { type: 'boolean', default: false, describe: 'Move even when the target istiod is not ready' },
} as const satisfies FlagTable;

export type MutationArgs = FlagArgs<typeof MUTATION_FLAGS>;

/**
 * Flag combinations that make no sense, checked first thing in the handler (a yargs `.check` does
 * not stop the handler when a parse callback is used, so it cannot guard a write).
 */
export function validateMutationArgs(args: MutationArgs): void {
  parseDuration(args.timeout, '--timeout');
  if (args.wait === true && (args['dry-run'] ?? 'none') !== 'none') {
    throw new AmbientError(
      'usage',
      '--wait cannot be combined with --dry-run (nothing is applied to wait for)',
      'drop one of them',
    );
  }
}
