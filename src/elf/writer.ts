/**
 * @fileoverview Writes a small relocatable ELF64 object for EM_BPF: the given sections,
 * a section symbol for each, the given symbols, and SHT_REL relocations, as LLVM lays them out.
 */

import { ElfError } from "../errors.js";
import {
  EM_BPF,
  ET_REL,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_INFO_LINK,
  SHF_WRITE,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
} from "./constants.js";

export interface ElfWriterSection {
  name: string;
  /** default SHT_PROGBITS */
  type?: number;
  /** default SHF_ALLOC | SHF_EXECINSTR for SHT_PROGBITS (code), SHF_ALLOC | SHF_WRITE for SHT_NOBITS */
  flags?: bigint;
  /** the contents; for SHT_NOBITS only its length counts */
  data: Uint8Array;
  /** default 8, an instruction's size */
  addralign?: number;
  /**
   * Written as SHT_REL in `.rel<name>`, so any addend goes in `data` (as LLVM does for BPF).
   * `symbol` names a symbol, or failing that a section (meaning its section symbol).
   */
  relocations?: { offset: number; symbol: string; type: number }[];
}

export interface ElfWriterSymbol {
  name: string;
  /** the section it is defined in; "" for an undefined (extern) symbol */
  section: string;
  value: number;
  size?: number;
  /** default STT_FUNC */
  type?: number;
  /** default STB_GLOBAL */
  bind?: number;
}

export interface ElfWriterSpec {
  sections: ElfWriterSection[];
  symbols?: ElfWriterSymbol[];
  /** default true (bpfel) */
  littleEndian?: boolean;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

/** One section as it will be written, user-given or generated. */
interface OutSection {
  name: string;
  type: number;
  flags: bigint;
  data: Uint8Array;
  /** for SHT_NOBITS, where data is not written */
  size: number;
  addralign: number;
  link: number;
  info: number;
  entsize: number;
  nameOffset: number;
  offset: number;
}

interface OutSymbol {
  nameOffset: number;
  info: number;
  shndx: number;
  value: number;
  size: number;
}

const utf8 = new TextEncoder();

/** Appends NUL-terminated strings, each once; offset 0 is the empty string. */
class StringTable {
  #bytes: number[] = [0];
  #seen = new Map<string, number>([["", 0]]);
  add(s: string): number {
    let at = this.#seen.get(s);
    if (at === undefined) {
      at = this.#bytes.length;
      this.#bytes.push(...utf8.encode(s), 0);
      this.#seen.set(s, at);
    }
    return at;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** Builds the object. Throws ElfError for a spec that cannot be written (unknown names, bad offsets). */
export function writeElf(spec: ElfWriterSpec): Uint8Array {
  const le = spec.littleEndian ?? true;
  const user = spec.sections;
  const shstr = new StringTable();
  const str = new StringTable();

  // Layout of the section header table: null, the caller's sections in order (so their
  // indices are 1..n), one .rel section per relocated section, then the tables.
  const sectionIndex = new Map<string, number>();
  const out: OutSection[] = [blank("", 0)];
  for (const s of user) {
    if (sectionIndex.has(s.name)) throw new ElfError("section defined twice", { section: s.name });
    if (s.name === "") throw new ElfError("a section needs a name");
    const type = s.type ?? SHT_PROGBITS;
    const align = s.addralign ?? 8;
    if (!Number.isInteger(align) || align < 0 || (align > 1 && (align & (align - 1)) !== 0)) {
      throw new ElfError(`addralign ${align} is not a power of two`, { section: s.name });
    }
    sectionIndex.set(s.name, out.length);
    out.push({
      ...blank(s.name, type),
      flags: s.flags ?? defaultFlags(type),
      data: s.data,
      size: s.data.length,
      addralign: align,
    });
  }

  const symbols = layoutSymbols(spec.symbols ?? [], user, sectionIndex, str);
  const symtabIndex = out.length + user.filter((s) => s.relocations?.length).length;

  for (const s of user) {
    if (!s.relocations?.length) continue;
    const target = sectionIndex.get(s.name)!;
    const rel = new Uint8Array(s.relocations.length * REL_SIZE);
    const view = new DataView(rel.buffer);
    s.relocations.forEach((r, i) => {
      if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset >= s.data.length) {
        throw new ElfError(`relocation offset ${r.offset} is outside the section (${s.data.length} bytes)`, { section: s.name });
      }
      const sym = symbols.byName.get(r.symbol) ?? symbols.sectionSymbol.get(r.symbol);
      if (sym === undefined) throw new ElfError(`relocation names unknown symbol ${r.symbol}`, { section: s.name });
      view.setBigUint64(i * REL_SIZE, BigInt(r.offset), le);
      view.setBigUint64(i * REL_SIZE + 8, (BigInt(sym) << 32n) | BigInt(r.type >>> 0), le);
    });
    out.push({ ...blank(`.rel${s.name}`, SHT_REL), flags: SHF_INFO_LINK, data: rel, size: rel.length, addralign: 8, link: symtabIndex, info: target, entsize: REL_SIZE });
  }

  const symtab = new Uint8Array(symbols.list.length * SYM_SIZE);
  const sv = new DataView(symtab.buffer);
  symbols.list.forEach((sym, i) => {
    const at = i * SYM_SIZE;
    sv.setUint32(at, sym.nameOffset, le);
    sv.setUint8(at + 4, sym.info);
    sv.setUint16(at + 6, sym.shndx, le);
    sv.setBigUint64(at + 8, BigInt(sym.value), le);
    sv.setBigUint64(at + 16, BigInt(sym.size), le);
  });
  out.push({ ...blank(".symtab", SHT_SYMTAB), data: symtab, size: symtab.length, addralign: 8, link: symtabIndex + 1, info: symbols.firstGlobal, entsize: SYM_SIZE });
  const strtab = str.bytes();
  out.push({ ...blank(".strtab", SHT_STRTAB), data: strtab, size: strtab.length, addralign: 1 });
  const shstrtabIndex = out.length;
  out.push({ ...blank(".shstrtab", SHT_STRTAB), addralign: 1 });
  for (const s of out) s.nameOffset = shstr.add(s.name);
  const shstrtab = shstr.bytes();
  out[shstrtabIndex]!.data = shstrtab;
  out[shstrtabIndex]!.size = shstrtab.length;
  if (out.length >= SHN_LORESERVE) throw new ElfError(`${out.length} sections need extended numbering, which the writer does not do`);

  // File layout: header, each section's bytes at its alignment, then the header table.
  let end = EHDR_SIZE;
  for (const s of out.slice(1)) {
    end = alignUp(end, Math.max(s.addralign, 1));
    s.offset = end;
    if (s.type !== SHT_NOBITS) end += s.data.length;
  }
  const shoff = alignUp(end, 8);
  const file = new Uint8Array(shoff + out.length * SHDR_SIZE);
  const v = new DataView(file.buffer);

  file.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, le ? 1 : 2 /* ELFDATA2LSB/MSB */, 1 /* EV_CURRENT */]);
  v.setUint16(16, ET_REL, le);
  v.setUint16(18, EM_BPF, le);
  v.setUint32(20, 1, le); // e_version
  v.setBigUint64(40, BigInt(shoff), le);
  v.setUint16(52, EHDR_SIZE, le);
  v.setUint16(58, SHDR_SIZE, le);
  v.setUint16(60, out.length, le);
  v.setUint16(62, shstrtabIndex, le);

  out.forEach((s, i) => {
    if (i > 0 && s.type !== SHT_NOBITS) file.set(s.data, s.offset);
    const at = shoff + i * SHDR_SIZE;
    v.setUint32(at, s.nameOffset, le);
    v.setUint32(at + 4, s.type, le);
    v.setBigUint64(at + 8, s.flags, le);
    v.setBigUint64(at + 24, BigInt(s.offset), le);
    v.setBigUint64(at + 32, BigInt(s.size), le);
    v.setUint32(at + 40, s.link, le);
    v.setUint32(at + 44, s.info, le);
    v.setBigUint64(at + 48, BigInt(s.addralign), le);
    v.setBigUint64(at + 56, BigInt(s.entsize), le);
  });
  return file;
}

function blank(name: string, type: number): OutSection {
  return { name, type, flags: 0n, data: new Uint8Array(0), size: 0, addralign: 0, link: 0, info: 0, entsize: 0, nameOffset: 0, offset: 0 };
}

function defaultFlags(type: number): bigint {
  if (type === SHT_PROGBITS) return SHF_ALLOC | SHF_EXECINSTR;
  if (type === SHT_NOBITS) return SHF_ALLOC | SHF_WRITE;
  return 0n;
}

const alignUp = (n: number, align: number): number => Math.ceil(n / align) * align;

/**
 * The symbol table: the null symbol, a section symbol per section, then the locals,
 * then the rest, since ELF wants every STB_LOCAL first and .symtab's sh_info to point past them.
 */
function layoutSymbols(
  given: readonly ElfWriterSymbol[],
  sections: readonly ElfWriterSection[],
  sectionIndex: ReadonlyMap<string, number>,
  str: StringTable,
): { list: OutSymbol[]; firstGlobal: number; byName: Map<string, number>; sectionSymbol: Map<string, number> } {
  const list: OutSymbol[] = [{ nameOffset: 0, info: 0, shndx: SHN_UNDEF, value: 0, size: 0 }];
  const sectionSymbol = new Map<string, number>();
  for (const s of sections) {
    sectionSymbol.set(s.name, list.length);
    list.push({ nameOffset: 0, info: (STB_LOCAL << 4) | STT_SECTION, shndx: sectionIndex.get(s.name)!, value: 0, size: 0 });
  }
  const byName = new Map<string, number>();
  const locals = given.filter((s) => (s.bind ?? STB_GLOBAL) === STB_LOCAL);
  const others = given.filter((s) => (s.bind ?? STB_GLOBAL) !== STB_LOCAL);
  for (const sym of [...locals, ...others]) {
    if (byName.has(sym.name)) throw new ElfError(`symbol ${sym.name} defined twice`, { section: sym.section || undefined });
    let shndx = SHN_UNDEF;
    if (sym.section !== "") {
      const index = sectionIndex.get(sym.section);
      if (index === undefined) throw new ElfError(`symbol ${sym.name} is in unknown section ${sym.section}`);
      const length = sections[index - 1]!.data.length;
      if (!Number.isInteger(sym.value) || sym.value < 0 || sym.value > length) {
        throw new ElfError(`symbol ${sym.name} value ${sym.value} is outside the section (${length} bytes)`, { section: sym.section });
      }
      shndx = index;
    }
    byName.set(sym.name, list.length);
    list.push({
      nameOffset: str.add(sym.name),
      info: (((sym.bind ?? STB_GLOBAL) & 0xf) << 4) | ((sym.type ?? STT_FUNC) & 0xf),
      shndx,
      value: sym.value,
      size: sym.size ?? 0,
    });
  }
  return { list, firstGlobal: 1 + sections.length + locals.length, byName, sectionSymbol };
}
