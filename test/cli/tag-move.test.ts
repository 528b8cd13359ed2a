import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TagView } from '../../src/core/views.ts';
import type { KubeObject } from '../cluster/types.ts';
import {
  fixtureVersions,
  gateway,
  helmRender,
  istiod,
  namespace,
  parseObjects,
  proxyDeployment,
  revOf,
  tagObjects,
} from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { assertLiveEqualsRender, clusterState } from '../support/compare.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const SVC = { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system' };
const HISTORY = 'kubectl-ambient.dev/tag-history';

/** The tag objects in the cluster now. */
function live(c: TestCluster, tag: string): { webhook: KubeObject | undefined; service: KubeObject | undefined } {
  return {
    webhook: c.sim.get({ ...MWC, name: `istio-revision-tag-${tag}` }),
    service: c.sim.get({ ...SVC, name: `istiod-revision-tag-${tag}` }),
  };
}

const state = clusterState;

describe('tag-move renders exactly what the chart of the target version renders', () => {
  for (const v of fixtureVersions()) {
    const start = v === '1.27.9' ? '1.26.8' : '1.27.9';
    it(`${v}: prod and default from ${start} to ${revOf(v)} equal helm's render`, async () => {
      const c = await startCluster(
        [
          namespace('istio-system'),
          ...istiod(start),
          ...istiod(v),
          ...tagObjects(start, 'prod'),
          ...tagObjects(start, 'default'),
        ],
        { istiod: false },
      );
      try {
        for (const tag of ['prod', 'default']) {
          const r = await ambient(['tag-move', tag, revOf(v), '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
          assert.equal(r.code, 0, r.stderr);
          const want = helmRender(v, `tag-${tag}-rev-${revOf(v)}.yaml`);
          const got = live(c, tag);
          assertLiveEqualsRender(
            got.webhook,
            want.find((o) => o.kind === 'MutatingWebhookConfiguration')!,
            `${v} ${tag} webhook`,
          );
          const svc = want.find((o) => o.kind === 'Service');
          if (svc !== undefined) assertLiveEqualsRender(got.service, svc, `${v} ${tag} service`);
          else assert.equal(got.service, undefined);
          assert.deepEqual(
            (JSON.parse(got.webhook?.metadata.annotations?.[HISTORY] ?? '[]') as { revision: string }[]).map(
              (h) => h.revision,
            ),
            [revOf(start)],
          );
        }
      } finally {
        await c.close();
      }
    });
  }

  it('a patch release between the fixtures (1.29.3) renders by range', async () => {
    const text = (v: string, f: string): string => JSON.stringify(helmRender(v, f));
    const as1293 = (s: string): KubeObject[] =>
      JSON.parse(s.replaceAll('1-28-10', '1-29-3').replaceAll('1.28.10', '1.29.3')) as KubeObject[];
    const c = await startCluster(
      [
        namespace('istio-system'),
        ...istiod('1.27.9'),
        ...as1293(JSON.stringify(istiod('1.28.10'))),
        ...tagObjects('1.27.9', 'prod'),
      ],
      { istiod: false },
    );
    try {
      const r = await ambient(['tag-move', 'prod', '1-29-3', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      const want = as1293(text('1.28.10', 'tag-prod-rev-1-28-10.yaml'));
      assertLiveEqualsRender(
        live(c, 'prod').webhook,
        want.find((o) => o.kind === 'MutatingWebhookConfiguration')!,
        'webhook',
      );
      assertLiveEqualsRender(
        live(c, 'prod').service,
        want.find((o) => o.kind === 'Service')!,
        'service',
      );
    } finally {
      await c.close();
    }
  });
});

describe('tag-move on mid-upgrade', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());

  const refusals: [string, string[], number, RegExp][] = [
    [
      'uppercase tag',
      ['tag-move', 'Prod', '1-28-10'],
      65,
      /^error: invalid tag name "Prod": must consist of lower-case/,
    ],
    ['too long tag', ['tag-move', 'a'.repeat(44), '1-28-10'], 65, /must be at most 43 characters/],
    ['dots in tag', ['tag-move', 'pr..od', '1-28-10'], 65, /invalid tag name "pr\.\.od"/],
    ['space in revision', ['tag-move', 'prod', '1 28'], 65, /invalid revision name "1 28"/],
    ['empty tag', ['tag-move', '', '1-28-10'], 65, /invalid tag name "": must not be empty/],
    [
      'unknown revision',
      ['tag-move', 'prod', '1-99-0'],
      65,
      /^error: revision "1-99-0" not found in namespace istio-system .*installed revisions: 1-27-9, 1-28-10/,
    ],
    [
      'tag named like a revision',
      ['tag-move', '1-27-9', '1-28-10', '--create'],
      65,
      /cannot use "1-27-9" as a tag: a control-plane revision has that name/,
    ],
    ['unknown tag without --create', ['tag-move', 'blue', '1-28-10'], 65, /tag "blue" does not exist .*pass --create/],
    [
      '--wait with --dry-run',
      ['tag-move', 'prod', '1-28-10', '--dry-run', '--wait'],
      64,
      /--wait cannot be combined with --dry-run/,
    ],
    [
      '--wait with a bare --dry-run last',
      ['tag-move', 'prod', '1-28-10', '--wait', '--dry-run'],
      64,
      /--wait cannot be combined with --dry-run/,
    ],
    [
      'no TTY and no --yes',
      ['tag-move', 'prod', '1-28-10'],
      64,
      /refusing to change the cluster without confirmation: stdin is not a terminal; pass --yes/,
    ],
    [
      'bad --dry-run value',
      ['tag-move', 'prod', '1-28-10', '--dry-run=maybe'],
      64,
      /^error: invalid --dry-run "maybe": use --dry-run=client or --dry-run=server; run "kubectl ambient tag-move --help"$/m,
    ],
  ];
  for (const [name, argv, code, message] of refusals) {
    it(`refuses: ${name} (exit ${code}, nothing changed)`, async () => {
      const before = state(c);
      const r = await ambient(argv, { kubeconfig: c.kubeconfig });
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(
        r.stderr
          .trimEnd()
          .split('\n')
          .filter((l) => l.startsWith('error:')).length,
        1,
      );
      assert.equal(r.stdout, '');
      assert.deepEqual(state(c), before);
    });
  }

  it('shows the diff and the warnings, and --dry-run=client changes nothing', async () => {
    const before = c.sim.dump();
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run=client'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^tag prod: 1-27-9 -> 1-28-10 \(1\.28\.10\)$/m);
    assert.match(r.stderr, /^ {2}~ MutatingWebhookConfiguration istio-revision-tag-prod$/m);
    assert.match(r.stderr, /^ {6}label istio\.io\/rev: 1-27-9 -> 1-28-10$/m);
    assert.match(r.stderr, /^ {6}webhooks\[\*\]\.clientConfig\.service\.name: istiod-1-27-9 -> istiod-1-28-10$/m);
    assert.match(r.stderr, /^ {6}history: \+ 1-27-9$/m);
    assert.match(r.stderr, /^ {2}\+ Service istio-system\/istiod-revision-tag-prod \(new\)$/m);
    assert.match(
      r.stderr,
      /^warning: 2 gateway\(s\)\/waypoint\(s\) follow prod and the old revision \(1\.27\.9\) is in 1\.24\.3-1\.29\.4/m,
    );
    assert.match(r.stderr, /^warning: ambient namespace\(s\) reviews carry istio\.io\/rev=prod/m);
    assert.match(r.stderr, /dry run \(client\): nothing was sent to the cluster/);
    assert.equal(r.stdout, '');
    assert.deepEqual(c.sim.dump(), before);
  });

  it('--dry-run=client -o yaml prints exactly the objects that would be applied', async () => {
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run=client', '-o', 'yaml'], {
      kubeconfig: c.kubeconfig,
    });
    const objects = parseObjects(r.stdout);
    // Plain YAML, as kubectl prints it: no anchors (&a1) and aliases (*a1) for values that repeat.
    assert.doesNotMatch(r.stdout, /(^|[\s:-])[&*][a-z]\d+\b/m, r.stdout);
    // In the order their final states are written: the webhook, which records the operation, last.
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Service/istiod-revision-tag-prod', 'MutatingWebhookConfiguration/istio-revision-tag-prod'],
    );
    const want = helmRender('1.28.10', 'tag-prod-rev-1-28-10.yaml');
    assertLiveEqualsRender(
      objects[1],
      want.find((o) => o.kind === 'MutatingWebhookConfiguration')!,
      'printed webhook',
    );
    assertLiveEqualsRender(
      objects[0],
      want.find((o) => o.kind === 'Service')!,
      'printed Service',
    );
    const json = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run=client', '-o', 'json'], {
      kubeconfig: c.kubeconfig,
    });
    assert.equal((JSON.parse(json.stdout) as { kind: string; items: unknown[] }).items.length, 2);
  });

  it('--dry-run=server sends dryRun=All and persists nothing', async () => {
    const before = c.sim.dump();
    c.sim.clearRequests();
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run=server', '--yes'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dry run \(server\): the API server accepted all 2 write\(s\); nothing was persisted/);
    const writes = c.sim.requests.filter((q) => q.method !== 'GET');
    assert.deepEqual(
      writes.map((q) => [q.method, q.resource, q.query['dryRun']]),
      [
        ['POST', 'services', 'All'],
        ['PUT', 'mutatingwebhookconfigurations', 'All'],
      ],
    );
    assert.deepEqual(c.sim.dump(), before);
  });

  it('asks on a TTY; "n" changes nothing', async () => {
    const before = state(c);
    const r = await ambient(['tag-move', 'prod', '1-28-10'], {
      kubeconfig: c.kubeconfig,
      stdinIsTTY: true,
      answers: ['n'],
    });
    assert.equal(r.code, 0);
    assert.deepEqual(r.io.prompts, [`Move tag prod on context sim (${c.sim.url}) from 1-27-9 to 1-28-10? [y/N] `]);
    assert.match(r.stderr, /aborted: nothing was changed/);
    assert.deepEqual(state(c), before);
  });
});

describe('tag-move safety', () => {
  it('a conflict (someone moves the tag in between) stops with exit 75 and leaves their change', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.onRequest((req) => {
        if (req.method === 'PUT' && req.name === 'istio-revision-tag-prod') {
          const theirs = structuredClone(c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' })!);
          theirs.metadata.labels = { ...theirs.metadata.labels, 'someone-else': 'was-here' };
          c.sim.upsert(theirs);
          c.sim.onRequest(undefined);
        }
      });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 75, r.stderr);
      assert.match(
        r.stderr,
        /^error: conflict on update mutatingwebhookconfigurations\.admissionregistration\.k8s\.io istio-revision-tag-prod: .*re-run/m,
      );
      const { webhook, service } = live(c, 'prod');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.equal(webhook?.metadata.labels?.['someone-else'], 'was-here');
      assert.equal(service, undefined);
    } finally {
      await c.close();
    }
  });

  it('a refusal found by the server dry run stops before any write', async () => {
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      const before = state(c);
      c.sim.inject({ match: { method: 'POST', resource: 'services' }, status: 500, times: 5 });
      c.sim.clearRequests();
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 76, r.stderr);
      assert.match(
        r.stderr,
        /^error: the API server failed on create services istiod-revision-tag-prod -n istio-system .*; nothing was changed; /m,
      );
      assert.deepEqual(
        c.sim.requests.filter((q) => q.method !== 'GET' && q.query['dryRun'] === undefined),
        [],
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('a failure on the second object undoes the first (the operation record): the cluster is as before', async () => {
    // Without the istiod-like controller: it would re-render the waypoints for the brief move (real istiod does too).
    const c = await startCluster('mid-upgrade', { istiod: false });
    try {
      const before = state(c);
      c.sim.onRequest((req) => {
        // A hook that throws makes the simulator answer 500 (only the real write; the dry run passes).
        if (req.method === 'POST' && req.resource === 'services' && req.query['dryRun'] === undefined)
          throw new Error('injected fault');
      });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      c.sim.onRequest(undefined);
      assert.equal(r.code, 76, r.stderr);
      assert.match(
        r.stderr,
        /^error: the API server failed on create services .*; the 1 write\(s\) already made were undone, nothing changed; now: Service istiod-revision-tag-prod absent, webhook istio-revision-tag-prod -> 1-27-9; retry later/m,
      );
      assert.deepEqual(state(c), before);
    } finally {
      await c.close();
    }
  });

  it('refuses a target whose istiod is not ready unless --force', async () => {
    const notReady = istiod('1.28.10').map((o) =>
      o.kind === 'Deployment'
        ? { ...o, metadata: { ...o.metadata, annotations: { 'sim.kubectl-ambient.dev/never-ready': 'true' } } }
        : o,
    );
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.27.9'),
      ...notReady,
      ...tagObjects('1.27.9', 'prod'),
    ]);
    try {
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /^error: istiod of revision 1-28-10 is not ready \(0\/1\); wait for it, or pass --force/);
      assert.equal(live(c, 'prod').webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      const forced = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--force', '--no-wait'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(live(c, 'prod').webhook?.metadata.labels?.['istio.io/rev'], '1-28-10');
    } finally {
      await c.close();
    }
  });

  it('a tag already on the revision: says so, changes nothing, exit 0', async () => {
    const c = await startCluster([namespace('istio-system'), ...istiod('1.30.3'), ...tagObjects('1.30.3', 'prod')]);
    try {
      const before = c.sim.dump();
      const r = await ambient(['tag-move', 'prod', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /tag prod already points at 1-30-3 \(1\.30\.3\) and its objects match the chart: nothing to do/,
      );
      assert.deepEqual(c.sim.dump(), before);
    } finally {
      await c.close();
    }
  });

  it('--create makes a new tag; default also moves istiod-default-validator', async () => {
    const validator = helmRender('1.28.10', 'base-default-validator-rev-1-28-10.yaml');
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.28.10'),
      ...istiod('1.30.3'),
      ...tagObjects('1.28.10', 'default'),
      ...validator,
    ]);
    try {
      const r = await ambient(['tag-move', 'blue', '1-30-3', '--create', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(live(c, 'blue').webhook?.metadata.labels?.['istio.io/rev'], '1-30-3');
      const d = await ambient(['tag-move', 'default', '1-30-3', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stderr, /~ ValidatingWebhookConfiguration istiod-default-validator/);
      const v = c.sim.get({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        name: 'istiod-default-validator',
      });
      assert.equal(v?.metadata.labels?.['istio.io/rev'], '1-30-3');
      assert.deepEqual(
        (v?.['webhooks'] as { clientConfig: { service: { name: string } } }[]).map((w) => w.clientConfig.service.name),
        ['istiod-1-30-3'],
      );
      const tags = JSON.parse(
        (await ambient(['tags', 'default', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.equal(tags.objects.consistent, true);
    } finally {
      await c.close();
    }
  });

  it('a pre-1.28 target deletes the tag Service (§7: left, it keeps the newer istiod claiming the tag); a rollback re-creates it', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.27.9'),
      ...istiod('1.28.10'),
      ...tagObjects('1.28.10', 'prod'),
    ]);
    try {
      const r = await ambient(['tag-move', 'prod', '1-27-9', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^ {2}- Service istio-system\/istiod-revision-tag-prod \(deleted: the 1\.27\.9 chart renders no tag Service/m,
      );
      const { webhook, service } = live(c, 'prod');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.equal(service, undefined);
      const tags = JSON.parse(
        (await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.deepEqual(
        tags.history.map((h) => [h.revision, h.objects]),
        [['1-28-10', ['webhook', 'service']]],
      );
      const back = await ambient(['tag-rollback', 'prod', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(back.code, 0, back.stderr);
      assertLiveEqualsRender(
        live(c, 'prod').service,
        helmRender('1.28.10', 'tag-prod-rev-1-28-10.yaml').find((o) => o.kind === 'Service')!,
        'Service after the rollback',
      );
    } finally {
      await c.close();
    }
  });
});

describe('tag-move warns only about a move that will happen', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('mid-upgrade')));
  after(() => c.close());
  const services = (): string[] =>
    c.sim
      .list({ apiVersion: 'v1', kind: 'Service', namespace: 'istio-system' })
      .map((s) => s.metadata.name ?? '')
      .sort();

  it('a no-op (canary is on 1-28-10, a revision in the empty-config window): no warning at all, exit 0', async () => {
    const before = state(c);
    const r = await ambient(['tag-move', 'canary', '1-28-10', '--yes'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      'tag canary already points at 1-28-10 (1.28.10) and its objects match the chart: nothing to do\n',
    );
    assert.deepEqual(state(c), before);
  });

  it('a repair that moves no follower (the tag Service is missing): no empty-config warning; the Service is back', async () => {
    c.sim.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'istio-system', name: 'istiod-revision-tag-canary' });
    const r = await ambient(['tag-move', 'canary', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ {2}\+ Service istio-system\/istiod-revision-tag-canary \(new\)$/m);
    assert.doesNotMatch(r.stderr, /empty config/);
    assert.ok(services().includes('istiod-revision-tag-canary'));
  });

  it('a move that happens still warns (prod: its followers move off 1.27.9)', async () => {
    const r = await ambient(['tag-move', 'prod', '1-28-10', '--dry-run'], { kubeconfig: c.kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: 2 gateway\(s\)\/waypoint\(s\) follow prod and the old revision \(1\.27\.9\) is in 1\.24\.3-1\.29\.4/m,
    );
  });
});

describe('tag-move warnings before confirming', () => {
  it('names a Helm release, a pre-1.24.3 target with tag-labelled waypoints, and a move two minors back', async () => {
    const helmOwned = tagObjects('1.30.3', 'prod').map((o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { 'meta.helm.sh/release-name': 'istiod' } },
    }));
    const wp = { name: 'waypoint', namespace: 'bookinfo', rev: 'prod' };
    const c = await startCluster([
      namespace('istio-system'),
      namespace('bookinfo'),
      ...istiod('1.30.3'),
      ...istiod('1.24.0'),
      ...helmOwned,
      gateway(wp),
      proxyDeployment(wp, '1-30-3', '1.30.3'),
    ]);
    try {
      const r = await ambient(['tag-move', 'prod', '1-24-0', '--dry-run'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^warning: tag prod is owned by Helm release "istiod": a later "helm upgrade istiod" moves it back/m,
      );
      assert.match(
        r.stderr,
        /^warning: 1 gateway\(s\)\/waypoint\(s\) carry istio\.io\/rev=prod, but 1-24-0 \(1\.24\.0\) predates 1\.24\.3: they will not be programmed/m,
      );
      assert.match(r.stderr, /^warning: this moves prod back more than one minor version \(1\.30\.3 -> 1\.24\.0\)/m);
      assert.doesNotMatch(r.stderr, /empty config/); // neither 1.30.3 nor 1.24.0 is in the window
    } finally {
      await c.close();
    }
  });
});

describe('tag-move --wait', () => {
  it('waits until every waypoint following the tag runs the new revision', async () => {
    const c = await startCluster('mid-upgrade', {
      istiod: { renderDelayMs: 50 },
      controllers: { workloads: { readyDelayMs: 100 } },
    });
    try {
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait', '--timeout', '10s'], {
        kubeconfig: c.kubeconfig,
        stderrIsTTY: true,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.io.spinnerLog.includes('waypoints on 1-28-10: 0/2'), r.io.spinnerLog.join('\n'));
      assert.equal(r.io.spinnerLog.at(-1), 'waypoints on 1-28-10: 2/2');
      const tags = JSON.parse(
        (await ambient(['tags', 'prod', '-o', 'json'], { kubeconfig: c.kubeconfig })).stdout,
      ) as TagView;
      assert.deepEqual(
        tags.gateways.map((g) => [g.runningRevisions.join('+'), g.ready]),
        [
          ['1-28-10', true],
          ['1-28-10', true],
        ],
      );
      assert.equal(tags.previousRevision, '1-27-9');
    } finally {
      await c.close();
    }
  });

  it('times out with exit 4, what is not ready and the rollback command', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const d = c.sim.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'bookinfo', name: 'waypoint' })!;
      c.sim.upsert({
        ...d,
        metadata: { ...d.metadata, annotations: { 'sim.kubectl-ambient.dev/never-ready': 'true' } },
      });
      const r = await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--wait', '--timeout', '1s'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(r.code, 4, r.stderr);
      assert.match(
        r.stderr,
        /^error: timed out after 1s: the move of prod to 1-28-10 is applied, but not yet on 1-28-10: bookinfo\/waypoint; .*to roll back run "kubectl ambient tag-rollback prod"$/m,
      );
      assert.equal(live(c, 'prod').webhook?.metadata.labels?.['istio.io/rev'], '1-28-10');
    } finally {
      await c.close();
    }
  });
});

describe('tag-rollback', () => {
  it('A -> B -> C, then two rollbacks land on A; a third has no history', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.26.8'),
      ...istiod('1.27.9'),
      ...istiod('1.28.10'),
      ...tagObjects('1.26.8', 'prod'),
    ]);
    try {
      const run = (argv: string[]) => ambient([...argv, '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
      assert.equal((await run(['tag-move', 'prod', '1-27-9'])).code, 0);
      assert.equal((await run(['tag-move', 'prod', '1-28-10'])).code, 0);
      const list = await ambient(['tag-rollback', 'prod', '--list', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.deepEqual(
        (JSON.parse(list.stdout) as { history: { revision: string }[] }).history.map((h) => h.revision),
        ['1-26-8', '1-27-9'],
      );
      const r1 = await run(['tag-rollback', 'prod']);
      assert.equal(r1.code, 0, r1.stderr);
      assert.match(r1.stderr, /tag prod: 1-28-10 -> 1-27-9/);
      assert.match(
        r1.stderr,
        /^next: check with "kubectl ambient tags prod"; undo with "kubectl ambient tag-move prod 1-28-10"$/m,
      );
      assert.equal(live(c, 'prod').webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.equal(
        live(c, 'prod').service,
        undefined,
        'the Service the move to 1.28 created is removed: the tag had none at 1-27-9',
      );
      assertLiveEqualsRender(
        live(c, 'prod').webhook,
        helmRender('1.27.9', 'tag-prod-rev-1-27-9.yaml')[0]!,
        "webhook back at 1-27-9 (the 1.27 chart's labels)",
      );
      const r2 = await run(['tag-rollback', 'prod']);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(live(c, 'prod').webhook?.metadata.labels?.['istio.io/rev'], '1-26-8');
      assert.deepEqual(JSON.parse(live(c, 'prod').webhook?.metadata.annotations?.[HISTORY] ?? 'null'), []);
      const r3 = await run(['tag-rollback', 'prod']);
      assert.equal(r3.code, 65);
      assert.match(
        r3.stderr,
        /^error: tag "prod" has no recorded history .*run "kubectl ambient tag-move prod <revision>" \(installed revisions: 1-26-8, 1-27-9, 1-28-10\)/,
      );
    } finally {
      await c.close();
    }
  });

  it('refuses when the previous revision is gone; --to picks another', async () => {
    const c = await startCluster([
      namespace('istio-system'),
      ...istiod('1.27.9'),
      ...istiod('1.28.10'),
      ...tagObjects('1.27.9', 'prod'),
    ]);
    try {
      assert.equal(
        (await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait'], { kubeconfig: c.kubeconfig })).code,
        0,
      );
      for (const o of istiod('1.27.9'))
        if (o.metadata.name !== undefined)
          c.sim.remove({
            apiVersion: o.apiVersion,
            kind: o.kind,
            name: o.metadata.name,
            ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
          });
      const r = await ambient(['tag-rollback', 'prod', '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 65);
      assert.match(
        r.stderr,
        /the previous revision of "prod", 1-27-9, is no longer installed; pick one with --to \(installed: 1-28-10\)/,
      );
    } finally {
      await c.close();
    }
  });
});
