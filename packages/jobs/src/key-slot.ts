/**
 * Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of its
 * hash tag (what lies between the first `{` and the next `}`, when not
 * empty), modulo 16384. Keys with the same tag share a slot, and so a node:
 * only such keys can meet in one script, transaction or pipeline.
 */

export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
  return crc;
}

/**
 * @example
 * keySlot('foo'); // 12182
 * keySlot('{user1000}.following') === keySlot('{user1000}.followers'); // true
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % CLUSTER_SLOTS;
}
