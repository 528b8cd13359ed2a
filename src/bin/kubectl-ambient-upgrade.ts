import { main } from '../cli/run.ts';
import { upgradeCommand } from '../commands/upgrade.ts';

void main([upgradeCommand], { scriptName: 'kubectl ambient upgrade', single: true });
