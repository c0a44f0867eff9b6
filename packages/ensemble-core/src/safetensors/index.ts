/**
 * Reading and writing the safetensors format, and decoding float tensors.
 */

export { swapToHostOrder } from './byte-order.js';
export { describeForeignFile } from './describe-foreign-file.js';
export type { FloatDtype, SafetensorsDtype } from './dtypes.js';
export { byteLengthOf, bytesPerElement, isFloatDtype, isSafetensorsDtype } from './dtypes.js';
export type { ReadSafetensorsOptions, SafetensorsFile, SafetensorsTensor } from './read-safetensors.js';
export { MAX_HEADER_BYTES, readSafetensors } from './read-safetensors.js';
export { toFloat32 } from './to-float32.js';
export type { TensorToWrite } from './write-safetensors.js';
export { float32Tensor, int64Tensor, writeSafetensors } from './write-safetensors.js';
