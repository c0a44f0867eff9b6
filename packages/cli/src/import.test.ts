/**
 * `ensemble import` on members exported by PyTorch's two ONNX exporters,
 * then `ensemble predict` on what it wrote, against PyTorch's `vmap`
 * outputs; and its refusals, one line each.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, toFloat32 } from '@ensembles/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ensemble } from './testing/run-ensemble.js';

const fixtures = new URL('../../ensemble-core/fixtures/onnx/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ensemble-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const memberFiles = (fixture: string, exporter: string) => [0, 1, 2].map((m) => join(fixtures, fixture, `member${m}.${exporter}.onnx`));

describe.each([
  ['mobilenet', 'dynamo'],
  ['transformer-postnorm', 'torchscript'],
])('%s exported with the %s exporter', (fixture, exporter) => {
  const out = join(dir, `${fixture}-${exporter}`);

  it('imports into model.json and stacked.safetensors, and predicts as PyTorch does in both input modes', async () => {
    const imported = await ensemble('import', '--out', out, ...memberFiles(fixture, exporter));
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toMatch(new RegExp(`^imported 3 members of ${fixture}-${exporter}: \\d+ layers`));
    const stacked = readSafetensors(readFileSync(join(out, 'stacked.safetensors'))).tensors;
    for (const tensor of stacked.values()) expect(tensor.shape[0]).toBe(3);

    for (const [mode, inputFile, flags] of [
      ['shared', 'input-shared.safetensors', []],
      ['per-member', 'input-per-member.safetensors', ['--per-member']],
    ] as const) {
      const args = ['--manifest', join(out, 'model.json'), '--weights', join(out, 'stacked.safetensors')];
      const result = await ensemble('predict', ...args, '--input', join(fixtures, fixture, inputFile), ...flags, '--json');
      expect(result.code).toBe(0);
      const members = JSON.parse(result.stdout).members;
      const expected = readSafetensors(readFileSync(join(fixtures, fixture, 'expected.safetensors'))).tensors.get(mode);
      expect(members.shape).toEqual(expected?.shape);
      const want = toFloat32(expected as never);
      const worst = (members.data as number[]).reduce((most, value, i) => Math.max(most, Math.abs(value - (want[i] as number))), 0);
      expect(worst).toBeLessThan(1e-4);
    }
  });
});

describe('refusals, one line each with exit 1', () => {
  it.each([
    [
      'members of two architectures',
      [...memberFiles('resmlp', 'dynamo').slice(0, 2), join(fixtures, 'refused/other-architecture.onnx')],
      /^other-architecture\.onnx differs from member0\.dynamo\.onnx at node \d+ \(.*\): /,
    ],
    [
      'an unsupported op',
      [join(fixtures, 'refused/unsupported-op.onnx')],
      /^unsupported-op\.onnx: node .* \(CumSum\): op CumSum is not supported$/,
    ],
    [
      'an unsupported attribute',
      [join(fixtures, 'refused/unsupported-attribute.onnx')],
      /^unsupported-attribute\.onnx: node .* \(MaxPool\): attribute ceil_mode=1 is not supported$/,
    ],
  ])('%s', async (_what, files, message) => {
    const result = await ensemble('import', '--out', join(dir, 'refused'), ...files);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.replace(/^error: /, '').replace(/^ensemble: /, '')).toMatch(message);
  });

  it('no member files is a usage error (exit 2)', async () => {
    const result = await ensemble('import', '--out', join(dir, 'none'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no member files given: list one ONNX file per member');
  });
});
