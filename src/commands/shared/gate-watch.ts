/**
 * The gate of `upgrade` on a live cluster: three watches (proxy Deployments, proxy pods with their
 * status, Gateways with theirs) opened once, before the first write, and evaluated with core/gate.ts
 * on every event. Nothing polls: a gate resolves on the event that decides it, on its --timeout, at
 * the end of its --soak, or on Ctrl-C.
 */
import type { Deps } from '../../cli/deps.ts';
import { paint } from '../../cli/io.ts';
import { GATEWAY_MANAGED, GATEWAY_NAME } from '../../core/labels.ts';
import { AmbientError } from '../../core/errors.ts';
import {
  describeUnhealthy,
  gateHealth,
  restartBaseline,
  soakProblems,
  type FollowerHealth,
  type GateFollower,
  type GateObjects,
} from '../../core/gate.ts';
import type { Cluster, KindName, ListQuery } from '../../core/ports.ts';
import type { KindTypes } from '../../core/model.ts';
import type { GateReport, GateStatus } from '../../core/upgrade.ts';

/** How long a gate may wait and soak (milliseconds; timeout 0 = no limit), and the flags' text for messages. */
export interface GateTimes {
  timeoutMs: number;
  soakMs: number;
  timeout: string;
  soak: string;
}

export interface GateWatch {
  /** Runs the gate of one tag: waits until every follower is healthy on `revision`, then soaks. */
  run(tag: string, followers: GateFollower[], revision: string, times: GateTimes): Promise<GateReport>;
  close(): void;
}

/** `1m12s`, `45s`, `300ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s % 60 > 0 || s === 0 ? `${s % 60}s` : ''}`;
}

const QUERIES = {
  deployments: { kind: 'Deployment', labelSelector: GATEWAY_MANAGED },
  // Full pods (status: Ready, restartCount, CrashLoopBackOff), only those of gateways and waypoints.
  pods: { kind: 'Pod', labelSelector: GATEWAY_NAME },
  gateways: { kind: 'Gateway' },
} as const satisfies Record<keyof GateObjects, ListQuery>;

/**
 * Opens the watches and resolves once all three are accepted (list and watch permitted), so that a
 * user who may not watch pods or Gateways is stopped before anything is written. Rejects with the
 * API error otherwise.
 */
export async function openGateWatch(deps: Deps, cluster: Cluster): Promise<GateWatch> {
  const ctl = new AbortController();
  const signal = AbortSignal.any([ctl.signal, deps.signal]);
  const objects: GateObjects = { deployments: [], pods: [], gateways: [] };
  const seen = new Set<keyof GateObjects>();
  const listeners = new Set<() => void>();
  let failure: unknown;
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  const opened: Promise<void>[] = [];
  let rejectOpen!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => (rejectOpen = reject));
  failed.catch(() => undefined); // after the opening, failures reach the gates through `failure`
  for (const name of Object.keys(QUERIES) as (keyof GateObjects)[]) {
    let open!: () => void;
    opened.push(new Promise<void>((resolve) => (open = resolve)));
    const onList = (list: unknown[]): void => {
      (objects as unknown as Record<string, unknown[]>)[name] = list;
      seen.add(name);
      notify();
    };
    watchInto(cluster, QUERIES[name] as ListQuery<KindName>, onList, signal, open).catch((e: unknown) => {
      failure ??= e;
      rejectOpen(e);
      notify();
    });
  }
  const onAbort = (): void =>
    rejectOpen(new AmbientError('interrupted', 'interrupted before the first write: nothing was changed'));
  deps.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // All three accepted, or the first failure (RBAC, a dead connection) before anything is written.
    await Promise.race([Promise.all(opened), failed]);
  } catch (e) {
    ctl.abort();
    throw e;
  } finally {
    deps.signal.removeEventListener('abort', onAbort);
  }

  return {
    close: () => ctl.abort(),
    run: (tag, followers, revision, times) =>
      new Promise<GateReport>((resolve) => {
        const { io } = deps;
        const what = `${followers.length} gateway(s)/waypoint(s)`;
        const spinner = io.spinner(`gate ${tag}: waiting for ${what} on ${revision}`);
        const plain = (line: string): void => {
          if (!io.stderrIsTTY) io.err(`${line}\n`);
        };
        let phase: 'wait' | 'soak' = 'wait';
        let baseline: Record<string, number> = {};
        let last: FollowerHealth[] = [];
        let lastLine = '';
        let soakEnds = 0;
        const timers: ReturnType<typeof setTimeout>[] = [];
        let done = false;
        const finish = (r: GateReport): void => {
          if (done) return;
          done = true;
          for (const t of timers) clearTimeout(t);
          listeners.delete(evaluate);
          deps.signal.removeEventListener('abort', evaluate);
          const details = r.failing.map((f) => `\n    - ${f}`).join('');
          // The outcome line is ours, with its own mark, on a terminal too (ora's succeed/fail would add a second).
          spinner.stop();
          if (r.status === 'passed') io.err(`${paint(io.colorErr, 'green', '✔')} gate ${tag} passed: ${r.message}\n`);
          else
            io.err(`${paint(io.colorErr, 'red', '✖')} gate ${tag} ${FAILED_WORDS[r.status]}: ${r.message}${details}\n`);
          resolve(r);
        };
        const counts = (h: FollowerHealth[]): string => {
          const pods = h.reduce((n, x) => n + x.pods, 0);
          const ok = h.reduce((n, x) => n + x.podsOk, 0);
          return `${h.filter((x) => x.healthy).length}/${h.length} healthy on ${revision}, pods ${ok}/${pods}`;
        };
        // The spinner shows every change; off a terminal a line is printed when the phase or the
        // number of healthy followers changes (not on every pod event).
        const progress = (line: string, health: FollowerHealth[]): void => {
          spinner.update(line);
          const key = `${phase}:${health.filter((h) => h.healthy).length}`;
          if (key !== lastLine) plain(line);
          lastLine = key;
        };
        function evaluate(): void {
          if (done) return;
          if (deps.signal.aborted) {
            const when = phase === 'soak' ? 'during the soak' : 'before every follower was healthy';
            const seen = last.length > 0 ? counts(last) : 'nothing seen yet';
            finish({
              status: 'interrupted',
              message: `stopped waiting (${when}); ${seen}`,
              failing: describeUnhealthy(last),
            });
            return;
          }
          if (failure !== undefined) {
            const cause = failure instanceof Error ? failure.message : JSON.stringify(failure);
            finish({
              status: 'unverified',
              message: `watching the ${what} failed (${cause})`,
              failing: describeUnhealthy(last),
            });
            return;
          }
          if (seen.size < 3) return;
          const health = gateHealth(followers, revision, objects);
          last = health;
          if (phase === 'wait') {
            const crash = health.flatMap((h) =>
              h.crashLooping.map((c) => `${h.follower.kind} ${h.follower.namespace}/${h.follower.name}: ${c}`),
            );
            if (crash.length > 0) {
              finish({ status: 'failed', message: `crash loop on ${revision}`, failing: crash });
              return;
            }
            if (health.every((h) => h.healthy)) {
              if (times.soakMs === 0) {
                finish({ status: 'passed', message: `${counts(health)} (no soak)`, failing: [] });
                return;
              }
              phase = 'soak';
              baseline = restartBaseline(health);
              soakEnds = Date.now() + times.soakMs;
              for (const t of timers.splice(0)) clearTimeout(t);
              timers.push(
                setTimeout(() => {
                  evaluate();
                  if (!done)
                    finish({
                      status: 'passed',
                      message: `${counts(last)}, no restart or crash loop in ${times.soak}`,
                      failing: [],
                    });
                }, times.soakMs),
              );
              if (io.stderrIsTTY) {
                // Display only: the soak's countdown on the spinner line.
                const tick = setInterval(() => {
                  if (done) clearInterval(tick);
                  else
                    spinner.update(
                      `gate ${tag}: ${counts(last)}, soaking ${formatDuration(soakEnds - Date.now())} more`,
                    );
                }, 1000);
                timers.push(tick);
              }
              progress(
                `gate ${tag}: ${counts(health)}; soaking ${times.soak} (a restart or crash loop fails the gate)`,
                health,
              );
              return;
            }
            progress(
              `gate ${tag}: ${counts(health)}${times.timeoutMs > 0 ? ` (waiting up to ${times.timeout})` : ''}`,
              health,
            );
            return;
          }
          const problems = soakProblems(health, baseline);
          if (problems.length > 0)
            finish({ status: 'failed', message: `during the soak of ${times.soak}`, failing: problems });
        }
        if (followers.length === 0) {
          finish({ status: 'passed', message: 'no gateway or waypoint follows it: nothing to gate', failing: [] });
          return;
        }
        if (times.timeoutMs > 0) {
          timers.push(
            setTimeout(() => {
              if (phase !== 'wait') return;
              const failing = describeUnhealthy(last);
              const unhealthy = `${failing.length} of ${followers.length} gateway(s)/waypoint(s) not healthy on ${revision}`;
              const message = `timed out after ${times.timeout}: ${unhealthy}`;
              finish({ status: 'timed-out', message, failing });
            }, times.timeoutMs),
          );
        }
        listeners.add(evaluate);
        deps.signal.addEventListener('abort', evaluate, { once: true });
        evaluate();
      }),
  };
}

/** One watch feeding `onList` with the full current set; `onOpen` once the watch request is accepted. */
function watchInto<K extends KindName>(
  cluster: Cluster,
  q: ListQuery<K>,
  onList: (list: KindTypes[K][]) => void,
  signal: AbortSignal,
  onOpen: () => void,
): Promise<void> {
  return cluster.watch(
    q,
    (list) => {
      onList(list);
      return false;
    },
    signal,
    { onOpen },
  );
}

/** How the gate's line ends for each outcome (`✖ gate prod could not be checked: ...`). */
const FAILED_WORDS: Record<GateStatus, string> = {
  passed: 'passed',
  failed: 'failed',
  'timed-out': 'failed',
  interrupted: 'interrupted',
  unverified: 'could not be checked',
};

/** What the gate lists and watches, in RBAC's words. */
const GATE_WATCHED = 'deployments, pods and gateways.gateway.networking.k8s.io';

/** A failure to open the gate's watches, worded for the user: nothing was changed yet. */
export function gateOpenError(e: unknown): unknown {
  if (!(e instanceof AmbientError)) return e;
  return new AmbientError(
    e.kind,
    `${e.message} (the upgrade's gate watches proxy Deployments, their pods and Gateways); nothing was changed`,
    `the gate needs list and watch on ${GATE_WATCHED} in every namespace${e.hint !== undefined ? `; ${e.hint}` : ''}`,
    { cause: e },
  );
}
