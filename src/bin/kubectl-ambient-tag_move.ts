import { main } from '../cli/run.ts';
import { tagMoveCommand } from '../commands/tag-move.ts';

void main([tagMoveCommand], { scriptName: 'kubectl ambient tag-move', single: true });
