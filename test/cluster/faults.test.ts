import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { call, configMap, simRequest, startTestSim, statusOf, type TestSim } from './testutil.ts';

/** A raw GET that reports how the connection ended. */
function rawGet(
  url: string,
): Promise<
  | { kind: 'response'; status: number; body: string }
  | { kind: 'error'; code: string; status?: number; partial?: string }
> {
  return new Promise((resolve) => {
    const req = simRequest(url, {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ kind: 'response', status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ kind: 'error', code: e.code ?? e.message, status: res.statusCode ?? 0, partial: body }),
      );
      res.on('aborted', () => resolve({ kind: 'error', code: 'aborted', status: res.statusCode ?? 0, partial: body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message }));
    req.end();
  });
}

describe('fault injection', () => {
  let t: TestSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    t = await startTestSim({ objects: [configMap('a'), configMap('b')] });
    core = t.kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => t.close());

  const statusCases: [number, string][] = [
    [429, 'TooManyRequests'],
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [409, 'Conflict'],
    [410, 'Expired'],
    [504, 'Timeout'],
  ];
  for (const [code, reason] of statusCases) {
    it(`status ${code} → real Status body with reason ${reason}`, async () => {
      t.sim.inject({
        match: { verb: 'get', resource: 'configmaps', name: 'a' },
        times: 1,
        status: code,
        message: `injected ${code}`,
        headers: { 'Retry-After': '2' },
      });
      const r = await call(t.sim.url, 'GET', '/api/v1/namespaces/default/configmaps/a');
      assert.equal(r.status, code);
      assert.equal(r.headers.get('retry-after'), '2');
      assert.equal(r.json['kind'], 'Status');
      assert.equal(r.json['reason'], reason);
      assert.equal(r.json['message'], `injected ${code}`);
      assert.equal(r.json['code'], code);
      // times: 1 → the next request is served normally.
      assert.equal((await call(t.sim.url, 'GET', '/api/v1/namespaces/default/configmaps/a')).status, 200);
    });
  }

  it('client-node sees the injected status as an ApiException', async () => {
    t.sim.inject({ match: { method: 'GET', path: /\/configmaps\/b$/ }, times: 1, status: 503 });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'b', namespace: 'default' }), (e: unknown) => {
      assert.equal((e as { code: number }).code, 503);
      assert.equal(statusOf(e)['reason'], 'ServiceUnavailable');
      return true;
    });
  });

  it('delayMs delays, then handles normally', async () => {
    t.sim.inject({ match: { path: '/api/v1/namespaces/default/configmaps/a' }, times: 1, delayMs: 150 });
    const started = Date.now();
    const cm = await core.readNamespacedConfigMap({ name: 'a', namespace: 'default' });
    assert.equal(cm.metadata?.name, 'a');
    assert.ok(Date.now() - started >= 140);
  });

  it('drop immediately: the socket closes without a response', async () => {
    t.sim.inject({ match: { verb: 'list' }, times: 1, drop: 'immediately' });
    const r = await rawGet(`${t.sim.url}/api/v1/namespaces/default/configmaps`);
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' ? r.status : -1, undefined);
    await assert.rejects(
      Promise.resolve().then(async () => {
        t.sim.inject({ match: { verb: 'list' }, times: 1, drop: 'immediately' });
        return core.listNamespacedConfigMap({ namespace: 'default' });
      }),
    );
  });

  it('drop mid-body: status line and part of the body, then the socket closes', async () => {
    t.sim.inject({ match: { verb: 'list' }, times: 1, drop: 'mid-body' });
    const r = await rawGet(`${t.sim.url}/api/v1/namespaces/default/configmaps`);
    assert.equal(r.kind, 'error');
    if (r.kind === 'error') {
      assert.equal(r.status, 200);
      assert.ok((r.partial ?? '').startsWith('{"kind":"ConfigMapList"'));
      assert.throws(() => JSON.parse(r.partial ?? ''));
    }
    const rec = t.sim.requests.at(-1);
    assert.equal(rec?.status, 200);
    t.sim.inject({ match: { verb: 'list' }, times: 1, drop: 'mid-body' });
    await assert.rejects(core.listNamespacedConfigMap({ namespace: 'default' }));
  });

  it('drop mid-body on a watch: headers, part of the first event, then the socket closes', async () => {
    t.sim.inject({ match: { verb: 'watch', resource: 'configmaps' }, times: 1, drop: 'mid-body' });
    const r = await rawGet(`${t.sim.url}/api/v1/namespaces/default/configmaps?watch=true`);
    assert.equal(r.kind, 'error');
    if (r.kind === 'error') {
      assert.equal(r.status, 200);
      assert.ok((r.partial ?? '').startsWith('{"type":"ADDED"'), r.partial);
      assert.ok(!(r.partial ?? '').includes('\n'));
    }
  });

  it('hang: never answers until close()', async () => {
    const t2 = await startTestSim();
    t2.sim.inject({ match: { verb: 'list' }, hang: true });
    const pending = rawGet(`${t2.sim.url}/api/v1/namespaces`);
    const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r('still hanging'), 100))]);
    assert.equal(raced, 'still hanging');
    await t2.close();
    const r = await pending;
    assert.equal(r.kind, 'error');
    assert.equal(t2.sim.requests[0]?.status, 0);
  });

  it('rules apply in order, times counts down, clearFaults removes all', async () => {
    t.sim.inject({ match: { resource: 'configmaps' }, times: 2, status: 500 });
    t.sim.inject({ match: { resource: 'configmaps' }, status: 404 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await call(t.sim.url, 'GET', '/api/v1/namespaces/default/configmaps/a')).status);
    assert.deepEqual(codes, [500, 500, 404, 404]);
    t.sim.clearFaults();
    assert.equal((await call(t.sim.url, 'GET', '/api/v1/namespaces/default/configmaps/a')).status, 200);
  });
});
