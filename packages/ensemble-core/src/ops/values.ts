/**
 * `parameter` and `constant`: the values of a graph manifest that no input
 * flows into. A `parameter` is a learned tensor of each member (PyTorch's
 * `nn.Parameter`, an ONNX initializer), stacked under its own name
 * (`pos` -> `[N, ...shape]`); a `constant` is one literal tensor shared by
 * every member (a scale, gather indices). Neither has a batch axis.
 */
import { z } from 'zod';
import { formatShape, sizeOf } from '../tensor/tensor.js';
import { layerName, nonNegativeInt } from './layer-fields.js';
import { defineTensorOp } from './tensor-op.js';

const tensorShape = z.array(nonNegativeInt).max(8);

export const parameterLayer = z.object({ op: z.literal('parameter'), name: layerName, shape: tensorShape }).strict();
export type ParameterLayer = z.infer<typeof parameterLayer>;

export const constantLayer = z
  .object({
    op: z.literal('constant'),
    name: layerName,
    shape: tensorShape,
    /** The values, row-major. */
    value: z.array(z.number()).max(65_536),
    dtype: z.enum(['float32', 'int64']).default('float32'),
  })
  .strict();
export type ConstantLayer = z.infer<typeof constantLayer>;

export const parameter = defineTensorOp<ParameterLayer>({
  op: 'parameter',
  schema: parameterLayer,
  arity: [0, 0],
  inferValue: (layer) => ({ value: { shape: layer.shape, dtype: 'float32' } }),
  parameters: (layer) => ({ [layer.name]: layer.shape }),
  reference: (layer, _inputs, params) => ({ shape: layer.shape, data: params[layer.name] as Float64Array }),
  onnx(ctx, layer) {
    const name = ctx.graph.constant(layer.name, [ctx.members, ...layer.shape], ctx.parameter(layer.name));
    return { name, layout: 'members', shape: layer.shape, dtype: 'float32' };
  },
  tfjs: (ctx, layer) => ({ t: ctx.parameter(layer.name), layout: 'members', shape: layer.shape, dtype: 'float32' }),
});

export const constant = defineTensorOp<ConstantLayer>({
  op: 'constant',
  schema: constantLayer,
  arity: [0, 0],
  inferValue(layer) {
    if (layer.value.length !== sizeOf(layer.shape)) {
      return { problems: [`holds ${layer.value.length} values but its shape ${formatShape(layer.shape)} needs ${sizeOf(layer.shape)}`] };
    }
    if (layer.dtype === 'int64' && !layer.value.every(Number.isSafeInteger)) return { problems: ['int64 values must be integers'] };
    return { value: { shape: layer.shape, dtype: layer.dtype } };
  },
  reference: (layer) => ({ shape: layer.shape, data: Float64Array.from(layer.value) }),
  onnx(ctx, layer) {
    const name =
      layer.dtype === 'int64'
        ? ctx.graph.int64Tensor(layer.name, layer.shape, layer.value)
        : ctx.graph.constant(layer.name, layer.shape, Float32Array.from(layer.value));
    return { name, layout: 'shared', shape: layer.shape, dtype: layer.dtype };
  },
  tfjs: (ctx, layer) => ({
    t: ctx.constant('value', () => ctx.tf.tensor(layer.value, [...layer.shape], layer.dtype === 'int64' ? 'int32' : 'float32')),
    layout: 'shared',
    shape: layer.shape,
    dtype: layer.dtype,
  }),
});
