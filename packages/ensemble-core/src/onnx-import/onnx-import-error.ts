/**
 * The error the ONNX importer raises: one line that names the member file
 * and, where there is one, the node (`member0.onnx: node /enc/CumSum
 * (CumSum): op CumSum is not supported`). Files that differ from the first
 * member's graph carry `MEMBERS_MISMATCH`; unreadable or unsupported models
 * `ONNX_IMPORT_INVALID`.
 */
import { EnsembleError, type EnsembleErrorCode } from '../errors/ensemble-error.js';

export class OnnxImportError extends EnsembleError {
  /** The member file the problem is in. */
  readonly file: string;

  constructor(file: string, message: string, options?: { code?: EnsembleErrorCode; cause?: unknown }) {
    super(options?.code ?? 'ONNX_IMPORT_INVALID', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.file = file;
  }
}

/** What the importer says about one node: `node /pool/MaxPool (MaxPool)`. */
export interface NodeLabel {
  readonly index: number;
  readonly name: string;
  readonly opType: string;
}

export function describeNode(node: NodeLabel): string {
  return node.name ? `node ${node.name} (${node.opType})` : `node ${node.index} (${node.opType})`;
}

/** A problem with one node of a member's graph, as one line. */
export function nodeError(file: string, node: NodeLabel, problem: string): OnnxImportError {
  return new OnnxImportError(file, `${file}: ${describeNode(node)}: ${problem}`);
}

/**
 * Thrown by the node mappers and folding rules without knowing the file or
 * node; the graph walk adds both (see `nodeError`).
 */
export class NodeProblem extends Error {}

export function unsupported(problem: string): never {
  throw new NodeProblem(problem);
}
