import { countByStatus, nextStep, type Finding, type UpgradePlan, type UpgradeStep } from '../../core/skew.ts';
import { paint } from '../io.ts';
import { wrapIndented } from './common.ts';
import type { OutputFormat } from '../options.ts';
import { renderStructured } from './structured.ts';
import { renderFitted, type Cell, type Column } from './table.ts';

const COLOR = { ok: 'green', warn: 'yellow', fail: 'red' } as const;

/**
 * The findings table (status coloured unless NO_COLOR); `wide` adds the rule. No rows: nothing (the
 * summary says why). On a terminal narrower than the table, CONTROL PLANE keeps only the revision
 * (then is left out: the messages name it) and MESSAGE wraps within its column; when that column
 * would be narrower than WRAP_MIN, the messages go under their rows instead.
 */
export function renderFindings(findings: Finding[], format: OutputFormat, color: boolean, width?: number): string {
  const structured = renderStructured({ findings }, format);
  if (structured !== undefined) return structured;
  return findingsTable(findings, format, color, width);
}

const COLUMNS: Column[] = [
  { head: 'COMPONENT' },
  { head: 'NAMESPACE' },
  { head: 'NAME' },
  { head: 'VERSION' },
  { head: 'CONTROL PLANE', shrink: 'short', hide: 1 },
  { head: 'STATUS' },
  { head: 'MESSAGE', shrink: 'wrap' },
];
const WIDE_COLUMNS: Column[] = [...COLUMNS.slice(0, 5), { head: 'RULE' }, ...COLUMNS.slice(5)];

/** The findings table's columns (`-o wide` adds RULE). */
export function findingColumns(format: OutputFormat): Column[] {
  return format === 'wide' ? WIDE_COLUMNS : COLUMNS;
}

/** The findings table's rows, in the order of findingColumns(format). */
export function findingRows(findings: Finding[], format: OutputFormat, color: boolean): Cell[][] {
  const wide = format === 'wide';
  return findings.map((f): Cell[] => [
    f.component,
    f.namespace === '' ? '-' : f.namespace,
    f.name,
    f.version ?? 'unknown',
    f.controlPlane === null
      ? '-'
      : {
          text: `${f.controlPlane}${f.controlPlaneVersion !== null ? ` (${f.controlPlaneVersion})` : ''}`,
          short: f.controlPlane,
        },
    ...(wide ? [f.rule] : []),
    paint(color, COLOR[f.status], f.status.toUpperCase()),
    f.message,
  ]);
}

function findingsTable(findings: Finding[], format: OutputFormat, color: boolean, width: number | undefined): string {
  if (findings.length === 0) return '';
  // -o wide is everything on one line per finding, whatever the terminal (as in kubectl).
  return renderFitted(
    findingColumns(format),
    findingRows(findings, format, color),
    format === 'wide' ? undefined : width,
  );
}

const MARK = { done: 'done', todo: 'todo', unknown: '????' } as const;

/** A step: its command on one line whatever the terminal (to copy), its notes wrapped on a terminal. */
function renderStep(s: UpgradeStep, i: number, color: boolean, width: number | undefined): string {
  const mark =
    s.status === 'done'
      ? paint(color, 'green', MARK.done)
      : s.status === 'unknown'
        ? paint(color, 'yellow', 'unknown')
        : MARK.todo;
  const head = `${String(i + 1).padStart(2)}. [${mark}] ${s.step}`;
  if (s.status === 'done') return head;
  return [
    head,
    `      ${paint(color, 'dim', s.command)}`,
    ...s.notes.map((n) => `      ${paint(color, 'dim', wrapIndented(`- ${n}`, 8, width))}`),
  ].join('\n');
}

/** `skew --target`: the findings, then the steps in order; done steps on one line, others with their command and notes. */
export function renderUpgradePlan(plan: UpgradePlan, format: OutputFormat, color: boolean, width?: number): string {
  const structured = renderStructured(
    {
      target: { version: plan.targetVersion, revision: plan.targetRevision },
      findings: plan.findings,
      steps: plan.steps,
    },
    format,
  );
  if (structured !== undefined) return structured;
  const table = findingsTable(plan.findings, format, color, width);
  const steps = plan.steps.map((s, i) => renderStep(s, i, color, format === 'wide' ? undefined : width));
  const heading = `Upgrade to ${plan.targetVersion} (revision ${plan.targetRevision}), in this order:`;
  return `${table}${table === '' ? '' : '\n'}${heading}\n${steps.join('\n')}\n`;
}

/**
 * The one-line summary on stderr: counts per status over every finding (whatever `--only` shows),
 * with `--target` the next step; preceded by how the target was read (`1.29` = `1.29.9`).
 */
export function renderSkewSummary(findings: Finding[], o: { plan?: UpgradePlan; note?: string | undefined }): string {
  const c = countByStatus(findings);
  let line = `skew: ${findings.length} finding(s): ${c.fail} fail, ${c.warn} warn, ${c.ok} ok`;
  if (o.plan !== undefined) {
    const next = nextStep(o.plan);
    line +=
      next === undefined
        ? `; all ${o.plan.steps.length} steps done`
        : `; next: step ${next.index} of ${o.plan.steps.length}, ${next.step.step}`;
  }
  return `${o.note !== undefined ? `note: ${o.note}\n` : ''}${line}\n`;
}
