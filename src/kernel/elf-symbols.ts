/**
 * @fileoverview Where a function of an ELF executable or shared library sits in its
 * file, for uprobes: the symbol from .symtab or .dynsym, its address turned into a file
 * offset through the section that holds it, as libbpf's elf_find_func_offset does.
 */

import { readFileSync } from "node:fs";
import { readElf, type ElfFile } from "../elf/reader.js";
import { AttachError } from "./attach-errors.js";
import { errno } from "./errno.js";

/** SHT_SYMTAB, SHT_DYNSYM; STT_FUNC, STT_GNU_IFUNC */
const SHT_SYMTAB = 2, SHT_DYNSYM = 11, STT_FUNC = 2, STT_GNU_IFUNC = 10;
const SYM_SIZE = 24;

const cache = new Map<string, ElfFile>();

/** The file offset of function `symbol` in `path`; "name@VERSION" names are matched by their name. */
export function resolveSymbol(path: string, symbol: string): number {
  let elf = cache.get(path);
  if (!elf) {
    elf = readElf(new Uint8Array(readFileSync(path)));
    cache.set(path, elf);
  }
  const want = symbol.split("@")[0]!;
  for (const table of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const sec of elf.sections) {
      if (sec.type !== table) continue;
      const strtab = elf.sections[sec.link];
      if (!strtab) continue;
      const v = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
      for (let at = SYM_SIZE; at + SYM_SIZE <= sec.data.length; at += SYM_SIZE) {
        const info = v.getUint8(at + 4);
        const type = info & 0xf;
        const shndx = v.getUint16(at + 6, elf.littleEndian);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0 || shndx >= 0xff00) continue;
        const name = cstr(strtab.data, v.getUint32(at, elf.littleEndian));
        if (name !== want) continue;
        const value = Number(v.getBigUint64(at + 8, elf.littleEndian));
        const home = elf.sections[shndx]!;
        return value - Number(home.addr) + home.offset;
      }
    }
  }
  throw new AttachError(`uprobe ${path}:${symbol}`, errno("ENOENT"), `no function ${symbol} in ${path}`);
}

function cstr(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}
