/**
 * @fileoverview The JIT against the interpreter: every instruction case, thousands of the
 * differential fuzzer's programs (r0 and memory), hostile bytecode in checked mode (the
 * same fault class, pc and message), budgets, calls, tail calls and the fallbacks.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeRaw, type Instruction } from "../../src/isa/instruction.js";
import { ExecutionError, HelperRegistry, Runtime, type LoadOptions, type RunMode } from "../../src/runtime/index.js";
import { generateProgram, randomBytesProgram } from "../../src/runtime/testing/random-program.js";
import { CASES } from "../runtime/cases.js";
import { asm, hex64 } from "../runtime/util.js";

type Outcome = { r0: string; memory: number[]; instructions: number } | { error: string; kind: string; pc: number };

function outcome(engine: "interp" | "jit", insns: readonly Instruction[], memory: Uint8Array | undefined, options: LoadOptions = {}, rt = new Runtime()): Outcome {
  const p = rt.load(insns, { mode: "checked", ...options, engine });
  try {
    const r = p.testRun({ data: memory ?? new Uint8Array(0) });
    return { r0: hex64(r.r0), memory: [...r.data], instructions: r.instructions };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    return { error: e.message, kind: e.constructor.name, pc: e.pc };
  }
}

for (const mode of ["checked", "fast"] as RunMode[]) {
  test(`every instruction case gives RFC 9669's result in the jit (${mode})`, () => {
    const wrong: string[] = [];
    for (const c of CASES) {
      const rt = new Runtime();
      const p = rt.load(asm(c.asm), { mode, engine: "jit" });
      assert.equal(p.jitCode?.fallback, undefined, c.name);
      const r = p.runRaw(c.mem ? Uint8Array.from(c.mem) : undefined);
      if (r.r0 !== c.r0) wrong.push(`${c.name}: r0 ${hex64(r.r0)}, expected ${hex64(c.r0)}`);
      else if (c.memOut && r.memory.join() !== c.memOut.join()) wrong.push(`${c.name}: memory ${r.memory.join()}`);
    }
    assert.deepEqual(wrong, []);
  });
}

test("random programs give the interpreter's r0, memory and instruction count in the jit", () => {
  const wrong: string[] = [];
  for (let seed = 1; seed <= 3000; seed++) {
    const g = generateProgram(seed);
    const a = outcome("interp", g.insns, g.memory);
    const b = outcome("jit", g.insns, g.memory);
    if (JSON.stringify(a) !== JSON.stringify(b)) wrong.push(`seed ${seed}: interp ${JSON.stringify(a)} jit ${JSON.stringify(b)}`);
    if (wrong.length > 5) break;
  }
  assert.deepEqual(wrong, []);
});

test("hostile bytecode ends in the interpreter's fault, at the same pc", () => {
  const wrong: string[] = [];
  let faults = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const insns = decodeRaw(randomBytesProgram(seed));
    const mem = new Uint8Array(16).fill(seed & 0xff);
    const a = outcome("interp", insns, mem, { budget: 10_000 });
    const b = outcome("jit", insns, mem, { budget: 10_000 });
    if ("error" in a) faults++;
    if (JSON.stringify(a) !== JSON.stringify(b)) wrong.push(`seed ${seed}: interp ${JSON.stringify(a)} jit ${JSON.stringify(b)}`);
    if (wrong.length > 5) break;
  }
  assert.ok(faults > 100, `only ${faults} faults`);
  assert.deepEqual(wrong, []);
});

test("a runaway loop exhausts the budget at the same pc", () => {
  const insns = asm("r0 = 0\nloop:\nr0 += 1\nif r0 != 0 goto loop\nexit");
  const a = outcome("interp", insns, undefined, { budget: 1000 });
  const b = outcome("jit", insns, undefined, { budget: 1000 });
  assert.equal((b as { kind: string }).kind, "BudgetExhaustedError");
  assert.deepEqual(b, a);
});

test("helpers get r1-r5 and return r0 through the import, all 64 bits", () => {
  const helpers = new HelperRegistry();
  helpers.define(1000, "sum", (args) => args.u64(1) + args.u64(2) * 2n + args.u64(5));
  const insns = asm("r1 = 0x100000001 ll\nr2 = 3\nr5 = -1\ncall 1000\nexit");
  const r = new Runtime({ helpers }).load(insns, { engine: "jit" }).runRaw();
  assert.equal(r.r0, BigInt.asUintN(64, 0x100000001n + 6n - 1n));
});

test("an unknown helper is the interpreter's call fault", () => {
  const insns = asm("r0 = 1\ncall 9999\nexit");
  const a = outcome("interp", insns, undefined);
  const b = outcome("jit", insns, undefined);
  assert.equal((b as { kind: string }).kind, "CallFault");
  assert.deepEqual(b, a);
});

test("recursion past eight frames faults as in the interpreter", () => {
  const insns = asm("call f\nexit\nf:\nr0 = 1\ncall f\nexit");
  const a = outcome("interp", insns, undefined);
  const b = outcome("jit", insns, undefined);
  assert.match((b as { error: string }).error, /frames is too deep/);
  assert.deepEqual(b, a);
});

test("repeat runs loop inside the jit and keep what earlier runs wrote", () => {
  const insns = asm("r2 = *(u32 *)(r1 + 0)\nr2 += 1\n*(u32 *)(r1 + 0) = r2\nr0 = r2\nexit");
  for (const mode of ["checked", "fast"] as RunMode[]) {
    const r = new Runtime().load(insns, { engine: "jit", mode }).testRun({ data: new Uint8Array(4), repeat: 1000 });
    assert.equal(r.r0, 1000n);
    assert.deepEqual([...r.data], [0xe8, 3, 0, 0]);
  }
});

test("an irreducible loop runs through the dispatch fallback with the interpreter's result", () => {
  // Two entries into one cycle: a and b each jump to the other; the memory's byte picks.
  const insns = asm(`
    r1 = *(u8 *)(r1 + 0)
    r0 = 0
    r2 = 10
    if r1 == 0 goto b
  a:
    r0 += 1
    r2 -= 1
    if r2 == 0 goto out
  b:
    r0 += 2
    if r2 != 0 goto a
  out:
    exit`);
  assert.deepEqual(new Runtime().load(insns, { engine: "jit" }).jitCode?.dispatched, [0]);
  for (const entry of [0, 1]) {
    const a = outcome("interp", insns, new Uint8Array([entry]));
    const b = outcome("jit", insns, new Uint8Array([entry]));
    assert.ok("r0" in a);
    assert.deepEqual(b, a);
  }
});

test("a rotated loop (its test after the body) and a shared exit nest without the dispatch loop", () => {
  const insns = asm(`
    r0 = 0
    r2 = 0
    goto test
  body:
    r0 += r2
    if r0 > 1000 goto fail
    r2 += 1
  test:
    if r2 < 10 goto body
    exit
  fail:
    r0 = -1
    exit`);
  const p = new Runtime().load(insns, { engine: "jit" });
  assert.deepEqual(p.jitCode?.dispatched, []);
  assert.equal(p.runRaw().r0, 45n);
});

test("a jump between subprograms runs in the interpreter, and says so", () => {
  const insns = asm("call f\nexit\nf:\nr0 = 7\ngoto out\nout2:\nexit\nout:\nexit");
  const p = new Runtime().load(insns, { engine: "jit" });
  assert.equal(p.jitCode?.fallback, undefined);
  const q = new Runtime().load(asm("call f\nr0 = 3\nx:\nexit\nf:\nr0 = 7\nif r0 == 7 goto -4\nexit"), { engine: "jit" });
  assert.match(q.jitCode?.fallback ?? "", /leaves its function/);
  assert.equal(q.runRaw().r0, new Runtime().load(q.compiled.insns).runRaw().r0);
});

test("tail calls in the jit: the limit of 33, empty slots using one up, as in the interpreter", () => {
  const MAP = 0x4d415030;
  const counter = (slot: number) => asm(`
    r6 = r1
    r0 = *(u64 *)(r6 + 0)
    r0 += 1
    *(u64 *)(r6 + 0) = r0
    r1 = r6
    r2 = ${MAP} ll
    r3 = ${slot}
    call 12
    r1 = r6
    r2 = ${MAP} ll
    r3 = 0
    call 12
    exit`);
  for (const engine of ["interp", "jit"] as const) {
    const rt = new Runtime();
    const both = rt.load(counter(1), { engine });
    const plain = rt.load(counter(0), { engine });
    const slots = [both, undefined];
    rt.programArray = (map) => (map === BigInt(MAP) ? { maxEntries: 2, program: (i) => slots[i] } : undefined);
    const count = (p: typeof both) => new DataView(p.runRaw(new Uint8Array(8)).memory.buffer).getBigUint64(0, true);
    assert.equal(count(both), 17n, engine);
    slots[0] = plain;
    assert.equal(count(plain), 34n, engine);
  }
});

test("a legacy packet load out of bounds in a subprogram ends the whole run with r0 = 0", () => {
  const data = Uint8Array.from({ length: 40 }, (_, i) => i);
  const src = "r6 = r1\ncall f\nr0 = 9\nexit\nf:\nr0 = *(u16 *)skb[1]\nr0 = *(u32 *)skb[100]\nr0 = 5\nexit";
  const results = (["interp", "jit"] as const).map((engine) => {
    const r = new Runtime().load(asm(src), { type: "socket_filter", engine }).testRun({ data, repeat: 2 });
    return [r.r0, r.instructions];
  });
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[1]![0], 0n);
});

test("atomics, aligned and not, give the interpreter's memory and registers", () => {
  const src = `
    r2 = 0x100000003 ll
    *(u64 *)(r1 + 0) = r2
    lock *(u64 *)(r1 + 0) += r2
    r3 = 5
    r3 = atomic_fetch_add((u64 *)(r1 + 8), r3)
    w4 = 7
    w4 = atomic_fetch_or((u32 *)(r1 + 3), w4)
    r0 = 0x100000006 ll
    r5 = 11
    r0 = cmpxchg_64(r1 + 0, r0, r5)
    w0 = cmpxchg32_32(r1 + 5, w0, w5)
    r0 += r3
    r0 += r4
    exit`;
  const mem = Uint8Array.from({ length: 24 }, (_, i) => i * 3);
  const a = outcome("interp", asm(src), mem);
  const b = outcome("jit", asm(src), mem);
  assert.ok("r0" in b);
  assert.deepEqual(b, a);
});

test("toWat prints a compiled module: its loop, its memory access, every opcode by name", async () => {
  const { toWat } = await import("../../src/jit/index.js");
  const p = new Runtime().load(asm("r0 = *(u32 *)(r1 + 0)\nr2 = 0\nloop:\nr2 += 1\nif r2 < 10 goto loop\nr0 += r2\nexit"), { engine: "jit" });
  const wat = toWat(p.jitCode!.module!);
  assert.match(wat, /^\(module\n/);
  assert.match(wat, /\n\s+loop\n/);
  assert.match(wat, /\n\s+i64\.load32_u\n/);
  assert.doesNotMatch(wat, /\n\s+0x/);
  for (let seed = 1; seed <= 50; seed++) {
    const g = generateProgram(seed);
    const code = new Runtime().load(g.insns, { engine: "jit" }).jitCode!;
    assert.doesNotMatch(toWat(code.module!), /\n\s+0x|atomic\.0x/, `seed ${seed}`);
  }
});
