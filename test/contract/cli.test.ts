/**
 * Contract: the commands end to end through the real CLI entry point (`ambient([...])`), against
 * both backends loaded with the `mid-upgrade` scenario. There is no istiod on the real server, so the
 * assertions are on the tag objects written, not on waypoint rollouts (`--no-wait`).
 *
 * Under `npm run test:contract` the JSON outputs of the sim run are kept (CONTRACT_OUTPUT_DIR) and the
 * real run must print exactly the same.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import type { RevisionView, TagView } from '../../src/core/views.ts';
import { scenarios } from '../cluster/scenarios.ts';
import type { KubeObject } from '../cluster/types.ts';
import { ambient } from '../support/cli.ts';
import { forEachBackend, type Backend, type BackendKind } from './backend.ts';

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const SVC = '/api/v1/namespaces/istio-system/services';
const HISTORY = 'kubectl-ambient.dev/tag-history';

interface Finding {
  component: string;
  name: string;
  version: string;
  status: string;
  controlPlane: string;
}

/** Drops what legitimately differs between two clusters loaded alike (creation times). */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'created')
        .map(([k, x]) => [k, normalize(x)]),
    );
  return v;
}

/** Keeps the sim's output; on the real run compares with it (same process tree, sim first). */
function crossCheck(kind: BackendKind, name: string, stdout: string): void {
  const dir = process.env['CONTRACT_OUTPUT_DIR'];
  if (dir === undefined || dir === '') return;
  const text = JSON.stringify(normalize(JSON.parse(stdout)), null, 2);
  mkdirSync(join(dir, kind), { recursive: true });
  writeFileSync(join(dir, kind, `${name}.json`), text);
  const sim = join(dir, 'sim', `${name}.json`);
  if (kind === 'real' && existsSync(sim))
    assert.equal(text, readFileSync(sim, 'utf8'), `"${name}" differs between the real server and the simulator`);
}

async function obj(b: Backend, path: string): Promise<KubeObject | undefined> {
  const r = await b.api('GET', path);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.text);
  return r.body as KubeObject;
}

interface Snap {
  webhook: KubeObject | undefined;
  service: KubeObject | undefined;
}
async function tag(b: Backend, name: string): Promise<Snap> {
  return {
    webhook: await obj(b, `${MWC}/istio-revision-tag-${name}`),
    service: await obj(b, `${SVC}/istiod-revision-tag-${name}`),
  };
}
function serviceNames(w: KubeObject | undefined): string[] {
  return ((w?.['webhooks'] ?? []) as { clientConfig: { service?: { name: string } } }[]).map(
    (h) => h.clientConfig.service?.name ?? '',
  );
}
function history(w: KubeObject | undefined): string[] {
  return (JSON.parse(w?.metadata.annotations?.[HISTORY] ?? '[]') as { revision: string }[]).map((h) => h.revision);
}

forEachBackend(
  'commands on mid-upgrade',
  () => scenarios['mid-upgrade']!().objects,
  (backend, kind) => {
    const run = (
      argv: string[],
      user: 'admin' | 'reader' | 'restricted' | 'impersonator' = 'admin',
    ): ReturnType<typeof ambient> => ambient(argv, { kubeconfig: backend().kubeconfig[user] });

    it('revisions: both revisions with tags, namespaces, gateways and ztunnel', async () => {
      const r = await run(['revisions']);
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.trimEnd().split('\n').slice(1);
      // No kubelet or controllers on either backend: the only pods are the two sidecars the scenario creates.
      assert.match(
        rows[0] ?? '',
        /^1-27-9\s+1\.27\.9\s+1\/1\s+yes\s+default,prod\s+1\/1 \(1 on no pods\)\s+3\/3 \(3 on no pods\)\s+2\s+IN USE\s+tags,ns,pods,gw,ztunnel$/,
      );
      assert.match(
        rows[1] ?? '',
        /^1-28-10\s+1\.28\.10\s+1\/1\s+-\s+canary\s+0\s+1\/1 \(1 on no pods\)\s+0\s+IN USE\s+tags,gw$/,
      );
      const j = await run(['revisions', '-o', 'json']);
      assert.equal(j.code, 0, j.stderr);
      const views = JSON.parse(j.stdout) as RevisionView[];
      assert.deepEqual(
        views.map((v) => [v.revision, v.default, v.tags, v.namespaces, v.ztunnel, v.status, v.pods]),
        [
          ['1-27-9', true, ['default', 'prod'], ['legacy', 'reviews'], true, 'in-use', 2],
          ['1-28-10', false, ['canary'], [], false, 'in-use', 0],
        ],
      );
      crossCheck(kind, 'revisions-before', j.stdout);
    });

    it('tags: revision, objects and problems of every tag', async () => {
      const r = await run(['tags', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const views = JSON.parse(r.stdout) as TagView[];
      assert.deepEqual(
        views.map((v) => [v.tag, v.revision, v.objects.consistent]),
        [
          ['default', '1-27-9', true],
          ['canary', '1-28-10', true],
          ['prod', '1-27-9', true],
        ],
      );
      assert.deepEqual(
        views.find((v) => v.tag === 'prod')?.problems.map((p) => p.code),
        ['ambient-sidecar'],
      );
      crossCheck(kind, 'tags-before', r.stdout);
    });

    it("skew: the Kubernetes version is the server's own, with the support verdict for it", async () => {
      const b = backend();
      const r = await run(['skew', '-o', 'json']);
      const { findings } = JSON.parse(r.stdout) as { findings: Finding[] };
      const k8s = findings.filter((f) => f.component === 'kubernetes');
      assert.equal(k8s.length, 2);
      for (const f of k8s) assert.equal(f.version, b.version);
      // Istio 1.27 and 1.28 support Kubernetes 1.29 and later.
      const minor = Number(/^v1\.(\d+)/.exec(b.version)?.[1]);
      if (minor < 29) for (const f of k8s) assert.equal(f.status, 'fail');
      assert.equal(r.code, findings.some((f) => f.status === 'fail') ? 3 : 0, r.stderr);
      assert.deepEqual(
        findings.filter((f) => f.component === 'ztunnel').map((f) => [f.version, f.controlPlane, f.status]),
        [['1.27.9', '1-27-9', 'ok']],
      );
      crossCheck(kind, 'skew', r.stdout);
    });

    it('tag-move --dry-run=server: the server validates the writes and nothing changes', async () => {
      const b = backend();
      const before = await tag(b, 'prod');
      const r = await run(['tag-move', 'prod', '1-28-10', '--dry-run=server']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /MutatingWebhookConfiguration istio-revision-tag-prod/);
      const after = await tag(b, 'prod');
      assert.equal(after.webhook?.metadata.resourceVersion, before.webhook?.metadata.resourceVersion);
      assert.equal(after.webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.equal(after.service, undefined);
    });

    it('the read-only user: tag-move is refused by RBAC (exit 77, naming verb and resource) and nothing changes', async () => {
      const b = backend();
      const before = await tag(b, 'prod');
      for (const extra of [['--yes', '--no-wait'], ['--dry-run=server']]) {
        const r = await run(['tag-move', 'prod', '1-28-10', ...extra], 'reader');
        assert.equal(r.code, 77, `${extra.join(' ')}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(
          r.stderr,
          /^error: RBAC refused: .*\b(update|create)\b.*\b(mutatingwebhookconfigurations|services)\b/m,
        );
        assert.match(r.stderr, /cannot (update|create) resource "(mutatingwebhookconfigurations|services)"/);
      }
      const after = await tag(b, 'prod');
      assert.equal(after.webhook?.metadata.resourceVersion, before.webhook?.metadata.resourceVersion);
      assert.equal(after.service, undefined);
      // Reading is allowed.
      assert.equal((await run(['tags'], 'reader')).code, 0);
    });

    it('the user who may not list Gateways or Pods: tags and revisions answer and say what they could not read', async () => {
      for (const cmd of ['tags', 'revisions']) {
        const r = await run([cmd], 'restricted');
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          /^warning: gateways could not be read \(RBAC refused: .*cannot list resource "gateways" in API group "gateway\.networking\.k8s\.io".*\): what depends on them is UNKNOWN$/m,
        );
        assert.match(
          r.stderr,
          /^warning: pods could not be read \(RBAC refused: .*cannot list resource "pods" in API group "".*\): what depends on them is UNKNOWN$/m,
        );
      }
      const j = await run(['revisions', '-o', 'json'], 'restricted');
      const views = JSON.parse(j.stdout) as RevisionView[];
      // Both revisions are still in use for what could be read (tags, namespaces, ztunnel); no gateway or pod reasons.
      assert.deepEqual(
        views.map((v) => [v.revision, v.status, [...new Set(v.reasons.map((x) => x.code))]]),
        [
          ['1-27-9', 'in-use', ['tags', 'ns', 'ztunnel']],
          ['1-28-10', 'in-use', ['tags']],
        ],
      );
    });

    it('--as / --as-group: a user who may only impersonate reads as the impersonated user, and writes with its rights', async () => {
      const b = backend();
      const own = await run(['tags'], 'impersonator');
      assert.equal(own.code, 77, own.stderr);
      assert.match(own.stderr, /^error: RBAC refused: .*User "contract-impersonator" cannot list/m);
      const asReader = await run(['tags', '-o', 'json', '--as', 'contract-reader', '-v'], 'impersonator');
      assert.equal(asReader.code, 0, asReader.stderr);
      assert.deepEqual(
        (JSON.parse(asReader.stdout) as TagView[]).map((v) => v.tag),
        ['default', 'canary', 'prod'],
      );
      assert.match(asReader.stderr, /^impersonating: user contract-reader$/m);
      assert.doesNotMatch(asReader.stderr, /contract-impersonator-token/);
      // The reader may not write: refused as the reader, before anything changes.
      const before = await tag(b, 'prod');
      const move = await run(
        ['tag-move', 'prod', '1-28-10', '--yes', '--no-wait', '--as', 'contract-reader'],
        'impersonator',
      );
      assert.equal(move.code, 77, move.stderr);
      assert.match(move.stderr, /User "contract-reader" cannot/);
      assert.equal((await tag(b, 'prod')).webhook?.metadata.resourceVersion, before.webhook?.metadata.resourceVersion);
      // system:masters through --as-group may: a server dry run passes.
      const admin = await run(
        ['tag-move', 'prod', '1-28-10', '--dry-run=server', '--as', 'someone', '--as-group', 'system:masters'],
        'impersonator',
      );
      assert.equal(admin.code, 0, admin.stderr);
      const alone = await run(['tags', '--as-group', 'system:masters'], 'impersonator');
      assert.equal(alone.code, 64);
      assert.match(alone.stderr, /^error: --as-group needs --as/);
    });

    it('tag-move --yes --no-wait: the webhook points at the new revision with history, the tag Service is created', async () => {
      const b = backend();
      const r = await run(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /tag prod now points at 1-28-10 \(1\.28\.10\), was 1-27-9/);
      const { webhook, service } = await tag(b, 'prod');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-28-10');
      assert.equal(webhook?.metadata.labels?.['istio.io/tag'], 'prod');
      assert.deepEqual([...new Set(serviceNames(webhook))], ['istiod-1-28-10']);
      assert.deepEqual(history(webhook), ['1-27-9']);
      assert.equal(service?.metadata.labels?.['istio.io/rev'], '1-28-10');
      assert.equal((service?.['spec'] as { selector: Record<string, string> }).selector['istio.io/rev'], '1-28-10');
      const t = await run(['tags', 'prod', '-o', 'json']);
      assert.equal(t.code, 0, t.stderr);
      const view = JSON.parse(t.stdout) as TagView;
      assert.deepEqual([view?.revision, view?.previousRevision, view?.objects.consistent], ['1-28-10', '1-27-9', true]);
      crossCheck(kind, 'tags-after-move', (await run(['tags', '-o', 'json'])).stdout);
      crossCheck(kind, 'revisions-after-move', (await run(['revisions', '-o', 'json'])).stdout);
    });

    it('a second tag-move to the same revision changes nothing', async () => {
      const b = backend();
      const before = await tag(b, 'prod');
      const r = await run(['tag-move', 'prod', '1-28-10', '--yes', '--no-wait']);
      assert.equal(r.code, 0, r.stderr);
      const after = await tag(b, 'prod');
      assert.equal(after.webhook?.metadata.resourceVersion, before.webhook?.metadata.resourceVersion);
      assert.equal(after.service?.metadata.resourceVersion, before.service?.metadata.resourceVersion);
    });

    it('tag-rollback --yes --no-wait: back to the previous revision and the objects the tag had there (the Service the move created is removed), history consumed', async () => {
      const b = backend();
      const list = await run(['tag-rollback', 'prod', '--list']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout + list.stderr, /1-27-9/);
      const r = await run(['tag-rollback', 'prod', '--yes', '--no-wait']);
      assert.equal(r.code, 0, r.stderr);
      const { webhook, service } = await tag(b, 'prod');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-27-9');
      assert.deepEqual([...new Set(serviceNames(webhook))], ['istiod-1-27-9']);
      assert.deepEqual(history(webhook), []);
      assert.equal(service, undefined);
      const again = await run(['tag-rollback', 'prod', '--yes', '--no-wait']);
      assert.notEqual(again.code, 0);
      crossCheck(kind, 'tags-after-rollback', (await run(['tags', '-o', 'json'])).stdout);
    });

    it('tag-move of default makes the new revision the default', async () => {
      const b = backend();
      const r = await run(['tag-move', 'default', '1-28-10', '--yes', '--no-wait']);
      assert.equal(r.code, 0, r.stderr);
      const { webhook, service } = await tag(b, 'default');
      assert.equal(webhook?.metadata.labels?.['istio.io/rev'], '1-28-10');
      assert.equal((service?.['spec'] as { selector: Record<string, string> }).selector['istio.io/rev'], '1-28-10');
      const rev = await run(['revisions', '-o', 'json']);
      assert.deepEqual(
        (JSON.parse(rev.stdout) as RevisionView[]).map((v) => [v.revision, v.default]),
        [
          ['1-27-9', false],
          ['1-28-10', true],
        ],
      );
      crossCheck(kind, 'revisions-after-default-move', (await run(['revisions', '-o', 'json'])).stdout);
    });
  },
);
