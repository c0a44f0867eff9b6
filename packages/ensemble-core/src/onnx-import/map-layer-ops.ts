/**
 * ONNX nodes that become layer ops: PyTorch modules acting on batch-first
 * rows and owning their parameters. `Conv` (2-D) -> `conv2d`, `Gemm` with a
 * `[k*batch, in]` input, a weight initializer, transB=1, alpha=beta=1 and a
 * 1-D bias -> `linear`, `BatchNormalization` -> `batchnorm`,
 * `LayerNormalization` over the last axis -> `layernorm` (a missing bias
 * stacked as zeros), `MaxPool`/`AveragePool` (2-D, symmetric pads, no ceil
 * mode or dilation) -> pools, `GlobalAveragePool` -> `globalavgpool2d`,
 * `Softmax` -> `softmax`, `Flatten` -> `flatten` (axis 1) or a reshape,
 * `Relu`/`Tanh`/`Sigmoid`/`Erf`/`Gelu`/`Clip` -> those ops. Layers with
 * parameters are named after their weight's module (`layer1.conv1.weight` ->
 * `layer1.conv1`), else after the node; the members' weights are stacked as
 * `<layer>.weight`, `<layer>.bias`, ... Each layer's output shape comes from
 * the op's own shape rule (`src/ops`).
 */
import { opDefinition } from '../ops/index.js';
import type { OpDefinition } from '../ops/op-definition.js';
import { formatSymbolicShape, type SymbolicShape } from '../tensor/symbolic-shape.js';
import {
  expectIntAttribute,
  floatAttribute,
  intAttribute,
  intsAttribute,
  onlyAttributes,
  refuseAttribute,
  stringAttribute,
} from './attributes.js';
import type { DynamicValue, StaticValue } from './manifest-builder.js';
import { moduleOfNode, moduleOfWeight } from './names.js';
import { dynamicInput, type NodeContext, optionalStaticInput, outputName, rowsOf, sharedScalar, staticInput } from './node-context.js';
import { unsupported } from './onnx-import-error.js';
import { isFloatType } from './static-tensor.js';

/** Maps the node when it is one of the layer ops; `undefined` when it is not (see `map-tensor-ops.ts`). */
export function mapLayerNode(ctx: NodeContext): DynamicValue | undefined {
  switch (ctx.node.opType) {
    case 'Conv':
      return conv(ctx);
    case 'Gemm':
      return linearGemm(ctx);
    case 'BatchNormalization':
      return batchNormalization(ctx);
    case 'LayerNormalization':
      return layerNormalization(ctx);
    case 'MaxPool':
    case 'AveragePool':
      return pool(ctx);
    case 'GlobalAveragePool':
      onlyAttributes(ctx.node, []);
      requireRank(dynamicInput(ctx, 0), 4, 'GlobalAveragePool');
      return simpleLayer(ctx, { op: 'globalavgpool2d' });
    case 'Softmax':
      return softmax(ctx);
    case 'Flatten':
      return flatten(ctx);
    case 'Relu':
    case 'Tanh':
    case 'Sigmoid':
    case 'Erf':
      onlyAttributes(ctx.node, []);
      return simpleLayer(ctx, { op: ctx.node.opType.toLowerCase() });
    case 'Gelu': {
      onlyAttributes(ctx.node, ['approximate']);
      const approximate = stringAttribute(ctx.node, 'approximate', 'none');
      if (approximate !== 'none' && approximate !== 'tanh') refuseAttribute(ctx.node, 'approximate');
      return simpleLayer(ctx, { op: 'gelu', approximate });
    }
    case 'Clip':
      return clip(ctx);
  }
  return undefined;
}

/** A layer op's output shape by its own rule, or the refusal with the rule's problems. */
function inferRows(layer: { op: string } & Record<string, unknown>, x: DynamicValue): SymbolicShape {
  const { lead, sample } = rowsOf(x);
  const definition = opDefinition(layer.op);
  if (definition.kind === 'tensor') return unsupported(`${layer.op} is not a layer op`);
  const layerOp = definition as OpDefinition<{ op: string }>;
  const parsed = layerOp.schema.safeParse(layer);
  if (!parsed.success)
    return unsupported(`${layer.op} ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const result = layerOp.inferShape(parsed.data, sample);
  if (result.problems || !result.shape) return unsupported(`${layer.op} ${(result.problems ?? []).join('; ')}`);
  return [lead, ...result.shape];
}

/** A layer without parameters, named after the node's output. */
function simpleLayer(ctx: NodeContext, layer: { op: string } & Record<string, unknown>): DynamicValue {
  const x = dynamicInput(ctx, 0);
  const shape = inferRows(layer, x);
  return ctx.builder.add(outputName(ctx), layer, [x], shape, 'float32');
}

/**
 * A layer with parameters: named after the module of its weight, else of
 * its node, else `node<i>`, its parameters stacked as `<name>.<suffix>`.
 */
function parameterLayer(
  ctx: NodeContext,
  weight: StaticValue,
  layer: { op: string } & Record<string, unknown>,
  parameters: Readonly<Record<string, StaticValue | number>>,
): DynamicValue {
  const x = dynamicInput(ctx, 0);
  for (const [suffix, value] of Object.entries(parameters)) {
    if (typeof value !== 'number' && !isFloatType(value.dataType)) unsupported(`${suffix} (${value.name}) is not a float tensor`);
  }
  const candidates = [weight.initializer ? moduleOfWeight(weight.name) : undefined, moduleOfNode(ctx.node.name)];
  const name = ctx.builder.names.take(candidates, `node${ctx.node.index}`, Object.keys(parameters));
  const shape = inferRows({ ...layer, name }, x);
  const made = ctx.builder.add(name, layer, [x], shape, 'float32');
  for (const [suffix, value] of Object.entries(parameters)) {
    if (typeof value === 'number') ctx.builder.stackZeros(`${name}.${suffix}`, value);
    else ctx.builder.stack(`${name}.${suffix}`, value);
  }
  return made;
}

function requireRank(x: DynamicValue, rank: number, what: string): void {
  if (x.shape.length !== rank) unsupported(`${what} is supported on ${rank}-D inputs; this one is ${formatSymbolicShape(x.shape)}`);
}

/** `[a, b]` as `a` when both are equal, as the manifest writes PyTorch's `int or (int, int)`. */
function pair(values: readonly number[]): number | [number, number] {
  const [a, b] = values as [number, number];
  return a === b ? a : [a, b];
}

/** Symmetric 2-D pads `[top, left, bottom, right]` as `[height, width]`; `auto_pad` other than NOTSET/VALID refused. */
function symmetricPads(ctx: NodeContext): [number, number] {
  const autoPad = stringAttribute(ctx.node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') refuseAttribute(ctx.node, 'auto_pad');
  const pads = intsAttribute(ctx.node, 'pads') ?? [0, 0, 0, 0];
  if (autoPad === 'VALID' && pads.some((p) => p !== 0)) refuseAttribute(ctx.node, 'pads', 'with auto_pad=VALID');
  const [top, left, bottom, right] = pads as [number, number, number, number];
  if (pads.length !== 4 || top !== bottom || left !== right) {
    refuseAttribute(ctx.node, 'pads', 'only symmetric 2-D padding is');
  }
  return [top, left];
}

function conv(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = dynamicInput(ctx, 0);
  const weight = staticInput(ctx, 1, 'the weight');
  const bias = optionalStaticInput(ctx, 2, 'the bias');
  if (x.shape.length !== 4 || weight.shape.length !== 4) {
    return unsupported(
      `only 2-D convolutions are supported; the input is ${formatSymbolicShape(x.shape)}, the weight [${weight.shape.join(', ')}]`,
    );
  }
  const [out, inPerGroup, kh, kw] = weight.shape as [number, number, number, number];
  const kernel = intsAttribute(node, 'kernel_shape');
  if (kernel && (kernel[0] !== kh || kernel[1] !== kw)) refuseAttribute(node, 'kernel_shape', `the weight is [${weight.shape.join(', ')}]`);
  const groups = intAttribute(node, 'group', 1);
  const layer = {
    op: 'conv2d',
    in: inPerGroup * groups,
    out,
    kernel: pair([kh, kw]),
    stride: pair(intsAttribute(node, 'strides') ?? [1, 1]),
    padding: pair(symmetricPads(ctx)),
    dilation: pair(intsAttribute(node, 'dilations') ?? [1, 1]),
    groups,
    bias: bias !== undefined,
  };
  return parameterLayer(ctx, weight, layer, bias ? { weight, bias } : { weight });
}

/** `Gemm` as `nn.Linear` when it is one; any other Gemm is left to `map-tensor-ops.ts`. */
function linearGemm(ctx: NodeContext): DynamicValue | undefined {
  const { node } = ctx;
  const [a, b, c] = ctx.inputs;
  if (a?.kind !== 'dynamic' || b?.kind !== 'static' || (c !== undefined && c.kind !== 'static')) return undefined;
  const linear =
    a.shape.length === 2 &&
    b.shape.length === 2 &&
    isFloatType(b.dataType) &&
    (c === undefined || (c.shape.length === 1 && c.shape[0] === b.shape[0])) &&
    intAttribute(node, 'transA', 0) === 0 &&
    intAttribute(node, 'transB', 0) === 1 &&
    floatAttribute(node, 'alpha', 1) === 1 &&
    floatAttribute(node, 'beta', 1) === 1 &&
    [...node.attributes.keys()].every((name) => ['alpha', 'beta', 'transA', 'transB'].includes(name));
  if (!linear) return undefined;
  try {
    rowsOf(a);
  } catch {
    return undefined; // not batch-first rows: a plain gemm
  }
  const [out, inFeatures] = b.shape as [number, number];
  const layer = { op: 'linear', in: inFeatures, out, bias: c !== undefined };
  return parameterLayer(ctx, b, layer, c ? { weight: b, bias: c } : { weight: b });
}

function batchNormalization(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['epsilon', 'momentum', 'training_mode', 'spatial']);
  expectIntAttribute(node, 'training_mode', [0], 0);
  expectIntAttribute(node, 'spatial', [1], 1);
  const x = dynamicInput(ctx, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) =>
    staticInput(ctx, k, ['', 'the scale', 'the bias', 'the mean', 'the variance'][k]),
  ) as [StaticValue, StaticValue, StaticValue, StaticValue];
  const features = scale.shape[0] ?? 0;
  const layer = { op: 'batchnorm', features, eps: floatAttribute(node, 'epsilon', 1e-5) };
  requireChannels(x, features);
  return parameterLayer(ctx, scale, layer, { weight: scale, bias, running_mean: mean, running_var: variance });
}

function requireChannels(x: DynamicValue, features: number): void {
  if (x.shape[1] !== features) unsupported(`normalizes ${features} channels, but its input is ${formatSymbolicShape(x.shape)}`);
}

function layerNormalization(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['axis', 'epsilon', 'stash_type']);
  const x = dynamicInput(ctx, 0);
  const axis = intAttribute(node, 'axis', -1);
  if (axis !== -1 && axis !== x.shape.length - 1) refuseAttribute(node, 'axis', 'only the last axis is');
  const scale = staticInput(ctx, 1, 'the scale');
  const bias = optionalStaticInput(ctx, 2, 'the bias');
  const features = x.shape[x.shape.length - 1];
  if (typeof features !== 'number' || scale.shape.length !== 1 || scale.shape[0] !== features) {
    return unsupported(`the scale is [${scale.shape.join(', ')}] for an input ${formatSymbolicShape(x.shape)}`);
  }
  const layer = { op: 'layernorm', features, eps: floatAttribute(node, 'epsilon', 1e-5) };
  return parameterLayer(ctx, scale, layer, { weight: scale, bias: bias ?? features });
}

function pool(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  const max = node.opType === 'MaxPool';
  onlyAttributes(node, [
    'auto_pad',
    'ceil_mode',
    'dilations',
    'kernel_shape',
    'pads',
    'strides',
    ...(max ? ['storage_order'] : ['count_include_pad']),
  ]);
  expectIntAttribute(node, 'ceil_mode', [0], 0);
  if (max) expectIntAttribute(node, 'storage_order', [0], 0);
  const dilations = intsAttribute(node, 'dilations');
  if (dilations?.some((d) => d !== 1)) refuseAttribute(node, 'dilations');
  const kernel = intsAttribute(node, 'kernel_shape') ?? unsupported('the pool has no kernel_shape');
  requireRank(dynamicInput(ctx, 0), 4, node.opType);
  if (kernel.length !== 2) refuseAttribute(node, 'kernel_shape', 'only 2-D pooling is');
  const common = { kernel: pair(kernel), stride: pair(intsAttribute(node, 'strides') ?? [1, 1]), padding: pair(symmetricPads(ctx)) };
  const layer = max
    ? { op: 'maxpool2d', ...common }
    : { op: 'avgpool2d', ...common, countIncludePad: intAttribute(node, 'count_include_pad', 0) === 1 };
  return simpleLayer(ctx, layer);
}

function softmax(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['axis']);
  const x = dynamicInput(ctx, 0);
  const rank = x.shape.length;
  const axis = intAttribute(node, 'axis', ctx.opset >= 13 ? -1 : 1);
  const index = axis < 0 ? axis + rank : axis;
  // Before opset 13 Softmax flattened the axes from `axis` on: the same only over the last axis.
  if (ctx.opset < 13 && index !== rank - 1) {
    refuseAttribute(node, 'axis', `opset ${ctx.opset} flattens the axes from it on`);
  }
  if (index === 0) refuseAttribute(node, 'axis', 'a softmax over the batch axis');
  return simpleLayer(ctx, { op: 'softmax', dim: axis });
}

function flatten(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['axis']);
  const x = dynamicInput(ctx, 0);
  const axis = intAttribute(node, 'axis', 1);
  const index = axis < 0 ? axis + x.shape.length : axis;
  if (index === 1) return simpleLayer(ctx, { op: 'flatten', startDim: 1 });
  // ONNX's Flatten always gives 2-D ([d0*...*d(axis-1), rest]); past axis 1 that is a reshape, not torch.flatten.
  const { sample } = rowsOf(x);
  if (index < 1 || index > x.shape.length) refuseAttribute(node, 'axis');
  const rest = sample.slice(index - 1).reduce((a, b) => a * b, 1);
  const target = [-1, rest];
  const lead = x.shape[0] as { batch: number };
  const shape: SymbolicShape = [{ batch: lead.batch * sample.slice(0, index - 1).reduce((a, b) => a * b, 1) }, rest];
  return ctx.builder.add(outputName(ctx), { op: 'reshape', shape: target }, [x], shape, 'float32');
}

function clip(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  let min: number | undefined;
  let max: number | undefined;
  if (ctx.opset < 11) {
    onlyAttributes(node, ['min', 'max']);
    min = node.attributes.has('min') ? floatAttribute(node, 'min', 0) : undefined;
    max = node.attributes.has('max') ? floatAttribute(node, 'max', 0) : undefined;
  } else {
    onlyAttributes(node, []);
    const low = optionalStaticInput(ctx, 1, 'the minimum');
    const high = optionalStaticInput(ctx, 2, 'the maximum');
    min = low ? sharedScalar(low, 'the minimum') : undefined;
    max = high ? sharedScalar(high, 'the maximum') : undefined;
  }
  return simpleLayer(ctx, { op: 'clip', ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
}
