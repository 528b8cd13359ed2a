/**
 * The §5.4 hazards table: each row fires with a version inside its range (and its condition met) and
 * stays silent just outside, with the cases written out by hand from istio-semantics.md §5.4.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HAZARDS,
  evaluateHazards,
  forwardMoveWarning,
  type HazardInput,
  type HazardRevision,
} from '../../src/core/hazards.ts';

function rev(name: string, version: string, o: Partial<HazardRevision> = {}): HazardRevision {
  return { name, version, env: {}, gateways: 0, tagLabelledGateways: 0, ...o };
}

/** A mesh where every condition a row may need holds, so that only the versions decide. */
function input(
  o: {
    inUse?: HazardRevision[];
    ztunnel?: string;
    cni?: string;
    target?: HazardRevision;
    installed?: boolean;
    pinnedOnTheWay?: string[];
  } = {},
): HazardInput {
  const inUse = o.inUse ?? [];
  return {
    inUse,
    installedCount: inUse.length,
    ztunnels: [{ name: 'ztunnel', version: o.ztunnel ?? '1.28.10', pin: inUse[0]?.name }],
    cnis: [{ name: 'istio-cni-node', version: o.cni ?? '1.28.10' }],
    canaryNamespaces: ['shop'],
    validatorWorks: false,
    ...(o.target !== undefined
      ? {
          target: {
            revision: o.target,
            installed: o.installed ?? false,
            movesFrom: inUse,
            ztunnelVersionsPinned: o.pinnedOnTheWay ?? [],
          },
        }
      : {}),
  };
}
const fired = (i: HazardInput): string[] => evaluateHazards(i).map((h) => h.hazard.id);
const GW = { gateways: 2, tagLabelledGateways: 1 };
const DRY = { env: { AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: 'true' } };

/** [row, what, input that must fire it, input just outside its range]. */
const cases: [string, HazardInput, HazardInput][] = [
  [
    'dry-run-authz-enforced',
    input({ inUse: [rev('a', '1.29.0', DRY)], ztunnel: '1.28.10' }),
    input({ inUse: [rev('a', '1.28.10', DRY)], ztunnel: '1.27.9' }),
  ],
  [
    'weighted-canary-ignored',
    input({ inUse: [rev('a', '1.31.0')], ztunnel: '1.30.3' }),
    input({ inUse: [rev('a', '1.30.4')], ztunnel: '1.30.3' }),
  ],
  [
    'gateway-api-grpcroute-minimum',
    input({ inUse: [rev('a', '1.21.6')], target: rev('b', '1.22.0') }),
    input({ inUse: [rev('a', '1.21.0')], target: rev('b', '1.21.6') }),
  ],
  [
    'gateway-api-backendtlspolicy-minimum',
    input({ inUse: [rev('a', '1.27.9')], target: rev('b', '1.28.0') }),
    input({ inUse: [rev('a', '1.26.8')], target: rev('b', '1.27.9') }),
  ],
  [
    'gateway-api-tlsroute-minimum',
    input({ inUse: [rev('a', '1.29.9')], target: rev('b', '1.30.0') }),
    input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.29.9') }),
  ],
  [
    'gateway-api-tcproute-minimum',
    input({ inUse: [rev('a', '1.30.4')], target: rev('b', '1.31.0') }),
    input({ inUse: [rev('a', '1.29.9')], target: rev('b', '1.30.4') }),
  ],
  [
    'gateway-api-tlsroute-windows',
    input({ inUse: [rev('a', '1.29.2'), rev('b', '1.30.0')] }),
    input({ inUse: [rev('a', '1.29.1'), rev('b', '1.30.0')] }),
  ],
  [
    'cni-exclude-namespaces',
    input({ inUse: [rev('a', '1.29.9')], cni: '1.29.9', target: rev('b', '1.30.0') }),
    input({ inUse: [rev('a', '1.28.10')], cni: '1.28.10', target: rev('b', '1.29.9') }),
  ],
  [
    'wds-reconnect-limit',
    input({ inUse: [rev('a', '1.29.6')], target: rev('b', '1.29.7') }),
    input({ inUse: [rev('a', '1.29.6')], target: rev('b', '1.30.3') }),
  ],
  ['no-validator-panic', input({ inUse: [rev('a', '1.30.4')] }), input({ inUse: [rev('a', '1.31.0')] })],
  [
    'webhook-not-ready',
    input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.30.3') }),
    input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.30.4') }),
  ],
  [
    'gateway-deployment-at-start',
    input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.29.6') }),
    input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.29.7') }),
  ],
  [
    'gateways-restart-with-istiod',
    input({ inUse: [rev('a', '1.28.5', GW)] }),
    input({ inUse: [rev('a', '1.28.6', GW)] }),
  ],
  [
    'route-status-conflict',
    input({ inUse: [rev('a', '1.27.3'), rev('b', '1.29.9')] }),
    input({ inUse: [rev('a', '1.27.4'), rev('b', '1.29.9')] }),
  ],
  [
    'empty-config-on-move',
    input({ inUse: [rev('a', '1.29.4', GW)], target: rev('b', '1.30.3') }),
    input({ inUse: [rev('a', '1.29.5', GW)], target: rev('b', '1.30.3') }),
  ],
  ['tag-labelled-gateways', input({ inUse: [rev('a', '1.24.2', GW)] }), input({ inUse: [rev('a', '1.24.3', GW)] })],
];

describe('§5.4 hazards: inside the range fires, just outside is silent', () => {
  it('every row of the table has a case here', () =>
    assert.deepEqual(cases.map(([id]) => id).sort(), HAZARDS.map((h) => h.id).sort()));
  for (const [id, inside, outside] of cases) {
    it(`${id}: fires inside`, () => assert.ok(fired(inside).includes(id), fired(inside).join(', ')));
    it(`${id}: silent outside`, () => assert.ok(!fired(outside).includes(id), fired(outside).join(', ')));
  }
  it('every row names its source and the day it was recorded', () => {
    for (const h of HAZARDS) {
      assert.ok(h.source.length > 0, h.id);
      assert.match(h.recorded, /^\d{4}-\d{2}-\d{2}$/, h.id);
      assert.ok(h.advice.length > 0, h.id);
    }
  });
});

describe('§5.4 hazards: conditions', () => {
  it('dry-run flag: silent without the env, or with every pinned ztunnel at 1.29+', () => {
    assert.ok(!fired(input({ inUse: [rev('a', '1.30.3')], ztunnel: '1.28.10' })).includes('dry-run-authz-enforced'));
    assert.ok(
      !fired(input({ inUse: [rev('a', '1.30.3', DRY)], ztunnel: '1.29.0' })).includes('dry-run-authz-enforced'),
    );
  });
  it('dry-run flag: fires for the target when the plan pins a 1.28 ztunnel to it', () => {
    const i = input({
      inUse: [rev('a', '1.28.10')],
      ztunnel: '1.27.9',
      target: rev('b', '1.30.3', DRY),
      installed: true,
      pinnedOnTheWay: ['1.28.10'],
    });
    const h = evaluateHazards(i).find((x) => x.hazard.id === 'dry-run-authz-enforced');
    assert.equal(h?.planned, true);
  });
  it('weighted canary: silent without canary labels', () => {
    const i = { ...input({ inUse: [rev('a', '1.31.0')], ztunnel: '1.30.3' }), canaryNamespaces: [] };
    assert.ok(!fired(i).includes('weighted-canary-ignored'));
  });
  it('no validator panic: silent when the validator calls a running istiod', () => {
    assert.ok(
      !fired({ ...input({ inUse: [rev('a', '1.30.4')] }), validatorWorks: true }).includes('no-validator-panic'),
    );
  });
  it('gRPC limit: silent when istiod already sets ISTIO_GPRC_MAXRECVMSGSIZE', () => {
    assert.ok(
      !fired(
        input({
          inUse: [rev('a', '1.29.6', { env: { ISTIO_GPRC_MAXRECVMSGSIZE: '8388608' } })],
          target: rev('b', '1.30.4'),
        }),
      ).includes('wds-reconnect-limit'),
    );
  });
  it('empty config: silent when the old revision manages no gateway', () => {
    assert.ok(
      !fired(input({ inUse: [rev('a', '1.28.10')], target: rev('b', '1.30.3') })).includes('empty-config-on-move'),
    );
  });
  it('one finding per row: two revisions in range share it', () => {
    const hits = evaluateHazards(input({ inUse: [rev('a', '1.27.9'), rev('b', '1.28.10')] })).filter(
      (h) => h.hazard.id === 'no-validator-panic',
    );
    assert.equal(hits.length, 1);
    assert.match(hits[0]?.message ?? '', /^revisions a \(1\.27\.9\), b \(1\.28\.10\) in <1\.31\.0: /);
  });
});

describe('forward moves (§5.1, §5.3)', () => {
  const cases: [string | undefined, string, RegExp | undefined][] = [
    ['1.27.9', '1.28.10', undefined],
    ['1.27.9', '1.29.9', /^1\.27\.9 -> 1\.29\.9 moves 2 minors forward/],
    ['1.28.10', '1.30.3', /moves 2 minors forward/],
    ['1.30.3', '1.31.0-rc.0', /^1\.31\.0-rc\.0 is a pre-release: not for production/],
    ['1.28.10', '1.31.0-rc.0', /moves 3 minors forward.*; 1\.31\.0-rc\.0 is a pre-release/],
    ['1.30.3', '1.28.10', undefined],
    ['1.30.3', '2.0.0', undefined],
    [undefined, '1.30.3', undefined],
  ];
  for (const [from, to, want] of cases) {
    it(`${from ?? '(new tag)'} -> ${to}`, () => {
      const w = forwardMoveWarning(from, to);
      if (want === undefined) assert.equal(w, undefined);
      else assert.match(w ?? '', want);
    });
  }
});
