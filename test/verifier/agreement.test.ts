/**
 * @fileoverview tsbpf's verifier against the kernel's on the agreement suite: the same
 * verdict, and a rejection for the same reason, on each small program of cases.ts.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { insn, slotIndices, type Instruction } from "../../src/isa/instruction.js";
import { KernelMap, KernelProgram, KernelVerifierError } from "../../src/kernel/index.js";
import type { MapSpec } from "../../src/object/types.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";
import { CASES, MAPS, type Case } from "./cases.js";

function build(c: Case): { instructions: Instruction[]; references: { insnIndex: number; kind: "map"; name: string }[] } {
  const a = assemble(c.asm);
  const instructions = [...a.instructions];
  if (c.callback) {
    // The placeholder `r2 = 0 ll` becomes BPF_PSEUDO_FUNC of the callback's label.
    const k = instructions.findIndex((i) => i.opcode === 0x18 && i.dst === 2 && i.src === 0);
    const slots = slotIndices(instructions);
    const target = a.labels.get(c.callback)!;
    instructions[k] = insn(0x18, 2, 4, 0, BigInt(target - slots[k]! - 1));
  }
  return { instructions, references: a.references.map((r) => ({ insnIndex: r.index, kind: "map" as const, name: r.name })) };
}

/** The kernel's verdict: undefined when it accepts, else its log. */
function kernelVerdict(c: Case, maps: Map<string, KernelMap>): string | undefined {
  const { instructions, references } = build(c);
  for (const r of references) {
    const m = maps.get(r.name)!;
    instructions[r.insnIndex] = { ...instructions[r.insnIndex]!, imm: m.fd, imm64: BigInt(m.fd) };
  }
  try {
    const p = KernelProgram.load({ type: (c.type ?? "xdp") as "xdp", instructions, license: c.license ?? "GPL", logLevel: 1, ...(c.flags ? { flags: c.flags } : {}), ...(c.attachType ? { expectedAttachType: c.attachType as "xdp" } : {}) });
    p.close();
    return undefined;
  } catch (e) {
    if (e instanceof KernelVerifierError) return e.log;
    return (e as Error).message;
  }
}

for (const c of CASES) {
  test(`verifier agrees: ${c.name}`, () => {
    const { instructions, references } = build(c);
    const r = verifyProgram({ instructions, references, license: c.license ?? "GPL", ...(c.flags ? { flags: c.flags } : {}) }, { maps: MAPS as MapSpec[], type: c.type ?? "xdp", ...(c.attachType ? { attachType: c.attachType } : {}) });
    if (c.accept) assert.ok(r.accepted, `tsbpf rejected: ${r.error?.message}\n${r.log}`);
    else {
      assert.ok(!r.accepted, "tsbpf accepted");
      assert.match([...r.error!.detail, r.error!.message].join("\n"), c.reject!);
    }
  });
}

test("the kernel agrees with the suite", { skip }, () => {
  const maps = new Map<string, KernelMap>();
  const unique = `verifier_${process.pid}`;
  try {
    for (const m of MAPS) maps.set(m.name, KernelMap.create({ type: m.type as "hash", keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: `${m.name}_${unique}`.slice(0, 15) }));
    const wrong: string[] = [];
    for (const c of CASES) {
      if (c.kernelSkip) continue;
      const log = kernelVerdict(c, maps);
      if (c.accept && log !== undefined) wrong.push(`${c.name}: the kernel rejects: ${log.trim().split("\n").slice(-2).join(" | ")}`);
      if (!c.accept && log === undefined) wrong.push(`${c.name}: the kernel accepts`);
      if (!c.accept && log !== undefined && !(c.kernel ?? c.reject!).test(log)) wrong.push(`${c.name}: the kernel says ${log.trim().split("\n").slice(-2).join(" | ")}`);
    }
    assert.deepEqual(wrong, []);
  } finally {
    for (const m of maps.values()) m.close();
  }
});
