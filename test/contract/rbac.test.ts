/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- API answers are untyped JSON: the assertions check their shape. */
/**
 * Contract: authentication and authorization answers (401/403 Status bodies) for the users of the
 * harness: `reader` reads everything and writes nothing, `restricted` may not read Gateways.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { namespace, tagObjects } from '../support/builders.ts';
import { forEachBackend, type Reply } from './backend.ts';
import { rawRequest } from './harness.ts';

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const SVC = '/api/v1/namespaces/istio-system/services';
const GW = '/apis/gateway.networking.k8s.io/v1/gateways';

function assertForbidden(r: Reply, group: string, kind: string, name: string | undefined): void {
  assert.equal(r.status, 403, r.text);
  assert.deepEqual(
    [r.body.kind, r.body.status, r.body.reason, r.body.code],
    ['Status', 'Failure', 'Forbidden', 403],
    r.text,
  );
  assert.equal(r.body.details.kind, kind);
  assert.equal(r.body.details.group ?? '', group);
  assert.equal(r.body.details.name, name);
}

forEachBackend(
  'rbac',
  () => [namespace('istio-system'), ...tagObjects('1.28.10', 'prod')],
  (backend) => {
    it('the reader lists and gets, and every write is 403 Forbidden with group, resource and name', async () => {
      const b = backend();
      assert.equal((await b.api('GET', MWC, { user: 'reader' })).status, 200);
      assert.equal((await b.api('GET', GW, { user: 'reader' })).status, 200);
      const w = await b.api('GET', `${MWC}/istio-revision-tag-prod`, { user: 'reader' });
      assert.equal(w.status, 200);
      assertForbidden(
        await b.api('PUT', `${MWC}/istio-revision-tag-prod`, { user: 'reader', body: w.body }),
        'admissionregistration.k8s.io',
        'mutatingwebhookconfigurations',
        'istio-revision-tag-prod',
      );
      assertForbidden(
        await b.api('PUT', `${MWC}/istio-revision-tag-prod`, {
          user: 'reader',
          body: w.body,
          query: { dryRun: 'All' },
        }),
        'admissionregistration.k8s.io',
        'mutatingwebhookconfigurations',
        'istio-revision-tag-prod',
      );
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } };
      assertForbidden(await b.api('POST', SVC, { user: 'reader', body: svc }), '', 'services', undefined);
      assertForbidden(
        await b.api('DELETE', `${SVC}/istiod-revision-tag-prod`, { user: 'reader' }),
        '',
        'services',
        'istiod-revision-tag-prod',
      );
      assert.equal((await b.api('GET', `${SVC}/istiod-revision-tag-prod`)).status, 200);
    });

    it('the restricted user may not list or watch Gateways or Pods, but may list the rest', async () => {
      const b = backend();
      assertForbidden(
        await b.api('GET', GW, { user: 'restricted', query: { limit: '500' } }),
        'gateway.networking.k8s.io',
        'gateways',
        undefined,
      );
      assertForbidden(
        await b.api('GET', '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways', { user: 'restricted' }),
        'gateway.networking.k8s.io',
        'gateways',
        undefined,
      );
      const w = await b.watch(GW, {}, 'restricted');
      assert.equal(w.status, 403);
      w.close();
      assertForbidden(
        await b.api('GET', '/api/v1/pods', { user: 'restricted', query: { labelSelector: 'istio.io/rev' } }),
        '',
        'pods',
        undefined,
      );
      for (const path of [MWC, SVC, '/api/v1/namespaces', '/apis/gateway.networking.k8s.io/v1/gatewayclasses']) {
        assert.equal((await b.api('GET', path, { user: 'restricted' })).status, 200, path);
      }
    });

    it('an unknown token is 401 Unauthorized', async () => {
      const b = backend();
      const r = await rawRequest(`${b.url}/api/v1/namespaces`, {
        headers: { Authorization: 'Bearer not-a-token' },
        ...(b.ca !== undefined ? { ca: b.ca } : {}),
      });
      assert.equal(r.status, 401, r.text);
      const s = JSON.parse(r.text) as { kind: string; reason: string; code: number };
      assert.deepEqual([s.kind, s.reason, s.code], ['Status', 'Unauthorized', 401]);
    });

    it('no token at all is system:anonymous (--anonymous-auth defaults to true): /version only, 403 elsewhere', async () => {
      const b = backend();
      const ca = b.ca !== undefined ? { ca: b.ca } : {};
      const list = await rawRequest(`${b.url}/api/v1/namespaces`, ca);
      assertForbidden({ ...list, body: JSON.parse(list.text) }, '', 'namespaces', undefined);
      assert.match(list.text, /system:anonymous/);
      const discovery = await rawRequest(`${b.url}/apis`, ca);
      assert.equal(discovery.status, 403, discovery.text);
      assert.equal((JSON.parse(discovery.text) as { reason: string }).reason, 'Forbidden');
      assert.equal((await rawRequest(`${b.url}/version`, ca)).status, 200);
    });

    it('everyone authenticated may GET /version', async () => {
      const b = backend();
      for (const user of ['reader', 'restricted'] as const)
        assert.equal((await b.api('GET', '/version', { user })).status, 200);
    });
  },
);
