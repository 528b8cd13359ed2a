/**
 * Contract (issue 12): tag moves and rollbacks interrupted at every write, on both backends, through
 * a proxy of our own (test/support/proxy.ts) that can hold, drop, barrier and kill between the
 * server's answer and the client's. `prod` is webhook + Service (a 1.28+ target creates the
 * Service), `default` is webhook + Service + istiod-default-validator.
 *
 * After each interruption: `tags` flags exactly what is wrong (`incomplete`, with the commands that
 * finish and undo it), re-running converges, and the history holds each move once. Everything
 * synchronises on the proxy's request log and the CLI's output; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { TagView } from '../../src/core/views.ts';
import { scenarios } from '../cluster/scenarios.ts';
import type { KubeObject } from '../cluster/types.ts';
import { autoWebhook, helmRender } from '../support/builders.ts';
import { ambient, type CliResult } from '../support/cli.ts';
import { barrier, hold, isWrite, startProxy, type Proxy, type ProxyRequest } from '../support/proxy.ts';
import { spawnCli, type CliProcess } from '../support/spawn.ts';
import { forEachBackend, USERS, type Backend } from './backend.ts';
import { writeKubeconfig } from './harness.ts';

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const SVC = '/api/v1/namespaces/istio-system/services';
const HISTORY = 'kubectl-ambient.dev/tag-history';
const OPERATION = 'kubectl-ambient.dev/tag-operation';
const OLD = '1-27-9';
const NEW = '1-28-10';

/** mid-upgrade plus the base chart's istiod-default-validator on the old revision. */
function objects(): KubeObject[] {
  const validator = helmRender('1.28.10', 'base-default-validator-rev-1-28-10.yaml').map(
    (o) => JSON.parse(JSON.stringify(o).replaceAll('1-28-10', OLD).replaceAll('1.28.10', '1.27.9')) as KubeObject,
  );
  return [...scenarios['mid-upgrade']!().objects, ...validator];
}

interface TagState {
  webhook: string | null;
  service: string | null;
  validator: string | null;
  operation: boolean;
  history: string[];
}

async function get(b: Backend, path: string): Promise<KubeObject | undefined> {
  const r = await b.api('GET', path);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.text);
  return r.body as KubeObject;
}

/** What the API server holds for a tag. */
async function stateOf(b: Backend, tag: string): Promise<TagState> {
  const webhook = await get(b, `${MWC}/istio-revision-tag-${tag}`);
  const service = await get(b, `${SVC}/istiod-revision-tag-${tag}`);
  const validator = tag === 'default' ? await get(b, `${VWC}/istiod-default-validator`) : undefined;
  const rev = (o: KubeObject | undefined): string | null => o?.metadata.labels?.['istio.io/rev'] ?? null;
  return {
    webhook: rev(webhook),
    service: rev(service),
    validator: rev(validator),
    operation: webhook?.metadata.annotations?.[OPERATION] !== undefined,
    history: (JSON.parse(webhook?.metadata.annotations?.[HISTORY] ?? '[]') as { revision: string }[]).map(
      (h) => h.revision,
    ),
  };
}

const at = (tag: string, rev: string, history: string[], service: boolean): TagState => ({
  webhook: rev,
  service: service ? rev : null,
  validator: tag === 'default' ? rev : null,
  operation: false,
  history,
});
/** Where each tag starts: on the old revision, no Service (1.27 renders none), no history. */
const initial = (tag: string): TagState => at(tag, OLD, [], false);
/** Where a completed move leaves it. */
const moved = (tag: string): TagState => at(tag, NEW, [OLD], true);

/** The writes of each operation in order, as the proxy sees them. */
const WRITES: Record<string, { move: string[]; rollback: string[] }> = {
  prod: {
    move: ['record', 'create Service', 'final webhook'],
    rollback: ['record', 'delete Service', 'final webhook'],
  },
  default: {
    move: ['record', 'create Service', 'validator', 'final webhook'],
    rollback: ['record', 'delete Service', 'validator', 'final webhook'],
  },
};

forEachBackend('interrupted tag moves and rollbacks', objects, (backend) => {
  let proxy: Proxy;
  let dir: string;
  let viaProxy: string;
  before(async () => {
    const b = backend();
    proxy = await startProxy({ url: b.url, ca: b.ca });
    dir = mkdtempSync(join(tmpdir(), 'ambient-interrupt-'));
    viaProxy = join(dir, 'kubeconfig-proxy');
    writeKubeconfig(viaProxy, proxy.url, USERS.admin.token, undefined, 'proxy');
  });
  after(async () => {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** In-process, straight to the server (no proxy rules in the way). */
  const direct = (argv: string[]): Promise<CliResult> => ambient(argv, { kubeconfig: backend().kubeconfig.admin });
  /** In-process through the proxy. */
  const proxied = (argv: string[]): Promise<CliResult> => ambient(argv, { kubeconfig: viaProxy });
  const spawn = (argv: string[]): Promise<CliProcess> => spawnCli([...argv, '--kubeconfig', viaProxy], { home: dir });

  async function tagView(tag: string): Promise<TagView> {
    const r = await direct(['tags', tag, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as TagView;
  }

  /** `tags` flags an incomplete operation with its commands, in the JSON and the table; or nothing. */
  async function assertFlags(tag: string, incomplete: { finish: string; undo: string } | undefined): Promise<void> {
    const view = await tagView(tag);
    const errors = view.problems.filter((p) => p.severity === 'error').map((p) => p.code);
    if (incomplete === undefined) {
      assert.deepEqual(errors, [], JSON.stringify(view.problems));
      assert.equal(view.operation, null);
      assert.equal(view.objects.consistent, true);
      return;
    }
    assert.deepEqual(errors, ['incomplete'], JSON.stringify(view.problems));
    assert.deepEqual([view.operation?.finish, view.operation?.undo], [incomplete.finish, incomplete.undo]);
    const message = view.problems.find((p) => p.code === 'incomplete')?.message ?? '';
    assert.ok(message.includes(`"${incomplete.finish}"`) && message.includes(`"${incomplete.undo}"`), message);
    const table = await direct(['tags']);
    assert.match(table.stdout, new RegExp(`^${tag}\\s.*\\sINCOMPLETE$`, 'm'));
    assert.match(table.stderr, /^problem: tag .* did not complete/m);
  }

  /** Runs `argv` as a process through the proxy and SIGKILLs it right after its `n`th write landed (before it sees the answer). */
  async function killedAfterWrite(argv: string[], n: number): Promise<void> {
    let count = 0;
    let started!: (c: CliProcess) => void;
    const running = new Promise<CliProcess>((resolve) => (started = resolve));
    proxy.intercept(
      (r) => isWrite(r) && ++count === n,
      async (x) => {
        await x.forward();
        const c = await running;
        c.proc.kill('SIGKILL');
        await c.exited;
        x.drop();
      },
    );
    const child = await spawn(argv);
    started(child);
    const exit = await child.exited;
    proxy.clearRules();
    assert.equal(
      exit.signal,
      'SIGKILL',
      `expected a kill after write ${n}; the CLI exited ${exit.code ?? '?'}:\n${child.stderr()}`,
    );
  }

  async function mustRun(argv: string[], via = direct): Promise<CliResult> {
    const r = await via(argv);
    assert.equal(r.code, 0, `${argv.join(' ')}:\n${r.stderr}`);
    return r;
  }

  for (const tag of ['prod', 'default']) {
    const moveCmds = { finish: `kubectl ambient tag-move ${tag} ${NEW}`, undo: `kubectl ambient tag-rollback ${tag}` };
    const rollbackCmds = {
      finish: `kubectl ambient tag-rollback ${tag}`,
      undo: `kubectl ambient tag-move ${tag} ${NEW}`,
    };
    const writes = WRITES[tag]!;

    writes.move.forEach((name, i) => {
      const n = i + 1;
      const last = n === writes.move.length;
      it(`${tag}: tag-move killed (SIGKILL) after write ${n} (${name}): ${last ? 'complete' : 'incomplete, the same command finishes it'}`, async () => {
        const b = backend();
        assert.deepEqual(await stateOf(b, tag), initial(tag));
        await killedAfterWrite(['tag-move', tag, NEW, '--yes', '--no-wait'], n);
        const left = await stateOf(b, tag);
        assert.equal(left.operation, !last, JSON.stringify(left));
        assert.deepEqual(left.history, last ? [OLD] : [], 'the history changes only with the last write');
        await assertFlags(tag, last ? undefined : moveCmds);
        const again = await mustRun(['tag-move', tag, NEW, '--yes', '--no-wait']);
        if (last) assert.match(again.stderr, /nothing to do/);
        else {
          assert.match(again.stderr, new RegExp(`finishing the interrupted tag-move ${OLD} -> ${NEW}`));
          // The final message reads every object of the tag back, the ones this run did not write included.
          assert.match(
            again.stderr,
            new RegExp(
              `^ {2}read back: Service istiod-revision-tag-${tag} -> ${NEW}, ${tag === 'default' ? `validator istiod-default-validator -> ${NEW}, ` : ''}webhook istio-revision-tag-${tag} -> ${NEW}$`,
              'm',
            ),
          );
        }
        assert.deepEqual(await stateOf(b, tag), moved(tag));
        await assertFlags(tag, undefined);
        // Idempotent: once more changes nothing.
        assert.match((await mustRun(['tag-move', tag, NEW, '--yes', '--no-wait'])).stderr, /nothing to do/);
        await mustRun(['tag-rollback', tag, '--yes', '--no-wait']);
        assert.deepEqual(await stateOf(b, tag), initial(tag));
      });
    });

    it(`${tag}: tag-move killed after write 2: tag-rollback undoes it, the history stays as it was`, async () => {
      const b = backend();
      await killedAfterWrite(['tag-move', tag, NEW, '--yes', '--no-wait'], 2);
      await assertFlags(tag, moveCmds);
      const undo = await mustRun(['tag-rollback', tag, '--yes', '--no-wait']);
      assert.match(undo.stderr, new RegExp(`undoing the interrupted tag-move ${OLD} -> ${NEW} .*: back to ${OLD}`));
      assert.deepEqual(await stateOf(b, tag), initial(tag));
      await assertFlags(tag, undefined);
      // Nothing left to undo: the history is empty, as before the move.
      assert.equal((await direct(['tag-rollback', tag, '--yes', '--no-wait'])).code, 65);
    });

    writes.rollback.forEach((name, i) => {
      const n = i + 1;
      const last = n === writes.rollback.length;
      it(`${tag}: tag-rollback killed (SIGKILL) after write ${n} (${name}): ${last ? 'complete' : 'incomplete, the same command finishes it'}`, async () => {
        const b = backend();
        await mustRun(['tag-move', tag, NEW, '--yes', '--no-wait']);
        assert.deepEqual(await stateOf(b, tag), moved(tag));
        await killedAfterWrite(['tag-rollback', tag, '--yes', '--no-wait'], n);
        const left = await stateOf(b, tag);
        assert.equal(left.operation, !last);
        assert.deepEqual(left.history, last ? [] : [OLD], 'the history is consumed only with the last write');
        await assertFlags(tag, last ? undefined : rollbackCmds);
        if (!last) {
          const again = await mustRun(['tag-rollback', tag, '--yes', '--no-wait']);
          assert.match(again.stderr, new RegExp(`finishing the interrupted tag-rollback ${NEW} -> ${OLD}`));
        }
        assert.deepEqual(await stateOf(b, tag), initial(tag), 'the Service the move created is gone again');
        await assertFlags(tag, undefined);
      });
    });

    it(`${tag}: tag-rollback killed after write 2: tag-move back undoes it, the history is intact`, async () => {
      const b = backend();
      await mustRun(['tag-move', tag, NEW, '--yes', '--no-wait']);
      await killedAfterWrite(['tag-rollback', tag, '--yes', '--no-wait'], 2);
      await assertFlags(tag, rollbackCmds);
      await mustRun(['tag-move', tag, NEW, '--yes', '--no-wait']);
      assert.deepEqual(await stateOf(b, tag), moved(tag));
      await assertFlags(tag, undefined);
      await mustRun(['tag-rollback', tag, '--yes', '--no-wait']);
      assert.deepEqual(await stateOf(b, tag), initial(tag));
    });
  }

  for (const [tag, signal] of [
    ['prod', 'SIGTERM'],
    ['default', 'SIGHUP'],
  ] as const) {
    it(`${tag}: ${signal} while write 2 is in flight: that write completes, everything is undone, the message says so`, async () => {
      const b = backend();
      let count = 0;
      const held = hold(proxy, (r) => isWrite(r) && ++count === 2);
      const child = await spawn(['tag-move', tag, NEW, '--yes', '--no-wait']);
      const x = await held.arrived;
      child.proc.kill(signal);
      await child.waitForStderr(new RegExp(`${signal}: finishing the request in flight, then undoing`));
      x.reply(await x.forward());
      const exit = await child.exited;
      assert.equal(exit.code, 130, child.stderr());
      assert.match(
        child.stderr(),
        /^error: interrupted before all objects were written; the 2 write\(s\) already made were undone, nothing changed; now: Service istiod-revision-tag-\S+ absent, /m,
      );
      assert.deepEqual(await stateOf(b, tag), initial(tag));
      await assertFlags(tag, undefined);
    });
  }

  it('default: a second SIGTERM while undoing stops at once and says what is left; re-running finishes', async () => {
    const b = backend();
    let count = 0;
    const third = hold(proxy, (r) => isWrite(r) && ++count === 3); // the validator
    const child = await spawn(['tag-move', 'default', NEW, '--yes', '--no-wait']);
    const x = await third.arrived;
    child.proc.kill('SIGTERM');
    await child.waitForStderr(/SIGTERM: finishing the request in flight/);
    const undo = hold(proxy, isWrite); // the first write of the undo
    x.reply(await x.forward());
    const y = await undo.arrived;
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    y.drop();
    assert.equal(exit.code, 130, child.stderr());
    assert.match(
      child.stderr(),
      new RegExp(
        `^error: SIGTERM again: stopped at once; default from the last answers: .*webhook istio-revision-tag-default -> ${OLD} \\(operation \\S+ recorded\\).*; check with "kubectl ambient tags default"; finish with "kubectl ambient tag-move default ${NEW}", undo with "kubectl ambient tag-rollback default"$`,
        'm',
      ),
    );
    assert.match(
      child.stderr(),
      /validator istiod-default-validator -> 1-28-10 \(a write to it is unconfirmed: it may still change\)/,
    );
    await assertFlags('default', {
      finish: `kubectl ambient tag-move default ${NEW}`,
      undo: 'kubectl ambient tag-rollback default',
    });
    await mustRun(['tag-move', 'default', NEW, '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'default'), moved('default'));
    await mustRun(['tag-rollback', 'default', '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'default'), initial('default'));
  });

  const serviceCreate = (r: ProxyRequest): boolean => isWrite(r) && r.method === 'POST' && r.path === SVC;

  it('prod: a write delayed past --request-timeout is settled (read back, sent again) and the late original is refused', async () => {
    const b = backend();
    const held = hold(proxy, serviceCreate);
    const running = proxied(['tag-move', 'prod', NEW, '--yes', '--no-wait', '--request-timeout', '2s']);
    const late = await held.arrived;
    const r = await running; // timed out, read back (absent), created again, finished
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await stateOf(b, 'prod'), moved('prod'));
    const answer = await late.forward();
    late.reply(answer);
    assert.equal(answer.status, 409, 'the original lands after the tool finished and is refused: AlreadyExists');
    assert.deepEqual(await stateOf(b, 'prod'), moved('prod'));
    await assertFlags('prod', undefined);
    await mustRun(['tag-rollback', 'prod', '--yes', '--no-wait']);
  });

  it('prod: a delayed write whose read-back also fails is "unknown" (nothing undone); when it lands later, tags flags it and re-running finishes', async () => {
    const b = backend();
    const held = hold(proxy, serviceCreate);
    let dropping = true;
    proxy.intercept(
      (r) => dropping && r.method === 'GET' && r.path === `${SVC}/istiod-revision-tag-prod`,
      (x) => x.drop(),
      1000,
    );
    const r = await proxied(['tag-move', 'prod', NEW, '--yes', '--no-wait', '--request-timeout', '2s']);
    dropping = false;
    proxy.clearRules();
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /^error: the API server at .* did not answer create services istiod-revision-tag-prod -n istio-system within 2s; whether the creation of Service istio-system\/istiod-revision-tag-prod landed is unknown and it may still land, so nothing was undone; now: Service istiod-revision-tag-prod unknown \(reading it failed\) \(a write to it is unconfirmed: it may still change\), webhook istio-revision-tag-prod -> 1-27-9 \(operation \S+ recorded\); check with "kubectl ambient tags prod"; finish with "kubectl ambient tag-move prod 1-28-10", undo with "kubectl ambient tag-rollback prod"$/m,
    );
    const late = await held.arrived;
    const answer = await late.forward();
    late.reply(answer);
    assert.equal(answer.status, 201, 'the original lands late');
    assert.deepEqual(await stateOf(b, 'prod'), { ...initial('prod'), service: NEW, operation: true });
    await assertFlags('prod', {
      finish: `kubectl ambient tag-move prod ${NEW}`,
      undo: 'kubectl ambient tag-rollback prod',
    });
    await mustRun(['tag-move', 'prod', NEW, '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'prod'), moved('prod'));
    await mustRun(['tag-rollback', 'prod', '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'prod'), initial('prod'));
  });

  it('default: the connection dropped after the validator write landed: the read-back proves it, the move completes', async () => {
    const b = backend();
    const from = proxy.log.length;
    proxy.intercept(
      (r) => isWrite(r) && r.method === 'PUT' && r.path === `${VWC}/istiod-default-validator`,
      async (x) => {
        await x.forward();
        x.drop();
      },
    );
    const r = await proxied(['tag-move', 'default', NEW, '--yes', '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      proxy.log
        .slice(from)
        .filter(
          (e) => e.method === 'PUT' && e.path === `${VWC}/istiod-default-validator` && e.query['dryRun'] === undefined,
        ).length,
      1,
      'landed once, not sent again',
    );
    assert.deepEqual(await stateOf(b, 'default'), moved('default'));
    await mustRun(['tag-rollback', 'default', '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'default'), initial('default'));
  });

  it('prod: two tag-moves racing (a barrier holds both first writes): one wins, the other changes nothing, the history has one entry', async () => {
    const b = backend();
    const raced = barrier(
      proxy,
      2,
      (r) => isWrite(r) && r.method === 'PUT' && r.path === `${MWC}/istio-revision-tag-prod`,
    );
    const [x, y] = await Promise.all([
      proxied(['tag-move', 'prod', NEW, '--yes', '--no-wait']),
      proxied(['tag-move', 'prod', NEW, '--yes', '--no-wait']),
    ]);
    assert.deepEqual((await raced).map((a) => a.status).sort(), [200, 409]);
    assert.deepEqual([x.code, y.code].sort(), [0, 75], `${x.stderr}\n${y.stderr}`);
    const loser = x.code === 75 ? x : y;
    assert.match(
      loser.stderr,
      /^error: conflict on update mutatingwebhookconfigurations\.admissionregistration\.k8s\.io istio-revision-tag-prod: .*; nothing was changed; now: /m,
    );
    assert.deepEqual(await stateOf(b, 'prod'), moved('prod'));
    await assertFlags('prod', undefined);
    await mustRun(['tag-rollback', 'prod', '--yes', '--no-wait']);
    assert.deepEqual(await stateOf(b, 'prod'), initial('prod'));
  });

  it("default: foreign labels, the auto. webhook and an edited timeoutSeconds survive the move and the rollback; the server's diff shows no removal", async () => {
    const b = backend();
    const path = `${MWC}/istio-revision-tag-default`;
    const w = (await get(b, path))!;
    w.metadata.labels = { ...w.metadata.labels, team: 'payments', 'argocd.argoproj.io/instance': 'mesh' };
    const hooks = w['webhooks'] as {
      name: string;
      timeoutSeconds?: number;
      namespaceSelector?: unknown;
      objectSelector?: unknown;
      clientConfig: { service?: { name: string } };
    }[];
    hooks[0]!.timeoutSeconds = 5;
    // §1.3 row 5: the webhook the chart renders for default with enableNamespacesByDefault.
    hooks.push(autoWebhook(hooks.find((h) => h.name === 'object.sidecar-injector.istio.io')!));
    const put = await b.api('PUT', path, { body: w });
    assert.equal(put.status, 200, put.text);
    const dry = await mustRun(['tag-move', 'default', NEW, '--dry-run=server']);
    assert.doesNotMatch(dry.stderr, /: - |team|argocd|timeoutSeconds|auto\./, dry.stderr);
    for (const [cmd, rev] of [
      [['tag-move', 'default', NEW], NEW],
      [['tag-rollback', 'default'], OLD],
    ] as const) {
      await mustRun([...cmd, '--yes', '--no-wait']);
      const live = (await get(b, path))!;
      const liveHooks = live['webhooks'] as typeof hooks;
      assert.equal(live.metadata.labels?.['team'], 'payments');
      assert.equal(live.metadata.labels?.['argocd.argoproj.io/instance'], 'mesh');
      assert.deepEqual(
        liveHooks.map((h) => [h.name, h.clientConfig.service?.name, h.timeoutSeconds]),
        [
          ['rev.namespace.sidecar-injector.istio.io', `istiod-${rev}`, 5],
          ['rev.object.sidecar-injector.istio.io', `istiod-${rev}`, 10],
          ['namespace.sidecar-injector.istio.io', `istiod-${rev}`, 10],
          ['object.sidecar-injector.istio.io', `istiod-${rev}`, 10],
          ['auto.sidecar-injector.istio.io', `istiod-${rev}`, 10],
        ],
      );
    }
    await assertFlags('default', undefined);
  });
});
