import { main } from '../cli/run.ts';
import { commands } from '../commands/index.ts';

void main(commands, { scriptName: 'kubectl ambient', single: false });
