import { main } from '../cli/run.ts';
import { tagRollbackCommand } from '../commands/tag-rollback.ts';

void main([tagRollbackCommand], { scriptName: 'kubectl ambient tag-rollback', single: true });
