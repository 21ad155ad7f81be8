/**
 * @fileoverview Perf event arrays against the kernel's: the same program writes samples
 * of every length from 1 to 63 bytes with BPF_F_CURRENT_CPU, read back with a
 * KernelPerfReader (perf_event_open and the kernel's mapped rings) and a PerfReader
 * (the runtime's buffers): the same samples, padded alike, from the same CPU.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelPerfReader, KernelProgram } from "../../src/kernel/index.js";
import { PerfReader, type PerfEventArrayMap } from "../../src/maps/index.js";
import { hex, pinToCpu0, runtimeOf, skip, twin } from "./diff.js";

const copy = Array.from({ length: 8 }, (_, i) => `r1 = *(u64 *)(r7 + ${8 + 8 * i})\n*(u64 *)(r10 - ${64 - 8 * i}) = r1`).join("\n");
const SOURCE = `
  r6 = r1
  r7 = *(u32 *)(r1 + 0)
  r8 = *(u32 *)(r1 + 4)
  r2 = r7
  r2 += 72
  if r2 > r8 goto out
  ${copy}
  r5 = *(u32 *)(r7 + 0)
  r5 &= 63
  r1 = r6
  r2 = map[m] ll
  r3 = 0xffffffff ll
  r4 = r10
  r4 += -64
  call 25
  exit
out:
  r0 = 99
  exit`;

test("bpf_perf_event_output samples read back the same from the kernel's rings and the runtime's buffers", { skip }, () => {
  pinToCpu0();
  const t = twin({ type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 2, name: "maps_perf" });
  const insns = assemble(SOURCE).instructions;
  const kprog = KernelProgram.load({ type: "xdp", name: "maps_perf", instructions: insns.map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: t.kernel.fd, imm64: BigInt(t.kernel.fd) } : i)) });
  const uprog = runtimeOf(t.user.space).load(insns, { type: "xdp", resolveLoad: (i) => (i.src === 1 ? t.user.handle : undefined) });
  const kreader = new KernelPerfReader(t.kernel);
  const ureader = new PerfReader(t.user as PerfEventArrayMap);
  try {
    const rets: string[][] = [[], []];
    for (let n = 1; n < 64; n++) {
      const pkt = new Uint8Array(72);
      pkt[0] = n;
      for (let j = 8; j < 72; j++) pkt[j] = (n * 7 + j) & 0xff;
      rets[0]!.push(String(kprog.testRun({ data: pkt }).retval));
      rets[1]!.push(String(uprog.testRun({ data: pkt }).retval));
    }
    assert.deepEqual(rets[1], rets[0]);
    const k = kreader.read().map((s) => `${s.cpu}:${hex(s.data)}`), u = ureader.read().map((s) => `${s.cpu}:${hex(s.data)}`);
    assert.equal(k.length, 63);
    assert.deepEqual(u, k);
  } finally {
    kreader.close();
    ureader.close();
    kprog.close();
    t.close();
  }
});
