/**
 * @fileoverview Legacy LD_ABS/LD_IND at SKF_NET_OFF/SKF_LL_OFF offsets, kept as the kernel's
 * conversion keeps them, give the kernel's answers on tsbpf's interpreter and JIT.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { convertClassic } from "../../src/cbpf/convert.js";
import { SKF_LL_OFF, SKF_NET_OFF, stmt, type SockFilter } from "../../src/cbpf/insn.js";
import { installHelpers } from "../../src/helpers/index.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { skip } from "../kernel/helpers.js";
import { randomProgram, rng, STABLE_ANCILLARY } from "./random.js";

const RET_A = stmt(0x16, 0);
const runtime = new Runtime({ helpers: installHelpers(new HelperRegistry()) });

/** Ethernet + IPv4 (10.0.0.1 -> 10.0.0.2) + TCP to port 80, with `payload` bytes after. */
function frame(payload = 10): Uint8Array {
  const f = new Uint8Array(54 + payload).map((_, j) => (j * 37) & 0xff);
  f.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  f.set([0x45, 0, 0, 40 + payload, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f[36] = 0; f[37] = 80;
  return f;
}

// Answers by program type: a socket filter's data starts at the IP header, a tc program's
// at the Ethernet header, yet SKF_LL_OFF is the Ethernet header and SKF_NET_OFF the IP one.
const CASES: [string, SockFilter[], number | { socket_filter: number; sched_cls: number }][] = [
  ["net + 9: the IP protocol", [stmt(0x30, SKF_NET_OFF + 9), RET_A], 6],
  ["ll + 12: the EtherType", [stmt(0x28, SKF_LL_OFF + 12), RET_A], 0x0800],
  ["net + 12: the source address", [stmt(0x20, SKF_NET_OFF + 12), RET_A], 0x0a000001],
  ["ll + 0: the destination MAC", [stmt(0x20, SKF_LL_OFF), RET_A], 0x00010203],
  ["ll + 14 is net + 0", [stmt(0x30, SKF_LL_OFF + 14), RET_A], 0x45],
  ["net past the end", [stmt(0x30, SKF_NET_OFF + 2000), stmt(0x06, 7)], 0],
  ["the last byte through net", [stmt(0x30, SKF_NET_OFF + 40 + 10 - 1), RET_A], ((64 - 1) * 37) & 0xff],
  ["one past the last byte through ll", [stmt(0x28, SKF_LL_OFF + 64 - 1), stmt(0x06, 7)], 0],
  ["below SKF_LL_OFF", [stmt(0x30, SKF_LL_OFF - 5), stmt(0x06, 7)], 0],
  ["a negative offset above SKF_NET_OFF reads past the network header", [stmt(0x30, -0x1000 - 1), RET_A], 0],
  ["ld_ind: X + k negative, from the network header", [stmt(0x01, 2), stmt(0x50, SKF_NET_OFF + 7), RET_A], 6],
  ["ld_ind: X carries the offset", [stmt(0x01, SKF_LL_OFF + 12), stmt(0x48, 0), RET_A], 0x0800],
  // offset 23 of the data: the TCP port's low byte after the IP header, the protocol after Ethernet
  ["ld_ind: X + k wraps to a positive offset", [stmt(0x01, 0xffffffff), stmt(0x50, 24), RET_A], { socket_filter: 80, sched_cls: 6 }],
];

for (const type of ["socket_filter", "sched_cls"] as const) {
  test(`${type}: negative offsets on the interpreter and the JIT, and the kernel`, () => {
    for (const [name, prog, answer] of CASES) {
      const want = typeof answer === "number" ? answer : answer[type];
      const insns = convertClassic(prog);
      for (const engine of ["interp", "jit"] as const) {
        assert.equal(runtime.load(insns, { type, engine }).testRun({ data: frame() }).retval, want, `${engine}: ${name}`);
      }
      if (skip) continue;
      const k = KernelProgram.load({ type, instructions: insns });
      try {
        assert.equal(k.testRun({ data: frame() }).retval, want, `kernel: ${name}`);
      } finally {
        k.close();
      }
    }
  });
}

test("raw runs have no MAC header: a negative offset ends the program with 0", () => {
  const insns = convertClassic([stmt(0x30, SKF_NET_OFF + 0), stmt(0x06, 7)]);
  for (const engine of ["interp", "jit"] as const) {
    assert.equal(runtime.load(insns, { type: "raw", engine }).runRaw(frame()).r0, 0n, engine);
  }
});

test("200 random programs with negative LD_ABS and LD_IND offsets agree on interp, JIT and kernel", { skip }, () => {
  const r = rng(0x5eed2);
  let checked = 0, nonzero = 0;
  for (let i = 0; checked < 200; i++) {
    const prog = randomProgram(r, { ancillary: STABLE_ANCILLARY, negative: true });
    let insns;
    try { insns = convertClassic(prog); } catch { continue; }
    const type = i % 2 ? "sched_cls" : "socket_filter";
    const data = frame(i % 40);
    const a = runtime.load(insns, { type }).testRun({ data }).retval;
    const b = runtime.load(insns, { type, engine: "jit" }).testRun({ data }).retval;
    const k = KernelProgram.load({ type, instructions: insns });
    let c: number;
    try { c = k.testRun({ data }).retval; } finally { k.close(); }
    const ctx = `${type} program ${i}: ${JSON.stringify(prog)}`;
    assert.equal(b, a, `jit, ${ctx}`);
    assert.equal(c, a, `kernel, ${ctx}`);
    if (a !== 0) nonzero++;
    checked++;
  }
  assert.ok(nonzero > 20, `a mix of answers (${nonzero} non-zero)`);
});
