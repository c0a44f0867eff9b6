/**
 * Files mistaken for safetensors: real ones from `fixtures/foreign/make_fixtures.py`
 * (torch.save in both formats, an ONNX model), a few written by hand, and
 * safetensors files that are merely broken, which must keep their own errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../errors/ensemble-error.js';
import { describeForeignFile } from './describe-foreign-file.js';
import { readSafetensors } from './read-safetensors.js';
import { float32Tensor, writeSafetensors } from './write-safetensors.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/foreign/${name}`, import.meta.url)));
const FIX = 'save_file(model.state_dict(), "member0.safetensors")';

function readError(bytes: Uint8Array): SafetensorsError {
  try {
    readSafetensors(bytes, { source: 'member 0' });
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return error as SafetensorsError;
  }
  throw new Error('the file was read as safetensors');
}

describe('describeForeignFile', () => {
  it.each([
    ['member0.pt', 'a PyTorch checkpoint (torch.save\'s zip format, holding "member0/data.pkl")'],
    ['member0-legacy.pt', "a PyTorch checkpoint in torch.save's legacy format (a protocol 2 pickle"],
  ])('says what %s is and how to save safetensors instead', (name, what) => {
    const description = describeForeignFile(fixture(name));
    expect(description).toContain(what);
    expect(description).toContain('not a safetensors file');
    expect(description).toContain(`from safetensors.torch import save_file; ${FIX}`);
  });

  it('names an ONNX model and its producer, and says how to import it', () => {
    const description = describeForeignFile(fixture('member0.onnx'));
    expect(description).toContain('an ONNX model (IR version 14, from pytorch), not a safetensors file;');
    expect(description).toContain('ensemble import --out DIR member0.onnx member1.onnx ...');
    expect(description).not.toContain('save_file');
  });

  it.each([
    // pickle.dumps({"fc.weight": [1.0]}, protocol=p)
    ['a protocol 2 pickle', [0x80, 0x02, 0x7d, 0x71, 0x00], 'a Python pickle (protocol 2;'],
    ['a protocol 4 pickle', [0x80, 0x04, 0x95, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0x7d], 'a Python pickle (protocol 4;'],
    ['a protocol 5 pickle', [0x80, 0x05, 0x95, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0x7d], 'a Python pickle (protocol 5;'],
    // numpy.savez: a zip whose first entry is not PyTorch's data.pkl
    [
      'an .npz archive',
      [0x50, 0x4b, 0x03, 0x04, 0x2d, ...Array(21).fill(0), 0x05, 0x00, 0x14, 0x00, ...Buffer.from('w.npy')],
      'first entry "w.npy"',
    ],
    ['a zip cut short', [0x50, 0x4b, 0x03, 0x04], 'a zip archive (PK header; torch.save'],
  ])('recognizes %s', (_what, bytes, description) => {
    expect(describeForeignFile(new Uint8Array(bytes))).toContain(description);
  });

  it.each([
    ['a safetensors file', writeSafetensors([float32Tensor('w', [2], Float32Array.of(1, 2))])],
    // A header length of 0x0280 bytes starts `80 02 00`: not a pickle.
    ['a safetensors header length that starts like a pickle', new Uint8Array([0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x7b])],
    // ... and 0x120e08 starts `08 0e 12 00`: not an ONNX model.
    ['a safetensors header length that starts like ONNX', new Uint8Array([0x08, 0x0e, 0x12, 0, 0, 0, 0, 0, 0x7b])],
    ['a pickle protocol this reader does not know', new Uint8Array([0x80, 0x09, 0x95])],
    ['nothing', new Uint8Array(0)],
    ['text', new TextEncoder().encode('{"weights": [1, 2, 3]}')],
  ])('leaves %s alone', (_what, bytes) => {
    expect(describeForeignFile(bytes)).toBeUndefined();
  });
});

describe('readSafetensors on a file in another format', () => {
  it('refuses a torch.save checkpoint with SAFETENSORS_WRONG_FORMAT, naming the source, the format and the fix', () => {
    const error = readError(fixture('member0.pt'));
    expect(error.code).toBe('SAFETENSORS_WRONG_FORMAT');
    expect(error.message).toMatch(/^member 0: a PyTorch checkpoint \(torch\.save's zip format/);
    expect(error.message).toContain(FIX);
    expect(error.message).not.toContain('header length');
  });

  it.each([
    ['member0-legacy.pt', FIX],
    ['member0.onnx', 'ensemble import'],
  ])('refuses %s the same way', (name, fix) => {
    const error = readError(fixture(name));
    expect(error.code).toBe('SAFETENSORS_WRONG_FORMAT');
    expect(error.message).toContain(fix);
  });

  it('keeps the header error of a safetensors file that is merely cut short', () => {
    const good = writeSafetensors([float32Tensor('w', [2], Float32Array.of(1, 2))]);
    const error = readError(good.subarray(0, 20));
    expect(error.code).toBe('SAFETENSORS_BAD_HEADER');
    expect(error.message).toContain('runs past the end of the file');
  });
});
