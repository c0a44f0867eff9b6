/** Tests for reading JSON tensor data flat or nested against a shape. */
import { describe, expect, it } from 'vitest';
import { flatTensorData } from './tensor-data.js';

describe('flatTensorData', () => {
  it("takes the spec's two forms of [[1, 2], [4, 5]]: nested and flat", () => {
    expect(
      flatTensorData(
        'x',
        [2, 2],
        [
          [1, 2],
          [4, 5],
        ],
      ),
    ).toEqual([1, 2, 4, 5]);
    expect(flatTensorData('x', [2, 2], [1, 2, 4, 5])).toEqual([1, 2, 4, 5]);
    expect(
      flatTensorData(
        'x',
        [1, 2, 2],
        [
          [
            [1, 2],
            [4, 5],
          ],
        ],
      ),
    ).toEqual([1, 2, 4, 5]);
  });

  it.each<[string, number[], unknown[], string]>([
    ['too few values', [2, 2], [1, 2, 3], 'input "x" of shape [2, 2] needs 4 values, got 3'],
    ['a short row', [2, 2], [[1, 2], [4]], 'input "x": data[1] is a list of 1 where its shape [2, 2] needs a list of 2'],
    ['a value for a row', [2, 2], [[1, 2], 4], 'data[1] is a single value'],
    [
      'a level too deep',
      [2, 2],
      [
        [1, 2],
        [4, [5]],
      ],
      'data[1][1] is a list where its shape [2, 2] needs a value',
    ],
    ['a list in flat data', [4], [1, 2, [4], 5], 'data[2] is a list'],
    ['partly nested data', [2, 3], [[1, 2, 3], 4, 5, 6], 'nested data must follow the shape exactly'],
  ])('refuses %s, naming the input', (_what, shape, data, message) => {
    expect(() => flatTensorData('x', shape, data)).toThrow(message);
  });

  it('walks no deeper than the shape, however deep the data', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => flatTensorData('x', [1, 1], [deep])).toThrow('data[0][0] is a list');
  });
});
