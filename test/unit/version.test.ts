import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageTag, resolveVersion, versionFromImage } from '../../src/core/version.ts';

describe('versionFromImage', () => {
  const cases: [string, string | undefined][] = [
    ['docker.io/istio/pilot:1.30.3-distroless', '1.30.3'],
    ['docker.io/istio/pilot:1.30.3', '1.30.3'],
    ['gcr.io/istio-release/pilot:1.22.8-debug', '1.22.8'],
    ['registry.corp:5000/mirror/istio/pilot:1.28.10-distroless', '1.28.10'],
    ['registry.corp:5000/pilot', undefined],
    ['docker.io/istio/pilot:1.31.0-rc.0-distroless', '1.31.0-rc.0'],
    ['docker.io/istio/pilot:1.31.0-alpha.0', '1.31.0-alpha.0'],
    ['docker.io/istio/pilot:v1.29.1', '1.29.1'],
    ['docker.io/istio/pilot:1.29.1-fips_2', '1.29.1'],
    ['docker.io/istio/pilot:1.30.3@sha256:abcdef0123', '1.30.3'],
    ['docker.io/istio/pilot@sha256:abcdef0123', undefined],
    ['gcr.io/istio-testing/ztunnel:latest', undefined],
    ['docker.io/istio/pilot:1.22-dev', undefined],
  ];
  for (const [image, want] of cases)
    it(`${image} → ${String(want)}`, () => assert.equal(versionFromImage(image), want));
});

describe('imageTag', () => {
  it('ignores a registry port', () => assert.equal(imageTag('reg:5000/a/b'), undefined));
  it('takes the tag before a digest', () => assert.equal(imageTag('a/b:1.2.3@sha256:ff'), '1.2.3'));
});

describe('resolveVersion', () => {
  it('prefers the image', () =>
    assert.deepEqual(resolveVersion('x/pilot:1.30.3', { 'app.kubernetes.io/version': '1.29.0' }), {
      version: '1.30.3',
      source: 'image',
    }));
  it('falls back to app.kubernetes.io/version', () =>
    assert.deepEqual(resolveVersion('x/pilot@sha256:00', { 'app.kubernetes.io/version': '1.29.0' }), {
      version: '1.29.0',
      source: 'label',
    }));
  it('then to operator.istio.io/version', () =>
    assert.deepEqual(resolveVersion(undefined, { 'operator.istio.io/version': '1.21.6' }), {
      version: '1.21.6',
      source: 'label',
    }));
  it('says unknown rather than guessing', () =>
    assert.deepEqual(resolveVersion('x/pilot:latest', {}), { version: undefined, source: 'unknown' }));
});
