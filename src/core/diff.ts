import microdiff from 'microdiff';
import type { KubeObject } from './model.ts';

/** One human-readable change of an object, e.g. `label istio.io/rev: 1-27-9 -> 1-28-10`. */
export interface Change {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

const show = (v: unknown): string | undefined => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * `before` reduced to the fields present in `after`: the server adds defaults (matchPolicy,
 * timeoutSeconds, clusterIP...) that a render never carries, and they must not show as removals.
 * Lists of named items (webhooks) are matched by name.
 */
export function projectOnto(before: unknown, after: unknown): unknown {
  if (Array.isArray(after) && Array.isArray(before)) {
    const named = after.every((x) => typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string');
    if (named) {
      return (before as unknown[]).map((b: unknown): unknown => {
        const match: unknown = (after as unknown[]).find((a) => (a as { name: string }).name === (b as { name?: unknown }).name);
        return match === undefined ? b : projectOnto(b, match);
      });
    }
    return (before as unknown[]).map((b, i): unknown => (i < after.length ? projectOnto(b, (after as unknown[])[i]) : b));
  }
  if (typeof after === 'object' && after !== null && typeof before === 'object' && before !== null && !Array.isArray(after)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(after)) if (k in before) out[k] = projectOnto((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k]);
    return out;
  }
  return before;
}

/** Webhook lists compared by name: `webhooks[rev.object.sidecar-injector.istio.io].clientConfig...`. */
function keyed(obj: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: obj.metadata.labels ?? {}, annotations: obj.metadata.annotations ?? {} };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    out[k] = k === 'webhooks' && Array.isArray(v) ? Object.fromEntries(v.map((w: { name: string }) => [w.name, w])) : v;
  }
  return out;
}

/**
 * The changes from `before` to `after`, compact: label and annotation keys by name, webhooks by
 * name, and one line for a change repeated identically in several webhooks.
 */
export function objectChanges(before: KubeObject, after: KubeObject): Change[] {
  const a = keyed(after);
  const b = projectOnto(keyed(before), a) as Record<string, unknown>;
  // Webhooks that exist only before are removals, not "fields missing from the projection".
  const raw = microdiff(b, a);
  const lines = new Map<string, Change & { hooks: Set<string> }>();
  for (const d of raw) {
    const [head, ...rest] = d.path.map(String);
    let path: string;
    let hook = '';
    if (head === 'labels' || head === 'annotations') path = `${head === 'labels' ? 'label' : 'annotation'} ${rest.join('.')}`;
    else if (head === 'webhooks' && rest.length > 1) {
      hook = rest[0] ?? '';
      path = `webhooks[*].${rest.slice(1).join('.')}`;
    } else if (head === 'webhooks') path = `webhook ${rest[0] ?? ''}`;
    else path = [head, ...rest].join('.');
    const before = d.type === 'CREATE' ? undefined : show(d.oldValue);
    const after = d.type === 'REMOVE' ? undefined : show(d.value);
    const key = `${path}\u0000${before ?? ''}\u0000${after ?? ''}`;
    const line = lines.get(key) ?? { path, before, after, hooks: new Set<string>() };
    if (hook !== '') line.hooks.add(hook);
    lines.set(key, line);
  }
  return [...lines.values()].map(({ path, before, after, hooks }) => ({
    path: hooks.size === 1 ? path.replace('webhooks[*]', `webhooks[${[...hooks][0] ?? ''}]`) : path,
    before,
    after,
  }));
}
