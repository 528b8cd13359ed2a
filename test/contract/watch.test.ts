/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- API answers are untyped JSON: the assertions check their shape. */
/**
 * Contract: watches as the product uses them (src/kube/client.ts watch: list, then watch from the
 * list's resourceVersion with allowWatchBookmarks and timeoutSeconds; an ERROR event means re-list).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { namespace } from '../support/builders.ts';
import { forEachBackend } from './backend.ts';

const NSN = 'contract-watch';
const CM = `/api/v1/namespaces/${NSN}/configmaps`;

function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

forEachBackend(
  'watch',
  () => [namespace(NSN)],
  (backend) => {
    it('from a list resourceVersion: ADDED, MODIFIED, DELETED in order, with increasing resourceVersions', async () => {
      const b = backend();
      const list = await b.api('GET', CM, { query: { labelSelector: 'set=order' } });
      const w = await b.watch(CM, {
        resourceVersion: list.body.metadata.resourceVersion as string,
        labelSelector: 'set=order',
        allowWatchBookmarks: 'true',
        timeoutSeconds: '30',
      });
      try {
        assert.equal(w.status, 200);
        const created = await b.api('POST', CM, { body: configMap('a', { set: 'order' }) });
        const updated = await b.api('PUT', `${CM}/a`, { body: { ...created.body, data: { k: 'v' } } });
        assert.equal(updated.status, 200, updated.text);
        const deleted = await b.api('DELETE', `${CM}/a`);
        assert.equal(deleted.status, 200);
        await w.waitFor((e) => e.type === 'DELETED');
        const events = w.events.filter((e) => e.type !== 'BOOKMARK');
        assert.deepEqual(
          events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`),
          ['ADDED a', 'MODIFIED a', 'DELETED a'],
        );
        assert.equal(events[0]!.object.metadata.resourceVersion, created.body.metadata.resourceVersion);
        assert.equal(events[1]!.object.metadata.resourceVersion, updated.body.metadata.resourceVersion);
        assert.deepEqual(events[1]!.object['data'], { k: 'v' });
        const rvs = events.map((e) => BigInt(e.object.metadata.resourceVersion ?? '0'));
        assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `resourceVersions ${rvs.join(' ')}`);
        // Events carry apiVersion/kind (unlike list items).
        assert.deepEqual([events[0]!.object.apiVersion, events[0]!.object.kind], ['v1', 'ConfigMap']);
      } finally {
        w.close();
      }
    });

    it('without a resourceVersion: synthetic ADDED events for what exists, then changes', async () => {
      const b = backend();
      await b.api('POST', CM, { body: configMap('existing-1', { set: 'initial' }) });
      await b.api('POST', CM, { body: configMap('existing-2', { set: 'initial' }) });
      const w = await b.watch(CM, { labelSelector: 'set=initial' });
      try {
        // The API server does not order the synthetic ADDED events (the real one sent existing-2 first once),
        // so wait for both and compare them as a set; the change made afterwards comes after them.
        const seen = (name: string) => w.events.some((e) => e.object.metadata.name === name);
        await w.waitFor(() => seen('existing-1') && seen('existing-2'));
        await b.api('POST', CM, { body: configMap('later', { set: 'initial' }) });
        await w.waitFor((e) => e.object.metadata.name === 'later');
        const names = w.events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
        assert.deepEqual(names.slice(0, 2).sort(), ['ADDED existing-1', 'ADDED existing-2']);
        assert.deepEqual(names.slice(2), ['ADDED later']);
      } finally {
        w.close();
      }
    });

    it('label selector transitions: leaving the selector is DELETED, entering it is ADDED', async () => {
      const b = backend();
      const o = await b.api('POST', CM, { body: configMap('moves', { set: 'in' }) });
      const w = await b.watch(CM, {
        resourceVersion: o.body.metadata.resourceVersion as string,
        labelSelector: 'set=in',
      });
      try {
        const out = await b.api('PUT', `${CM}/moves`, {
          body: { ...o.body, metadata: { ...o.body.metadata, labels: { set: 'out' } } },
        });
        await w.waitFor((e) => e.type === 'DELETED');
        const back = await b.api('PUT', `${CM}/moves`, {
          body: { ...out.body, metadata: { ...out.body.metadata, labels: { set: 'in' } } },
        });
        await w.waitFor((e) => e.type === 'ADDED');
        assert.deepEqual(
          w.events.map((e) => e.type),
          ['DELETED', 'ADDED'],
        );
        assert.equal(w.events[0]!.object.metadata.resourceVersion, out.body.metadata.resourceVersion);
        assert.equal(w.events[1]!.object.metadata.resourceVersion, back.body.metadata.resourceVersion);
      } finally {
        w.close();
      }
    });

    it('a single object through fieldSelector metadata.name', async () => {
      const b = backend();
      const list = await b.api('GET', CM);
      const w = await b.watch(CM, {
        resourceVersion: list.body.metadata.resourceVersion as string,
        fieldSelector: 'metadata.name=only-me',
      });
      try {
        await b.api('POST', CM, { body: configMap('not-me') });
        await b.api('POST', CM, { body: configMap('only-me') });
        await w.waitFor((e) => e.object.metadata.name === 'only-me');
        assert.deepEqual(
          w.events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`),
          ['ADDED only-me'],
        );
      } finally {
        w.close();
      }
    });

    it('a too old resourceVersion: 200 and one ERROR event with a 410 Expired Status, then the end', async () => {
      const b = backend();
      const w = await b.watch(CM, { resourceVersion: '1' });
      assert.equal(w.status, 200);
      const e = await w.waitFor((x) => x.type === 'ERROR');
      assert.equal(e.object.kind, 'Status');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
      await w.ended;
    });

    // The test timeout only turns a stream that never ends into a failure; the end is not timed from above.
    it('timeoutSeconds ends the stream', { timeout: 60_000 }, async () => {
      const b = backend();
      const started = Date.now();
      const w = await b.watch(CM, { timeoutSeconds: '1', labelSelector: 'set=none' });
      await w.ended;
      assert.equal(w.status, 200);
      assert.deepEqual(
        w.events.filter((e) => e.type !== 'BOOKMARK'),
        [],
        'ended by itself, not with an error',
      );
      // A lower bound only (not before the timeout; a slow machine makes it longer, never shorter).
      assert.ok(Date.now() - started >= 900, 'not before timeoutSeconds');
    });

    it('a watch on a missing namespace is fine; on a kind that is not served it is 404', async () => {
      const b = backend();
      const w = await b.watch('/api/v1/namespaces/nowhere/configmaps', { timeoutSeconds: '1' });
      assert.equal(w.status, 200);
      w.close();
      const r = await b.watch('/apis/gateway.networking.k8s.io/v9/gateways', {});
      assert.equal(r.status, 404);
      r.close();
    });
  },
);
