/** `ensemble inspect`: a safetensors file's tensors, and optionally its fit with a manifest. */
import { checkParameters, EnsembleError, formatShape, unstackMembers } from '@ensembles/core';
import { readManifest, readTensors } from '../files.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

export const inspectCommand: Command = {
  summary: 'list the tensors of a safetensors file and check them against a manifest',
  usage: 'ensemble inspect FILE.safetensors [--manifest model.json] [--json]',
  options: { manifest: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    const [path, ...extra] = positionals;
    if (!path || extra.length > 0) throw new UsageError('give exactly one safetensors file to inspect');
    const file = readTensors(path);
    const tensors = [...file.tensors.values()].map(({ name, dtype, shape }) => ({ name, dtype, shape }));
    let validation: { manifest: string; as: 'stacked' | 'member'; problems: { path: string; message: string }[] } | undefined;
    if (typeof values.manifest === 'string') {
      const architecture = readManifest(values.manifest);
      // A file is read as stacked when its first parameter carries the member axis.
      const [firstName, firstShape] = [...architecture.parameterShapes][0] ?? [];
      const stacked = firstName !== undefined && file.tensors.get(firstName)?.shape.length === (firstShape?.length ?? 0) + 1;
      const problems = checkParameters(architecture, file.tensors, stacked);
      if (stacked && problems.length === 0) unstackMembers(architecture, file.tensors);
      validation = { manifest: values.manifest, as: stacked ? 'stacked' : 'member', problems };
    }
    if (values.json) {
      io.write(`${JSON.stringify({ file: path, metadata: file.metadata, tensors, validation }, null, 2)}\n`);
    } else {
      io.log(`${path}: ${tensors.length} tensors`);
      for (const [key, value] of Object.entries(file.metadata)) io.log(`  metadata ${key} = ${value}`);
      const width = Math.max(4, ...tensors.map((t) => t.name.length));
      for (const t of tensors) io.log(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  ${formatShape(t.shape)}`);
      if (validation) {
        io.log(
          validation.problems.length === 0
            ? `matches ${validation.manifest} as ${validation.as === 'stacked' ? 'stacked parameters' : 'one member'}`
            : `does not match ${validation.manifest} (read as ${validation.as === 'stacked' ? 'stacked parameters' : 'one member'}):`,
        );
        for (const problem of validation.problems) io.log(`  - ${problem.path}: ${problem.message}`);
      }
    }
    if (validation && validation.problems.length > 0) {
      throw new EnsembleError('PARAMETERS_INVALID', `${path} does not match ${validation.manifest}`);
    }
  },
};
