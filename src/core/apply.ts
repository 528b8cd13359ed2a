import { AmbientError } from './errors.ts';
import type { KubeObject } from './model.ts';
import type { ClusterWriter, KindName } from './ports.ts';
import { objectChanges } from './diff.ts';
import type { Plan, PlannedWrite } from './tag-plan.ts';

/** The field manager our writes carry (visible in managedFields). */
export const FIELD_MANAGER = 'kubectl-ambient';

/** What happened to each write. */
export interface ApplyResult {
  written: { write: PlannedWrite; result: KubeObject }[];
}

const id = (o: KubeObject): string => `${o.kind} ${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * Applies a plan: each object replaced with the resourceVersion read when planning (a 409 means
 * someone changed it in between: nothing half-applied stays), or created. When a write fails
 * part-way, the objects already written are restored (replaced back, or deleted if created), so the
 * cluster is either before or after. If the restore fails too, a `partial` error says which object
 * is in which state. With `dryRun` the server validates every write and persists nothing.
 *
 * `shouldStop` is checked between writes (Ctrl-C): the writes done so far are undone and an
 * `interrupted` error says so.
 */
export async function applyPlan(cluster: ClusterWriter, plan: Plan, opts: { dryRun: boolean; shouldStop?: () => boolean }): Promise<ApplyResult> {
  const done: { write: PlannedWrite; result: KubeObject }[] = [];
  for (const w of plan.writes) {
    let failure: unknown;
    if (opts.shouldStop?.() === true) {
      failure = new AmbientError('interrupted', 'interrupted before all objects were written');
    } else {
      try {
        const result = await cluster.write({ op: w.action, object: w.after }, { dryRun: opts.dryRun, fieldManager: FIELD_MANAGER });
        done.push({ write: w, result });
        continue;
      } catch (e) {
        failure = e;
        // A write that timed out or lost its connection may have landed: look before saying it did not.
        if (!opts.dryRun && e instanceof AmbientError && (e.kind === 'timeout' || e.kind === 'unreachable')) {
          const seen = await landed(cluster, w);
          if (seen === 'unknown') {
            throw new AmbientError('partial', `${e.message}; whether ${id(w.after)} was written cannot be told (reading it back failed too)${done.length > 0 ? `, and ${done.map((d) => id(d.result)).join(', ')} ${done.length === 1 ? 'is' : 'are'} at the NEW state` : ''}`, 'check the cluster with "kubectl ambient tags", then re-run the move or roll it back', { cause: e });
          }
          if (seen !== undefined) done.push({ write: w, result: seen });
        }
      }
    }
    if (opts.dryRun || done.length === 0) throw failure;
    await restore(cluster, done, w, failure);
  }
  return { written: done };
}

/**
 * Whether a write whose answer was lost reached the server: the object now exists (create), or its
 * rendered fields are ours (replace). Undefined when it did not land; 'unknown' when reading fails.
 */
async function landed(cluster: ClusterWriter, w: PlannedWrite): Promise<KubeObject | undefined | 'unknown'> {
  const o = w.after;
  try {
    const live = await cluster.get(o.kind as KindName, o.metadata.name, o.metadata.namespace);
    if (live === undefined) return undefined;
    if (w.action === 'create') return live;
    if (live.metadata.resourceVersion === o.metadata.resourceVersion) return undefined;
    return objectChanges(live, o).length === 0 ? live : undefined;
  } catch {
    return 'unknown';
  }
}

async function restore(cluster: ClusterWriter, done: { write: PlannedWrite; result: KubeObject }[], failed: PlannedWrite, failure: unknown): Promise<never> {
  const cause = failure instanceof Error ? failure.message : String(failure);
  const stuck: string[] = [];
  for (const { write, result } of [...done].reverse()) {
    try {
      if (write.action === 'create') {
        await cluster.write({ op: 'delete', object: result }, { dryRun: false, fieldManager: FIELD_MANAGER });
      } else if (write.before !== undefined) {
        const back: KubeObject = { ...write.before, metadata: { ...write.before.metadata, resourceVersion: result.metadata.resourceVersion ?? '' } };
        await cluster.write({ op: 'replace', object: back }, { dryRun: false, fieldManager: FIELD_MANAGER });
      }
    } catch (e) {
      stuck.push(`${id(result)} is at the NEW state (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (stuck.length > 0) {
    throw new AmbientError(
      'partial',
      `writing ${id(failed.after)} failed (${cause}) and undoing the earlier writes failed too: ${stuck.join('; ')}; ${id(failed.after)} and every other object are at the OLD state`,
      'fix the cause and re-run the same tag-move to finish it',
      { cause: failure },
    );
  }
  const kind = failure instanceof AmbientError ? failure.kind : 'internal';
  throw new AmbientError(kind, `${cause}; the ${done.length} object(s) already written were restored, nothing changed`, failure instanceof AmbientError ? failure.hint : undefined, { cause: failure });
}
