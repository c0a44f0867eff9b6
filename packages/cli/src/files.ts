/** Reading and writing the files the commands name, with errors that say which file and why. */
import { readFileSync, writeFileSync } from 'node:fs';
import { type EnsembleArchitecture, parseManifest, readSafetensors, type SafetensorsFile } from '@ensembles/core';
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
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
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
