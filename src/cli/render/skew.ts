import type { Finding, UpgradePlan } from '../../core/skew.ts';
import { paint } from '../io.ts';
import type { OutputFormat } from '../options.ts';
import { renderStructured } from './structured.ts';
import { renderTable } from './table.ts';

const COLOR = { ok: 'green', warn: 'yellow', fail: 'red' } as const;

/** The findings table (status coloured unless NO_COLOR); `wide` adds the rule. */
export function renderFindings(findings: Finding[], format: OutputFormat, color: boolean): string {
  const structured = renderStructured({ findings }, format);
  if (structured !== undefined) return structured;
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

/** `skew --target`: the projected findings, then the steps in order with the done ones marked. */
export function renderUpgradePlan(plan: UpgradePlan, format: OutputFormat, color: boolean): string {
  const structured = renderStructured({ target: { version: plan.targetVersion, revision: plan.targetRevision }, findings: plan.findings, steps: plan.steps }, format);
  if (structured !== undefined) return structured;
  const steps = plan.steps.map((s, i) => `${String(i + 1).padStart(2)}. [${s.done ? paint(color, 'green', 'done') : 'todo'}] ${s.step}${s.done ? '' : `\n      ${paint(color, 'dim', s.command)}`}`);
  return `${renderFindings(plan.findings, format, color)}\nUpgrade to ${plan.targetVersion} (revision ${plan.targetRevision}), in this order:\n${steps.join('\n')}\n`;
}
