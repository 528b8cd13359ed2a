import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { NEVER_READY_ANNOTATION } from './controllers.ts';
import { startSimCluster } from './index.ts';
import { call, deployment, eventually, startTestSim } from './testutil.ts';
import type { KubeObject, StoreEvent } from './types.ts';

function daemonSet(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'ztunnel:1' }] } },
    },
  };
}

const status = (o: KubeObject | undefined): Record<string, unknown> => (o?.['status'] ?? {}) as Record<string, unknown>;

describe('workloads controller', () => {
  it('sets Deployment and DaemonSet status after creation and after generation changes', async () => {
    const t = await startTestSim({
      objects: [deployment('istiod', 'istio-system', 2), daemonSet('ztunnel', 'istio-system')],
      nodes: 4,
    });
    try {
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' };
      await eventually(() => status(t.sim.get(ref))['observedGeneration'] === 1);
      const s = status(t.sim.get(ref));
      assert.equal(s['replicas'], 2);
      assert.equal(s['updatedReplicas'], 2);
      assert.equal(s['readyReplicas'], 2);
      assert.equal(s['availableReplicas'], 2);
      assert.deepEqual(
        (s['conditions'] as { type: string; status: string }[]).map((c) => `${c.type}=${c.status}`),
        ['Available=True', 'Progressing=True'],
      );
      const dsRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'istio-system', name: 'ztunnel' };
      await eventually(() => status(t.sim.get(dsRef))['observedGeneration'] === 1);
      assert.deepEqual(status(t.sim.get(dsRef)), {
        currentNumberScheduled: 4,
        numberMisscheduled: 0,
        desiredNumberScheduled: 4,
        numberReady: 4,
        observedGeneration: 1,
        updatedNumberScheduled: 4,
        numberAvailable: 4,
      });

      // A spec change through the API: generation 2, then the controller observes it (a MODIFIED event).
      const apps = t.kc.makeApiClient(k8s.AppsV1Api);
      const events: string[] = [];
      t.sim.addController((e: StoreEvent) => {
        if (e.object.kind === 'Deployment' && e.object.metadata.name === 'istiod')
          events.push(`${e.type} g${e.object.metadata.generation} og${String(status(e.object)['observedGeneration'])}`);
      });
      await apps.patchNamespacedDeployment(
        { name: 'istiod', namespace: 'istio-system', body: { spec: { replicas: 3 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await eventually(() => status(t.sim.get(ref))['observedGeneration'] === 2);
      assert.equal(status(t.sim.get(ref))['readyReplicas'], 3);
      assert.deepEqual(events, ['MODIFIED g2 og1', 'MODIFIED g2 og2']);
    } finally {
      await t.close();
    }
  });

  it(`honours ${NEVER_READY_ANNOTATION} and readyDelayMs`, async () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'stuck' };
    // A delay no test run reaches: whatever the machine's speed, nothing is written before it.
    const later = await startSimCluster({
      controllers: { workloads: { readyDelayMs: 3_600_000 } },
      objects: [deployment('stuck', 'ns', 2)],
    });
    try {
      // One turn of the timers (a timer the sim set with a shorter delay, had it ignored readyDelayMs, fires first).
      await new Promise((r) => setTimeout(r, 1));
      assert.deepEqual(status(later.get(ref)), {}, 'nothing before the delay');
    } finally {
      await later.close();
    }
    const sim = await startSimCluster({
      controllers: { workloads: { readyDelayMs: 80 } },
      objects: [deployment('stuck', 'ns', 2, { [NEVER_READY_ANNOTATION]: 'true' })],
    });
    try {
      await eventually(() => status(sim.get(ref))['observedGeneration'] === 1);
      const s = status(sim.get(ref));
      assert.equal(s['updatedReplicas'], 2);
      assert.equal(s['readyReplicas'], undefined, 'zero counts are omitted like the real API (omitempty)');
      assert.equal(s['availableReplicas'], undefined);
      assert.equal(s['unavailableReplicas'], 2);
      assert.deepEqual(
        (s['conditions'] as { type: string; status: string }[]).map((c) => `${c.type}=${c.status}`),
        ['Available=False', 'Progressing=True'],
      );
    } finally {
      await sim.close();
    }
  });

  it('can be disabled; extra controllers see every change from requests and direct calls', async () => {
    const sim = await startSimCluster({ controllers: { workloads: false }, objects: [deployment('d', 'ns')] });
    try {
      const seen: string[] = [];
      sim.addController((e, s) => {
        seen.push(`${e.type} ${e.object.kind}/${e.object.metadata.name}${e.oldObject ? ' (had old)' : ''}`);
        // A controller may write; its event is delivered after the current one.
        if (e.type === 'ADDED' && e.object.kind === 'ConfigMap' && e.object.metadata.name === 'trigger') {
          s.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reaction', namespace: 'ns' } });
        }
      });
      sim.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trigger', namespace: 'ns' } });
      const res = await call(sim.url, 'DELETE', '/api/v1/namespaces/ns/configmaps/trigger');
      assert.equal(res.status, 200);
      assert.deepEqual(seen, [
        'ADDED ConfigMap/trigger',
        'ADDED ConfigMap/reaction',
        'DELETED ConfigMap/trigger (had old)',
      ]);
      assert.equal(
        status(sim.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'd' }))[
          'observedGeneration'
        ],
        undefined,
      );
    } finally {
      await sim.close();
    }
  });

  it('pods: a template change adds pods of the new template; old pods go once it is ready, never for an unhealthy revision', async () => {
    const withRev = (rev: string): KubeObject => {
      const d = deployment('waypoint', 'apps');
      const spec = d['spec'] as { template: { metadata: Record<string, unknown> } };
      spec.template.metadata['annotations'] = { 'istio.io/rev': rev };
      return d;
    };
    const sim = await startSimCluster({ objects: [withRev('1-27-9')], unhealthyRevisions: ['1-28-10'] });
    try {
      const pods = (): string[] =>
        sim
          .list({ apiVersion: 'v1', kind: 'Pod', namespace: 'apps' })
          .map((p) => p.metadata.annotations?.['istio.io/rev'] ?? '')
          .sort();
      await eventually(() => pods().length === 1);
      assert.deepEqual(pods(), ['1-27-9']);
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'waypoint' };
      sim.upsert(withRev('1-28-10'));
      await eventually(() => status(sim.get(ref))['observedGeneration'] === 2);
      assert.equal(status(sim.get(ref))['readyReplicas'], undefined, 'the unhealthy revision never becomes ready');
      assert.deepEqual(pods(), ['1-27-9', '1-28-10'], 'the old pod stays while the new one is not ready');
      sim.setUnhealthyRevisions([]);
      sim.upsert(withRev('1-30-3'));
      await eventually(() => status(sim.get(ref))['observedGeneration'] === 3 && pods().length === 1);
      assert.deepEqual(pods(), ['1-30-3']);
      assert.equal(status(sim.get(ref))['readyReplicas'], 1);
    } finally {
      await sim.close();
    }
  });
});
