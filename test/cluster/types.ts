/**
 * Shared types of the simulated Kubernetes API server.
 */

/** A JSON object (what `JSON.parse` gives for `{...}`). */
export type JsonObject = Record<string, unknown>;

/** The metadata every Kubernetes object carries (only the fields the simulator interprets are typed). */
export interface ObjectMeta {
  name?: string | undefined;
  generateName?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  generation?: number | undefined;
  creationTimestamp?: string | undefined;
  deletionTimestamp?: string | undefined;
  deletionGracePeriodSeconds?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  ownerReferences?: JsonObject[] | undefined;
  finalizers?: string[] | undefined;
  [key: string]: unknown;
}

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Type of a store change / watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change in the store, as delivered to controllers (`object` is a deep copy). */
export interface StoreEvent {
  type: WatchEventType;
  object: KubeObject;
  /** The previous state for MODIFIED and DELETED events. */
  oldObject?: KubeObject;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
