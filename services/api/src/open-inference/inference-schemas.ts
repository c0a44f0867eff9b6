/**
 * The Open Inference Protocol's JSON objects as zod schemas, for the routes'
 * validation and the OpenAPI document: server and model metadata, model
 * readiness, and the inference request and response, with the parameters
 * this service knows (any other parameter is accepted and ignored, as the
 * protocol's `$parameters` are open).
 */
import { combineModes, inputModes } from '@ensembles/protocol';
import { z } from 'zod';

export const serverMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** `binary_tensor_data`: Triton's binary tensor data extension. */
  extensions: z.array(z.string()),
});

/** An input's or output's metadata: `-1` for a dimension of any size (the batch). */
export const metadataTensorSchema = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });

export const modelMetadataSchema = z.object({
  name: z.string(),
  /** Every version of the name, newest first: each can be asked for under `/versions/{version}`. */
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(metadataTensorSchema),
  outputs: z.array(metadataTensorSchema),
});

export const modelReadySchema = z.object({ name: z.string(), ready: z.boolean() });

/** The request's parameters: known ones are checked, unknown ones ignored. */
export const requestParametersSchema = z
  .looseObject({
    mode: z.enum(inputModes).optional().describe('shared (input [B, ...in]) or per-member (input [N, B, ...in]); default shared'),
    combine: z
      .enum(combineModes)
      .optional()
      .describe(
        'How members are combined into `combined`; default weighted when weights are given, else mean when `combined` is asked for, else none',
      ),
    weights: z
      .union([z.array(z.number().finite().nonnegative()).max(65_536), z.string().max(1_000_000)])
      .optional()
      .describe('Member weights for combine weighted: a list of numbers, or the same as a comma-separated string'),
    uncertainty: z.boolean().optional().describe('Add the four uncertainty outputs; implied by asking for any of them'),
    binary_data_output: z.boolean().optional().describe('Answer every output as binary data (binary tensor data extension)'),
  })
  .describe('Known parameters are checked; any other is ignored');

export const requestInputSchema = z.object({
  name: z.string().max(200),
  shape: z.array(z.number().int().positive()).min(1).max(16),
  datatype: z.string().max(100),
  parameters: z
    .looseObject({
      binary_data_size: z.number().int().nonnegative().optional().describe('Bytes of this input after the JSON header (binary extension)'),
    })
    .optional(),
  /** Row-major values, flat or nested as the shape; checked against the datatype by the route, naming the input. */
  data: z.array(z.unknown()).optional().describe('Row-major values, flat or nested exactly as the shape'),
});
export type RequestInput = z.infer<typeof requestInputSchema>;

export const requestOutputSchema = z.object({
  name: z.string().max(200),
  parameters: z
    .looseObject({ binary_data: z.boolean().optional().describe('Answer this output as binary data (binary extension)') })
    .optional(),
});
export type RequestOutput = z.infer<typeof requestOutputSchema>;

export const inferRequestSchema = z.object({
  id: z.string().max(1000).optional(),
  parameters: requestParametersSchema.optional(),
  inputs: z.array(requestInputSchema).min(1).max(64),
  outputs: z.array(requestOutputSchema).max(64).optional(),
});
export type InferRequest = z.infer<typeof inferRequestSchema>;
export type RequestParameters = NonNullable<InferRequest['parameters']>;

export const responseOutputSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  /** `binary_data_size` when the output follows the JSON header as binary data. */
  parameters: z.object({ binary_data_size: z.number().int().nonnegative() }).optional(),
  /** Row-major values; `null` where a value is not finite (an overflow in the model), which JSON cannot hold. Absent for a binary output. */
  data: z.array(z.number().nullable()).optional(),
});
export type ResponseOutput = z.infer<typeof responseOutputSchema>;

export const inferResponseSchema = z.object({
  id: z.string().optional(),
  model_name: z.string(),
  model_version: z.string(),
  outputs: z.array(responseOutputSchema),
});
export type InferResponse = z.infer<typeof inferResponseSchema>;
