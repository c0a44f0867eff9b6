/** The server's metadata (`GET /v2`): its name, its version (the API package's), and the protocol extensions it supports. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { serverMetadataSchema } from './inference-schemas.js';

/** Extensions, by the names Triton gives them in its server metadata. */
export const EXTENSIONS = ['binary_tensor_data'] as const;

/** Read once: the same path from `src/` and from `dist/`. */
export function serverMetadata(): z.infer<typeof serverMetadataSchema> {
  const manifest = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')));
  return { name: 'deep-ensembles', version: manifest.version, extensions: [...EXTENSIONS] };
}
