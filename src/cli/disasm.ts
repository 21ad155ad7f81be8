/**
 * @fileoverview `tsbpf disasm`: an object's programs (or raw bytecode) in LLVM's syntax,
 * line for line as llvm-objdump -d prints them, or in the kernel's.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readElf } from "../elf/index.js";
import { codeSections, listObject } from "../object/listing.js";
import { listInstructions, listingLines } from "../isa/disassembler.js";
import type { Syntax } from "../isa/format.js";
import { validateInstruction } from "../isa/validate.js";
import { BpfError } from "../errors.js";
import type { Io } from "./io.js";

export const DISASM_USAGE = `usage: tsbpf disasm FILE.o [--section NAME] [--syntax llvm|kernel] [-r|--reloc] [-S|--source] [--linum]
       tsbpf disasm --raw FILE.bin [--syntax llvm|kernel] [--big-endian]`;

export async function disasmCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      section: { type: "string" },
      syntax: { type: "string", default: "llvm" },
      raw: { type: "boolean", default: false },
      "big-endian": { type: "boolean", default: false },
      reloc: { type: "boolean", short: "r", default: false },
      source: { type: "boolean", short: "S", default: false },
      linum: { type: "boolean", default: false },
    },
  });
  const syntax = values.syntax as Syntax;
  if (syntax !== "llvm" && syntax !== "kernel") throw new BpfError("EINVAL", `unknown syntax ${values.syntax} (llvm or kernel)`);
  if (positionals.length !== 1) {
    io.err(DISASM_USAGE);
    return 2;
  }
  const file = positionals[0]!;
  const bytes = new Uint8Array(readFileSync(file));
  if (values.raw) {
    const listed = listInstructions(bytes, !values["big-endian"]);
    warnInvalid(listed, io, file);
    io.out(listingLines(listed, { syntax }).join("\n"));
    return 0;
  }
  const elf = readElf(bytes);
  if (values.section !== undefined && !codeSections(elf).some((s) => s.name === values.section)) {
    throw new BpfError("EINVAL", `${file}: no program section ${values.section}`);
  }
  for (const section of codeSections(elf)) {
    if (values.section === undefined || section.name === values.section) {
      warnInvalid(listInstructions(section.data, elf.littleEndian), io, `${file}: section ${section.name}`);
    }
  }
  io.out(listObject(elf, { syntax, fileName: file, relocations: values.reloc, source: values.linum ? "linum" : values.source, ...(values.section !== undefined ? { section: values.section } : {}) }).replace(/\n$/, ""));
  return 0;
}

/** Shows invalid encodings (printed as `<unknown>`) with the reason, on stderr. */
function warnInvalid(listed: ReturnType<typeof listInstructions>, io: Io, where: string) {
  for (const { slot, insn } of listed) {
    try {
      validateInstruction(insn, slot);
    } catch (e) {
      io.err(`warning: ${where}: ${(e as Error).message}`);
    }
  }
}
