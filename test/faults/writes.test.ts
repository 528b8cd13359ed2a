/**
 * Issue 12 on the simulator, through the real CLI entry point: a move changes only what Istio's
 * chart owns and shows every change; --wait opens its watch before writing and says the move is
 * applied whatever fails after it; unreadable annotations are reported, not crashes; an interrupted
 * --create is undone by tag-rollback. (The interruption matrix itself runs on both backends:
 * test/contract/interruptions.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectOnto } from '../../src/core/diff.ts';
import type { TagView } from '../../src/core/views.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  autoWebhook,
  gateway,
  helmRender,
  istiod,
  namespace,
  proxyDeployment,
  tagObjects,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { startProxy } from '../support/proxy.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { spawnCli } from '../support/spawn.ts';
import { assertFails, kubeconfigVia, state } from './support.ts';

const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const SVC = { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system' };
const HISTORY = 'kubectl-ambient.dev/tag-history';
const OPERATION = 'kubectl-ambient.dev/tag-operation';

interface Hook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string }; url?: string; caBundle?: string };
  timeoutSeconds?: number;
  failurePolicy?: string;
  namespaceSelector?: unknown;
  objectSelector?: unknown;
}
const hooks = (o: KubeObject | undefined): Hook[] => (o?.['webhooks'] as Hook[] | undefined) ?? [];

/** The `default` tag webhook of 1.27.9 as others left it: foreign labels and annotation, the auto webhook, an edited timeout, istiod's caBundle. */
function editedDefault(): KubeObject {
  const [w] = tagObjects('1.27.9', 'default').filter((o) => o.kind === 'MutatingWebhookConfiguration');
  const o = structuredClone(w!);
  o.metadata.labels = { ...o.metadata.labels, team: 'payments', 'argocd.argoproj.io/instance': 'mesh' };
  o.metadata.annotations = { 'example.com/owner': 'platform' };
  const list = hooks(o);
  list.push(autoWebhook(list.find((h) => h.name === 'object.sidecar-injector.istio.io')!));
  for (const h of list) h.clientConfig.caBundle = 'Q0E=';
  list[0]!.timeoutSeconds = 5;
  o['webhooks'] = list;
  return o;
}

function get(c: TestCluster, kind: 'mwc' | 'svc', name: string): KubeObject | undefined {
  return c.sim.get(kind === 'mwc' ? { ...MWC, name } : { ...SVC, name });
}

describe('a move owns only what the chart renders', () => {
  it('foreign labels and annotations, the auto. webhook, an edited timeoutSeconds and the caBundle survive; the diff shows no removal', async () => {
    const c = await startCluster(
      [namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.28.10'), editedDefault()],
      { istiod: false },
    );
    try {
      const dry = await ambient(['tag-move', 'default', '1-28-10', '--dry-run=server'], { kubeconfig: c.kubeconfig });
      assert.equal(dry.code, 0, dry.stderr);
      assert.doesNotMatch(dry.stderr, /: - /, 'no removal');
      assert.doesNotMatch(dry.stderr, /team|argocd|example\.com|timeoutSeconds|caBundle/);
      assert.match(dry.stderr, /^ {6}webhooks\[\*\]\.clientConfig\.service\.name: istiod-1-27-9 -> istiod-1-28-10$/m);
      const r = await ambient(['tag-move', 'default', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const live = get(c, 'mwc', 'istio-revision-tag-default')!;
      assert.equal(live.metadata.labels?.['team'], 'payments');
      assert.equal(live.metadata.labels?.['argocd.argoproj.io/instance'], 'mesh');
      assert.equal(live.metadata.annotations?.['example.com/owner'], 'platform');
      assert.deepEqual(
        hooks(live).map((h) => [h.name, h.clientConfig.service?.name, h.clientConfig.caBundle]),
        [
          ['rev.namespace.sidecar-injector.istio.io', 'istiod-1-28-10', 'Q0E='],
          ['rev.object.sidecar-injector.istio.io', 'istiod-1-28-10', 'Q0E='],
          ['namespace.sidecar-injector.istio.io', 'istiod-1-28-10', 'Q0E='],
          ['object.sidecar-injector.istio.io', 'istiod-1-28-10', 'Q0E='],
          ['auto.sidecar-injector.istio.io', 'istiod-1-28-10', 'Q0E='],
        ],
      );
      assert.equal(hooks(live)[0]?.timeoutSeconds, 5);
      assert.deepEqual(hooks(live)[4]?.namespaceSelector, autoWebhook(hooks(live)[3]!).namespaceSelector);
      // What the chart renders is exactly helm's 1.28.10 render.
      const [want] = helmRender('1.28.10', 'tag-default-rev-1-28-10.yaml').filter(
        (o) => o.kind === 'MutatingWebhookConfiguration',
      );
      for (const [k, v] of Object.entries(want!.metadata.labels ?? {}))
        assert.equal(live.metadata.labels?.[k], v, `label ${k}`);
      const rendered = hooks(want).map((h) => ({ ...h, clientConfig: { ...h.clientConfig } }));
      const liveRendered = hooks(live)
        .filter((h) => rendered.some((x) => x.name === h.name))
        .map((h) => ({ ...h, clientConfig: { ...h.clientConfig, caBundle: undefined } }));
      assert.deepEqual(
        JSON.parse(JSON.stringify(projectOnto(liveRendered, rendered))),
        JSON.parse(JSON.stringify(rendered)),
      );
      assert.match(
        (await ambient(['tag-move', 'default', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig })).stderr,
        /nothing to do/,
      );
    } finally {
      await c.close();
    }
  });

  it('a webhook the chart does not render keeps working for the tag: pointed at the new istiod (warned, in the diff), a URL one left alone', async () => {
    const [w] = tagObjects('1.27.9', 'prod');
    const o = structuredClone(w!);
    const extra = { ...structuredClone(hooks(o)[0]!), name: 'extra.example.com' };
    const remote = {
      ...structuredClone(hooks(o)[0]!),
      name: 'remote.example.com',
      clientConfig: { url: 'https://hooks.example.com/inject' },
    };
    o['webhooks'] = [...hooks(o), extra, remote];
    const c = await startCluster([namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.28.10'), o], {
      istiod: false,
    });
    try {
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^warning: webhook extra\.example\.com of istio-revision-tag-prod is not rendered by Istio's chart for tag prod but called istiod-1-27-9: it now calls istiod-1-28-10 too/m,
      );
      assert.match(r.stderr, /^ {6}webhooks\[\*\]\.clientConfig\.service\.name: istiod-1-27-9 -> istiod-1-28-10$/m);
      const live = get(c, 'mwc', 'istio-revision-tag-prod');
      assert.deepEqual(
        hooks(live).map((h) => h.clientConfig.service?.name ?? h.clientConfig.url),
        ['istiod-1-28-10', 'istiod-1-28-10', 'istiod-1-28-10', 'https://hooks.example.com/inject'],
      );
    } finally {
      await c.close();
    }
  });

  it('removals are shown: chart labels an older chart does not render, and a tag Service an older chart has none of (foreign labels go with it)', async () => {
    const svc = tagObjects('1.27.9', 'prod')[0]!;
    const withForeign = structuredClone(svc);
    withForeign.metadata.labels = { ...withForeign.metadata.labels, team: 'payments' };
    const c = await startCluster(
      [
        namespace('istio-system'),
        ...istiod('1.23.6'),
        ...istiod('1.28.10'),
        ...tagObjects('1.28.10', 'prod').map((x) =>
          x.kind === 'Service'
            ? { ...x, metadata: { ...x.metadata, labels: { ...x.metadata.labels, team: 'payments' } } }
            : x,
        ),
      ],
      { istiod: false },
    );
    try {
      const r = await ambient(['tag-move', 'prod', '1-23-6', '--dry-run=client'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      for (const key of [
        'app.kubernetes.io/name',
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/part-of',
        'app.kubernetes.io/version',
        'helm.sh/chart',
      ]) {
        assert.match(r.stderr, new RegExp(`^ {6}label ${key.replaceAll('.', '\\.')}: - \\S+$`, 'm'), key);
      }
      assert.match(
        r.stderr,
        /^ {2}- Service istio-system\/istiod-revision-tag-prod \(deleted: the 1\.23\.6 chart renders no tag Service/m,
      );
    } finally {
      await c.close();
    }
  });

  it('"nothing to do" only when nothing changes: an edited failurePolicy (the chart\'s) is put back, an edited timeoutSeconds (not the chart\'s) is kept', async () => {
    const c = await startCluster([namespace('istio-system'), ...istiod('1.30.3'), ...tagObjects('1.30.3', 'prod')], {
      istiod: false,
    });
    try {
      const w = structuredClone(get(c, 'mwc', 'istio-revision-tag-prod')!);
      hooks(w)[1]!.timeoutSeconds = 7;
      c.sim.upsert(w);
      assert.match(
        (await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig })).stderr,
        /nothing to do/,
      );
      const w2 = structuredClone(get(c, 'mwc', 'istio-revision-tag-prod')!);
      hooks(w2)[1]!.failurePolicy = 'Ignore';
      c.sim.upsert(w2);
      const r = await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^ {6}webhooks\[rev\.object\.sidecar-injector\.istio\.io\]\.failurePolicy: Ignore -> Fail$/m,
      );
      assert.deepEqual(
        hooks(get(c, 'mwc', 'istio-revision-tag-prod')).map((h) => [h.failurePolicy, h.timeoutSeconds]),
        [
          ['Fail', 10],
          ['Fail', 7],
        ],
      );
    } finally {
      await c.close();
    }
  });
});

describe('--wait: the watch opens before the first write', () => {
  it('RBAC refusing watch deployments stops before any change (exit 77, --no-wait suggested)', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.forbid({ verb: 'watch', resource: 'deployments' });
      const before = state(c);
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait'], { kubeconfig: c.kubeconfig });
      assertFails(
        r,
        'auth',
        /^error: RBAC refused: .*cannot watch resource "deployments".* \(--wait watches the Deployments of the waypoints that follow prod\); nothing was changed; pass --no-wait to move without waiting/,
      );
      assert.deepEqual(state(c), before);
      assert.deepEqual(
        c.sim.requests.filter((q) => q.method !== 'GET' && q.query['dryRun'] === undefined),
        [],
      );
    } finally {
      await c.close();
    }
  });

  it('the watch failing after the writes (credentials rejected on the re-list): exit 4, the move is applied, what is unverified, the rollback command', async () => {
    const c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 60_000 } });
    const proxy = await startProxy({ url: c.sim.url, ...(c.sim.ca !== undefined ? { ca: c.sim.ca } : {}) });
    try {
      const kubeconfig = kubeconfigVia(c, proxy);
      // Once the last write is answered: cut the open watch and refuse the deployments list that follows.
      const running = ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait'], { kubeconfig });
      await proxy.waitFor(
        (e) =>
          e.method === 'PUT' &&
          e.query['dryRun'] === undefined &&
          e.outcome === 'answered' &&
          proxy.log.filter((x) => x.method === 'PUT' && x.query['dryRun'] === undefined).length === 2,
        'the final webhook write',
      );
      proxy.intercept(
        (r) => r.method === 'GET' && r.path.endsWith('/deployments'),
        (x) =>
          x.reply({
            status: 401,
            headers: { 'content-type': 'application/json' },
            body: Buffer.from(
              JSON.stringify({
                kind: 'Status',
                apiVersion: 'v1',
                status: 'Failure',
                message: 'Unauthorized',
                reason: 'Unauthorized',
                code: 401,
              }),
            ),
          }),
        100,
      );
      assert.equal(
        proxy.cut((e) => e.query['watch'] === 'true'),
        1,
      );
      const r = await running;
      assertFails(
        r,
        'wait-timeout',
        /^error: the move of prod to 1-28-10 is applied, but waiting for its waypoints failed \(the API server at .* rejected the credentials of context "sim" \(401 Unauthorized\) on list deployments\.apps --all-namespaces\); unverified: bookinfo\/waypoint, reviews\/waypoint on 1-28-10; check with "kubectl ambient tags prod"; to roll back run "kubectl ambient tag-rollback prod"$/,
      );
      assert.equal(
        c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' })?.metadata.labels?.['istio.io/rev'],
        '1-28-10',
      );
    } finally {
      await proxy.close();
      await c.close();
    }
  });
});

describe('unreadable annotations are reported, not crashes', () => {
  const withAnnotation = (key: string, value: string): KubeObject[] =>
    tagObjects('1.27.9', 'prod').map((o) =>
      o.kind === 'MutatingWebhookConfiguration'
        ? { ...o, metadata: { ...o.metadata, annotations: { [key]: value } } }
        : o,
    );

  it('a malformed history: tags warns, tag-rollback asks for --to, tag-move replaces it (and says so)', async () => {
    const c = await startCluster(
      [namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.28.10'), ...withAnnotation(HISTORY, '{"oops"')],
      { istiod: false },
    );
    try {
      const t = await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(t.code, 0, t.stderr);
      assert.deepEqual(
        (JSON.parse(t.stdout) as TagView).problems.map((p) => p.code),
        ['bad-history'],
      );
      assert.match(
        t.stderr,
        /^warning: tag prod: the history annotation kubectl-ambient\.dev\/tag-history on istio-revision-tag-prod is malformed \(not JSON/m,
      );
      assertFails(
        await ambient(['tag-rollback', 'prod', '--yes'], { kubeconfig: c.kubeconfig }),
        'input',
        /^error: the history of tag "prod" \(annotation kubectl-ambient\.dev\/tag-history\) is malformed: not JSON .*; pick the revision with --to \(installed revisions: 1-27-9, 1-28-10\)$/,
      );
      const m = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(m.code, 0, m.stderr);
      assert.match(
        m.stderr,
        /^warning: the history annotation kubectl-ambient\.dev\/tag-history of tag prod is malformed/m,
      );
      assert.match(m.stderr, /^ {6}history: \(malformed: \{"oops"\) -> 1-27-9$/m);
    } finally {
      await c.close();
    }
  });

  it('an unreadable operation record: tags reports it, moves refuse with the command that removes it', async () => {
    const c = await startCluster(
      [namespace('istio-system'), ...istiod('1.27.9'), ...istiod('1.28.10'), ...withAnnotation(OPERATION, '[]')],
      { istiod: false },
    );
    try {
      const before = state(c);
      const t = await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.deepEqual(
        (JSON.parse(t.stdout) as TagView).problems.map((p) => p.code),
        ['bad-operation'],
      );
      assertFails(
        await ambient(['tag-move', 'prod', '1-28-10', '--yes'], { kubeconfig: c.kubeconfig }),
        'problems',
        /^error: the operation record \(annotation kubectl-ambient\.dev\/tag-operation\) on istio-revision-tag-prod is unreadable: .*; check the tag's objects with "kubectl ambient tags prod", then remove the record: kubectl annotate mutatingwebhookconfiguration istio-revision-tag-prod kubectl-ambient\.dev\/tag-operation-$/,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });
});

describe('an interrupted tag-move --create', () => {
  it('killed after creating the webhook: tags flags it, tag-rollback deletes what it made', async () => {
    const c = await startCluster([namespace('istio-system'), ...istiod('1.28.10')], { istiod: false });
    try {
      const started = spawnCli(
        ['tag-move', 'blue', '1-28-10', '--create', '--yes', '--no-wait', '--kubeconfig', c.kubeconfig],
        { home: c.dir },
      );
      c.sim.onRequest(async (req) => {
        // The simulator handles the request it already received: the create lands, its client is gone.
        if (
          req.method === 'POST' &&
          req.resource === 'mutatingwebhookconfigurations' &&
          req.query['dryRun'] === undefined
        )
          (await started).proc.kill('SIGKILL');
      });
      const child = await started;
      assert.equal((await child.exited).signal, 'SIGKILL', child.stderr());
      c.sim.onRequest(undefined);
      const view = JSON.parse(
        (await ambient(['tags', 'blue', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.deepEqual(
        [view.operation?.from, view.operation?.to, view.operation?.finish, view.operation?.undo],
        [null, '1-28-10', 'kubectl ambient tag-move blue 1-28-10', 'kubectl ambient tag-rollback blue'],
      );
      const undo = await ambient(['tag-rollback', 'blue', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(undo.code, 0, undo.stderr);
      assert.match(
        undo.stderr,
        /^ {2}- MutatingWebhookConfiguration istio-revision-tag-blue \(deleted: created by the interrupted tag-move --create\)$/m,
      );
      assert.match(undo.stderr, /✔ tag blue removed \(the interrupted creation is undone\)/);
      assert.equal(c.sim.get({ ...MWC, name: 'istio-revision-tag-blue' }), undefined);
      assert.equal(c.sim.get({ ...SVC, name: 'istiod-revision-tag-blue' }), undefined);
    } finally {
      await c.close();
    }
  });
});

describe('tags reports half-made tags (§7)', () => {
  it('a 1.28+ webhook without its Service, and a Service without its webhook', async () => {
    const wp = { name: 'waypoint', namespace: 'shop', rev: 'prod' };
    const c = await startCluster([
      namespace('istio-system'),
      namespace('shop'),
      ...istiod('1.28.10'),
      ...tagObjects('1.28.10', 'prod').filter((o) => o.kind === 'MutatingWebhookConfiguration'),
      ...tagObjects('1.28.10', 'blue').filter((o) => o.kind === 'Service'),
      gateway(wp),
      proxyDeployment(wp, '1-28-10', '1.28.10'),
    ]);
    try {
      const views = JSON.parse(
        (await ambient(['tags', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView[];
      assert.deepEqual(
        views.map((v) => [v.tag, v.problems.map((p) => p.code)]),
        [
          ['blue', ['service-only']],
          ['prod', ['no-service']],
        ],
      );
      const fix = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(fix.code, 0, fix.stderr);
      assert.match(fix.stderr, /^ {2}\+ Service istio-system\/istiod-revision-tag-prod \(new\)$/m);
    } finally {
      await c.close();
    }
  });
});
