import { declareCommand, defineCommand, type CommandArgs, type PositionalTable } from '../cli/command.ts';
import type { Deps } from '../cli/deps.ts';
import { KUBE_FLAGS, OUTPUT_FLAGS, type FlagTable } from '../cli/options.ts';
import { renderRevisionDetail, renderRevisions, revisionsTable, type RenderContext } from '../cli/render/revisions.ts';
import { AmbientError } from '../core/errors.ts';
import { summariseRevisions, type RevisionView } from '../core/views.ts';
import { loadMesh } from './shared/common.ts';
import { FLEET_FLAGS, fleetRequested, runFleet } from './shared/fleet.ts';

const andMore = (more: number): string => (more > 0 ? `; and ${more} more` : '');

/** The one-line refusal of `--fail-on in-use` (the view itself, with every reason, is on stdout). */
function notSafe(v: RevisionView): AmbientError {
  const first =
    v.status === 'unknown'
      ? v.unknown[0]
      : v.reasons[0] !== undefined
        ? `[${v.reasons[0].code}] ${v.reasons[0].message}`
        : undefined;
  const more = (v.status === 'unknown' ? v.unknown.length : v.reasons.length) - 1;
  return new AmbientError(
    'problems',
    `revision ${v.revision} is not safe to remove (${v.status === 'unknown' ? 'UNKNOWN' : 'IN USE'}): ${first ?? ''}${andMore(more)}`,
    v.status === 'unknown'
      ? 'grant the missing read permissions and re-run'
      : 'each reason in the output (stdout) says what to do first',
  );
}

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  ...FLEET_FLAGS,
  'fail-on': { choices: ['in-use'], describe: 'With REVISION: exit 3 unless it is SAFE TO REMOVE (IN USE or UNKNOWN)' },
} as const satisfies FlagTable;
const POSITIONALS = {
  revision: { type: 'string', describe: 'Show everything that depends on this revision' },
} as const satisfies PositionalTable;

const COMMAND = declareCommand({
  command: 'revisions [revision]',
  describe: 'List control-plane revisions: version, health, tags, what follows each, and whether it is safe to remove',
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y.positional('revision', POSITIONALS.revision),
  examples: [
    ['$0 revisions', 'one row per revision'],
    ['$0 revisions 1-22-1', 'everything that still depends on revision 1-22-1'],
    [
      '$0 revisions 1-22-1 --fail-on in-use && helm uninstall istiod-1-22-1 -n istio-system',
      'remove it only when nothing depends on it',
    ],
    ["$0 revisions --contexts 'prod-*'", 'every revision of every prod cluster, with a CONTEXT column'],
  ],
});

type RevisionsArgs = CommandArgs<typeof COMMAND>;

/** `kubectl ambient revisions [REVISION]`: control-plane revisions, what follows each, and whether it is safe to remove. */
export const revisionsCommand = defineCommand(COMMAND, async (args, deps) => {
  if (args['fail-on'] !== undefined && args.revision === undefined) {
    throw new AmbientError(
      'usage',
      '--fail-on in-use needs a REVISION',
      'e.g. kubectl ambient revisions 1-22-1 --fail-on in-use',
    );
  }
  const rc = { color: deps.io.colorOut, now: deps.now(), width: deps.io.columns };
  if (fleetRequested(args)) {
    await fleet(deps, args, rc);
    return;
  }
  const { mesh } = await loadMesh(deps, args);
  const views = summariseRevisions(mesh, args.revision);
  const [only] = views;
  if (args.revision === undefined || only === undefined) {
    deps.io.out(renderRevisions(views, args.output, rc));
    return;
  }
  deps.io.out(renderRevisionDetail(only, args.output, rc));
  if (args['fail-on'] === 'in-use' && only.status !== 'safe') throw notSafe(only);
});

/** `revisions --contexts/--all-contexts`: one table with a CONTEXT column (or one document), the summary, one exit code. */
async function fleet(deps: Deps, args: RevisionsArgs, rc: RenderContext): Promise<void> {
  const only = args.revision;
  const wide = args.output === 'wide';
  await runFleet(deps, args, {
    read: (mesh) => summariseRevisions(mesh).filter((v) => only === undefined || v.revision === only),
    check: (entries) => {
      if (only === undefined || !entries.some((e) => e.ok) || entries.some((e) => (e.result?.length ?? 0) > 0)) return;
      throw new AmbientError(
        'input',
        `revision "${only}" is installed in none of the ${entries.length} cluster(s) read`,
        'run "kubectl ambient revisions --all-contexts" to see which exist',
      );
    },
    toOutput: (views) => ({ revisions: views }),
    table: { columns: revisionsTable([], wide, rc).columns, rowsOf: (views) => revisionsTable(views, wide, rc).rows },
    fails: (views) => args['fail-on'] === 'in-use' && views.some((v) => v.status !== 'safe'),
    gate: `still depend on ${only ?? ''}`,
  });
}
