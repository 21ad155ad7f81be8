/**
 * @fileoverview Loads the verifier proved inside the packet: the verifier names them
 * (`packetLoads`, only loads that read a packet pointer within its proven range on every
 * path), fast JIT code drops their bounds check and gives the interpreter's results, and
 * checked runs keep every check whatever they are told.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { Runtime } from "../../src/runtime/index.js";
import { verifyProgram } from "../../src/verifier/index.js";

// Slots 6 and 7 read the four bytes the branch at slot 5 proved inside the packet;
// slots 0 and 1 read the context.
const SUM_TWO = assemble(`
  r2 = *(u32 *)(r1 + 4)
  r1 = *(u32 *)(r1 + 0)
  r0 = 0
  r3 = r1
  r3 += 4
  if r3 > r2 goto out
  r0 = *(u16 *)(r1 + 0)
  r4 = *(u16 *)(r1 + 2)
  r0 += r4
out:
  exit`).instructions;

// Slot 8 reads through r1, a packet pointer on one path and the stack on the other.
const MIXED = assemble(`
  r2 = *(u32 *)(r1 + 4)
  r1 = *(u32 *)(r1 + 0)
  r3 = r1
  r3 += 8
  if r3 <= r2 goto read
  r4 = 7
  *(u64 *)(r10 - 8) = r4
  r1 = r10
  r1 += -8
read:
  r0 = *(u32 *)(r1 + 0)
  exit`).instructions;

test("the verifier names the loads it proved inside the packet, and no others", () => {
  const sum = verifyProgram({ instructions: SUM_TWO }, { type: "xdp" });
  assert.ok(sum.accepted);
  assert.deepEqual([...sum.packetLoads!].sort((a, b) => a - b), [6, 7]);
  const mixed = verifyProgram({ instructions: MIXED }, { type: "xdp" });
  assert.ok(mixed.accepted);
  assert.deepEqual([...mixed.packetLoads!], []);
  const rejected = verifyProgram({ instructions: assemble("r0 = *(u8 *)(r1 + 0)\nr1 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r1 + 0)\nexit").instructions }, { type: "xdp" });
  assert.equal(rejected.accepted, false);
  assert.equal(rejected.packetLoads, undefined);
});

const packet = (n: number) => Uint8Array.from({ length: n }, (_, k) => (k * 37 + 11) & 0xff);

test("fast JIT code skips the check of a proven load and gives the interpreter's results", () => {
  const rt = new Runtime();
  const proven = rt.load(SUM_TWO, { type: "xdp", mode: "fast", engine: "jit", packetLoads: new Set([6, 7]) });
  const plain = rt.load(SUM_TWO, { type: "xdp", mode: "fast", engine: "jit" });
  const interp = rt.load(SUM_TWO, { type: "xdp", mode: "fast", engine: "interp" });
  assert.ok(proven.jitCode!.module!.length < plain.jitCode!.module!.length, "no site code for the proven loads");
  for (const n of [0, 1, 3, 4, 5, 64, 1500]) {
    const want = interp.testRun({ data: packet(n) }).retval;
    assert.equal(proven.testRun({ data: packet(n) }).retval, want, `${n} bytes`);
    assert.equal(plain.testRun({ data: packet(n) }).retval, want, `${n} bytes`);
  }
});

test("checked runs keep every check, whatever loads they are told are proven", () => {
  // Reads past data_end with no check: the claim is false, and a checked run must fault.
  const hostile = assemble("r1 = *(u32 *)(r1 + 0)\nr0 = *(u64 *)(r1 + 4000)\nexit").instructions;
  const rt = new Runtime();
  const p = rt.load(hostile, { type: "xdp", mode: "checked", engine: "jit", packetLoads: new Set([1]) });
  assert.throws(() => p.testRun({ data: packet(64) }), /out of bounds|invalid|fault/i);
});

test("loadObject verifies first and runs checksum's packet loads unchecked, with the interpreter's results", async () => {
  const bytes = new Uint8Array(readFileSync(new URL("../../bench/progs/checksum.bpf.o", import.meta.url)));
  const spec = loadObjectSpec(bytes, { name: "checksum.bpf.o" });
  const jit = await loadObject(spec, { engine: "jit" });
  const interp = await loadObject(spec, { engine: "interp" });
  try {
    const jp = jit.programs.get("checksum")!, ip = interp.programs.get("checksum")!;
    assert.equal(jp.compiled.packetLoads?.size, 1);
    for (const n of [0, 1, 2, 63, 64, 1499, 1500, 3000]) {
      assert.equal(jp.testRun({ data: packet(n) }).retval, ip.testRun({ data: packet(n) }).retval, `${n} bytes`);
    }
  } finally {
    jit.close();
    interp.close();
  }
});
