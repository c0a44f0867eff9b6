/** Runs the built `ensemble` command as a user would, for the CLI's tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const bin = new URL('../../bin/ensemble.js', import.meta.url).pathname;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function ensemble(...args: string[]): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as CommandResult;
    return { code, stdout, stderr };
  }
}
