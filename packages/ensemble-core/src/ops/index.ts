/** Every op an ensemble manifest can use, gathered in one table keyed by `op`. */
import { add, addLayer, div, divLayer, mul, mulLayer, pow, powLayer, sub, subLayer } from './arithmetic.js';
import { batchnorm, batchnormLayer } from './batchnorm.js';
import { concat, concatLayer } from './concat.js';
import { conv2d, conv2dLayer } from './conv2d.js';
import { dropout, dropoutLayer } from './dropout.js';
import {
  clip,
  clipLayer,
  erf,
  erfLayer,
  identity,
  identityLayer,
  relu,
  reluLayer,
  sigmoid,
  sigmoidLayer,
  tanh,
  tanhLayer,
} from './elementwise.js';
import { flatten, flattenLayer } from './flatten.js';
import { gather, gatherLayer } from './gather.js';
import { gelu, geluLayer } from './gelu.js';
import { gemm, gemmLayer } from './gemm.js';
import { globalavgpool2d, globalavgpool2dLayer } from './globalavgpool2d.js';
import { layernorm, layernormLayer } from './layernorm.js';
import { linear, linearLayer } from './linear.js';
import { matmul, matmulLayer } from './matmul.js';
import type { OpDefinition } from './op-definition.js';
import { avgpool2d, avgpool2dLayer, maxpool2d, maxpool2dLayer } from './pool2d.js';
import { reducemean, reducemeanLayer } from './reduce.js';
import { reshape, reshapeLayer } from './reshape.js';
import { slice, sliceLayer } from './slice.js';
import { softmax, softmaxLayer } from './softmax.js';
import { squeeze, squeezeLayer, unsqueeze, unsqueezeLayer } from './squeeze.js';
import type { TensorOpDefinition } from './tensor-op.js';
import { transpose, transposeLayer } from './transpose.js';
import { constant, constantLayer, parameter, parameterLayer } from './values.js';

export const layerSchemas = [
  flattenLayer,
  linearLayer,
  conv2dLayer,
  maxpool2dLayer,
  avgpool2dLayer,
  globalavgpool2dLayer,
  batchnormLayer,
  layernormLayer,
  reluLayer,
  tanhLayer,
  sigmoidLayer,
  geluLayer,
  erfLayer,
  clipLayer,
  identityLayer,
  softmaxLayer,
  dropoutLayer,
  parameterLayer,
  constantLayer,
  addLayer,
  subLayer,
  mulLayer,
  divLayer,
  powLayer,
  matmulLayer,
  gemmLayer,
  gatherLayer,
  reshapeLayer,
  transposeLayer,
  squeezeLayer,
  unsqueezeLayer,
  concatLayer,
  sliceLayer,
  reducemeanLayer,
] as const;

const definitions = [
  flatten,
  linear,
  conv2d,
  maxpool2d,
  avgpool2d,
  globalavgpool2d,
  batchnorm,
  layernorm,
  relu,
  tanh,
  sigmoid,
  gelu,
  erf,
  clip,
  identity,
  softmax,
  dropout,
];
const tensorDefinitions = [
  parameter,
  constant,
  add,
  sub,
  mul,
  div,
  pow,
  reshape,
  transpose,
  squeeze,
  unsqueeze,
  concat,
  slice,
  reducemean,
  matmul,
  gemm,
  gather,
];

/** The op names, in the manifest's words. */
export const opNames = [...definitions, ...tensorDefinitions].map((definition) => definition.op);

/** A layer op or a tensor op, looked up by `op`; `kind` tells them apart. */
export type AnyOpDefinition = OpDefinition<{ op: string }> | TensorOpDefinition<{ op: string }>;

// Each definition is typed by its own layer; looked up by `op`, it takes that layer.
const table = new Map<string, AnyOpDefinition>([
  ...definitions.map((definition) => [definition.op, definition as unknown as OpDefinition<{ op: string }>] as const),
  ...tensorDefinitions.map((definition) => [definition.op, definition as unknown as TensorOpDefinition<{ op: string }>] as const),
]);

export function opDefinition(op: string): AnyOpDefinition {
  const definition = table.get(op);
  if (!definition) throw new Error(`unknown op "${op}"`);
  return definition;
}
