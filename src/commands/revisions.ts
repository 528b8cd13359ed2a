import type { Argv, CommandModule } from 'yargs';
import type { Deps } from '../cli/deps.ts';
import { withKubeOptions, withOutputOptions, type KubeArgs, type OutputArgs } from '../cli/options.ts';
import { renderRevisionDetail, renderRevisions } from '../cli/render/revisions.ts';
import { summariseRevisions } from '../core/views.ts';
import { loadMesh } from './common.ts';

export type RevisionsArgs = KubeArgs & OutputArgs & { revision?: string };

/** `kubectl ambient revisions [REVISION]`: control-plane revisions, what follows each, and whether it is safe to remove. */
export function revisionsCommand(deps: Deps): CommandModule<object, RevisionsArgs> {
  return {
    command: 'revisions [revision]',
    describe: 'List control-plane revisions: version, health, tags, what follows each, and whether it is safe to remove',
    builder: (y: Argv) =>
      withOutputOptions(withKubeOptions(y))
        .positional('revision', { type: 'string', describe: 'Show everything that follows this revision' })
        .example('$0 revisions', 'one row per revision')
        .example('$0 revisions 1-22-1', 'everything that follows revision 1-22-1') as unknown as Argv<RevisionsArgs>,
    handler: async (args) => {
      const { mesh } = await loadMesh(deps, args);
      const views = summariseRevisions(mesh, args.revision);
      const rc = { color: deps.io.colorOut, now: deps.now() };
      const [only] = views;
      if (args.revision !== undefined && only !== undefined) {
        deps.io.out(renderRevisionDetail(only, args.output, rc));
        return;
      }
      deps.io.out(renderRevisions(views, args.output, rc));
    },
  };
}
