/**
 * @fileoverview Valid encodings of every instruction form: each used field walked
 * through its edge values while the others stay plain. Shared by the ISA tests.
 */

import { insn, type Instruction } from "../../src/isa/instruction.js";
import { FORMS, type InstructionForm, type RegisterRole } from "../../src/isa/table.js";

const OFFSETS = [0, 1, -1, 0x7fff, -0x8000, 0x10];
const IMMEDIATES = [0, 1, -1, 0x7fffffff, -0x80000000, 0x1234, 0xffff, 0x10000];
const IMM64 = [0n, 1n, 0xffffffffffffffffn, 0x100000000n, 0x7fffffff80000000n, 0xdeadbeefn];

function registers(role: RegisterRole | undefined): number[] {
  if (!role) return [0];
  const writes = role === "write" || role === "readwrite";
  return writes ? [0, 1, 9] : [0, 1, 10];
}

/** One sample instruction per edge value of each field the form uses. */
export function samplesOf(form: InstructionForm): Instruction[] {
  const s = form.select;
  const base = {
    dst: form.dst ? 1 : 0,
    src: s.src ?? (form.src ? 2 : 0),
    off: s.off ?? 0,
    imm: s.imm ?? 0,
  };
  const out: Instruction[] = [];
  const make = (f: Partial<typeof base> & { imm64?: bigint }) => {
    const v = { ...base, ...f };
    out.push(form.opcode === 0x18 ? insn(form.opcode, v.dst, v.src, v.off, f.imm64 ?? BigInt(v.imm >>> 0)) : insn(form.opcode, v.dst, v.src, v.off, v.imm));
  };
  make({});
  for (const dst of registers(form.dst)) make({ dst });
  if (s.src === undefined) for (const src of registers(form.src)) make({ src });
  if (form.off && s.off === undefined) for (const off of OFFSETS) make({ off });
  if (form.imm && s.imm === undefined) {
    if (form.opcode === 0x18 && s.src === 0) for (const imm64 of IMM64) make({ imm64 });
    else if (form.id === "addr_space_cast") for (const imm of [1, 0x10000]) make({ imm });
    else for (const imm of IMMEDIATES) make({ imm });
  }
  if (form.opcode === 0x18 && (s.src === 2 || s.src === 3 || s.src === 6)) for (const imm64 of [0x500000003n, 7n]) make({ imm64 });
  return out;
}

/** Every form's samples. */
export const ALL_SAMPLES: readonly { form: InstructionForm; insn: Instruction }[] = FORMS.flatMap((form) =>
  samplesOf(form).map((i) => ({ form, insn: i })),
);
