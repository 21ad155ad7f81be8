/**
 * @fileoverview Worked examples of tracked numbers, in the manner of tnum.c's comments,
 * and a brute-force check that each operation covers every concrete result.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  tnumAdd, tnumAnd, tnumArshift, tnumBswap16, tnumConst, tnumIn, tnumIntersect, tnumLshift, tnumMul, tnumNeg, tnumOr,
  tnumOverlap, tnumRange, tnumRshift, tnumSbin, tnumStep, tnumStr, tnumSub, tnumUnion, tnumXor, type Tnum,
} from "../../src/verifier/tnum.js";

const T = (value: bigint, mask: bigint): Tnum => ({ value, mask });
const s = tnumStr;

test("a range keeps the bits above the highest differing one", () => {
  assert.equal(s(tnumRange(4n, 7n)), "(0x4; 0x3)");
  assert.equal(s(tnumRange(0n, 255n)), "(0x0; 0xff)");
  assert.equal(s(tnumRange(5n, 5n)), "(0x5; 0x0)");
  assert.equal(s(tnumRange(0n, 1n << 63n)), "(0x0; 0xffffffffffffffff)");
});

test("addition carries unknown bits upward", () => {
  // x0 + 1 = xx: 0 + 1 = 1 and 2 + 1 = 3, so bit 1 becomes unknown.
  assert.equal(s(tnumAdd(T(0n, 2n), tnumConst(1n))), "(0x1; 0x2)");
  assert.equal(s(tnumAdd(T(0n, 1n), tnumConst(1n))), "(0x0; 0x3)");
  assert.equal(s(tnumSub(tnumConst(0n), tnumConst(1n))), "(0xffffffffffffffff; 0x0)");
  assert.equal(s(tnumNeg(T(0n, 1n))), "(0x0; 0xffffffffffffffff)");
});

test("bitwise operations, shifts and byte swaps", () => {
  assert.equal(s(tnumAnd(T(0n, 0xffn), tnumConst(0x0fn))), "(0x0; 0xf)");
  assert.equal(s(tnumOr(T(0n, 0xffn), tnumConst(0x100n))), "(0x100; 0xff)");
  assert.equal(s(tnumXor(T(1n, 2n), tnumConst(3n))), "(0x0; 0x2)");
  assert.equal(s(tnumLshift(T(1n, 2n), 4)), "(0x10; 0x20)");
  assert.equal(s(tnumRshift(T(0x10n, 0x20n), 4)), "(0x1; 0x2)");
  assert.equal(s(tnumArshift(T(0n, 1n << 63n), 60)), "(0x0; 0xfffffffffffffff8)");
  assert.equal(s(tnumArshift(T(0x80000000n, 0n), 4, 32)), "(0xf8000000; 0x0)");
  assert.equal(s(tnumBswap16(T(0n, 0x7ffn))), "(0x0; 0xff07)");
});

test("multiplication, intersection, union, containment", () => {
  assert.equal(s(tnumMul(tnumConst(3n), tnumConst(5n))), "(0xf; 0x0)");
  assert.equal(s(tnumMul(T(0n, 0x3ffn), tnumConst(3n))), "(0x0; 0xfff)");
  assert.equal(s(tnumIntersect(T(0n, 0xffn), T(0x10n, 0xf0fn))), "(0x10; 0xf)");
  assert.equal(s(tnumUnion(tnumConst(4n), tnumConst(6n))), "(0x4; 0x2)");
  assert.ok(tnumIn(T(0n, 0xffn), tnumConst(0x42n)));
  assert.ok(!tnumIn(T(0n, 0xfn), tnumConst(0x42n)));
  assert.ok(tnumOverlap(T(0n, 0xfn), tnumConst(3n)));
  assert.ok(!tnumOverlap(T(0x10n, 0xfn), tnumConst(3n)));
  assert.equal(tnumSbin(T(2n, 1n)).slice(-4), "001x");
});

test("tnum_step gives the next member up", () => {
  // x11100x0 (0b01110000 with bits 7 and 1 unknown): members 0x70, 0x72, 0xf0, 0xf2.
  const t = T(0x70n, 0x82n);
  assert.equal(tnumStep(t, 0x70n), 0x72n);
  assert.equal(tnumStep(t, 0x72n), 0xf0n);
  assert.equal(tnumStep(t, 0xf1n), 0xf2n);
  assert.equal(tnumStep(t, 0x10n), 0x70n); // below the minimum: the minimum
  assert.equal(tnumStep(t, 0xffn), 0xf2n); // at or above the maximum: the maximum
});

/** Every member of a small tnum (masks of at most a few bits). */
function members(t: Tnum): bigint[] {
  const bits: bigint[] = [];
  for (let i = 0n; i < 64n; i++) if ((t.mask >> i) & 1n) bits.push(1n << i);
  const out: bigint[] = [];
  for (let k = 0; k < 1 << bits.length; k++) {
    let v = t.value;
    bits.forEach((b, j) => { if ((k >> j) & 1) v |= b; });
    out.push(v);
  }
  return out;
}

test("every operation covers every concrete result (small exhaustive check)", () => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const small = (): Tnum => {
    const mask = BigInt(rnd() & 0x2d);
    return T(BigInt(rnd() & 0xff) & ~mask, mask);
  };
  const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
    ["add", tnumAdd, (x, y) => BigInt.asUintN(64, x + y)],
    ["sub", tnumSub, (x, y) => BigInt.asUintN(64, x - y)],
    ["mul", tnumMul, (x, y) => BigInt.asUintN(64, x * y)],
    ["and", tnumAnd, (x, y) => x & y],
    ["or", tnumOr, (x, y) => x | y],
    ["xor", tnumXor, (x, y) => x ^ y],
  ];
  for (let i = 0; i < 300; i++) {
    const a = small(), b = small();
    for (const [name, op, concrete] of ops) {
      const r = op(a, b);
      for (const x of members(a)) for (const y of members(b)) {
        assert.ok(tnumIn(r, tnumConst(concrete(x, y))), `${name} ${s(a)} ${s(b)} misses ${concrete(x, y)}`);
      }
    }
  }
});
