/**
 * @fileoverview The fast scalar domain (pairs of uint32) against the plain-BigInt reference,
 * operation by operation on random operands, every field compared: the reference is what
 * the kernel fuzz checks line by line, so the two must never differ.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/runtime/testing/random-program.js";
import * as F from "../../src/verifier/scalar.js";
import * as R from "../../src/verifier/testing/scalar-reference.js";

const ALU: F.AluOp[] = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh",
  "neg", "mov", "movsx8", "movsx16", "movsx32", "be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32", "bswap64"];
const JMP: F.JmpOp[] = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"];
const EDGES = [0n, 1n, 2n, 3n, 7n, 8n, 31n, 32n, 63n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffff0n, 0xffffffff80000000n];

function value(r: Rng): bigint {
  const k = r.int(4);
  if (k === 0) return r.pick(EDGES);
  if (k === 1) return BigInt(r.int(4096)) - 2048n;
  return (BigInt(r.u32()) << 32n) | BigInt(r.u32());
}

const fields = (s: F.Scalar): string =>
  `${s.varOff.value}/${s.varOff.mask} s[${s.smin},${s.smax}] u[${s.umin},${s.umax}] s32[${s.s32min},${s.s32max}] u32[${s.u32min},${s.u32max}]`;

test("the fast domain equals the BigInt reference on 100,000 random operations", () => {
  const r = new Rng(20261202);
  // A pool of scalars grown by the operations themselves, kept in both representations.
  const pool: [F.Scalar, F.Scalar][] = [
    [F.scalarUnknown(), R.scalarUnknown()], [F.scalarLoad(4, false), R.scalarLoad(4, false)],
    [F.scalarLoad(1, false), R.scalarLoad(1, false)], [F.scalarLoad(2, true), R.scalarLoad(2, true)],
  ];
  const pick = (): [F.Scalar, F.Scalar] => {
    if (r.chance(0.25)) { const v = value(r); return [F.scalarConst(v), R.scalarConst(v)]; }
    if (r.chance(0.1)) { let a = value(r), b = value(r); if (a > b) [a, b] = [b, a]; return [F.scalarRange(a, b), R.scalarRange(a, b)]; }
    return r.pick(pool);
  };
  for (let i = 0; i < 100_000; i++) {
    const [fa, ra] = pick(), [fb, rb] = pick();
    let fr: F.Scalar | undefined, rr: F.Scalar | undefined, what: string;
    if (r.chance(0.6)) {
      const op = r.pick(ALU), is64 = r.chance(0.5);
      what = `${op}${is64 ? "" : "32"}`;
      fr = F.scalarAlu(op, fa, fb, is64);
      rr = R.scalarAlu(op, ra, rb, is64);
      const ff = F.scalarFork(op, fa, fb), rf = R.scalarFork(op, ra, rb);
      assert.equal(ff === undefined, rf === undefined, `fork ${what}`);
      if (ff && rf) assert.equal(fields(ff[1]), fields(rf[1]), `fork ${what}`);
    } else {
      const op = r.pick(JMP), is32 = r.chance(0.4), taken = r.chance(0.5);
      what = `${op}${is32 ? "32" : ""} ${taken}`;
      assert.equal(F.branchTaken(op, fa, fb, is32), R.branchTaken(op, ra, rb, is32), `predict ${what}`);
      const f2 = F.refineBranchLikeKernel(op, fa, fb, is32, taken), r2 = R.refineBranchLikeKernel(op, ra, rb, is32, taken);
      assert.equal(fields(f2[1]), fields(r2[1]), `${what} (b) of ${fields(ra)} and ${fields(rb)}`);
      assert.equal(F.refineBranch(op, fa, fb, is32, taken) === undefined, R.refineBranch(op, ra, rb, is32, taken) === undefined, `dead ${what}`);
      if (r.chance(0.1)) {
        assert.equal(fields(F.refineBranchSelfLikeKernel(op, fa, is32, taken)), fields(R.refineBranchSelfLikeKernel(op, ra, is32, taken)), `self ${what}`);
      }
      fr = f2[0]; rr = r2[0];
    }
    assert.equal(fields(fr), fields(rr), `${what} of ${fields(ra)} and ${fields(rb)}`);
    assert.equal(F.formatScalar(fr), R.formatScalar(rr), `format after ${what}`);
    assert.equal(F.scalarWithin(fa, fr), R.scalarWithin(ra, rr), `within after ${what}`);
    assert.equal(F.scalarConsistent(fr), R.scalarConsistent(rr), `consistent after ${what}`);
    if (pool.length < 64) pool.push([fr, rr]); else pool[r.int(pool.length)] = [fr, rr];
  }
});
