/**
 * @fileoverview Renders one instruction as text in either syntax, from its table row:
 * LLVM's (what `llvm-objdump -d` prints) or the kernel's (verifier logs, bpftool).
 */

import { helperName } from "../helpers/names.js";
import { type Instruction, LDDW, splitImm64 } from "./instruction.js";
import { formOf, type InstructionForm } from "./table.js";

export type Syntax = "llvm" | "kernel";

/** Signed hex as LLVM prints it: `0x10`, `-0x10`. */
export function llvmHex(n: number | bigint): string {
  const v = BigInt(n);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);

/** The text of one placeholder of a template, for this instruction. */
function field(name: string, insn: Instruction, syntax: Syntax): string {
  const llvm = syntax === "llvm";
  switch (name) {
    case "dst": return String(insn.dst);
    case "src": return String(insn.src);
    case "imm": return llvm ? llvmHex(insn.imm) : String(insn.imm);
    case "ximm": return `0x${(insn.imm >>> 0).toString(16)}`;
    case "uimm": return String(insn.imm >>> 0);
    case "simm": return signed(insn.imm);
    case "off": return llvm ? ` ${insn.off < 0 ? "-" : "+"} 0x${Math.abs(insn.off).toString(16)}` : ` ${signed(insn.off)}`;
    case "target": return llvm ? (insn.off < 0 ? llvmHex(insn.off) : `+${llvmHex(insn.off)}`) : `pc${signed(insn.off)}`;
    case "ltarget": return llvm ? (insn.imm < 0 ? llvmHex(insn.imm) : `+${llvmHex(insn.imm)}`) : `pc${signed(insn.imm)}`;
    case "imm64": {
      const v = insn.imm64 ?? BigInt(insn.imm >>> 0);
      return llvm ? llvmHex(BigInt.asIntN(64, v)) : `0x${BigInt.asUintN(64, v).toString(16)}`;
    }
    case "next": return String(splitImm64(insn.imm64 ?? 0n)[1] >>> 0);
    case "helper": return `${helperName(insn.imm) ?? "unknown"}#${insn.imm}`;
    case "asdst": return llvm ? llvmHex(insn.imm >>> 16) : String(insn.imm >>> 16);
    case "assrc": return llvm ? llvmHex(insn.imm & 0xffff) : String(insn.imm & 0xffff);
    default: throw new Error(`unknown template field {${name}}`);
  }
}

/** Fills a template's `{name}` placeholders. */
export function render(template: string, insn: Instruction, syntax: Syntax): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => field(name, insn, syntax));
}

/**
 * The text of one instruction, without index or opcode prefix. An instruction no
 * form matches is shown as LLVM does (`<unknown>`) or as the kernel's `BUG_xx`.
 *
 * @example
 * const load = insn(0x61, 2, 1, 4, 0);
 * formatInstruction(load);            // "r2 = *(u32 *)(r1 + 0x4)"
 * formatInstruction(load, "kernel");  // "r2 = *(u32 *)(r1 +4)"
 */
export function formatInstruction(insn: Instruction, syntax: Syntax = "llvm", form?: InstructionForm): string {
  const f = form ?? formOf(insn);
  if (!f || (insn.opcode === LDDW && insn.imm64 === undefined && f.id !== "lddw")) {
    return syntax === "llvm" ? "<unknown>" : `BUG_${insn.opcode.toString(16).padStart(2, "0")}`;
  }
  return render(syntax === "llvm" ? f.llvm : f.kernel, insn, syntax);
}

/** A kernel-syntax line as the verifier log prints it: `(bf) r1 = r2`. */
export function formatKernelLine(insn: Instruction, form?: InstructionForm): string {
  return `(${insn.opcode.toString(16).padStart(2, "0")}) ${formatInstruction(insn, "kernel", form)}`;
}
