/**
 * @fileoverview Callbacks (bpf_loop's) run as compiled code in the JIT: the interpreter's
 * r0, memory and instruction count, and its faults and budget stops inside a callback.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { installHelpers } from "../../src/helpers/table.js";
import { type Instruction, slotsOf } from "../../src/isa/instruction.js";
import { ExecutionError, HelperRegistry, Runtime, type RunMode } from "../../src/runtime/index.js";
import { asm, hex64 } from "../runtime/util.js";

/** main, with `r2 = <the callback>` (a BPF_PSEUDO_FUNC load) at `at`, then the callback. */
function link(main: Instruction[], at: number, cb: Instruction[]): Instruction[] {
  const func = (rel: number): Instruction => ({ opcode: 0x18, dst: 2, src: 4, off: 0, imm: rel, imm64: BigInt(rel >>> 0) });
  const out = [...main];
  out.splice(at, 0, func(0));
  const slots = (xs: Instruction[]) => xs.reduce((n, i) => n + slotsOf(i), 0);
  const pc = slots(out.slice(0, at));
  out[at] = func(slots(out) - pc - 1);
  return [...out, ...cb];
}

/** main: sum over bpf_loop(n, cb, fp-8); the callback adds i * 3 and scribbles its own frame. */
const MAIN = asm(`
  *(u64 *)(r10 - 8) = 0
  r6 = 77
  r1 = NUM
  r3 = r10
  r3 += -8
  r4 = 0
  call 181
  r0 <<= 32
  r1 = *(u64 *)(r10 - 8)
  r0 += r1
  r0 += r6
  exit`.replace("NUM", "1000"));

function outcome(engine: "interp" | "jit", insns: Instruction[], mode: RunMode, budget = 1_000_000, memory?: Uint8Array) {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const p = rt.load(insns, { engine, mode, budget });
  try {
    const r = p.testRun({ data: memory ?? new Uint8Array(8) });
    return { r0: hex64(r.r0), data: [...r.data], instructions: r.instructions, callbacks: engine === "jit" ? rt.jit.compiledCallbacks : 0 };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    return { error: e.message, kind: e.constructor.name, pc: e.pc, callbacks: engine === "jit" ? rt.jit.compiledCallbacks : 0 };
  }
}

function same(insns: Instruction[], mode: RunMode, expectCallbacks: (n: number) => boolean, budget?: number) {
  const a = outcome("interp", insns, mode, budget), b = outcome("jit", insns, mode, budget);
  assert.ok(expectCallbacks(b.callbacks), `compiled callbacks: ${b.callbacks}`);
  assert.deepEqual({ ...b, callbacks: 0 }, a);
  return b;
}

for (const mode of ["checked", "fast"] as RunMode[]) {
  test(`bpf_loop's callback runs compiled with the interpreter's result and count (${mode})`, () => {
    const cb = asm(`
      *(u64 *)(r10 - 8) = -1
      r3 = *(u64 *)(r2 + 0)
      r1 *= 3
      r3 += r1
      *(u64 *)(r2 + 0) = r3
      r0 = 0
      exit`);
    const b = same(link(MAIN, 3, cb), mode, (n) => n === 1000);
    assert.ok("r0" in b);
    assert.equal(b.r0, hex64((1000n << 32n) + 3n * (999n * 1000n / 2n) + 77n));
  });
}

test("a callback returning 1 stops the loop; a fault inside it is the interpreter's, at its pc", () => {
  const stop = asm(`
    r0 = 0
    if r1 != 5 goto +1
    r0 = 1
    exit`);
  same(link(MAIN, 3, stop), "checked", (n) => n === 6);
  const bad = asm(`
    r3 = 0x100000
    r0 = *(u64 *)(r3 + 0)
    exit`);
  const b = same(link(MAIN, 3, bad), "checked", (n) => n === 1);
  assert.ok("error" in b && b.kind === "MemoryFault", JSON.stringify(b));
});

test("a runaway callback exhausts the budget at the interpreter's pc", () => {
  const spin = asm(`
    r0 = 0
    r0 += 1
    goto -2
    exit`);
  const b = same(link(MAIN, 3, spin), "checked", (n) => n === 1);
  assert.ok("error" in b && b.kind === "BudgetExhaustedError", JSON.stringify(b));
});

test("each callback counts against the budget from zero, as the interpreter's nested runs", () => {
  const cb = asm(`
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r0 = 0
    exit`);
  // 1000 callbacks of 5 instructions under a budget of 20: each alone fits.
  const b = same(link(MAIN, 3, cb), "checked", (n) => n === 1000, 20);
  assert.ok("r0" in b, JSON.stringify(b));
});
