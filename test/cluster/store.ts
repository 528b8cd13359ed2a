/**
 * The object store: one global, monotonically increasing resourceVersion (like etcd's revision),
 * a bounded event history for watches, and list snapshots for consistent pagination.
 */
import type { KubeObject, WatchEventType } from './types.ts';

/** A change recorded in the store. `object` for DELETED is the last state with the deletion's RV. */
export interface StoredEvent {
  rv: number;
  type: WatchEventType;
  /** `group/resource`. */
  gr: string;
  object: KubeObject;
  prev?: KubeObject;
}

/** Key of an object within its resource: `namespace/name` (namespace empty for cluster scope). */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** In-memory storage. Stored objects are never mutated in place (callers must copy before changing). */
export class Store {
  private rv: number;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private compactedRv: number;
  private readonly historyLimit: number;
  private readonly listeners = new Set<(e: StoredEvent) => void>();
  private readonly snapshots = new Map<string, KubeObject[]>();
  private readonly snapshotLimit = 64;
  private readonly sorted = new Map<string, KubeObject[]>();
  private readonly pending: StoredEvent[] = [];
  private emitting = false;

  constructor(opts: { initialRv?: number; historyLimit?: number } = {}) {
    this.rv = opts.initialRv ?? 100;
    this.compactedRv = this.rv;
    this.historyLimit = opts.historyLimit ?? 1000;
  }

  /** The current revision. */
  currentRv(): number {
    return this.rv;
  }

  /** The oldest revision a watch can start from (older → 410 Expired). */
  oldestWatchableRv(): number {
    return this.compactedRv;
  }

  /** One object, or undefined. */
  get(gr: string, namespace: string, name: string): KubeObject | undefined {
    return this.data.get(gr)?.get(objectKey(namespace, name));
  }

  /** Every object of a resource, sorted by namespace/name (etcd key order). */
  list(gr: string): KubeObject[] {
    const cached = this.sorted.get(gr);
    if (cached !== undefined) return [...cached];
    const m = this.data.get(gr);
    if (m === undefined) return [];
    const out = [...m.entries()].sort((a, b) => compareKeys(a[0], b[0])).map((e) => e[1]);
    this.sorted.set(gr, out);
    return [...out];
  }

  /** Every resource key that has objects. */
  resources(): string[] {
    return [...this.data.keys()].filter((k) => (this.data.get(k)?.size ?? 0) > 0);
  }

  /** Write an object (ADDED or MODIFIED): assigns the next resourceVersion, records and emits the event. */
  put(gr: string, obj: KubeObject): KubeObject {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    let m = this.data.get(gr);
    if (m === undefined) {
      m = new Map();
      this.data.set(gr, m);
    }
    const key = objectKey(ns, name);
    const prev = m.get(key);
    this.rv++;
    this.sorted.delete(gr);
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    m.set(key, stored);
    this.emit(
      prev === undefined
        ? { rv: this.rv, type: 'ADDED', gr, object: stored }
        : { rv: this.rv, type: 'MODIFIED', gr, object: stored, prev },
    );
    return stored;
  }

  /** Delete an object: the DELETED event carries its last state with the deletion's resourceVersion. */
  remove(gr: string, namespace: string, name: string): KubeObject | undefined {
    const m = this.data.get(gr);
    const key = objectKey(namespace, name);
    const prev = m?.get(key);
    if (m === undefined || prev === undefined) return undefined;
    m.delete(key);
    this.sorted.delete(gr);
    this.rv++;
    const tomb: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(this.rv) } };
    this.emit({ rv: this.rv, type: 'DELETED', gr, object: tomb, prev });
    return prev;
  }

  private emit(e: StoredEvent): void {
    this.history.push(e);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.compactedRv = dropped.rv;
    }
    // Listeners may write (controllers): their events are queued so everyone sees changes in RV order.
    this.pending.push(e);
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        for (const l of [...this.listeners]) l(next);
      }
    } finally {
      this.emitting = false;
    }
  }

  /** Events of a resource after `rv`, or 'expired' if history no longer reaches back that far. */
  eventsSince(gr: string, rv: number): StoredEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    return this.history.filter((e) => e.rv > rv && e.gr === gr);
  }

  /** Subscribe to every change (synchronously, in order). Returns the unsubscribe function. */
  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Remember the current list of a resource for continue tokens; returns the revision it is valid at. */
  snapshot(gr: string): number {
    const k = `${this.rv}|${gr}`;
    if (!this.snapshots.has(k)) {
      this.snapshots.set(k, this.list(gr));
      while (this.snapshots.size > this.snapshotLimit) {
        const first = this.snapshots.keys().next().value;
        if (first === undefined) break;
        this.snapshots.delete(first);
      }
    }
    return this.rv;
  }

  /** A list remembered by `snapshot`, or undefined if it was evicted ("compacted"). */
  getSnapshot(gr: string, rv: number): KubeObject[] | undefined {
    if (rv === this.rv) return this.list(gr);
    return this.snapshots.get(`${rv}|${gr}`);
  }
}
