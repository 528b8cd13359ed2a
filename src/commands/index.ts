import type { CommandFactory } from '../cli/run.ts';
import { revisionsCommand } from './revisions.ts';
import { tagsCommand } from './tags.ts';

/** Every command, in help order (registered statically: no commandDir, no dynamic import). */
export const commands: CommandFactory[] = [revisionsCommand, tagsCommand];
