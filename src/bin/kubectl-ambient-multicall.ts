import { mainByName } from '../cli/run.ts';
import { invocation } from '../commands/multicall.ts';

// The one executable of the release archives: it runs the command its name stands for.
void mainByName(invocation);
