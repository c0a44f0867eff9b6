import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { opNames } from '../ops/index.js';
import { manifestSchema } from './manifest-schema.js';

describe('the manifest JSON Schema', () => {
  const schema = z.toJSONSchema(manifestSchema, { io: 'input' }) as unknown as {
    required: string[];
    properties: {
      layers: { items: { oneOf?: { properties: { op: { const: string } } }[]; anyOf?: { properties: { op: { const: string } } }[] } };
    };
  };

  it('describes every op and the required top-level fields', () => {
    const variants = schema.properties.layers.items.oneOf ?? schema.properties.layers.items.anyOf ?? [];
    expect(variants.map((variant) => variant.properties.op.const).sort()).toEqual([...opNames].sort());
    expect(schema.required.sort()).toEqual(['input', 'layers', 'members', 'name']);
  });
});
