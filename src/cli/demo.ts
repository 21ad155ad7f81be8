/**
 * @fileoverview `tsbpf demo` (npm start): what tsbpf does with the bundled examples.
 * For now it loads each example object and prints its programs and their disassembly.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readElf } from "../elf/index.js";
import { codeSections, listObject } from "../elf/listing.js";
import { decode } from "../isa/validate.js";
import type { Io } from "./io.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

export async function demoCommand(args: string[], io: Io): Promise<number> {
  const dir = args[0] ?? EXAMPLES;
  const objects = readdirSync(dir).filter((f) => f.endsWith(".o")).sort();
  for (const name of objects) {
    const path = join(dir, name);
    const elf = readElf(new Uint8Array(readFileSync(path)));
    io.out(`== ${name}`);
    for (const section of codeSections(elf)) {
      const insns = decode(section.data, { littleEndian: elf.littleEndian });
      const names = elf.symbolsIn(section.index).filter((s) => s.type === 2).map((s) => s.name);
      io.out(`program section ${section.name}: ${names.join(", ") || "(no symbol)"}, ${insns.length} instructions, ${section.size / 8} slots`);
    }
    io.out(listObject(elf, { fileName: relative(process.cwd(), path) || path }));
  }
  return 0;
}
