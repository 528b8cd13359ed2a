import type { RevisionView } from '../../core/views.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { age, gatewayList, keyValues, list, runningSummary } from './common.ts';
import { renderStructured } from './structured.ts';
import { renderTable } from './table.ts';

export interface RenderContext {
  color: boolean;
  now: Date;
}

function verdict(v: RevisionView, color: boolean): string {
  return v.inUse ? paint(color, 'yellow', 'IN USE') : paint(color, 'green', 'SAFE TO REMOVE');
}

/** `revisions`: the table (or wide table); json/yaml print the same Views. */
export function renderRevisions(views: RevisionView[], format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(views, format);
  if (structured !== undefined) return structured;
  const wide = format === 'wide';
  const head = ['REVISION', 'VERSION', 'READY', 'DEFAULT', 'TAGS', 'NAMESPACES', 'GATEWAYS', 'ZTUNNEL', 'STATUS', 'REASONS'];
  if (wide) head.push('IMAGE', 'HELM RELEASE', 'AGE');
  const rows = views.map((v) => {
    const row = [
      v.revision,
      v.version ?? 'unknown',
      `${v.readyReplicas}/${v.desiredReplicas}`,
      v.default ? 'yes' : '-',
      list(v.tags),
      String(v.namespaces.length),
      runningSummary(v.gateways),
      v.ztunnel ? 'pinned' : '-',
      verdict(v, rc.color),
      v.reasons.length === 0 ? 'nothing follows it' : v.reasons.join('; '),
    ];
    if (wide) row.push(v.image ?? '-', v.helmRelease ?? '-', age(v.created, rc.now));
    return row;
  });
  return renderTable(head, rows);
}

/** `revisions REV`: everything that follows one revision, by name. */
export function renderRevisionDetail(v: RevisionView, format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(v, format);
  if (structured !== undefined) return structured;
  const gateways = v.gateways.filter((g) => g.kind === 'gateway');
  const waypoints = v.gateways.filter((g) => g.kind === 'waypoint');
  const lines: [string, string][] = [
    ['Revision', v.revision],
    ['Version', v.version ?? 'unknown'],
    ['istiod', `${v.readyReplicas}/${v.desiredReplicas} ready${v.image !== null ? `, ${v.image}` : ''}`],
    ['Helm release', v.helmRelease ?? '-'],
    ['Default', v.default ? 'yes' : 'no'],
    ['Tags', v.tags.length === 0 ? '-' : v.tags.join(', ')],
    ['Namespaces', v.namespaces.length === 0 ? '-' : v.namespaces.join(', ')],
    ['Gateways', gatewayList(gateways)],
    ['Waypoints', gatewayList(waypoints)],
    ['ztunnel', v.ztunnel ? 'pinned to this revision' : '-'],
    ['Status', `${verdict(v, rc.color)}${v.reasons.length > 0 ? `: ${v.reasons.join('; ')}` : ''}`],
  ];
  return keyValues(lines);
}
