/**
 * @fileoverview Ring buffers against the kernel's: one program outputs, reserves and
 * submits, reserves and discards, and queries; a KernelRingBufReader (the kernel's pages,
 * mapped) and a RingBufReader (the runtime's) consume at the same points. Records,
 * return values (-EAGAIN and NULL when full), positions and wrap-around agree.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram, KernelRingBufReader } from "../../src/kernel/index.js";
import { createMap, RingBufMap, RingBufReader } from "../../src/maps/index.js";
import { hex, kernelLikeRuntime, pinToCpu0, runtimeOf, skip, twin } from "./diff.js";

const SOURCE = `
  r7 = *(u32 *)(r1 + 0)
  r8 = *(u32 *)(r1 + 4)
  r2 = r7
  r2 += 80
  if r2 > r8 goto bad
  r9 = *(u32 *)(r7 + 0)
  if r9 == 0 goto output
  if r9 == 1 goto reserve
  if r9 == 2 goto discard
  if r9 == 3 goto query
bad:
  r0 = 99
  exit
output:
  r1 = *(u64 *)(r7 + 16)
  *(u64 *)(r10 - 64) = r1
  r1 = *(u64 *)(r7 + 24)
  *(u64 *)(r10 - 56) = r1
  r1 = *(u64 *)(r7 + 32)
  *(u64 *)(r10 - 48) = r1
  r1 = *(u64 *)(r7 + 40)
  *(u64 *)(r10 - 40) = r1
  r1 = *(u64 *)(r7 + 48)
  *(u64 *)(r10 - 32) = r1
  r1 = *(u64 *)(r7 + 56)
  *(u64 *)(r10 - 24) = r1
  r1 = *(u64 *)(r7 + 64)
  *(u64 *)(r10 - 16) = r1
  r1 = *(u64 *)(r7 + 72)
  *(u64 *)(r10 - 8) = r1
  r1 = map[rb] ll
  r2 = r10
  r2 += -64
  r3 = *(u32 *)(r7 + 4)
  r3 &= 63
  r4 = 0
  call 130
  exit
reserve:
  r1 = map[rb] ll
  r2 = 16
  r3 = 0
  call 131
  if r0 == 0 goto null
  r1 = *(u64 *)(r7 + 16)
  *(u64 *)(r0 + 0) = r1
  r1 = *(u64 *)(r7 + 24)
  *(u64 *)(r0 + 8) = r1
  r1 = r0
  r2 = 0
  call 132
  r0 = 0
  exit
discard:
  r1 = map[rb] ll
  r2 = 16
  r3 = 0
  call 131
  if r0 == 0 goto null
  r1 = r0
  r2 = 0
  call 133
  r0 = 0
  exit
null:
  r0 = -1
  exit
query:
  r1 = map[rb] ll
  r2 = *(u32 *)(r7 + 4)
  call 134
  exit`;

test("a ring buffer gives the kernel's records, return values and positions, through wrap-around and overflow", { skip }, () => {
  pinToCpu0();
  const t = twin({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, name: "maps_rb" });
  const insns = assemble(SOURCE).instructions;
  const kprog = KernelProgram.load({ type: "xdp", name: "maps_rb", instructions: insns.map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: t.kernel.fd, imm64: BigInt(t.kernel.fd) } : i)) });
  const uprog = runtimeOf(t.user.space).load(insns, { type: "xdp", resolveLoad: (i) => (i.src === 1 ? t.user.handle : undefined) });
  const kreader = new KernelRingBufReader(t.kernel);
  const ureader = new RingBufReader(t.user as RingBufMap);
  try {
    let s = 99;
    const r = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return Math.floor((s / 0x100000000) * n); };
    const log = { kernel: [] as string[], user: [] as string[] };
    for (let i = 0; i < 3000; i++) {
      const pkt = new Uint8Array(80);
      const dv = new DataView(pkt.buffer);
      const op = r(4);
      dv.setUint32(0, op, true);
      dv.setUint32(4, op === 3 ? r(5) : r(64), true);
      for (let j = 16; j < 80; j++) pkt[j] = (i + j) & 0xff;
      const a = kprog.testRun({ data: pkt }).retval, b = uprog.testRun({ data: pkt }).retval;
      log.kernel.push(`${i} op ${op}: ${a}`);
      log.user.push(`${i} op ${op}: ${b}`);
      // Consume now and then, so the ring fills, overflows and wraps.
      if (r(150) === 0) {
        log.kernel.push(`read ${kreader.read().map(hex).join(",")}`);
        log.user.push(`read ${ureader.read().map(hex).join(",")}`);
      }
    }
    const first = log.kernel.findIndex((l, i) => l !== log.user[i]);
    assert.equal(first, -1, `first difference: kernel ${log.kernel[first]} / tsbpf ${log.user[first]}`);
    assert.ok(log.kernel.some((l) => l.endsWith(": 4294967285")), "the ring filled (-EAGAIN)");
  } finally {
    kreader.close();
    kprog.close();
    t.close();
  }
});

test("a ring buffer reader's async iterator yields records as programs submit them, until closed", async () => {
  const rt = kernelLikeRuntime();
  const rb = createMap(rt.space, { type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
  const reader = new RingBufReader(rb);
  const got: string[] = [];
  const done = (async () => { for await (const rec of reader) got.push(hex(rec)); })();
  assert.equal(rb.output(Uint8Array.of(1, 2, 3)), 0);
  await new Promise((r) => setTimeout(r, 1));
  assert.equal(rb.output(Uint8Array.of(4)), 0);
  await new Promise((r) => setTimeout(r, 1));
  reader.close();
  await done;
  assert.deepEqual(got, ["010203", "04"]);
});
