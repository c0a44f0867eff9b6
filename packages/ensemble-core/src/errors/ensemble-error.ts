/**
 * Errors raised by the ensemble library. Each carries a stable machine `code`
 * so that callers (the CLI, the HTTP API) can map it without parsing messages.
 */

export type EnsembleErrorCode =
  | 'SAFETENSORS_BAD_HEADER'
  | 'SAFETENSORS_BAD_TENSOR'
  | 'SAFETENSORS_UNSUPPORTED_DTYPE'
  /** A file in another format where safetensors was expected: a torch.save checkpoint, a pickle, an ONNX model. */
  | 'SAFETENSORS_WRONG_FORMAT'
  | 'MANIFEST_INVALID'
  | 'PARAMETERS_INVALID'
  | 'MEMBERS_MISMATCH'
  /** Members' ONNX files that cannot become one vectorized ensemble: unreadable, different graphs, an unsupported op. */
  | 'ONNX_IMPORT_INVALID'
  | 'INPUT_INVALID'
  | 'COMBINE_INVALID'
  | 'RESULT_INVALID'
  | 'ENGINE_FAILED';

/** One problem found while validating a document, located by a path. */
export interface ValidationIssue {
  /** Where the problem is, e.g. `layers[3].in` or `fc1.weight`. */
  path: string;
  message: string;
}

export class EnsembleError extends Error {
  readonly code: EnsembleErrorCode;

  constructor(code: EnsembleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}

/** A validation failure that lists every problem found, not just the first. */
export class ValidationError extends EnsembleError {
  readonly issues: readonly ValidationIssue[];

  constructor(code: EnsembleErrorCode, summary: string, issues: readonly ValidationIssue[]) {
    super(code, formatIssues(summary, issues));
    this.issues = issues;
  }
}

export class SafetensorsError extends EnsembleError {}

export class ManifestError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super('MANIFEST_INVALID', 'invalid ensemble manifest', issues);
  }
}

export class ParametersError extends ValidationError {
  constructor(summary: string, issues: readonly ValidationIssue[]) {
    super('PARAMETERS_INVALID', summary, issues);
  }
}

export class MembersMismatchError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super('MEMBERS_MISMATCH', 'ensemble members do not agree', issues);
  }
}

export class InputError extends EnsembleError {
  constructor(message: string) {
    super('INPUT_INVALID', message);
  }
}

export class CombineError extends EnsembleError {
  constructor(message: string) {
    super('COMBINE_INVALID', message);
  }
}

/** A stored prediction result that is not one: unreadable, or holding tensors no prediction writes. */
export class PredictionResultError extends EnsembleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RESULT_INVALID', message, options);
  }
}

export class EngineError extends EnsembleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENGINE_FAILED', message, options);
  }
}

function formatIssues(summary: string, issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return summary;
  const lines = issues.map((issue) => `  - ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
  return `${summary} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}
