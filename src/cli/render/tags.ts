import type { OperationView, TagView } from '../../core/views.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { followerSummary, gatewayItems, keyValues, type DetailValue } from './common.ts';
import type { RenderContext } from './revisions.ts';
import { renderStructured } from './structured.ts';
import { renderFitted, type Cell, type Column } from './table.ts';

/** `webhook+service ok`; on a narrow terminal only the verdict (`ok`, `MISMATCH`). */
function objectsCell(v: TagView, color: boolean): Cell {
  const parts = [
    v.objects.webhook !== null ? 'webhook' : null,
    v.objects.service !== null ? 'service' : null,
    v.objects.validator !== null ? 'validator' : null,
  ].filter((p) => p !== null);
  const state =
    v.operation !== null
      ? paint(color, 'red', 'INCOMPLETE')
      : v.objects.consistent
        ? paint(color, 'green', 'ok')
        : paint(color, 'red', 'MISMATCH');
  return { text: `${parts.join('+') || 'none'} ${state}`, short: state };
}

/**
 * The columns of `tags`: on a narrow terminal OBJECTS keeps only its verdict, then PREVIOUS is left
 * out, then (with the fleet's CONTEXT at 80 columns) VERSION.
 */
const COLUMNS: Column[] = [
  { head: 'TAG' },
  { head: 'REVISION' },
  { head: 'VERSION', hide: 2 },
  { head: 'PREVIOUS', hide: 1 },
  { head: 'NAMESPACES' },
  { head: 'GATEWAYS' },
  { head: 'WAYPOINTS' },
  { head: 'OBJECTS', shrink: 'short' },
];
const WIDE_COLUMNS: Column[] = [
  ...COLUMNS,
  { head: 'WEBHOOK' },
  { head: 'SERVICE' },
  { head: 'HELM RELEASE' },
  { head: 'HISTORY', shrink: 'list' },
];

/** The columns and rows of the `tags` table (`wide` adds columns): the fleet table prefixes a CONTEXT column. */
export function tagsTable(views: TagView[], wide: boolean, rc: RenderContext): { columns: Column[]; rows: Cell[][] } {
  const rows = views.map((v) => {
    const gws = v.gateways.filter((g) => g.kind === 'gateway');
    const wps = v.gateways.filter((g) => g.kind === 'waypoint');
    const rev = v.revision ?? '-';
    const row: Cell[] = [
      v.tag,
      v.problems.some((p) => p.code === 'dangling') ? paint(rc.color, 'red', `${rev} (missing)`) : rev,
      v.version ?? 'unknown',
      v.previousRevision ?? '-',
      String(v.namespaces.length),
      followerSummary(gws),
      followerSummary(wps),
      objectsCell(v, rc.color),
    ];
    // Oldest first, as before; a cut keeps the newest: `+3 more > 1-26-1 > 1-27-9`.
    if (wide)
      row.push(v.objects.webhook ?? '-', v.objects.service ?? '-', v.helmRelease ?? '-', {
        items: v.history.map((h) => h.revision),
        sep: ' > ',
        keep: 'end',
      });
    return row;
  });
  return { columns: wide ? WIDE_COLUMNS : COLUMNS, rows };
}

/** `tags`: one row per tag; json/yaml print the same Views. */
export function renderTags(views: TagView[], format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(views, format);
  if (structured !== undefined) return structured;
  const wide = format === 'wide';
  const { columns, rows } = tagsTable(views, wide, rc);
  return renderFitted(columns, rows, wide ? undefined : rc.width);
}

/** `tags TAG`: the objects, history and everything that follows one tag. */
export function renderTagDetail(v: TagView, format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(v, format);
  if (structured !== undefined) return structured;
  const obj = (name: string | null, rev: string | null): string => (name === null ? '-' : `${name} -> ${rev ?? '?'}`);
  const refs = (kind: 'gateway' | 'waypoint'): DetailValue => ({
    items: gatewayItems(v.gateways.filter((g) => g.kind === kind)),
  });
  const lines: [string, DetailValue][] = [
    ['Tag', v.tag],
    ['Revision', `${v.revision ?? '-'}${v.version !== null ? ` (${v.version})` : ''}`],
    ['Webhook', obj(v.objects.webhook, v.objects.webhookRevision)],
    ['Service', obj(v.objects.service, v.objects.serviceRevision)],
    ['Validator', obj(v.objects.validator, v.objects.validatorRevision)],
    ['Consistent', v.objects.consistent ? paint(rc.color, 'green', 'yes') : paint(rc.color, 'red', 'NO')],
    ...(v.operation !== null
      ? ([['Incomplete', paint(rc.color, 'red', incompleteLine(v.operation))]] as [string, DetailValue][])
      : []),
    ['Helm release', v.helmRelease ?? '-'],
    ['History', { items: v.history.map((h) => `${h.revision} (until ${h.at})`) }],
    ['Namespaces', { items: v.namespaces }],
    ['Gateways', refs('gateway')],
    ['Waypoints', refs('waypoint')],
  ];
  return keyValues(lines, rc.width);
}

/** An interrupted operation: what it did, when, and the commands that finish or undo it. */
function incompleteLine(o: OperationView): string {
  const move = `tag-${o.op} ${o.from ?? '(new)'} -> ${o.to}`;
  return `${move} (operation ${o.id}, started ${o.at}); finish: ${o.finish}; undo: ${o.undo}`;
}
