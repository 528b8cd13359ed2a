import wrapAnsi from 'wrap-ansi';
import type { GatewayRef, Problem } from '../../core/views.ts';
import { paint } from '../io.ts';
import { cutList } from './table.ts';

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

/** Problems as `warning: ...` / `problem: ...` (severity error) lines for stderr. */
export function renderProblems(problems: Problem[], color: boolean): string {
  return problems
    .map(
      (p) =>
        `${paint(color, p.severity === 'error' ? 'red' : 'yellow', p.severity === 'error' ? 'problem:' : 'warning:')} ${p.message}\n`,
    )
    .join('');
}

/** A comma-joined list, or `-` when empty. */
export function list(items: string[]): string {
  return items.length === 0 ? '-' : items.join(',');
}

/** `ns/name (runs 1-30-3)` for each Gateway/waypoint. */
export function gatewayItems(refs: GatewayRef[]): string[] {
  return refs.map((g) => `${g.namespace}/${g.name} (runs ${running(g)}${g.ready ? '' : ', not ready'})`);
}

/** The width detail views are laid out for when stdout is not a terminal. */
export const DETAIL_WIDTH = 120;
/** A list in a detail view takes at most this many lines, then says how many more there are. */
export const DETAIL_LIST_LINES = 3;

/** A value of a detail view: text, or a list (`, `-joined over up to three lines, then cut with a count). */
export type DetailValue = string | { items: readonly string[] };

/**
 * `items` packed `, `-separated into lines of `width - indent` characters, at most `maxLines`; what
 * does not fit is counted on the last line (`reviews, orders, +1,998 more`). Continuation lines
 * start with `indent` spaces.
 */
export function listLines(
  items: readonly string[],
  indent: number,
  width: number,
  maxLines = DETAIL_LIST_LINES,
): string {
  if (items.length === 0) return '-';
  const room = Math.max(20, width - indent);
  const lines: string[] = [];
  let i = 0;
  while (i < items.length) {
    if (lines.length === maxLines - 1) {
      lines.push(cutList(items.slice(i), room, ', '));
      break;
    }
    let line = items[i++] ?? '';
    while (i < items.length && line.length + 2 + (items[i] ?? '').length + (i + 1 < items.length ? 1 : 0) <= room)
      line += `, ${items[i++] ?? ''}`;
    lines.push(i < items.length ? `${line},` : line);
  }
  return lines.join(`\n${' '.repeat(indent)}`);
}

/**
 * Aligned `Key:   value` lines (the detail views): lists as `listLines` (for DETAIL_WIDTH off a
 * terminal), long text wrapped under its value on a terminal `width` wide.
 */
export function keyValues(lines: [string, DetailValue][], width: number | undefined): string {
  const indent = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines
    .map(([k, val]) => {
      const text =
        typeof val === 'string'
          ? wrapIndented(val, indent, width)
          : listLines(val.items, indent, width ?? DETAIL_WIDTH);
      return `${`${k}:`.padEnd(indent)}${text}\n`;
    })
    .join('');
}

/**
 * `text` wrapped at word boundaries to a terminal `width` wide, continuation lines indented by
 * `indent` (the first line is assumed to start there too); off a terminal (undefined) one line,
 * for grep.
 */
export function wrapIndented(text: string, indent: number, width: number | undefined): string {
  if (width === undefined) return text;
  const room = Math.max(20, width - indent);
  return wrapAnsi(text, room, { hard: false, trim: true })
    .split('\n')
    .join(`\n${' '.repeat(indent)}`);
}
