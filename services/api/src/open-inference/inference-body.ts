/**
 * Reading an inference request's body, for the routes of one plugin only:
 * JSON, or with `Inference-Header-Content-Length` a JSON header followed by
 * binary tensor data (kept aside for the handler, by request). The content
 * type is not relied on, as Triton does not: its clients send the binary
 * form as `application/octet-stream`, JSON, or no type at all.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-errors.js';
import { BinaryTensorData, HEADER_LENGTH_HEADER, splitBinaryBody } from './binary-tensor-data.js';

/** The binary part of a request's body, by request. */
const binaryParts = new WeakMap<object, Buffer>();

/** The binary tensor data after the JSON header, when the request came in the extension's form. */
export function binaryTensorData(request: FastifyRequest): BinaryTensorData | undefined {
  const bytes = binaryParts.get(request.raw);
  return bytes ? new BinaryTensorData(bytes) : undefined;
}

/**
 * Replaces the body parsers of `app` (an encapsulated plugin: other routes keep theirs) with one
 * that reads every inference request, up to the app's body limit.
 */
export function installInferenceBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const headerLength = request.headers[HEADER_LENGTH_HEADER];
    let json = bytes;
    let what = 'the request body';
    if (headerLength !== undefined) {
      try {
        const { header, binary } = splitBinaryBody(bytes, String(headerLength));
        binaryParts.set(request.raw, binary);
        json = header;
        what = `the JSON header (the first ${header.length} bytes, as Inference-Header-Content-Length says)`;
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
    }
    parseJson(request, json.toString('utf8'), (error, parsed) => {
      if (!error) done(null, parsed);
      else if (json.length === 0)
        done(new HttpError(400, 'BODY_INVALID', `${what} is empty; send the inference request as JSON`), undefined);
      else done(new HttpError(400, 'BODY_INVALID', `${what} is not valid JSON (or holds a __proto__ or constructor key)`), undefined);
    });
  });
}
