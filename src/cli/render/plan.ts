import type { Plan } from '../../core/tag-plan.ts';
import { paint } from '../io.ts';

/** The change a plan makes, per object, for stderr: `~` updated, `+` created, then one line per change. */
export function renderPlan(plan: Plan, color: boolean): string {
  const lines = [`${paint(color, 'bold', `tag ${plan.tag}`)}: ${plan.from ?? '(new)'} -> ${plan.to} (${plan.toVersion})`];
  for (const w of plan.writes) {
    const o = w.after;
    const name = `${o.kind} ${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    if (w.action === 'create') {
      lines.push(paint(color, 'green', `  + ${name} (new)`));
      continue;
    }
    lines.push(paint(color, 'yellow', `  ~ ${name}`));
    for (const c of w.changes) {
      const text = c.before === undefined ? `${c.path}: + ${c.after ?? ''}` : c.after === undefined ? `${c.path}: - ${c.before}` : `${c.path}: ${c.before} -> ${c.after}`;
      lines.push(`      ${text}`);
    }
  }
  const followers = plan.followers.length;
  if (followers > 0) lines.push(`  ${followers} gateway(s)/waypoint(s) follow ${plan.tag}: istiod of ${plan.to} re-renders their proxies`);
  if (plan.namespaces.length > 0) lines.push(`  ${plan.namespaces.length} namespace(s) labelled ${plan.tag}: new pods get ${plan.to}'s injector`);
  return `${lines.join('\n')}\n`;
}
