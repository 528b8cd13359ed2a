import type { PlannedTag, TagResult, UpgradePlan, UpgradeResult } from '../../core/upgrade.ts';
import { paint } from '../io.ts';

/** `a, b, c, d and 3 more`. */
function shortList(names: string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

/** `gateway ingress/ingress, waypoints bookinfo/waypoint, reviews/waypoint`, or `no gateway or waypoint`. */
function followers(t: PlannedTag): string {
  if (t.followers.length === 0) return 'no gateway or waypoint';
  return (['gateway', 'waypoint'] as const)
    .map((kind) => t.followers.filter((f) => f.kind === kind).map((f) => `${f.namespace}/${f.name}`))
    .map((names, i) =>
      names.length === 0 ? '' : `${i === 0 ? 'gateway' : 'waypoint'}${names.length > 1 ? 's' : ''} ${shortList(names)}`,
    )
    .filter((x) => x !== '')
    .join('; ');
}

function namespaces(t: PlannedTag): string {
  if (t.namespaces.length === 0) return '';
  return `; namespace${t.namespaces.length > 1 ? 's' : ''} ${shortList(t.namespaces)}`;
}

/**
 * The plan of `upgrade` for stderr: the tags in order with what follows each and what happens to
 * it, the preconditions, and the gate.
 */
export function renderUpgradePlan(plan: UpgradePlan, color: boolean): string {
  const moving = plan.tags.filter((t) => t.action === 'move').length;
  const order = plan.order === 'given' ? 'in the order of --tags' : 'fewest gateways/waypoints first, default last';
  const lines = [
    paint(
      color,
      'bold',
      `Upgrade to ${plan.revision}${plan.version !== null ? ` (${plan.version})` : ''}: ${moving} ` +
        `tag(s) to move, one at a time, ${order}`,
    ),
  ];
  const width = Math.max(...plan.tags.map((t) => t.tag.length), 3);
  plan.tags.forEach((t, i) => {
    const what =
      t.action === 'move'
        ? `${t.from ?? '(none)'} -> ${plan.revision}`
        : t.action === 'verify'
          ? `on ${plan.revision}, gate only`
          : `on ${plan.revision}, skip`;
    lines.push(`  ${String(i + 1).padStart(2)}. ${t.tag.padEnd(width)}  ${what}: ${followers(t)}${namespaces(t)}`);
    if (t.action !== 'move') lines.push(`      ${t.reason}`);
  });
  if (plan.tags.length === 0) lines.push('  (no tags)');
  lines.push('Preconditions:');
  for (const p of plan.preconditions) {
    const mark = p.ok ? paint(color, 'green', '✔') : paint(color, 'red', '✖');
    lines.push(`  ${mark} ${p.message}`);
    for (const d of p.details.slice(0, 5)) lines.push(`      - ${d}`);
    if (p.details.length > 5) lines.push(`      - and ${p.details.length - 5} more`);
  }
  lines.push(gateLine(plan));
  return `${lines.join('\n')}\n`;
}

const OUTCOME_COLOR: Record<TagResult['outcome'], 'green' | 'yellow' | 'red' | 'dim'> = {
  moved: 'green',
  skipped: 'dim',
  'rolled-back': 'red',
  pending: 'yellow',
};

/** The summary after the last tag (stderr): one line per tag, then the commands to continue or undo. */
export function renderUpgradeSummary(result: UpgradeResult, color: boolean): string {
  const count = (o: TagResult['outcome']): number => result.tags.filter((t) => t.outcome === o).length;
  const counts = `${count('moved')} moved, ${count('rolled-back')} rolled back, ${count('skipped')} skipped, ${count('pending')} pending`;
  const head =
    result.status === 'succeeded'
      ? `upgrade to ${result.revision}: done, every tag is on ${result.revision} (${counts})`
      : `upgrade to ${result.revision} ${result.status} (${counts})`;
  const lines = [paint(color, 'bold', head)];
  const width = Math.max(...result.tags.map((t) => t.tag.length), 3);
  for (const t of result.tags)
    lines.push(
      `  ${t.tag.padEnd(width)}  ${paint(color, OUTCOME_COLOR[t.outcome], t.outcome.padEnd(11))}  ${t.message}`,
    );
  if (result.next.continue !== null) lines.push(`continue: ${result.next.continue}`);
  if (result.next.undo.length > 0)
    lines.push(`undo the moved tags: ${result.next.undo.map((c) => `"${c}"`).join(', then ')}`);
  return `${lines.join('\n')}\n`;
}

/** What the gate after each move checks, in one line. */
function gateLine(plan: UpgradePlan): string {
  const healthy = `every gateway/waypoint following the tag has all its pods on ${plan.revision} and Ready`;
  const rolledOut = `its Deployment rolled out and its Gateway Programmed=True (within ${plan.gate.timeout})`;
  const soak = `then no pod restarts or crash-loops for ${plan.gate.soak}`;
  return `Gate after each move: ${healthy}, ${rolledOut}, ${soak}; a failing tag is rolled back and the upgrade stops`;
}
