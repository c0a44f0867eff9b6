/** An ensemble version as `/v1/ensembles` shows it, and that route's answers. */
import { z } from 'zod';

export const ensembleInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  digest: z.string(),
  members: z.number().int(),
  parameters: z.number().int(),
  bytes: z.number().int(),
  createdAt: z.number().int(),
});
export type EnsembleInfo = z.infer<typeof ensembleInfoSchema>;

/** `POST /v1/ensembles`: the version registered, and whether its content is new (the same content twice is stored once). */
export const registeredEnsembleSchema = ensembleInfoSchema.extend({ created: z.boolean() });
export type RegisteredEnsemble = z.infer<typeof registeredEnsembleSchema>;

/** `GET /v1/ensembles`: the tenant's ensembles, each at its latest version. */
export const ensembleListSchema = z.object({ ensembles: z.array(ensembleInfoSchema) });
export type EnsembleList = z.infer<typeof ensembleListSchema>;

/** `GET /v1/ensembles/{name}`: the latest version, and every version the name has pointed at. */
export const ensembleDetailSchema = ensembleInfoSchema.extend({ versions: z.array(ensembleInfoSchema) });
export type EnsembleDetail = z.infer<typeof ensembleDetailSchema>;
