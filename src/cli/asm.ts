/**
 * @fileoverview `tsbpf asm`: assembles either syntax into raw bytecode, or into an ELF
 * object with one program section when the output ends in `.o`.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { writeElf } from "../elf/index.js";
import { R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, STT_NOTYPE } from "../elf/constants.js";
import { assemble } from "../isa/assembler.js";
import { encode, slotIndices } from "../isa/instruction.js";
import { SLOT_SIZE } from "../isa/opcodes.js";
import { validate } from "../isa/validate.js";
import type { Io } from "./io.js";

export const ASM_USAGE = "usage: tsbpf asm FILE.s -o OUT.bin|OUT.o [--section NAME] [--big-endian]";

export async function asmCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      section: { type: "string", default: "socket" },
      "big-endian": { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1 || values.output === undefined) {
    io.err(ASM_USAGE);
    return 2;
  }
  const file = positionals[0]!;
  const program = assemble(readFileSync(file, "utf8"), { fileName: file });
  validate(program.instructions);
  const littleEndian = !values["big-endian"];
  const code = encode(program.instructions, { littleEndian });
  if (program.references.length > 0 && !values.output.endsWith(".o")) {
    const names = [...new Set(program.references.map((r) => r.name))].join(", ");
    io.err(`warning: ${file}: unresolved references (${names}) are left as zero in raw bytecode`);
  }
  if (values.output.endsWith(".o")) {
    const section = values.section;
    const entry = [...program.labels].find(([, slot]) => slot === 0)?.[0] ?? section.replace(/\W/g, "_");
    // A reference stays a relocation against an undefined symbol, as clang leaves an extern,
    // for a loader or linker to resolve.
    const starts = slotIndices(program.instructions);
    const relocations = program.references.map((r) => ({
      offset: starts[r.index]! * SLOT_SIZE,
      symbol: r.name,
      type: r.kind === "call" ? R_BPF_64_32 : R_BPF_64_64,
    }));
    const externs = [...new Set(program.references.map((r) => r.name))].filter((n) => !program.labels.has(n));
    const elf = writeElf({
      littleEndian,
      sections: [{ name: section, flags: SHF_ALLOC | SHF_EXECINSTR, data: code, addralign: 8, relocations }],
      symbols: [
        { name: entry, section, value: 0, size: code.length },
        ...externs.map((name) => ({ name, section: "", value: 0, type: STT_NOTYPE })),
      ],
    });
    writeFileSync(values.output, elf);
  } else {
    writeFileSync(values.output, code);
  }
  return 0;
}
