/**
 * `Idempotency-Key`: the first submission with a key claims it for its job,
 * together with digests of what it asked (the ensemble reference, the
 * options, the input's shape and values). A retry that asks the same gets
 * that job back; a different request under the same key is refused (422
 * `IDEMPOTENCY_KEY_REUSED`), as payment APIs refuse it, rather than answered
 * with another request's result.
 *
 * The claim is one string under `redisKeys().idempotency(tenant, key)`, set
 * with `NX` and the results' TTL, so that the job id and the digests are
 * written together or not at all: JSON `{ "job", "ensemble", "options", "input" }`.
 */
import { createHash } from 'node:crypto';
import type { Tensor } from '@ensembles/core';
import type { RedisClient, RedisKeys } from '@ensembles/jobs';
import type { PredictionOptions } from '@ensembles/protocol';
import { z } from 'zod';
import { HttpError } from './http-errors.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** What a claim records of the request that made it, each part as a SHA-256 hex digest. */
const requestDigestsSchema = z.object({ ensemble: sha256Hex, options: sha256Hex, input: sha256Hex }).strict();
export type RequestDigests = z.infer<typeof requestDigestsSchema>;

/** A claim as stored. */
const claimSchema = requestDigestsSchema.extend({ job: z.string().min(1) }).strict();

/** The parts of a request, in the words of the refusal. */
const partNames: Record<keyof RequestDigests, string> = {
  ensemble: 'a different ensemble',
  options: 'different options',
  input: 'a different input (shape or values)',
};

/**
 * Digests of what a submission asks. The input counts by its shape and its
 * float32 values (their bytes), so that the JSON and the safetensors forms of
 * the same input are the same request.
 *
 * @example
 * requestDigests({ ensemble: 'tiny', options, input: { shape: [1, 3], data: Float32Array.of(1, 2, 3) } });
 * // { ensemble: '5c1b…', options: '9e0a…', input: '41d7…' }
 */
export function requestDigests(request: { ensemble: string; options: PredictionOptions; input: Tensor }): RequestDigests {
  const { mode, combine, weights, uncertainty, priority } = request.options;
  // Every option, in a fixed order: a new option that is not listed here does not compile.
  const options: Record<keyof PredictionOptions, unknown> = {
    mode,
    combine,
    weights: weights ?? null,
    uncertainty,
    priority: priority ?? null,
  };
  const { shape, data } = request.input;
  return {
    ensemble: sha256(request.ensemble),
    options: sha256(JSON.stringify(options)),
    input: createHash('sha256')
      .update(`${JSON.stringify(shape)}\n`)
      // Host order, little-endian on every platform Node.js runs this service on.
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest('hex'),
  };
}

/**
 * Claims `key` for job `job` and the request `digests`, or finds the job
 * that claimed it before. Returns the job id to use: `job` when this call
 * claimed the key, the earlier job's when the same request claimed it before.
 *
 * @throws HttpError 422 `IDEMPOTENCY_KEY_REUSED` when the key was claimed by a different request.
 */
export async function claimIdempotencyKey(
  redis: RedisClient,
  keys: RedisKeys,
  claim: { tenant: string; key: string; job: string; digests: RequestDigests; ttlSeconds: number },
): Promise<string> {
  const redisKey = keys.idempotency(claim.tenant, claim.key);
  const value = JSON.stringify({ job: claim.job, ...claim.digests });
  // Twice: a claim that expires between the SET and the GET leaves the key free again.
  for (let attempt = 0; attempt < 2; attempt++) {
    if ((await redis.set(redisKey, value, 'EX', claim.ttlSeconds, 'NX')) !== null) return claim.job;
    const stored = await redis.get(redisKey);
    if (stored === null) continue;
    const earlier = parseClaim(stored, redisKey);
    if (!('input' in earlier)) return earlier.job;
    const differing = (Object.keys(partNames) as (keyof RequestDigests)[]).filter((part) => earlier[part] !== claim.digests[part]);
    if (differing.length > 0) {
      throw new HttpError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key ${JSON.stringify(claim.key)} was used for another request (job ${earlier.job}) with ` +
          `${differing.map((part) => partNames[part]).join(', ')}; use a new key for a new request, ` +
          'or repeat that request exactly to get its job back',
      );
    }
    return earlier.job;
  }
  return claim.job;
}

/** A stored claim; a bare job id is a claim written before requests were recorded, which any request matches. */
function parseClaim(stored: string, redisKey: string): { job: string } | z.infer<typeof claimSchema> {
  if (!stored.startsWith('{')) return { job: stored };
  try {
    return claimSchema.parse(JSON.parse(stored));
  } catch (cause) {
    throw new Error(`the idempotency claim at ${redisKey} is not one this service writes: ${stored.slice(0, 200)}`, { cause });
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
