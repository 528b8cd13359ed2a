import { countByStatus, nextStep, type Finding, type UpgradePlan, type UpgradeStep } from '../../core/skew.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { renderStructured } from './structured.ts';
import { renderTable } from './table.ts';

const COLOR = { ok: 'green', warn: 'yellow', fail: 'red' } as const;

/** The findings table (status coloured unless NO_COLOR); `wide` adds the rule. No rows: nothing (the summary says why). */
export function renderFindings(findings: Finding[], format: OutputFormat, color: boolean): string {
  const structured = renderStructured({ findings }, format);
  if (structured !== undefined) return structured;
  return findingsTable(findings, format, color);
}

function findingsTable(findings: Finding[], format: OutputFormat, color: boolean): string {
  if (findings.length === 0) return '';
  const wide = format === 'wide';
  const head = ['COMPONENT', 'NAMESPACE', 'NAME', 'VERSION', 'CONTROL PLANE', ...(wide ? ['RULE'] : []), 'STATUS', 'MESSAGE'];
  const rows = findings.map((f) => [
    f.component,
    f.namespace === '' ? '-' : f.namespace,
    f.name,
    f.version ?? 'unknown',
    f.controlPlane === null ? '-' : `${f.controlPlane}${f.controlPlaneVersion !== null ? ` (${f.controlPlaneVersion})` : ''}`,
    ...(wide ? [f.rule] : []),
    paint(color, COLOR[f.status], f.status.toUpperCase()),
    f.message,
  ]);
  return renderTable(head, rows);
}

const MARK = { done: 'done', todo: 'todo', unknown: '????' } as const;

function renderStep(s: UpgradeStep, i: number, color: boolean): string {
  const mark = s.status === 'done' ? paint(color, 'green', MARK.done) : s.status === 'unknown' ? paint(color, 'yellow', 'unknown') : MARK.todo;
  const head = `${String(i + 1).padStart(2)}. [${mark}] ${s.step}`;
  if (s.status === 'done') return head;
  return [head, `      ${paint(color, 'dim', s.command)}`, ...s.notes.map((n) => `      ${paint(color, 'dim', `- ${n}`)}`)].join('\n');
}

/** `skew --target`: the findings, then the steps in order; done steps on one line, others with their command and notes. */
export function renderUpgradePlan(plan: UpgradePlan, format: OutputFormat, color: boolean): string {
  const structured = renderStructured({ target: { version: plan.targetVersion, revision: plan.targetRevision }, findings: plan.findings, steps: plan.steps }, format);
  if (structured !== undefined) return structured;
  const table = findingsTable(plan.findings, format, color);
  const steps = plan.steps.map((s, i) => renderStep(s, i, color));
  return `${table}${table === '' ? '' : '\n'}Upgrade to ${plan.targetVersion} (revision ${plan.targetRevision}), in this order:\n${steps.join('\n')}\n`;
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
    line += next === undefined ? `; all ${o.plan.steps.length} steps done` : `; next: step ${next.index} of ${o.plan.steps.length}, ${next.step.step}`;
  }
  return `${o.note !== undefined ? `note: ${o.note}\n` : ''}${line}\n`;
}
