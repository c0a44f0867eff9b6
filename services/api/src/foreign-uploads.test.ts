/**
 * Uploads of files that are not safetensors (PyTorch's `torch.save` output,
 * an ONNX model) are refused with what the file is and how to save the
 * weights instead, not with its first bytes read as a header length. The
 * files are core's fixtures (`packages/ensemble-core/fixtures/foreign`).
 */
import { readFileSync } from 'node:fs';
import { errorBodySchema } from '@ensembles/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyWeights } from './testing/tiny-ensemble.js';

const foreign = (name: string) => readFileSync(new URL(`../../../packages/ensemble-core/fixtures/foreign/${name}`, import.meta.url));
const FIX = 'from safetensors.torch import save_file; save_file(model.state_dict(), "member0.safetensors")';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'foreigntest' });
  app = api.app;
});

afterAll(() => api?.stop());

async function upload(files: { name: 'weights' | 'member'; filename: string; content: Uint8Array }[]) {
  const { payload, headers } = multipartBody([{ name: 'manifest', content: JSON.stringify(tinyManifest) }, ...files]);
  const response = await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers });
  return { status: response.statusCode, body: errorBodySchema.parse(response.json()) };
}

describe('uploading a file that is not safetensors', () => {
  it('names a torch.save checkpoint uploaded as a member, and how to save a state dict as safetensors', async () => {
    const member = foreign('member0.pt');
    const { status, body } = await upload([
      { name: 'member', filename: 'member0.pt', content: member },
      { name: 'member', filename: 'member1.pt', content: member },
    ]);
    expect(status).toBe(400);
    expect(body.error.code).toBe('SAFETENSORS_WRONG_FORMAT');
    expect(body.error.message).toContain('member 0: a PyTorch checkpoint (torch.save\'s zip format, holding "member0/data.pkl")');
    expect(body.error.message).toContain(FIX);
    expect(body.error.message).not.toContain('header length');
  });

  it.each([
    ['member0-legacy.pt', "torch.save's legacy format", FIX],
    ['member0.onnx', 'an ONNX model', 'upload them to the API as `member` parts (one per member) with a `name`'],
  ])('names %s uploaded as the stacked weights', async (name, what, fix) => {
    const { status, body } = await upload([{ name: 'weights', filename: name, content: foreign(name) }]);
    expect(status).toBe(400);
    expect(body.error.code).toBe('SAFETENSORS_WRONG_FORMAT');
    expect(body.error.message).toMatch(/^weights: /);
    expect(body.error.message).toContain(what);
    expect(body.error.message).toContain(fix);
  });

  it('still answers a safetensors file that is merely cut short with its header error', async () => {
    const { status, body } = await upload([{ name: 'weights', filename: 'tiny.safetensors', content: tinyWeights.subarray(0, 40) }]);
    expect(status).toBe(400);
    expect(body.error.code).toBe('SAFETENSORS_BAD_HEADER');
  });
});
