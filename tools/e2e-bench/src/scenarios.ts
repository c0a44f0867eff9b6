/**
 * The scenarios: which ensemble, how many rows one request carries, and how
 * the request travels (JSON, or a safetensors body answered in safetensors).
 */
import {
  float32Tensor,
  type ManifestInput,
  parseManifest,
  randomInput,
  randomMembers,
  seedMlpManifest,
  stackFloat32Members,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import type { RequestSpec } from './load-generator.js';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly manifest: ManifestInput;
  /** Batch rows per request. */
  readonly rows: number;
  /** `json`: a JSON body and answer; `safetensors`: binary both ways. */
  readonly encoding: 'json' | 'safetensors';
  /** Requests in flight while finding the most it sustains. */
  readonly concurrency: number;
  /**
   * Requests per second offered to every configuration alike (an open loop
   * after the others), so that configurations compare at the same load: what
   * an API process costs per job, with 1 or K of them. Absent: none.
   */
  readonly commonRate?: number;
  /** API processes in the default run, one configuration each (`--apis` sets them for every scenario). */
  readonly apiCounts: readonly number[];
}

const tinyManifest = {
  name: 'tiny-mlp',
  members: 10,
  input: { shape: [16] },
  layers: [{ op: 'linear', name: 'fc1', in: 16, out: 16 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 16, out: 4 }],
} as const satisfies ManifestInput;

/**
 * 64 members of 784-512-512-10: 171 MB of float32 weights. A pass reads every
 * weight whatever its batch, as a memory-bound GPU pass does, so that one
 * pass for many requests costs little more than a pass for one.
 */
const wideManifest = {
  name: 'wide-mlp',
  members: 64,
  input: { shape: [784] },
  layers: [
    { op: 'linear', name: 'fc1', in: 784, out: 512 },
    { op: 'relu' },
    { op: 'linear', name: 'fc2', in: 512, out: 512 },
    { op: 'relu' },
    { op: 'linear', name: 'fc3', in: 512, out: 10 },
  ],
} as const satisfies ManifestInput;

export const scenarios: readonly Scenario[] = [
  {
    name: 'tiny',
    description: '10-member MLP 16-16-4, one sample per request: bound by the queue',
    manifest: tinyManifest,
    rows: 1,
    encoding: 'json',
    concurrency: 64,
    commonRate: 600,
    // The scenario the queue and the API bound: the one where more API processes can tell.
    apiCounts: [1, 3],
  },
  {
    name: 'seed-b1',
    description: "the seed's 10-member MLP 784-128-128-10, one sample per request",
    manifest: seedMlpManifest,
    rows: 1,
    encoding: 'json',
    concurrency: 64,
    apiCounts: [1],
  },
  {
    name: 'seed-b64',
    description: "the seed's MLP, its batch of 64 per request (safetensors both ways): bound by compute",
    manifest: seedMlpManifest,
    rows: 64,
    encoding: 'safetensors',
    concurrency: 16,
    apiCounts: [1],
  },
  {
    name: 'wide-b1',
    description: 'a 64-member MLP 784-512-512-10 (171 MB of weights), one sample per request: bound by reading the weights',
    manifest: wideManifest,
    rows: 1,
    encoding: 'json',
    concurrency: 64,
    apiCounts: [1],
  },
];

/** The scenario's stacked weights (seeded), as the registry takes them. */
export function scenarioWeights(scenario: Scenario): Uint8Array {
  const architecture = parseManifest(scenario.manifest);
  return writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, 0)));
}

export function scenarioInputShape(scenario: Scenario): number[] {
  return [scenario.rows, ...scenario.manifest.input.shape];
}

/** One prediction request of the scenario, sent to the API processes at `apiUrls` in turn. */
export function scenarioRequest(scenario: Scenario, apiUrls: readonly string[]): RequestSpec {
  const input = randomInput(scenarioInputShape(scenario), 1);
  const urls = apiUrls.map((apiUrl) => `${apiUrl}/v1/ensembles/${scenario.manifest.name}/predictions`);
  const prefer = { prefer: 'wait=30' };
  if (scenario.encoding === 'json') {
    const body = JSON.stringify({ input: { shape: input.shape, data: Array.from(input.data) }, combine: 'mean-softmax' });
    return { urls, headers: { ...prefer, 'content-type': 'application/json' }, body: Buffer.from(body).toString('base64') };
  }
  const body = writeSafetensors([float32Tensor('input', input.shape, input.data)]);
  return {
    urls: urls.map((url) => `${url}?combine=mean-softmax`),
    headers: { ...prefer, 'content-type': 'application/octet-stream', accept: 'application/octet-stream' },
    body: Buffer.from(body).toString('base64'),
  };
}
