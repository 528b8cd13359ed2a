/**
 * `upgrade REVISION` (issue 18) through the real CLI entry on the simulator: the plan, one
 * confirmation, each tag moved and gated, a failing gate rolled back by itself, re-runs that continue
 * from the cluster's state, Ctrl-C during a gate, -o json. Gates are kept short (--soak, --timeout);
 * tests synchronise on the command's own output (onStderr) and on requests, never on sleeps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpgradePlan, UpgradeResult } from '../../src/core/upgrade.ts';
import { istiodController, istiodStartup } from '../cluster/istiod.ts';
import type { KubeObject } from '../cluster/types.ts';
import { ambient } from '../support/cli.ts';
import { clusterState } from '../support/compare.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';

const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const SVC = { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system' };
const OLD = '1-27-9';
const NEW = '1-28-10';
/** Gateways/waypoints of mid-upgrade by the tag they follow (§3.2: own label, namespace label, else the default). */
const FOLLOWERS: Record<string, [string, string][]> = {
  prod: [
    ['bookinfo', 'waypoint'],
    ['reviews', 'waypoint'],
  ],
  default: [
    ['ingress', 'ingress'],
    ['orders', 'waypoint'],
  ],
  canary: [['payments', 'waypoint']],
};

/** Where a tag's webhook and Service point now (undefined: absent). */
function tagState(c: TestCluster, tag: string): { webhook: string | undefined; service: string | undefined } {
  return {
    webhook: c.sim.get({ ...MWC, name: `istio-revision-tag-${tag}` })?.metadata.labels?.['istio.io/rev'],
    service: c.sim.get({ ...SVC, name: `istiod-revision-tag-${tag}` })?.metadata.labels?.['istio.io/rev'],
  };
}

/** The proxy pods of a Gateway/waypoint. */
function followerPods(c: TestCluster, namespace: string, name: string): KubeObject[] {
  return c.sim.list({
    apiVersion: 'v1',
    kind: 'Pod',
    namespace,
    labelSelector: `gateway.networking.k8s.io/gateway-name=${name}`,
  });
}

/** The revisions the proxy pods of a tag's followers run (their istio.io/rev annotation), sorted and de-duplicated. */
function podRevisions(c: TestCluster, tag: string): string[] {
  const revs = (FOLLOWERS[tag] ?? []).flatMap(([ns, name]) =>
    followerPods(c, ns, name).map((p) => p.metadata.annotations?.['istio.io/rev'] ?? '?'),
  );
  return [...new Set(revs)].sort();
}

/** The Programmed condition of a Gateway. */
function programmed(c: TestCluster, namespace: string, name: string): string | undefined {
  const g = c.sim.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace, name });
  return ((g?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find(
    (x) => x.type === 'Programmed',
  )?.status;
}

/** The JSON documents of a stdout (each `{` ... `}` at the start of a line, as renderJson prints them). */
function jsonDocs(stdout: string): unknown[] {
  return stdout
    .split(/^(?=\{)/m)
    .filter((s) => s.trim() !== '')
    .map((s) => JSON.parse(s) as unknown);
}

/** Plays the kubelet: a restart of the pod's proxy container, optionally stuck in CrashLoopBackOff. */
function restart(c: TestCluster, pod: KubeObject, crashLoop: boolean): void {
  const p = structuredClone(pod);
  const st = p['status'] as { containerStatuses: { restartCount: number; ready: boolean; state: unknown }[] };
  for (const cs of st.containerStatuses) {
    cs.restartCount += crashLoop ? 3 : 1;
    if (crashLoop) {
      cs.ready = false;
      cs.state = {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=istio-proxy' },
      };
    }
  }
  c.sim.upsert(p);
}

const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('error: '));

describe('upgrade on mid-upgrade', () => {
  it('moves every tag to 1-28-10, prod before default, each gated; the followers run it; exit 0', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const r = await ambient(['upgrade', NEW, '--yes', '--soak', '200ms', '--timeout', '1m'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      // The plan: order, what follows each, the preconditions.
      assert.match(
        r.stderr,
        /^Upgrade to 1-28-10 \(1\.28\.10\): 2 tag\(s\) to move, one at a time, fewest gateways\/waypoints first, default last$/m,
      );
      assert.match(r.stderr, /^ {3}1\. canary +on 1-28-10, skip: waypoint payments\/waypoint$/m);
      assert.match(
        r.stderr,
        /^ {3}2\. prod +1-27-9 -> 1-28-10: waypoints bookinfo\/waypoint, reviews\/waypoint; namespaces legacy, reviews$/m,
      );
      assert.match(
        r.stderr,
        /^ {3}3\. default +1-27-9 -> 1-28-10: gateway ingress\/ingress; waypoint orders\/waypoint$/m,
      );
      assert.match(r.stderr, /^ {2}✔ istiod of 1-28-10 is ready \(1\/1\)$/m);
      assert.match(r.stderr, /^ {2}✔ skew --target 1-28-10: no failing finding \(\d+ warning\(s\)\)$/m);
      assert.match(r.stderr, /^ {2}✔ no tag to move is incomplete, split or refused by tag-move$/m);
      // Each move is tag-move's (diff, history, read back), then its gate.
      assert.ok(r.stderr.indexOf('[1/2] tag prod') < r.stderr.indexOf('[2/2] tag default'), r.stderr);
      assert.match(r.stderr, /^ {6}history: \+ 1-27-9$/m);
      assert.match(
        r.stderr,
        /^✔ gate prod passed: 2\/2 healthy on 1-28-10, pods 2\/2, no restart or crash loop in 200ms$/m,
      );
      assert.match(
        r.stderr,
        /^✔ gate default passed: 2\/2 healthy on 1-28-10, pods 2\/2, no restart or crash loop in 200ms$/m,
      );
      assert.match(
        r.stderr,
        /^upgrade to 1-28-10: done, every tag is on 1-28-10 \(2 moved, 0 rolled back, 1 skipped, 0 pending\)$/m,
      );
      assert.match(
        r.stderr,
        /^undo the moved tags: "kubectl ambient tag-rollback default", then "kubectl ambient tag-rollback prod"$/m,
      );
      for (const tag of ['default', 'prod', 'canary']) {
        assert.deepEqual(tagState(c, tag), { webhook: NEW, service: NEW }, tag);
        assert.deepEqual(podRevisions(c, tag), [NEW], `${tag}'s proxies`);
        for (const [ns, name] of FOLLOWERS[tag] ?? []) assert.equal(programmed(c, ns, name), 'True', `${ns}/${name}`);
      }
      // The history of each moved tag records where it was.
      const history =
        c.sim.get({ ...MWC, name: 'istio-revision-tag-prod' })?.metadata.annotations?.[
          'kubectl-ambient.dev/tag-history'
        ] ?? '[]';
      assert.deepEqual(
        (JSON.parse(history) as { revision: string }[]).map((h) => h.revision),
        [OLD],
      );
      // Run again: nothing is left to do.
      const again = await ambient(['upgrade', NEW, '--yes', '--soak', '0s'], { kubeconfig: c.kubeconfig });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /^nothing to do: every tag is on 1-28-10 and its gateways\/waypoints are healthy$/m);
    } finally {
      await c.close();
    }
  });

  it('--dry-run prints the plan and the diff of each move, and changes nothing (client and server)', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const before = c.sim.dump();
      for (const flag of ['--dry-run', '--dry-run=server']) {
        const r = await ambient(['upgrade', NEW, flag], { kubeconfig: c.kubeconfig });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /^ {3}2\. prod +1-27-9 -> 1-28-10/m);
        assert.match(r.stderr, /^tag prod: 1-27-9 -> 1-28-10 \(1\.28\.10\)$/m);
        assert.match(r.stderr, /^tag default: 1-27-9 -> 1-28-10 \(1\.28\.10\)$/m);
        assert.match(
          r.stderr,
          flag === '--dry-run'
            ? /^dry run \(client\): nothing was sent to the cluster$/m
            : /^dry run \(server\): the API server accepted all 2 write\(s\); nothing was persisted$/m,
        );
        assert.match(r.stderr, /^dry run: nothing was changed; run "kubectl ambient upgrade 1-28-10" to upgrade$/m);
        assert.doesNotMatch(r.stderr, /gate prod/);
        assert.equal(r.stdout, '');
      }
      assert.deepEqual(c.sim.dump(), before);
      // Without --yes and without a terminal it refuses before anything (exit 64).
      const r = await ambient(['upgrade', NEW], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 64, r.stderr);
      assert.deepEqual(errorLines(r.stderr), [
        'error: refusing to upgrade without confirmation: stdin is not a terminal; pass --yes to confirm, or --dry-run to only look',
      ]);
      assert.deepEqual(c.sim.dump(), before);
    } finally {
      await c.close();
    }
  });

  it('on a terminal it asks once for the whole plan; "n" changes nothing', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      const before = clusterState(c);
      const no = await ambient(['upgrade', NEW], { kubeconfig: c.kubeconfig, stdinIsTTY: true, answers: ['n'] });
      assert.equal(no.code, 0, no.stderr);
      assert.deepEqual(no.io.prompts, [
        'Upgrade to 1-28-10: move prod, default one at a time, rolling back a tag whose gate fails? [y/N] ',
      ]);
      assert.match(no.stderr, /\? \[y\/N\] aborted: nothing was changed$/m);
      assert.deepEqual(clusterState(c), before);
      const yes = await ambient(['upgrade', NEW, '--soak', '0s'], {
        kubeconfig: c.kubeconfig,
        stdinIsTTY: true,
        stderrIsTTY: true,
        answers: ['y'],
      });
      assert.equal(yes.code, 0, yes.stderr);
      assert.equal(yes.io.prompts.length, 1, 'one question for the whole plan, none per tag');
      // On a terminal, one spinner line per tag with counts (no plain progress lines).
      // (Under load the first look may already find 2/2: then the spinner shows no count and the
      // outcome line says it.)
      assert.ok(
        yes.io.spinnerLog.some((l) => /^gate prod: [0-2]\/2 healthy on 1-28-10, pods \d\/\d/.test(l)) ||
          /^✔ gate prod passed: 2\/2 healthy on 1-28-10, pods 2\/2/m.test(yes.stderr),
        yes.io.spinnerLog.join('\n'),
      );
      assert.doesNotMatch(yes.stderr, /^gate prod: /m);
      assert.match(yes.stderr, /^✔ gate default passed: 2\/2 healthy on 1-28-10, pods 2\/2 \(no soak\)$/m);
    } finally {
      await c.close();
    }
  });

  it('a failing gate rolls its tag back by itself (exit 3): earlier healthy tags stay moved, later ones untouched; re-running after the fix continues', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      // Proxies rendered for 1-28-10 from the move of default on never become ready (a broken data plane).
      c.sim.onRequest((req) => {
        if (req.method === 'PUT' && req.name === 'istio-revision-tag-default' && req.query['dryRun'] === undefined)
          c.sim.setUnhealthyRevisions([NEW]);
      });
      const r = await ambient(['upgrade', NEW, '--yes', '--soak', '0s', '--timeout', '1s'], {
        kubeconfig: c.kubeconfig,
      });
      c.sim.onRequest(undefined);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^✔ gate prod passed/m);
      assert.match(
        r.stderr,
        /^✖ gate default failed: timed out after 1s: 2 of 2 gateway\(s\)\/waypoint\(s\) not healthy on 1-28-10$/m,
      );
      assert.match(
        r.stderr,
        /^ {4}- gateway ingress\/ingress: Deployment ingress-istio not rolled out \(0\/1 ready\); 0\/2 pods on 1-28-10 and Ready \(1 on 1-27-9, 1 not Ready\); Programmed=False \(Pending\)$/m,
      );
      assert.match(
        r.stderr,
        /^ {4}- waypoint orders\/waypoint: Deployment waypoint not rolled out \(0\/1 ready\); 0\/2 pods on 1-28-10 and Ready \(1 on 1-27-9, 1 not Ready\); Programmed=False \(Pending\)$/m,
      );
      assert.match(r.stderr, /^rolling back tag default to 1-27-9$/m);
      assert.match(r.stderr, /^ {2}- Service istio-system\/istiod-revision-tag-default \(deleted: /m);
      assert.match(r.stderr, /^gateways\/waypoints on 1-27-9: 2\/2$/m, 'the rollback waits for the followers');
      assert.match(r.stderr, /^upgrade to 1-28-10 stopped \(1 moved, 1 rolled back, 1 skipped, 0 pending\)$/m);
      assert.match(r.stderr, /^ {2}prod +moved +moved from 1-27-9; gate passed/m);
      assert.match(
        r.stderr,
        /^ {2}default +rolled-back +the gate of default failed: timed out after 1s: 2 of 2 gateway\(s\)\/waypoint\(s\) not healthy on 1-28-10; rolled back to 1-27-9$/m,
      );
      assert.match(r.stderr, /^continue: kubectl ambient upgrade 1-28-10$/m);
      assert.match(r.stderr, /^undo the moved tags: "kubectl ambient tag-rollback prod"$/m);
      const errors = errorLines(r.stderr);
      assert.equal(errors.length, 1, r.stderr);
      assert.match(
        errors[0] ?? '',
        /^error: the gate of default failed: timed out after 1s: 2 of 2 gateway\(s\)\/waypoint\(s\) not healthy on 1-28-10 \(gateway ingress\/ingress: .*Programmed=False \(Pending\); waypoint orders\/waypoint: .*\); default was rolled back to 1-27-9; fix the cause, then continue with "kubectl ambient upgrade 1-28-10"$/,
      );
      assert.deepEqual(tagState(c, 'prod'), { webhook: NEW, service: NEW }, 'prod passed its gate and stays moved');
      assert.deepEqual(
        tagState(c, 'default'),
        { webhook: OLD, service: undefined },
        'default is back where it was, without the Service the move created',
      );
      assert.deepEqual(podRevisions(c, 'default'), [OLD], "default's proxies are back on the old revision");
      assert.deepEqual(podRevisions(c, 'prod'), [NEW]);
      const history = c.sim.get({ ...MWC, name: 'istio-revision-tag-default' })?.metadata.annotations?.[
        'kubectl-ambient.dev/tag-history'
      ];
      assert.deepEqual(JSON.parse(history ?? '[]'), [], 'the rollback consumed the entry the move added');

      // Fixed: the same command continues with what is not on 1-28-10 yet.
      c.sim.setUnhealthyRevisions([]);
      const again = await ambient(['upgrade', NEW, '--yes', '--soak', '0s', '--timeout', '1m'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /^ {3}\d\. prod +on 1-28-10, skip: /m);
      assert.match(again.stderr, /^\[1\/1\] tag default: 1-27-9 -> 1-28-10, then its gate$/m);
      assert.doesNotMatch(again.stderr, /tag prod: 1-27-9 -> 1-28-10/);
      for (const tag of ['default', 'prod', 'canary'])
        assert.deepEqual(tagState(c, tag), { webhook: NEW, service: NEW }, tag);
      assert.deepEqual(podRevisions(c, 'default'), [NEW]);
    } finally {
      await c.close();
    }
  });

  it('a restart during the soak fails the gate: the tag is rolled back', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      let restarted = '';
      const r = await ambient(['upgrade', NEW, '--yes', '--soak', '10m', '--tags', 'prod'], {
        kubeconfig: c.kubeconfig,
        onStderr: (err) => {
          if (restarted !== '' || !/^gate prod: 2\/2 healthy on 1-28-10, pods 2\/2; soaking 10m/m.test(err)) return;
          const pod = followerPods(c, 'bookinfo', 'waypoint').find(
            (p) => p.metadata.annotations?.['istio.io/rev'] === NEW,
          );
          assert.ok(pod);
          restarted = pod.metadata.name ?? '';
          restart(c, pod, false);
        },
      });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^✖ gate prod failed: during the soak of 10m$/m);
      assert.match(
        r.stderr,
        new RegExp(`^ {4}- waypoint bookinfo/waypoint: pod ${restarted} restarted \\(restartCount 0 -> 1\\)$`, 'm'),
      );
      assert.match(
        errorLines(r.stderr)[0] ?? '',
        /^error: the gate of prod failed: during the soak of 10m \(waypoint bookinfo\/waypoint: pod .* restarted \(restartCount 0 -> 1\)\); prod was rolled back to 1-27-9; fix the cause, then continue with "kubectl ambient upgrade 1-28-10 --tags prod"$/,
      );
      assert.deepEqual(tagState(c, 'prod'), { webhook: OLD, service: undefined });
      assert.deepEqual(
        tagState(c, 'default'),
        { webhook: OLD, service: undefined },
        '--tags prod leaves default alone',
      );
    } finally {
      await c.close();
    }
  });

  it('a crash loop on the new revision fails the gate at once, without waiting for --timeout', async () => {
    const c = await startCluster('mid-upgrade', { unhealthyRevisions: [NEW] });
    try {
      let crashed = false;
      const r = await ambient(['upgrade', NEW, '--yes', '--tags', 'prod', '--timeout', '1h'], {
        kubeconfig: c.kubeconfig,
        onStderr: () => {
          const pod = followerPods(c, 'reviews', 'waypoint').find(
            (p) => p.metadata.annotations?.['istio.io/rev'] === NEW,
          );
          if (crashed || pod === undefined) return;
          crashed = true;
          restart(c, pod, true);
        },
      });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^✖ gate prod failed: crash loop on 1-28-10$/m);
      assert.match(
        r.stderr,
        /^ {4}- waypoint reviews\/waypoint: pod waypoint-\w+-0 container istio-proxy in CrashLoopBackOff \(3 restarts\)$/m,
      );
      assert.deepEqual(tagState(c, 'prod'), { webhook: OLD, service: undefined });
    } finally {
      await c.close();
    }
  });

  it('-o json prints the plan, then the outcome of every tag (moved, rolled-back, skipped, pending)', async () => {
    const c = await startCluster('mid-upgrade', { unhealthyRevisions: [NEW] });
    try {
      const dry = await ambient(['upgrade', NEW, '--dry-run', '-o', 'json'], { kubeconfig: c.kubeconfig });
      assert.equal(dry.code, 0, dry.stderr);
      const [only, ...rest] = jsonDocs(dry.stdout) as [UpgradePlan];
      assert.equal(rest.length, 0, 'a dry run stops after the plan');
      assert.equal(only.kind, 'UpgradePlan');
      assert.deepEqual(
        only.tags.map((t) => [t.tag, t.from, t.action, t.followers.length]),
        [
          ['canary', NEW, 'skip', 1],
          ['prod', OLD, 'move', 2],
          ['default', OLD, 'move', 2],
        ],
      );
      assert.deepEqual(
        only.preconditions.map((p) => [p.check, p.ok]),
        [
          ['istiod-ready', true],
          ['skew', true],
          ['tags', true],
        ],
      );

      const r = await ambient(['upgrade', NEW, '--yes', '--soak', '0s', '--timeout', '1s', '-o', 'json'], {
        kubeconfig: c.kubeconfig,
      });
      assert.equal(r.code, 3, r.stderr);
      const [plan, result, ...more] = jsonDocs(r.stdout) as [UpgradePlan, UpgradeResult];
      assert.equal(more.length, 0);
      assert.equal(plan.kind, 'UpgradePlan');
      assert.equal(result.kind, 'UpgradeResult');
      assert.equal(result.status, 'stopped');
      assert.deepEqual(
        result.tags.map((t) => [t.tag, t.outcome, t.gate?.status ?? null]),
        [
          ['canary', 'skipped', null],
          ['prod', 'rolled-back', 'timed-out'],
          ['default', 'pending', null],
        ],
      );
      assert.equal(result.tags[1]?.gate?.failing.length, 2);
      assert.deepEqual(result.next, { continue: 'kubectl ambient upgrade 1-28-10', undo: [] });
      assert.doesNotMatch(r.stderr, /^Upgrade to 1-28-10/m, 'the plan goes to stdout only');
    } finally {
      await c.close();
    }
  });
});

describe('upgrade: Ctrl-C during a gate, and tags already moved', () => {
  it('Ctrl-C during a gate asks nothing: stops waiting, leaves the tag moved, says how to roll back or continue (exit 130)', async () => {
    // istiod takes its time: the gate of prod waits.
    const c = await startCluster('mid-upgrade', { istiod: { renderDelayMs: 60_000 } });
    try {
      const ctrl = new AbortController();
      const r = await ambient(['upgrade', NEW, '--yes', '--soak', '0s'], {
        kubeconfig: c.kubeconfig,
        signal: ctrl.signal,
        onStderr: (err) => {
          if (/^gate prod: /m.test(err)) ctrl.abort();
        },
      });
      assert.equal(r.code, 130, r.stderr);
      assert.equal(r.io.prompts.length, 0);
      assert.match(
        r.stderr,
        /^✖ gate prod interrupted: stopped waiting \(before every follower was healthy\); 0\/2 healthy on 1-28-10, pods 0\/2$/m,
      );
      assert.match(r.stderr, /^upgrade to 1-28-10 interrupted \(1 moved, 0 rolled back, 1 skipped, 1 pending\)$/m);
      assert.match(r.stderr, /^undo the moved tags: "kubectl ambient tag-rollback prod"$/m);
      assert.deepEqual(errorLines(r.stderr), [
        'error: stopped waiting for the gate of prod: it stays on 1-28-10 as it is (stopped waiting (before every follower was healthy); 0/2 healthy on 1-28-10, pods 0/2); roll it back with "kubectl ambient tag-rollback prod", or continue (its gate runs again first) with "kubectl ambient upgrade 1-28-10"',
      ]);
      assert.deepEqual(tagState(c, 'prod'), { webhook: NEW, service: NEW });
      assert.deepEqual(tagState(c, 'default'), { webhook: OLD, service: undefined });
    } finally {
      await c.close();
    }
  });

  it('a tag already on the revision whose followers are not healthy yet is gated before the next move (and rolled back from its history if the gate fails)', async () => {
    for (const healthy of [true, false]) {
      // prod was moved (as by an interrupted upgrade) before istiod re-rendered anything.
      const c = await startCluster('mid-upgrade', { istiod: false, ...(healthy ? {} : { unhealthyRevisions: [NEW] }) });
      try {
        const moved = await ambient(['tag-move', 'prod', NEW, '--yes', '--no-wait'], { kubeconfig: c.kubeconfig });
        assert.equal(moved.code, 0, moved.stderr);
        c.sim.addController(istiodController());
        istiodStartup(c.sim);
        let poked = false;
        const r = await ambient(['upgrade', NEW, '--yes', '--soak', '0s', '--timeout', healthy ? '1m' : '1s'], {
          kubeconfig: c.kubeconfig,
          onStderr: (err) => {
            if (poked || !/^gate prod: /m.test(err)) return;
            poked = true;
            // istiod catches up (any change it watches makes it reconcile): prod's proxies are re-rendered.
            const ns = c.sim.get({ apiVersion: 'v1', kind: 'Namespace', name: 'ingress' });
            assert.ok(ns);
            c.sim.upsert({
              ...ns,
              metadata: { ...ns.metadata, labels: { ...(ns.metadata.labels ?? {}), touched: 'yes' } },
            });
          },
        });
        assert.match(
          r.stderr,
          /^ {3}\d\. prod +on 1-28-10, gate only: waypoints bookinfo\/waypoint, reviews\/waypoint; namespaces legacy, reviews$/m,
        );
        assert.match(
          r.stderr,
          /^ {6}already on 1-28-10, but bookinfo\/waypoint, reviews\/waypoint not seen healthy yet: gated before the next tag$/m,
        );
        assert.match(r.stderr, /^\[1\/2\] tag prod: already on 1-28-10: its gate only$/m);
        if (healthy) {
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stderr, /^ {2}prod +skipped +already on 1-28-10; gate passed: /m);
          assert.deepEqual(tagState(c, 'default'), { webhook: NEW, service: NEW });
        } else {
          assert.equal(r.code, 3, r.stderr);
          assert.match(r.stderr, /^rolling back tag prod to 1-27-9$/m);
          assert.deepEqual(tagState(c, 'prod'), { webhook: OLD, service: undefined });
          assert.deepEqual(tagState(c, 'default'), { webhook: OLD, service: undefined });
        }
      } finally {
        await c.close();
      }
    }
  });
});

describe('upgrade refuses before any write', () => {
  const cases: [string, string[], number, RegExp][] = [
    [
      'unknown revision',
      ['upgrade', '1-99-0', '--yes'],
      65,
      /^error: revision "1-99-0" not found in namespace istio-system; upgrade moves tags to an installed revision \(installed: 1-27-9, 1-28-10\)/,
    ],
    ['invalid revision name', ['upgrade', '1.28 10', '--yes'], 65, /^error: invalid revision name "1\.28 10"/],
    [
      'unknown tag in --tags',
      ['upgrade', NEW, '--tags', 'prod,blue', '--yes'],
      65,
      /^error: tag\(s\) blue not found in namespace istio-system; existing tags: canary, default, prod$/,
    ],
    [
      'a tag twice in --tags',
      ['upgrade', NEW, '--tags', 'prod,prod', '--yes'],
      64,
      /^error: invalid --tags "prod,prod": prod is listed twice/,
    ],
    [
      'an empty name in --tags',
      ['upgrade', NEW, '--tags', 'prod,', '--yes'],
      64,
      /^error: invalid --tags "prod,": an empty name/,
    ],
    ['bad --soak', ['upgrade', NEW, '--soak', 'soon', '--yes'], 64, /^error: invalid --soak "soon"/],
    ['bad --timeout', ['upgrade', NEW, '--timeout', '5 minutes', '--yes'], 64, /^error: invalid --timeout "5 minutes"/],
    [
      'a downgrade',
      ['upgrade', OLD, '--yes'],
      65,
      /^error: upgrade 1-27-9 \(1\.27\.9\) is a downgrade: 1\.27\.9 is older than revision 1-28-10 .*; upgrade moves tags forward only; to go back, roll tags back with "kubectl ambient tag-rollback <tag>"$/,
    ],
  ];
  for (const [name, argv, code, message] of cases) {
    it(`${name} (exit ${code})`, async () => {
      const c = await startCluster('mid-upgrade');
      try {
        const before = clusterState(c);
        const r = await ambient(argv, { kubeconfig: c.kubeconfig });
        assert.equal(r.code, code, r.stderr);
        const errors = errorLines(r.stderr);
        assert.equal(errors.length, 1, r.stderr);
        assert.match(errors[0] ?? '', message);
        assert.equal(r.stdout, '');
        assert.deepEqual(clusterState(c), before);
      } finally {
        await c.close();
      }
    });
  }

  it('a failed precondition refuses with exit 3 (istiod not ready, a split tag, a failing skew finding); --force goes on', async () => {
    // Kubernetes 1.40: outside what Istio 1.28 supports (skew --target fails).
    const c = await startCluster('mid-upgrade', { kubernetesVersion: 'v1.40.0' });
    try {
      // istiod of the target not ready; prod split (its Service already on the target).
      const istiod = c.sim.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'istio-system',
        name: 'istiod-1-28-10',
      });
      assert.ok(istiod);
      c.sim.upsert({ ...istiod, status: { ...(istiod['status'] as object), readyReplicas: 0, availableReplicas: 0 } });
      const webhook = c.sim.get({ ...MWC, name: 'istio-revision-tag-canary' });
      const svc = c.sim.get({ ...SVC, name: 'istiod-revision-tag-canary' });
      assert.ok(webhook && svc);
      c.sim.upsert({
        ...svc,
        metadata: {
          name: 'istiod-revision-tag-prod',
          namespace: 'istio-system',
          labels: { ...svc.metadata.labels, 'istio.io/tag': 'prod' },
        },
      });
      const before = clusterState(c);
      const r = await ambient(['upgrade', NEW, '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^ {2}✖ istiod of 1-28-10 is not ready \(0\/1\)$/m);
      assert.match(r.stderr, /^ {2}✖ skew --target 1-28-10: \d+ failing finding\(s\)$/m);
      assert.match(
        r.stderr,
        /^ {6}- kubernetes kube-apiserver: Kubernetes 1\.40 is outside the range Istio 1\.28 supports \(1\.30-1\.34\): upgrade Istio first$/m,
      );
      assert.match(r.stderr, /^ {2}✖ 1 tag problem\(s\)$/m);
      assert.match(
        r.stderr,
        /^ {6}- tag prod: webhook points at 1-27-9 but Service istiod-revision-tag-prod at 1-28-10, so both istiods claim it/m,
      );
      assert.match(
        errorLines(r.stderr)[0] ?? '',
        /^error: refusing to upgrade: istiod of 1-28-10 is not ready \(0\/1\) \(wait for it: .*\); skew --target 1-28-10: \d+ failing finding\(s\) .*; 1 tag problem\(s\) .*; nothing was changed; fix the failed precondition\(s\), or pass --force to upgrade anyway$/,
      );
      assert.deepEqual(clusterState(c), before);
      const dry = await ambient(['upgrade', NEW, '--dry-run'], { kubeconfig: c.kubeconfig });
      assert.equal(dry.code, 3, 'a dry run reports failed preconditions with exit 3 too');
      const forced = await ambient(['upgrade', NEW, '--dry-run', '--force'], { kubeconfig: c.kubeconfig });
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stderr, /^warning: --force: going on although 3 precondition\(s\) failed$/m);
      assert.deepEqual(clusterState(c), before);
    } finally {
      await c.close();
    }
  });

  it('a user who may not watch pods is stopped before the first write (exit 77, nothing changed)', async () => {
    const c = await startCluster('mid-upgrade');
    try {
      c.sim.forbid({ verb: 'watch', resource: 'pods' });
      const before = clusterState(c);
      const r = await ambient(['upgrade', NEW, '--yes'], { kubeconfig: c.kubeconfig });
      assert.equal(r.code, 77, r.stderr);
      const errors = errorLines(r.stderr);
      assert.equal(errors.length, 1, r.stderr);
      assert.match(
        errors[0] ?? '',
        /^error: .*pods.* \(the upgrade's gate watches proxy Deployments, their pods and Gateways\); nothing was changed; the gate needs list and watch on deployments, pods and gateways/,
      );
      assert.deepEqual(clusterState(c), before);
    } finally {
      await c.close();
    }
  });
});
