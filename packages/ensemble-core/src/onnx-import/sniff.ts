/**
 * Telling an ONNX model from a safetensors file by its first bytes, so that
 * an upload is routed by content rather than by its name. An ONNX file is a
 * protobuf `ModelProto` whose first field is `ir_version` (field 1, varint:
 * tag byte 0x08, then a small number), followed by another of ModelProto's
 * fields; a safetensors file starts with an 8-byte little-endian header
 * length followed by `{`.
 */

/** ModelProto's field tags that follow `ir_version` in exported files. */
const MODEL_PROTO_TAGS = new Set([
  0x12, // producer_name
  0x1a, // producer_version
  0x22, // domain
  0x28, // model_version
  0x32, // doc_string
  0x3a, // graph
  0x42, // opset_import
  0x72, // metadata_props
  0x7a, // training_info
  0xca, // functions (field 25, two-byte tag 0xca 0x01)
]);

/**
 * A cheap check of the first bytes: true for an ONNX model, false for a
 * safetensors file and for anything else.
 *
 * @example
 * isOnnxModel(readFileSync('member0.onnx')); // true
 * isOnnxModel(readFileSync('member0.safetensors')); // false
 */
export function isOnnxModel(bytes: Uint8Array): boolean {
  if (looksLikeSafetensors(bytes)) return false;
  const irVersion = bytes[1];
  const next = bytes[2];
  return (
    bytes[0] === 0x08 && irVersion !== undefined && irVersion >= 1 && irVersion < 0x80 && next !== undefined && MODEL_PROTO_TAGS.has(next)
  );
}

function looksLikeSafetensors(bytes: Uint8Array): boolean {
  // A header length below 2^32 (its upper four bytes zero), then the JSON header's `{`.
  return bytes.length >= 9 && bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0 && bytes[8] === 0x7b;
}
