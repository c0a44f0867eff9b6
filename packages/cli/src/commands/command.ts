/** The shape of a subcommand: its options (for `node:util` parseArgs), help text and action. */
import type { ParseArgsConfig } from 'node:util';

export interface CommandIO {
  log(line: string): void;
  write(text: string): void;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: ParsedArgs, io: CommandIO): void | Promise<void>;
}
