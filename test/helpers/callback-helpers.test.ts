/**
 * @fileoverview bpf_loop through the runtime's re-entry point: the callback sees (i, ctx)
 * in a frame of its own, its non-zero r0 stops the loop, and the caller's registers and
 * stack survive; bad flags and counts fail as the kernel's do. Also the registry: helpers
 * refused at load, and custom helpers with their own prototypes.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { NotSupportedError } from "../../src/errors.js";
import { helperProto } from "../../src/helpers/protos.js";
import { installHelpers } from "../../src/helpers/table.js";
import { type Instruction, slotsOf } from "../../src/isa/instruction.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { add64Imm, add64Reg, call, exit, jneImm, ldx, mov64Imm, mov64Reg, st, stx } from "../kernel/helpers.js";

/** r<dst> = the callback `rel` slots after this two-slot load (BPF_PSEUDO_FUNC). */
const func = (dst: number, rel: number): Instruction => ({ opcode: 0x18, dst, src: 4, off: 0, imm: rel, imm64: BigInt(rel >>> 0) });

/**
 * main: *(u64 *)(fp-8) = 0; r6 = 77; r0 = bpf_loop(n, cb, fp-8, flags); return r0 << 32 | sum + r6
 * cb(i, ctx): *ctx += i; its own stack slot is scribbled; return i == stop
 */
function loopProgram(n: number, stop: number, flags = 0): Instruction[] {
  const main: Instruction[] = [
    st("dw", 10, -8, 0),
    mov64Imm(6, 77),
    mov64Imm(1, n),
    func(2, 0), // patched below
    mov64Reg(3, 10), add64Imm(3, -8),
    mov64Imm(4, flags),
    call(181),
    { opcode: 0x67, dst: 0, src: 0, off: 0, imm: 32 }, // r0 <<= 32
    ldx("dw", 1, 10, -8), add64Reg(0, 1), add64Reg(0, 6),
    exit(),
  ];
  const cb: Instruction[] = [
    st("dw", 10, -8, -1), // the callback's frame, not the caller's
    ldx("dw", 3, 2, 0), add64Reg(3, 1), stx("dw", 2, 0, 3),
    mov64Imm(0, 0),
    jneImm(1, stop, 1),
    mov64Imm(0, 1),
    exit(),
  ];
  return link(main, 3, cb);
}

/** main with main[at] = a BPF_PSEUDO_FUNC load of `cb`, which follows main. */
function link(main: Instruction[], at: number, cb: Instruction[]): Instruction[] {
  const slots = (xs: Instruction[]) => xs.reduce((n, i) => n + slotsOf(i), 0);
  const out = [...main];
  out[at] = func(2, 0);
  const pc = slots(out.slice(0, at));
  out[at] = func(2, slots(out) - pc - 1);
  return [...out, ...cb];
}

function run(insns: Instruction[]): bigint {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  return rt.load(insns).runRaw().r0;
}

test("bpf_loop calls back n times with (i, ctx), in a frame of its own", () => {
  // 0 + 1 + ... + 9 = 45; the caller's r6 (77) and fp-8 survive.
  assert.equal(run(loopProgram(10, -1)), (10n << 32n) + 45n + 77n);
  assert.equal(run(loopProgram(0, -1)), 77n);
});

test("a non-zero callback return stops bpf_loop, which returns the calls made", () => {
  assert.equal(run(loopProgram(10, 3)), (4n << 32n) + 6n + 77n);
});

test("bpf_loop refuses flags and more than BPF_MAX_LOOPS iterations without calling back", () => {
  const einval = BigInt.asUintN(32, -22n) << 32n;
  assert.equal(run(loopProgram(5, -1, 1)) & ~0xffffffffn, einval);
  const e2big = BigInt.asUintN(32, -7n) << 32n;
  assert.equal(run(loopProgram((1 << 23) + 1, -1)) & ~0xffffffffn, e2big);
});

test("a helper the runtime cannot run is refused at load, naming it", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  assert.throws(() => rt.load([mov64Imm(1, 9), call(109), exit()]), (e: unknown) => {
    assert.ok(e instanceof NotSupportedError);
    assert.match((e as Error).message, /helper bpf_send_signal in the userspace runtime \(insn 1\).*signals a process/);
    return true;
  });
});

test("custom helpers are defined by id with their prototype, and called like the kernel's", () => {
  const registry = installHelpers(new HelperRegistry());
  const proto = { id: 1000, name: "sum_bytes", ret: { kind: "integer" as const }, args: [{ kind: "ptr_to_mem" as const, readOnly: true }, { kind: "const_size" as const }] };
  registry.define(1000, "sum_bytes", (a, env) => env.bytes(a.addr(1), a.u32(2), "read").reduce((x, y) => x + y, 0), proto);
  assert.equal(registry.get(1000)?.proto, proto);
  assert.equal(helperProto(1000), undefined);
  const rt = new Runtime({ helpers: registry });
  const r0 = rt.load([st("w", 10, -4, 0x01020304), mov64Reg(1, 10), add64Imm(1, -4), mov64Imm(2, 4), call(1000), exit()]).runRaw().r0;
  assert.equal(r0, 10n);
  // Redefining a refused helper makes it callable.
  registry.define(109, "send_signal", () => 0);
  assert.equal(new Runtime({ helpers: registry }).load([mov64Imm(1, 9), call(109), exit()]).runRaw().r0, 0n);
  assert.throws(() => registry.define(5, "x", () => 0, proto), /prototype is for id 1000/);
});
