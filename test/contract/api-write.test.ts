/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- API answers are untyped JSON: the assertions check their shape. */
/**
 * Contract: the writes the product relies on (src/kube/client.ts write: POST, PUT with
 * resourceVersion, DELETE with preconditions, dryRun=All) and the write semantics the simulator
 * claims: 409 AlreadyExists/Conflict, 422 Invalid, dry runs persisting nothing, DELETE bodies, the
 * status subresource, generation, NamespaceLifecycle, patch types.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { gateway, namespace, proxyDeployment, tagObjects } from '../support/builders.ts';
import { forEachBackend, type Backend, type Reply } from './backend.ts';

const NSN = 'contract-write';
const CM = `/api/v1/namespaces/${NSN}/configmaps`;
const SVC = `/api/v1/namespaces/${NSN}/services`;
const DEPLOY = `/apis/apps/v1/namespaces/${NSN}/deployments`;
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const GW = `/apis/gateway.networking.k8s.io/v1/namespaces/${NSN}/gateways`;

function assertStatus(r: Reply, code: number, reason: string | undefined): void {
  assert.equal(r.status, code, r.text);
  assert.equal(r.body?.kind, 'Status', r.text);
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.reason, reason, r.text);
  assert.equal(r.body.code, code);
}

function configMap(
  name: string,
  data: Record<string, string> = { k: 'v' },
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data };
}

function service(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }] },
  };
}

async function create(b: Backend, path: string, o: KubeObject): Promise<KubeObject> {
  const r = await b.api('POST', path, { body: o });
  assert.equal(r.status, 201, r.text);
  return r.body as KubeObject;
}

function minor(b: Backend): number {
  return Number(/^v1\.(\d+)/.exec(b.version)?.[1] ?? '99');
}

async function get(b: Backend, path: string): Promise<Reply> {
  return b.api('GET', path);
}

forEachBackend(
  'writes',
  () => [
    namespace(NSN),
    ...tagObjects('1.27.9', 'prod'),
    proxyDeployment({ name: 'waypoint', namespace: NSN }, '1-27-9', '1.27.9'),
    gateway({ name: 'waypoint', namespace: NSN }),
  ],
  (backend) => {
    it('POST creates (201, uid, resourceVersion, creationTimestamp); a second POST is 409 AlreadyExists', async () => {
      const b = backend();
      const o = await create(b, CM, configMap('twice'));
      assert.equal(typeof o.metadata.uid, 'string');
      assert.match(o.metadata.resourceVersion ?? '', /^\d+$/);
      assert.match(o.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(o.metadata.namespace, NSN);
      const again = await b.api('POST', CM, { body: configMap('twice') });
      assertStatus(again, 409, 'AlreadyExists');
      assert.deepEqual(
        { name: again.body.details.name, kind: again.body.details.kind, group: again.body.details.group ?? '' },
        { name: 'twice', kind: 'configmaps', group: '' },
      );
      const mwc = await b.api('POST', MWC, {
        body: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: { name: 'istio-revision-tag-prod' },
        },
      });
      assertStatus(mwc, 409, 'AlreadyExists');
      assert.equal(mwc.body.details.group, 'admissionregistration.k8s.io');
      assert.equal(mwc.body.details.kind, 'mutatingwebhookconfigurations');
    });

    it('PUT with the resourceVersion read succeeds once; the stale one is 409 Conflict and changes nothing', async () => {
      const b = backend();
      const o = await create(b, CM, configMap('cas'));
      const first = await b.api('PUT', `${CM}/cas`, { body: { ...o, data: { k: 'one' } } });
      assert.equal(first.status, 200, first.text);
      assert.notEqual(first.body.metadata.resourceVersion, o.metadata.resourceVersion);
      const stale = await b.api('PUT', `${CM}/cas`, { body: { ...o, data: { k: 'two' } } });
      assertStatus(stale, 409, 'Conflict');
      assert.deepEqual(
        { name: stale.body.details.name, kind: stale.body.details.kind },
        { name: 'cas', kind: 'configmaps' },
      );
      assert.deepEqual((await get(b, `${CM}/cas`)).body.data, { k: 'one' });
      // Without a resourceVersion the update is unconditional.
      const { resourceVersion: _rv, ...meta } = o.metadata;
      const blind = await b.api('PUT', `${CM}/cas`, { body: { ...o, metadata: meta, data: { k: 'three' } } });
      assert.equal(blind.status, 200, blind.text);
      // An update that changes nothing keeps the resourceVersion.
      const same = await b.api('PUT', `${CM}/cas`, { body: blind.body });
      assert.equal(same.status, 200);
      assert.equal(same.body.metadata.resourceVersion, blind.body.metadata.resourceVersion);
    });

    it('PUT of a missing object is 404 NotFound; a name differing from the URL is 400 BadRequest', async () => {
      const b = backend();
      assertStatus(await b.api('PUT', `${CM}/missing`, { body: configMap('missing') }), 404, 'NotFound');
      const o = await create(b, CM, configMap('named'));
      assertStatus(
        await b.api('PUT', `${CM}/named`, { body: { ...o, metadata: { ...o.metadata, name: 'other' } } }),
        400,
        'BadRequest',
      );
      assertStatus(
        await b.api('POST', CM, {
          body: { ...configMap('elsewhere'), metadata: { name: 'elsewhere', namespace: 'default' } },
        }),
        400,
        'BadRequest',
      );
    });

    it('invalid objects are 422 Invalid with the kind and the field in the details', async () => {
      const b = backend();
      const bad = await b.api('POST', CM, { body: configMap('Bad_Name') });
      assertStatus(bad, 422, 'Invalid');
      assert.deepEqual(
        { name: bad.body.details.name, kind: bad.body.details.kind, group: bad.body.details.group ?? '' },
        { name: 'Bad_Name', kind: 'ConfigMap', group: '' },
      );
      assert.ok(
        (bad.body.details.causes as { field: string }[]).some((c) => c.field === 'metadata.name'),
        bad.text,
      );
      // Service names are DNS-1035 labels: no leading digit.
      const svc = await b.api('POST', SVC, { body: service('1-27-9') });
      assertStatus(svc, 422, 'Invalid');
      assert.equal(svc.body.details.kind, 'Service');
      assert.ok(
        (svc.body.details.causes as { field: string }[]).some((c) => c.field === 'metadata.name'),
        svc.text,
      );
      const label = await b.api('POST', CM, {
        body: configMap('bad-label', {}, { labels: { 'istio.io/rev': 'not valid!' } }),
      });
      assertStatus(label, 422, 'Invalid');
      assert.ok(
        (label.body.details.causes as { field: string }[]).some((c) => c.field === 'metadata.labels'),
        label.text,
      );
      const mwc = await b.api('POST', MWC, {
        body: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: { name: 'UPPER' },
        },
      });
      assertStatus(mwc, 422, 'Invalid');
      assert.equal(mwc.body.details.group, 'admissionregistration.k8s.io');
      assert.equal(mwc.body.details.kind, 'MutatingWebhookConfiguration');
    });

    it('POST with a resourceVersion set', async () => {
      const b = backend();
      const r = await b.api('POST', CM, { body: configMap('with-rv', { k: 'v' }, { resourceVersion: '12345' }) });
      if (b.version.startsWith('v1.20.')) {
        assert.equal(r.status, 500, r.text);
        assert.equal(r.body.reason, undefined, r.text);
      } else {
        assert.ok([201, 500].includes(r.status), r.text);
      }
    });

    it('POST with dryRun=All answers like a create and persists nothing', async () => {
      const b = backend();
      const r = await b.api('POST', SVC, {
        body: service('dry'),
        query: { dryRun: 'All', fieldManager: 'kubectl-ambient' },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.metadata.name, 'dry');
      assert.equal(typeof r.body.metadata.uid, 'string');
      assertStatus(await get(b, `${SVC}/dry`), 404, 'NotFound');
      const cm = await b.api('POST', CM, { body: configMap('dry'), query: { dryRun: 'All' } });
      assert.equal(cm.status, 201);
      assertStatus(await get(b, `${CM}/dry`), 404, 'NotFound');
    });

    it('PUT with dryRun=All answers the new object and persists nothing', async () => {
      const b = backend();
      const before = (await get(b, `${MWC}/istio-revision-tag-prod`)).body as KubeObject;
      const changed = structuredClone(before);
      changed.metadata.labels = { ...changed.metadata.labels, 'istio.io/rev': '1-28-10' };
      const r = await b.api('PUT', `${MWC}/istio-revision-tag-prod`, {
        body: changed,
        query: { dryRun: 'All', fieldManager: 'kubectl-ambient' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.metadata.labels['istio.io/rev'], '1-28-10');
      const after = (await get(b, `${MWC}/istio-revision-tag-prod`)).body as KubeObject;
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(after.metadata.labels?.['istio.io/rev'], '1-27-9');
      // A dry run is still checked against the resourceVersion.
      const stale = await b.api('PUT', `${MWC}/istio-revision-tag-prod`, {
        body: { ...changed, metadata: { ...changed.metadata, resourceVersion: '1' } },
        query: { dryRun: 'All' },
      });
      assertStatus(stale, 409, 'Conflict');
    });

    it('DELETE with dryRun=All persists nothing: in the query without a body, or in the DeleteOptions body', async () => {
      const b = backend();
      await create(b, SVC, service('keep'));
      const q = await b.api('DELETE', `${SVC}/keep`, { query: { dryRun: 'All' } });
      assert.equal(q.status, 200, q.text);
      assert.equal((await get(b, `${SVC}/keep`)).status, 200);
      const body = await b.api('DELETE', `${SVC}/keep`, {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          dryRun: ['All'],
          preconditions: { resourceVersion: (await get(b, `${SVC}/keep`)).body.metadata.resourceVersion as string },
        },
      });
      assert.equal(body.status, 200, body.text);
      assert.equal((await get(b, `${SVC}/keep`)).status, 200);
      assertStatus(
        await b.api('DELETE', `${SVC}/keep`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['Some'] } }),
        422,
        'Invalid',
      );
    });

    it('DELETE with a body ignores the query: dryRun=All in the query with a DeleteOptions body deletes for real', async () => {
      // What src/kube/client.ts sends for a dry-run delete (dryRun in the query, preconditions in the body).
      const b = backend();
      const o = await create(b, SVC, service('really'));
      const r = await b.api('DELETE', `${SVC}/really`, {
        query: { dryRun: 'All' },
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          preconditions: { resourceVersion: o.metadata.resourceVersion },
        },
      });
      assert.equal(r.status, 200, r.text);
      assertStatus(await get(b, `${SVC}/really`), 404, 'NotFound');
      // Likewise an invalid dryRun in the query is not even looked at.
      await create(b, CM, configMap('really'));
      assert.equal(
        (
          await b.api('DELETE', `${CM}/really`, {
            query: { dryRun: 'Some' },
            body: { kind: 'DeleteOptions', apiVersion: 'v1' },
          })
        ).status,
        200,
      );
    });

    it('an unsupported dryRun value is refused', async () => {
      const b = backend();
      const r = await b.api('POST', CM, { body: configMap('dry-bad'), query: { dryRun: 'Some' } });
      assertStatus(r, 422, 'Invalid');
      assertStatus(await get(b, `${CM}/dry-bad`), 404, 'NotFound');
    });

    it('DELETE with a stale resourceVersion precondition is 409 Conflict; with the current one it deletes', async () => {
      const b = backend();
      const o = await create(b, SVC, service('pre'));
      const stale = await b.api('DELETE', `${SVC}/pre`, {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } },
      });
      assertStatus(stale, 409, 'Conflict');
      // rest.BeforeDelete names the Kind in the details, not the resource.
      assert.deepEqual(
        { name: stale.body.details.name, kind: stale.body.details.kind, group: stale.body.details.group ?? '' },
        { name: 'pre', kind: 'Service', group: '' },
      );
      const uid = await b.api('DELETE', `${SVC}/pre`, {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } },
      });
      assertStatus(uid, 409, 'Conflict');
      assert.equal(uid.body.details.kind, 'Service');
      assert.equal((await get(b, `${SVC}/pre`)).status, 200);
      const ok = await b.api('DELETE', `${SVC}/pre`, {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          preconditions: { resourceVersion: o.metadata.resourceVersion },
        },
      });
      assert.equal(ok.status, 200, ok.text);
      assertStatus(await get(b, `${SVC}/pre`), 404, 'NotFound');
      assertStatus(await b.api('DELETE', `${SVC}/pre`), 404, 'NotFound');
    });

    it('DELETE answers a Success Status for some kinds and the object for others', async () => {
      const b = backend();
      await create(b, CM, configMap('gone'));
      const cm = await b.api('DELETE', `${CM}/gone`);
      assert.equal(cm.status, 200);
      assert.deepEqual(
        { kind: cm.body.kind, status: cm.body.status, name: cm.body.details?.name, dkind: cm.body.details?.kind },
        { kind: 'Status', status: 'Success', name: 'gone', dkind: 'configmaps' },
      );
      await create(b, SVC, service('gone'));
      const svc = await b.api('DELETE', `${SVC}/gone`);
      assert.equal(svc.status, 200);
      // Services answer the deleted object only from 1.23 (their storage became a plain generic store).
      assert.equal(svc.body.kind, minor(b) >= 23 ? 'Service' : 'Status', svc.text);
      await create(b, '/api/v1/namespaces', namespace('gone-ns'));
      const ns = await b.api('DELETE', '/api/v1/namespaces/gone-ns');
      assert.equal(ns.status, 200);
      assert.deepEqual(
        [ns.body.kind, ns.body.status?.phase, typeof ns.body.metadata?.deletionTimestamp],
        ['Namespace', 'Terminating', 'string'],
        ns.text,
      );
      await create(b, MWC, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'gone' },
      });
      const mwc = await b.api('DELETE', `${MWC}/gone`);
      assert.equal(mwc.status, 200);
      assert.equal(mwc.body.kind, 'Status', mwc.text);
      assert.equal(mwc.body.details.group, 'admissionregistration.k8s.io');
      await create(b, GW, gateway({ name: 'gone', namespace: NSN }));
      const gw = await b.api('DELETE', `${GW}/gone`);
      assert.equal(gw.status, 200);
      assert.equal(gw.body.kind, 'Status', gw.text);
    });

    it('the status subresource: a PUT of the object keeps the status, a PUT of /status changes only the status', async () => {
      const b = backend();
      const d = (await get(b, `${DEPLOY}/waypoint`)).body as KubeObject & {
        spec: { replicas: number };
        status: Record<string, unknown>;
      };
      assert.equal(d.status['readyReplicas'], 1);
      assert.equal(d.metadata.generation, 1);
      // Main resource: status ignored, spec change bumps generation.
      const main = await b.api('PUT', `${DEPLOY}/waypoint`, {
        body: { ...d, spec: { ...d.spec, replicas: 2 }, status: { ...d.status, readyReplicas: 7 } },
      });
      assert.equal(main.status, 200, main.text);
      assert.equal(main.body.spec.replicas, 2);
      assert.equal(main.body.status.readyReplicas, 1);
      assert.equal(main.body.metadata.generation, 2);
      // Status: spec ignored, generation kept.
      const st = await b.api('PUT', `${DEPLOY}/waypoint/status`, {
        body: {
          ...main.body,
          spec: { ...main.body.spec, replicas: 5 },
          status: { ...main.body.status, observedGeneration: 2, replicas: 2, readyReplicas: 2 },
        },
      });
      assert.equal(st.status, 200, st.text);
      assert.equal(st.body.spec.replicas, 2);
      assert.equal(st.body.status.readyReplicas, 2);
      assert.equal(st.body.metadata.generation, 2);
      // A stale resourceVersion on /status is a conflict too.
      assertStatus(await b.api('PUT', `${DEPLOY}/waypoint/status`, { body: d }), 409, 'Conflict');
      // Annotations bump a Deployment's generation; labels do not.
      const labelled = await b.api('PUT', `${DEPLOY}/waypoint`, {
        body: { ...st.body, metadata: { ...st.body.metadata, labels: { ...st.body.metadata.labels, extra: 'x' } } },
      });
      assert.equal(labelled.body.metadata.generation, 2);
      const annotated = await b.api('PUT', `${DEPLOY}/waypoint`, {
        body: { ...labelled.body, metadata: { ...labelled.body.metadata, annotations: { note: 'x' } } },
      });
      assert.equal(annotated.body.metadata.generation, 3);
    });

    it('workload status is encoded like the Go structs: {} for a new Deployment, zero counts of a DaemonSet kept', async () => {
      const b = backend();
      const d = await create(b, DEPLOY, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'fresh' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      });
      assert.deepEqual(d['status'], {});
      const ds = await create(b, `/apis/apps/v1/namespaces/${NSN}/daemonsets`, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'fresh' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      });
      const zero = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      assert.deepEqual(ds['status'], zero);
      const st = await b.api('PUT', `/apis/apps/v1/namespaces/${NSN}/daemonsets/fresh/status`, {
        body: { ...ds, status: { numberReady: 0, numberAvailable: 0, observedGeneration: 1 } },
      });
      assert.equal(st.status, 200, st.text);
      assert.deepEqual(st.body.status, { ...zero, observedGeneration: 1 });
    });

    it('zero counts are left out of a Deployment status (omitempty), others kept', async () => {
      const b = backend();
      const d = (await get(b, `${DEPLOY}/waypoint`)).body as KubeObject & { status: Record<string, unknown> };
      const r = await b.api('PUT', `${DEPLOY}/waypoint/status`, {
        body: {
          ...d,
          status: {
            observedGeneration: 1,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: 0,
            availableReplicas: 0,
            unavailableReplicas: 1,
          },
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.status, {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        unavailableReplicas: 1,
      });
      assert.deepEqual((await get(b, `${DEPLOY}/waypoint`)).body.status, {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        unavailableReplicas: 1,
      });
    });

    it('generation: webhooks of a webhook configuration and the spec of a custom resource bump it, labels do not; Services have none', async () => {
      const b = backend();
      const m = (await get(b, `${MWC}/istio-revision-tag-prod`)).body as KubeObject & {
        webhooks: { timeoutSeconds?: number }[];
      };
      assert.equal(m.metadata.generation, 1);
      const labelled = await b.api('PUT', `${MWC}/istio-revision-tag-prod`, {
        body: { ...m, metadata: { ...m.metadata, labels: { ...m.metadata.labels, extra: 'x' } } },
      });
      assert.equal(labelled.body.metadata.generation, 1);
      const hooks = structuredClone(labelled.body.webhooks) as { timeoutSeconds?: number }[];
      hooks[0]!.timeoutSeconds = 7;
      const changed = await b.api('PUT', `${MWC}/istio-revision-tag-prod`, {
        body: { ...labelled.body, webhooks: hooks },
      });
      assert.equal(changed.body.metadata.generation, 2);
      const g = (await get(b, `${GW}/waypoint`)).body as KubeObject & { spec: Record<string, unknown> };
      assert.equal(g.metadata.generation, 1);
      const gl = await b.api('PUT', `${GW}/waypoint`, {
        body: { ...g, metadata: { ...g.metadata, labels: { 'istio.io/rev': 'prod' } } },
      });
      assert.equal(gl.body.metadata.generation, 1);
      const gs = await b.api('PUT', `${GW}/waypoint`, {
        body: { ...gl.body, spec: { ...gl.body.spec, gatewayClassName: 'other' } },
      });
      assert.equal(gs.body.metadata.generation, 2);
      const s = await create(b, SVC, service('no-generation'));
      assert.equal(s.metadata.generation, undefined);
    });

    it('defaults follow the server version (namespace name label from 1.21, Service IP families 1.21, internalTrafficPolicy 1.22)', async () => {
      const b = backend();
      const ns = await create(b, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'unlabelled' },
      });
      assert.deepEqual(
        ns.metadata.labels,
        minor(b) >= 21 ? { 'kubernetes.io/metadata.name': 'unlabelled' } : undefined,
      );
      const svc = (await create(b, SVC, service('defaults')))['spec'] as Record<string, unknown>;
      assert.deepEqual(
        [svc['type'], svc['sessionAffinity'], typeof svc['clusterIP'], (svc['clusterIPs'] as string[]).length],
        ['ClusterIP', 'None', 'string', 1],
      );
      assert.deepEqual(svc['ipFamilies'], minor(b) >= 21 ? ['IPv4'] : undefined);
      assert.equal(svc['ipFamilyPolicy'], minor(b) >= 21 ? 'SingleStack' : undefined);
      assert.equal(svc['internalTrafficPolicy'], minor(b) >= 22 ? 'Cluster' : undefined);
      assert.deepEqual((svc['ports'] as unknown[])[0], { name: 'http', protocol: 'TCP', port: 80, targetPort: 80 });
    });

    it('creating in a missing namespace is 404 NotFound (NamespaceLifecycle)', async () => {
      const r = await backend().api('POST', '/api/v1/namespaces/does-not-exist/configmaps', { body: configMap('x') });
      assertStatus(r, 404, 'NotFound');
      assert.equal(r.body.details.kind, 'namespaces');
      assert.equal(r.body.details.name, 'does-not-exist');
    });

    it('a method a path does not serve is 405 MethodNotAllowed', async () => {
      const b = backend();
      const r = await b.api('POST', `${CM}/named`, { body: configMap('named') });
      assertStatus(r, 405, 'MethodNotAllowed');
    });

    it('patch types: merge and JSON patch on built-ins, no strategic merge on custom resources, no renaming', async () => {
      const b = backend();
      await create(b, CM, configMap('patched'));
      const merge = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
        contentType: 'application/merge-patch+json',
      });
      assert.equal(merge.status, 200, merge.text);
      assert.equal(merge.body.metadata.labels.a, 'b');
      const json = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify([{ op: 'replace', path: '/data/k', value: 'w' }]),
        contentType: 'application/json-patch+json',
      });
      assert.equal(json.status, 200, json.text);
      assert.equal(json.body.data.k, 'w');
      const failedTest = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify([{ op: 'test', path: '/data/k', value: 'nope' }]),
        contentType: 'application/json-patch+json',
      });
      assertStatus(failedTest, 422, 'Invalid');
      const smp = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify({ data: { s: 't' } }),
        contentType: 'application/strategic-merge-patch+json',
      });
      assert.equal(smp.status, 200, smp.text);
      const crSmp = await b.api('PATCH', `${GW}/waypoint`, {
        raw: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
        contentType: 'application/strategic-merge-patch+json',
      });
      assertStatus(crSmp, 415, 'UnsupportedMediaType');
      const rename = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify({ metadata: { name: 'renamed' } }),
        contentType: 'application/merge-patch+json',
      });
      assertStatus(rename, 400, 'BadRequest');
      assertStatus(await get(b, `${CM}/renamed`), 404, 'NotFound');
      const stale = await b.api('PATCH', `${CM}/patched`, {
        raw: JSON.stringify({ metadata: { resourceVersion: '1', labels: { c: 'd' } } }),
        contentType: 'application/merge-patch+json',
      });
      assertStatus(stale, 409, 'Conflict');
    });
  },
);
