/**
 * Byte order: safetensors stores numbers little-endian; typed arrays use the
 * host's order. On (rare) big-endian hosts, bytes are swapped in a copy.
 */

/** True on little-endian hosts (every platform Node ships for but s390x). */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts between little-endian and host byte order for elements of `width`
 * bytes: returns `bytes` itself on little-endian hosts, else a swapped copy.
 * The conversion is its own inverse.
 *
 * @example
 * const native = swapToHostOrder(tensor.bytes, 4);
 */
export function swapToHostOrder(bytes: Uint8Array, width: number): Uint8Array {
  if (hostIsLittleEndian || width === 1) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) swapped[i + j] = bytes[i + width - 1 - j] ?? 0;
  }
  return swapped;
}
