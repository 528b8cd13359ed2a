import type { TagView } from '../../core/views.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { followerSummary, gatewayList, keyValues } from './common.ts';
import type { RenderContext } from './revisions.ts';
import { renderStructured } from './structured.ts';
import { renderTable } from './table.ts';

function objectsCell(v: TagView, color: boolean): string {
  const parts = [v.objects.webhook !== null ? 'webhook' : null, v.objects.service !== null ? 'service' : null, v.objects.validator !== null ? 'validator' : null].filter(
    (p) => p !== null,
  );
  const state = v.operation !== null ? paint(color, 'red', 'INCOMPLETE') : v.objects.consistent ? paint(color, 'green', 'ok') : paint(color, 'red', 'MISMATCH');
  return `${parts.join('+') || 'none'} ${state}`;
}

/** The header and rows of the `tags` table (`wide` adds columns): the fleet table prefixes a CONTEXT column. */
export function tagsTable(views: TagView[], wide: boolean, rc: RenderContext): { head: string[]; rows: string[][] } {
  const head = ['TAG', 'REVISION', 'VERSION', 'PREVIOUS', 'NAMESPACES', 'GATEWAYS', 'WAYPOINTS', 'OBJECTS'];
  if (wide) head.push('WEBHOOK', 'SERVICE', 'HELM RELEASE', 'HISTORY');
  const rows = views.map((v) => {
    const gws = v.gateways.filter((g) => g.kind === 'gateway');
    const wps = v.gateways.filter((g) => g.kind === 'waypoint');
    const rev = v.revision ?? '-';
    const row = [
      v.tag,
      v.problems.some((p) => p.code === 'dangling') ? paint(rc.color, 'red', `${rev} (missing)`) : rev,
      v.version ?? 'unknown',
      v.previousRevision ?? '-',
      String(v.namespaces.length),
      followerSummary(gws),
      followerSummary(wps),
      objectsCell(v, rc.color),
    ];
    if (wide) row.push(v.objects.webhook ?? '-', v.objects.service ?? '-', v.helmRelease ?? '-', v.history.map((h) => h.revision).join(' > ') || '-');
    return row;
  });
  return { head, rows };
}

/** `tags`: one row per tag; json/yaml print the same Views. */
export function renderTags(views: TagView[], format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(views, format);
  if (structured !== undefined) return structured;
  const { head, rows } = tagsTable(views, format === 'wide', rc);
  return renderTable(head, rows);
}

/** `tags TAG`: the objects, history and everything that follows one tag. */
export function renderTagDetail(v: TagView, format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(v, format);
  if (structured !== undefined) return structured;
  const obj = (name: string | null, rev: string | null): string => (name === null ? '-' : `${name} -> ${rev ?? '?'}`);
  const refs = (kind: 'gateway' | 'waypoint'): string => gatewayList(v.gateways.filter((g) => g.kind === kind));
  const lines: [string, string][] = [
    ['Tag', v.tag],
    ['Revision', `${v.revision ?? '-'}${v.version !== null ? ` (${v.version})` : ''}`],
    ['Webhook', obj(v.objects.webhook, v.objects.webhookRevision)],
    ['Service', obj(v.objects.service, v.objects.serviceRevision)],
    ['Validator', obj(v.objects.validator, v.objects.validatorRevision)],
    ['Consistent', v.objects.consistent ? paint(rc.color, 'green', 'yes') : paint(rc.color, 'red', 'NO')],
    ...(v.operation !== null
      ? ([['Incomplete', paint(rc.color, 'red', `tag-${v.operation.op} ${v.operation.from ?? '(new)'} -> ${v.operation.to} (operation ${v.operation.id}, started ${v.operation.at}); finish: ${v.operation.finish}; undo: ${v.operation.undo}`)]] as [string, string][])
      : []),
    ['Helm release', v.helmRelease ?? '-'],
    ['History', v.history.length === 0 ? '-' : v.history.map((h) => `${h.revision} (until ${h.at})`).join(', ')],
    ['Namespaces', v.namespaces.length === 0 ? '-' : v.namespaces.join(', ')],
    ['Gateways', refs('gateway')],
    ['Waypoints', refs('waypoint')],
  ];
  return keyValues(lines);
}
