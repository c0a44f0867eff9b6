/** `ensemble stack`: per-member PyTorch state dicts → one stacked safetensors file. */
import { stackMembers, writeSafetensors } from '@ensembles/core';
import { readManifest, readTensors, writeBytes } from '../files.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

export const stackCommand: Command = {
  summary: 'stack per-member safetensors files into one [N, ...] file',
  usage: 'ensemble stack --manifest model.json --out stacked.safetensors member0.safetensors member1.safetensors ...',
  options: { manifest: { type: 'string' }, out: { type: 'string' } },
  run({ values, positionals }, io) {
    const manifestPath = requireString(values.manifest, '--manifest');
    const out = requireString(values.out, '--out');
    if (positionals.length === 0) throw new UsageError('no member files given: list one safetensors file per member');
    const architecture = readManifest(manifestPath);
    const members = positionals.map((path) => readTensors(path).tensors);
    const stacked = stackMembers(architecture, members);
    writeBytes(out, writeSafetensors(stacked, { ensemble: architecture.manifest.name, members: String(members.length) }));
    io.log(`stacked ${members.length} members of ${architecture.manifest.name} (${stacked.length} tensors) into ${out}`);
  },
};

export function requireString(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  return value;
}
