/**
 * Importing an ensemble from its members' ONNX files (as PyTorch exports
 * them): one graph manifest plus the members' parameters stacked `[N, ...]`.
 */
export { type ImportedOnnxEnsemble, type ImportOnnxOptions, importOnnxMembers, type OnnxMemberFile } from './import-onnx.js';
export { OnnxImportError } from './onnx-import-error.js';
export { isOnnxModel } from './sniff.js';
