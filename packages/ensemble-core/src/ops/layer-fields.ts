/** zod building blocks shared by the op schemas. */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();

/** A parameterized layer's name: the prefix of its `state_dict` keys (`fc1`, `features.0`). */
export const layerName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'must look like a PyTorch module path, e.g. "fc1" or "features.0"');
