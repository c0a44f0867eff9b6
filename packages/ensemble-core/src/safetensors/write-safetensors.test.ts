import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../errors/ensemble-error.js';
import { readSafetensors, type SafetensorsFile, type SafetensorsTensor } from './read-safetensors.js';
import { toFloat32 } from './to-float32.js';
import { float32Tensor, int64Tensor, type TensorToWrite, writeSafetensors } from './write-safetensors.js';

function tensorNamed(file: SafetensorsFile, name: string): SafetensorsTensor {
  const tensor = file.tensors.get(name);
  if (!tensor) throw new Error(`no tensor ${name}`);
  return tensor;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const headerOf = (file: Uint8Array) => text(file.subarray(8, 8 + Number(new DataView(file.buffer).getBigUint64(0, true))));

function expectRejection(write: () => unknown, code: string, ...fragments: string[]): void {
  expect(write).toThrow(SafetensorsError);
  expect(write).toThrow(expect.objectContaining({ code }));
  for (const fragment of fragments) expect(write).toThrow(fragment);
}

describe('writeSafetensors', () => {
  it('writes byte for byte what safetensors.torch.save_file({"a": torch.zeros(2)}) writes', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    const expected = new Uint8Array(8 + header.length + 8);
    expected[0] = header.length;
    expected.set(new TextEncoder().encode(header), 8);
    expect(writeSafetensors([float32Tensor('a', [2], new Float32Array(2))])).toEqual(expected);
  });

  it('round-trips write → read → write byte for byte', () => {
    const tensors: TensorToWrite[] = [
      float32Tensor('fc1.weight', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6])),
      float32Tensor('scalar', [], new Float32Array([Math.PI])),
      float32Tensor('empty', [0, 3], new Float32Array(0)),
      int64Tensor('bn.num_batches_tracked', [], [123]),
      { name: 'half ünïcode "name"', dtype: 'F16', shape: [3], bytes: new Uint8Array([0, 0x3c, 0, 0xc0, 0, 0x38]) },
      { name: 'mask', dtype: 'BOOL', shape: [5], bytes: new Uint8Array([1, 0, 1, 1, 0]) },
    ];
    const metadata = { format: 'pt', 'note "quoted"': 'ü\\n}', '10': 'integer-like key' };
    const first = writeSafetensors(tensors, metadata);
    const read = readSafetensors(first);
    const second = writeSafetensors(read.tensors.values(), read.metadata);
    expect(second).toEqual(first);
    expect(read.metadata).toEqual(metadata);
    expect([...toFloat32(tensorNamed(read, 'fc1.weight'))]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toFloat32(tensorNamed(read, 'scalar'))[0]).toBe(Math.fround(Math.PI));
    expect([...toFloat32(tensorNamed(read, 'half ünïcode "name"'))]).toEqual([1, -2, 0.5]);
  });

  it('sorts tensors and metadata by name, lays data out contiguously and pads the header with spaces', () => {
    const file = writeSafetensors(
      [
        float32Tensor('b', [1], new Float32Array([2])),
        float32Tensor('10', [1], new Float32Array([1])),
        float32Tensor('2', [2], new Float32Array([3, 4])),
      ],
      { z: '1', a: '2' },
    );
    const header = headerOf(file);
    expect((8 + header.length) % 8).toBe(0);
    expect(header).toBe(
      '{"__metadata__":{"a":"2","z":"1"},"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"2":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}' +
        ' '.repeat(header.length - header.trimEnd().length),
    );
    expect(header.length - header.trimEnd().length).toBeLessThan(8);
    expect([...new Float32Array(file.slice(8 + header.length).buffer)]).toEqual([1, 3, 4, 2]);
  });

  it('writes no __metadata__ for empty metadata, and an empty file as {}', () => {
    expect(headerOf(writeSafetensors([], {}))).toBe('{}      ');
    expect(writeSafetensors([]).length).toBe(16);
  });

  it('writes the viewed part of a Float32Array only', () => {
    const data = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    const read = readSafetensors(writeSafetensors([float32Tensor('w', [2], data)]));
    expect([...toFloat32(tensorNamed(read, 'w'))]).toEqual([1, 2]);
  });

  it('writes int64 little-endian from numbers or a BigInt64Array', () => {
    const fromNumbers = int64Tensor('i', [3], [-1, 0, 2 ** 53 - 1]);
    expect(fromNumbers).toEqual(int64Tensor('i', [3], new BigInt64Array([-1n, 0n, 2n ** 53n - 1n])));
    expect([...fromNumbers.bytes.subarray(0, 8)]).toEqual(new Array(8).fill(255));
    expect([...fromNumbers.bytes.subarray(16)]).toEqual([255, 255, 255, 255, 255, 255, 31, 0]);
  });
});

describe('writeSafetensors rejects', () => {
  const f = (name: string) => float32Tensor(name, [1], new Float32Array(1));

  it('duplicate names', () => {
    expectRejection(
      () => writeSafetensors([f('w'), f('v'), f('w')]),
      'SAFETENSORS_BAD_TENSOR',
      'tensor "w": name is used by more than one tensor',
    );
  });

  it('the reserved name __metadata__', () => {
    expectRejection(() => writeSafetensors([f('__metadata__')]), 'SAFETENSORS_BAD_TENSOR', '"__metadata__": name is reserved');
  });

  it('names with lone surrogates', () => {
    expectRejection(() => writeSafetensors([f('bad\ud800')]), 'SAFETENSORS_BAD_TENSOR', 'must be a well-formed string');
  });

  it('a byte count that does not match the shape', () => {
    const tensor: TensorToWrite = { name: 'w', dtype: 'I32', shape: [2, 2], bytes: new Uint8Array(12) };
    expectRejection(() => writeSafetensors([tensor]), 'SAFETENSORS_BAD_TENSOR', 'tensor "w": I32 [2, 2] needs 16 bytes, got 12');
    expectRejection(
      () => float32Tensor('x', [3], new Float32Array(2)),
      'SAFETENSORS_BAD_TENSOR',
      'tensor "x": F32 [3] needs 12 bytes, got 8',
    );
  });

  it('invalid dimensions', () => {
    expectRejection(
      () => float32Tensor('x', [-1, -2], new Float32Array(2)),
      'SAFETENSORS_BAD_TENSOR',
      'tensor "x": shape dimension 0 is -1',
    );
  });

  it('an unknown dtype', () => {
    const tensor = { name: 'w', dtype: 'F4', shape: [2], bytes: new Uint8Array(1) } as unknown as TensorToWrite;
    expectRejection(() => writeSafetensors([tensor]), 'SAFETENSORS_UNSUPPORTED_DTYPE', 'tensor "w": unsupported dtype "F4"');
  });

  it('int64 values that are not safe integers', () => {
    expectRejection(() => int64Tensor('n', [2], [1, 0.5]), 'SAFETENSORS_BAD_TENSOR', 'tensor "n": value 1 is 0.5');
    expectRejection(() => int64Tensor('n', [1], [2 ** 53]), 'SAFETENSORS_BAD_TENSOR', 'not a safe integer');
  });

  it('metadata values that are not strings', () => {
    const metadata = { epochs: 3 } as unknown as Record<string, string>;
    expectRejection(() => writeSafetensors([f('w')], metadata), 'SAFETENSORS_BAD_HEADER', 'metadata "epochs"');
  });
});
