/**
 * TEMPORARY bridge until src/core/usage.ts (issue 11) lands: what keeps each revision in use, read
 * from the one existing rule (views.ts summariseRevisions). Replaced by `revisionUsage(mesh)`.
 */
import type { Mesh } from './mesh.ts';
import { summariseRevisions } from './views.ts';

/** The in-use verdict of one revision as `skew` needs it. */
export interface RevisionUse {
  /** The data plane uses it (tags, default, ztunnel, namespaces, gateways, pods; not Helm ownership alone). */
  dataPlane: boolean;
  status: 'in-use' | 'safe' | 'unknown';
  reasons: string[];
}

export function revisionUse(mesh: Mesh): Map<string, RevisionUse> {
  return new Map(summariseRevisions(mesh).map((v) => [v.revision, { dataPlane: v.inUse, status: v.inUse ? 'in-use' : 'safe', reasons: v.reasons.map(String) }]));
}
