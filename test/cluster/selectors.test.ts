import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';
import { call, configMap, startTestSim, statusOf, type TestSim } from './testutil.ts';

const objects = [
  configMap('a', 'default', { app: 'web', tier: 'frontend', env: 'prod' }),
  configMap('b', 'default', { app: 'web', tier: 'backend', env: 'dev' }),
  configMap('c', 'default', { app: 'db', tier: 'backend' }),
  configMap('d', 'default', { app: 'cache', env: '' }),
  configMap('e', 'default', {}),
  configMap('f', 'default', { version: '3' }),
  configMap('g', 'other', { app: 'web' }),
];

const labelCases: [selector: string, names: string[]][] = [
  ['', ['a', 'b', 'c', 'd', 'e', 'f']],
  ['app=web', ['a', 'b']],
  ['app==web', ['a', 'b']],
  ['app!=web', ['c', 'd', 'e', 'f']],
  ['tier', ['a', 'b', 'c']],
  ['!tier', ['d', 'e', 'f']],
  ['app in (web,db)', ['a', 'b', 'c']],
  ['app notin (web)', ['c', 'd', 'e', 'f']],
  ['  app = web ,  tier=backend ', ['b']],
  ['app in ( web , cache )', ['a', 'b', 'd']],
  ['env=', ['d']],
  ['env in (prod,)', ['a', 'd']],
  ['app,!env', ['c']],
  ['app in (in, notin)', []],
  ['version>2', ['f']],
  ['version<2', []],
  ['tier=backend,app=db', ['c']],
  ['\tapp\n==\tweb', ['a', 'b']],
];

const invalidLabelCases: [selector: string, message: string][] = [
  ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
  ['app=web,', "found '', expected: identifier after ','"],
  ['app in web', "unable to parse requirement: found 'web' expected: '('"],
  ['=web', "found '=', expected: !, identifier, or 'end of string'"],
  ['app=(x', "unable to parse requirement: found '(', expected: identifier"],
  ['app=web tier', "found 'tier', expected: ',' or 'end of string'"],
  ['!', "unable to parse requirement: found '', expected: identifier"],
];

describe('label selector parsing (unit)', () => {
  for (const [sel, msg] of invalidLabelCases) {
    it(`rejects ${JSON.stringify(sel)}`, () => {
      assert.throws(
        () => parseLabelSelector(sel),
        (e: unknown) => e instanceof SelectorError && e.message.startsWith(msg),
      );
    });
  }
  it('rejects invalid keys and values with the validation message', () => {
    assert.throws(
      () => parseLabelSelector('-a=b'),
      /unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters/,
    );
    assert.throws(
      () => parseLabelSelector('a=-b'),
      /unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string/,
    );
  });
  it('sorts requirements by key', () => {
    assert.deepEqual(
      parseLabelSelector('z=1,a=2').requirements.map((r) => r.key),
      ['a', 'z'],
    );
  });
});

describe('field selector parsing (unit)', () => {
  const cases: [string, { field: string; op: string; value: string }[]][] = [
    ['metadata.name=a', [{ field: 'metadata.name', op: '=', value: 'a' }]],
    ['metadata.name==a', [{ field: 'metadata.name', op: '=', value: 'a' }]],
    [
      'metadata.name!=a,metadata.namespace=x',
      [
        { field: 'metadata.name', op: '!=', value: 'a' },
        { field: 'metadata.namespace', op: '=', value: 'x' },
      ],
    ],
    ['metadata.name=a\\,b', [{ field: 'metadata.name', op: '=', value: 'a,b' }]],
  ];
  for (const [sel, terms] of cases) {
    it(`parses ${sel}`, () => assert.deepEqual(parseFieldSelector(sel).terms, terms));
  }
  it('rejects a term without operator', () => {
    assert.throws(
      () => parseFieldSelector('metadata.name'),
      /invalid selector: 'metadata.name'; can't understand 'metadata.name'/,
    );
  });
});

describe('selectors through the API', () => {
  let t: TestSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    t = await startTestSim({ objects });
    core = t.kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => t.close());

  for (const [sel, names] of labelCases) {
    it(`labelSelector ${JSON.stringify(sel)} → ${names.join(',') || '(none)'}`, async () => {
      const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: sel });
      assert.deepEqual(
        list.items.map((i) => i.metadata?.name),
        names,
      );
    });
  }

  for (const [sel, msg] of invalidLabelCases) {
    it(`labelSelector ${JSON.stringify(sel)} → 400 BadRequest`, async () => {
      const r = await call(
        t.sim.url,
        'GET',
        `/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent(sel)}`,
      );
      assert.equal(r.status, 400);
      assert.equal(r.json['kind'], 'Status');
      assert.equal(r.json['reason'], 'BadRequest');
      assert.equal(r.json['code'], 400);
      assert.ok(String(r.json['message']).startsWith(msg), String(r.json['message']));
    });
  }

  const fieldCases: [string, string | undefined, string[]][] = [
    ['metadata.name=a', 'default', ['a']],
    ['metadata.name==b', 'default', ['b']],
    ['metadata.name!=a', 'default', ['b', 'c', 'd', 'e', 'f']],
    ['metadata.namespace=other', undefined, ['g']],
    ['metadata.namespace!=default,metadata.name=g', undefined, ['g']],
  ];
  for (const [sel, ns, names] of fieldCases) {
    it(`fieldSelector ${sel}`, async () => {
      const list =
        ns === undefined
          ? await core.listConfigMapForAllNamespaces({ fieldSelector: sel })
          : await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: sel });
      assert.deepEqual(
        list.items.map((i) => i.metadata?.name),
        names,
      );
    });
  }

  const unsupported: [path: string, message: string][] = [
    [
      '/api/v1/namespaces/default/configmaps?fieldSelector=data.x%3D1',
      '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    ['/api/v1/pods?fieldSelector=spec.foo%3Dx', 'field label not supported: spec.foo'],
    [
      '/apis/apps/v1/deployments?fieldSelector=status.replicas%3D1',
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    [
      '/apis/gateway.networking.k8s.io/v1/gateways?fieldSelector=spec.gatewayClassName%3Distio',
      'field label not supported: spec.gatewayClassName',
    ],
    ['/api/v1/namespaces?fieldSelector=metadata.namespace%3Dx', 'field label not supported: metadata.namespace'],
  ];
  for (const [path, message] of unsupported) {
    it(`unsupported field selector ${path} → 400`, async () => {
      const r = await call(t.sim.url, 'GET', path);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'BadRequest',
        code: 400,
      });
    });
  }

  it('client-node surfaces the 400 as an ApiException with the Status body', async () => {
    await assert.rejects(
      core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'data.x=1' }),
      (e: unknown) => {
        assert.equal(statusOf(e)['reason'], 'BadRequest');
        return true;
      },
    );
  });
});
