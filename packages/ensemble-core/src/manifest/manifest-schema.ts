/**
 * The ensemble manifest: what an ensemble is (its name, member count, input
 * and layers). Layer fields and defaults follow the PyTorch modules they name.
 */
import { z } from 'zod';
import { layerSchemas } from '../ops/index.js';
import { layerName, positiveInt } from '../ops/layer-fields.js';
import { valueDtypes } from '../tensor/value-info.js';

/**
 * What makes the layer list a graph: every layer may name the values it reads
 * (`inputs`: the manifest's `input`, or other layers' `name`s, defined
 * earlier); without `inputs` a layer reads the previous layer's output, so a
 * chain needs none. A layer's `name` names its output value (and, for layers
 * with parameters, prefixes their `state_dict` keys).
 */
const graphFields = {
  inputs: z.array(z.string().min(1).max(256)).max(16).optional(),
};

function withGraphFields(schema: z.ZodObject): z.ZodObject {
  return 'name' in schema.shape ? schema.extend(graphFields) : schema.extend({ name: layerName.optional(), ...graphFields });
}

type GraphFields = { name?: string; inputs?: string[] | undefined };
const opSchemas = z.discriminatedUnion('op', layerSchemas);

/** One layer of a manifest: an op's own fields, plus `name` and `inputs`. */
export const layerSchema = z.discriminatedUnion(
  'op',
  layerSchemas.map(withGraphFields) as unknown as typeof layerSchemas,
) as unknown as z.ZodType<z.output<typeof opSchemas> & GraphFields, z.input<typeof opSchemas> & GraphFields>;
export type Layer = z.infer<typeof layerSchema>;

/** The name of the manifest's input value, as `inputs` refer to it. */
export const INPUT_VALUE = 'input';

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
        /** `int64`: token ids (integers; carried as exact float32 values up to 2^24 and cast in the graph). */
        dtype: z.enum(valueDtypes).default('float32'),
      })
      .strict(),
    layers: z.array(layerSchema).min(1).max(10_000),
    /** The value the members output, `[batch, ...]`. @defaultValue the last layer's */
    output: z.string().min(1).max(256).optional(),
  })
  .strict()
  .meta({ title: 'Ensemble manifest', description: 'N same-architecture models served as one vectorized ensemble.' });

/** A manifest as written (defaults optional). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A parsed manifest with every default filled in. */
export type Manifest = z.infer<typeof manifestSchema>;
