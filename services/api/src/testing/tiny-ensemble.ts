/** A two-member linear ensemble and its upload, for the API's tests. */
import { parseManifest, randomMembers, stackFloat32Members, writeStackedEnsemble } from '@ensembles/core';
import { multipartBody } from './multipart.js';

export const tinyManifest = { name: 'tiny', members: 2, input: { shape: [3] }, layers: [{ op: 'linear', name: 'fc', in: 3, out: 2 }] };

const architecture = parseManifest(tinyManifest);
const stacked = stackFloat32Members(architecture, randomMembers(architecture, 1));
export const tinyWeights = writeStackedEnsemble(stacked);

/** The multipart body that registers the tiny ensemble. */
export function tinyUpload(): { payload: Buffer; headers: Record<string, string> } {
  return multipartBody([
    { name: 'manifest', content: JSON.stringify(tinyManifest) },
    { name: 'weights', filename: 'tiny.safetensors', content: tinyWeights },
  ]);
}
