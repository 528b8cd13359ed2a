import { declareCommand, defineCommand, type PositionalTable } from '../cli/command.ts';
import { operationId } from '../cli/deps.ts';
import { KUBE_FLAGS, MUTATION_FLAGS, OUTPUT_FLAGS, validateMutationArgs, type FlagTable } from '../cli/options.ts';
import { planTagMove, validateNames } from '../core/tag-plan.ts';
import { loadMesh, refuseVersionAsRevision } from './shared/common.ts';
import { executePlan } from './shared/move-flow.ts';

const FLAGS = {
  ...KUBE_FLAGS,
  ...OUTPUT_FLAGS,
  ...MUTATION_FLAGS,
  create: { type: 'boolean', default: false, describe: 'Create the tag if it does not exist' },
} as const satisfies FlagTable;
const POSITIONALS = {
  tag: { type: 'string', describe: 'The tag to move, e.g. prod or default', demandOption: true },
  revision: { type: 'string', describe: 'The revision to point it at, e.g. 1-28-10', demandOption: true },
} as const satisfies PositionalTable;

const COMMAND = declareCommand({
  command: 'tag-move <tag> <revision>',
  describe:
    "Point a revision tag at a revision: exactly the objects Istio's chart renders, with a diff, confirmation and rollback history",
  flags: FLAGS,
  positionals: POSITIONALS,
  positional: (y) => y.positional('tag', POSITIONALS.tag).positional('revision', POSITIONALS.revision),
  examples: [
    ['$0 tag-move prod 1-28-10', 'move prod, show the diff, ask, apply and wait'],
    ['$0 tag-move prod 1-28-10 --dry-run=client -o yaml', 'print the objects that would be applied'],
  ],
});

/** `kubectl ambient tag-move TAG REVISION`: point a tag at a revision, exactly as Istio's chart renders it. */
export const tagMoveCommand = defineCommand(COMMAND, async (args, deps) => {
  validateMutationArgs(args);
  await refuseVersionAsRevision(deps, args, args.revision); // `1.28.10`: did you mean 1-28-10
  validateNames(args.tag, args.revision); // before any API call
  const { cluster, mesh } = await loadMesh(deps, args);
  const plan = planTagMove(mesh, {
    tag: args.tag,
    revision: args.revision,
    create: args.create,
    force: args.force,
    now: deps.now(),
    id: operationId(deps),
  });
  await executePlan(deps, args, cluster, plan, 'Move');
});
