import microdiff from 'microdiff';
import { HISTORY, OPERATION } from './labels.ts';
import { parseHistory, parseOperation } from './history.ts';
import type { KubeObject } from './model.ts';

/** One human-readable change of an object, e.g. `label istio.io/rev: 1-27-9 -> 1-28-10`. */
export interface Change {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

/**
 * Fields only the API server sets (identity, bookkeeping, status). The one list: they
 * are never compared, never shown in a diff and never decide whether a write landed. Everything
 * else on an object is compared, removals included.
 */
export const SERVER_SET_FIELDS = {
  metadata: [
    'resourceVersion',
    'uid',
    'generation',
    'creationTimestamp',
    'managedFields',
    'selfLink',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ],
  object: ['status'],
} as const;

/** The object without SERVER_SET_FIELDS. */
export function withoutServerFields(o: KubeObject): KubeObject {
  const metadata = { ...o.metadata };
  for (const k of SERVER_SET_FIELDS.metadata) delete metadata[k];
  const out: KubeObject = { ...o, metadata };
  for (const k of SERVER_SET_FIELDS.object) delete out[k];
  return out;
}

/**
 * `before` reduced to the fields present in `after` (lists of named items matched by name). Used to
 * tell whether an object still carries what we wrote (the server may add defaults to it), and by
 * the tests comparing live objects with helm's renders.
 */
export function projectOnto(before: unknown, after: unknown): unknown {
  if (Array.isArray(after) && Array.isArray(before)) {
    const named = after.every(
      (x) => typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string',
    );
    if (named) {
      return (before as unknown[]).map((b: unknown): unknown => {
        const match: unknown = (after as unknown[]).find(
          (a) => (a as { name: string }).name === (b as { name?: unknown }).name,
        );
        return match === undefined ? b : projectOnto(b, match);
      });
    }
    return (before as unknown[]).map((b, i): unknown =>
      i < after.length ? projectOnto(b, (after as unknown[])[i]) : b,
    );
  }
  if (
    typeof after === 'object' &&
    after !== null &&
    typeof before === 'object' &&
    before !== null &&
    !Array.isArray(after)
  ) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(after))
      if (k in before)
        out[k] = projectOnto((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k]);
    return out;
  }
  return before;
}

const byName = (v: unknown): unknown =>
  Array.isArray(v) &&
  v.every((x) => typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string')
    ? Object.fromEntries(v.map((x: { name: string }) => [x.name, x]))
    : v;

/** The diffable shape: labels/annotations by key, webhooks and Service ports by name, server fields dropped. */
function keyed(obj: KubeObject): Record<string, unknown> {
  const o = withoutServerFields(obj);
  const { labels, annotations, name: _n, namespace: _ns, ...meta } = o.metadata;
  const out: Record<string, unknown> = { labels: labels ?? {}, annotations: annotations ?? {} };
  for (const [k, v] of Object.entries(meta)) out[`metadata.${k}`] = v;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (k === 'webhooks') out[k] = byName(v);
    else if (k === 'spec' && typeof v === 'object' && v !== null) {
      const spec = { ...(v as Record<string, unknown>) };
      if (Array.isArray(spec['ports'])) spec['ports'] = byName(spec['ports']);
      out[k] = spec;
    } else out[k] = v;
  }
  return out;
}

const show = (v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  // A whole webhook added or removed: say what it calls, not 40 lines of JSON.
  const cc =
    typeof v === 'object' && v !== null
      ? (v as { clientConfig?: { service?: { name?: string }; url?: string } }).clientConfig
      : undefined;
  if (cc !== undefined) return `(webhook calling ${cc.service?.name ?? cc.url ?? '?'})`;
  return JSON.stringify(v);
};

/** Our annotations shown as what they mean, not as raw JSON (malformed values shown raw). */
function readable(c: Change): Change {
  if (c.path === `annotation ${HISTORY}`) {
    const revs = (v: string | undefined): string | undefined => {
      if (v === undefined) return undefined;
      const h = parseHistory(v);
      return h.error !== undefined ? `(malformed: ${v})` : h.value.map((e) => e.revision).join(' > ') || '(empty)';
    };
    return { path: 'history', before: revs(c.before), after: revs(c.after) };
  }
  if (c.path === `annotation ${OPERATION}`) {
    const op = (v: string | undefined): string | undefined => {
      if (v === undefined) return undefined;
      const p = parseOperation(v).value;
      return p === undefined ? `(malformed: ${v})` : `${p.op} ${p.from ?? '(new)'} -> ${p.to} (id ${p.id})`;
    };
    return { path: 'operation record', before: op(c.before), after: op(c.after) };
  }
  return c;
}

/**
 * Every change from `before` to `after` (both full objects), server-set fields aside: label and
 * annotation keys by name, webhooks and ports by name, removals included, one line for a change
 * repeated identically in several webhooks (`webhooks[*]`).
 */
export function objectChanges(before: KubeObject, after: KubeObject): Change[] {
  const raw = microdiff(keyed(before), keyed(after));
  const lines = new Map<string, Change & { hooks: Set<string> }>();
  for (const d of raw) {
    const [head, ...rest] = d.path.map(String);
    let path: string;
    let hook = '';
    if (head === 'labels' || head === 'annotations')
      path = `${head === 'labels' ? 'label' : 'annotation'} ${rest.join('.')}`;
    else if (head === 'webhooks' && rest.length > 1) {
      hook = rest[0] ?? '';
      path = `webhooks[*].${rest.slice(1).join('.')}`;
    } else if (head === 'webhooks') path = `webhook ${rest[0] ?? ''}`;
    else if (head === 'spec' && rest[0] === 'ports' && rest.length > 1)
      path = `spec.ports[${rest[1] ?? ''}]${rest.length > 2 ? `.${rest.slice(2).join('.')}` : ''}`;
    else path = [head, ...rest].join('.');
    const before = d.type === 'CREATE' ? undefined : show(d.oldValue);
    const after = d.type === 'REMOVE' ? undefined : show(d.value);
    const key = `${path}\u0000${before ?? ''}\u0000${after ?? ''}`;
    const line = lines.get(key) ?? { path, before, after, hooks: new Set<string>() };
    if (hook !== '') line.hooks.add(hook);
    lines.set(key, line);
  }
  return [...lines.values()].map(({ path, before, after, hooks }) =>
    readable({
      path: hooks.size === 1 ? path.replace('webhooks[*]', `webhooks[${[...hooks][0] ?? ''}]`) : path,
      before,
      after,
    }),
  );
}

/**
 * Whether `live` carries everything `sent` wrote: labels and annotations exactly, every other field
 * `sent` has equal (the server may add defaults). Tells a write whose answer was lost from one that
 * never landed.
 */
export function carries(live: KubeObject, sent: KubeObject): boolean {
  const l = withoutServerFields(live);
  const s = withoutServerFields(sent);
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  if (
    !same(l.metadata.labels ?? {}, s.metadata.labels ?? {}) ||
    !same(l.metadata.annotations ?? {}, s.metadata.annotations ?? {})
  )
    return false;
  const body = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, ...rest } = o;
    return rest;
  };
  return same(projectOnto(body(l), body(s)), body(s));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
