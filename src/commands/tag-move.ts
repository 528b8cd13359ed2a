import type { Argv, CommandModule } from 'yargs';
import { operationId, type Deps } from '../cli/deps.ts';
import { validateMutationArgs, withKubeOptions, withMutationOptions, withOutputOptions } from '../cli/options.ts';
import { planTagMove, validateNames } from '../core/tag-plan.ts';
import { loadMesh, refuseVersionAsRevision } from './common.ts';
import { executePlan, type FlowArgs } from './move-flow.ts';

export type TagMoveArgs = FlowArgs & { tag: string; revision: string; create: boolean };

/** `kubectl ambient tag-move TAG REVISION`: point a tag at a revision, exactly as Istio's chart renders it. */
export function tagMoveCommand(deps: Deps): CommandModule<object, TagMoveArgs> {
  return {
    command: 'tag-move <tag> <revision>',
    describe: "Point a revision tag at a revision: exactly the objects Istio's chart renders, with a diff, confirmation and rollback history",
    builder: (y: Argv) =>
      withMutationOptions(withOutputOptions(withKubeOptions(y)))
        .positional('tag', { type: 'string', describe: 'The tag to move, e.g. prod or default' })
        .positional('revision', { type: 'string', describe: 'The revision to point it at, e.g. 1-28-10' })
        .option('create', { type: 'boolean', default: false, describe: 'Create the tag if it does not exist' })
        .example('$0 tag-move prod 1-28-10', 'move prod, show the diff, ask, apply and wait')
        .example('$0 tag-move prod 1-28-10 --dry-run=client -o yaml', 'print the objects that would be applied') as unknown as Argv<TagMoveArgs>,
    handler: async (args) => {
      validateMutationArgs(args);
      await refuseVersionAsRevision(deps, args, args.revision); // `1.28.10`: did you mean 1-28-10
      validateNames(args.tag, args.revision); // before any API call
      const { cluster, mesh } = await loadMesh(deps, args);
      const plan = planTagMove(mesh, { tag: args.tag, revision: args.revision, create: args.create, force: args.force, now: deps.now(), id: operationId(deps) });
      await executePlan(deps, args, cluster, plan, 'Move');
    },
  };
}
