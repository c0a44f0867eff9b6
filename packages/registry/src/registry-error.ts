/**
 * Errors raised by the registry itself (core's validation errors pass through
 * unchanged). The machine `code` is what the API maps to an HTTP status.
 */

export type RegistryErrorCode = 'ENSEMBLE_NOT_FOUND' | 'INVALID_REFERENCE';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
