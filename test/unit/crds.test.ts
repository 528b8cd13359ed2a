/** The CRD version rule of §4.3, on the CRDs as the builders make them from §4.3's labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crdState, crdVersion, crdsAtLeast, isIstioConfigCrd } from '../../src/core/crds.ts';
import type { CustomResourceDefinition } from '../../src/core/model.ts';
import { istioCrds as build } from '../support/builders.ts';

/** The builder's objects as the core reads them (every CRD has a name). */
const istioCrds = (...a: Parameters<typeof build>): CustomResourceDefinition[] =>
  build(...a) as CustomResourceDefinition[];

describe('crdVersion: the labels of one CRD (§4.3)', () => {
  const meta = (labels: Record<string, string>) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'x.networking.istio.io', labels },
  });
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['app.kubernetes.io/version', { 'app.kubernetes.io/version': '1.30.3' }, '1.30.3'],
    ['helm.sh/chart only', { 'helm.sh/chart': 'base-1.29.2' }, '1.29.2'],
    ['istioctl operator label', { 'operator.istio.io/version': '1.26.8' }, '1.26.8'],
    ['a pre-release', { 'app.kubernetes.io/version': '1.31.0-rc.0' }, '1.31.0-rc.0'],
    [
      'git placeholder of the chart is not trusted over the stamped one',
      { 'app.kubernetes.io/version': '1.30.3', 'helm.sh/chart': 'base-1.0.0' },
      '1.30.3',
    ],
    ['static labels', { app: 'istio-pilot', chart: 'istio', heritage: 'Tiller', release: 'istio' }, undefined],
    ['garbage', { 'app.kubernetes.io/version': 'latest' }, undefined],
  ];
  for (const [name, labels, want] of cases) it(name, () => assert.equal(crdVersion(meta(labels)), want));
});

describe('crdsAtLeast', () => {
  it('every CRD must be at least the version: the oldest decides', () => {
    const mixed = [...istioCrds('1.30.3').slice(1), ...istioCrds('1.28.10').slice(0, 1)];
    const v = crdsAtLeast(crdState(mixed), '1.30.0');
    assert.equal(v.status, 'todo');
    assert.equal(v.reason, 'the Istio CRDs are at 1.28.10 (some at 1.30.3)');
  });
  it('1.24-1.29 hold 14 CRDs, 1.30 adds the trafficextensions marker', () => {
    assert.equal(istioCrds('1.29.9').length, 14);
    assert.equal(crdState(istioCrds('1.30.3')).has130Marker, true);
    assert.equal(crdState(istioCrds('1.29.9')).has130Marker, false);
  });
  it('a pre-release of the target does not satisfy it; the release satisfies its pre-release', () => {
    assert.equal(crdsAtLeast(crdState(istioCrds('1.31.0-rc.0')), '1.31.0').status, 'todo');
    assert.equal(crdsAtLeast(crdState(istioCrds('1.31.0')), '1.31.0-rc.0').status, 'done');
  });
  it('Istio config groups only', () => {
    assert.deepEqual(
      [
        'virtualservices.networking.istio.io',
        'gateways.gateway.networking.k8s.io',
        'istiooperators.install.istio.io',
        'wasmplugins.extensions.istio.io',
      ].map(isIstioConfigCrd),
      [true, false, false, true],
    );
  });
});
