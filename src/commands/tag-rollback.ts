import { declareCommand, defineCommand, type PositionalTable } from '../cli/command.ts';
import { operationId } from '../cli/deps.ts';
import {
  KUBE_FLAGS,
  MUTATION_FLAGS,
  OUTPUT_FLAGS,
  validateMutationArgs,
  type OutputFormat,
  type FlagTable,
} from '../cli/options.ts';
import { renderStructured } from '../cli/render/structured.ts';
import { planTagRollback, validateNames } from '../core/tag-plan.ts';
import { summariseTags, type TagView } from '../core/views.ts';
import { loadMesh, refuseVersionAsRevision } from './shared/common.ts';
import { executePlan } from './shared/move-flow.ts';

/** `--list`: the recorded history of a tag, numbered, or as -o json|yaml. */
function renderHistory(view: TagView, output: OutputFormat): string {
  const structured = renderStructured({ tag: view.tag, revision: view.revision, history: view.history }, output);
  if (structured !== undefined) return structured;
  if (view.history.length === 0) return `no recorded history for ${view.tag}\n`;
  const lines = view.history.map((h, i) => `${view.history.length - i}. ${h.revision}  (moved away ${h.at})`);
  return `${lines.reverse().join('\n')}\n`;
}

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  ...MUTATION_FLAGS,
  to: { type: 'string', describe: 'Roll back to this revision instead of the previous one' },
  list: { type: 'boolean', default: false, describe: 'Only print the recorded history' },
} as const satisfies FlagTable;
const POSITIONALS = {
  tag: { type: 'string', describe: 'The tag to roll back', demandOption: true },
} as const satisfies PositionalTable;

const COMMAND = declareCommand({
  command: 'tag-rollback <tag>',
  describe: 'Point a revision tag back at its previous revision (recorded by tag-move), or --to an earlier one',
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y.positional('tag', POSITIONALS.tag),
  examples: [
    ['$0 tag-rollback prod', 'back to the revision prod pointed at before the last move'],
    ['$0 tag-rollback prod --list', 'the recorded history of prod'],
  ],
});

/** `kubectl ambient tag-rollback TAG [--to REVISION]`: move a tag back to where it was, from its recorded history. */
export const tagRollbackCommand = defineCommand(COMMAND, async (args, deps) => {
  validateMutationArgs(args);
  await refuseVersionAsRevision(deps, args, args.to);
  validateNames(args.tag, args.to);
  const { cluster, mesh } = await loadMesh(deps, args);
  if (args.list) {
    // One view: summariseTags refuses a tag that does not exist.
    deps.io.out(
      summariseTags(mesh, args.tag)
        .map((view) => renderHistory(view, args.output))
        .join(''),
    );
    return;
  }
  const plan = planTagRollback(mesh, {
    tag: args.tag,
    to: args.to,
    force: args.force,
    now: deps.now(),
    id: operationId(deps),
  });
  await executePlan(deps, args, cluster, plan, 'Roll back');
});
