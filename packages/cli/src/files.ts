/**
 * Reading and writing the files the commands name, with errors that say which
 * file and why: a file that cannot be read or written is a usage error (exit
 * 2, the path given is wrong), one whose content is wrong an `EnsembleError`
 * (exit 1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type EnsembleArchitecture, EnsembleError, parseManifest, readSafetensors, type SafetensorsFile } from '@ensembles/core';
import { UsageError } from './usage-error.js';

export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read ${path}: ${reason}`);
  }
}

export function readManifest(path: string): EnsembleArchitecture {
  const text = Buffer.from(readBytes(path)).toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // The file is at fault, not the command line: exit 1, as for a manifest that fails validation.
    throw new EnsembleError('MANIFEST_INVALID', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(document);
}

export function readTensors(path: string): SafetensorsFile {
  return readSafetensors(readBytes(path), { source: path });
}

export function writeBytes(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`);
  }
}
