/**
 * @fileoverview Listings of bytecode: splits slots leniently (an invalid slot is shown,
 * not thrown, as llvm-objdump does) and lays instructions out in either syntax.
 */

import { type Instruction, joinImm64, LDDW } from "./instruction.js";
import { formOf } from "./table.js";
import { formatInstruction, type Syntax } from "./format.js";
import { SLOT_SIZE } from "./opcodes.js";

/** One decoded slot of a listing: its slot index and the instruction starting there. */
export interface ListedInstruction {
  readonly slot: number;
  readonly insn: Instruction;
}

/**
 * Splits bytecode into instructions for display. Unlike `decode`, it never throws: a
 * 64-bit load whose second slot is missing is shown as a one-slot instruction, and
 * invalid encodings are kept for the printer to mark.
 */
export function listInstructions(bytes: Uint8Array, littleEndian = true): ListedInstruction[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = Math.floor(bytes.length / SLOT_SIZE);
  const out: ListedInstruction[] = [];
  const read = (slot: number) => {
    const at = slot * SLOT_SIZE;
    const regs = view.getUint8(at + 1);
    return {
      opcode: view.getUint8(at),
      dst: littleEndian ? regs & 0xf : regs >> 4,
      src: littleEndian ? regs >> 4 : regs & 0xf,
      off: view.getInt16(at + 2, littleEndian),
      imm: view.getInt32(at + 4, littleEndian),
    };
  };
  for (let slot = 0; slot < slots; slot++) {
    const insn = read(slot);
    if (insn.opcode === LDDW && slot + 1 < slots) {
      out.push({ slot, insn: { ...insn, imm64: joinImm64(insn.imm, read(slot + 1).imm) } });
      slot++;
    } else {
      out.push({ slot, insn });
    }
  }
  return out;
}

/** Where a jump or local call lands, as a slot index, or undefined for other instructions. */
export function branchTarget({ slot, insn }: ListedInstruction): number | undefined {
  const form = formOf(insn);
  if (!form) return undefined;
  if (form.llvm.includes("{target}")) return slot + 1 + insn.off;
  if (form.id === "gotol") return slot + 1 + insn.imm;
  if (form.id === "call_local") return slot + 1 + insn.imm;
  return undefined;
}

export interface ListingOptions {
  readonly syntax?: Syntax;
  /**
   * Names a slot for `<name+0xoff>` annotations of jump targets, as llvm-objdump does:
   * given a slot, the nearest symbol at or before it and its slot.
   */
  readonly symbolAt?: (slot: number) => { name: string; slot: number } | undefined;
  /** Names the target of a call the listing cannot see, such as one a relocation sets. */
  readonly callTarget?: (slot: number) => string | undefined;
}

/**
 * Lines of a listing: LLVM syntax as llvm-objdump lays it out (`      12:\tr1 = r2`),
 * kernel syntax as bpftool does (`  12: (bf) r1 = r2`).
 */
export function listingLines(listed: readonly ListedInstruction[], options: ListingOptions = {}): string[] {
  const syntax = options.syntax ?? "llvm";
  return listed.map((entry) => {
    const { slot, insn } = entry;
    const text = formatInstruction(insn, syntax);
    if (syntax === "kernel") return `${String(slot).padStart(4)}: (${insn.opcode.toString(16).padStart(2, "0")}) ${text}`;
    return `${String(slot).padStart(8)}:\t${text}${annotation(entry, options)}`;
  });
}

/**
 * The `<...>` after an LLVM-syntax line. For jumps it names the target as llvm-objdump
 * does. LLVM prints every call as `call IMM`, losing whether it is a helper, a local
 * function or a kfunc; the annotation keeps that, so the text assembles back exactly.
 */
function annotation(entry: ListedInstruction, options: ListingOptions): string {
  const id = formOf(entry.insn)?.id;
  if (id === "call_kfunc") return " <kfunc>";
  const relocated = id === "call_local" ? options.callTarget?.(entry.slot) : undefined;
  if (relocated) return ` <${relocated}>`;
  const target = branchTarget(entry);
  if (target === undefined) return "";
  const symbol = options.symbolAt?.(target);
  if (!symbol) return id === "call_local" ? ` <pc${entry.insn.imm < 0 ? "" : "+"}${entry.insn.imm}>` : "";
  const delta = (target - symbol.slot) * SLOT_SIZE;
  return delta === 0 ? ` <${symbol.name}>` : ` <${symbol.name}+0x${delta.toString(16)}>`;
}
