import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTag, templateShape } from '../../src/core/tag-render.ts';
import { fixtureVersions, helmRender, revOf } from '../support/builders.ts';

/** Our render must equal helm's, parsed (key order, quoting and comments are not semantic). */
function assertRendersLike(
  version: string,
  file: string,
  tag: string,
  revision: string,
  istioNamespace = 'istio-system',
): void {
  const want = helmRender(version, file);
  const got = renderTag({ tag, revision, version, istioNamespace });
  const objects = [got.webhook, ...(got.service !== undefined ? [got.service] : [])];
  const key = (o: { kind: string }): string => o.kind;
  assert.deepEqual(
    [...objects].sort((a, b) => key(a).localeCompare(key(b))),
    [...want].sort((a, b) => key(a).localeCompare(key(b))),
    `${file} of chart ${version}`,
  );
}

describe('tag objects equal the real helm render of every fixture chart version', () => {
  for (const version of fixtureVersions()) {
    it(`${version}: prod -> 1-22-1`, () => assertRendersLike(version, 'tag-prod-rev-1-22-1.yaml', 'prod', '1-22-1'));
    it(`${version}: default -> 1-22-1 (4 webhooks)`, () =>
      assertRendersLike(version, 'tag-default-rev-1-22-1.yaml', 'default', '1-22-1'));
    it(`${version}: prod -> its own revision`, () =>
      assertRendersLike(version, `tag-prod-rev-${revOf(version)}.yaml`, 'prod', revOf(version)));
    it(`${version}: canary in istio-control (name suffix)`, () =>
      assertRendersLike(
        version,
        `tag-canary-rev-${revOf(version)}-ns-istio-control.yaml`,
        'canary',
        revOf(version),
        'istio-control',
      ));
  }
});

describe('template shape by version range, patch releases between the fixtures included', () => {
  const cases: [string, boolean, boolean, string[]][] = [
    ['1.21.3', false, false, ['v1beta1', 'v1']],
    ['1.22.0', false, false, ['v1beta1', 'v1']],
    ['1.23.0', false, false, ['v1']],
    ['1.24.3', true, false, ['v1']],
    ['1.27.0', true, false, ['v1']],
    ['1.28.0', true, true, ['v1']],
    ['1.29.5', true, true, ['v1']],
    ['1.31.0-rc.0', true, true, ['v1']],
  ];
  for (const [v, helmLabels, service, arv] of cases) {
    it(v, () => assert.deepEqual(templateShape(v), { helmLabels, service, admissionReviewVersions: arv }));
  }
});

describe('copied from the target canonical injector (like istioctl, §2.2 step 4)', () => {
  it('keeps caBundle, custom service name and path, reinvocationPolicy', () => {
    const { webhook } = renderTag({
      tag: 'prod',
      revision: '1-30-3',
      version: '1.30.3',
      istioNamespace: 'istio-system',
      canonical: {
        name: 'rev.namespace.sidecar-injector.istio.io',
        clientConfig: {
          caBundle: 'Q0E=',
          service: { name: 'istiod-custom', namespace: 'istio-system', path: '/inject/cluster/c1/net/n1' },
        },
        reinvocationPolicy: 'IfNeeded',
      },
    });
    for (const w of webhook.webhooks ?? []) {
      assert.equal(w.clientConfig.caBundle, 'Q0E=');
      assert.equal(w.clientConfig.service?.name, 'istiod-custom');
      assert.equal(w.clientConfig.service?.path, '/inject/cluster/c1/net/n1');
      assert.equal(w.reinvocationPolicy, 'IfNeeded');
    }
  });
  it('a remote control plane keeps its URL and no service', () => {
    const { webhook } = renderTag({
      tag: 'prod',
      revision: '1-30-3',
      version: '1.30.3',
      istioNamespace: 'istio-system',
      canonical: { name: 'x.sidecar-injector.istio.io', clientConfig: { url: 'https://istiod.remote:15017/inject' } },
    });
    assert.deepEqual(webhook.webhooks?.[0]?.clientConfig, { url: 'https://istiod.remote:15017/inject' });
  });
});
