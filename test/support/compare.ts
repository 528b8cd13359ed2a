/** Comparing live objects with helm's render: parsed, ignoring our annotation, caBundle and server defaults. */
import assert from 'node:assert/strict';
import { projectOnto } from '../../src/core/diff.ts';
import type { KubeObject } from '../cluster/types.ts';
import type { TestCluster } from './sim.ts';

const HISTORY = 'kubectl-ambient.dev/tag-history';

/** Drops caBundle from every webhook (istiod patches it at run time, §3.5). */
function withoutCaBundle(o: KubeObject): KubeObject {
  const c = structuredClone(o);
  for (const w of (c['webhooks'] as { clientConfig?: { caBundle?: string } }[] | undefined) ?? []) delete w.clientConfig?.caBundle;
  return c;
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
  const names = (o: KubeObject): string[] => ((o['webhooks'] as { name: string }[] | undefined) ?? []).map((w) => w.name);
  assert.deepEqual(names(l), names(rendered), `${what}: webhooks`);
  const body = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  assert.deepEqual(projectOnto(body(l), body(rendered)), body(rendered), `${what}: body`);
}

/** Every object of a cluster, without the fields a restore or a no-op legitimately changes. */
export function clusterState(c: TestCluster): unknown {
  return c.sim.dump().map((o) => {
    const { resourceVersion: _r, managedFields: _m, generation: _g, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  });
}
