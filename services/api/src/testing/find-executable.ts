/**
 * Finds a program on the PATH, for the tests that drive one the machine may
 * lack (Prometheus, Chromium): without it they skip, saying why, instead of
 * failing on a missing tool.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The path of the first of `names` found on the PATH, or undefined.
 *
 * @example
 * const chromium = findExecutable('chromium', 'chromium-browser', 'google-chrome');
 */
export function findExecutable(...names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // Not here: the next directory.
      }
    }
  }
  return undefined;
}
