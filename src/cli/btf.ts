/**
 * @fileoverview `tsbpf btf dump FILE [--format c|raw]`: an object's `.BTF` or a raw BTF file
 * (/sys/kernel/btf/vmlinux) as `bpftool btf dump file FILE [format c]` prints it.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { dumpC, dumpRaw, parseBtf, type Btf } from "../btf/index.js";
import { readElf } from "../elf/index.js";
import { BpfError } from "../errors.js";

export const BTF_USAGE = `usage: tsbpf btf dump FILE [--format c|raw] [--base FILE]
       FILE is an object (its .BTF section) or raw BTF such as /sys/kernel/btf/vmlinux;
       --base names the BTF a split BTF (a module's) extends`;

/** The BTF of a file: an ELF object's .BTF section, or the file itself. */
export function readBtfFile(path: string, base?: Btf): Btf {
  const bytes = new Uint8Array(readFileSync(path));
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  let data: Uint8Array = bytes;
  if (isElf) {
    const section = readElf(bytes).section(".BTF");
    if (!section) throw new BpfError("EINVAL", `${path}: no .BTF section`);
    data = section.data;
  }
  return parseBtf(data, base ? { base } : {});
}

export async function btfCommand(args: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "raw" },
      base: { type: "string" },
    },
  });
  const [verb, file, ...rest] = positionals;
  if (verb !== "dump" || file === undefined || rest.length > 0) {
    io.err(BTF_USAGE);
    return 2;
  }
  const format = values.format;
  if (format !== "c" && format !== "raw") throw new BpfError("EINVAL", `unknown format ${format} (c or raw)`);
  const base = values.base !== undefined ? readBtfFile(values.base) : undefined;
  const btf = readBtfFile(file, base);
  io.out(format === "c" ? dumpC(btf) : dumpRaw(btf));
  return 0;
}
