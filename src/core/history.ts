/**
 * Our two annotations on a tag's first object (its webhook, or the Service of a Service-only tag):
 * the tag's history (HISTORY, where it pointed before each move) and, while a move or rollback is
 * under way, the operation record (OPERATION) that makes any interruption recognisable and
 * finishable (§7 "tag-rollback": Istio keeps no history, so we record it ourselves).
 */
import { HISTORY, OPERATION } from './labels.ts';
import type { KubeObject } from './model.ts';

/** The objects a tag can consist of (the default validator is the base chart's, never created or deleted). */
export type TagRole = 'webhook' | 'service';

/** One earlier position of a tag: the revision it pointed at, when it was moved away, and which objects it had. */
export interface HistoryEntry {
  revision: string;
  at: string;
  /** The tag's objects at that revision (a rollback restores exactly these); absent in entries written before 0.2. */
  objects?: TagRole[];
}

/** How many earlier revisions a tag remembers. */
export const HISTORY_LIMIT = 10;

/** A parsed annotation: the value, or why it could not be read. */
export interface Parsed<T> {
  value: T;
  /** Set when the annotation exists but is malformed (reported, never a crash). */
  error: string | undefined;
}

const isRoleList = (v: unknown): v is TagRole[] =>
  Array.isArray(v) && v.every((x) => x === 'webhook' || x === 'service');

function isEntry(e: unknown): e is HistoryEntry {
  if (typeof e !== 'object' || e === null) return false;
  const h = e as Record<string, unknown>;
  return (
    typeof h['revision'] === 'string' &&
    h['revision'] !== '' &&
    typeof h['at'] === 'string' &&
    (h['objects'] === undefined || isRoleList(h['objects']))
  );
}

/** Parses a history annotation value (oldest first). Malformed: an empty history and the reason. */
export function parseHistory(raw: string | undefined): Parsed<HistoryEntry[]> {
  if (raw === undefined) return { value: [], error: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return { value: [], error: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (!Array.isArray(parsed)) return { value: [], error: 'not a JSON list' };
  const bad = parsed.findIndex((e) => !isEntry(e));
  if (bad >= 0) return { value: [], error: `entry ${bad + 1} is not {"revision": "...", "at": "..."}` };
  return { value: parsed as HistoryEntry[], error: undefined };
}

/** The history recorded on a tag's first object, oldest first, newest last (empty when none or malformed). */
export function readHistory(obj: KubeObject | undefined): Parsed<HistoryEntry[]> {
  return parseHistory(obj?.metadata.annotations?.[HISTORY]);
}

/** The history after appending one entry, keeping the newest HISTORY_LIMIT. */
export function appended(history: HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  return [...history, entry].slice(-HISTORY_LIMIT);
}

/**
 * A move or rollback under way, recorded on the tag's first object before the first write and
 * removed by the last one (together with the new history). While it is there the tag is
 * `incomplete`: re-running the same command finishes it, the opposite command undoes it.
 */
export interface TagOperation {
  /** Identifies one operation (shown by `tags`, kept while it is finished or undone by another run). */
  id: string;
  /** What the user ran: `tag-move` or `tag-rollback`. */
  op: 'move' | 'rollback';
  /** The revision before (null: the operation creates the tag). */
  from: string | null;
  to: string;
  /** When it started. */
  at: string;
  /** The history once the operation completes (an undo leaves the current one). */
  history: HistoryEntry[];
  /** The objects the tag had before (an undo restores them) and has once it completes. */
  fromObjects: TagRole[];
  toObjects: TagRole[];
}

/** Parses an operation record; undefined when absent. */
export function parseOperation(raw: string | undefined): Parsed<TagOperation | undefined> {
  if (raw === undefined) return { value: undefined, error: undefined };
  let p: unknown;
  try {
    p = JSON.parse(raw);
  } catch (e) {
    return { value: undefined, error: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const o = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  const ok =
    typeof o['id'] === 'string' &&
    (o['op'] === 'move' || o['op'] === 'rollback') &&
    (o['from'] === null || (typeof o['from'] === 'string' && o['from'] !== '')) &&
    typeof o['to'] === 'string' &&
    o['to'] !== '' &&
    typeof o['at'] === 'string' &&
    Array.isArray(o['history']) &&
    (o['history'] as unknown[]).every(isEntry) &&
    isRoleList(o['fromObjects']) &&
    isRoleList(o['toObjects']);
  if (!ok)
    return {
      value: undefined,
      error: 'not an operation record {id, op, from, to, at, history, fromObjects, toObjects}',
    };
  return { value: o as unknown as TagOperation, error: undefined };
}

/** The operation recorded on an object (see parseOperation). */
export function readOperation(obj: KubeObject | undefined): Parsed<TagOperation | undefined> {
  return parseOperation(obj?.metadata.annotations?.[OPERATION]);
}

/** The annotation value of an operation record (stable key order: readable with kubectl). */
export function operationValue(o: TagOperation): string {
  const { id, op, from, to, at, history, fromObjects, toObjects } = o;
  return JSON.stringify({ id, op, from, to, at, history, fromObjects, toObjects });
}

/** The commands that finish and undo an operation (printed by `tags` and by every interrupted run). */
export function operationCommands(
  tag: string,
  o: Pick<TagOperation, 'op' | 'from' | 'to'>,
): { finish: string; undo: string } {
  if (o.op === 'rollback') {
    return { finish: `kubectl ambient tag-rollback ${tag}`, undo: `kubectl ambient tag-move ${tag} ${o.from ?? o.to}` };
  }
  return { finish: `kubectl ambient tag-move ${tag} ${o.to}`, undo: `kubectl ambient tag-rollback ${tag}` };
}
