/**
 * @fileoverview Checks instructions against the table: an opcode must have a form, the
 * selecting fields must pick one, unused fields must be zero, registers must exist and
 * r10 must never be written. Messages use the kernel's words where it has them.
 */

import { InvalidInstructionError } from "../errors.js";
import { FRAME_POINTER, REGISTER_COUNT } from "./opcodes.js";
import { decodeRaw, type DecodeOptions, type Instruction, LDDW, slotsOf } from "./instruction.js";
import { FORMS_BY_OPCODE, formOf, type InstructionForm } from "./table.js";

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Returns the form of a valid instruction, or throws naming `index` (its slot). */
export function validateInstruction(insn: Instruction, index: number): InstructionForm {
  const { opcode, dst, src, off, imm } = insn;
  const candidates = FORMS_BY_OPCODE[opcode & 0xff] ?? [];
  if (opcode < 0 || opcode > 0xff || candidates.length === 0) {
    throw new InvalidInstructionError(index, `unknown opcode ${opcode.toString(16).padStart(2, "0")}`);
  }
  for (const [name, value] of [["dst", dst], ["src", src]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 15) throw new InvalidInstructionError(index, `${name} register field ${value} is not 4 bits`);
  }
  if (!Number.isInteger(off) || off < -0x8000 || off > 0x7fff) throw new InvalidInstructionError(index, `offset ${off} is not a signed 16-bit value`);
  if (!Number.isInteger(imm) || imm < -0x80000000 || imm > 0x7fffffff) throw new InvalidInstructionError(index, `immediate ${imm} is not a signed 32-bit value`);
  if (opcode === LDDW && insn.imm64 === undefined) throw new InvalidInstructionError(index, "invalid bpf_ld_imm64 insn: imm64 is missing");

  const form = formOf(insn);
  if (!form) throw new InvalidInstructionError(index, unselected(candidates, insn));

  // The selecting fields are fixed by the form; every other unused field must be zero.
  const s = form.select;
  const reserved: string[] = [];
  if (!form.dst && dst !== 0) reserved.push(`dst r${dst}`);
  if (s.src === undefined && !form.src && src !== 0) reserved.push(`src r${src}`);
  if (s.off === undefined && !form.off && off !== 0) reserved.push(`off ${off}`);
  if (s.imm === undefined && !form.imm && imm !== 0) reserved.push(`imm ${imm}`);
  if (reserved.length) throw new InvalidInstructionError(index, `${form.family} uses reserved fields (${reserved.join(", ")} must be 0)`);

  // Only a map value (offset) and a kernel variable (module BTF fd) use the second slot.
  if (opcode === LDDW && form.select.src !== 0 && form.id !== "lddw_map_value" && form.id !== "lddw_map_idx_value" && form.id !== "lddw_btf_id" && insn.imm64! >> 32n !== 0n) {
    throw new InvalidInstructionError(index, `unrecognized bpf_ld_imm64 insn (the second slot of ${form.id} must be 0)`);
  }
  if (form.dst && dst >= REGISTER_COUNT) throw new InvalidInstructionError(index, `R${dst} is invalid`);
  if (form.src && src >= REGISTER_COUNT) throw new InvalidInstructionError(index, `R${src} is invalid`);
  const writes = (role: string | undefined) => role === "write" || role === "readwrite";
  if ((writes(form.dst) && dst === FRAME_POINTER) || (writes(form.src) && src === FRAME_POINTER)) {
    throw new InvalidInstructionError(index, "frame pointer is read only");
  }
  return form;
}

/** Why no form of this opcode fits the selecting fields, in the kernel's words. */
function unselected(candidates: readonly InstructionForm[], insn: Instruction): string {
  const family = candidates[0]!.family;
  const code = insn.opcode.toString(16).padStart(2, "0");
  if (family === "BPF_ATOMIC") return `BPF_ATOMIC uses invalid atomic opcode ${hex(insn.imm)} for code ${code}`;
  if (family === "BPF_LD_IMM64") return `unrecognized bpf_ld_imm64 insn (src ${insn.src})`;
  const fields = new Set(candidates.flatMap((f) => Object.keys(f.select)));
  const shown = [...fields].map((k) => `${k} ${k === "src" ? insn.src : k === "off" ? insn.off : insn.imm}`);
  return `${family} uses reserved fields (${shown.join(", ")} selects no instruction of opcode ${code})`;
}

/** Validates a whole program; errors name the slot index as tools count it. */
export function validate(insns: readonly Instruction[]): InstructionForm[] {
  const forms: InstructionForm[] = [];
  let slot = 0;
  for (const insn of insns) {
    forms.push(validateInstruction(insn, slot));
    slot += slotsOf(insn);
  }
  return forms;
}

/**
 * Decodes bytecode and validates every instruction.
 *
 * @example
 * decode(new Uint8Array([0xb7, 0x00, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
 * // [{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 }, { opcode: 0x95, ... }]: r0 = 2; exit
 * decode(new Uint8Array([0xbf, 0x0a, 0, 0, 0, 0, 0, 0]));
 * // throws InvalidInstructionError: insn 0: frame pointer is read only
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Instruction[] {
  const insns = decodeRaw(bytes, options);
  validate(insns);
  return insns;
}
