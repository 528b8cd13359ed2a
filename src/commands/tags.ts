import type { Argv, CommandModule } from 'yargs';
import type { Deps } from '../cli/deps.ts';
import { withKubeOptions, withOutputOptions, type KubeArgs, type OutputArgs } from '../cli/options.ts';
import { renderProblems } from '../cli/render/common.ts';
import { renderTagDetail, renderTags } from '../cli/render/tags.ts';
import { AmbientError } from '../core/errors.ts';
import { summariseTags } from '../core/views.ts';
import { loadMesh } from './common.ts';

export type TagsArgs = KubeArgs & OutputArgs & { tag?: string; 'fail-on'?: 'problem' | 'warning' };

/** `kubectl ambient tags [TAG]`: each revision tag, its revision and history, and what follows it. */
export function tagsCommand(deps: Deps): CommandModule<object, TagsArgs> {
  return {
    command: 'tags [tag]',
    describe: 'List revision tags: revision, previous revision, namespaces, gateways and waypoints',
    builder: (y: Argv) =>
      withOutputOptions(withKubeOptions(y))
        .positional('tag', { type: 'string', describe: 'Show one tag in detail' })
        .option('fail-on', { choices: ['problem', 'warning'] as const, describe: 'Exit 3 when a tag has a problem (split, dangling, duplicate, validator mismatch, incomplete), or also a warning' })
        .example('$0 tags', 'one row per tag')
        .example('$0 tags prod -o yaml', 'the tag prod as YAML')
        .example('$0 tags --fail-on problem', 'exit 3 when any tag is inconsistent (for scripts)') as unknown as Argv<TagsArgs>,
    handler: async (args) => {
      const { mesh } = await loadMesh(deps, args);
      const views = summariseTags(mesh, args.tag);
      const rc = { color: deps.io.colorOut, now: deps.now() };
      const [only] = views;
      if (args.tag !== undefined && only !== undefined) {
        deps.io.out(renderTagDetail(only, args.output, rc));
      } else if (views.length === 0) {
        if (args.output === 'json' || args.output === 'yaml') deps.io.out('[]\n');
        deps.io.err(`No revision tags found in namespace ${mesh.istioNamespace}. Create one with "kubectl ambient tag-move <tag> <revision> --create".\n`);
        return;
      } else {
        deps.io.out(renderTags(views, args.output, rc));
      }
      const problems = views.flatMap((v) => v.problems);
      deps.io.err(renderProblems(problems, deps.io.colorErr));
      const failing = problems.filter((p) => p.severity === 'error' || args['fail-on'] === 'warning');
      if (args['fail-on'] !== undefined && failing.length > 0) {
        const codes = [...new Set(failing.map((p) => p.code))].join(', ');
        throw new AmbientError('problems', `${failing.length} ${args['fail-on']}(s) found (${codes})`, 'see the lines above for what to do');
      }
    },
  };
}
