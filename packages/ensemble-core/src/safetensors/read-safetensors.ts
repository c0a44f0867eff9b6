/**
 * Reads a safetensors file: an 8-byte little-endian header length N, N bytes
 * of UTF-8 JSON header, then the data section that the header's tensors must
 * tile exactly. Tensor bytes are views into the input, never copies.
 *
 * Errors are `SafetensorsError`s: `SAFETENSORS_BAD_HEADER` for the file and
 * header as a whole, `SAFETENSORS_BAD_TENSOR` for one tensor's entry or data
 * layout, `SAFETENSORS_UNSUPPORTED_DTYPE` for an unknown dtype, and
 * `SAFETENSORS_WRONG_FORMAT` for a file in another format (a `torch.save`
 * checkpoint, a pickle, an ONNX model: see `describeForeignFile`).
 */

import { type EnsembleErrorCode, SafetensorsError } from '../errors/ensemble-error.js';
import { formatShape } from '../tensor/tensor.js';
import { describeForeignFile } from './describe-foreign-file.js';
import { byteLengthOf, isDimension, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { topLevelKeys } from './top-level-keys.js';

/** One tensor of a safetensors file. */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The tensor's little-endian bytes: a view into the file buffer. */
  readonly bytes: Uint8Array;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name, in the order of their data in the file. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The header's `__metadata__` (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ReadSafetensorsOptions {
  /** Names the input (e.g. a file name) at the start of error messages. */
  source?: string;
}

/** Largest header accepted, as in the official implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and validates a safetensors file held in memory.
 *
 * @example
 * const file = readSafetensors(await readFile('model.safetensors'), { source: 'model.safetensors' });
 * const weight = file.tensors.get('fc1.weight'); // { dtype: 'F32', shape: [128, 784], bytes }
 */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const prefix = options.source === undefined ? '' : `${options.source}: `;
  const error: Fail = (code, message, cause) =>
    new SafetensorsError(code, `${prefix}${message}`, cause === undefined ? undefined : { cause });
  const badHeader = (message: string, cause?: unknown) => error('SAFETENSORS_BAD_HEADER', message, cause);
  // Until the header reads as a JSON object, the file may be another format altogether (a
  // torch.save checkpoint, an ONNX model): then that is the error, rather than its bytes read as a header.
  const implausible = (message: string, cause?: unknown) => {
    const foreign = describeForeignFile(bytes);
    return foreign === undefined ? badHeader(message, cause) : error('SAFETENSORS_WRONG_FORMAT', foreign);
  };

  if (bytes.length < 8) throw implausible(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw implausible(`header length ${declared} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    throw implausible(
      `header length ${headerLength} runs past the end of the file: needs ${8 + headerLength} bytes, file has ${bytes.length}`,
    );
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (cause) {
    throw implausible('header is not valid UTF-8', cause);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (cause) {
    throw implausible(`header is not valid JSON: ${(cause as Error).message}`, cause);
  }
  if (!isPlainObject(header)) throw implausible(`header must be a JSON object, got ${describe(header)}`);

  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw badHeader(`header declares ${JSON.stringify(key)} more than once`);
    seen.add(key);
  }

  const metadata = readMetadata(header.__metadata__, badHeader);
  const data = bytes.subarray(8 + headerLength);
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name !== '__metadata__') entries.push(readEntry(name, value, data.length, error));
  }

  // The tensors must tile the data section: no overlap, no gap, nothing after.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (entry.begin !== covered) {
      const where = `tensor ${JSON.stringify(entry.name)} (data_offsets [${entry.begin}, ${entry.end}])`;
      throw error(
        'SAFETENSORS_BAD_TENSOR',
        entry.begin < covered && previous
          ? `${where} overlaps tensor ${JSON.stringify(previous.name)} (data_offsets [${previous.begin}, ${previous.end}])`
          : `${where} leaves a gap of ${entry.begin - covered} unused bytes before it (data section bytes ${covered}..${entry.begin})`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== data.length) {
    const after = previous ? `after tensor ${JSON.stringify(previous.name)}` : 'and no tensors';
    throw error('SAFETENSORS_BAD_TENSOR', `data section has ${data.length - covered} unused bytes at its end ${after}`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(name, { name, dtype, shape, bytes: data.subarray(begin, end) });
  }
  return { tensors, metadata };
}

type Fail = (code: EnsembleErrorCode, message: string, cause?: unknown) => SafetensorsError;

function readMetadata(value: unknown, badHeader: (message: string) => SafetensorsError): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw badHeader(`__metadata__ must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw badHeader(`__metadata__ value ${JSON.stringify(key)} must be a string, got ${describe(item)}`);
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function readEntry(name: string, value: unknown, dataLength: number, error: Fail): Entry {
  const bad = (message: string) => error('SAFETENSORS_BAD_TENSOR', `tensor ${JSON.stringify(name)}: ${message}`);
  if (!isPlainObject(value)) {
    throw bad(`entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad(`dtype must be a string, got ${describe(dtype)}`);
  if (!Array.isArray(shape)) throw bad(`shape must be an array of dimensions, got ${describe(shape)}`);
  const badDim = shape.findIndex((dim) => !isDimension(dim));
  if (badDim >= 0) {
    throw bad(`shape dimension ${badDim} is ${JSON.stringify(shape[badDim])}; dimensions must be non-negative safe integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDimension)) {
    const got = Array.isArray(offsets) ? JSON.stringify(offsets) : describe(offsets);
    throw bad(`data_offsets must be [begin, end] with non-negative safe integers, got ${got}`);
  }
  if (!isSafetensorsDtype(dtype)) {
    throw error('SAFETENSORS_UNSUPPORTED_DTYPE', `tensor ${JSON.stringify(name)}: unsupported dtype ${JSON.stringify(dtype)}`);
  }

  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] begin after they end`);
  if (end > dataLength) throw bad(`data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section`);
  const expected = byteLengthOf(dtype, dims);
  if (expected !== end - begin) {
    const needs = Number.isFinite(expected) ? `${expected} bytes` : `more than ${Number.MAX_SAFE_INTEGER} bytes`;
    throw bad(`${dtype} ${formatShape(dims)} needs ${needs}, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape: dims, begin, end };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
