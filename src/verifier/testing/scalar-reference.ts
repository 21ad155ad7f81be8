/**
 * @fileoverview The scalar domain in plain BigInt arithmetic, line for line as kernel 6.18 keeps it: the
 * reference that src/verifier/scalar.ts (the fast form the verifier uses) is tested against. A tnum
 * with signed and unsigned 64- and 32-bit bounds, the ALU transfer functions, branch
 * prediction and refinement, and the log's printed form of a scalar register.
 */

import {
  hex, TNUM_UNKNOWN, tnumAdd, tnumAnd, tnumArshift, tnumBswap16, tnumBswap32, tnumBswap64, tnumCast,
  tnumClearSubreg, tnumConst, tnumConstSubreg, tnumIn, tnumIntersect, tnumIsConst, tnumIsUnknown, tnumLshift,
  tnumMul, tnumNeg, tnumOr, tnumOverlap, tnumRange, tnumRshift, tnumStr, tnumSub, tnumSubreg, tnumSubregIsConst,
  tnumStep, tnumWithSubreg, tnumXor, U32_MAX, U64_MAX, type Tnum,
} from "../tnum.js";

/** A scalar register's value: every number it may hold lies in all of these at once. */
export interface Scalar {
  readonly varOff: Tnum;
  /** Signed 64-bit bounds, as signed bigints. */
  readonly smin: bigint;
  readonly smax: bigint;
  /** Unsigned 64-bit bounds, in 0..2^64-1. */
  readonly umin: bigint;
  readonly umax: bigint;
  /** Bounds of the low 32 bits, signed and unsigned. */
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
}

/** The ALU operations on scalars, named as the assembler names them. */
export type AluOp =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "mod" | "smod" | "or" | "and" | "xor" | "lsh" | "rsh" | "arsh"
  | "neg" | "mov" | "movsx8" | "movsx16" | "movsx32"
  | "be16" | "be32" | "be64" | "le16" | "le32" | "le64" | "bswap16" | "bswap32" | "bswap64";

/** The conditional jumps. */
export type JmpOp = "jeq" | "jne" | "jgt" | "jge" | "jlt" | "jle" | "jsgt" | "jsge" | "jslt" | "jsle" | "jset";

/** S64_MIN */
export const S64_MIN = -(1n << 63n);
/** S64_MAX */
export const S64_MAX = (1n << 63n) - 1n;
/** S32_MIN */
export const S32_MIN = -(1n << 31n);
/** S32_MAX */
export const S32_MAX = (1n << 31n) - 1n;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The working form: a bpf_reg_state's scalar part, mutated in place as the kernel does. */
interface Reg {
  varOff: Tnum;
  smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

const copy = (s: Scalar): Reg => ({
  varOff: s.varOff, smin: s.smin, smax: s.smax, umin: s.umin, umax: s.umax,
  s32min: s.s32min, s32max: s.s32max, u32min: s.u32min, u32max: s.u32max,
});

// ---- Constructors ----

/** __mark_reg_known */
function markKnown(r: Reg, imm: bigint): void {
  const v = u64(imm);
  r.varOff = tnumConst(v);
  r.smin = r.smax = s64(v);
  r.umin = r.umax = v;
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
}

/** __mark_reg32_known */
function markKnown32(r: Reg, imm: bigint): void {
  r.varOff = tnumConstSubreg(r.varOff, imm);
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

/** __mark_reg64_unbounded */
function unbound64(r: Reg): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64_MAX;
}

/** __mark_reg32_unbounded */
function unbound32(r: Reg): void {
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX;
}

/** __mark_reg_unknown's scalar part: nothing known. */
function markUnknown(r: Reg): void {
  r.varOff = TNUM_UNKNOWN;
  unbound64(r);
  unbound32(r);
}

const UNKNOWN: Scalar = Object.freeze({
  varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
  s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
});

/** A known 64-bit number (taken modulo 2^64). */
export function scalarConst(v: bigint): Scalar {
  const r = copy(UNKNOWN);
  markKnown(r, v);
  return r;
}

/** A scalar about which nothing is known. */
export function scalarUnknown(): Scalar {
  return UNKNOWN;
}

/** The numbers in [umin, umax], unsigned, with the bounds that follow from that. */
export function scalarRange(umin: bigint, umax: bigint): Scalar {
  const r = copy(UNKNOWN);
  r.umin = u64(umin);
  r.umax = u64(umax);
  r.varOff = tnumRange(r.umin, r.umax);
  regBoundsSync(r);
  return r;
}

/** A scalar from its parts, bounds checked by nothing: for tests and the walker's spills. */
export function scalarOf(parts: Scalar): Scalar {
  return copy(parts);
}

/**
 * A value loaded from memory the verifier knows nothing about (a context field, a map
 * value): unknown, then narrowed to the load's size, as mark_reg_unknown followed by
 * coerce_reg_to_size or coerce_reg_to_size_sx.
 */
export function scalarLoad(size: 1 | 2 | 4 | 8, signed: boolean): Scalar {
  if (size === 8) return UNKNOWN;
  const r = copy(UNKNOWN);
  if (signed) coerceRegToSizeSx(r, size);
  else coerceRegToSize(r, size);
  return r;
}

// ---- Queries ----

/** tnum_is_const of the whole register: one number only. */
export const isConst = (s: Scalar): boolean => tnumIsConst(s.varOff);

/** The number a constant scalar holds, unsigned; undefined when it is not constant. */
export const constValue = (s: Scalar): bigint | undefined => (tnumIsConst(s.varOff) ? s.varOff.value : undefined);

/** is_reg_const: constant in the 64-bit or in the 32-bit view. */
export const isConstIn = (s: Scalar, is32: boolean): boolean =>
  is32 ? tnumSubregIsConst(s.varOff) : tnumIsConst(s.varOff);

/** reg_const_value */
const constIn = (s: Scalar, is32: boolean): bigint => (is32 ? u32(s.varOff.value) : s.varOff.value);

/** Whether every field equals: the kernel compares scalars this way where ids do not matter. */
export function scalarEqual(a: Scalar, b: Scalar): boolean {
  return a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask && a.smin === b.smin && a.smax === b.smax &&
    a.umin === b.umin && a.umax === b.umax && a.s32min === b.s32min && a.s32max === b.s32max &&
    a.u32min === b.u32min && a.u32max === b.u32max;
}

/**
 * range_within and tnum_in as regsafe uses them for scalars: every number `cur` may hold,
 * `old` may hold too, so a state explored with `old` covers `cur`.
 */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  return old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
    old.u32min <= cur.u32min && old.u32max >= cur.u32max && old.s32min <= cur.s32min && old.s32max >= cur.s32max &&
    tnumIn(old.varOff, cur.varOff);
}

const emptyRange = (s: Reg): boolean => s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max;

/** reg_bounds_sanity_check's test: whether the bounds and the tnum can all hold one number. */
export function scalarConsistent(s: Scalar): boolean {
  if (s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max) return false;
  if (tnumIsConst(s.varOff)) {
    const v = s.varOff.value;
    if (s.umin !== v || s.umax !== v || s.smin !== s64(v) || s.smax !== s64(v)) return false;
  }
  if (tnumSubregIsConst(s.varOff)) {
    const v = u32(s.varOff.value);
    if (s.u32min !== v || s.u32max !== v || s.s32min !== s32(v) || s.s32max !== s32(v)) return false;
  }
  return true;
}

// ---- Bounds synchronisation (reg_bounds_sync and what it calls) ----

/** __update_reg32_bounds: bounds the known bits of the low half imply. */
function updateReg32Bounds(r: Reg): void {
  const v = r.varOff.value & U32_MAX, m = r.varOff.mask & U32_MAX;
  r.s32min = max(r.s32min, s32(v | (m & 0x8000_0000n)));
  r.s32max = min(r.s32max, s32(v | (m & 0x7fff_ffffn)));
  r.u32min = max(r.u32min, v);
  r.u32max = min(r.u32max, v | m);
}

/** __update_reg64_bounds */
function updateReg64Bounds(r: Reg): void {
  const { value: v, mask: m } = r.varOff;
  r.smin = max(r.smin, s64(v | (m & 0x8000_0000_0000_0000n)));
  r.smax = min(r.smax, s64(v | (m & 0x7fff_ffff_ffff_ffffn)));
  r.umin = max(r.umin, v);
  r.umax = min(r.umax, v | m);
  // Where the u64 range and the tnum share a single number, that is the value.
  const next = tnumStep(r.varOff, r.umin);
  const uminIn = (r.umin & ~m) === v;
  const tmax = v | m;
  if (uminIn && next > r.umax) markKnown(r, r.umin);
  else if (!uminIn && next === tmax) markKnown(r, tmax);
  else if (!uminIn && next <= r.umax && tnumStep(r.varOff, next) > r.umax) markKnown(r, next);
}

/** __update_reg_bounds */
function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds: the low half's bounds from the 64-bit ones, then signed against unsigned. */
function reg32DeduceBounds(r: Reg): void {
  // Where the upper 32 bits stay the same across the 64-bit range, the lower ones form a range.
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // Upper halves that are two consecutive numbers, with a low half going from negative to positive.
  if (u32((r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32((r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  // A u32 range that does not cross the sign bit is an s32 range too, and the other way round.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range wraps around the u32 domain's ends; the u32 range meets only its
    // non-negative part (as in reg64DeduceBounds)...
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ...or only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

/** __reg64_deduce_bounds: signed against unsigned 64-bit bounds. */
function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else if (r.umax < u64(r.smin)) {
    // The s64 range wraps around the u64 domain's ends and the u64 range meets only its
    // positive part...
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    // ...or only its negative part.
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

/** __reg_deduce_mixed_bounds: 64-bit bounds tightened with the 32-bit ones. */
function regDeduceMixedBounds(r: Reg): void {
  const hi = ~U32_MAX;
  r.umin = max(r.umin, (r.umin & hi) | r.u32min);
  r.umax = min(r.umax, (r.umax & hi) | r.u32max);
  r.smin = max(r.smin, s64((r.smin & hi) | r.u32min));
  r.smax = min(r.smax, s64((r.smax & hi) | r.u32max));
  // After a sign-extending load: a non-negative low half within [S32_MIN, S32_MAX] means
  // the upper bits cannot be all ones.
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    // (s32max may be negative on a dead path: the kernel sign-extends it.)
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = u64(r.s32min);
    r.umax = u64(r.s32max);
    r.varOff = tnumIntersect(r.varOff, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

/** __reg_deduce_bounds */
function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: known bits from the unsigned bounds. */
function regBoundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** reg_bounds_sync: every view of the register made to agree with every other. */
function regBoundsSync(r: Reg): void {
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

/** reg_bounds_sync for a scalar built or edited outside this module. */
export function scalarSync(s: Scalar): Scalar {
  const r = copy(s);
  regBoundsSync(r);
  return r;
}

// ---- Width changes ----

/** __reg_assign_32_into_64 */
function assign32Into64(r: Reg): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** zext_32_to_64: what a 32-bit operation leaves in the whole register. */
function zext32To64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  assign32Into64(r);
}

/** coerce_reg_to_size: the low `size` bytes, zero-extended. */
function coerceRegToSize(r: Reg, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) unbound32(r);
  regBoundsSync(r);
}

const sext = (x: bigint, size: number): bigint => BigInt.asIntN(size * 8, x);

/** set_sext64_default_val */
function sext64Default(r: Reg, size: number): void {
  const lim = 1n << BigInt(size * 8 - 1);
  r.smin = r.s32min = -lim;
  r.smax = r.s32max = lim - 1n;
  r.umin = r.u32min = 0n;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.varOff = TNUM_UNKNOWN;
}

/** coerce_reg_to_size_sx: the low `size` bytes, sign-extended to 64 bits. */
function coerceRegToSizeSx(r: Reg, size: number): void {
  if (tnumIsConst(r.varOff)) {
    const c = u64(sext(r.varOff.value, size));
    r.varOff = tnumConst(c);
    r.smin = r.smax = s64(c);
    r.umin = r.umax = c;
    r.s32min = r.s32max = s32(c);
    r.u32min = r.u32max = u32(c);
    return;
  }
  const bits = BigInt(size * 8);
  if (u64(r.smax) >> bits !== u64(r.smin) >> bits) {
    sext64Fallback(r, size);
    return;
  }
  const a = sext(r.smax, size), b = sext(r.smin, size);
  const hi = max(a, b), lo = min(a, b);
  if ((hi >= 0n) === (lo >= 0n)) {
    r.smin = lo; r.s32min = s32(lo);
    r.smax = hi; r.s32max = s32(hi);
    r.umin = u64(lo); r.u32min = u32(lo);
    r.umax = u64(hi); r.u32max = u32(hi);
    r.varOff = tnumRange(u64(lo), u64(hi));
    return;
  }
  sext64Fallback(r, size);
}

/**
 * What kernel 6.18 leaves when the 64-bit bounds say nothing: if the low half's signed
 * range fits the narrow type, sign extension keeps the low half as it is, so the 32-bit
 * bounds stay and the 64-bit ones are theirs extended (the tnum is rebuilt from the bounds);
 * otherwise the whole range of the narrow type.
 */
function sext64Fallback(r: Reg, size: number): void {
  const lim = 1n << BigInt(size * 8 - 1);
  if (r.s32min < -lim || r.s32max >= lim) return sext64Default(r, size);
  r.smin = r.s32min;
  r.smax = r.s32max;
  r.umin = 0n;
  r.umax = U64_MAX;
  r.varOff = TNUM_UNKNOWN;
  regBoundsSync(r);
}

/** set_sext32_default_val */
function sext32Default(r: Reg, size: number): void {
  const lim = 1n << BigInt(size * 8 - 1);
  r.s32min = -lim;
  r.s32max = lim - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.varOff = tnumSubreg(TNUM_UNKNOWN);
}

/** coerce_subreg_to_size_sx: the low `size` bytes sign-extended to 32 bits. */
function coerceSubregToSizeSx(r: Reg, size: number): void {
  if (tnumIsConst(r.varOff)) {
    const c = u64(sext(r.varOff.value, size));
    r.varOff = tnumConst(c);
    r.s32min = r.s32max = s32(c);
    r.u32min = r.u32max = u32(c);
    return;
  }
  const bits = BigInt(size * 8);
  if (u32(r.s32max) >> bits !== u32(r.s32min) >> bits) {
    sext32Default(r, size);
    return;
  }
  const a = sext(r.s32max, size), b = sext(r.s32min, size);
  const hi = max(a, b), lo = min(a, b);
  if ((lo >= 0n) === (hi >= 0n)) {
    r.s32min = lo;
    r.s32max = hi;
    r.u32min = u32(lo);
    r.u32max = u32(hi);
    r.varOff = tnumSubreg(tnumRange(u64(lo), u64(hi)));
    return;
  }
  sext32Default(r, size);
}

/** The low 32 bits, zero-extended: a 32-bit move of the register onto itself. */
export function scalarTruncate32(s: Scalar): Scalar {
  const r = copy(s);
  zext32To64(r);
  regBoundsSync(r);
  return r;
}

/** The low `size` bytes zero-extended (coerce_reg_to_size), as a narrow load or store sees them. */
export function scalarZext(s: Scalar, size: 1 | 2 | 4 | 8): Scalar {
  if (size === 8) return s;
  const r = copy(s);
  coerceRegToSize(r, size);
  return r;
}

/** The low `size` bytes sign-extended (coerce_reg_to_size_sx), as a sign-extending load sees them. */
export function scalarSext(s: Scalar, size: 1 | 2 | 4): Scalar {
  const r = copy(s);
  coerceRegToSizeSx(r, size);
  return r;
}

// ---- Overflow-checked arithmetic as the kernel's check_*_overflow ----

/** The wrapped result and whether it wrapped, for a width and signedness. */
function wrapS64(x: bigint): [bigint, boolean] {
  const w = s64(x);
  return [w, w !== x];
}
function wrapU64(x: bigint): [bigint, boolean] {
  const w = u64(x);
  return [w, w !== x];
}
function wrapS32(x: bigint): [bigint, boolean] {
  const w = s32(x);
  return [w, w !== x];
}
function wrapU32(x: bigint): [bigint, boolean] {
  const w = u32(x);
  return [w, w !== x];
}

// ---- ALU transfer functions (the scalar_min_max_* family) ----

/** scalar32_min_max_add */
function add32(d: Reg, s: Reg): void {
  const [smin, o1] = wrapS32(d.s32min + s.s32min);
  const [smax, o2] = wrapS32(d.s32max + s.s32max);
  if (o1 || o2) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = smin; d.s32max = smax; }
  const [umin, minOv] = wrapU32(d.u32min + s.u32min);
  const [umax, maxOv] = wrapU32(d.u32max + s.u32max);
  // When all the sums wrap or none does, the wrapped bounds still bound them.
  if (!minOv && maxOv) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = umin; d.u32max = umax; }
}

/** scalar_min_max_add */
function add64(d: Reg, s: Reg): void {
  const [smin, o1] = wrapS64(d.smin + s.smin);
  const [smax, o2] = wrapS64(d.smax + s.smax);
  if (o1 || o2) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  const [umin, minOv] = wrapU64(d.umin + s.umin);
  const [umax, maxOv] = wrapU64(d.umax + s.umax);
  if (!minOv && maxOv) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
}

/** scalar32_min_max_sub */
function sub32(d: Reg, s: Reg): void {
  const [smin, o1] = wrapS32(d.s32min - s.s32max);
  const [smax, o2] = wrapS32(d.s32max - s.s32min);
  if (o1 || o2) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = smin; d.s32max = smax; }
  const [umin, minUn] = wrapU32(d.u32min - s.u32max);
  const [umax, maxUn] = wrapU32(d.u32max - s.u32min);
  if (minUn && !maxUn) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = umin; d.u32max = umax; }
}

/** scalar_min_max_sub */
function sub64(d: Reg, s: Reg): void {
  const [smin, o1] = wrapS64(d.smin - s.smax);
  const [smax, o2] = wrapS64(d.smax - s.smin);
  if (o1 || o2) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  const [umin, minUn] = wrapU64(d.umin - s.umax);
  const [umax, maxUn] = wrapU64(d.umax - s.umin);
  if (minUn && !maxUn) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
}

/** scalar32_min_max_mul: the unsigned product of the ends, the signed extremes of four products. */
function mul32(d: Reg, s: Reg): void {
  const [umax, o1] = wrapU32(d.u32max * s.u32max);
  const [umin, o2] = wrapU32(d.u32min * s.u32min);
  if (o1 || o2) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = umin; d.u32max = umax; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => x < S32_MIN || x > S32_MAX)) {
    d.s32min = S32_MIN; d.s32max = S32_MAX;
  } else {
    d.s32min = p.reduce(min);
    d.s32max = p.reduce(max);
  }
}

/** scalar_min_max_mul */
function mul64(d: Reg, s: Reg): void {
  const [umax, o1] = wrapU64(d.umax * s.umax);
  const [umin, o2] = wrapU64(d.umin * s.umin);
  if (o1 || o2) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => x < S64_MIN || x > S64_MAX)) {
    d.smin = S64_MIN; d.smax = S64_MAX;
  } else {
    d.smin = p.reduce(min);
    d.smax = p.reduce(max);
  }
}

/** The s32 bounds of a u32 range, when it does not cross the sign bit. */
function s32FromU32(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN; d.s32max = S32_MAX;
  }
}

/** The s64 bounds of a u64 range, when it does not cross the sign bit. */
function s64FromU64(d: Reg): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN; d.smax = S64_MAX;
  }
}

// The bitwise operations run after var_off holds the result: the minimum (and, resp., the
// maximum) comes from the known bits, the other end from the operands' bounds.

/** scalar32_min_max_and */
function and32(d: Reg, s: Reg): void {
  const v = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) return markKnown32(d, v.value);
  d.u32min = v.value;
  d.u32max = min(d.u32max, s.u32max);
  s32FromU32(d);
}

/** scalar_min_max_and */
function and64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) return markKnown(d, d.varOff.value);
  d.umin = d.varOff.value;
  d.umax = min(d.umax, s.umax);
  s64FromU64(d);
  updateRegBounds(d);
}

/** scalar32_min_max_or */
function or32(d: Reg, s: Reg): void {
  const v = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) return markKnown32(d, v.value);
  d.u32min = max(d.u32min, s.u32min);
  d.u32max = v.value | v.mask;
  s32FromU32(d);
}

/** scalar_min_max_or */
function or64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) return markKnown(d, d.varOff.value);
  d.umin = max(d.umin, s.umin);
  d.umax = d.varOff.value | d.varOff.mask;
  s64FromU64(d);
  updateRegBounds(d);
}

/** scalar32_min_max_xor */
function xor32(d: Reg, s: Reg): void {
  const v = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) return markKnown32(d, v.value);
  d.u32min = v.value;
  d.u32max = v.value | v.mask;
  s32FromU32(d);
}

/** scalar_min_max_xor */
function xor64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) return markKnown(d, d.varOff.value);
  d.umin = d.varOff.value;
  d.umax = d.varOff.value | d.varOff.mask;
  s64FromU64(d);
  updateRegBounds(d);
}

/** __scalar32_min_max_lsh */
function lsh32Bounds(d: Reg, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  // A shift that may push the top bit out tells nothing.
  if (umax > 31n || d.u32max > 1n << (31n - umax)) {
    d.u32min = 0n; d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << umin);
    d.u32max = u32(d.u32max << umax);
  }
}

/** scalar32_min_max_lsh */
function lsh32(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  lsh32Bounds(d, s.u32min, s.u32max);
  d.varOff = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
  unbound64(d);
  updateReg32Bounds(d);
}

/** __scalar64_min_max_lsh */
function lsh64Bounds(d: Reg, umin: bigint, umax: bigint): void {
  // x << 32 s>> 32 sign-extends a subregister: the s32 range survives << 32 as an s64 one.
  const by32 = umin === 32n && umax === 32n;
  d.smax = by32 ? d.s32max << 32n : S64_MAX;
  d.smin = by32 ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) {
    d.umin = 0n; d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << umin);
    d.umax = u64(d.umax << umax);
  }
}

/** scalar_min_max_lsh */
function lsh64(d: Reg, s: Reg): void {
  // The 64-bit bounds use the unshifted 32-bit ones, so they go first.
  lsh64Bounds(d, s.umin, s.umax);
  lsh32Bounds(d, s.umin, s.umax);
  d.varOff = tnumLshift(d.varOff, Number(s.umin));
  updateRegBounds(d);
}

/** scalar32_min_max_rsh */
function rsh32(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, Number(s.u32min));
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  unbound64(d);
  updateReg32Bounds(d);
}

/** scalar_min_max_rsh */
function rsh64(d: Reg, s: Reg): void {
  d.smin = S64_MIN; d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, Number(s.umin));
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  unbound32(d);
  updateRegBounds(d);
}

/** scalar32_min_max_arsh: the shift is a known constant here. */
function arsh32(d: Reg, s: Reg): void {
  const n = s.u32min;
  d.s32min = d.s32min >> n;
  d.s32max = d.s32max >> n;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), Number(n), 32);
  d.u32min = 0n; d.u32max = U32_MAX;
  unbound64(d);
  updateReg32Bounds(d);
}

/** scalar_min_max_arsh */
function arsh64(d: Reg, s: Reg): void {
  const n = s.umin;
  d.smin = d.smin >> n;
  d.smax = d.smax >> n;
  d.varOff = tnumArshift(d.varOff, Number(n), 64);
  d.umin = 0n; d.umax = U64_MAX;
  unbound32(d);
  updateRegBounds(d);
}

/**
 * scalar_byte_swap, on a little-endian host: be* and bswap* swap the bytes (and the range
 * is rebuilt from the swapped tnum), le* only truncate; 16 and 32 bits truncate.
 */
function byteSwap(d: Reg, bits: 16 | 32 | 64, swap: boolean): void {
  if (swap) {
    d.varOff = bits === 16 ? tnumBswap16(d.varOff) : bits === 32 ? tnumBswap32(d.varOff) : tnumBswap64(d.varOff);
    unbound64(d);
    unbound32(d);
  }
  if (bits !== 64) coerceRegToSize(d, bits / 8);
}

/**
 * is_safe_to_compute_dst_reg_range: shifts need a known amount below the width; division
 * and modulo are not tracked by 6.18 at all.
 */
function safeToCompute(op: AluOp, src: Scalar, is64: boolean): boolean {
  switch (op) {
    case "lsh": case "rsh": case "arsh": {
      const known = is64
        ? tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax
        : tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max;
      return known && src.umax < (is64 ? 64n : 32n);
    }
    case "div": case "sdiv": case "mod": case "smod": return false;
    default: return true;
  }
}

/**
 * maybe_fork_scalars: before `dst &= K` or `dst |= K` (K a 64-bit constant) on a dst in
 * [-1, 0] (64-bit, else 32-bit signed), kernel 6.18 splits the state, since LLVM emits
 * `x s>>= 63; x &= K` for `x < 0 ? K : 0`. Returns [the dst to go on with, known -1; the dst
 * of the state to push, known 0, which runs the same instruction again], or undefined.
 */
export function scalarFork(op: AluOp, dst: Scalar, src: Scalar): readonly [Scalar, Scalar] | undefined {
  if ((op !== "and" && op !== "or") || !tnumIsConst(src.varOff)) return undefined;
  const minus = copy(dst), zero = copy(dst);
  if (dst.smin === -1n && dst.smax === 0n) {
    markKnown(minus, -1n);
    markKnown(zero, 0n);
  } else if (dst.s32min === -1n && dst.s32max === 0n) {
    markKnown32(minus, U32_MAX);
    markKnown32(zero, 0n);
  } else {
    return undefined;
  }
  return [minus, zero];
}

const SWAPS: Partial<Record<AluOp, readonly [16 | 32 | 64, boolean]>> = {
  be16: [16, true], be32: [32, true], be64: [64, true],
  le16: [16, false], le32: [32, false], le64: [64, false],
  bswap16: [16, true], bswap32: [32, true], bswap64: [64, true],
};

/**
 * The scalar `dst op src` leaves, as adjust_scalar_min_max_vals computes it (and, for
 * moves, check_alu_op): 32-bit operations zero-extend into the whole register. `src` is the
 * source register's value, or `scalarConst(imm)` with the immediate sign-extended; `neg`
 * and the byte swaps ignore it. Byte swaps never zero-extend: their width is their own.
 */
export function scalarAlu(op: AluOp, dst: Scalar, src: Scalar, is64: boolean): Scalar {
  switch (op) {
    case "mov": return is64 ? src : scalarTruncate32(src);
    case "movsx8": case "movsx16": case "movsx32": {
      const size = op === "movsx8" ? 1 : op === "movsx16" ? 2 : 4;
      // No 32-bit movsx32 exists; extending 32 bits to 32 would be a plain move.
      if (!is64 && size === 4) return scalarTruncate32(src);
      const r = copy(src);
      if (is64) {
        coerceRegToSizeSx(r, size);
      } else {
        coerceSubregToSizeSx(r, size);
        zext32To64(r);
        regBoundsSync(r);
      }
      return r;
    }
  }
  if (!safeToCompute(op, src, is64)) return UNKNOWN;
  const d = copy(dst);
  const s = src as Reg; // read only below
  switch (op) {
    case "add":
      add32(d, s); add64(d, s);
      d.varOff = tnumAdd(d.varOff, s.varOff);
      break;
    case "sub":
      sub32(d, s); sub64(d, s);
      d.varOff = tnumSub(d.varOff, s.varOff);
      break;
    case "neg": {
      const old = copy(dst);
      markKnown(d, 0n);
      sub32(d, old); sub64(d, old);
      d.varOff = tnumNeg(old.varOff);
      break;
    }
    case "mul":
      d.varOff = tnumMul(d.varOff, s.varOff);
      mul32(d, s); mul64(d, s);
      break;
    case "and":
      d.varOff = tnumAnd(d.varOff, s.varOff);
      and32(d, s); and64(d, s);
      break;
    case "or":
      d.varOff = tnumOr(d.varOff, s.varOff);
      or32(d, s); or64(d, s);
      break;
    case "xor":
      d.varOff = tnumXor(d.varOff, s.varOff);
      xor32(d, s); xor64(d, s);
      break;
    case "lsh": if (is64) lsh64(d, s); else lsh32(d, s); break;
    case "rsh": if (is64) rsh64(d, s); else rsh32(d, s); break;
    case "arsh": if (is64) arsh64(d, s); else arsh32(d, s); break;
    default: {
      const swap = SWAPS[op]!;
      byteSwap(d, swap[0], swap[1]);
      regBoundsSync(d);
      return d;
    }
  }
  if (!is64) zext32To64(d);
  regBoundsSync(d);
  return d;
}

// ---- Conditional jumps ----

interface View { t: Tnum; umin: bigint; umax: bigint; smin: bigint; smax: bigint }

function view(s: Scalar, is32: boolean): View {
  return is32
    ? { t: tnumSubreg(s.varOff), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max }
    : { t: s.varOff, umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax };
}

/**
 * is_scalar_branch_taken: 1 when `a op b` holds for every pair of numbers the two may hold,
 * 0 when it holds for none, -1 when the verifier must explore both edges.
 */
export function branchTaken(op: JmpOp, a: Scalar, b: Scalar, is32: boolean): 1 | 0 | -1 {
  const x = view(a, is32), y = view(b, is32);
  switch (op) {
    case "jeq":
    case "jne": {
      const eq = op === "jeq" ? 1 : 0, ne = op === "jeq" ? 0 : 1;
      if (tnumIsConst(x.t) && tnumIsConst(y.t)) return x.t.value === y.t.value ? eq : ne;
      if (!tnumOverlap(x.t, y.t)) return ne;
      if (x.umin > y.umax || x.umax < y.umin) return ne;
      if (x.smin > y.smax || x.smax < y.smin) return ne;
      if (!is32) {
        // Inconclusive 64-bit ranges may still differ in their low halves.
        if (a.u32min > b.u32max || a.u32max < b.u32min) return ne;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return ne;
      }
      return -1;
    }
    case "jset": {
      let t1 = x.t, t2 = y.t;
      if (!isConstIn(b, is32)) {
        if (!isConstIn(a, is32)) return -1;
        [t1, t2] = [t2, t1];
      }
      if (~t1.mask & t1.value & t2.value) return 1;
      if (!((t1.mask | t1.value) & t2.value)) return 0;
      return -1;
    }
    case "jgt": return x.umin > y.umax ? 1 : x.umax <= y.umin ? 0 : -1;
    case "jsgt": return x.smin > y.smax ? 1 : x.smax <= y.smin ? 0 : -1;
    case "jlt": return x.umax < y.umin ? 1 : x.umin >= y.umax ? 0 : -1;
    case "jslt": return x.smax < y.smin ? 1 : x.smin >= y.smax ? 0 : -1;
    case "jge": return x.umin >= y.umax ? 1 : x.umax < y.umin ? 0 : -1;
    case "jsge": return x.smin >= y.smax ? 1 : x.smax < y.smin ? 0 : -1;
    case "jle": return x.umax <= y.umin ? 1 : x.umin > y.umax ? 0 : -1;
    case "jsle": return x.smax <= y.smin ? 1 : x.smin > y.smax ? 0 : -1;
  }
}

/** The refinement opcodes: the jumps and the negation of jset, which BPF lacks. */
type RefineOp = JmpOp | "jnset";

/** rev_opcode: the condition on the fall-through edge. */
const REVERSE: Record<JmpOp, RefineOp> = {
  jeq: "jne", jne: "jeq", jset: "jnset", jge: "jlt", jgt: "jle", jle: "jgt", jlt: "jge",
  jsge: "jslt", jsgt: "jsle", jsle: "jsgt", jslt: "jsge",
};

/** flip_opcode for the operators regs_refine_cond_op turns around. */
const FLIP: Partial<Record<RefineOp, RefineOp>> = { jge: "jle", jgt: "jlt", jsge: "jsle", jsgt: "jslt" };

const isPow2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

/** regs_refine_cond_op: what `r1 op r2` being true teaches about both. */
function refineCondOp(r1: Reg, r2: Reg, op: RefineOp, is32: boolean): void {
  const flipped = FLIP[op];
  if (flipped) {
    [r1, r2] = [r2, r1];
    op = flipped;
  }
  switch (op) {
    case "jeq":
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max;
        r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax;
        r2.smin = r1.smin; r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case "jne": {
      if (!isConstIn(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstIn(r2, is32)) break;
      // A constant at an edge of the other's range moves that edge by one.
      const val = constIn(r2, is32);
      if (is32) {
        if (r1.u32min === u32(val)) r1.u32min = u32(r1.u32min + 1n);
        if (r1.u32max === u32(val)) r1.u32max = u32(r1.u32max - 1n);
        if (r1.s32min === s32(val)) r1.s32min = s32(r1.s32min + 1n);
        if (r1.s32max === s32(val)) r1.s32max = s32(r1.s32max - 1n);
      } else {
        if (r1.umin === val) r1.umin = u64(r1.umin + 1n);
        if (r1.umax === val) r1.umax = u64(r1.umax - 1n);
        if (r1.smin === s64(val)) r1.smin = s64(r1.smin + 1n);
        if (r1.smax === s64(val)) r1.smax = s64(r1.smax - 1n);
      }
      break;
    }
    case "jset": {
      if (!isConstIn(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstIn(r2, is32)) break;
      // Only a single bit tells which bit is set.
      const val = constIn(r2, is32);
      if (!isPow2(val)) break;
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case "jnset": {
      if (!isConstIn(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstIn(r2, is32)) break;
      const val = constIn(r2, is32);
      // The ranges go before the tnum narrows, so a dead edge cannot break the invariants.
      unbound64(r1);
      unbound32(r1);
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(u64(~val))));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(u64(~val)));
      break;
    }
    case "jle":
      if (is32) {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      } else {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      }
      break;
    case "jlt":
      if (is32) {
        r1.u32max = min(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = max(u32(r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = min(r1.umax, u64(r2.umax - 1n));
        r2.umin = max(u64(r1.umin + 1n), r2.umin);
      }
      break;
    case "jsle":
      if (is32) {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      } else {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      }
      break;
    case "jslt":
      if (is32) {
        r1.s32max = min(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = max(s32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = min(r1.smax, s64(r2.smax - 1n));
        r2.smin = max(s64(r1.smin + 1n), r2.smin);
      }
      break;
  }
}

/**
 * What the edge of `if a op b` taken (or, with `taken` false, the fall-through) teaches
 * about both operands, as reg_set_min_max computes it: [a, b] refined and synchronised, or
 * undefined when no number satisfies the bounds (the edge is dead; the kernel 6.18 reports
 * a "REG INVARIANTS VIOLATION" there and goes on with the bounds dropped). For a jump on
 * an immediate, `b` is scalarConst of it, sign-extended.
 */
export function refineBranch(op: JmpOp, a: Scalar, b: Scalar, is32: boolean, taken: boolean): readonly [Scalar, Scalar] | undefined {
  const r1 = copy(a), r2 = copy(b);
  refineCondOp(r1, r2, taken ? op : REVERSE[op], is32);
  if (emptyRange(r1) || emptyRange(r2)) return undefined;
  regBoundsSync(r1);
  regBoundsSync(r2);
  if (!scalarConsistent(r1) || !scalarConsistent(r2)) return undefined;
  return [r1, r2];
}

/**
 * reg_set_min_max exactly as the kernel 6.18 runs it without BPF_F_TEST_REG_INVARIANTS: an
 * operand whose bounds became inconsistent loses its bounds (__mark_reg_unbounded) but
 * keeps its tnum. This is what the kernel's log shows on a dead edge.
 */
export function refineBranchLikeKernel(op: JmpOp, a: Scalar, b: Scalar, is32: boolean, taken: boolean): readonly [Scalar, Scalar] {
  const r1 = copy(a), r2 = copy(b);
  refineCondOp(r1, r2, taken ? op : REVERSE[op], is32);
  regBoundsSync(r1);
  regBoundsSync(r2);
  for (const r of [r1, r2]) {
    if (!scalarConsistent(r)) {
      unbound64(r);
      unbound32(r);
    }
  }
  return [r1, r2];
}

/**
 * A comparison of a register with itself (`if r1 s> r1`): kernel 6.18 predicts it from the
 * bounds like any other (branchTaken(op, a, a)) and refines the one register as both
 * operands at once, which this mirrors; undefined when the edge is dead.
 */
export function refineBranchSelf(op: JmpOp, a: Scalar, is32: boolean, taken: boolean): Scalar | undefined {
  const r = copy(a);
  refineCondOp(r, r, taken ? op : REVERSE[op], is32);
  if (emptyRange(r)) return undefined;
  regBoundsSync(r);
  regBoundsSync(r);
  return scalarConsistent(r) ? r : undefined;
}

/** refineBranchSelf with the kernel's handling of a dead edge (see refineBranchLikeKernel). */
export function refineBranchSelfLikeKernel(op: JmpOp, a: Scalar, is32: boolean, taken: boolean): Scalar {
  const r = copy(a);
  refineCondOp(r, r, taken ? op : REVERSE[op], is32);
  regBoundsSync(r);
  regBoundsSync(r);
  if (!scalarConsistent(r)) {
    unbound64(r);
    unbound32(r);
  }
  return r;
}

// ---- The log ----

/** verbose_snum: decimal within [-32768, 32767], else hex of the 64-bit pattern. */
function snum(v: bigint): string {
  return v >= -32768n && v <= 32767n ? v.toString() : hex(u64(v));
}

/** verbose_unum: decimal up to U16_MAX. */
function unum(v: bigint): string {
  return v <= 65535n ? v.toString() : hex(v);
}

export interface FormatOptions {
  /** The register's id, linking copies (printed `id=N` first). */
  readonly id?: number;
  /** A constant delta from the linked register (BPF_ADD_CONST), printed `id=N+D`. */
  readonly offset?: number;
  /** Marked precise by backtracking: a leading `P`. */
  readonly precise?: boolean;
}

/**
 * A scalar register's value as kernel 6.18's print_verifier_state prints it: `-3`, `0x1000`,
 * `scalar()`, `scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.
 * The walker adds `R1=`.
 */
export function formatScalar(s: Scalar, opts: FormatOptions = {}): string {
  const p = opts.precise ? "P" : "";
  if (tnumIsConst(s.varOff)) return p + snum(s64(s.varOff.value));
  const parts: string[] = [];
  if (opts.id) parts.push(`id=${opts.id}${opts.offset ? (opts.offset > 0 ? `+${opts.offset}` : `${opts.offset}`) : ""}`);
  // The 32-bit signed bounds are compared sign-extended when printed in decimal, as u32
  // when in hex, so that -2 and 0xfffffffe are never merged.
  const sv = (x: bigint): bigint => (x >= -32768n && x <= 32767n ? u64(x) : u32(x));
  const m: { name: string; val: bigint; omit: boolean; signed: boolean }[] = [
    { name: "smin", val: u64(s.smin), omit: s.smin === S64_MIN, signed: true },
    { name: "smax", val: u64(s.smax), omit: s.smax === S64_MAX, signed: true },
    { name: "umin", val: s.umin, omit: s.umin === 0n, signed: false },
    { name: "umax", val: s.umax, omit: s.umax === U64_MAX, signed: false },
    { name: "smin32", val: sv(s.s32min), omit: s.s32min === S32_MIN, signed: true },
    { name: "smax32", val: sv(s.s32max), omit: s.s32max === S32_MAX, signed: true },
    { name: "umin32", val: s.u32min, omit: s.u32min === 0n, signed: false },
    { name: "umax32", val: s.u32max, omit: s.u32max === U32_MAX, signed: false },
  ];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!;
    if (a.omit) continue;
    const neg = a.signed && s64(a.val) < 0n;
    let text = `${a.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j]!;
      if (b.omit || b.val !== a.val) continue;
      if ((b.signed && s64(b.val) < 0n) !== neg) continue;
      b.omit = true;
      text += `${b.name}=`;
    }
    parts.push(text + (a.signed ? snum(s64(a.val)) : unum(a.val)));
  }
  if (!tnumIsUnknown(s.varOff)) parts.push(`var_off=${tnumStr(s.varOff)}`);
  return `${p}scalar(${parts.join(",")})`;
}
