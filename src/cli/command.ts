import type { ArgumentsCamelCase, Argv, PositionalOptions } from 'yargs';
import type { Deps } from './deps.ts';
import type { FlagArgs, FlagTable } from './options.ts';

/** A command's positionals, declared once: yargs positional declarations by name (completion reads their choices). */
export type PositionalTable = Record<string, PositionalOptions>;

/** The parser once a command's flags are declared on it: what yargs' `.options(flags)` returns. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- yargs' own starting type, `Argv<{}>`
export type FlagArgv<F extends FlagTable> = Argv<Omit<{}, keyof F> & FlagArgs<F>>;

/**
 * A command's declaration. `flags` feeds yargs, completion and help as it is. A positional is named
 * in `command` (its place), declared in `positionals` (what completion and help read) and handed by
 * `positional` to yargs from that table, so yargs infers the handler's argument type from both
 * tables (no assertion); test/cli/help.test.ts checks the three agree for every command. Examples
 * are written for the dispatcher (`$0 tags prod`).
 */
export interface CommandDeclaration<F extends FlagTable, U> {
  /** The name, then the positionals in yargs' syntax: `tag-move <tag> <revision>`. */
  command: string;
  /** One line for the command list; false hides the command. */
  describe: string | false;
  flags: F;
  positionals: PositionalTable;
  positional: (y: FlagArgv<F>) => Argv<U>;
  examples: [command: string, description: string][];
}

/** Infers a declaration's flag table and argument type (identity at run time). */
export const declareCommand = <F extends FlagTable, U>(d: CommandDeclaration<F, U>): CommandDeclaration<F, U> => d;

/** The arguments a declaration parses to: the handler's argument type. */
export type CommandArgs<D> = D extends { positional: (y: never) => Argv<infer U> } ? U : never;

/**
 * A command as the parser runs it: a yargs module whose builder declares `flags` and `positionals`,
 * with both tables alongside for completion, so completion reads what the parser is given.
 */
export interface AmbientCommand<U> {
  command: string;
  describe: string | false;
  flags: FlagTable;
  positionals: PositionalTable;
  examples: [command: string, description: string][];
  builder: (y: Argv) => Argv<U>;
  // A method, so that the registry can hold commands of every argument type.
  handler(args: ArgumentsCamelCase<U>): void | Promise<void>;
}

/** A command is a factory over the injected dependencies (no flag state at module level). */
export type CommandFactory = (deps: Deps) => AmbientCommand<object>;

/** A command's factory: its declaration, and the handler that runs with the parsed arguments and the dependencies. */
export function defineCommand<F extends FlagTable, U>(
  d: CommandDeclaration<F, U>,
  handler: (args: ArgumentsCamelCase<U>, deps: Deps) => void | Promise<void>,
): (deps: Deps) => AmbientCommand<U> {
  return (deps) => ({
    command: d.command,
    describe: d.describe,
    flags: d.flags,
    positionals: d.positionals,
    examples: d.examples,
    builder: (y) => d.positional(y.options(d.flags)),
    handler: (args) => handler(args, deps),
  });
}
