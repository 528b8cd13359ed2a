import type { CommandFactory } from '../cli/run.ts';
import { revisionsCommand } from './revisions.ts';
import { skewCommand } from './skew.ts';
import { tagMoveCommand } from './tag-move.ts';
import { tagRollbackCommand } from './tag-rollback.ts';
import { tagsCommand } from './tags.ts';

/** Every command, in help order (registered statically: no commandDir, no dynamic import). */
export const commands: CommandFactory[] = [revisionsCommand, tagsCommand, tagMoveCommand, tagRollbackCommand, skewCommand];
