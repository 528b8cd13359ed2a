import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeUnhealthy, gateHealth, restartBaseline, soakProblems, type GateObjects } from '../../src/core/gate.ts';
import type { Deployment, Gateway, Pod } from '../../src/core/model.ts';
import { podStatus } from '../cluster/controllers.ts';
import { gateway, pod, proxyDeployment } from '../support/builders.ts';

const WP = { name: 'waypoint', namespace: 'bookinfo' };
const FOLLOWER = { kind: 'waypoint' as const, ...WP };

/** A proxy pod of the waypoint running `rev`, Ready or not, with `restarts`. */
function proxyPod(
  name: string,
  rev: string,
  o: { ready?: boolean; restarts?: number; crash?: boolean; terminating?: boolean; phase?: string } = {},
): Pod {
  const p = pod({
    namespace: WP.namespace,
    name,
    labels: {
      'gateway.networking.k8s.io/gateway-name': WP.name,
      'gateway.istio.io/managed': 'istio.io-mesh-controller',
    },
    annotations: { 'istio.io/rev': rev },
  });
  const st = podStatus({ containers: [{ name: 'istio-proxy' }] }, o.ready ?? true) as {
    phase: string;
    containerStatuses: { restartCount: number; state: unknown }[];
  };
  if (o.phase !== undefined) st.phase = o.phase;
  for (const c of st.containerStatuses) {
    c.restartCount = o.restarts ?? 0;
    if (o.crash === true) c.state = { waiting: { reason: 'CrashLoopBackOff' } };
  }
  return {
    ...p,
    metadata: { ...p.metadata, name, ...(o.terminating === true ? { deletionTimestamp: '2026-11-27T12:00:00Z' } : {}) },
    status: st,
  } as Pod;
}

function programmedGateway(
  status: 'True' | 'False' | undefined,
  o: { observed?: number; generation?: number } = {},
): Gateway {
  const g = gateway(WP);
  return {
    ...g,
    metadata: { ...g.metadata, name: WP.name, generation: o.generation ?? 1 },
    ...(status === undefined
      ? {}
      : {
          status: {
            conditions: [
              {
                type: 'Programmed',
                status,
                reason: status === 'True' ? 'Programmed' : 'Pending',
                message: '',
                observedGeneration: o.observed ?? 1,
              },
            ],
          },
        }),
  } as Gateway;
}

function objects(o: {
  rev?: string;
  ready?: boolean;
  pods?: Pod[];
  programmed?: 'True' | 'False' | undefined;
  gw?: Gateway;
  deployments?: Deployment[];
}): GateObjects {
  const d = proxyDeployment(WP, o.rev ?? '1-28-10', '1.28.10', { ready: o.ready ?? true }) as Deployment;
  return {
    deployments: o.deployments ?? [d],
    pods: o.pods ?? [proxyPod('waypoint-a-0', o.rev ?? '1-28-10')],
    gateways: [o.gw ?? programmedGateway('programmed' in o ? o.programmed : 'True')],
  };
}

describe('gate: one follower against the target revision', () => {
  const cases: [string, GateObjects, string[]][] = [
    ['healthy: rendered for the revision, rolled out, its pods on it and Ready, Programmed=True', objects({}), []],
    [
      'Deployment still rendered for the old revision',
      objects({ rev: '1-27-9', pods: [proxyPod('waypoint-a-0', '1-28-10')] }),
      ['Deployment waypoint still rendered for 1-27-9'],
    ],
    ['Deployment not rolled out', objects({ ready: false }), ['Deployment waypoint not rolled out (0/1 ready)']],
    ['no proxy Deployment', objects({ deployments: [] }), ['no proxy Deployment']],
    [
      'an old pod still runs',
      objects({ pods: [proxyPod('waypoint-a-0', '1-28-10'), proxyPod('waypoint-b-0', '1-27-9')] }),
      ['1/2 pods on 1-28-10 and Ready (1 on 1-27-9)'],
    ],
    [
      'a new pod not Ready',
      objects({ pods: [proxyPod('waypoint-a-0', '1-28-10', { ready: false })] }),
      ['0/1 pods on 1-28-10 and Ready (1 not Ready)'],
    ],
    [
      'a terminating old pod and a finished one do not count',
      objects({
        pods: [
          proxyPod('waypoint-a-0', '1-28-10'),
          proxyPod('waypoint-b-0', '1-27-9', { terminating: true }),
          proxyPod('waypoint-c-0', '1-27-9', { phase: 'Succeeded' }),
        ],
      }),
      [],
    ],
    ['Programmed=False', objects({ programmed: 'False' }), ['Programmed=False (Pending)']],
    ['no Programmed condition', objects({ programmed: undefined }), ['no Programmed condition']],
    [
      'Programmed=True for an older generation',
      objects({ gw: programmedGateway('True', { observed: 1, generation: 2 }) }),
      ['Programmed=True is for generation 1, the Gateway is at 2'],
    ],
    ['the Gateway is gone', { ...objects({}), gateways: [] }, ['Gateway not found']],
  ];
  for (const [name, objs, problems] of cases) {
    it(name, () => {
      const [h] = gateHealth([FOLLOWER], '1-28-10', objs);
      assert.deepEqual(h?.problems, problems);
      assert.equal(h?.healthy, problems.length === 0);
    });
  }

  it("objects of other gateways or namespaces are not this follower's", () => {
    const other = proxyPod('waypoint-x-0', '1-27-9');
    const elsewhere = { ...other, metadata: { ...other.metadata, namespace: 'reviews' } } as Pod;
    const [h] = gateHealth([FOLLOWER], '1-28-10', {
      ...objects({}),
      pods: [proxyPod('waypoint-a-0', '1-28-10'), elsewhere],
    });
    assert.deepEqual(h?.problems, []);
    assert.equal(h?.pods, 1);
  });

  it('a container in CrashLoopBackOff on the revision is reported (the gate fails at once); one on the old revision is not', () => {
    const [h] = gateHealth(
      [FOLLOWER],
      '1-28-10',
      objects({
        pods: [
          proxyPod('waypoint-a-0', '1-28-10', { ready: false, restarts: 4, crash: true }),
          proxyPod('waypoint-b-0', '1-27-9', { crash: true }),
        ],
      }),
    );
    assert.deepEqual(h?.crashLooping, ['pod waypoint-a-0 container istio-proxy in CrashLoopBackOff (4 restarts)']);
    assert.deepEqual(describeUnhealthy(h === undefined ? [] : [h]), [
      'waypoint bookinfo/waypoint: 0/2 pods on 1-28-10 and Ready (1 on 1-27-9, 1 not Ready)',
    ]);
  });
});

describe('gate: the soak', () => {
  const start = gateHealth(
    [FOLLOWER],
    '1-28-10',
    objects({ pods: [proxyPod('waypoint-a-0', '1-28-10', { restarts: 2 })] }),
  );
  const baseline = restartBaseline(start);

  it("the baseline is each pod's restarts when the soak starts", () => {
    assert.deepEqual(baseline, { 'bookinfo/waypoint-a-0': 2 });
  });

  const cases: [string, GateObjects, string[]][] = [
    ['no new restart: passes', objects({ pods: [proxyPod('waypoint-a-0', '1-28-10', { restarts: 2 })] }), []],
    [
      'a restart',
      objects({ pods: [proxyPod('waypoint-a-0', '1-28-10', { restarts: 3 })] }),
      ['waypoint bookinfo/waypoint: pod waypoint-a-0 restarted (restartCount 2 -> 3)'],
    ],
    [
      'a pod that appeared during the soak and restarted',
      objects({
        pods: [
          proxyPod('waypoint-a-0', '1-28-10', { restarts: 2 }),
          proxyPod('waypoint-b-0', '1-28-10', { restarts: 1 }),
        ],
      }),
      ['waypoint bookinfo/waypoint: pod waypoint-b-0 restarted (restartCount 0 -> 1)'],
    ],
    [
      'a crash loop',
      objects({ pods: [proxyPod('waypoint-a-0', '1-28-10', { restarts: 2, crash: true })] }),
      ['waypoint bookinfo/waypoint: pod waypoint-a-0 container istio-proxy in CrashLoopBackOff (2 restarts)'],
    ],
    [
      'no longer healthy',
      objects({ programmed: 'False', pods: [proxyPod('waypoint-a-0', '1-28-10', { restarts: 2 })] }),
      ['waypoint bookinfo/waypoint: no longer healthy: Programmed=False (Pending)'],
    ],
  ];
  for (const [name, objs, problems] of cases) {
    it(name, () => {
      assert.deepEqual(soakProblems(gateHealth([FOLLOWER], '1-28-10', objs), baseline), problems);
    });
  }
});
