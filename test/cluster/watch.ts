/**
 * Watch streams with the watch cache's semantics: initial synthetic ADDED events (no or "0"
 * resourceVersion), replay from a resourceVersion (410 Expired ERROR event when too old),
 * selector transitions turned into ADDED/DELETED, bookmarks and timeouts.
 */
import { apiVersionOf, grKey, type ResourceDef } from './resources.ts';
import { present, type Registry } from './registry.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';
import { failure } from './status.ts';
import type { StoredEvent } from './store.ts';
import type { KubeObject } from './types.ts';

/** What a watch is asked for. */
export interface WatchSpec {
  def: ResourceDef;
  version: string;
  /** undefined = all namespaces. */
  namespace: string | undefined;
  label?: LabelSelector;
  field?: FieldSelector;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  bookmarkIntervalMs?: number;
}

/** Where watch events go, one JSON document per line. */
export interface WatchSink {
  write(line: string): void;
  end(): void;
}

/** Start streaming events to `sink`. Returns a function that stops the watch (without ending the sink). */
export function startWatch(registry: Registry, spec: WatchSpec, sink: WatchSink): () => void {
  const { def, version } = spec;
  const gr = grKey(def);
  const store = registry.store;
  let stopped = false;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;

  const matches = (o: KubeObject): boolean => {
    if (def.namespaced && spec.namespace !== undefined && o.metadata.namespace !== spec.namespace) return false;
    if (spec.label !== undefined && !spec.label.matches(o.metadata.labels)) return false;
    if (spec.field !== undefined && !spec.field.matches(o)) return false;
    return true;
  };
  const send = (type: string, object: unknown): void => {
    if (!stopped) sink.write(`${JSON.stringify({ type, object })}\n`);
  };
  const handle = (e: StoredEvent): void => {
    const cur = e.type !== 'DELETED' && matches(e.object);
    const old = e.prev !== undefined && matches(e.prev);
    if (e.type === 'DELETED') {
      if (old) send('DELETED', present(def, e.object, version));
    } else if (cur && old) {
      send('MODIFIED', present(def, e.object, version));
    } else if (cur) {
      send('ADDED', present(def, e.object, version));
    } else if (old && e.prev !== undefined) {
      // cacheWatcher.convertToWatchEvent: previous content, with the event's resourceVersion.
      const o = present(def, e.prev, version);
      o.metadata.resourceVersion = String(e.rv);
      send('DELETED', o);
    }
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
  };
  const finish = (): void => {
    stop();
    sink.end();
  };

  const unsubscribe = store.subscribe((e) => {
    if (e.gr === gr) handle(e);
  });

  const rv = spec.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') {
    for (const o of store.list(gr)) if (matches(o)) send('ADDED', present(def, o, version));
  } else {
    const n = Number(rv);
    const events = store.eventsSince(gr, n);
    if (events === 'expired') {
      send('ERROR', failure(410, 'Expired', `too old resource version: ${n} (${store.oldestWatchableRv()})`));
      finish();
      return stop;
    }
    for (const e of events) handle(e);
  }

  if (spec.timeoutSeconds !== undefined && spec.timeoutSeconds > 0) {
    timeoutTimer = setTimeout(finish, spec.timeoutSeconds * 1000);
  }
  if (spec.allowWatchBookmarks === true) {
    const interval = spec.bookmarkIntervalMs ?? 60_000;
    const tick = (): void => {
      if (stopped) return;
      send('BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersionOf(def.group, version),
        metadata: { resourceVersion: String(store.currentRv()), creationTimestamp: null },
      });
      bookmarkTimer = setTimeout(tick, interval);
    };
    bookmarkTimer = setTimeout(tick, interval);
  }
  return stop;
}
