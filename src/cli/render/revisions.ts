import type { RevisionView } from '../../core/views.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { age, followerSummary, gatewayList, keyValues, list } from './common.ts';
import { renderStructured } from './structured.ts';
import { renderTable } from './table.ts';

export interface RenderContext {
  color: boolean;
  now: Date;
}

const VERDICT = { 'in-use': ['yellow', 'IN USE'], unknown: ['red', 'UNKNOWN'], safe: ['green', 'SAFE TO REMOVE'] } as const;

function verdict(v: RevisionView, color: boolean): string {
  const [c, text] = VERDICT[v.status];
  return paint(color, c, text);
}

/** The reasons' short codes, in order of first appearance: `tags,ns,gw,ztunnel`. */
function codes(v: RevisionView): string {
  if (v.status === 'unknown') return `cannot read ${v.unknown.map((u) => u.split(' ')[0]).join(', ')}`;
  return v.reasons.length === 0 ? '-' : [...new Set(v.reasons.map((r) => r.code))].join(',');
}

/** The header and rows of the `revisions` table (`wide` adds columns): the fleet table prefixes a CONTEXT column. */
export function revisionsTable(views: RevisionView[], wide: boolean, rc: RenderContext): { head: string[]; rows: string[][] } {
  const head = ['REVISION', 'VERSION', 'READY', 'DEFAULT', 'TAGS', 'GATEWAYS', 'WAYPOINTS', 'PODS', 'STATUS', 'REASONS'];
  if (wide) head.push('NAMESPACES', 'IMAGE', 'HELM RELEASE', 'AGE');
  const rows = views.map((v) => {
    const row = [
      v.revision,
      v.version ?? 'unknown',
      `${v.readyReplicas}/${v.desiredReplicas}`,
      v.default ? 'yes' : '-',
      list(v.tags),
      followerSummary(v.gateways.filter((g) => g.kind === 'gateway' && g.revision === v.revision)),
      followerSummary(v.gateways.filter((g) => g.kind === 'waypoint' && g.revision === v.revision)),
      String(v.pods),
      verdict(v, rc.color),
      codes(v),
    ];
    if (wide) row.push(String(v.namespaces.length), v.image ?? '-', v.helmRelease ?? '-', age(v.created, rc.now));
    return row;
  });
  return { head, rows };
}

/** `revisions`: the table (or wide table); json/yaml print the same Views. */
export function renderRevisions(views: RevisionView[], format: OutputFormat, rc: RenderContext): string {
  const structured = renderStructured(views, format);
  if (structured !== undefined) return structured;
  const { head, rows } = revisionsTable(views, format === 'wide', rc);
  return renderTable(head, rows);
}

/** `revisions REV`: everything that depends on one revision, by name, with the way out of each. */
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
    ['Pods', String(v.pods)],
    ['ztunnel', v.ztunnel ? 'pinned to this revision' : '-'],
    ['Status', verdict(v, rc.color)],
  ];
  const why = v.reasons.map((r) => `  - [${r.code}] ${r.message}\n      fix: ${r.fix}\n`);
  const unknown = v.unknown.map((u) => `  - ${u}\n`);
  const tail =
    v.status === 'in-use'
      ? `In use because:\n${why.join('')}`
      : v.status === 'unknown'
        ? `Nothing found that depends on it, but not everything could be read:\n${unknown.join('')}`
        : 'Nothing depends on it: safe to remove.\n';
  return keyValues(lines) + tail;
}
