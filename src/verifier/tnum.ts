/**
 * @fileoverview Tracked numbers, as the kernel keeps them in kernel/bpf/tnum.c: a 64-bit
 * value whose bits are each known 0, known 1 or unknown, with the kernel's operations.
 */

/** Bits set in `mask` are unknown; the others equal the bits of `value` (never both set). */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** U64_MAX: every bit of a 64-bit word. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** U32_MAX */
export const U32_MAX = 0xffff_ffffn;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

const tn = (value: bigint, mask: bigint): Tnum => ({ value, mask });

/** tnum_unknown: nothing is known. */
export const TNUM_UNKNOWN: Tnum = Object.freeze(tn(0n, U64_MAX));
const ZERO: Tnum = Object.freeze(tn(0n, 0n));

/** tnum_const: every bit known. */
export function tnumConst(value: bigint): Tnum {
  return value === 0n ? ZERO : tn(u64(value), 0n);
}

/** fls64: the 1-based position of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * tnum_range: the smallest tnum holding every number in [min, max]: the bits above the
 * highest one in which min and max differ are known. E.g. [4, 7] is (0x4; 0x3).
 */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = fls64(min ^ max);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tn(min & ~delta, delta);
}

/** tnum_lshift: shift is in 0..63. */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tn(u64(a.value << s), u64(a.mask << s));
}

/** tnum_rshift: a logical shift. */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tn(a.value >> s, a.mask >> s);
}

/**
 * tnum_arshift: an arithmetic shift of the low `bits` (32 or 64) bits; the unknown sign
 * bit spreads as unknown, a known one as known. The 32-bit form yields a zero-extended
 * 32-bit result, as the kernel's `(u32)((s32)x >> n)` does.
 */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64 = 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) {
    return tn(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  }
  return tn(u64(BigInt.asIntN(64, a.value) >> s), u64(BigInt.asIntN(64, a.mask) >> s));
}

/**
 * tnum_add: the carries of the unknown bits make the bits they can reach unknown.
 * E.g. (0x0; 0x1) + (0x1; 0x0) is (0x0; 0x3).
 */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = a.mask + b.mask;
  const sv = a.value + b.value;
  const chi = u64(sm + sv) ^ u64(sv);
  const mu = chi | a.mask | b.mask;
  return tn(u64(sv) & ~mu, mu);
}

/** tnum_sub: the borrows of the unknown bits make the bits they can reach unknown. */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const mu = (alpha ^ beta) | a.mask | b.mask;
  return tn(dv & ~mu, mu);
}

/** tnum_neg: 0 - a. */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(ZERO, a);
}

/** tnum_and: a bit is known 1 only where both are known 1, known 0 where either is. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tn(v, alpha & beta & ~v);
}

/** tnum_or */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tn(v, mu & ~v);
}

/** tnum_xor */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tn(v & ~mu, mu);
}

/**
 * tnum_mul, the kernel's since 6.18: long multiplication over the bits of `a`; where a
 * bit of `a` is unknown the partial sum is the union of adding `b` and not adding it.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = ZERO;
  let av = a.value, am = a.mask, bv = b.value, bm = b.mask;
  while (av !== 0n || am !== 0n) {
    if (av & 1n) acc = tnumAdd(acc, tn(bv, bm));
    else if (am & 1n) acc = tnumUnion(acc, tnumAdd(acc, tn(bv, bm)));
    av >>= 1n;
    am >>= 1n;
    bv = u64(bv << 1n);
    bm = u64(bm << 1n);
  }
  return acc;
}

/**
 * tnum_intersect: the numbers both hold. Where they disagree (a known 1 against a known 0,
 * the intersection is empty) the kernel's formula gives a known 1.
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tn(v & ~mu, mu);
}

/** tnum_union: the smallest tnum holding the numbers of either. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return tn(v & ~mu, mu);
}

/** tnum_overlap: whether the known bits of both agree, so that they may share a number. */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask;
  return (a.value & mu) === (b.value & mu);
}

/**
 * tnum_step: the smallest member of `t` above `z`; t's minimum when z is below it, its
 * maximum when z is at or above that. E.g. t = (0x0; 0x8000), z = 3 gives 0x8000.
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  // Members are t.value plus a submask of t.mask, in order: find the next submask above d.
  const d = z - t.value;
  const carry = (1n << BigInt(fls64(d & ~t.mask))) - 1n;
  const filled = (d | carry | ~t.mask) & U64_MAX;
  return t.value | (((filled + 1n) & U64_MAX) & t.mask);
}

/** tnum_cast: the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : (1n << BigInt(size * 8)) - 1n;
  return tn(a.value & m, a.mask & m);
}

/** tnum_is_aligned: whether every number of `a` is a multiple of `size` (a power of two). */
export function tnumIsAligned(a: Tnum, size: bigint): boolean {
  if (size === 0n) return true;
  return ((a.value | a.mask) & (size - 1n)) === 0n;
}

/** tnum_in: whether `b` is a subset of `a`. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/** tnum_is_const */
export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
/** tnum_equals_const */
export const tnumEqualsConst = (a: Tnum, b: bigint): boolean => a.mask === 0n && a.value === b;
/** tnum_is_unknown: every bit unknown. */
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
/** tnum_equal */
export const tnumEqual = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** tnum_subreg: the low 32 bits. */
export function tnumSubreg(a: Tnum): Tnum {
  return tn(a.value & U32_MAX, a.mask & U32_MAX);
}

/** tnum_clear_subreg: the high 32 bits, the low ones known 0. */
export function tnumClearSubreg(a: Tnum): Tnum {
  const hi = ~U32_MAX & U64_MAX;
  return tn(a.value & hi, a.mask & hi);
}

/** tnum_with_subreg: the high half of `reg` with the low half of `subreg`. */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** tnum_const_subreg: the high half of `a` with a known low half. */
export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value & U32_MAX));
}

/** tnum_subreg_is_const */
export const tnumSubregIsConst = (a: Tnum): boolean => (a.mask & U32_MAX) === 0n;

function swab(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) {
    r = (r << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return r;
}

/** tnum_bswap16: the low two bytes swapped, the rest cleared. */
export const tnumBswap16 = (a: Tnum): Tnum => tn(swab(a.value, 2), swab(a.mask, 2));
/** tnum_bswap32: the low four bytes swapped, the rest cleared. */
export const tnumBswap32 = (a: Tnum): Tnum => tn(swab(a.value, 4), swab(a.mask, 4));
/** tnum_bswap64 */
export const tnumBswap64 = (a: Tnum): Tnum => tn(swab(a.value, 8), swab(a.mask, 8));

/** Hex as the kernel's `%#llx` prints it (the kernel's printf writes 0 as 0x0). */
export const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** tnum_strn: `(0x0; 0xff)`. */
export function tnumStr(a: Tnum): string {
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

/** tnum_sbin: 64 characters, the highest bit first, `x` for unknown bits. */
export function tnumSbin(a: Tnum): string {
  let s = "";
  for (let i = 63; i >= 0; i--) {
    const bit = 1n << BigInt(i);
    s += a.mask & bit ? "x" : a.value & bit ? "1" : "0";
  }
  return s;
}
