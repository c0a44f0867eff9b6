import { describe, expect, it } from 'vitest';
import { type EnsembleErrorCode, SafetensorsError } from '../errors/ensemble-error.js';
import { readSafetensors, type SafetensorsFile, type SafetensorsTensor } from './read-safetensors.js';

function tensorNamed(file: SafetensorsFile, name: string): SafetensorsTensor {
  const tensor = file.tensors.get(name);
  if (!tensor) throw new Error(`no tensor ${name}`);
  return tensor;
}

/** A file with the given header (object or raw text) and `dataLength` zero bytes of data. */
function fileFrom(header: object | string, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const file = new Uint8Array(8 + json.length + dataLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
  file.set(json, 8);
  return file;
}

function expectRejection(read: () => unknown, code: EnsembleErrorCode, ...fragments: string[]): void {
  let caught: unknown;
  try {
    read();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const error = caught as SafetensorsError;
  expect(error.code).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('readSafetensors', () => {
  it('reads the bytes of safetensors.torch.save_file({"a": torch.zeros(2)})', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    expect(header.length % 8).toBe(0);
    const file = fileFrom(header, 8);
    expect(file[0]).toBe(56);

    const read = readSafetensors(file);
    expect(read.metadata).toEqual({});
    expect([...read.tensors.keys()]).toEqual(['a']);
    const a = tensorNamed(read, 'a');
    expect(a).toMatchObject({ name: 'a', dtype: 'F32', shape: [2] });
    expect(a.bytes).toEqual(new Uint8Array(8));
    expect(a.bytes.buffer).toBe(file.buffer); // a view, not a copy
    expect(a.bytes.byteOffset).toBe(64);
  });

  it('reads metadata and orders tensors by their data, as Python writes them', () => {
    // safetensors.numpy.save_file({"b": zeros(1, f64), "a": zeros(1, f16)}, metadata={"z": "1", "format": "np"})
    const header =
      '{"__metadata__":{"format":"np","z":"1"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
      '"a":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}}     ';
    const read = readSafetensors(fileFrom(header, 10));
    expect(read.metadata).toEqual({ format: 'np', z: '1' });
    expect([...read.tensors.keys()]).toEqual(['b', 'a']);
    expect(tensorNamed(read, 'a').bytes.length).toBe(2);
  });

  it('orders tensors by data offset, whatever the header order and name shape', () => {
    const header = `{"x":${JSON.stringify(f32([1], 8, 12))},"10":${JSON.stringify(f32([1], 4, 8))},"2":${JSON.stringify(f32([1], 0, 4))}}`;
    expect([...readSafetensors(fileFrom(header, 12)).tensors.keys()]).toEqual(['2', '10', 'x']);
  });

  it('reads a file that sits inside a larger buffer', () => {
    const file = fileFrom({ t: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, 3);
    file.set([7, 8, 9], file.length - 3);
    const outer = new Uint8Array(file.length + 5);
    outer.set(file, 3);
    const t = tensorNamed(readSafetensors(outer.subarray(3, 3 + file.length)), 't');
    expect([...t.bytes]).toEqual([7, 8, 9]);
    expect(t.bytes.buffer).toBe(outer.buffer);
  });

  it('accepts scalars, empty tensors (also sharing an offset) and empty files', () => {
    const header = {
      scalar: f32([], 0, 4),
      empty: f32([0, 5], 4, 4),
      alsoEmpty: { dtype: 'I64', shape: [2 ** 53 - 1, 0], data_offsets: [4, 4] },
      last: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
    };
    const read = readSafetensors(fileFrom(header, 8));
    expect(tensorNamed(read, 'scalar').shape).toEqual([]);
    expect(tensorNamed(read, 'empty').bytes.length).toBe(0);
    expect(tensorNamed(read, 'alsoEmpty').shape).toEqual([2 ** 53 - 1, 0]);
    expect(readSafetensors(fileFrom('{}      ', 0)).tensors.size).toBe(0);
  });

  it('accepts a null __metadata__ and tricky strings without seeing false duplicates', () => {
    const metadata = { 'k"},"a":{': 'v\\"}', '{[': '\\', ',"a":': '"a"' };
    expect(readSafetensors(fileFrom({ __metadata__: null, a: f32([], 0, 4) }, 4)).metadata).toEqual({});
    const file = readSafetensors(fileFrom({ __metadata__: metadata, a: f32([1], 0, 4), b: { ...f32([], 4, 8), a: 1 } }, 8));
    expect(file.metadata).toEqual(metadata);
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
  });

  it('reads "__proto__" as a plain name', () => {
    const file = readSafetensors(
      fileFrom('{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}', 1),
    );
    expect(Object.keys(file.metadata)).toEqual(['__proto__']);
    expect(tensorNamed(file, '__proto__').dtype).toBe('U8');
  });
});

describe('readSafetensors rejects', () => {
  const BAD_HEADER = 'SAFETENSORS_BAD_HEADER';
  const BAD_TENSOR = 'SAFETENSORS_BAD_TENSOR';

  it('a file shorter than 8 bytes', () => {
    expectRejection(() => readSafetensors(new Uint8Array(5)), BAD_HEADER, '5 bytes', 'too short');
  });

  it('a header length beyond the file, naming both numbers', () => {
    const file = fileFrom('{}', 0);
    file[0] = 200;
    expectRejection(() => readSafetensors(file), BAD_HEADER, 'header length 200', 'file has 10');
  });

  it('an absurdly large header length', () => {
    const file = new Uint8Array(16);
    new DataView(file.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expectRejection(() => readSafetensors(file), BAD_HEADER, '18446744073709551615', 'limit of 100000000');
    new DataView(file.buffer).setBigUint64(0, 100_000_001n, true);
    expectRejection(() => readSafetensors(file), BAD_HEADER, 'header length 100000001');
  });

  it('a header that is not UTF-8', () => {
    const file = fileFrom('{"a" }', 0);
    file[12] = 0xff;
    expectRejection(() => readSafetensors(file), BAD_HEADER, 'not valid UTF-8');
  });

  it('a header that is not JSON', () => {
    expectRejection(() => readSafetensors(fileFrom('{"a":', 0)), BAD_HEADER, 'not valid JSON');
  });

  it.each([
    ['[]', 'an array'],
    ['null', 'null'],
    ['"x"', 'a string'],
  ])('a header that is not an object: %s', (header, got) => {
    expectRejection(() => readSafetensors(fileFrom(header, 0)), BAD_HEADER, 'must be a JSON object', got);
  });

  it('duplicate tensor names, even when spelled with escapes', () => {
    const entry = JSON.stringify(f32([1], 0, 4));
    expectRejection(() => readSafetensors(fileFrom(`{"w":${entry}, "w" :${entry}}`, 4)), BAD_HEADER, '"w" more than once');
    expectRejection(() => readSafetensors(fileFrom(`{"a\\"b":${entry},"a\\u0022b":${entry}}`, 4)), BAD_HEADER, '"a\\"b" more than once');
  });

  it('__metadata__ that is not an object of strings', () => {
    expectRejection(
      () => readSafetensors(fileFrom({ __metadata__: { epochs: 3 } }, 0)),
      BAD_HEADER,
      '__metadata__ value "epochs"',
      'a number',
    );
    expectRejection(() => readSafetensors(fileFrom({ __metadata__: ['x'] }, 0)), BAD_HEADER, '__metadata__ must be an object', 'an array');
  });

  it('an entry that is not an object', () => {
    expectRejection(() => readSafetensors(fileFrom({ w: [1, 2] }, 0)), BAD_TENSOR, 'tensor "w"', 'entry must be an object');
  });

  it('a missing or ill-typed dtype', () => {
    expectRejection(
      () => readSafetensors(fileFrom({ w: { shape: [], data_offsets: [0, 4] } }, 4)),
      BAD_TENSOR,
      'tensor "w"',
      'dtype must be a string',
      'nothing',
    );
    expectRejection(
      () => readSafetensors(fileFrom({ w: { ...f32([], 0, 4), dtype: 4 } }, 4)),
      BAD_TENSOR,
      'tensor "w"',
      'dtype must be a string',
      'a number',
    );
  });

  it('a missing or ill-typed shape', () => {
    expectRejection(
      () => readSafetensors(fileFrom({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4)),
      BAD_TENSOR,
      'tensor "w"',
      'shape must be an array',
    );
    expectRejection(
      () => readSafetensors(fileFrom({ w: { ...f32([], 0, 4), shape: '[1]' } }, 4)),
      BAD_TENSOR,
      'tensor "w"',
      'shape must be an array',
    );
  });

  it.each([
    ['negative', '[2,-1]', '-1'],
    ['non-integer', '[1.5]', '1.5'],
    ['unsafe', '[9007199254740993]', '9007199254740992'],
    ['non-number', '["2"]', '"2"'],
  ])('a shape with a %s dimension', (_, shape, shown) => {
    const header = `{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`;
    expectRejection(
      () => readSafetensors(fileFrom(header, 4)),
      BAD_TENSOR,
      'tensor "w"',
      'shape dimension',
      shown,
      'non-negative safe integers',
    );
  });

  it.each([
    ['missing', undefined],
    ['too short', [4]],
    ['negative', [-4, 0]],
    ['fractional', [0, 3.5]],
  ])('data_offsets that are %s', (_, offsets) => {
    const header = { w: { dtype: 'F32', shape: [1], data_offsets: offsets } };
    expectRejection(() => readSafetensors(fileFrom(header, 4)), BAD_TENSOR, 'tensor "w"', 'data_offsets must be [begin, end]');
  });

  it('an unknown dtype, including names of Object.prototype members', () => {
    const code = 'SAFETENSORS_UNSUPPORTED_DTYPE';
    expectRejection(
      () => readSafetensors(fileFrom({ w: { ...f32([1], 0, 4), dtype: 'Q4' } }, 4)),
      code,
      'tensor "w"',
      'unsupported dtype "Q4"',
    );
    expectRejection(() => readSafetensors(fileFrom({ w: { ...f32([1], 0, 4), dtype: 'toString' } }, 4)), code, 'tensor "w"', '"toString"');
  });

  it('offsets beyond the data section', () => {
    expectRejection(
      () => readSafetensors(fileFrom({ w: f32([2], 0, 8) }, 4)),
      BAD_TENSOR,
      'tensor "w"',
      '[0, 8]',
      'run past the 4-byte data section',
    );
  });

  it('offsets that begin after they end', () => {
    expectRejection(() => readSafetensors(fileFrom({ w: f32([1], 8, 4) }, 8)), BAD_TENSOR, 'tensor "w"', '[8, 4] begin after they end');
  });

  it('overlapping tensors, naming both', () => {
    const header = { a: f32([2], 0, 8), b: f32([2], 4, 12) };
    expectRejection(() => readSafetensors(fileFrom(header, 12)), BAD_TENSOR, 'tensor "b"', 'overlaps tensor "a"');
    const inside = { a: f32([2], 0, 8), b: f32([0], 4, 4) };
    expectRejection(() => readSafetensors(fileFrom(inside, 8)), BAD_TENSOR, 'tensor "b"', 'overlaps tensor "a"');
  });

  it('a gap between tensors', () => {
    const header = { a: f32([1], 0, 4), b: f32([1], 8, 12) };
    expectRejection(() => readSafetensors(fileFrom(header, 12)), BAD_TENSOR, 'tensor "b"', 'gap of 4 unused bytes');
    expectRejection(() => readSafetensors(fileFrom({ a: f32([1], 4, 8) }, 8)), BAD_TENSOR, 'tensor "a"', 'gap of 4 unused bytes');
  });

  it('unused bytes at the end of the data section', () => {
    expectRejection(() => readSafetensors(fileFrom({ a: f32([1], 0, 4) }, 6)), BAD_TENSOR, '2 unused bytes at its end', 'after tensor "a"');
    expectRejection(() => readSafetensors(fileFrom({}, 3)), BAD_TENSOR, '3 unused bytes', 'no tensors');
  });

  it('a byte count that does not match shape and dtype, with expected and actual', () => {
    const header = { w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } };
    expectRejection(() => readSafetensors(fileFrom(header, 8)), BAD_TENSOR, 'tensor "w"', 'F16 [2, 3] needs 12 bytes', 'hold 8');
  });

  it('a gigantic shape, without allocating', () => {
    const header = { w: { dtype: 'F64', shape: [2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1, 2 ** 40], data_offsets: [0, 8] } };
    expectRejection(() => readSafetensors(fileFrom(header, 8)), BAD_TENSOR, 'tensor "w"', 'needs more than 9007199254740991 bytes');
    const overflowToZero = { w: { dtype: 'U8', shape: [2 ** 32, 2 ** 32], data_offsets: [0, 0] } };
    expectRejection(() => readSafetensors(fileFrom(overflowToZero, 0)), BAD_TENSOR, 'tensor "w"', 'needs more than');
  });

  it('with the source named first', () => {
    expectRejection(
      () => readSafetensors(fileFrom({ w: f32([1], 0, 4) }, 2), { source: 'm0.safetensors' }),
      BAD_TENSOR,
      'm0.safetensors: tensor "w"',
    );
    expectRejection(() => readSafetensors(new Uint8Array(0), { source: 'empty.bin' }), BAD_HEADER, 'empty.bin: file is 0 bytes');
  });
});
