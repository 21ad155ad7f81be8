/**
 * @fileoverview The agreement suite's kernel side, shared by agreement.test.ts and the
 * unprivileged loader it runs as another user (unpriv-load.ts): build a case, load it, compare.
 */

import { assemble } from "../../src/isa/assembler.js";
import { insn, slotIndices, type Instruction } from "../../src/isa/instruction.js";
import { KernelMap, KernelProgram, KernelVerifierError } from "../../src/kernel/index.js";
import { MAPS, type Case } from "./cases.js";

export function build(c: Case): { instructions: Instruction[]; references: { insnIndex: number; kind: "map"; name: string }[] } {
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
export function kernelVerdict(c: Case, maps: Map<string, KernelMap>): string | undefined {
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

/** The suite's maps, created in the kernel. */
export function createMaps(only?: ReadonlySet<string>): Map<string, KernelMap> {
  const maps = new Map<string, KernelMap>();
  const unique = `verifier_${process.pid}`;
  for (const m of MAPS) {
    if (only && !only.has(m.name)) continue;
    maps.set(m.name, KernelMap.create({ type: m.type as "hash", keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: `${m.name}_${unique}`.slice(0, 15) }));
  }
  return maps;
}

/** How the kernel's verdict on a case differs from the case's, if it does. */
export function disagreement(c: Case, log: string | undefined): string | undefined {
  const last = (l: string) => l.trim().split("\n").slice(-2).join(" | ");
  if (c.accept && log !== undefined) return `${c.name}: the kernel rejects: ${last(log)}`;
  if (!c.accept && log === undefined) return `${c.name}: the kernel accepts`;
  if (!c.accept && log !== undefined && !(c.kernel ?? c.reject!).test(log)) return `${c.name}: the kernel says ${last(log)}`;
  return undefined;
}
