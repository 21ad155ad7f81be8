/**
 * @fileoverview The scalar domain on worked examples, each one a state kernel 6.18 printed
 * for the same instructions (the differential fuzz in scalar-kernel.test.ts does many more).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  branchTaken, constValue, formatScalar, isConst, refineBranch, refineBranchSelf, scalarAlu, scalarConst, scalarFork,
  scalarLoad, scalarRange, scalarSignedRange, scalarUnknown, scalarWithin, type Scalar,
} from "../../src/verifier/scalar.js";

const k = scalarConst;
const fmt = (s: Scalar): string => formatScalar(s);
const u32 = scalarLoad(4, false);

test("constants print in decimal within s16, else in hex", () => {
  assert.equal(fmt(k(32767n)), "32767");
  assert.equal(fmt(k(32768n)), "0x8000");
  assert.equal(fmt(k(-32768n)), "-32768");
  assert.equal(fmt(k(-32769n)), "0xffffffffffff7fff");
  assert.equal(formatScalar(k(5n), { precise: true }), "P5");
  assert.ok(isConst(k(7n)) && constValue(k(-1n)) === 0xffffffffffffffffn);
  assert.equal(fmt(scalarUnknown()), "scalar()");
});

test("a 32-bit load and what shifts and masks make of it", () => {
  assert.equal(fmt(u32), "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
  const hi = scalarAlu("lsh", u32, k(32n), true);
  assert.equal(fmt(hi), "scalar(smax=0x7fffffff00000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))");
  const full = scalarAlu("or", hi, u32, true);
  assert.equal(fmt(full), "scalar()");
  const masked = scalarAlu("and", full, k(4095n), true);
  assert.equal(fmt(masked), "scalar(smin=smin32=0,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff))");
  const m = scalarAlu("and", full, k(0xff00000000ff00f0n), true);
  assert.equal(fmt(m), "scalar(smax=0x7f00000000ff00f0,umax=0xff00000000ff00f0,smin32=0,smax32=umax32=0xff00f0,var_off=(0x0; 0xff00000000ff00f0))");
  assert.equal(fmt(scalarAlu("be64", m, m, false)), "scalar(smax=0x7000ff00000000ff,umax=0xf000ff00000000ff,smin32=0,smax32=umax32=255,var_off=(0x0; 0xf000ff00000000ff))");
  assert.equal(fmt(scalarAlu("le32", m, m, false)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00f0,var_off=(0x0; 0xff00f0))");
  assert.equal(fmt(scalarAlu("le16", m, m, false)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=240,var_off=(0x0; 0xf0))");
  assert.equal(fmt(scalarAlu("le64", m, m, false)), fmt(m));
  assert.equal(fmt(scalarAlu("bswap16", m, m, true)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xf000,var_off=(0x0; 0xf000))");
  assert.equal(fmt(scalarAlu("arsh", u32, k(16n), false)), "scalar(smin=0,smax=umax=0xffffffff,smin32=-32768,smax32=32767,var_off=(0x0; 0xffffffff))");
});

test("32-bit operations zero-extend, division is not tracked", () => {
  assert.equal(fmt(scalarAlu("mov", k(-5n), k(-5n), false)), "0xfffffffb");
  assert.equal(fmt(scalarAlu("neg", k(-35n), k(0n), false)), "35");
  assert.equal(fmt(scalarAlu("arsh", k(-9n & 0xffffffffn), k(1n), false)), "0xfffffffb");
  assert.equal(fmt(scalarAlu("div", u32, k(7n), false)), "scalar()");
  assert.equal(fmt(scalarAlu("mul", k(-5n), k(7n), true)), "-35");
});

test("a comparison narrows both edges", () => {
  const x = scalarAlu("and", scalarUnknown(), k(4095n), true);
  assert.equal(branchTaken("jgt", x, k(600n), false), -1);
  assert.equal(branchTaken("jgt", x, k(5000n), false), 0);
  assert.equal(branchTaken("jset", x, k(0x1000n), false), 0);
  const [fall] = refineBranch("jgt", x, k(600n), false, false)!;
  assert.equal(fmt(fall), "scalar(smin=smin32=0,smax=umax=smax32=umax32=600,var_off=(0x0; 0x3ff))");
  const [jump] = refineBranch("jgt", x, k(600n), false, true)!;
  assert.equal(fmt(jump), "scalar(smin=umin=smin32=umin32=601,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff))");
  assert.equal(fmt(scalarAlu("mul", fall, k(3n), true)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=1800,var_off=(0x0; 0x7ff))");
  assert.equal(fmt(scalarAlu("be16", scalarAlu("mul", fall, k(3n), true), k(0n), false)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff07,var_off=(0x0; 0xff07))");
});

test("a dead edge is undefined; within says which states cover which", () => {
  const r = scalarRange(10n, 20n);
  assert.equal(refineBranch("jgt", r, k(5n), false, false), undefined);
  assert.ok(scalarWithin(scalarRange(0n, 100n), r));
  assert.ok(!scalarWithin(r, scalarRange(0n, 100n)));
  assert.ok(scalarWithin(scalarUnknown(), k(3n)));
});

test("ids and precision print as the kernel prints them", () => {
  assert.equal(formatScalar(scalarUnknown(), { id: 1 }), "scalar(id=1)");
  assert.equal(formatScalar(u32, { id: 2 }), "scalar(id=2,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
  assert.equal(formatScalar(u32, { id: 3, offset: 5 }), "scalar(id=3+5,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
  assert.equal(formatScalar(scalarLoad(1, false), { precise: true }), "Pscalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
});

test("x s>>= 31 then & K splits into x = -1 and x = 0 (maybe_fork_scalars)", () => {
  const x = scalarAlu("arsh", u32, k(31n), false);
  assert.equal(fmt(x), "scalar(smin=0,smax=umax=0xffffffff,smin32=-1,smax32=0,var_off=(0x0; 0xffffffff))");
  const [minus, zero] = scalarFork("and", x, k(0x7fffffffn))!;
  assert.equal(fmt(scalarAlu("and", minus, k(0x7fffffffn), false)), "0x7fffffff");
  assert.equal(fmt(scalarAlu("and", zero, k(0x7fffffffn), false)), "0");
  assert.equal(scalarFork("add", x, k(1n)), undefined);
  assert.equal(scalarFork("and", u32, k(1n)), undefined);
});

test("a register compared with itself is refined as both operands at once", () => {
  const b = scalarLoad(1, false);
  assert.equal(branchTaken("jsgt", b, b, false), -1); // 6.18 predicts from the bounds alone
  assert.equal(fmt(refineBranchSelf("jsgt", b, false, true)!), "scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=254,var_off=(0x0; 0xff))");
  assert.equal(fmt(refineBranchSelf("jsgt", b, false, false)!), fmt(b));
});

test("bounds and a tnum that share one number make a constant", () => {
  const x = scalarAlu("and", u32, k(0x8000n), true);
  assert.equal(fmt(x), "scalar(smin=smin32=0,smax=umax=smax32=umax32=0x8000,var_off=(0x0; 0x8000))");
  assert.equal(fmt(refineBranch("jgt", x, k(2n), false, true)![0]), "0x8000");
  assert.equal(fmt(refineBranch("jgt", x, k(2n), false, false)![0]), "0");
});

test("sign extensions: narrow ranges survive, wide ones take the type's range", () => {
  const small = refineBranch("jsle", scalarAlu("movsx16", u32, u32, true), k(100n), false, true)![0];
  assert.equal(fmt(small), "scalar(smin=smin32=-32768,smax=smax32=100)");
  assert.equal(fmt(scalarAlu("movsx8", small, small, true)), "scalar(smin=smin32=-128,smax=smax32=127)");
  assert.equal(fmt(scalarAlu("movsx8", k(0n), k(0x80n), true)), "-128");
  assert.equal(fmt(scalarAlu("movsx32", u32, u32, true)), "scalar(smin=0xffffffff80000000,smax=0x7fffffff)");
  assert.equal(fmt(scalarLoad(2, true)), "scalar(smin=smin32=-32768,smax=smax32=32767)");
});

test("ranges built from bounds", () => {
  assert.equal(fmt(scalarRange(0n, 255n)), "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
  assert.equal(fmt(scalarSignedRange(-1n, 0n)), "scalar(smin=smin32=-1,smax=smax32=0)");
  assert.equal(fmt(scalarSignedRange(5n, 5n)), "5");
});
