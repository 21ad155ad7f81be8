/**
 * @fileoverview Checked mode against hostile programs: each fault names the pc, the
 * instruction, the address and the region; nothing outside the program's regions is
 * ever written, whatever bytes it is given.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BpfError } from "../../src/errors.js";
import { decodeRaw } from "../../src/isa/instruction.js";
import {
  BudgetExhaustedError, CallFault, execute, ExecutionError, InvalidInstructionFault, JumpFault, MemoryFault, Perm, Runtime,
} from "../../src/runtime/index.js";
import { randomBytesProgram } from "../../src/runtime/testing/random-program.js";
import { asm } from "./util.js";
import { REGION_TABLE } from "../../src/jit/compiler.js";
import { GUARD_SIZE } from "../../src/runtime/address-space.js";

function faultOf(run: () => unknown): ExecutionError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ExecutionError, `not an ExecutionError: ${e}`);
    return e;
  }
  assert.fail("the program did not fault");
}

function fault(source: string, options: { memory?: Uint8Array; budget?: number; type?: string; data?: Uint8Array } = {}): ExecutionError {
  const rt = new Runtime();
  const p = rt.load(asm(source), { mode: "checked", budget: options.budget, type: options.type });
  try {
    if (options.type) p.testRun({ data: options.data });
    else p.runRaw(options.memory);
  } catch (e) {
    assert.ok(e instanceof ExecutionError, `not an ExecutionError: ${e}`);
    assert.equal(e.code, "EEXEC");
    return e;
  }
  assert.fail("the program did not fault");
}

test("a load through null faults naming pc, instruction and address", () => {
  const e = fault("r2 = 1\nr0 = *(u64 *)(r1 + 0)\nexit");
  assert.ok(e instanceof MemoryFault);
  assert.equal(e.pc, 1);
  assert.equal(e.address, 0n);
  assert.equal(e.size, 8);
  assert.match(e.message, /^insn 1 \(r0 = \*\(u64 \*\)\(r1 \+ 0x0\)\): invalid read of 8 bytes at 0x0: null or near-null pointer; regions: stack \[0x[0-9a-f]+, 0x[0-9a-f]+\) rw/);
});

test("a load running past the memory block names the block and its bounds", () => {
  const e = fault("r0 = *(u32 *)(r1 + 2)\nexit", { memory: new Uint8Array(4) }) as MemoryFault;
  assert.equal(e.region?.name, "memory");
  assert.equal(e.region!.hi - e.region!.lo, 4);
  assert.match(e.message, /invalid read of 4 bytes at 0x[0-9a-f]+: runs 2 bytes past the end of memory \[0x[0-9a-f]+, 0x[0-9a-f]+\) rw/);
});

test("a store above the stack top faults", () => {
  const e = fault("*(u64 *)(r10 + 0) = 1\nexit") as MemoryFault;
  assert.equal(e.access, "write");
  assert.match(e.message, /invalid write of 8 bytes at 0x[0-9a-f]+: 0 bytes past the end of stack/);
});

test("a store below the 512-byte stack faults", () => {
  const e = fault("*(u64 *)(r10 - 520) = 1\nexit") as MemoryFault;
  assert.match(e.message, /8 bytes before the start of stack/);
});

test("an XDP program cannot write its context", () => {
  const e = fault("r2 = 1\n*(u32 *)(r1 + 0) = r2\nr0 = 2\nexit", { type: "xdp", data: new Uint8Array(64) }) as MemoryFault;
  assert.match(e.message, /ctx \[0x[0-9a-f]+, 0x[0-9a-f]+\) r- is not writable/);
});

test("a socket filter cannot write its packet", () => {
  const e = fault("r2 = *(u32 *)(r1 + 76)\nr3 = 1\n*(u8 *)(r2 + 0) = r3\nr0 = 0\nexit", { type: "socket_filter", data: new Uint8Array(64) });
  assert.match(e.message, /packet .* is not writable/);
});

test("a pointer with a nonzero high half faults", () => {
  // The low half is the stack's own address: only the high half is wrong.
  const e = fault("r1 = r10\nr1 += -8\nr2 = 1\nr2 <<= 32\nr1 += r2\nr0 = *(u64 *)(r1 + 0)\nexit") as MemoryFault;
  assert.ok(e.address >= 1n << 32n);
  assert.match(e.message, /beyond the address space/);
});

test("a jump out of the program faults at the jump", () => {
  const e = fault("r0 = 0\ngoto +5\nexit");
  assert.ok(e instanceof JumpFault);
  assert.equal(e.pc, 1);
  assert.equal(e.target, 7);
  assert.match(e.message, /^insn 1 \(goto \+0x5\): jump out of range: slot 7 of a 3-slot program/);
});

test("a jump into the middle of a 64-bit load faults", () => {
  const e = fault("r0 = 0\nif r0 == 0 goto +1\nr1 = 0x1234 ll\nexit") as JumpFault;
  assert.equal(e.pc, 1);
  assert.match(e.message, /jump to slot 3, the middle of a 64-bit load/);
});

test("running off the end faults", () => {
  const e = fault("r0 = 0\nr1 = 0x1 ll");
  assert.ok(e instanceof JumpFault);
  assert.match(e.message, /ran off the end of the program/);
});

test("an endless loop runs out of budget", () => {
  const e = fault("r0 = 0\nloop:\nr0 += 1\ngoto loop", { budget: 10_000 });
  assert.ok(e instanceof BudgetExhaustedError);
  assert.equal(e.budget, 10_000);
  assert.match(e.message, /instruction budget of 10000 exhausted/);
});

test("an unknown opcode is a typed fault when reached, not before", () => {
  const insns = decodeRaw(Uint8Array.from([0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(new Runtime().load(insns).runRaw().r0, 7n);
  const e = faultOf(() => new Runtime().load(decodeRaw(Uint8Array.from([0xff, 0, 0, 0, 0, 0, 0, 0]))).runRaw());
  assert.ok(e instanceof InvalidInstructionFault);
  assert.match(e.message, /^insn 0 \(op 0xff dst r0 src r0 off 0 imm 0\): invalid instruction: unknown opcode ff/);
});

test("writing r10 is invalid", () => {
  const e = fault("r10 = 0\nexit");
  assert.ok(e instanceof InvalidInstructionFault);
  assert.match(e.message, /frame pointer is read only/);
});

test("reserved fields are rejected in checked mode", () => {
  // BPF_MOV with an immediate and a nonzero offset: the ISA table's validation.
  const e = faultOf(() => new Runtime().load([{ opcode: 0xb7, dst: 0, src: 0, off: 3, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw());
  assert.ok(e instanceof InvalidInstructionFault);
});

test("recursion deeper than 8 frames faults", () => {
  const e = fault("call f\nexit\nf:\ncall f\nexit");
  assert.ok(e instanceof CallFault);
  assert.match(e.message, /the call stack of 9 frames is too deep/);
});

test("frames whose stacks add up past 512 bytes fault at the call", () => {
  const e = fault("*(u64 *)(r10 - 400) = 1\ncall f\nexit\nf:\n*(u64 *)(r10 - 200) = 1\nr0 = 0\nexit");
  assert.ok(e instanceof CallFault);
  assert.match(e.message, /combined stack size of 600 bytes exceeds 512/);
});

test("an unknown helper faults", () => {
  const e = fault("call 1234\nexit");
  assert.ok(e instanceof CallFault);
  assert.match(e.message, /invalid func unknown#1234/);
});

test("a faulting store leaves memory outside its regions untouched", () => {
  const rt = new Runtime();
  const canary = rt.space.alloc({ name: "canary", kind: "other", size: 64, perm: Perm.Read });
  canary.bytes().fill(0xa5);
  const before = rt.space.u8.slice();
  // Walk a pointer from the stack upward, storing, until it faults.
  const p = rt.load(asm("r1 = r10\nr1 += -8\nloop:\n*(u64 *)(r1 + 0) = -1\nr1 += 8\ngoto loop"), { budget: 100_000 });
  assert.throws(() => p.runRaw(), MemoryFault);
  const after = rt.space.u8;
  const stack = rt.machine.stack;
  for (let a = 0; a < before.length; a++) {
    if (a >= stack.base && a < stack.end) continue;
    // The JIT keeps its regions table in the never-allocated guard page: its own, not the program's.
    if (p.jitCode && a >= REGION_TABLE && a < GUARD_SIZE) continue;
    if (before[a] !== after[a]) assert.fail(`byte at 0x${a.toString(16)} changed`);
  }
});

test("random bytes never escape their regions or crash the runtime", () => {
  const rt = new Runtime({ initialPages: 2 });
  const mem = rt.space.alloc({ name: "memory", kind: "memory", size: 64, perm: Perm.ReadWrite });
  const ro = rt.space.alloc({ name: "rodata", kind: "rodata", size: 64, perm: Perm.Read });
  ro.bytes().fill(0x5a);
  rt.helpers.define(1, "nop", () => 0);
  const m = rt.machine;
  const kinds = new Map<string, number>();
  let finished = 0;
  const same = (a: Uint8Array, b: Uint8Array, from: number, to: number) => Buffer.compare(a.subarray(from, to), b.subarray(from, to)) === 0;
  for (let seed = 1; seed <= 3000; seed++) {
    let prog;
    try {
      prog = rt.load(decodeRaw(randomBytesProgram(seed)), { mode: "checked", budget: 5000 });
    } catch (e) {
      assert.ok(e instanceof BpfError, `seed ${seed}: load threw ${e}`);
      continue;
    }
    mem.bytes().fill(seed & 0xff);
    const before = rt.space.u8.slice();
    m.budget = 5000;
    m.packetStart = mem.base;
    m.packetEnd = mem.end;
    m.R.fill(0);
    m.R[2] = mem.base;
    m.R[4] = 64;
    m.R[6] = ro.base;
    try {
      execute(m, prog.compiled);
      finished++;
    } catch (e) {
      assert.ok(e instanceof ExecutionError, `seed ${seed}: ${e}`);
      kinds.set(e.constructor.name, (kinds.get(e.constructor.name) ?? 0) + 1);
    }
    const after = rt.space.u8;
    assert.ok(m.stack.end <= mem.base);
    assert.ok(same(before, after, 0, m.stack.base) && same(before, after, m.stack.end, mem.base) && same(before, after, mem.end, after.length),
      `seed ${seed}: memory outside the writable regions changed`);
  }
  assert.ok(finished > 50, `only ${finished} programs ran to their exit`);
  for (const k of ["MemoryFault", "JumpFault", "InvalidInstructionFault"]) assert.ok((kinds.get(k) ?? 0) > 0, `no ${k} among ${[...kinds]}`);
});
