import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TagView } from '../../src/core/views.ts';
import { ambient } from '../support/cli.ts';
import { startProxy } from '../support/proxy.ts';
import { startCluster } from '../support/sim.ts';
import { assertFails, kubeconfigVia, state, tagRevision } from './support.ts';

const move = ['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'];

describe('faults: server answers', () => {
  it('403 on list names the verb, resource and scope', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.forbid({ verb: 'list', resource: 'services', namespace: 'istio-system' });
      const r = await ambient(['tags'], { kubeconfig: c.kubeconfig });
      assertFails(
        r,
        'auth',
        /^error: RBAC refused: services is forbidden: User "admin" cannot list resource "services" in API group "" in the namespace "istio-system"; ask a cluster admin for permission to list services -n istio-system/,
      );
    } finally {
      await c.close();
    }
  });

  it('403 on update only: reads work, the write is refused, nothing changed', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.forbid({ verb: 'update', resource: 'mutatingwebhookconfigurations' });
      const before = state(c);
      const r = await ambient(move, { kubeconfig: c.kubeconfig });
      assertFails(
        r,
        'auth',
        /^error: RBAC refused: mutatingwebhookconfigurations\.admissionregistration\.k8s\.io "istio-revision-tag-prod" is forbidden|^error: RBAC refused: mutatingwebhookconfigurations\.admissionregistration\.k8s\.io is forbidden: User "admin" cannot update/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('404 for the Gateway API is "no gateways"', async () => {
    const c = await startCluster('fresh', { gatewayApi: false });
    try {
      const r = await ambient(['revisions', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as { gateways: unknown[] }[])[0]?.gateways, []);
    } finally {
      await c.close();
    }
  });

  it('409 on update (moved in between): nothing half-applied, exit 75', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      c.sim.inject({ match: { method: 'PUT', resource: 'mutatingwebhookconfigurations' }, status: 409, times: 1 });
      const before = state(c);
      assertFails(
        await ambient(move, { kubeconfig: c.kubeconfig }),
        'conflict',
        /^error: conflict on update .*istio-revision-tag-prod.*; someone else changed it in between: re-run/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('422 on the second write is found by the server dry run: nothing is written, exit 76', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      c.sim.inject({
        match: { method: 'POST', resource: 'services' },
        status: 422,
        message: 'Service "istiod-revision-tag-prod" is invalid',
        times: 1,
      });
      const before = state(c);
      assertFails(
        await ambient(move, { kubeconfig: c.kubeconfig }),
        'server',
        /^error: the API server refused create services .*\(422 Invalid\).*; nothing was changed/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('429 with Retry-After is retried a bounded number of times', async () => {
    const c = await startCluster('mid-upgrade');
    const proxy = await startProxy({ url: c.sim.url, ca: c.sim.ca });
    try {
      c.sim.inject({ match: { resource: 'gateways' }, status: 429, headers: { 'Retry-After': '1' }, times: 2 });
      // Retry-After honoured, by timer order in this one process (no clock read): a 900 ms timer set
      // before the client even sees the first 429 fires before the client's 1 s wait ends.
      const gateways = (): number => proxy.log.filter((e) => e.path.endsWith('/gateways')).length;
      let early: Promise<number> | undefined;
      proxy.intercept(
        (q) => q.path.endsWith('/gateways'),
        async (x) => {
          const answer = await x.forward();
          early = new Promise((resolve) => setTimeout(() => resolve(gateways()), 900));
          x.reply(answer);
        },
      );
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: kubeconfigVia(c, proxy) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await early, 1, 'no retry within the second Retry-After asks for');
      assert.equal(c.sim.requests.filter((q) => q.resource === 'gateways').length, 3);
      c.sim.inject({ match: { resource: 'gateways' }, status: 429, headers: { 'Retry-After': '0' } });
      c.sim.clearRequests();
      assertFails(
        await ambient(['tags'], { kubeconfig: c.kubeconfig }),
        'server',
        /^error: the API server is throttling requests \(429\)/,
      );
      assert.equal(c.sim.requests.filter((q) => q.resource === 'gateways').length, 4, 'one try + 3 retries');
    } finally {
      await proxy.close();
      await c.close();
    }
  });

  it('500 and 503 are retried for reads', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.inject({ match: { resource: 'services' }, status: 503, times: 1 });
      c.sim.inject({ match: { resource: 'deployments' }, status: 500, times: 1 });
      const r = await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as TagView[]).length, 3);
    } finally {
      await c.close();
    }
  });

  it('but never for writes: a 503 on the update fails at once, nothing changed', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      c.sim.inject({ match: { method: 'PUT', resource: 'mutatingwebhookconfigurations' }, status: 503, times: 1 });
      const before = state(c);
      assertFails(
        await ambient(move, { kubeconfig: c.kubeconfig }),
        'server',
        /^error: the API server failed on update .* \(503 ServiceUnavailable\)/,
      );
      assert.equal(c.sim.requests.filter((q) => q.method === 'PUT').length, 1);
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('a watch that ends during --wait is resumed', async () => {
    const c = await startCluster('mid-upgrade', {
      istiod: { renderDelayMs: 100 },
      controllers: { workloads: { readyDelayMs: 300 } },
    });
    try {
      c.sim.inject({ match: { verb: 'watch', resource: 'deployments' }, drop: 'mid-body', times: 2 });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait', '--timeout', '10s'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /waypoints on 1-28-10: 2\/2/);
      assert.equal(tagRevision(c, 'prod'), '1-28-10');
    } finally {
      await c.close();
    }
  });
});
