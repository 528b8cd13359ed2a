import type { GatewayRef, Problem } from '../../core/views.ts';
import { paint } from '../io.ts';

/** What a Gateway's pods run: `1-28-10`, `1-27-9+1-28-10` mid-rollout, `no pods`. */
export function running(g: GatewayRef): string {
  return g.runningRevisions.length === 0 ? 'no pods' : g.runningRevisions.join('+');
}

/**
 * Followers as `ready/total`, then those whose pods do not run exactly the revision they follow:
 * `2/3 (1 on 1-27-9+1-28-10)`; `0` when none.
 */
export function followerSummary(refs: GatewayRef[]): string {
  if (refs.length === 0) return '0';
  const ready = refs.filter((r) => r.ready).length;
  const off = new Map<string, number>();
  for (const r of refs) {
    if (r.runningRevisions.length === 1 && r.runningRevisions[0] === r.revision) continue;
    off.set(running(r), (off.get(running(r)) ?? 0) + 1);
  }
  const extra = [...off.entries()].map(([rev, n]) => `${n} on ${rev}`).join(', ');
  return `${ready}/${refs.length}${extra !== '' ? ` (${extra})` : ''}`;
}

/** Age like kubectl: `45s`, `12m`, `3h`, `5d`. */
export function age(created: string | null, now: Date): string {
  if (created === null) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Problems as `warning: ...` / `error: ...` lines for stderr. */
export function renderProblems(problems: Problem[], color: boolean): string {
  return problems
    .map((p) => `${paint(color, p.severity === 'error' ? 'red' : 'yellow', p.severity === 'error' ? 'problem:' : 'warning:')} ${p.message}\n`)
    .join('');
}

/** A comma-joined list, or `-` when empty. */
export function list(items: string[]): string {
  return items.length === 0 ? '-' : items.join(',');
}

/** `ns/name (runs 1-30-3)` for each Gateway/waypoint, or `-`. */
export function gatewayList(refs: GatewayRef[]): string {
  return refs.length === 0 ? '-' : refs.map((g) => `${g.namespace}/${g.name} (runs ${running(g)}${g.ready ? '' : ', not ready'})`).join(', ');
}

/** Aligned `Key:   value` lines (the detail views). */
export function keyValues(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, val]) => `${`${k}:`.padEnd(width)}${val}\n`).join('');
}
