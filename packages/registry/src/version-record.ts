/**
 * The hash stored under `redisKeys().version(version)`: everything about an
 * ensemble version except its weights, which lie beside it in binary chunks.
 * Read back through a schema, like everything that comes out of Redis.
 */
import { z } from 'zod';

const count = z.coerce.number().int().nonnegative();

export const versionRecordSchema = z.object({
  /** The canonical manifest JSON that was hashed into the version. */
  manifest: z.string().min(2),
  members: count,
  /** Parameters of all members together. */
  parameters: count,
  /** Length of the stacked safetensors file. */
  bytes: count,
  chunks: count,
  /** Size of every chunk but the last, as written (the reader's setting may differ). */
  chunkBytes: count.min(1),
  /** Milliseconds since the epoch when the content was first stored. */
  createdAt: count,
});
export type VersionRecord = z.infer<typeof versionRecordSchema>;

/**
 * The hash fields to write for a record (Redis stores them as strings).
 *
 * @example
 * redis.hset(keys.version(version), versionRecordFields(record));
 */
export function versionRecordFields(record: VersionRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([field, value]) => [field, String(value)]));
}
