/** Writes the manifest's JSON Schema (run at build time: `node dist/manifest/emit-json-schema.js OUT`). */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { manifestSchema } from './manifest-schema.js';

const out = process.argv[2];
if (!out) throw new Error('usage: emit-json-schema OUT.json');
writeFileSync(out, `${JSON.stringify(z.toJSONSchema(manifestSchema, { io: 'input' }), null, 2)}\n`);
