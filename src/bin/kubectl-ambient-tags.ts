import { main } from '../cli/run.ts';
import { tagsCommand } from '../commands/tags.ts';

void main([tagsCommand], { scriptName: 'kubectl ambient tags', single: true });
