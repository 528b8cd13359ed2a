import { main } from '../cli/run.ts';
import { skewCommand } from '../commands/skew.ts';

void main([skewCommand], { scriptName: 'kubectl ambient skew', single: true });
