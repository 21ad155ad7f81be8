/**
 * @fileoverview Where a function of an ELF executable or shared library sits in its
 * file, for uprobes: the symbol from .symtab or .dynsym, its address turned into a file
 * offset through the section that holds it, as libbpf's elf_find_func_offset does.
 * Reads only the section headers and symbol tables of an ELF64 file (the BPF ELF reader
 * is for relocatable BPF objects; a shared library has dynamic relocations it refuses).
 */

import { readFileSync } from "node:fs";
import { AttachError } from "./attach-errors.js";
import { errno } from "./errno.js";

/** SHT_SYMTAB, SHT_DYNSYM; STT_FUNC, STT_GNU_IFUNC */
const SHT_SYMTAB = 2, SHT_DYNSYM = 11, STT_FUNC = 2, STT_GNU_IFUNC = 10;
const SYM_SIZE = 24;

interface Section { readonly type: number; readonly addr: number; readonly offset: number; readonly size: number; readonly link: number }
interface Image { readonly bytes: Uint8Array; readonly le: boolean; readonly sections: readonly Section[] }

const cache = new Map<string, Image>();

function open(path: string): Image {
  const bytes = new Uint8Array(readFileSync(path));
  const bad = (why: string) => new AttachError(`uprobe ${path}`, errno("ENOEXEC"), why);
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw bad("not an ELF file");
  if (bytes[4] !== 2) throw bad("not a 64-bit ELF file");
  const le = bytes[5] === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(v.getBigUint64(0x28, le)), shentsize = v.getUint16(0x3a, le), shnum = v.getUint16(0x3c, le);
  if (shoff + shnum * shentsize > bytes.length || (shnum > 0 && shentsize < 64)) throw bad("section headers past the end of the file");
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: v.getUint32(at + 4, le),
      addr: Number(v.getBigUint64(at + 16, le)),
      offset: Number(v.getBigUint64(at + 24, le)),
      size: Number(v.getBigUint64(at + 32, le)),
      link: v.getUint32(at + 40, le),
    });
  }
  return { bytes, le, sections };
}

/** The file offset of function `symbol` in `path`; "name@VERSION" names are matched by their name. */
export function resolveSymbol(path: string, symbol: string): number {
  let img = cache.get(path);
  if (!img) {
    img = open(path);
    cache.set(path, img);
  }
  const { bytes, le, sections } = img;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const want = symbol.split("@")[0]!;
  for (const table of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const sec of sections) {
      if (sec.type !== table || sec.offset + sec.size > bytes.length) continue;
      const strtab = sections[sec.link];
      if (!strtab || strtab.offset + strtab.size > bytes.length) continue;
      const names = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
      for (let at = sec.offset + SYM_SIZE; at + SYM_SIZE <= sec.offset + sec.size; at += SYM_SIZE) {
        const type = v.getUint8(at + 4) & 0xf;
        const shndx = v.getUint16(at + 6, le);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0 || shndx >= 0xff00) continue;
        if (cstr(names, v.getUint32(at, le)) !== want) continue;
        const home = sections[shndx];
        if (!home) continue;
        return Number(v.getBigUint64(at + 8, le)) - home.addr + home.offset;
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
