/**
 * @fileoverview A growing byte buffer for the streaming readers: chunks go in as they
 * arrive, whole records come out, and the offset of every byte in the stream is kept.
 */

export class ByteQueue {
  private buf = new Uint8Array(0);
  private start = 0;
  /** Stream offset of `buf[0]`. */
  private base = 0;

  push(chunk: Uint8Array): void {
    const rest = this.buf.length - this.start;
    if (rest === 0) {
      this.base += this.buf.length;
      this.buf = chunk.slice();
      this.start = 0;
      return;
    }
    const next = new Uint8Array(rest + chunk.length);
    next.set(this.buf.subarray(this.start));
    next.set(chunk, rest);
    this.base += this.start;
    this.buf = next;
    this.start = 0;
  }

  /** Bytes waiting. */
  get length(): number { return this.buf.length - this.start; }
  /** Stream offset of the next byte. */
  get offset(): number { return this.base + this.start; }

  /** A view of the next `n` bytes (valid until the next push), without taking them. */
  peek(n: number): Uint8Array { return this.buf.subarray(this.start, this.start + n); }
  /** Takes the next `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }
}

/** A DataView over `b` in the given byte order, read with `u16`/`u32`. */
export function reader(b: Uint8Array, little: boolean) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { u16: (o: number) => v.getUint16(o, little), u32: (o: number) => v.getUint32(o, little), i32: (o: number) => v.getInt32(o, little) };
}
