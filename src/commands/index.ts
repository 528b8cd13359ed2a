import type { CommandFactory } from '../cli/run.ts';
import { completeCommandFor, completionCommand } from './completion.ts';
import { revisionsCommand } from './revisions.ts';
import { skewCommand } from './skew.ts';
import { tagMoveCommand } from './tag-move.ts';
import { tagRollbackCommand } from './tag-rollback.ts';
import { tagsCommand } from './tags.ts';
import { upgradeCommand } from './upgrade.ts';

const visible: CommandFactory[] = [
  revisionsCommand,
  tagsCommand,
  tagMoveCommand,
  tagRollbackCommand,
  upgradeCommand,
  skewCommand,
  completionCommand,
];

/**
 * Every command, in help order (registered statically: no commandDir, no dynamic import), and the
 * hidden `__complete` that completes their words (shell completion, `kubectl_complete-ambient`).
 */
export const commands: CommandFactory[] = [...visible, completeCommandFor(visible)];
