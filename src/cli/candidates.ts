import { buildMesh } from '../core/mesh.ts';
import { gatherSnapshot } from '../core/snapshot.ts';
import type { Deps } from './deps.ts';
import type { KubeArgs } from './options.ts';

/** Values read from the cluster: which list a word is one of. */
export type ClusterList = 'tags' | 'revisions';

/** Positionals whose values are tags or revisions, by name (completion and "missing TAG" messages). */
export const POSITIONAL_LISTS: Readonly<Record<string, ClusterList>> = { tag: 'tags', revision: 'revisions' };

export interface Candidate {
  value: string;
  description?: string;
}

/**
 * The tags (`prod` with `-> 1-27-9`) or revisions (`1-28-10` with `1.28.10`) in the cluster, from
 * one snapshot read with `args`: what shell completion offers and what a usage error lists.
 */
export async function clusterCandidates(deps: Deps, list: ClusterList, args: KubeArgs): Promise<Candidate[]> {
  const cluster = await deps.connect(args);
  const mesh = buildMesh(await gatherSnapshot(cluster, args['istio-namespace']));
  if (list === 'tags') return [...mesh.tags.values()].map((t) => ({ value: t.name, description: `-> ${t.revision}` }));
  return [...mesh.revisions.values()].map((r) => ({ value: r.name, description: r.version ?? '' }));
}
