/**
 * @fileoverview `tsbpf asm`: assembles either syntax into raw bytecode, or into an ELF
 * object with one program section when the output ends in `.o`.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { writeElf } from "../elf/index.js";
import { SHF_ALLOC, SHF_EXECINSTR } from "../elf/constants.js";
import { assemble } from "../isa/assembler.js";
import { encode } from "../isa/instruction.js";
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
    const elf = writeElf({
      littleEndian,
      sections: [{ name: section, flags: SHF_ALLOC | SHF_EXECINSTR, data: code, addralign: 8 }],
      symbols: [{ name: entry, section, value: 0, size: code.length }],
    });
    writeFileSync(values.output, elf);
  } else {
    writeFileSync(values.output, code);
  }
  return 0;
}
