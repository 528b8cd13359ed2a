import { main } from '../cli/run.ts';
import { revisionsCommand } from '../commands/revisions.ts';

void main([revisionsCommand], { scriptName: 'kubectl ambient revisions', single: true });
