import type { RevisionView } from '../../core/views.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { age, followerSummary, gatewayItems, keyValues, wrapIndented, type DetailValue } from './common.ts';
import { renderStructured } from './structured.ts';
import { count, renderFitted, type Cell, type Column } from './table.ts';

export interface RenderContext {
  color: boolean;
  now: Date;
  /** The terminal's width when stdout is one: tables give way to fit it, detail views wrap at it. */
  width?: number | undefined;
}

const VERDICT = {
  'in-use': ['yellow', 'IN USE'],
  unknown: ['red', 'UNKNOWN'],
  safe: ['green', 'SAFE TO REMOVE'],
} as const;

function verdict(v: RevisionView, color: boolean): string {
  const [c, text] = VERDICT[v.status];
  return paint(color, c, text);
}

/** The reasons' short codes, in order of first appearance: `tags,ns,gw,ztunnel` (what could not be read, when UNKNOWN). */
function codes(v: RevisionView): Cell {
  if (v.status === 'unknown')
    return { items: v.unknown.map((u, i) => `${i === 0 ? 'cannot read ' : ''}${u.split(' ')[0] ?? ''}`) };
  return { items: [...new Set(v.reasons.map((r) => r.code))] };
}

/**
 * The columns of `revisions`. On a narrow terminal REASONS and TAGS give way first (`tags,+4`), then
 * PODS, DEFAULT, REASONS and (with the fleet's CONTEXT at 80 columns) VERSION are left out
 * (`revisions REV` and `-o wide` show them).
 */
const COLUMNS: Column[] = [
  { head: 'REVISION' },
  { head: 'VERSION', hide: 4 },
  { head: 'READY' },
  { head: 'DEFAULT', hide: 2 },
  { head: 'TAGS', shrink: 'list' },
  { head: 'GATEWAYS' },
  { head: 'WAYPOINTS' },
  { head: 'PODS', hide: 1 },
  { head: 'STATUS' },
  { head: 'REASONS', shrink: 'list', hide: 3 },
];
const WIDE_COLUMNS: Column[] = [
  ...COLUMNS,
  { head: 'NAMESPACES' },
  { head: 'IMAGE' },
  { head: 'HELM RELEASE' },
  { head: 'AGE' },
];

/** The columns and rows of the `revisions` table (`wide` adds columns): the fleet table prefixes a CONTEXT column. */
export function revisionsTable(
  views: RevisionView[],
  wide: boolean,
  rc: RenderContext,
): { columns: Column[]; rows: Cell[][] } {
  const rows = views.map((v) => {
    const row: Cell[] = [
      v.revision,
      v.version ?? 'unknown',
      `${v.readyReplicas}/${v.desiredReplicas}`,
      v.default ? 'yes' : '-',
      { items: v.tags },
      followerSummary(v.gateways.filter((g) => g.kind === 'gateway' && g.revision === v.revision)),
      followerSummary(v.gateways.filter((g) => g.kind === 'waypoint' && g.revision === v.revision)),
      String(v.pods),
      verdict(v, rc.color),
      codes(v),
    ];
    if (wide) row.push(String(v.namespaces.length), v.image ?? '-', v.helmRelease ?? '-', age(v.created, rc.now));
    return row;
  });
  return { columns: wide ? WIDE_COLUMNS : COLUMNS, rows };
}

/** `revisions`: the table (or wide table); json/yaml print the same Views. */
export function renderRevisions(views: RevisionView[], format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(views, format);
  if (structured !== undefined) return structured;
  const wide = format === 'wide';
  const { columns, rows } = revisionsTable(views, wide, rc);
  // -o wide is everything, whatever the terminal (as in kubectl).
  return renderFitted(columns, rows, wide ? undefined : rc.width);
}

/** The reasons of one code shown in the detail view before the rest are counted (all are in -o json). */
export const REASONS_PER_CODE = 5;

/** `In use because:` with every reason's fix, at most REASONS_PER_CODE per code. */
function reasonLines(v: RevisionView, width: number | undefined): string {
  const shown = new Map<string, number>();
  const lines: string[] = [];
  const more = new Map<string, number>();
  for (const r of v.reasons) {
    const n = shown.get(r.code) ?? 0;
    if (n >= REASONS_PER_CODE) {
      more.set(r.code, (more.get(r.code) ?? 0) + 1);
      continue;
    }
    shown.set(r.code, n + 1);
    lines.push(
      `  - ${wrapIndented(`[${r.code}] ${r.message}`, 4, width)}\n      ${wrapIndented(`fix: ${r.fix}`, 6, width)}\n`,
    );
  }
  if (more.size > 0) {
    const counts = [...more.entries()].map(([code, n]) => `${count(n)} more [${code}]`).join(', ');
    lines.push(`  - ${wrapIndented(`${counts}: "-o json" lists every reason`, 4, width)}\n`);
  }
  return lines.join('');
}

/** `revisions REV`: everything that depends on one revision, by name, with the way out of each. */
export function renderRevisionDetail(v: RevisionView, format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(v, format);
  if (structured !== undefined) return structured;
  const gateways = v.gateways.filter((g) => g.kind === 'gateway');
  const waypoints = v.gateways.filter((g) => g.kind === 'waypoint');
  const width = rc.width;
  const lines: [string, DetailValue][] = [
    ['Revision', v.revision],
    ['Version', v.version ?? 'unknown'],
    ['istiod', `${v.readyReplicas}/${v.desiredReplicas} ready${v.image !== null ? `, ${v.image}` : ''}`],
    ['Helm release', v.helmRelease ?? '-'],
    ['Default', v.default ? 'yes' : 'no'],
    ['Tags', { items: v.tags }],
    ['Namespaces', { items: v.namespaces }],
    ['Gateways', { items: gatewayItems(gateways) }],
    ['Waypoints', { items: gatewayItems(waypoints) }],
    ['Pods', String(v.pods)],
    ['ztunnel', v.ztunnel ? 'pinned to this revision' : '-'],
    ['Status', verdict(v, rc.color)],
  ];
  const unknown = v.unknown.map((u) => `  - ${wrapIndented(u, 4, width)}\n`);
  const tail =
    v.status === 'in-use'
      ? `In use because:\n${reasonLines(v, width)}`
      : v.status === 'unknown'
        ? `Nothing found that depends on it, but not everything could be read:\n${unknown.join('')}`
        : 'Nothing depends on it: safe to remove.\n';
  return keyValues(lines, width) + tail;
}
