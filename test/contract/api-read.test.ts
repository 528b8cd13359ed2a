/* eslint-disable @typescript-eslint/no-unsafe-member-access -- API answers are untyped JSON: the assertions check their shape. */
/**
 * Contract: the reads the product relies on (src/kube/client.ts list/get/serverVersion), against
 * both backends: label selectors, field selectors, limit/continue pagination, PartialObjectMetadataList,
 * 404 Status bodies, GET /version, list item type metadata.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { scenarios } from '../cluster/scenarios.ts';
import { forEachBackend, type Backend } from './backend.ts';

const NS = '/api/v1/namespaces';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const GW = '/apis/gateway.networking.k8s.io/v1/gateways';
const SVC = '/api/v1/namespaces/istio-system/services';
const PARTIAL = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json';
/** Namespaces every real cluster has on its own; the scenario's are the others. */
const SYSTEM_NS = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

async function names(b: Backend, path: string, query: Record<string, string> = {}): Promise<string[]> {
  const r = await b.api('GET', path, { query });
  assert.equal(r.status, 200, r.text);
  return (r.body.items as { metadata: { name: string; namespace?: string } }[])
    .filter((o) => !SYSTEM_NS.has(o.metadata.name) || o.metadata.namespace !== undefined)
    .map((o) => (o.metadata.namespace !== undefined ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name))
    .sort();
}

function assertStatus(r: { status: number; body: unknown; text: string }, code: number, reason: string): void {
  assert.equal(r.status, code, r.text);
  const s = r.body as { kind?: string; apiVersion?: string; status?: string; reason?: string; code?: number };
  assert.equal(s.kind, 'Status', r.text);
  assert.equal(s.apiVersion, 'v1');
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, reason, r.text);
  assert.equal(s.code, code);
}

forEachBackend(
  'reads',
  () => scenarios['mid-upgrade']!().objects,
  (backend) => {
    const cases: [string, string, string[]][] = [
      ['exists', 'istio.io/rev', ['legacy', 'reviews']],
      ['equality', 'istio.io/rev=prod', ['legacy', 'reviews']],
      ['double equals', 'istio.io/rev==prod', ['legacy', 'reviews']],
      ['set-based in', 'istio.io/rev in (prod,canary)', ['legacy', 'reviews']],
      [
        '!key with another requirement',
        '!istio.io/rev,istio.io/dataplane-mode=ambient',
        ['bookinfo', 'orders', 'payments'],
      ],
      [
        'notin includes objects without the key',
        'istio.io/rev notin (prod),istio.io/dataplane-mode',
        ['bookinfo', 'orders', 'payments'],
      ],
      [
        '!= includes objects without the key',
        'istio.io/dataplane-mode,istio.io/rev!=prod',
        ['bookinfo', 'orders', 'payments'],
      ],
      [
        'whitespace around everything',
        '  istio.io/dataplane-mode = ambient ,  istio.io/rev  in ( prod , other )  ',
        ['reviews'],
      ],
      ['empty value in a set', 'istio.io/rev in (,prod)', ['legacy', 'reviews']],
    ];
    for (const [what, selector, want] of cases) {
      it(`label selector on namespaces: ${what} (${JSON.stringify(selector)})`, async () => {
        assert.deepEqual(await names(backend(), NS, { labelSelector: selector }), want);
      });
    }

    it('label selectors on cluster-scoped built-ins and custom resources', async () => {
      const b = backend();
      assert.deepEqual(await names(b, MWC, { labelSelector: 'istio.io/rev=1-27-9' }), [
        'istio-revision-tag-default',
        'istio-revision-tag-prod',
        'istio-sidecar-injector-1-27-9',
      ]);
      assert.deepEqual(await names(b, GW, { labelSelector: 'istio.io/rev' }), [
        'bookinfo/waypoint',
        'payments/waypoint',
      ]);
      assert.deepEqual(
        await names(b, `/apis/gateway.networking.k8s.io/v1/namespaces/payments/gateways`, {
          labelSelector: 'istio.io/rev in (canary)',
        }),
        ['payments/waypoint'],
      );
    });

    for (const bad of ['istio.io/rev in prod', 'a b', 'x=(', 'Bad Key=1', 'k=v=w', 'k in ()x']) {
      it(`an unparsable label selector is 400 BadRequest: ${JSON.stringify(bad)}`, async () => {
        assertStatus(await backend().api('GET', NS, { query: { labelSelector: bad } }), 400, 'BadRequest');
      });
    }

    it('field selector metadata.name (and metadata.namespace, !=) works on every kind the product lists', async () => {
      const b = backend();
      assert.deepEqual(await names(b, NS, { fieldSelector: 'metadata.name=bookinfo' }), ['bookinfo']);
      assert.deepEqual(await names(b, MWC, { fieldSelector: 'metadata.name=istio-revision-tag-prod' }), [
        'istio-revision-tag-prod',
      ]);
      assert.deepEqual(await names(b, GW, { fieldSelector: 'metadata.name=waypoint' }), [
        'bookinfo/waypoint',
        'orders/waypoint',
        'payments/waypoint',
        'reviews/waypoint',
      ]);
      assert.deepEqual(await names(b, GW, { fieldSelector: 'metadata.namespace=ingress' }), ['ingress/ingress']);
      assert.deepEqual(await names(b, SVC, { fieldSelector: 'metadata.name=istiod-1-27-9' }), [
        'istio-system/istiod-1-27-9',
      ]);
      assert.deepEqual(
        await names(b, '/apis/apps/v1/deployments', {
          fieldSelector: 'metadata.name!=waypoint,metadata.namespace=ingress',
        }),
        ['ingress/ingress-istio'],
      );
    });

    for (const path of [NS, MWC, GW, SVC, '/apis/apps/v1/daemonsets']) {
      it(`an unsupported field selector is 400 BadRequest on ${path}`, async () => {
        assertStatus(
          await backend().api('GET', path, { query: { fieldSelector: 'spec.nothing=x' } }),
          400,
          'BadRequest',
        );
      });
    }

    it('limit/continue pages through a consistent list; remainingItemCount only without selectors', async () => {
      const b = backend();
      const all = await names(b, NS);
      const total = (await b.api('GET', NS)).body.items.length as number;
      const seen: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const r = await b.api('GET', NS, { query: { limit: '3', ...(cont !== undefined ? { continue: cont } : {}) } });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.body.items.length <= 3);
        if (pages === 0) assert.equal(r.body.metadata.remainingItemCount, total - 3);
        seen.push(...(r.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
        cont = r.body.metadata.continue as string | undefined;
        pages++;
      } while (cont !== undefined && cont !== '');
      assert.equal(pages, Math.ceil(total / 3));
      assert.deepEqual(seen.filter((n) => !SYSTEM_NS.has(n)).sort(), all);
      // With a selector: pages are filled up to the limit, and no remainingItemCount.
      const r = await b.api('GET', NS, { query: { limit: '2', labelSelector: 'istio.io/dataplane-mode=ambient' } });
      assert.equal(r.body.items.length, 2);
      assert.equal(typeof r.body.metadata.continue, 'string');
      assert.equal(r.body.metadata.remainingItemCount, undefined);
      const rest = await b.api('GET', NS, {
        query: {
          limit: '2',
          labelSelector: 'istio.io/dataplane-mode=ambient',
          continue: r.body.metadata.continue as string,
        },
      });
      assert.equal(rest.body.items.length, 2);
      assert.ok(rest.body.metadata.continue === undefined || rest.body.metadata.continue === '');
    });

    it('a continue token stays consistent while objects change', async () => {
      const b = backend();
      const first = await b.api('GET', MWC, { query: { limit: '1' } });
      const before = await names(b, MWC);
      const created = await b.api('POST', MWC, {
        body: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: { name: 'zzz-created-after-first-page' },
        },
      });
      assert.equal(created.status, 201, created.text);
      try {
        const seen = [first.body.items[0].metadata.name as string];
        let cont = first.body.metadata.continue as string | undefined;
        while (cont !== undefined && cont !== '') {
          const r = await b.api('GET', MWC, { query: { limit: '2', continue: cont } });
          assert.equal(r.status, 200, r.text);
          seen.push(...(r.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
          cont = r.body.metadata.continue as string | undefined;
        }
        assert.deepEqual(seen.sort(), before);
      } finally {
        await b.api('DELETE', `${MWC}/zzz-created-after-first-page`);
      }
    });

    it('bad limit and continue values', async () => {
      const b = backend();
      assertStatus(await b.api('GET', NS, { query: { continue: 'not-a-token' } }), 400, 'BadRequest');
      const first = await b.api('GET', NS, { query: { limit: '1' } });
      // resourceVersion together with continue is refused, except "0".
      const both = await b.api('GET', NS, {
        query: {
          limit: '1',
          continue: first.body.metadata.continue as string,
          resourceVersion: first.body.metadata.resourceVersion as string,
        },
      });
      assertStatus(both, 400, 'BadRequest');
      const zero = await b.api('GET', NS, {
        query: { limit: '1', continue: first.body.metadata.continue as string, resourceVersion: '0' },
      });
      assert.equal(zero.status, 200, zero.text);
      assert.equal(zero.body.items.length, 1);
      // resourceVersion=0 (without continue) is served from the watch cache, which ignores limit.
      const cached = await b.api('GET', NS, { query: { limit: '1', resourceVersion: '0' } });
      assert.equal(cached.status, 200);
      assert.equal(cached.body.items.length, first.body.metadata.remainingItemCount + 1);
    });

    it('an unparsable limit is 400 BadRequest', async () => {
      assertStatus(await backend().api('GET', NS, { query: { limit: 'ten' } }), 400, 'BadRequest');
    });

    it('namespaces as PartialObjectMetadataList (the Accept header of the product)', async () => {
      const r = await backend().api('GET', NS, {
        accept: PARTIAL,
        query: { labelSelector: 'istio.io/rev', limit: '1' },
      });
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(r.body.kind, 'PartialObjectMetadataList');
      assert.equal(r.body.apiVersion, 'meta.k8s.io/v1');
      assert.equal(typeof r.body.metadata.resourceVersion, 'string');
      assert.equal(typeof r.body.metadata.continue, 'string');
      assert.equal(r.body.items.length, 1);
      const item = r.body.items[0] as Record<string, unknown> & {
        metadata: { name: string; labels: Record<string, string>; uid: string; resourceVersion: string };
      };
      assert.equal(item.metadata.name, 'legacy');
      assert.equal(item.metadata.labels['istio.io/rev'], 'prod');
      assert.equal(typeof item.metadata.uid, 'string');
      assert.equal(item['spec'], undefined);
      assert.equal(item['status'], undefined);
      assert.deepEqual(
        { kind: item['kind'], apiVersion: item['apiVersion'] },
        { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' },
      );
      const rest = await backend().api('GET', NS, {
        accept: PARTIAL,
        query: { labelSelector: 'istio.io/rev', limit: '1', continue: r.body.metadata.continue as string },
      });
      assert.equal(rest.body.kind, 'PartialObjectMetadataList');
      assert.deepEqual(
        (rest.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name),
        ['reviews'],
      );
    });

    it('PartialObjectMetadata: an empty list has items null; a single object; 406 when list and object are mixed up', async () => {
      const b = backend();
      const empty = await b.api('GET', NS, { accept: PARTIAL, query: { labelSelector: 'nothing-has-this' } });
      assert.equal(empty.status, 200);
      assert.equal(empty.body.kind, 'PartialObjectMetadataList');
      assert.equal(empty.body.items, null);
      const plain = await b.api('GET', NS, { query: { labelSelector: 'nothing-has-this' } });
      assert.deepEqual(plain.body.items, []);
      const one = await b.api('GET', `${NS}/legacy`, {
        accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json',
      });
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(
        [one.body.kind, one.body.apiVersion, one.body.metadata.name, one.body.spec],
        ['PartialObjectMetadata', 'meta.k8s.io/v1', 'legacy', undefined],
      );
      assertStatus(await b.api('GET', `${NS}/legacy`, { accept: PARTIAL }), 406, 'NotAcceptable');
      assertStatus(
        await b.api('GET', NS, {
          accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json',
        }),
        406,
        'NotAcceptable',
      );
      // Custom resources too; an unknown meta version falls back to the next clause.
      const gw = await b.api('GET', GW, { accept: PARTIAL });
      assert.equal(gw.body.kind, 'PartialObjectMetadataList');
      assert.equal(gw.body.items.length, 5);
      const fallback = await b.api('GET', NS, {
        accept: 'application/json;as=PartialObjectMetadataList;v=v9;g=meta.k8s.io, application/json',
        query: { limit: '1' },
      });
      assert.equal(fallback.body.kind, 'NamespaceList');
    });

    it('list items: built-in kinds carry no apiVersion/kind, custom resources do', async () => {
      const b = backend();
      const ns = await b.api('GET', NS, { query: { labelSelector: 'istio.io/rev' } });
      assert.deepEqual([ns.body.kind, ns.body.apiVersion], ['NamespaceList', 'v1']);
      assert.equal(ns.body.items[0].kind, undefined);
      assert.equal(ns.body.items[0].apiVersion, undefined);
      const mwc = await b.api('GET', MWC, { query: { limit: '1' } });
      assert.deepEqual(
        [mwc.body.kind, mwc.body.apiVersion],
        ['MutatingWebhookConfigurationList', 'admissionregistration.k8s.io/v1'],
      );
      assert.equal(mwc.body.items[0].kind, undefined);
      const gw = await b.api('GET', GW);
      assert.deepEqual([gw.body.kind, gw.body.apiVersion], ['GatewayList', 'gateway.networking.k8s.io/v1']);
      assert.deepEqual(
        [gw.body.items[0].kind, gw.body.items[0].apiVersion],
        ['Gateway', 'gateway.networking.k8s.io/v1'],
      );
      // A custom resource read at its other served version is converted (strategy None: apiVersion only).
      const beta = await b.api('GET', '/apis/gateway.networking.k8s.io/v1beta1/namespaces/bookinfo/gateways/waypoint');
      assert.equal(beta.status, 200, beta.text);
      assert.equal(beta.body.apiVersion, 'gateway.networking.k8s.io/v1beta1');
    });

    it('get of a missing object is 404 NotFound with name, group and resource in the details', async () => {
      const b = backend();
      for (const [path, group, kind] of [
        [`${SVC}/nope`, '', 'services'],
        [`${MWC}/nope`, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
        [
          `/apis/gateway.networking.k8s.io/v1/namespaces/bookinfo/gateways/nope`,
          'gateway.networking.k8s.io',
          'gateways',
        ],
        [`${NS}/nope`, '', 'namespaces'],
      ] as const) {
        const r = await b.api('GET', path);
        assertStatus(r, 404, 'NotFound');
        assert.equal(r.body.details.name, 'nope');
        assert.equal(r.body.details.kind, kind);
        assert.equal(r.body.details.group ?? '', group);
      }
    });

    it('an API that is not installed is 404 (the product treats Gateways so): plain text outside built-in groups', async () => {
      const b = backend();
      for (const path of [
        '/apis/gateway.networking.k8s.io/v9/gateways',
        '/apis/gateway.networking.k8s.io/v1/namespaces/x/nothings',
        '/apis/nothing.example.com/v1/things',
        '/apis/nothing.example.com',
      ]) {
        const r = await b.api('GET', path, { query: { limit: '500' } });
        assert.equal(r.status, 404, `${path}: ${r.text}`);
        assert.match(String(r.headers['content-type']), /^text\/plain/, path);
        assert.equal(r.text.trim(), '404 page not found');
      }
      for (const path of [
        '/apis/apps/v9/deployments',
        '/apis/apps/v1/nothings',
        '/api/v1/namespaces/x/nothings',
        '/api/v9/pods',
      ]) {
        assertStatus(await b.api('GET', path), 404, 'NotFound');
      }
      const w = await b.watch('/apis/nothing.example.com/v1/things', {});
      assert.equal(w.status, 404);
      w.close();
    });

    it('GET /version names the server version', async () => {
      const b = backend();
      const r = await b.api('GET', '/version');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.gitVersion, b.version);
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(b.version) ?? [];
      assert.equal(r.body.major, major);
      assert.equal(r.body.minor, minor);
      assert.equal(typeof r.body.platform, 'string');
    });
  },
);
