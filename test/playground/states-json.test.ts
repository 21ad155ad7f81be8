// The verifier's per-instruction states read back as data: types, bounds, tracked bits, stack slots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble } from "../../src/isa/index.js";
import { parseState, verifySteps } from "../../src/verifier/states-json.js";

const prog = (text: string) => ({ instructions: assemble(text).instructions, type: "socket_filter" });

test("a masked context load is an unknown scalar with its bounds and known bits", () => {
  const { result, steps } = verifySteps(prog(`
    r2 = *(u32 *)(r1 + 0)
    r2 &= 0xff
    *(u32 *)(r10 - 4) = r2
    r0 = 0
    exit`));
  assert.equal(result.accepted, true);
  const afterAnd = steps.find((s) => s.insn === 1)!;
  const r2 = afterAnd.state.frames[0]!.regs.find((r) => r.name === "R2")!;
  assert.equal(r2.type, "scalar");
  assert.equal(r2.scalar.umax, "255");
  assert.equal(r2.scalar.umin, "0");
  assert.equal(r2.scalar.smax, "255");
  assert.deepEqual(r2.scalar.tnum, { value: "0x0", mask: "0xff" });
  assert.equal(r2.scalar.constant, undefined);
  const r1 = afterAnd.state.frames[0]!.regs.find((r) => r.name === "R1")!;
  assert.equal(r1.type, "ctx");
  const r10 = afterAnd.state.frames[0]!.regs.find((r) => r.name === "R10")!;
  assert.equal(r10.type, "fp");
  const stored = steps.find((s) => s.insn === 2)!.state.frames[0]!.stack;
  assert.deepEqual(stored.map((s) => [s.off, s.bytes]), [[-8, "mmmm????"]]);
});

test("constants and spilled registers carry exact values", () => {
  const s = parseState("R1=5 R2=P-3 R10=fp0 fp-8=7 fp-16=ctx() fp-24=00000000");
  const [r1, r2] = s.frames[0]!.regs;
  assert.equal(r1!.scalar.constant, "5");
  assert.equal(r2!.precise, true);
  assert.equal(r2!.scalar.umax, "18446744073709551613");
  assert.equal(r2!.scalar.smin32, "-3");
  assert.equal(s.frames[0]!.stack[0]!.spilled!.scalar.constant, "7");
  assert.equal(s.frames[0]!.stack[1]!.spilled!.type, "ctx");
  assert.equal(s.frames[0]!.stack[2]!.spilled, undefined);
  assert.equal(s.frames[0]!.stack[2]!.bytes, "00000000");
});

test("merged bounds, pointer fields and frames are split apart", () => {
  const s = parseState("frame0: R1=pkt(off=14,r=34) frame1: R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=60,var_off=(0x0; 0x3c)) refs=2");
  assert.equal(s.frames.length, 2);
  assert.deepEqual(s.frames[0]!.regs[0]!.fields, { off: "14", r: "34" });
  const r2 = s.frames[1]!.regs[0]!;
  assert.equal(s.frames[1]!.frameno, 1);
  assert.equal(r2.scalar.smin, "0");
  assert.equal(r2.scalar.umax32, "60");
  assert.deepEqual(r2.scalar.tnum, { value: "0x0", mask: "0x3c" });
  assert.deepEqual(s.refs, [2]);
});

test("a rejection gives the failing instruction's state", () => {
  const { result, failing } = verifySteps(prog(`
    r2 = *(u32 *)(r1 + 0)
    r3 = r10
    r3 += r2
    r0 = *(u8 *)(r3 + 0)
    r0 = 0
    exit`));
  assert.equal(result.accepted, false);
  assert.ok(failing, "a failing state");
  assert.equal(failing.insn, result.error!.insn);
  assert.ok(failing.state.frames[0]!.regs.some((r) => r.name === "R2" && r.type === "scalar"));
});
