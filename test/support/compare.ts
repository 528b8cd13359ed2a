/** Comparing live objects with helm's render: parsed, ignoring our annotation, caBundle and server defaults. */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../cluster/types.ts';
import type { TestCluster } from './sim.ts';

const HISTORY = 'kubectl-ambient.dev/tag-history';

/** Drops caBundle from every webhook (istiod patches it at run time, §3.5). */
function withoutCaBundle(o: KubeObject): KubeObject {
  const c = structuredClone(o);
  for (const w of (c['webhooks'] as { clientConfig?: { caBundle?: string } }[] | undefined) ?? [])
    delete w.clientConfig?.caBundle;
  return c;
}

/**
 * Where `live` differs from `want` other than by fields `want` does not have (server defaults), as a
 * path and both values; undefined when every field of `want` is in `live` with the same value.
 * Arrays must have the same length and match element by element (order counts). Written here,
 * independent of the product's diff code, so that it can judge it.
 */
export function mismatch(live: unknown, want: unknown, path = ''): string | undefined {
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length)
      return `${path}: ${JSON.stringify(live)} is not an array of ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const m = mismatch(live[i], want[i], `${path}[${i}]`);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof live !== 'object' || live === null || Array.isArray(live))
      return `${path}: ${JSON.stringify(live)} is not an object`;
    for (const [k, v] of Object.entries(want)) {
      if (!(k in live)) return `${path}.${k}: missing (want ${JSON.stringify(v)})`;
      const m = mismatch((live as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  return isDeepStrictEqual(live, want) ? undefined : `${path}: ${JSON.stringify(live)}, want ${JSON.stringify(want)}`;
}

/**
 * Asserts that `live` is `rendered` plus only server defaults: same labels and annotations (ours
 * aside), same webhook names in the same order, and every rendered field equal.
 */
export function assertLiveEqualsRender(live: KubeObject | undefined, rendered: KubeObject, what: string): void {
  assert.ok(live, `${what}: missing in the cluster`);
  const l = withoutCaBundle(live);
  assert.deepEqual(l.metadata.labels ?? {}, rendered.metadata.labels ?? {}, `${what}: labels`);
  const annotations = { ...(l.metadata.annotations ?? {}) };
  delete annotations[HISTORY];
  assert.deepEqual(annotations, rendered.metadata.annotations ?? {}, `${what}: annotations`);
  const names = (o: KubeObject): string[] =>
    ((o['webhooks'] as { name: string }[] | undefined) ?? []).map((w) => w.name);
  assert.deepEqual(names(l), names(rendered), `${what}: webhooks`);
  const body = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  const m = mismatch(body(l), body(rendered));
  assert.equal(m, undefined, `${what}: body${m ?? ''}`);
}

/** Every object of a cluster, without the fields a restore or a no-op legitimately changes. */
export function clusterState(c: TestCluster): unknown {
  return c.sim.dump().map((o) => {
    const { resourceVersion: _r, managedFields: _m, generation: _g, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  });
}
