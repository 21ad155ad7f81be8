/**
 * @fileoverview 64-bit arithmetic on pairs of int32 halves, for the interpreter's
 * register file, without BigInt except in the rare slow paths (64-bit division with
 * operands beyond 32 bits). Every function is exact modulo 2^64.
 */

/** High 32 bits of the unsigned 64-bit product of two 32-bit values, as int32. */
export function mulHiU32(a: number, b: number): number {
  // 16-bit limbs keep every partial product below 2^53, where doubles are exact.
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const low = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + (low >>> 16);
  return (a1 * b1 + Math.floor(mid / 65536)) | 0;
}

/** Reverses the bytes of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** Division kinds of the slow path. */
export const enum DivKind { Udiv, Sdiv, Umod, Smod }

/**
 * `R[d] op= (bl, bh)` for 64-bit division and modulo with RFC 9669's rules: x / 0 = 0,
 * x % 0 = x, INT64_MIN / -1 = INT64_MIN, INT64_MIN % -1 = 0, signed results truncated
 * toward zero as in C.
 */
export function divmod64(R: Int32Array, d: number, bl: number, bh: number, kind: DivKind): void {
  const al = R[d]!, ah = R[d + 1]!;
  if ((bl | bh) === 0) {
    if (kind === DivKind.Udiv || kind === DivKind.Sdiv) R[d] = R[d + 1] = 0;
    return;
  }
  // Both operands in [0, 2^32): exact in doubles, signed or not.
  if (ah === 0 && bh === 0) {
    const a = al >>> 0, b = bl >>> 0;
    R[d] = kind === DivKind.Udiv || kind === DivKind.Sdiv ? Math.floor(a / b) | 0 : a % b | 0;
    R[d + 1] = 0;
    return;
  }
  const signed = kind === DivKind.Sdiv || kind === DivKind.Smod;
  let a = toBig(al, ah), b = toBig(bl, bh);
  if (signed) { a = BigInt.asIntN(64, a); b = BigInt.asIntN(64, b); }
  // BigInt division truncates toward zero and keeps the dividend's sign, like C;
  // INT64_MIN / -1 = 2^63, which wraps back to INT64_MIN below.
  const r = BigInt.asUintN(64, kind === DivKind.Udiv || kind === DivKind.Sdiv ? a / b : a % b);
  R[d] = Number(r & 0xffffffffn) | 0;
  R[d + 1] = Number(r >> 32n) | 0;
}

/** A 64-bit register value as unsigned bigint. */
export const pairToBigInt = toBig;

/** Writes a helper's or caller's 64-bit value into a register pair. */
export function setPair(R: Int32Array, d: number, v: number | bigint | void): void {
  if (typeof v === "bigint") {
    const u = BigInt.asUintN(64, v);
    R[d] = Number(u & 0xffffffffn) | 0;
    R[d + 1] = Number(u >> 32n) | 0;
  } else if (typeof v === "number" && Number.isFinite(v)) {
    const n = Math.trunc(v);
    R[d] = n | 0; // ToInt32 is exact modulo 2^32 for any integer double
    R[d + 1] = Math.floor(n / 4294967296) | 0;
  } else {
    R[d] = R[d + 1] = 0;
  }
}
