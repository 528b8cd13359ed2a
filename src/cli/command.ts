import type { ArgumentsCamelCase, Argv, PositionalOptions } from 'yargs';
import type { Deps } from './deps.ts';
import type { FlagTable } from './options.ts';

/** A command's positionals, declared once: yargs positional declarations by name (completion reads their choices). */
export type PositionalTable = Record<string, PositionalOptions>;

/** What a builder parses to: the handler's argument type, inferred by yargs from the declarations. */
export type BuiltArgs<B> = B extends (y: Argv) => Argv<infer U> ? U : never;

/**
 * A command: a yargs module whose builder declares `flags` (`.options(flags)`) and `positionals`,
 * with both tables alongside for completion, so completion reads what the parser is given.
 */
export interface AmbientCommand<U> {
  /** The name, then the positionals in yargs' syntax: `tag-move <tag> <revision>`. */
  command: string;
  /** One line for the command list; false hides the command. */
  describe: string | false;
  flags: FlagTable;
  positionals: PositionalTable;
  builder: (y: Argv) => Argv<U>;
  // A method, so that the registry can hold commands of every argument type.
  handler(args: ArgumentsCamelCase<U>): void | Promise<void>;
}

/** A command is a factory over the injected dependencies (no flag state at module level). */
export type CommandFactory = (deps: Deps) => AmbientCommand<object>;
