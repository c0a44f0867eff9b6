/**
 * What a caller chooses for one prediction, and the JSON body of a
 * prediction request (`POST /v1/ensembles/{name}/predictions`): the options
 * and the input tensor. The API validates with these schemas, the job's data
 * carries the options as parsed, and the client is typed from them.
 */
import { z } from 'zod';
import { combineModes, inputModes } from './modes.js';
import { tensorJsonSchema } from './tensor-json.js';

/** What a caller chooses for one prediction. */
export const predictionOptionsSchema = z
  .object({
    /** `shared`: input `[B, ...]` for every member; `per-member`: `[N, B, ...]`. */
    mode: z.enum(inputModes).default('shared'),
    combine: z.enum(combineModes).default('none'),
    /** Member weights for `combine: "weighted"`, one per member. */
    weights: z.array(z.number().finite().nonnegative()).max(65_536).optional(),
    /** Add predictive entropy, mutual information and disagreement (classifiers). */
    uncertainty: z.boolean().default(false),
    /** BullMQ priority: 1 is the highest; none is ahead of all prioritized jobs. BullMQ takes at most 2^21 - 1. */
    priority: z.number().int().min(1).max(2_097_151).optional(),
  })
  .strict();
/** The options as parsed: defaults filled in. */
export type PredictionOptions = z.infer<typeof predictionOptionsSchema>;

/** A prediction request's JSON body: the options and the input, `{ shape, data }` with `data` flat and row-major. */
export const predictionRequestSchema = predictionOptionsSchema.extend({ input: tensorJsonSchema });
/** A prediction request as a caller writes it: the options with defaults may be left out. */
export type PredictionRequest = z.input<typeof predictionRequestSchema>;
