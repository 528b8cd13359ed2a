import { declareCommand, defineCommand, type CommandArgs } from '../cli/command.ts';
import type { Deps } from '../cli/deps.ts';
import { KUBE_FLAGS, OUTPUT_FLAGS, type FlagTable } from '../cli/options.ts';
import { renderProblems } from '../cli/render/common.ts';
import type { RenderContext } from '../cli/render/revisions.ts';
import { renderTagDetail, renderTags, tagsTable } from '../cli/render/tags.ts';
import { AmbientError } from '../core/errors.ts';
import { summariseTags, type Problem, type TagView } from '../core/views.ts';
import { loadMesh } from './shared/common.ts';
import { FLEET_FLAGS, fleetRequested, runFleet } from './shared/fleet.ts';

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  ...FLEET_FLAGS,
  'fail-on': {
    choices: ['problem', 'warning'],
    describe:
      'Exit 3 when a tag has a problem (split, dangling, duplicate, validator mismatch, incomplete), or also a warning',
  },
} as const satisfies FlagTable;
const POSITIONALS = { tag: { type: 'string', describe: 'Show one tag in detail' } } as const;

const COMMAND = declareCommand({
  command: 'tags [tag]',
  describe: 'List revision tags: revision, previous revision, namespaces, gateways and waypoints',
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y.positional('tag', POSITIONALS.tag),
  examples: [
    ['$0 tags', 'one row per tag'],
    ['$0 tags prod -o yaml', 'the tag prod as YAML'],
    ['$0 tags --fail-on problem', 'exit 3 when any tag is inconsistent (for scripts)'],
    ['$0 tags --all-contexts', 'every tag of every cluster of the kubeconfig'],
  ],
});

type TagsArgs = CommandArgs<typeof COMMAND>;

const CREATE_ONE = 'Create one with "kubectl ambient tag-move <tag> <revision> --create".';

/** The problems `--fail-on` fails on: errors, and warnings too with `--fail-on warning`. */
function failingProblems(problems: Problem[], failOn: TagsArgs['fail-on']): Problem[] {
  return failOn === undefined ? [] : problems.filter((p) => p.severity === 'error' || failOn === 'warning');
}

/** `kubectl ambient tags [TAG]`: each revision tag, its revision and history, and what follows it. */
export const tagsCommand = defineCommand(COMMAND, async (args, deps) => {
  const rc = { color: deps.io.colorOut, now: deps.now(), width: deps.io.columns };
  if (fleetRequested(args)) {
    await fleet(deps, args, rc);
    return;
  }
  const { mesh } = await loadMesh(deps, args);
  const views = summariseTags(mesh, args.tag);
  const [only] = views;
  if (args.tag !== undefined && only !== undefined) {
    deps.io.out(renderTagDetail(only, args.output, rc));
  } else if (views.length === 0) {
    if (args.output === 'json' || args.output === 'yaml') deps.io.out('[]\n');
    deps.io.err(`No revision tags found in namespace ${mesh.istioNamespace}. ${CREATE_ONE}\n`);
    return;
  } else {
    deps.io.out(renderTags(views, args.output, rc));
  }
  const problems = views.flatMap((v) => v.problems);
  deps.io.err(renderProblems(problems, deps.io.colorErr));
  const failing = failingProblems(problems, args['fail-on']);
  if (failing.length > 0) {
    const codes = [...new Set(failing.map((p) => p.code))].join(', ');
    throw new AmbientError(
      'problems',
      `${failing.length} ${args['fail-on'] ?? ''}(s) found (${codes})`,
      'see the lines above for what to do',
    );
  }
});

/**
 * `tags --contexts/--all-contexts`: one table with a CONTEXT column (or one document), each
 * cluster's problems, the summary, one exit code.
 */
async function fleet(deps: Deps, args: TagsArgs, rc: RenderContext): Promise<void> {
  const only = args.tag;
  const wide = args.output === 'wide';
  const problemsOf = (views: TagView[]): Problem[] => views.flatMap((v) => v.problems);
  await runFleet(deps, args, {
    read: (mesh) => summariseTags(mesh).filter((v) => only === undefined || v.tag === only),
    toOutput: (views) => ({ tags: views }),
    table: { columns: tagsTable([], wide, rc).columns, rowsOf: (views) => tagsTable(views, wide, rc).rows },
    notes: (views, context) =>
      renderProblems(problemsOf(views), deps.io.colorErr).replace(/^(\S+) /gm, `$1 [${context}] `),
    fails: (views) => failingProblems(problemsOf(views), args['fail-on']).length > 0,
    gate: `have tag ${args['fail-on'] ?? 'problem'}s`,
  });
}
