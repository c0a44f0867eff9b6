/**
 * A minimal protocol-buffers encoder: just what writing an ONNX model needs
 * (varints, 32-bit floats, length-delimited fields). Messages are kept as lists
 * of chunks so that large initializers are copied once, into the final buffer.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const textEncoder = new TextEncoder();

export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** An int32/int64/enum/bool field; negative values are encoded as 64-bit two's complement. */
  varint(field: number, value: number | bigint): this {
    this.pushVarint((BigInt(field) << 3n) | BigInt(WIRE_VARINT));
    this.pushVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  float(field: number, value: number): this {
    this.pushVarint((BigInt(field) << 3n) | BigInt(WIRE_FIXED32));
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    this.pushVarint((BigInt(field) << 3n) | BigInt(WIRE_LENGTH_DELIMITED));
    this.pushVarint(BigInt(value.byteLength));
    return this.push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, value: ProtoMessage): this {
    this.pushVarint((BigInt(field) << 3n) | BigInt(WIRE_LENGTH_DELIMITED));
    this.pushVarint(BigInt(value.size));
    for (const chunk of value.chunks) this.push(chunk);
    return this;
  }

  /** The encoded message as one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private push(chunk: Uint8Array): this {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    return this;
  }

  private pushVarint(value: bigint): void {
    const bytes: number[] = [];
    let rest = value;
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (rest > 0n);
    this.push(Uint8Array.from(bytes));
  }
}
