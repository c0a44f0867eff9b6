/**
 * `ensemble import`: N members exported to ONNX (from PyTorch, either
 * exporter) → one graph manifest and one stacked safetensors file, served
 * like any ensemble.
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importOnnxMembers, parseManifest, writeStackedEnsemble } from '@ensembles/core';
import { readBytes, writeBytes } from '../files.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';
import { requireString } from './stack.js';

export const importCommand: Command = {
  summary: 'import members exported to ONNX as one vectorized ensemble (model.json + stacked.safetensors)',
  usage: [
    'ensemble import --out DIR [--name NAME] member0.onnx member1.onnx ...',
    '',
    'Reads one ONNX file per member (same architecture, e.g. torch.onnx.export of each',
    'trained member with a dynamic batch axis), checks that they share one graph, and',
    'writes DIR/model.json (the graph manifest) and DIR/stacked.safetensors (the',
    "members' parameters stacked [N, ...]). --name defaults to DIR's name.",
  ].join('\n'),
  options: { out: { type: 'string' }, name: { type: 'string' } },
  run({ values, positionals }, io) {
    const out = requireString(values.out, '--out');
    if (positionals.length === 0) throw new UsageError('no member files given: list one ONNX file per member');
    const name = typeof values.name === 'string' && values.name !== '' ? values.name : basename(out);
    const files = positionals.map((path) => ({ name: basename(path), bytes: readBytes(path) }));
    const { manifest, parameters } = importOnnxMembers(files, { name });
    const architecture = parseManifest(manifest);
    const members = architecture.manifest.members;
    try {
      mkdirSync(out, { recursive: true });
    } catch (error) {
      throw new UsageError(`cannot create ${out}: ${(error as Error).message}`);
    }
    writeBytes(join(out, 'model.json'), formatManifest(manifest));
    writeBytes(join(out, 'stacked.safetensors'), writeStackedEnsemble({ architecture, parameters }));
    const layers = architecture.layers.filter((layer) => layer.layer.op !== 'parameter' && layer.layer.op !== 'constant').length;
    io.log(
      `imported ${members} members of ${name}: ${layers} layers, ${parameters.size} stacked parameters, ` +
        `input [batch, ${architecture.manifest.input.shape.join(', ')}] ${architecture.manifest.input.dtype}, ` +
        `output [batch, ${architecture.outputShape.join(', ')}] → ${join(out, 'model.json')}, ${join(out, 'stacked.safetensors')}`,
    );
  },
};

/** The manifest as JSON with one layer per line: a graph of a hundred layers stays readable. */
function formatManifest(manifest: object): string {
  const fields = Object.entries(manifest).map(([key, value]) =>
    key === 'layers' && Array.isArray(value)
      ? `  "layers": [\n${value.map((layer) => `    ${JSON.stringify(layer)}`).join(',\n')}\n  ]`
      : `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{\n${fields.join(',\n')}\n}\n`;
}
