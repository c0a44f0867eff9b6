/**
 * Recognizes the files people upload or stack in place of safetensors, by
 * their first bytes, so that the error says what the file is and how to save
 * the weights instead of "header length 578712552184433488 exceeds the
 * limit" (the first 8 bytes of a zip read as a little-endian length).
 *
 * - a zip archive (`PK\x03\x04`): `torch.save`'s default format since
 *   PyTorch 1.6, recognized as PyTorch's by its first entry `<name>/data.pkl`
 * - a raw pickle (`\x80` and a protocol byte 2..5): `torch.save` with
 *   `_use_new_zipfile_serialization=False`, or `pickle.dump`
 * - an ONNX model (`onnx-import/sniff.ts`), which is imported rather than
 *   stacked: the fix it gets says how.
 */
import { isOnnxModel } from '../onnx-import/sniff.js';

/** What to do with members exported to ONNX. */
const IMPORT_ONNX =
  'members exported to ONNX are imported, not stacked: `ensemble import --out DIR member0.onnx member1.onnx ...`, ' +
  'or upload them to the API as `member` parts (one per member) with a `name`';

/** How to save a PyTorch module's weights as this project reads them. */
const SAVE_AS_SAFETENSORS =
  'save the state dict as safetensors instead: `from safetensors.torch import save_file; ' +
  'save_file(model.state_dict(), "member0.safetensors")`';

/**
 * What `bytes` is, when it is a file format people mistake for safetensors,
 * with the fix; `undefined` when the first bytes match none of them.
 *
 * @example
 * describeForeignFile(await readFile('member0.pt'));
 * // 'a PyTorch checkpoint (torch.save's zip format, holding "member0/data.pkl"), not a safetensors file; save the state dict ...'
 */
export function describeForeignFile(bytes: Uint8Array): string | undefined {
  const onnx = onnxModel(bytes);
  if (onnx) return `${onnx}, not a safetensors file; ${IMPORT_ONNX}`;
  const what = zipArchive(bytes) ?? pickle(bytes);
  return what === undefined ? undefined : `${what}, not a safetensors file; ${SAVE_AS_SAFETENSORS}`;
}

function zipArchive(bytes: Uint8Array): string | undefined {
  if (!startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return undefined;
  // A local file header: the name's length at 26 (2 bytes, little-endian), the name at 30.
  const first = bytes.length >= 30 ? ascii(bytes.subarray(30, 30 + (bytes[26] ?? 0) + ((bytes[27] ?? 0) << 8))) : undefined;
  if (first !== undefined && /(^|\/)data\.pkl$/.test(first)) {
    return `a PyTorch checkpoint (torch.save's zip format, holding ${JSON.stringify(first)})`;
  }
  const entry = first === undefined ? '' : `, first entry ${JSON.stringify(first)}`;
  return `a zip archive (PK header${entry}; torch.save writes PyTorch checkpoints as zip archives)`;
}

/**
 * The opcodes a pickle starts with after its PROTO opcode: FRAME (protocol 4+), LONG1 (torch.save's
 * magic number), EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, MARK, GLOBAL, SHORT_BINUNICODE, BININT1, NONE.
 * Checking it keeps a safetensors header length that happens to start `80 02` from passing for a pickle.
 */
const PICKLE_FIRST_OPCODES = new Set([0x95, 0x8a, 0x7d, 0x5d, 0x29, 0x28, 0x63, 0x8c, 0x4b, 0x4e]);

function pickle(bytes: Uint8Array): string | undefined {
  const protocol = bytes[1];
  if (bytes[0] !== 0x80 || protocol === undefined || protocol < 2 || protocol > 5) return undefined;
  if (!PICKLE_FIRST_OPCODES.has(bytes[2] ?? -1)) return undefined;
  // torch.save's legacy format starts with its magic number, a LONG1.
  if (bytes[2] === 0x8a) {
    return `a PyTorch checkpoint in torch.save's legacy format (a protocol ${protocol} pickle, as written with _use_new_zipfile_serialization=False)`;
  }
  return `a Python pickle (protocol ${protocol}; torch.save's legacy format is one)`;
}

/** What an ONNX model is and does here (see `isOnnxModel` for how it is told apart). */
function onnxModel(bytes: Uint8Array): string | undefined {
  if (!isOnnxModel(bytes)) return undefined;
  // producer_name, when it follows `ir_version`: a length byte and the text.
  const producer = bytes[2] === 0x12 && (bytes[3] ?? 0x80) < 0x80 ? ascii(bytes.subarray(4, 4 + (bytes[3] ?? 0))) : undefined;
  const from = producer ? `, from ${producer}` : '';
  return `an ONNX model (IR version ${bytes[1]}${from})`;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

/** Printable ASCII text, or `undefined` (a name to quote in a message, never raw binary). */
function ascii(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.some((byte) => byte < 0x20 || byte > 0x7e)) return undefined;
  return String.fromCharCode(...bytes);
}
