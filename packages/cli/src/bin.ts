#!/usr/bin/env node
/** The `ensemble` command: stack, inspect and predict with deep ensembles. */
import { parseArgs } from 'node:util';
import { EnsembleError } from '@ensembles/core';
import { benchCommand } from './commands/bench.js';
import type { Command, CommandIO } from './commands/command.js';
import { importCommand } from './commands/import.js';
import { inspectCommand } from './commands/inspect.js';
import { predictCommand } from './commands/predict.js';
import { stackCommand } from './commands/stack.js';
import { UsageError } from './usage-error.js';

const commands: Record<string, Command> = {
  import: importCommand,
  stack: stackCommand,
  inspect: inspectCommand,
  predict: predictCommand,
  bench: benchCommand,
};

const io: CommandIO = {
  log: (line) => process.stdout.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
};

function help(): string {
  const lines = ['usage: ensemble <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${command.summary}`);
  lines.push('', 'ensemble <command> --help shows its options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.log(help());
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n${help()}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.log(command.usage);
    return;
  }
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ${command.usage}`);
  }
  await command.run({ values: args.values, positionals: args.positionals }, io);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    // 2: the command line is wrong (a flag, a path that cannot be read); 1: a file, manifest or input is.
    if (error instanceof UsageError || error instanceof EnsembleError) {
      process.stderr.write(`ensemble: ${error.message}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    }
    process.stderr.write(`ensemble: unexpected error\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(70);
  },
);
