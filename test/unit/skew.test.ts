import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Revision } from '../../src/core/mesh.ts';
import { dataPlaneSkew, endOfLife, kubernetesSupport, latestPatch, nextAgentVersion } from '../../src/core/skew.ts';

function rev(version: string | undefined): Revision {
  return {
    name: version?.replaceAll('.', '-') ?? 'x',
    version,
    image: undefined,
    ready: 1,
    desired: 1,
    deployment: undefined,
    canonicalWebhooks: [],
    canonicalServices: [],
    helmRelease: undefined,
    created: undefined,
  };
}

describe('data-plane skew: 0 <= minor(control plane) - minor(component) <= 1', () => {
  const cases: [string, string, string | undefined, 'ok' | 'warn' | 'fail', RegExp][] = [
    ['equal', '1.28.10', '1.28.3', 'ok', /same minor/],
    ['one minor behind', '1.28.10', '1.27.9', 'ok', /one minor behind/],
    [
      'two minors behind',
      '1.28.10',
      '1.26.8',
      'fail',
      /2 minors behind .* (upgrade it one minor at a time \(§5\.3\): next 1\.27\.9|upgrade it to 1\.27 or later)$/,
    ],
    [
      'one minor ahead',
      '1.27.9',
      '1.28.0',
      'fail',
      /ahead of its control plane .* the control plane must be upgraded first/,
    ],
    ['unknown component version', '1.28.10', undefined, 'warn', /cannot tell the version/],
  ];
  for (const component of ['ztunnel', 'istio-cni', 'waypoint', 'gateway'] as const) {
    for (const [name, cp, v, status, message] of cases) {
      it(`${component}: ${name} -> ${status}`, () => {
        const f = dataPlaneSkew(component, 'x', 'istio-system', v, rev(cp));
        assert.equal(f.status, status);
        assert.match(f.message, message);
      });
    }
  }
  it('no control plane at all fails', () =>
    assert.equal(dataPlaneSkew('ztunnel', 'z', 'ns', '1.28.0', undefined).status, 'fail'));
});

describe('Kubernetes support (Istio 1.28: supported 1.30-1.34, tested 1.25-1.29; 1.27: 1.29-1.33, no tested range)', () => {
  const cases: [string, string, 'ok' | 'warn' | 'fail'][] = [
    ['1.28.10', 'v1.30.0', 'ok'],
    ['1.28.10', 'v1.34.2', 'ok'],
    ['1.28.10', 'v1.35.0', 'fail'],
    ['1.28.10', 'v1.29.9', 'warn'],
    ['1.28.10', 'v1.25.0', 'warn'],
    ['1.28.10', 'v1.24.3', 'fail'],
    ['1.27.9', 'v1.29.1', 'ok'],
    ['1.27.9', 'v1.28.15', 'fail'],
    ['1.27.9', 'v1.33.0-eks-1a2b', 'ok'],
    ['1.31.0', 'v1.33.0', 'ok'],
    ['1.31.0', 'v1.37.1', 'ok'],
    ['1.31.0', 'v1.31.4', 'warn'],
    ['1.31.0-rc.0', 'v1.33.0', 'ok'],
    ['1.29.9', 'v1.36.0', 'fail'],
    ['1.32.0', 'v1.33.0', 'warn'],
  ];
  for (const [istio, k8s, status] of cases)
    it(`Istio ${istio} on ${k8s} -> ${status}`, () => assert.equal(kubernetesSupport(k8s, rev(istio)).status, status));
});

describe('end of life (1.27: 2026-04-07)', () => {
  const cases: [string, 'ok' | 'warn'][] = [
    ['2026-04-06T23:00:00Z', 'ok'],
    ['2026-04-07T12:00:00Z', 'ok'],
    ['2026-04-08T00:00:00Z', 'warn'],
  ];
  for (const [now, status] of cases)
    it(`${now} -> ${status}`, () => assert.equal(endOfLife(rev('1.27.9'), new Date(now)).status, status));
  it('a minor missing from the table warns, saying where to check', () => {
    const f = endOfLife(rev('1.32.0'), new Date('2026-01-01'));
    assert.equal(f.status, 'warn');
    assert.equal(f.rule, 'support-data');
    assert.match(
      f.message,
      /^Istio 1\.32 is not in the support table \(data as of 2026-10-15\): check .* at https:\/\/istio\.io\/latest\/docs\/releases\/supported-releases\/$/,
    );
  });
  // §5.2: 1.29 reached end of life on 2026-10-15 (1.29.9 announcement), 1.30 about Nov 2026, 1.31 about Feb 2027.
  const rows: [string, string, 'ok' | 'warn', RegExp][] = [
    ['1.29.9', '2026-10-15T12:00:00Z', 'ok', /supported until 2026-10-15$/],
    ['1.29.9', '2026-10-16T00:00:00Z', 'warn', /reached end of life on 2026-10-15/],
    ['1.30.4', '2026-11-01T00:00:00Z', 'ok', /supported until about 2026-11 \(expected\)$/],
    ['1.31.0', '2026-12-01T00:00:00Z', 'ok', /supported until about 2027-02 \(expected\)$/],
  ];
  for (const [v, now, status, message] of rows) {
    it(`Istio ${v} on ${now} -> ${status}`, () => {
      const f = endOfLife(rev(v), new Date(now));
      assert.equal(f.status, status);
      assert.match(f.message, message);
    });
  }
});

describe('node agents move one minor per step, at the latest known patch (§5.2, §5.3)', () => {
  const cases: [string, string, string][] = [
    ['1.27.9', '1.29.9', '1.28.10'],
    ['1.28.10', '1.30.3', '1.29.9'],
    ['1.28.3', '1.29.6', '1.29.6'],
    ['1.29.9', '1.29.9', '1.29.9'],
    ['1.31.0', '1.33.1', '1.32.x'],
  ];
  for (const [from, to, next] of cases)
    it(`${from} -> ${to}: next ${next}`, () => assert.equal(nextAgentVersion(from, to), next));
  it('latest known patches', () =>
    assert.deepEqual(['1.24', '1.27', '1.28', '1.29', '1.30', '1.31', '1.32'].map(latestPatch), [
      '1.24.6',
      '1.27.9',
      '1.28.10',
      '1.29.9',
      '1.30.4',
      '1.31.0',
      undefined,
    ]));
});
