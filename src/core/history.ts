import { HISTORY } from './labels.ts';
import type { KubeObject } from './model.ts';

/** One earlier position of a tag: the revision it pointed at, and when it was moved away from it. */
export interface HistoryEntry {
  revision: string;
  at: string;
}

/** How many earlier revisions a tag remembers (issue #3 step 6: bounded). */
export const HISTORY_LIMIT = 10;

/**
 * The history recorded on a tag webhook, oldest first, newest last. A missing or unreadable
 * annotation is an empty history (a tag made by Helm or istioctl has none).
 */
export function readHistory(obj: KubeObject | undefined): HistoryEntry[] {
  const raw = obj?.metadata.annotations?.[HISTORY];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is HistoryEntry =>
        typeof e === 'object' && e !== null && typeof (e as HistoryEntry).revision === 'string' && typeof (e as HistoryEntry).at === 'string',
    );
  } catch {
    return [];
  }
}

/** The annotation value after appending one entry, keeping the newest HISTORY_LIMIT. */
export function appendHistory(history: HistoryEntry[], entry: HistoryEntry): string {
  return JSON.stringify([...history, entry].slice(-HISTORY_LIMIT));
}

/** The annotation value after dropping the newest entry (a rollback consumed it). */
export function popHistory(history: HistoryEntry[]): string {
  return JSON.stringify(history.slice(0, -1));
}
