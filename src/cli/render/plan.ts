import { applySteps } from '../../core/apply.ts';
import { planTitle, type Plan } from '../../core/tag-plan.ts';
import { paint } from '../io.ts';

/**
 * The change a plan makes, per object, for stderr: `~` updated, `+` created, `-` deleted, then one
 * line per change (removals included).
 */
export function renderPlan(plan: Plan, color: boolean): string {
  const lines = [`${paint(color, 'bold', `tag ${plan.tag}`)}${planTitle(plan).slice(`tag ${plan.tag}`.length)}`];
  for (const w of plan.writes) {
    const o = w.after;
    const name = `${o.kind} ${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    if (w.action === 'create') {
      lines.push(paint(color, 'green', `  + ${name} (new)`));
      continue;
    }
    if (w.action === 'delete') {
      lines.push(paint(color, 'red', `  - ${name} (deleted: ${w.reason ?? 'not rendered for the target'})`));
      continue;
    }
    lines.push(paint(color, 'yellow', `  ~ ${name}`));
    for (const c of w.changes) {
      const text =
        c.before === undefined
          ? `${c.path}: + ${c.after ?? ''}`
          : c.after === undefined
            ? `${c.path}: - ${c.before}`
            : `${c.path}: ${c.before} -> ${c.after}`;
      lines.push(`      ${text}`);
    }
  }
  if (applySteps(plan).some((s) => s.phase === 'record')) {
    const holder = plan.writes.find((w) => w.role === plan.holder)?.after.metadata.name ?? plan.holder;
    const ifInterrupted = 'if interrupted, "kubectl ambient tags" shows it incomplete';
    lines.push(`  until the last write, ${holder} records the operation (${plan.operation.id}): ${ifInterrupted}`);
  }
  const followers = plan.followers.length;
  if (followers > 0 && plan.to !== undefined)
    lines.push(
      `  ${followers} gateway(s)/waypoint(s) follow ${plan.tag}: istiod of ${plan.to} re-renders their proxies`,
    );
  if (plan.namespaces.length > 0 && plan.to !== undefined)
    lines.push(`  ${plan.namespaces.length} namespace(s) labelled ${plan.tag}: new pods get ${plan.to}'s injector`);
  return `${lines.join('\n')}\n`;
}
