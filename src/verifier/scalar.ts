/**
 * @fileoverview The verifier's scalar domain, as kernel 6.18's verifier.c keeps it: a tnum
 * with signed and unsigned 64- and 32-bit bounds, the ALU transfer functions, branch
 * prediction and refinement, and the log's printed form of a scalar register.
 *
 * The interface speaks BigInt; inside, every 64-bit quantity is a pair of uint32 numbers,
 * so that no operation allocates a BigInt (multiplication's overflow test excepted).
 * testing/scalar-reference.ts is the same domain in plain BigInt, and the two are
 * compared on random operands; both are compared with the kernel's own log.
 */

import { hex, U64_MAX, type Tnum } from "./tnum.js";

/**
 * A scalar register's value: every number it may hold lies in all of these at once. The
 * values this module makes are immutable objects whose fields are computed on reading: pass
 * them around as they are (`{ ...s }` would copy none of the fields); build one from parts
 * with scalarOf.
 */
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

const M32 = 0xffffffff;
const TWO32 = 4294967296;
const SIGN = 0x80000000;

// ---- 64-bit pairs: (high, low) uint32 numbers. Results land in RH, RL. ----

let RH = 0, RL = 0;

const ltu = (ah: number, al: number, bh: number, bl: number): boolean => ah < bh || (ah === bh && al < bl);
const lts = (ah: number, al: number, bh: number, bl: number): boolean => (ah | 0) < (bh | 0) || (ah === bh && al < bl);
const eq = (ah: number, al: number, bh: number, bl: number): boolean => ah === bh && al === bl;

/** RH:RL = a + b; returns whether it carried out of bit 63. */
function add(ah: number, al: number, bh: number, bl: number): boolean {
  let l = al + bl, c = 0;
  if (l >= TWO32) { l -= TWO32; c = 1; }
  let h = ah + bh + c;
  const out = h >= TWO32;
  if (out) h -= TWO32;
  RH = h; RL = l;
  return out;
}

/** RH:RL = a - b; returns whether it borrowed. */
function sub(ah: number, al: number, bh: number, bl: number): boolean {
  let l = al - bl, b = 0;
  if (l < 0) { l += TWO32; b = 1; }
  let h = ah - bh - b;
  const out = h < 0;
  if (out) h += TWO32;
  RH = h; RL = l;
  return out;
}

/** RH:RL = a + b; returns whether the signed sum overflowed. */
function addS(ah: number, al: number, bh: number, bl: number): boolean {
  add(ah, al, bh, bl);
  return (ah & SIGN) === (bh & SIGN) && (RH & SIGN) !== (ah & SIGN);
}

/** RH:RL = a - b; returns whether the signed difference overflowed. */
function subS(ah: number, al: number, bh: number, bl: number): boolean {
  sub(ah, al, bh, bl);
  return (ah & SIGN) !== (bh & SIGN) && (RH & SIGN) !== (ah & SIGN);
}

function shl(h: number, l: number, n: number): void {
  if (n === 0) { RH = h; RL = l; } else if (n < 32) { RH = ((h << n) | (l >>> (32 - n))) >>> 0; RL = (l << n) >>> 0; } else { RH = n < 64 ? (l << (n - 32)) >>> 0 : 0; RL = 0; }
}

function shr(h: number, l: number, n: number): void {
  if (n === 0) { RH = h; RL = l; } else if (n < 32) { RL = ((l >>> n) | (h << (32 - n))) >>> 0; RH = h >>> n; } else { RL = n < 64 ? h >>> (n - 32) : 0; RH = 0; }
}

function sar(h: number, l: number, n: number): void {
  if (n === 0) { RH = h; RL = l; } else if (n < 32) { RL = ((l >>> n) | (h << (32 - n))) >>> 0; RH = (h >> n) >>> 0; } else { RL = ((h | 0) >> Math.min(n - 32, 31)) >>> 0; RH = (h >> 31) >>> 0; }
}

const clz64 = (h: number, l: number): number => (h !== 0 ? Math.clz32(h) : 32 + Math.clz32(l));
/** fls64: the 1-based position of the highest set bit, 0 for 0. */
const fls = (h: number, l: number): number => 64 - clz64(h, l);

const big = (h: number, l: number): bigint => (BigInt(h) << 32n) | BigInt(l);
const bigS = (h: number, l: number): bigint => BigInt.asIntN(64, big(h, l));

// ---- The scalar itself ----

/**
 * A Scalar whose 64-bit fields are pairs of uint32 halves and whose 32-bit ones are plain
 * numbers (i32 signed, w32 unsigned); the BigInt fields of the interface are computed on
 * reading. Never mutated once it leaves this module.
 */
class Sc implements Scalar {
  // The uint32 halves are kept as int32 (`| 0`) and read back unsigned: V8 keeps int32 fields
  // as small integers, while one value at or above 2^31 would turn every field of the class
  // into a boxed heap number, allocated again with every scalar made (after one program with
  // such values, the next verified twice as slowly). Every value stored must lie in [0, 2^32).
  private _vh = 0; private _vl = 0; private _mh = -1; private _ml = -1;
  private _sminH = SIGN | 0; private _sminL = 0; private _smaxH = 0x7fffffff; private _smaxL = -1;
  private _uminH = 0; private _uminL = 0; private _umaxH = -1; private _umaxL = -1;
  private _w32min = 0; private _w32max = -1;
  private _i32min = SIGN | 0; private _i32max = 0x7fffffff;
  get i32min(): number { return this._i32min; }
  set i32min(v: number) { this._i32min = v | 0; }
  get i32max(): number { return this._i32max; }
  set i32max(v: number) { this._i32max = v | 0; }
  get vh(): number { return this._vh >>> 0; }
  set vh(v: number) { this._vh = v | 0; }
  get vl(): number { return this._vl >>> 0; }
  set vl(v: number) { this._vl = v | 0; }
  get mh(): number { return this._mh >>> 0; }
  set mh(v: number) { this._mh = v | 0; }
  get ml(): number { return this._ml >>> 0; }
  set ml(v: number) { this._ml = v | 0; }
  get sminH(): number { return this._sminH >>> 0; }
  set sminH(v: number) { this._sminH = v | 0; }
  get sminL(): number { return this._sminL >>> 0; }
  set sminL(v: number) { this._sminL = v | 0; }
  get smaxH(): number { return this._smaxH >>> 0; }
  set smaxH(v: number) { this._smaxH = v | 0; }
  get smaxL(): number { return this._smaxL >>> 0; }
  set smaxL(v: number) { this._smaxL = v | 0; }
  get uminH(): number { return this._uminH >>> 0; }
  set uminH(v: number) { this._uminH = v | 0; }
  get uminL(): number { return this._uminL >>> 0; }
  set uminL(v: number) { this._uminL = v | 0; }
  get umaxH(): number { return this._umaxH >>> 0; }
  set umaxH(v: number) { this._umaxH = v | 0; }
  get umaxL(): number { return this._umaxL >>> 0; }
  set umaxL(v: number) { this._umaxL = v | 0; }
  get w32min(): number { return this._w32min >>> 0; }
  set w32min(v: number) { this._w32min = v | 0; }
  get w32max(): number { return this._w32max >>> 0; }
  set w32max(v: number) { this._w32max = v | 0; }

  get varOff(): Tnum { return { value: big(this.vh, this.vl), mask: big(this.mh, this.ml) }; }
  get smin(): bigint { return bigS(this.sminH, this.sminL); }
  get smax(): bigint { return bigS(this.smaxH, this.smaxL); }
  get umin(): bigint { return big(this.uminH, this.uminL); }
  get umax(): bigint { return big(this.umaxH, this.umaxL); }
  get s32min(): bigint { return BigInt(this.i32min); }
  get s32max(): bigint { return BigInt(this.i32max); }
  get u32min(): bigint { return BigInt(this.w32min); }
  get u32max(): bigint { return BigInt(this.w32max); }
  toJSON(): Record<string, string> {
    return {
      varOff: `(${hex(big(this.vh, this.vl))}; ${hex(big(this.mh, this.ml))})`, smin: String(this.smin), smax: String(this.smax),
      umin: String(this.umin), umax: String(this.umax), s32min: String(this.i32min), s32max: String(this.i32max),
      u32min: String(this.w32min), u32max: String(this.w32max),
    };
  }
}

const view = (r: Sc): Scalar => r;

function clone(r: Sc): Sc {
  const c = new Sc();
  c.vh = r.vh; c.vl = r.vl; c.mh = r.mh; c.ml = r.ml;
  c.sminH = r.sminH; c.sminL = r.sminL; c.smaxH = r.smaxH; c.smaxL = r.smaxL;
  c.uminH = r.uminH; c.uminL = r.uminL; c.umaxH = r.umaxH; c.umaxL = r.umaxL;
  c.i32min = r.i32min; c.i32max = r.i32max; c.w32min = r.w32min; c.w32max = r.w32max;
  return c;
}

const hi = (x: bigint): number => Number(BigInt.asUintN(64, x) >> 32n);
const lo = (x: bigint): number => Number(BigInt.asUintN(32, x));

/** The working copy of any Scalar, ours or one built by hand. */
function reg(s: Scalar): Sc {
  if (s instanceof Sc) return clone(s);
  const r = new Sc();
  r.vh = hi(s.varOff.value); r.vl = lo(s.varOff.value); r.mh = hi(s.varOff.mask); r.ml = lo(s.varOff.mask);
  r.sminH = hi(s.smin); r.sminL = lo(s.smin); r.smaxH = hi(s.smax); r.smaxL = lo(s.smax);
  r.uminH = hi(s.umin); r.uminL = lo(s.umin); r.umaxH = hi(s.umax); r.umaxL = lo(s.umax);
  r.i32min = Number(BigInt.asIntN(32, s.s32min)); r.i32max = Number(BigInt.asIntN(32, s.s32max));
  r.w32min = Number(BigInt.asUintN(32, s.u32min)); r.w32max = Number(BigInt.asUintN(32, s.u32max));
  return r;
}

/** Read-only access without copying, for queries. */
const peek = (s: Scalar): Sc => (s instanceof Sc ? s : reg(s));

// ---- Marking (the __mark_reg_* family) ----

/** __mark_reg_known */
function markKnown(r: Sc, h: number, l: number): void {
  r.vh = h; r.vl = l; r.mh = 0; r.ml = 0;
  r.sminH = r.smaxH = r.uminH = r.umaxH = h;
  r.sminL = r.smaxL = r.uminL = r.umaxL = l;
  r.i32min = r.i32max = l | 0;
  r.w32min = r.w32max = l;
}

/** __mark_reg32_known: tnum_const_subreg and the 32-bit bounds. */
function markKnown32(r: Sc, l: number): void {
  r.mh = (r.mh & ~r.vh) >>> 0;
  r.vl = l; r.ml = 0;
  r.i32min = r.i32max = l | 0;
  r.w32min = r.w32max = l;
}

/** __mark_reg64_unbounded */
function unbound64(r: Sc): void {
  r.sminH = SIGN; r.sminL = 0; r.smaxH = 0x7fffffff; r.smaxL = M32;
  r.uminH = 0; r.uminL = 0; r.umaxH = M32; r.umaxL = M32;
}

/** __mark_reg32_unbounded */
function unbound32(r: Sc): void {
  r.i32min = -SIGN; r.i32max = 0x7fffffff; r.w32min = 0; r.w32max = M32;
}

const UNKNOWN_SC = new Sc();
const UNKNOWN: Scalar = view(UNKNOWN_SC);

/** A known 64-bit number (taken modulo 2^64). */
export function scalarConst(v: bigint): Scalar {
  const r = new Sc();
  markKnown(r, hi(v), lo(v));
  return view(r);
}

/** A scalar about which nothing is known. */
export function scalarUnknown(): Scalar {
  return UNKNOWN;
}

/** The numbers in [umin, umax], unsigned, with the bounds that follow from that. */
export function scalarRange(umin: bigint, umax: bigint): Scalar {
  const r = new Sc();
  r.uminH = hi(umin); r.uminL = lo(umin); r.umaxH = hi(umax); r.umaxL = lo(umax);
  tnumRangeInto(r.uminH, r.uminL, r.umaxH, r.umaxL);
  r.vh = TV_H; r.vl = TV_L; r.mh = TM_H; r.ml = TM_L;
  regBoundsSync(r);
  return view(r);
}

/** The numbers in [smin, smax], signed, with the bounds that follow from that. */
export function scalarSignedRange(smin: bigint, smax: bigint): Scalar {
  const r = new Sc();
  r.sminH = hi(smin); r.sminL = lo(smin); r.smaxH = hi(smax); r.smaxL = lo(smax);
  regBoundsSync(r);
  return view(r);
}

/**
 * An unknown value then bounded in both its 64-bit and its 32-bit signed halves, as
 * do_refine_retval_range bounds a helper's result ([-MAX_ERRNO, size] for bpf_get_stack).
 */
export function scalarSignedRange64And32(smin: number, smax: number): Scalar {
  const r = new Sc();
  r.sminH = hi(BigInt(smin)); r.sminL = lo(BigInt(smin)); r.smaxH = hi(BigInt(smax)); r.smaxL = lo(BigInt(smax));
  r.i32min = smin; r.i32max = smax;
  regBoundsSync(r);
  return view(r);
}

/** A scalar from its parts, bounds checked by nothing: for tests and the walker's spills. */
export function scalarOf(parts: Scalar): Scalar {
  return view(reg(parts));
}

/**
 * A value loaded from memory the verifier knows nothing about (a context field, a map
 * value): unknown, then narrowed to the load's size, as mark_reg_unknown followed by
 * coerce_reg_to_size or coerce_reg_to_size_sx.
 */
export function scalarLoad(size: 1 | 2 | 4 | 8, signed: boolean): Scalar {
  if (size === 8) return UNKNOWN;
  const r = new Sc();
  if (signed) coerceRegToSizeSx(r, size);
  else coerceRegToSize(r, size);
  return view(r);
}

// ---- Queries ----

/** tnum_is_const of the whole register: one number only. */
export function isConst(s: Scalar): boolean {
  const r = peek(s);
  return r.mh === 0 && r.ml === 0;
}

/** The number a constant scalar holds, unsigned; undefined when it is not constant. */
export function constValue(s: Scalar): bigint | undefined {
  const r = peek(s);
  return r.mh === 0 && r.ml === 0 ? big(r.vh, r.vl) : undefined;
}

/** is_reg_const: constant in the 64-bit or in the 32-bit view. */
export function isConstIn(s: Scalar, is32: boolean): boolean {
  const r = peek(s);
  return is32 ? r.ml === 0 : r.mh === 0 && r.ml === 0;
}

const constant = (r: Sc): boolean => r.mh === 0 && r.ml === 0;

/** A constant's signed 64-bit value as a number when it lies within ±2^31, else undefined (no BigInt made). */
export function constSmall(s: Scalar): number | undefined {
  const r = peek(s);
  if (r.mh !== 0 || r.ml !== 0) return undefined;
  if (r.vh === 0 && r.vl <= 0x7fffffff) return r.vl;
  if (r.vh === M32 && r.vl >= SIGN) return r.vl - TWO32;
  return undefined;
}

/** Whether every value lies within 32 bits unsigned (umax <= U32_MAX). */
export function fitsU32(s: Scalar): boolean {
  return peek(s).umaxH === 0;
}

/**
 * The constant result of an operation on two constants, for the operations the kernel
 * folds exactly (add, sub, the bitwise ones, shifts in range); undefined for the others.
 * Works on the halves: no BigInt.
 */
export function foldConst(op: AluOp, a: Scalar, b: Scalar, is64: boolean): Scalar | undefined {
  const x = peek(a), y = peek(b);
  let h: number, l: number;
  if (is64) {
    const n = y.vh === 0 && y.vl < 64 ? y.vl : 64;
    switch (op) {
      case "add": add(x.vh, x.vl, y.vh, y.vl); h = RH; l = RL; break;
      case "sub": sub(x.vh, x.vl, y.vh, y.vl); h = RH; l = RL; break;
      case "or": h = (x.vh | y.vh) >>> 0; l = (x.vl | y.vl) >>> 0; break;
      case "and": h = (x.vh & y.vh) >>> 0; l = (x.vl & y.vl) >>> 0; break;
      case "xor": h = (x.vh ^ y.vh) >>> 0; l = (x.vl ^ y.vl) >>> 0; break;
      case "lsh": if (n >= 64) return undefined; shl(x.vh, x.vl, n); h = RH; l = RL; break;
      case "rsh": if (n >= 64) return undefined; shr(x.vh, x.vl, n); h = RH; l = RL; break;
      case "arsh": if (n >= 64) return undefined; sar(x.vh, x.vl, n); h = RH; l = RL; break;
      default: return undefined;
    }
  } else {
    const u = x.vl, v = y.vl;
    h = 0;
    switch (op) {
      case "add": l = (u + v) >>> 0; break;
      case "sub": l = (u - v) >>> 0; break;
      case "or": l = (u | v) >>> 0; break;
      case "and": l = (u & v) >>> 0; break;
      case "xor": l = (u ^ v) >>> 0; break;
      case "lsh": if (v >= 32) return undefined; l = (u << v) >>> 0; break;
      case "rsh": if (v >= 32) return undefined; l = u >>> v; break;
      case "arsh": if (v >= 32) return undefined; l = ((u | 0) >> v) >>> 0; break;
      default: return undefined;
    }
  }
  const r = new Sc();
  markKnown(r, h, l);
  return view(r);
}

/** Whether every field equals: the kernel compares scalars this way where ids do not matter. */
export function scalarEqual(x: Scalar, y: Scalar): boolean {
  const a = peek(x), b = peek(y);
  return a.vh === b.vh && a.vl === b.vl && a.mh === b.mh && a.ml === b.ml && a.sminH === b.sminH && a.sminL === b.sminL &&
    a.smaxH === b.smaxH && a.smaxL === b.smaxL && a.uminH === b.uminH && a.uminL === b.uminL && a.umaxH === b.umaxH &&
    a.umaxL === b.umaxL && a.i32min === b.i32min && a.i32max === b.i32max && a.w32min === b.w32min && a.w32max === b.w32max;
}

/**
 * range_within and tnum_in as regsafe uses them for scalars: every number `cur` may hold,
 * `old` may hold too, so a state explored with `old` covers `cur`.
 */
export function scalarWithin(o: Scalar, c: Scalar): boolean {
  const a = peek(o), b = peek(c);
  if (ltu(b.uminH, b.uminL, a.uminH, a.uminL) || ltu(a.umaxH, a.umaxL, b.umaxH, b.umaxL)) return false;
  if (lts(b.sminH, b.sminL, a.sminH, a.sminL) || lts(a.smaxH, a.smaxL, b.smaxH, b.smaxL)) return false;
  if (b.w32min < a.w32min || b.w32max > a.w32max || b.i32min < a.i32min || b.i32max > a.i32max) return false;
  // tnum_in(old, cur)
  if ((b.mh & ~a.mh) !== 0 || (b.ml & ~a.ml) !== 0) return false;
  return ((b.vh & ~a.mh) >>> 0) === a.vh && ((b.vl & ~a.ml) >>> 0) === a.vl;
}

/** reg_bounds_sanity_check's test: whether the bounds and the tnum can all hold one number. */
export function scalarConsistent(s: Scalar): boolean {
  return consistent(peek(s));
}

function emptyRange(r: Sc): boolean {
  return ltu(r.umaxH, r.umaxL, r.uminH, r.uminL) || lts(r.smaxH, r.smaxL, r.sminH, r.sminL) || r.w32min > r.w32max || r.i32min > r.i32max;
}

function consistent(r: Sc): boolean {
  if (ltu(r.umaxH, r.umaxL, r.uminH, r.uminL) || lts(r.smaxH, r.smaxL, r.sminH, r.sminL)) return false;
  if (r.w32min > r.w32max || r.i32min > r.i32max) return false;
  if (constant(r)) {
    if (!eq(r.uminH, r.uminL, r.vh, r.vl) || !eq(r.umaxH, r.umaxL, r.vh, r.vl)) return false;
    if (!eq(r.sminH, r.sminL, r.vh, r.vl) || !eq(r.smaxH, r.smaxL, r.vh, r.vl)) return false;
  }
  if (r.ml === 0) {
    if (r.w32min !== r.vl || r.w32max !== r.vl || r.i32min !== (r.vl | 0) || r.i32max !== (r.vl | 0)) return false;
  }
  return true;
}

// ---- tnum operations on pairs; results land in TV_H:TV_L (value), TM_H:TM_L (mask) ----

let TV_H = 0, TV_L = 0, TM_H = 0, TM_L = 0;

/** tnum_range */
function tnumRangeInto(minH: number, minL: number, maxH: number, maxL: number): void {
  const bits = fls((minH ^ maxH) >>> 0, (minL ^ maxL) >>> 0);
  if (bits > 63) { TV_H = 0; TV_L = 0; TM_H = M32; TM_L = M32; return; }
  const dH = bits > 32 ? (bits === 64 ? M32 : (2 ** (bits - 32) - 1)) : 0;
  const dL = bits >= 32 ? M32 : 2 ** bits - 1;
  TV_H = (minH & ~dH) >>> 0; TV_L = (minL & ~dL) >>> 0; TM_H = dH; TM_L = dL;
}

/** tnum_add */
function tnumAddInto(avh: number, avl: number, amh: number, aml: number, bvh: number, bvl: number, bmh: number, bml: number): void {
  add(amh, aml, bmh, bml);
  const smH = RH, smL = RL;
  add(avh, avl, bvh, bvl);
  const svH = RH, svL = RL;
  add(smH, smL, svH, svL);
  const muH = ((RH ^ svH) | amh | bmh) >>> 0, muL = ((RL ^ svL) | aml | bml) >>> 0;
  TV_H = (svH & ~muH) >>> 0; TV_L = (svL & ~muL) >>> 0; TM_H = muH; TM_L = muL;
}

/** tnum_sub */
function tnumSubInto(avh: number, avl: number, amh: number, aml: number, bvh: number, bvl: number, bmh: number, bml: number): void {
  sub(avh, avl, bvh, bvl);
  const dvH = RH, dvL = RL;
  add(dvH, dvL, amh, aml);
  const alH = RH, alL = RL;
  sub(dvH, dvL, bmh, bml);
  const muH = ((alH ^ RH) | amh | bmh) >>> 0, muL = ((alL ^ RL) | aml | bml) >>> 0;
  TV_H = (dvH & ~muH) >>> 0; TV_L = (dvL & ~muL) >>> 0; TM_H = muH; TM_L = muL;
}

/** tnum_mul (the kernel's since 6.18: long multiplication, a union where a bit of a is unknown). */
function tnumMulInto(avh: number, avl: number, amh: number, aml: number, bvh: number, bvl: number, bmh: number, bml: number): void {
  let cvh = 0, cvl = 0, cmh = 0, cml = 0;
  while ((avh | avl | amh | aml) !== 0) {
    if (avl & 1) {
      tnumAddInto(cvh, cvl, cmh, cml, bvh, bvl, bmh, bml);
      cvh = TV_H; cvl = TV_L; cmh = TM_H; cml = TM_L;
    } else if (aml & 1) {
      tnumAddInto(cvh, cvl, cmh, cml, bvh, bvl, bmh, bml);
      // tnum_union(acc, acc + b)
      const muH = ((cvh ^ TV_H) | cmh | TM_H) >>> 0, muL = ((cvl ^ TV_L) | cml | TM_L) >>> 0;
      cvh = (cvh & TV_H & ~muH) >>> 0; cvl = (cvl & TV_L & ~muL) >>> 0; cmh = muH; cml = muL;
    }
    // An accumulator with no known bit stays so (tnum_add and tnum_union keep unknown bits unknown).
    if (cmh === M32 && cml === M32) break;
    avl = ((avl >>> 1) | (avh << 31)) >>> 0; avh = avh >>> 1;
    aml = ((aml >>> 1) | (amh << 31)) >>> 0; amh = amh >>> 1;
    bvh = ((bvh << 1) | (bvl >>> 31)) >>> 0; bvl = (bvl << 1) >>> 0;
    bmh = ((bmh << 1) | (bml >>> 31)) >>> 0; bml = (bml << 1) >>> 0;
  }
  TV_H = cvh; TV_L = cvl; TM_H = cmh; TM_L = cml;
}

/** tnum_step: the smallest member of the tnum above z (see tnum.ts). Result in RH:RL. */
function tnumStepInto(vh: number, vl: number, mh: number, ml: number, zh: number, zl: number): void {
  const th = (vh | mh) >>> 0, tl = (vl | ml) >>> 0;
  if (!ltu(zh, zl, th, tl)) { RH = th; RL = tl; return; }
  if (ltu(zh, zl, vh, vl)) { RH = vh; RL = vl; return; }
  sub(zh, zl, vh, vl);
  const dh = RH, dl = RL;
  const k = fls((dh & ~mh) >>> 0, (dl & ~ml) >>> 0);
  const ch = k > 32 ? (k === 64 ? M32 : 2 ** (k - 32) - 1) : 0, cl = k >= 32 ? M32 : 2 ** k - 1;
  const fh = (dh | ch | ~mh) >>> 0, fl = (dl | cl | ~ml) >>> 0;
  add(fh, fl, 0, 1);
  RH = (vh | (RH & mh)) >>> 0; RL = (vl | (RL & ml)) >>> 0;
}

function swab16(x: number): number { return ((x & 0xff) << 8) | ((x >>> 8) & 0xff); }
function swab32(x: number): number { return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0; }

// ---- Bounds synchronisation (reg_bounds_sync and what it calls) ----

/** __update_reg32_bounds: bounds the known bits of the low half imply. */
function updateReg32Bounds(r: Sc): void {
  const v = r.vl, m = r.ml;
  r.i32min = Math.max(r.i32min, (v | (m & SIGN)) | 0);
  r.i32max = Math.min(r.i32max, (v | (m & 0x7fffffff)) | 0);
  r.w32min = Math.max(r.w32min, v);
  r.w32max = Math.min(r.w32max, (v | m) >>> 0);
}

/** __update_reg64_bounds, with the single-value check of the u64 range against the tnum. */
function updateReg64Bounds(r: Sc): void {
  const vh = r.vh, vl = r.vl, mh = r.mh, ml = r.ml;
  let h = (vh | (mh & SIGN)) >>> 0, l = vl;
  if (lts(r.sminH, r.sminL, h, l)) { r.sminH = h; r.sminL = l; }
  h = (vh | (mh & 0x7fffffff)) >>> 0; l = (vl | ml) >>> 0;
  if (lts(h, l, r.smaxH, r.smaxL)) { r.smaxH = h; r.smaxL = l; }
  if (ltu(r.uminH, r.uminL, vh, vl)) { r.uminH = vh; r.uminL = vl; }
  const th = (vh | mh) >>> 0, tl = (vl | ml) >>> 0;
  if (ltu(th, tl, r.umaxH, r.umaxL)) { r.umaxH = th; r.umaxL = tl; }
  // Where the u64 range and the tnum share a single number, that is the value.
  tnumStepInto(vh, vl, mh, ml, r.uminH, r.uminL);
  const nh = RH, nl = RL;
  const uminIn = ((r.uminH & ~mh) >>> 0) === vh && ((r.uminL & ~ml) >>> 0) === vl;
  if (uminIn && ltu(r.umaxH, r.umaxL, nh, nl)) markKnown(r, r.uminH, r.uminL);
  else if (!uminIn && nh === th && nl === tl) markKnown(r, th, tl);
  else if (!uminIn && !ltu(r.umaxH, r.umaxL, nh, nl)) {
    tnumStepInto(vh, vl, mh, ml, nh, nl);
    if (ltu(r.umaxH, r.umaxL, RH, RL)) markKnown(r, nh, nl);
  }
}

/** __update_reg_bounds */
function updateRegBounds(r: Sc): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds: the low half's bounds from the 64-bit ones, then signed against unsigned. */
function reg32DeduceBounds(r: Sc): void {
  // Where the upper 32 bits stay the same across the 64-bit range, the lower ones form a range.
  if (r.uminH === r.umaxH) {
    r.w32min = Math.max(r.w32min, r.uminL);
    r.w32max = Math.min(r.w32max, r.umaxL);
    if ((r.uminL | 0) <= (r.umaxL | 0)) {
      r.i32min = Math.max(r.i32min, r.uminL | 0);
      r.i32max = Math.min(r.i32max, r.umaxL | 0);
    }
  }
  if (r.sminH === r.smaxH) {
    if (r.sminL <= r.smaxL) {
      r.w32min = Math.max(r.w32min, r.sminL);
      r.w32max = Math.min(r.w32max, r.smaxL);
    }
    if ((r.sminL | 0) <= (r.smaxL | 0)) {
      r.i32min = Math.max(r.i32min, r.sminL | 0);
      r.i32max = Math.min(r.i32max, r.smaxL | 0);
    }
  }
  // Upper halves that are two consecutive numbers, with a low half going from negative to positive.
  if (((r.uminH + 1) >>> 0) === r.umaxH && (r.uminL | 0) < 0 && (r.umaxL | 0) >= 0) {
    r.i32min = Math.max(r.i32min, r.uminL | 0);
    r.i32max = Math.min(r.i32max, r.umaxL | 0);
  }
  if (((r.sminH + 1) >>> 0) === r.smaxH && (r.sminL | 0) < 0 && (r.smaxL | 0) >= 0) {
    r.i32min = Math.max(r.i32min, r.sminL | 0);
    r.i32max = Math.min(r.i32max, r.smaxL | 0);
  }
  // A u32 range that does not cross the sign bit is an s32 range too, and the other way round.
  if ((r.w32min | 0) <= (r.w32max | 0)) {
    r.i32min = Math.max(r.i32min, r.w32min | 0);
    r.i32max = Math.min(r.i32max, r.w32max | 0);
  }
  const smin = r.i32min >>> 0, smax = r.i32max >>> 0;
  if (smin <= smax) {
    r.w32min = Math.max(r.w32min, smin);
    r.w32max = Math.min(r.w32max, smax);
  } else if (r.w32max < smin) {
    // The s32 range wraps around the u32 domain's ends; the u32 range meets only its
    // non-negative part...
    r.i32min = r.w32min | 0;
    r.w32max = Math.min(r.w32max, smax);
  } else if (smax < r.w32min) {
    // ...or only its negative part.
    r.i32max = r.w32max | 0;
    r.w32min = Math.max(r.w32min, smin);
  }
}

/** __reg64_deduce_bounds: signed against unsigned 64-bit bounds. */
function reg64DeduceBounds(r: Sc): void {
  if (!lts(r.umaxH, r.umaxL, r.uminH, r.uminL)) {
    if (lts(r.sminH, r.sminL, r.uminH, r.uminL)) { r.sminH = r.uminH; r.sminL = r.uminL; }
    if (lts(r.umaxH, r.umaxL, r.smaxH, r.smaxL)) { r.smaxH = r.umaxH; r.smaxL = r.umaxL; }
  }
  if (!ltu(r.smaxH, r.smaxL, r.sminH, r.sminL)) {
    if (ltu(r.uminH, r.uminL, r.sminH, r.sminL)) { r.uminH = r.sminH; r.uminL = r.sminL; }
    if (ltu(r.smaxH, r.smaxL, r.umaxH, r.umaxL)) { r.umaxH = r.smaxH; r.umaxL = r.smaxL; }
  } else if (ltu(r.umaxH, r.umaxL, r.sminH, r.sminL)) {
    // The s64 range wraps around the u64 domain's ends and the u64 range meets only its
    // positive part...
    r.sminH = r.uminH; r.sminL = r.uminL;
    if (ltu(r.smaxH, r.smaxL, r.umaxH, r.umaxL)) { r.umaxH = r.smaxH; r.umaxL = r.smaxL; }
  } else if (ltu(r.smaxH, r.smaxL, r.uminH, r.uminL)) {
    // ...or only its negative part.
    r.smaxH = r.umaxH; r.smaxL = r.umaxL;
    if (ltu(r.uminH, r.uminL, r.sminH, r.sminL)) { r.uminH = r.sminH; r.uminL = r.sminL; }
  }
}

/** __reg_deduce_mixed_bounds: 64-bit bounds tightened with the 32-bit ones. */
function regDeduceMixedBounds(r: Sc): void {
  if (ltu(r.uminH, r.uminL, r.uminH, r.w32min)) r.uminL = r.w32min;
  if (ltu(r.umaxH, r.w32max, r.umaxH, r.umaxL)) r.umaxL = r.w32max;
  if (lts(r.sminH, r.sminL, r.sminH, r.w32min)) r.sminL = r.w32min;
  if (lts(r.smaxH, r.w32max, r.smaxH, r.smaxL)) r.smaxL = r.w32max;
  // After a sign-extending load: a non-negative low half within [S32_MIN, S32_MAX] means
  // the upper bits cannot be all ones.
  if (r.i32min >= 0 && !lts(r.sminH, r.sminL, M32, SIGN) && !lts(0, 0x7fffffff, r.smaxH, r.smaxL)) {
    // (s32max may be negative on a dead path: the kernel sign-extends it.)
    const maxH = r.i32max < 0 ? M32 : 0, maxL = r.i32max >>> 0;
    r.sminH = 0; r.sminL = r.i32min; r.smaxH = maxH; r.smaxL = maxL;
    r.uminH = 0; r.uminL = r.i32min; r.umaxH = maxH; r.umaxL = maxL;
    tnumRangeInto(0, r.i32min, maxH, maxL);
    intersectVarOff(r, TV_H, TV_L, TM_H, TM_L);
  }
}

/** var_off = tnum_intersect(var_off, t) */
function intersectVarOff(r: Sc, vh: number, vl: number, mh: number, ml: number): void {
  const muH = (r.mh & mh) >>> 0, muL = (r.ml & ml) >>> 0;
  r.vh = ((r.vh | vh) & ~muH) >>> 0; r.vl = ((r.vl | vl) & ~muL) >>> 0; r.mh = muH; r.ml = muL;
}

/** __reg_deduce_bounds */
function regDeduceBounds(r: Sc): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: known bits from the unsigned bounds. */
function regBoundOffset(r: Sc): void {
  tnumRangeInto(r.uminH, r.uminL, r.umaxH, r.umaxL);
  intersectVarOff(r, TV_H, TV_L, TM_H, TM_L);
  tnumRangeInto(0, r.w32min, 0, r.w32max);
  // var32 = intersect(subreg(var64), range32); var_off = clear_subreg(var64) | var32
  const muL = (r.ml & TM_L) >>> 0;
  const vL = ((r.vl | TV_L) & ~muL) >>> 0;
  r.vl = vL;
  r.ml = (muL & ~vL) >>> 0;
  r.mh = (r.mh & ~r.vh) >>> 0;
}

/** reg_bounds_sync: every view of the register made to agree with every other. */
function regBoundsSync(r: Sc): void {
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

/** reg_bounds_sync for a scalar built or edited outside this module. */
export function scalarSync(s: Scalar): Scalar {
  const r = reg(s);
  regBoundsSync(r);
  return view(r);
}

// ---- Width changes ----

/** zext_32_to_64 (with __reg_assign_32_into_64): what a 32-bit operation leaves in the whole register. */
function zext32To64(r: Sc): void {
  r.vh = 0; r.mh = 0;
  r.uminH = 0; r.uminL = r.w32min; r.umaxH = 0; r.umaxL = r.w32max;
  if (r.i32min >= 0 && r.i32max >= 0) {
    r.sminH = 0; r.sminL = r.i32min; r.smaxH = 0; r.smaxL = r.i32max;
  } else {
    r.sminH = 0; r.sminL = 0; r.smaxH = 0; r.smaxL = M32;
  }
}

/** coerce_reg_to_size: the low `size` bytes, zero-extended. */
function coerceRegToSize(r: Sc, size: number): void {
  // mask of the low size bytes, as a pair
  const mH = size >= 8 ? M32 : size > 4 ? 2 ** ((size - 4) * 8) - 1 : 0;
  const mL = size >= 4 ? M32 : 2 ** (size * 8) - 1;
  r.vh = (r.vh & mH) >>> 0; r.vl = (r.vl & mL) >>> 0; r.mh = (r.mh & mH) >>> 0; r.ml = (r.ml & mL) >>> 0;
  if (((r.uminH & ~mH) >>> 0) === ((r.umaxH & ~mH) >>> 0) && ((r.uminL & ~mL) >>> 0) === ((r.umaxL & ~mL) >>> 0)) {
    r.uminH = (r.uminH & mH) >>> 0; r.uminL = (r.uminL & mL) >>> 0;
    r.umaxH = (r.umaxH & mH) >>> 0; r.umaxL = (r.umaxL & mL) >>> 0;
  } else {
    r.uminH = 0; r.uminL = 0; r.umaxH = mH; r.umaxL = mL;
  }
  r.sminH = r.uminH; r.sminL = r.uminL; r.smaxH = r.umaxH; r.smaxL = r.umaxL;
  if (size < 4) unbound32(r);
  regBoundsSync(r);
}

/** Sign-extension of the low `size` bytes of a pair into RH:RL. */
function sextInto(h: number, l: number, size: number): void {
  if (size === 4) { RL = l; RH = (l & SIGN) ? M32 : 0; return; }
  const bits = size * 8;
  const v = (l << (32 - bits)) >> (32 - bits);
  RL = v >>> 0; RH = v < 0 ? M32 : 0;
}

/** set_sext64_default_val */
function sext64Default(r: Sc, size: number): void {
  const lim = 2 ** (size * 8 - 1);
  r.i32min = -lim; r.i32max = lim - 1;
  r.sminH = M32; r.sminL = (-lim) >>> 0; r.smaxH = 0; r.smaxL = lim - 1;
  r.uminH = 0; r.uminL = 0; r.w32min = 0;
  r.umaxH = M32; r.umaxL = M32; r.w32max = M32;
  r.vh = 0; r.vl = 0; r.mh = M32; r.ml = M32;
}

/**
 * What kernel 6.18 leaves when the 64-bit bounds say nothing: if the low half's signed
 * range fits the narrow type, sign extension keeps the low half as it is, so the 32-bit
 * bounds stay and the 64-bit ones are theirs extended (the tnum is rebuilt from the bounds);
 * otherwise the whole range of the narrow type.
 */
function sext64Fallback(r: Sc, size: number): void {
  const lim = 2 ** (size * 8 - 1);
  if (r.i32min < -lim || r.i32max >= lim) return sext64Default(r, size);
  r.sminH = r.i32min < 0 ? M32 : 0; r.sminL = r.i32min >>> 0;
  r.smaxH = r.i32max < 0 ? M32 : 0; r.smaxL = r.i32max >>> 0;
  r.uminH = 0; r.uminL = 0; r.umaxH = M32; r.umaxL = M32;
  r.vh = 0; r.vl = 0; r.mh = M32; r.ml = M32;
  regBoundsSync(r);
}

/** coerce_reg_to_size_sx: the low `size` bytes, sign-extended to 64 bits. */
function coerceRegToSizeSx(r: Sc, size: number): void {
  if (constant(r)) {
    sextInto(r.vh, r.vl, size);
    markKnown(r, RH, RL);
    return;
  }
  const bits = size * 8;
  // The bits above the narrow type, of smax and smin, must agree.
  shr(r.smaxH, r.smaxL, bits);
  const th = RH, tl = RL;
  shr(r.sminH, r.sminL, bits);
  if (th !== RH || tl !== RL) return sext64Fallback(r, size);
  sextInto(r.smaxH, r.smaxL, size);
  const aH = RH, aL = RL;
  sextInto(r.sminH, r.sminL, size);
  const bH = RH, bL = RL;
  const [hiH, hiL, loH, loL] = lts(aH, aL, bH, bL) ? [bH, bL, aH, aL] : [aH, aL, bH, bL];
  if (((hiH & SIGN) === 0) === ((loH & SIGN) === 0)) {
    r.sminH = loH; r.sminL = loL; r.i32min = loL | 0;
    r.smaxH = hiH; r.smaxL = hiL; r.i32max = hiL | 0;
    r.uminH = loH; r.uminL = loL; r.w32min = loL;
    r.umaxH = hiH; r.umaxL = hiL; r.w32max = hiL;
    tnumRangeInto(loH, loL, hiH, hiL);
    r.vh = TV_H; r.vl = TV_L; r.mh = TM_H; r.ml = TM_L;
    return;
  }
  sext64Fallback(r, size);
}

/** coerce_subreg_to_size_sx: the low `size` bytes sign-extended to 32 bits. */
function coerceSubregToSizeSx(r: Sc, size: number): void {
  const bits = size * 8;
  if (constant(r)) {
    sextInto(r.vh, r.vl, size);
    r.vh = RH; r.vl = RL; r.mh = 0; r.ml = 0;
    r.i32min = r.i32max = RL | 0;
    r.w32min = r.w32max = RL;
    return;
  }
  const lim = 2 ** (bits - 1);
  if ((r.i32max >>> 0) >>> bits !== (r.i32min >>> 0) >>> bits) return sext32Default(r, lim);
  const a = (r.i32max << (32 - bits)) >> (32 - bits), b = (r.i32min << (32 - bits)) >> (32 - bits);
  const hiV = Math.max(a, b), loV = Math.min(a, b);
  if ((loV >= 0) === (hiV >= 0)) {
    r.i32min = loV; r.i32max = hiV;
    r.w32min = loV >>> 0; r.w32max = hiV >>> 0;
    tnumRangeInto(loV < 0 ? M32 : 0, loV >>> 0, hiV < 0 ? M32 : 0, hiV >>> 0);
    r.vh = 0; r.vl = TV_L; r.mh = 0; r.ml = TM_L;
    return;
  }
  sext32Default(r, lim);
}

/** set_sext32_default_val */
function sext32Default(r: Sc, lim: number): void {
  r.i32min = -lim; r.i32max = lim - 1;
  r.w32min = 0; r.w32max = M32;
  r.vh = 0; r.vl = 0; r.mh = 0; r.ml = M32;
}

/** The low 32 bits, zero-extended: a 32-bit move of the register onto itself. */
export function scalarTruncate32(s: Scalar): Scalar {
  const r = reg(s);
  zext32To64(r);
  regBoundsSync(r);
  return view(r);
}

/** The low `size` bytes zero-extended (coerce_reg_to_size), as a narrow load or store sees them. */
export function scalarZext(s: Scalar, size: 1 | 2 | 4 | 8): Scalar {
  if (size === 8) return s;
  const r = reg(s);
  coerceRegToSize(r, size);
  return view(r);
}

/** The low `size` bytes sign-extended (coerce_reg_to_size_sx), as a sign-extending load sees them. */
export function scalarSext(s: Scalar, size: 1 | 2 | 4): Scalar {
  const r = reg(s);
  coerceRegToSizeSx(r, size);
  return view(r);
}

// ---- ALU transfer functions (the scalar_min_max_* family) ----

const S32MIN = -SIGN, S32MAX = 0x7fffffff;
const fitsS32 = (x: number): boolean => x >= S32MIN && x <= S32MAX;

/** scalar32_min_max_add */
function add32(d: Sc, s: Sc): void {
  const smin = d.i32min + s.i32min, smax = d.i32max + s.i32max;
  if (!fitsS32(smin) || !fitsS32(smax)) { d.i32min = S32MIN; d.i32max = S32MAX; } else { d.i32min = smin; d.i32max = smax; }
  const umin = d.w32min + s.w32min, umax = d.w32max + s.w32max;
  // When all the sums wrap or none does, the wrapped bounds still bound them.
  if (umin <= M32 && umax > M32) { d.w32min = 0; d.w32max = M32; } else { d.w32min = umin >>> 0; d.w32max = umax >>> 0; }
}

/** scalar_min_max_add */
function add64(d: Sc, s: Sc): void {
  const o1 = addS(d.sminH, d.sminL, s.sminH, s.sminL);
  const minH = RH, minL = RL;
  const o2 = addS(d.smaxH, d.smaxL, s.smaxH, s.smaxL);
  if (o1 || o2) { d.sminH = SIGN; d.sminL = 0; d.smaxH = 0x7fffffff; d.smaxL = M32; } else { d.sminH = minH; d.sminL = minL; d.smaxH = RH; d.smaxL = RL; }
  const minOv = add(d.uminH, d.uminL, s.uminH, s.uminL);
  const uminH = RH, uminL = RL;
  const maxOv = add(d.umaxH, d.umaxL, s.umaxH, s.umaxL);
  if (!minOv && maxOv) { d.uminH = 0; d.uminL = 0; d.umaxH = M32; d.umaxL = M32; } else { d.uminH = uminH; d.uminL = uminL; d.umaxH = RH; d.umaxL = RL; }
}

/** scalar32_min_max_sub */
function sub32(d: Sc, s: Sc): void {
  const smin = d.i32min - s.i32max, smax = d.i32max - s.i32min;
  if (!fitsS32(smin) || !fitsS32(smax)) { d.i32min = S32MIN; d.i32max = S32MAX; } else { d.i32min = smin; d.i32max = smax; }
  const umin = d.w32min - s.w32max, umax = d.w32max - s.w32min;
  if (umin < 0 && umax >= 0) { d.w32min = 0; d.w32max = M32; } else { d.w32min = umin >>> 0; d.w32max = umax >>> 0; }
}

/** scalar_min_max_sub */
function sub64(d: Sc, s: Sc): void {
  const o1 = subS(d.sminH, d.sminL, s.smaxH, s.smaxL);
  const minH = RH, minL = RL;
  const o2 = subS(d.smaxH, d.smaxL, s.sminH, s.sminL);
  if (o1 || o2) { d.sminH = SIGN; d.sminL = 0; d.smaxH = 0x7fffffff; d.smaxL = M32; } else { d.sminH = minH; d.sminL = minL; d.smaxH = RH; d.smaxL = RL; }
  const minUn = sub(d.uminH, d.uminL, s.umaxH, s.umaxL);
  const uminH = RH, uminL = RL;
  const maxUn = sub(d.umaxH, d.umaxL, s.uminH, s.uminL);
  if (minUn && !maxUn) { d.uminH = 0; d.uminL = 0; d.umaxH = M32; d.umaxL = M32; } else { d.uminH = uminH; d.uminL = uminL; d.umaxH = RH; d.umaxL = RL; }
}

/** scalar32_min_max_mul: the unsigned product of the ends, the signed extremes of four products. */
function mul32(d: Sc, s: Sc): void {
  // Products of 32-bit numbers are exact as BigInt; as doubles only below 2^53, so test with that.
  const umax = d.w32max * s.w32max, umin = d.w32min * s.w32min;
  if (umax > M32 || umin > M32) { d.w32min = 0; d.w32max = M32; } else { d.w32min = umin; d.w32max = umax; }
  const p0 = d.i32min * s.i32min, p1 = d.i32min * s.i32max, p2 = d.i32max * s.i32min, p3 = d.i32max * s.i32max;
  // Each |product| is below 2^62; a double rounds it but never across the s32 limits.
  if (!fitsS32(p0) || !fitsS32(p1) || !fitsS32(p2) || !fitsS32(p3)) {
    d.i32min = S32MIN; d.i32max = S32MAX;
  } else {
    d.i32min = Math.min(p0, p1, p2, p3);
    d.i32max = Math.max(p0, p1, p2, p3);
  }
}

const SMALL = 2 ** 26;
/** A pair holding a number in (-2^26, 2^26) as a double, else NaN. */
const small = (h: number, l: number): number => (h === 0 && l < SMALL ? l : h === M32 && l > TWO32 - SMALL ? l - TWO32 : NaN);

/**
 * scalar_min_max_mul. Small operands multiply exactly as doubles; the rest go through
 * BigInt, whose 128-bit products the overflow tests need.
 */
function mul64(d: Sc, s: Sc): void {
  const a = small(d.sminH, d.sminL), b = small(d.smaxH, d.smaxL), x = small(s.sminH, s.sminL), y = small(s.smaxH, s.smaxL);
  const p = small(d.uminH, d.uminL), q = small(d.umaxH, d.umaxL), u = small(s.uminH, s.uminL), v = small(s.umaxH, s.umaxL);
  // All below 2^26 in magnitude, unsigned ones non-negative: no product overflows 2^52.
  if (a === a && b === b && x === x && y === y && p >= 0 && q >= 0 && u >= 0 && v >= 0) {
    // Exact products below 2^52, split into halves (the fields hold 32 bits only).
    const lo1 = p * u, hi1 = q * v;
    d.uminH = Math.floor(lo1 / TWO32); d.uminL = lo1 % TWO32;
    d.umaxH = Math.floor(hi1 / TWO32); d.umaxL = hi1 % TWO32;
    const p0 = a * x, p1 = a * y, p2 = b * x, p3 = b * y;
    const mn = Math.min(p0, p1, p2, p3), mx = Math.max(p0, p1, p2, p3);
    d.sminH = mn < 0 ? Math.floor(mn / TWO32) >>> 0 : Math.floor(mn / TWO32); d.sminL = ((mn % TWO32) + TWO32) % TWO32;
    d.smaxH = mx < 0 ? Math.floor(mx / TWO32) >>> 0 : Math.floor(mx / TWO32); d.smaxL = ((mx % TWO32) + TWO32) % TWO32;
    return;
  }
  mul64Big(d, s);
}

/** scalar_min_max_mul in BigInt. */
function mul64Big(d: Sc, s: Sc): void {
  const umax = big(d.umaxH, d.umaxL) * big(s.umaxH, s.umaxL);
  const umin = big(d.uminH, d.uminL) * big(s.uminH, s.uminL);
  if (umax > U64_MAX || umin > U64_MAX) {
    d.uminH = 0; d.uminL = 0; d.umaxH = M32; d.umaxL = M32;
  } else {
    d.uminH = hi(umin); d.uminL = lo(umin); d.umaxH = hi(umax); d.umaxL = lo(umax);
  }
  const a = bigS(d.sminH, d.sminL), b = bigS(d.smaxH, d.smaxL), x = bigS(s.sminH, s.sminL), y = bigS(s.smaxH, s.smaxL);
  const p = [a * x, a * y, b * x, b * y];
  if (p.some((v) => v < S64_MIN || v > S64_MAX)) {
    d.sminH = SIGN; d.sminL = 0; d.smaxH = 0x7fffffff; d.smaxL = M32;
  } else {
    let mn = p[0]!, mx = p[0]!;
    for (const v of p) { if (v < mn) mn = v; if (v > mx) mx = v; }
    d.sminH = hi(mn); d.sminL = lo(mn); d.smaxH = hi(mx); d.smaxL = lo(mx);
  }
}

/** The s32 bounds of a u32 range, when it does not cross the sign bit. */
function s32FromU32(d: Sc): void {
  if ((d.w32min | 0) <= (d.w32max | 0)) { d.i32min = d.w32min | 0; d.i32max = d.w32max | 0; } else { d.i32min = S32MIN; d.i32max = S32MAX; }
}

/** The s64 bounds of a u64 range, when it does not cross the sign bit. */
function s64FromU64(d: Sc): void {
  if (!lts(d.umaxH, d.umaxL, d.uminH, d.uminL)) {
    d.sminH = d.uminH; d.sminL = d.uminL; d.smaxH = d.umaxH; d.smaxL = d.umaxL;
  } else {
    d.sminH = SIGN; d.sminL = 0; d.smaxH = 0x7fffffff; d.smaxL = M32;
  }
}

// The bitwise operations run after var_off holds the result: the minimum (and, resp., the
// maximum) comes from the known bits, the other end from the operands' bounds.

/** scalar32_min_max_and */
function and32(d: Sc, s: Sc): void {
  if (s.ml === 0 && d.ml === 0) return markKnown32(d, d.vl);
  d.w32min = d.vl;
  d.w32max = Math.min(d.w32max, s.w32max);
  s32FromU32(d);
}

/** scalar_min_max_and */
function and64(d: Sc, s: Sc): void {
  if (constant(s) && constant(d)) return markKnown(d, d.vh, d.vl);
  d.uminH = d.vh; d.uminL = d.vl;
  if (ltu(s.umaxH, s.umaxL, d.umaxH, d.umaxL)) { d.umaxH = s.umaxH; d.umaxL = s.umaxL; }
  s64FromU64(d);
  updateRegBounds(d);
}

/** scalar32_min_max_or */
function or32(d: Sc, s: Sc): void {
  if (s.ml === 0 && d.ml === 0) return markKnown32(d, d.vl);
  d.w32min = Math.max(d.w32min, s.w32min);
  d.w32max = (d.vl | d.ml) >>> 0;
  s32FromU32(d);
}

/** scalar_min_max_or */
function or64(d: Sc, s: Sc): void {
  if (constant(s) && constant(d)) return markKnown(d, d.vh, d.vl);
  if (ltu(d.uminH, d.uminL, s.uminH, s.uminL)) { d.uminH = s.uminH; d.uminL = s.uminL; }
  d.umaxH = (d.vh | d.mh) >>> 0; d.umaxL = (d.vl | d.ml) >>> 0;
  s64FromU64(d);
  updateRegBounds(d);
}

/** scalar32_min_max_xor */
function xor32(d: Sc, s: Sc): void {
  if (s.ml === 0 && d.ml === 0) return markKnown32(d, d.vl);
  d.w32min = d.vl;
  d.w32max = (d.vl | d.ml) >>> 0;
  s32FromU32(d);
}

/** scalar_min_max_xor */
function xor64(d: Sc, s: Sc): void {
  if (constant(s) && constant(d)) return markKnown(d, d.vh, d.vl);
  d.uminH = d.vh; d.uminL = d.vl;
  d.umaxH = (d.vh | d.mh) >>> 0; d.umaxL = (d.vl | d.ml) >>> 0;
  s64FromU64(d);
  updateRegBounds(d);
}

/** __scalar32_min_max_lsh */
function lsh32Bounds(d: Sc, umin: number, umax: number): void {
  d.i32min = S32MIN; d.i32max = S32MAX;
  // A shift that may push the top bit out tells nothing.
  if (umax > 31 || d.w32max > 2 ** (31 - umax)) {
    d.w32min = 0; d.w32max = M32;
  } else {
    d.w32min = (d.w32min << umin) >>> 0;
    d.w32max = (d.w32max << umax) >>> 0;
  }
}

/** scalar32_min_max_lsh */
function lsh32(d: Sc, s: Sc): void {
  const n = s.w32min;
  lsh32Bounds(d, s.w32min, s.w32max);
  d.vh = 0; d.mh = 0;
  d.vl = n < 32 ? (d.vl << n) >>> 0 : 0; d.ml = n < 32 ? (d.ml << n) >>> 0 : 0;
  unbound64(d);
  updateReg32Bounds(d);
}

/** __scalar64_min_max_lsh */
function lsh64Bounds(d: Sc, umin: number, umax: number): void {
  // x << 32 s>> 32 sign-extends a subregister: the s32 range survives << 32 as an s64 one.
  if (umin === 32 && umax === 32) {
    d.smaxH = d.i32max >>> 0; d.smaxL = 0;
    d.sminH = d.i32min >>> 0; d.sminL = 0;
  } else {
    d.smaxH = 0x7fffffff; d.smaxL = M32; d.sminH = SIGN; d.sminL = 0;
  }
  shl(0, 1, 63 - umax);
  if (ltu(RH, RL, d.umaxH, d.umaxL)) {
    d.uminH = 0; d.uminL = 0; d.umaxH = M32; d.umaxL = M32;
  } else {
    shl(d.uminH, d.uminL, umin); d.uminH = RH; d.uminL = RL;
    shl(d.umaxH, d.umaxL, umax); d.umaxH = RH; d.umaxL = RL;
  }
}

/** scalar_min_max_lsh */
function lsh64(d: Sc, s: Sc): void {
  const umin = s.uminL, umax = s.umaxL; // both below 64 here
  // The 64-bit bounds use the unshifted 32-bit ones, so they go first.
  lsh64Bounds(d, umin, umax);
  lsh32Bounds(d, umin, umax);
  shl(d.vh, d.vl, umin); d.vh = RH; d.vl = RL;
  shl(d.mh, d.ml, umin); d.mh = RH; d.ml = RL;
  updateRegBounds(d);
}

/** scalar32_min_max_rsh */
function rsh32(d: Sc, s: Sc): void {
  const umin = s.w32min, umax = s.w32max;
  d.i32min = S32MIN; d.i32max = S32MAX;
  d.vh = 0; d.mh = 0;
  d.vl = d.vl >>> umin; d.ml = d.ml >>> umin;
  d.w32min = umax > 31 ? 0 : d.w32min >>> umax;
  d.w32max = d.w32max >>> umin;
  unbound64(d);
  updateReg32Bounds(d);
}

/** scalar_min_max_rsh */
function rsh64(d: Sc, s: Sc): void {
  const umin = s.uminL, umax = s.umaxL;
  d.sminH = SIGN; d.sminL = 0; d.smaxH = 0x7fffffff; d.smaxL = M32;
  shr(d.vh, d.vl, umin); d.vh = RH; d.vl = RL;
  shr(d.mh, d.ml, umin); d.mh = RH; d.ml = RL;
  shr(d.uminH, d.uminL, umax); d.uminH = RH; d.uminL = RL;
  shr(d.umaxH, d.umaxL, umin); d.umaxH = RH; d.umaxL = RL;
  unbound32(d);
  updateRegBounds(d);
}

/** scalar32_min_max_arsh: the shift is a known constant here. */
function arsh32(d: Sc, s: Sc): void {
  const n = s.w32min;
  d.i32min = d.i32min >> n;
  d.i32max = d.i32max >> n;
  d.vh = 0; d.mh = 0;
  d.vl = (d.vl >> n) >>> 0; d.ml = (d.ml >> n) >>> 0;
  d.w32min = 0; d.w32max = M32;
  unbound64(d);
  updateReg32Bounds(d);
}

/** scalar_min_max_arsh */
function arsh64(d: Sc, s: Sc): void {
  const n = s.uminL;
  sar(d.sminH, d.sminL, n); d.sminH = RH; d.sminL = RL;
  sar(d.smaxH, d.smaxL, n); d.smaxH = RH; d.smaxL = RL;
  sar(d.vh, d.vl, n); d.vh = RH; d.vl = RL;
  sar(d.mh, d.ml, n); d.mh = RH; d.ml = RL;
  d.uminH = 0; d.uminL = 0; d.umaxH = M32; d.umaxL = M32;
  unbound32(d);
  updateRegBounds(d);
}

/**
 * scalar_byte_swap, on a little-endian host: be* and bswap* swap the bytes (and the range
 * is rebuilt from the swapped tnum), le* only truncate; 16 and 32 bits truncate.
 */
function byteSwap(d: Sc, bits: 16 | 32 | 64, swap: boolean): void {
  if (swap) {
    if (bits === 16) { d.vh = 0; d.mh = 0; d.vl = swab16(d.vl & 0xffff); d.ml = swab16(d.ml & 0xffff); }
    else if (bits === 32) { d.vh = 0; d.mh = 0; d.vl = swab32(d.vl); d.ml = swab32(d.ml); }
    else { const vh = d.vh, mh = d.mh; d.vh = swab32(d.vl); d.vl = swab32(vh); d.mh = swab32(d.ml); d.ml = swab32(mh); }
    unbound64(d);
    unbound32(d);
  }
  if (bits !== 64) coerceRegToSize(d, bits / 8);
}

/**
 * is_safe_to_compute_dst_reg_range: shifts need a known amount below the width; division
 * and modulo are not tracked by 6.18 at all.
 */
function safeToCompute(op: AluOp, s: Sc, is64: boolean): boolean {
  switch (op) {
    case "lsh": case "rsh": case "arsh": {
      const known = is64
        ? constant(s) && eq(s.sminH, s.sminL, s.smaxH, s.smaxL) && eq(s.uminH, s.uminL, s.umaxH, s.umaxL)
        : s.ml === 0 && s.i32min === s.i32max && s.w32min === s.w32max;
      return known && s.umaxH === 0 && s.umaxL < (is64 ? 64 : 32);
    }
    case "div": case "sdiv": case "mod": case "smod": return false;
    default: return true;
  }
}

const SWAPS: Partial<Record<AluOp, readonly [16 | 32 | 64, boolean]>> = {
  be16: [16, true], be32: [32, true], be64: [64, true],
  le16: [16, false], le32: [32, false], le64: [64, false],
  bswap16: [16, true], bswap32: [32, true], bswap64: [64, true],
};

/**
 * maybe_fork_scalars: before `dst &= K` or `dst |= K` (K a 64-bit constant) on a dst in
 * [-1, 0] (64-bit, else 32-bit signed), kernel 6.18 splits the state, since LLVM emits
 * `x s>>= 63; x &= K` for `x < 0 ? K : 0`. Returns [the dst to go on with, known -1; the dst
 * of the state to push, known 0, which runs the same instruction again], or undefined.
 */
export function scalarFork(op: AluOp, dst: Scalar, src: Scalar): readonly [Scalar, Scalar] | undefined {
  if ((op !== "and" && op !== "or") || !constant(peek(src))) return undefined;
  const d = peek(dst);
  const minus = clone(d), zero = clone(d);
  if (d.sminH === M32 && d.sminL === M32 && d.smaxH === 0 && d.smaxL === 0) {
    markKnown(minus, M32, M32);
    markKnown(zero, 0, 0);
  } else if (d.i32min === -1 && d.i32max === 0) {
    markKnown32(minus, M32);
    markKnown32(zero, 0);
  } else {
    return undefined;
  }
  return [view(minus), view(zero)];
}

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
      const r = reg(src);
      if (is64) {
        coerceRegToSizeSx(r, size);
      } else {
        coerceSubregToSizeSx(r, size);
        zext32To64(r);
        regBoundsSync(r);
      }
      return view(r);
    }
  }
  const s = peek(src);
  if (!safeToCompute(op, s, is64)) return UNKNOWN;
  const d = reg(dst);
  switch (op) {
    case "add":
      add32(d, s); add64(d, s);
      tnumAddInto(d.vh, d.vl, d.mh, d.ml, s.vh, s.vl, s.mh, s.ml);
      d.vh = TV_H; d.vl = TV_L; d.mh = TM_H; d.ml = TM_L;
      break;
    case "sub":
      sub32(d, s); sub64(d, s);
      tnumSubInto(d.vh, d.vl, d.mh, d.ml, s.vh, s.vl, s.mh, s.ml);
      d.vh = TV_H; d.vl = TV_L; d.mh = TM_H; d.ml = TM_L;
      break;
    case "neg": {
      const old = reg(dst);
      markKnown(d, 0, 0);
      sub32(d, old); sub64(d, old);
      tnumSubInto(0, 0, 0, 0, old.vh, old.vl, old.mh, old.ml);
      d.vh = TV_H; d.vl = TV_L; d.mh = TM_H; d.ml = TM_L;
      break;
    }
    case "mul":
      tnumMulInto(d.vh, d.vl, d.mh, d.ml, s.vh, s.vl, s.mh, s.ml);
      d.vh = TV_H; d.vl = TV_L; d.mh = TM_H; d.ml = TM_L;
      mul32(d, s); mul64(d, s);
      break;
    case "and": {
      const ah = (d.vh | d.mh) & (s.vh | s.mh), al = (d.vl | d.ml) & (s.vl | s.ml);
      d.vh = (d.vh & s.vh) >>> 0; d.vl = (d.vl & s.vl) >>> 0;
      d.mh = (ah & ~d.vh) >>> 0; d.ml = (al & ~d.vl) >>> 0;
      and32(d, s); and64(d, s);
      break;
    }
    case "or": {
      d.vh = (d.vh | s.vh) >>> 0; d.vl = (d.vl | s.vl) >>> 0;
      d.mh = ((d.mh | s.mh) & ~d.vh) >>> 0; d.ml = ((d.ml | s.ml) & ~d.vl) >>> 0;
      or32(d, s); or64(d, s);
      break;
    }
    case "xor": {
      const muH = (d.mh | s.mh) >>> 0, muL = (d.ml | s.ml) >>> 0;
      d.vh = ((d.vh ^ s.vh) & ~muH) >>> 0; d.vl = ((d.vl ^ s.vl) & ~muL) >>> 0;
      d.mh = muH; d.ml = muL;
      xor32(d, s); xor64(d, s);
      break;
    }
    case "lsh": if (is64) lsh64(d, s); else lsh32(d, s); break;
    case "rsh": if (is64) rsh64(d, s); else rsh32(d, s); break;
    case "arsh": if (is64) arsh64(d, s); else arsh32(d, s); break;
    default: {
      const swap = SWAPS[op]!;
      byteSwap(d, swap[0], swap[1]);
      regBoundsSync(d);
      return view(d);
    }
  }
  if (!is64) zext32To64(d);
  regBoundsSync(d);
  return view(d);
}

// ---- Conditional jumps ----

/**
 * is_scalar_branch_taken: 1 when `a op b` holds for every pair of numbers the two may hold,
 * 0 when it holds for none, -1 when the verifier must explore both edges. A register
 * compared with itself is predicted the same way, from its bounds (as 6.18 does).
 */
export function branchTaken(op: JmpOp, x: Scalar, y: Scalar, is32: boolean): 1 | 0 | -1 {
  const a = peek(x), b = peek(y);
  // The operands in the view the jump compares: [hi, lo] pairs; the 32-bit view has hi 0
  // (unsigned) or the sign (signed).
  let t1vh: number, t1vl: number, t1mh: number, t1ml: number, t2vh: number, t2vl: number, t2mh: number, t2ml: number;
  let umin1h: number, umin1l: number, umax1h: number, umax1l: number, umin2h: number, umin2l: number, umax2h: number, umax2l: number;
  let smin1h: number, smin1l: number, smax1h: number, smax1l: number, smin2h: number, smin2l: number, smax2h: number, smax2l: number;
  if (is32) {
    t1vh = t1mh = t2vh = t2mh = 0; t1vl = a.vl; t1ml = a.ml; t2vl = b.vl; t2ml = b.ml;
    umin1h = umax1h = umin2h = umax2h = 0; umin1l = a.w32min; umax1l = a.w32max; umin2l = b.w32min; umax2l = b.w32max;
    smin1h = a.i32min < 0 ? M32 : 0; smin1l = a.i32min >>> 0; smax1h = a.i32max < 0 ? M32 : 0; smax1l = a.i32max >>> 0;
    smin2h = b.i32min < 0 ? M32 : 0; smin2l = b.i32min >>> 0; smax2h = b.i32max < 0 ? M32 : 0; smax2l = b.i32max >>> 0;
  } else {
    t1vh = a.vh; t1vl = a.vl; t1mh = a.mh; t1ml = a.ml; t2vh = b.vh; t2vl = b.vl; t2mh = b.mh; t2ml = b.ml;
    umin1h = a.uminH; umin1l = a.uminL; umax1h = a.umaxH; umax1l = a.umaxL; umin2h = b.uminH; umin2l = b.uminL; umax2h = b.umaxH; umax2l = b.umaxL;
    smin1h = a.sminH; smin1l = a.sminL; smax1h = a.smaxH; smax1l = a.smaxL; smin2h = b.sminH; smin2l = b.sminL; smax2h = b.smaxH; smax2l = b.smaxL;
  }
  switch (op) {
    case "jeq":
    case "jne": {
      const eqv = op === "jeq" ? 1 : 0, nev = op === "jeq" ? 0 : 1;
      if ((t1mh | t1ml | t2mh | t2ml) === 0) return t1vh === t2vh && t1vl === t2vl ? eqv : nev;
      // tnum_overlap: the bits both know must agree
      const kh = ~t1mh & ~t2mh, kl = ~t1ml & ~t2ml;
      if ((t1vh & kh) !== (t2vh & kh) || (t1vl & kl) !== (t2vl & kl)) return nev;
      if (ltu(umax2h, umax2l, umin1h, umin1l) || ltu(umax1h, umax1l, umin2h, umin2l)) return nev;
      if (lts(smax2h, smax2l, smin1h, smin1l) || lts(smax1h, smax1l, smin2h, smin2l)) return nev;
      if (!is32) {
        // Inconclusive 64-bit ranges may still differ in their low halves.
        if (a.w32min > b.w32max || a.w32max < b.w32min) return nev;
        if (a.i32min > b.i32max || a.i32max < b.i32min) return nev;
      }
      return -1;
    }
    case "jset": {
      const bConst = is32 ? b.ml === 0 : constant(b);
      if (!bConst) {
        const aConst = is32 ? a.ml === 0 : constant(a);
        if (!aConst) return -1;
        [t1vh, t1vl, t1mh, t1ml, t2vh, t2vl, t2mh, t2ml] = [t2vh, t2vl, t2mh, t2ml, t1vh, t1vl, t1mh, t1ml];
      }
      if (((~t1mh & t1vh & t2vh) | (~t1ml & t1vl & t2vl)) !== 0) return 1;
      if ((((t1mh | t1vh) & t2vh) | ((t1ml | t1vl) & t2vl)) === 0) return 0;
      return -1;
    }
    case "jgt": return ltu(umax2h, umax2l, umin1h, umin1l) ? 1 : !ltu(umin2h, umin2l, umax1h, umax1l) ? 0 : -1;
    case "jsgt": return lts(smax2h, smax2l, smin1h, smin1l) ? 1 : !lts(smin2h, smin2l, smax1h, smax1l) ? 0 : -1;
    case "jlt": return ltu(umax1h, umax1l, umin2h, umin2l) ? 1 : !ltu(umin1h, umin1l, umax2h, umax2l) ? 0 : -1;
    case "jslt": return lts(smax1h, smax1l, smin2h, smin2l) ? 1 : !lts(smin1h, smin1l, smax2h, smax2l) ? 0 : -1;
    case "jge": return !ltu(umin1h, umin1l, umax2h, umax2l) ? 1 : ltu(umax1h, umax1l, umin2h, umin2l) ? 0 : -1;
    case "jsge": return !lts(smin1h, smin1l, smax2h, smax2l) ? 1 : lts(smax1h, smax1l, smin2h, smin2l) ? 0 : -1;
    case "jle": return !ltu(umin2h, umin2l, umax1h, umax1l) ? 1 : ltu(umax2h, umax2l, umin1h, umin1l) ? 0 : -1;
    case "jsle": return !lts(smin2h, smin2l, smax1h, smax1l) ? 1 : lts(smax2h, smax2l, smin1h, smin1l) ? 0 : -1;
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

const regConst = (r: Sc, is32: boolean): boolean => (is32 ? r.ml === 0 : constant(r));

/** regs_refine_cond_op: what `r1 op r2` being true teaches about both (r1 and r2 may be one register). */
function refineCondOp(r1: Sc, r2: Sc, op: RefineOp, is32: boolean): void {
  const flipped = FLIP[op];
  if (flipped) {
    [r1, r2] = [r2, r1];
    op = flipped;
  }
  switch (op) {
    case "jeq":
      if (is32) {
        r1.w32min = Math.max(r1.w32min, r2.w32min);
        r1.w32max = Math.min(r1.w32max, r2.w32max);
        r1.i32min = Math.max(r1.i32min, r2.i32min);
        r1.i32max = Math.min(r1.i32max, r2.i32max);
        r2.w32min = r1.w32min; r2.w32max = r1.w32max;
        r2.i32min = r1.i32min; r2.i32max = r1.i32max;
        // the low halves' tnums intersected, the high halves kept
        const muL = (r1.ml & r2.ml) >>> 0;
        const vL = ((r1.vl | r2.vl) & ~muL) >>> 0;
        r1.vl = vL; r1.ml = (muL & ~vL) >>> 0; r1.mh = (r1.mh & ~r1.vh) >>> 0;
        r2.vl = vL; r2.ml = (muL & ~vL) >>> 0; r2.mh = (r2.mh & ~r2.vh) >>> 0;
      } else {
        if (ltu(r1.uminH, r1.uminL, r2.uminH, r2.uminL)) { r1.uminH = r2.uminH; r1.uminL = r2.uminL; }
        if (ltu(r2.umaxH, r2.umaxL, r1.umaxH, r1.umaxL)) { r1.umaxH = r2.umaxH; r1.umaxL = r2.umaxL; }
        if (lts(r1.sminH, r1.sminL, r2.sminH, r2.sminL)) { r1.sminH = r2.sminH; r1.sminL = r2.sminL; }
        if (lts(r2.smaxH, r2.smaxL, r1.smaxH, r1.smaxL)) { r1.smaxH = r2.smaxH; r1.smaxL = r2.smaxL; }
        r2.uminH = r1.uminH; r2.uminL = r1.uminL; r2.umaxH = r1.umaxH; r2.umaxL = r1.umaxL;
        r2.sminH = r1.sminH; r2.sminL = r1.sminL; r2.smaxH = r1.smaxH; r2.smaxL = r1.smaxL;
        intersectVarOff(r1, r2.vh, r2.vl, r2.mh, r2.ml);
        r2.vh = r1.vh; r2.vl = r1.vl; r2.mh = r1.mh; r2.ml = r1.ml;
      }
      break;
    case "jne": {
      if (!regConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!regConst(r2, is32)) break;
      // A constant at an edge of the other's range moves that edge by one.
      const vh = is32 ? 0 : r2.vh, vl = r2.vl;
      if (is32) {
        if (r1.w32min === vl) r1.w32min = (r1.w32min + 1) >>> 0;
        if (r1.w32max === vl) r1.w32max = (r1.w32max - 1) >>> 0;
        if (r1.i32min === (vl | 0)) r1.i32min = (r1.i32min + 1) | 0;
        if (r1.i32max === (vl | 0)) r1.i32max = (r1.i32max - 1) | 0;
      } else {
        if (eq(r1.uminH, r1.uminL, vh, vl)) { add(r1.uminH, r1.uminL, 0, 1); r1.uminH = RH; r1.uminL = RL; }
        if (eq(r1.umaxH, r1.umaxL, vh, vl)) { sub(r1.umaxH, r1.umaxL, 0, 1); r1.umaxH = RH; r1.umaxL = RL; }
        if (eq(r1.sminH, r1.sminL, vh, vl)) { add(r1.sminH, r1.sminL, 0, 1); r1.sminH = RH; r1.sminL = RL; }
        if (eq(r1.smaxH, r1.smaxL, vh, vl)) { sub(r1.smaxH, r1.smaxL, 0, 1); r1.smaxH = RH; r1.smaxL = RL; }
      }
      break;
    }
    case "jset": {
      if (!regConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!regConst(r2, is32)) break;
      // Only a single bit tells which bit is set.
      const vh = is32 ? 0 : r2.vh, vl = r2.vl;
      const pow2 = (vh === 0 && vl !== 0 && (vl & (vl - 1)) === 0) || (vl === 0 && vh !== 0 && (vh & (vh - 1)) === 0);
      if (!pow2) break;
      if (is32) {
        r1.vl = (r1.vl | vl) >>> 0; r1.ml = (r1.ml & ~r1.vl) >>> 0; r1.mh = (r1.mh & ~r1.vh) >>> 0;
      } else {
        r1.vh = (r1.vh | vh) >>> 0; r1.vl = (r1.vl | vl) >>> 0;
        r1.mh = (r1.mh & ~r1.vh) >>> 0; r1.ml = (r1.ml & ~r1.vl) >>> 0;
      }
      break;
    }
    case "jnset": {
      if (!regConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!regConst(r2, is32)) break;
      const vh = is32 ? 0 : r2.vh, vl = r2.vl;
      // The ranges go before the tnum narrows, so a dead edge cannot break the invariants.
      unbound64(r1);
      unbound32(r1);
      if (is32) {
        // tnum_and(subreg, const(~val)): only the low half changes
        r1.vl = (r1.vl & ~vl) >>> 0; r1.ml = (r1.ml & ~vl) >>> 0; r1.mh = (r1.mh & ~r1.vh) >>> 0;
      } else {
        r1.vh = (r1.vh & ~vh) >>> 0; r1.vl = (r1.vl & ~vl) >>> 0; r1.mh = (r1.mh & ~vh) >>> 0; r1.ml = (r1.ml & ~vl) >>> 0;
      }
      break;
    }
    case "jle":
      if (is32) {
        r1.w32max = Math.min(r1.w32max, r2.w32max);
        r2.w32min = Math.max(r1.w32min, r2.w32min);
      } else {
        if (ltu(r2.umaxH, r2.umaxL, r1.umaxH, r1.umaxL)) { r1.umaxH = r2.umaxH; r1.umaxL = r2.umaxL; }
        if (ltu(r2.uminH, r2.uminL, r1.uminH, r1.uminL)) { r2.uminH = r1.uminH; r2.uminL = r1.uminL; }
      }
      break;
    case "jlt":
      if (is32) {
        r1.w32max = Math.min(r1.w32max, (r2.w32max - 1) >>> 0);
        r2.w32min = Math.max((r1.w32min + 1) >>> 0, r2.w32min);
      } else {
        sub(r2.umaxH, r2.umaxL, 0, 1);
        if (ltu(RH, RL, r1.umaxH, r1.umaxL)) { r1.umaxH = RH; r1.umaxL = RL; }
        add(r1.uminH, r1.uminL, 0, 1);
        if (ltu(r2.uminH, r2.uminL, RH, RL)) { r2.uminH = RH; r2.uminL = RL; }
      }
      break;
    case "jsle":
      if (is32) {
        r1.i32max = Math.min(r1.i32max, r2.i32max);
        r2.i32min = Math.max(r1.i32min, r2.i32min);
      } else {
        if (lts(r2.smaxH, r2.smaxL, r1.smaxH, r1.smaxL)) { r1.smaxH = r2.smaxH; r1.smaxL = r2.smaxL; }
        if (lts(r2.sminH, r2.sminL, r1.sminH, r1.sminL)) { r2.sminH = r1.sminH; r2.sminL = r1.sminL; }
      }
      break;
    case "jslt":
      if (is32) {
        r1.i32max = Math.min(r1.i32max, (r2.i32max - 1) | 0);
        r2.i32min = Math.max((r1.i32min + 1) | 0, r2.i32min);
      } else {
        sub(r2.smaxH, r2.smaxL, 0, 1);
        if (lts(RH, RL, r1.smaxH, r1.smaxL)) { r1.smaxH = RH; r1.smaxL = RL; }
        add(r1.sminH, r1.sminL, 0, 1);
        if (lts(r2.sminH, r2.sminL, RH, RL)) { r2.sminH = RH; r2.sminL = RL; }
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
  // A constant operand (a jump on an immediate, mostly) refined into itself stays as it is:
  // it is worked on in a scratch copy and handed back unchanged, with no copy and no sync.
  const bc = b instanceof Sc && constant(b) && consistent(b);
  const r1 = reg(a), r2 = bc ? copyInto(SCRATCH, b as Sc) : reg(b);
  refineCondOp(r1, r2, taken ? op : REVERSE[op], is32);
  // An empty range is a dead edge, even where the kernel's synchronisation would then
  // settle on a number; so is one the synchronisation finds inconsistent.
  if (emptyRange(r1) || emptyRange(r2)) return undefined;
  regBoundsSync(r1);
  if (!consistent(r1)) return undefined;
  if (bc && sameFields(r2, b as Sc)) return [view(r1), b];
  const c2 = bc ? clone(r2) : r2;
  regBoundsSync(c2);
  if (!consistent(c2)) return undefined;
  return [view(r1), view(c2)];
}

const SCRATCH = new Sc();

function copyInto(c: Sc, r: Sc): Sc {
  c.vh = r.vh; c.vl = r.vl; c.mh = r.mh; c.ml = r.ml;
  c.sminH = r.sminH; c.sminL = r.sminL; c.smaxH = r.smaxH; c.smaxL = r.smaxL;
  c.uminH = r.uminH; c.uminL = r.uminL; c.umaxH = r.umaxH; c.umaxL = r.umaxL;
  c.i32min = r.i32min; c.i32max = r.i32max; c.w32min = r.w32min; c.w32max = r.w32max;
  return c;
}

const sameFields = (a: Sc, b: Sc): boolean => scalarEqual(a, b);

/**
 * reg_set_min_max exactly as the kernel 6.18 runs it without BPF_F_TEST_REG_INVARIANTS: an
 * operand whose bounds became inconsistent loses its bounds (__mark_reg_unbounded) but
 * keeps its tnum. This is what the kernel's log shows on a dead edge.
 */
export function refineBranchLikeKernel(op: JmpOp, a: Scalar, b: Scalar, is32: boolean, taken: boolean): readonly [Scalar, Scalar] {
  const r1 = reg(a), r2 = reg(b);
  refineCondOp(r1, r2, taken ? op : REVERSE[op], is32);
  regBoundsSync(r1);
  regBoundsSync(r2);
  for (const r of [r1, r2]) {
    if (!consistent(r)) {
      unbound64(r);
      unbound32(r);
    }
  }
  return [view(r1), view(r2)];
}

/**
 * A comparison of a register with itself (`if r1 s> r1`): kernel 6.18 predicts it from the
 * bounds like any other (branchTaken(op, a, a)) and refines the one register as both
 * operands at once, which this mirrors; undefined when the edge is dead.
 */
export function refineBranchSelf(op: JmpOp, a: Scalar, is32: boolean, taken: boolean): Scalar | undefined {
  const r = reg(a);
  refineCondOp(r, r, taken ? op : REVERSE[op], is32);
  if (emptyRange(r)) return undefined;
  regBoundsSync(r);
  regBoundsSync(r);
  return consistent(r) ? view(r) : undefined;
}

/** refineBranchSelf with the kernel's handling of a dead edge (see refineBranchLikeKernel). */
export function refineBranchSelfLikeKernel(op: JmpOp, a: Scalar, is32: boolean, taken: boolean): Scalar {
  const r = reg(a);
  refineCondOp(r, r, taken ? op : REVERSE[op], is32);
  regBoundsSync(r);
  regBoundsSync(r);
  if (!consistent(r)) {
    unbound64(r);
    unbound32(r);
  }
  return view(r);
}

// ---- The log ----

/** verbose_snum: decimal within [-32768, 32767], else hex of the 64-bit pattern. */
function snum(h: number, l: number): string {
  const v = h === 0 && l <= 32767 ? l : h === M32 && l >= 0xffff8000 ? l - TWO32 : undefined;
  return v !== undefined ? String(v) : hexPair(h, l);
}

/** verbose_unum: decimal up to U16_MAX. */
function unum(h: number, l: number): string {
  return h === 0 && l <= 65535 ? String(l) : hexPair(h, l);
}

function hexPair(h: number, l: number): string {
  return h === 0 ? `0x${l.toString(16)}` : `0x${h.toString(16)}${l.toString(16).padStart(8, "0")}`;
}

export interface FormatOptions {
  /** The register's id, linking copies (printed `id=N` first). */
  readonly id?: number;
  /** A constant delta from the linked register (BPF_ADD_CONST), printed `id=N+D`. */
  readonly offset?: number;
  /** Marked precise by backtracking: a leading `P`. */
  readonly precise?: boolean;
}

interface Bound { name: string; h: number; l: number; omit: boolean; signed: boolean }

/**
 * A scalar register's value as kernel 6.18's print_verifier_state prints it: `-3`, `0x1000`,
 * `scalar()`, `scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.
 * The walker adds `R1=`.
 */
export function formatScalar(s: Scalar, opts: FormatOptions = {}): string {
  const r = peek(s);
  const p = opts.precise ? "P" : "";
  if (constant(r)) return p + snum(r.vh, r.vl);
  const parts: string[] = [];
  if (opts.id) parts.push(`id=${opts.id}${opts.offset ? (opts.offset > 0 ? `+${opts.offset}` : `${opts.offset}`) : ""}`);
  // The 32-bit signed bounds are compared sign-extended when printed in decimal, as u32
  // when in hex, so that -2 and 0xfffffffe are never merged.
  const s32 = (x: number): [number, number] => (x >= -32768 && x <= 32767 ? [x < 0 ? M32 : 0, x >>> 0] : [0, x >>> 0]);
  const [a1, a2] = s32(r.i32min), [b1, b2] = s32(r.i32max);
  const m: Bound[] = [
    { name: "smin", h: r.sminH, l: r.sminL, omit: r.sminH === SIGN && r.sminL === 0, signed: true },
    { name: "smax", h: r.smaxH, l: r.smaxL, omit: r.smaxH === 0x7fffffff && r.smaxL === M32, signed: true },
    { name: "umin", h: r.uminH, l: r.uminL, omit: r.uminH === 0 && r.uminL === 0, signed: false },
    { name: "umax", h: r.umaxH, l: r.umaxL, omit: r.umaxH === M32 && r.umaxL === M32, signed: false },
    { name: "smin32", h: a1, l: a2, omit: r.i32min === S32MIN, signed: true },
    { name: "smax32", h: b1, l: b2, omit: r.i32max === S32MAX, signed: true },
    { name: "umin32", h: 0, l: r.w32min, omit: r.w32min === 0, signed: false },
    { name: "umax32", h: 0, l: r.w32max, omit: r.w32max === M32, signed: false },
  ];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!;
    if (a.omit) continue;
    const neg = a.signed && (a.h & SIGN) !== 0;
    let text = `${a.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j]!;
      if (b.omit || b.h !== a.h || b.l !== a.l) continue;
      if ((b.signed && (b.h & SIGN) !== 0) !== neg) continue;
      b.omit = true;
      text += `${b.name}=`;
    }
    parts.push(text + (a.signed ? snum(a.h, a.l) : unum(a.h, a.l)));
  }
  if (!(r.vh === 0 && r.vl === 0 && r.mh === M32 && r.ml === M32)) {
    parts.push(`var_off=(${hexPair(r.vh, r.vl)}; ${hexPair(r.mh, r.ml)})`);
  }
  return `${p}scalar(${parts.join(",")})`;
}

