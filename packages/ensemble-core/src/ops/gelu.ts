/**
 * `gelu`: PyTorch `nn.GELU(approximate='none')`: exact (`x·Φ(x)` with erf,
 * `approximate: 'none'`, the default) or with the tanh approximation
 * (`approximate: 'tanh'`). Built from primitive ONNX ops (opset 17 has no
 * Gelu): the exact form as `0.5·x·(1 + erf(x / √2))` with a `Div`, the
 * pattern ONNX Runtime's Gelu fusion matches (it does not match a `Mul` by
 * 1/√2, which leaves five passes over the tensor instead of one).
 */
import { z } from 'zod';
import { defineOp, mapReference } from './op-definition.js';

export const geluLayer = z.object({ op: z.literal('gelu'), approximate: z.enum(['none', 'tanh']).default('none') }).strict();
export type GeluLayer = z.infer<typeof geluLayer>;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export const gelu = defineOp<GeluLayer>({
  op: 'gelu',
  schema: geluLayer,
  inferShape: (_layer, input) => ({ shape: input }),
  reference: (layer, x) =>
    mapReference(
      x,
      layer.approximate === 'tanh'
        ? (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v ** 3)))
        : (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
    ),
  onnx(ctx, layer, x) {
    const g = ctx.graph;
    const scalar = (hint: string, value: number) => g.constant(hint, [], Float32Array.of(value));
    let inner: string;
    if (layer.approximate === 'tanh') {
      const cube = g.node('Mul', [g.node('Mul', [x.name, x.name]), x.name]);
      const poly = g.node('Add', [x.name, g.node('Mul', [cube, scalar('gelu_c', 0.044715)])]);
      inner = g.node('Tanh', [g.node('Mul', [poly, scalar('gelu_k', SQRT_2_OVER_PI)])]);
    } else {
      inner = g.node('Erf', [g.node('Div', [x.name, scalar('gelu_sqrt2', Math.SQRT2)])]);
    }
    const half = g.node('Mul', [x.name, scalar('gelu_half', 0.5)]);
    const name = g.node('Mul', [half, g.node('Add', [inner, scalar('gelu_one', 1)])]);
    return { ...x, name };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const inner =
      layer.approximate === 'tanh'
        ? tf.tanh(tf.mul(tf.add(x.t, tf.mul(tf.pow(x.t, 3), 0.044715)), SQRT_2_OVER_PI))
        : tf.erf(tf.mul(x.t, Math.SQRT1_2));
    return { ...x, t: tf.mul(tf.mul(x.t, 0.5), tf.add(inner, 1)) };
  },
});

/**
 * The error function in float64: Maclaurin series for |x| < 3, continued
 * fraction for erfc beyond. Accurate to ~1e-14, far below the tests' tolerance.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated bottom-up.
  let fraction = a;
  for (let k = 60; k >= 1; k--) fraction = a + k / 2 / fraction;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}
