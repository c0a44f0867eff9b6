/**
 * The ensemble manifest: what an ensemble is (its name, member count, input
 * and layers). Layer fields and defaults follow the PyTorch modules they name.
 */
import { z } from 'zod';
import { layerSchemas } from '../ops/index.js';
import { positiveInt } from '../ops/layer-fields.js';

export const layerSchema = z.discriminatedUnion('op', layerSchemas);
export type Layer = z.infer<typeof layerSchema>;

export const manifestSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    members: positiveInt.max(65_536),
    input: z
      .object({
        /** Per-sample shape, batch axis excluded. */
        shape: z.array(positiveInt).min(1).max(8),
        dtype: z.literal('float32').default('float32'),
      })
      .strict(),
    layers: z.array(layerSchema).min(1).max(1_000),
  })
  .strict()
  .meta({ title: 'Ensemble manifest', description: 'N same-architecture models served as one vectorized ensemble.' });

/** A manifest as written (defaults optional). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A parsed manifest with every default filled in. */
export type Manifest = z.infer<typeof manifestSchema>;
