import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Revision } from '../../src/core/mesh.ts';
import { dataPlaneSkew, endOfLife, kubernetesSupport } from '../../src/core/skew.ts';

function rev(version: string | undefined): Revision {
  return { name: version?.replaceAll('.', '-') ?? 'x', version, versionSource: 'image', image: undefined, ready: 1, desired: 1, deployment: undefined, canonicalWebhooks: [], canonicalServices: [], helmRelease: undefined, created: undefined };
}

describe('data-plane skew: 0 <= minor(control plane) - minor(component) <= 1', () => {
  const cases: [string, string, string | undefined, 'ok' | 'warn' | 'fail', RegExp][] = [
    ['equal', '1.28.10', '1.28.3', 'ok', /same minor/],
    ['one minor behind', '1.28.10', '1.27.9', 'ok', /one minor behind/],
    ['two minors behind', '1.28.10', '1.26.8', 'fail', /2 minors behind .* upgrade it to 1\.27 or later/],
    ['one minor ahead', '1.27.9', '1.28.0', 'fail', /ahead of its control plane .* the control plane must be upgraded first/],
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
  it('no control plane at all fails', () => assert.equal(dataPlaneSkew('ztunnel', 'z', 'ns', '1.28.0', undefined).status, 'fail'));
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
    ['1.31.0', 'v1.33.0', 'warn'],
  ];
  for (const [istio, k8s, status] of cases) it(`Istio ${istio} on ${k8s} -> ${status}`, () => assert.equal(kubernetesSupport(k8s, rev(istio)).status, status));
});

describe('end of life (1.27: 2026-04-07)', () => {
  const cases: [string, 'ok' | 'warn'][] = [
    ['2026-04-06T23:00:00Z', 'ok'],
    ['2026-04-07T12:00:00Z', 'ok'],
    ['2026-04-08T00:00:00Z', 'warn'],
  ];
  for (const [now, status] of cases) it(`${now} -> ${status}`, () => assert.equal(endOfLife(rev('1.27.9'), new Date(now)).status, status));
  it('a minor missing from the table warns', () => assert.equal(endOfLife(rev('1.31.0'), new Date('2026-01-01')).status, 'warn'));
});
