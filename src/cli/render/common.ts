import type { GatewayRef, Problem } from '../../core/views.ts';
import { paint } from '../io.ts';

/** `3 on 1-30-3` or `1 on 1-30-3, 2 on 1-29-0` for the proxies of some Gateways/waypoints. */
export function runningSummary(refs: GatewayRef[]): string {
  if (refs.length === 0) return '0';
  const counts = new Map<string, number>();
  for (const r of refs) counts.set(r.runningRevision ?? 'no proxy', (counts.get(r.runningRevision ?? 'no proxy') ?? 0) + 1);
  return [...counts.entries()].map(([rev, n]) => `${n} on ${rev}`).join(', ');
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
  return refs.length === 0 ? '-' : refs.map((g) => `${g.namespace}/${g.name} (runs ${g.runningRevision ?? 'no proxy'}${g.ready ? '' : ', not ready'})`).join(', ');
}

/** Aligned `Key:   value` lines (the detail views). */
export function keyValues(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, val]) => `${`${k}:`.padEnd(width)}${val}\n`).join('');
}
