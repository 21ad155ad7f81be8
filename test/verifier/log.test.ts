/**
 * @fileoverview The log: instruction lines with the registers they touched, as the
 * kernel's level 2 prints them (checked against the kernel's own log where bpf() works),
 * the statistics line, the failing path alone at level 1, and the JSON states.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";

const PROGRAM = assemble(`
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  w0 = 0
  r4 = r2
  r4 += 8
  if r4 > r3 goto +3
  r0 = *(u8 *)(r2 + 0)
  r0 &= 15
  r0 += 1
  exit`).instructions;

const insnLines = (log: string) => log.split("\n").filter((l) => /^\d+: \(/.test(l));

test("level 2 prints each instruction with the registers it touched", () => {
  const r = verifyProgram({ instructions: PROGRAM }, { type: "xdp", logLevel: 2 });
  assert.ok(r.accepted);
  const lines = insnLines(r.log);
  assert.equal(lines[0], "0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)");
  assert.equal(lines[4], "4: (07) r4 += 8                       ; R4=pkt(off=8,r=0)");
  assert.match(r.log, /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/m);
  assert.ok(r.states && r.states.length > 0 && r.states[0]!.state.includes("R2=pkt(r=0)"));
});

test("the kernel's level-2 lines are tsbpf's", { skip }, () => {
  const k = KernelProgram.load({ type: "xdp", instructions: PROGRAM, logLevel: 2 });
  k.close();
  const ours = insnLines(verifyProgram({ instructions: PROGRAM }, { type: "xdp", logLevel: 2 }).log);
  // The straight-line part before the first branch is popped: the same text, line for line.
  const theirs = insnLines(k.log);
  assert.deepEqual(ours.slice(0, 9), theirs.slice(0, 9));
});

test("level 1 keeps the failing path, not the paths that passed", () => {
  const bad = assemble(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r0 = 0
    r4 = r2
    r4 += 8
    if r4 > r3 goto +2
    r0 = *(u8 *)(r2 + 0)
    exit
    r0 = *(u8 *)(r2 + 0)
    exit`).instructions;
  const r = verifyProgram({ instructions: bad }, { type: "xdp", logLevel: 1 });
  assert.ok(!r.accepted);
  assert.doesNotMatch(r.log, /^6: /m, "the path that passed is dropped");
  assert.match(r.log, /^from 5 to 8: /m);
  assert.match(r.log, /^8: \(71\) r0 = \*\(u8 \*\)\(r2 \+0\)$/m);
  assert.match(r.log, /R2 offset is outside of the packet\nprocessed \d+ insns/);
  assert.deepEqual(r.error!.path, ["5->8"], "the branch that led there");
});
