/** The error bodies `toHttpError` makes: at most `MAX_LISTED_ISSUES` issues, the rest counted, and a message as short. */
import { ManifestError, SafetensorsError } from '@ensembles/core';
import { errorBodySchema, MAX_LISTED_ISSUES } from '@ensembles/protocol';
import { describe, expect, it } from 'vitest';
import { toHttpError } from './http-errors.js';

const issues = (count: number) => Array.from({ length: count }, (_, i) => ({ path: `layers[${i}]`, message: `problem ${i}` }));

describe('toHttpError', () => {
  it('lists the first 20 issues of a validation error and counts the rest, in the body and in the message', () => {
    const { status, body } = toHttpError(new ManifestError(issues(1000)));
    expect(status).toBe(400);
    expect(errorBodySchema.parse(body)).toEqual(body);
    expect(body.error.code).toBe('MANIFEST_INVALID');
    expect(body.error.issues).toEqual(issues(MAX_LISTED_ISSUES));
    expect(body.error.moreIssues).toBe(1000 - MAX_LISTED_ISSUES);
    const lines = body.error.message.split('\n');
    expect(lines[0]).toBe('invalid ensemble manifest (1000 problems):');
    expect(lines).toHaveLength(1 + MAX_LISTED_ISSUES + 1);
    expect(lines.at(-2)).toBe('  - layers[19]: problem 19');
    expect(lines.at(-1)).toBe('  - ... and 980 more');
  });

  it('lists every issue, and no count, when there are 20 or fewer', () => {
    const error = new ManifestError(issues(MAX_LISTED_ISSUES));
    const { body } = toHttpError(error);
    expect(body.error.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(body.error).not.toHaveProperty('moreIssues');
    expect(body.error.message).toBe(error.message);
  });

  it('answers a file in another format with 400 SAFETENSORS_WRONG_FORMAT', () => {
    const { status, body } = toHttpError(new SafetensorsError('SAFETENSORS_WRONG_FORMAT', 'member 0: a PyTorch checkpoint'));
    expect(status).toBe(400);
    expect(body.error.code).toBe('SAFETENSORS_WRONG_FORMAT');
  });
});
