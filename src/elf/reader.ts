/**
 * @fileoverview Reads an ELF64 object (what `clang -target bpf -c` emits) from bytes:
 * sections, the symbol table and relocations, in either byte order. Every table is
 * bounds-checked before it is read, so hostile input ends in an ElfError, never a RangeError.
 */

import { ElfError } from "../errors.js";
import {
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from "./constants.js";

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** sh_type, an SHT_* value */
  readonly type: number;
  /** sh_flags, SHF_* bits */
  readonly flags: bigint;
  readonly addr: bigint;
  /** sh_offset: where the bytes start in the file */
  readonly offset: number;
  /** sh_size: for SHT_NOBITS the size in memory, since there are no bytes */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** the section's bytes (empty for SHT_NOBITS), a view into the input, not a copy */
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  /** the index in .symtab, which relocations use */
  readonly index: number;
  readonly name: string;
  /** st_value: in a relocatable object, the offset in its section */
  readonly value: number;
  readonly size: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
  /** STV_*: the low two bits of st_other */
  readonly visibility: number;
  /** st_shndx, with SHN_XINDEX already resolved; SHN_UNDEF, SHN_ABS and SHN_COMMON stay as they are */
  readonly sectionIndex: number;
}

export interface ElfRelocation {
  /** r_offset: the byte offset in the section the relocation applies to */
  readonly offset: number;
  readonly symbolIndex: number;
  /** R_BPF_* for EM_BPF */
  readonly type: number;
  /** r_addend; 0n for SHT_REL, where the addend sits in the bytes being relocated */
  readonly addend: bigint;
}

export interface ElfFile {
  readonly littleEndian: boolean;
  /** e_machine, EM_BPF for a BPF object */
  readonly machine: number;
  /** e_type, ET_REL for an object from the compiler */
  readonly type: number;
  readonly flags: number;
  /** index 0 is the null section; [] if the file has no section header table */
  readonly sections: readonly ElfSection[];
  /** .symtab, index 0 is the null symbol; [] if none */
  readonly symbols: readonly ElfSymbol[];
  /** The first section with this name. */
  section(name: string): ElfSection | undefined;
  /** Relocations that apply to the section with this index (from SHT_REL/SHT_RELA whose sh_info is it). */
  relocationsFor(sectionIndex: number): readonly ElfRelocation[];
  /** Symbols defined in that section, sorted by value then by symbol index. */
  symbolsIn(sectionIndex: number): readonly ElfSymbol[];
}

// Fixed sizes of ELF64 structures; the headers' own size fields must agree.
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;

const NONE: readonly never[] = Object.freeze([]);
const utf8 = new TextDecoder();

/** Reads fixed-width fields in the file's byte order. Callers check bounds first. */
class Fields {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(at: number): number {
    return this.bytes[at]!;
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  big(at: number): bigint {
    return this.view.getBigUint64(at, this.le);
  }
  /** A 64-bit field that must fit a JS number (offsets, sizes); `what` names it in the error. */
  num(at: number, what: string, section?: string): number {
    const lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    const hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    if (hi > 0x1fffff) throw new ElfError(`${what} 0x${this.big(at).toString(16)} is too large`, { section, offset: at });
    return hi * 0x1_0000_0000 + lo;
  }
}

/** The raw fields of one section header, before its name is known. */
interface RawSection {
  nameOffset: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** file offset of this header, for messages */
  at: number;
}

/** Parses and validates an ELF64 object. Throws ElfError for anything malformed. */
export function readElf(bytes: Uint8Array): ElfFile {
  if (!(bytes instanceof Uint8Array)) throw new ElfError("input is not a Uint8Array");
  const f = readIdent(bytes);
  const length = bytes.length;

  const type = f.u16(16);
  const machine = f.u16(18);
  if (f.u32(20) !== EV_CURRENT) throw new ElfError(`e_version ${f.u32(20)} is not EV_CURRENT`, { offset: 20 });
  const phoff = f.num(32, "e_phoff");
  const shoff = f.num(40, "e_shoff");
  const flags = f.u32(48);
  const ehsize = f.u16(52);
  if (ehsize !== EHDR_SIZE) throw new ElfError(`e_ehsize ${ehsize} is not ${EHDR_SIZE}`, { offset: 52 });
  checkProgramHeaders(f, phoff);

  const raw = readSectionHeaders(f, shoff);
  const shstrndx = sectionNameTableIndex(f, raw);
  const names = sectionNames(f, raw, shstrndx);

  const sections: ElfSection[] = raw.map((s, index) => {
    const name = names[index]!;
    const where = name || `#${index}`;
    // SHT_NULL's offset and size mean nothing (section 0 may hold extended counts there).
    const hasBytes = s.type !== SHT_NOBITS && s.type !== SHT_NULL;
    if (hasBytes && s.offset + s.size > length) {
      throw new ElfError(`contents [0x${s.offset.toString(16)}, 0x${(s.offset + s.size).toString(16)}) are past the end of the file (0x${length.toString(16)} bytes)`, {
        section: where,
        offset: s.at + 24,
      });
    }
    if (s.addralign > 1 && !isPowerOfTwo(s.addralign)) {
      throw new ElfError(`sh_addralign ${s.addralign} is not a power of two`, { section: where, offset: s.at + 48 });
    }
    return {
      index,
      name,
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
      data: hasBytes ? bytes.subarray(s.offset, s.offset + s.size) : bytes.subarray(0, 0),
    };
  });

  const symtab = findSymbolTable(sections);
  const symbols = symtab ? readSymbols(f, sections, symtab, raw[symtab.index]!.at) : [];
  const relocations = readRelocations(f, sections, symtab, symbols.length, raw);
  return new ParsedElf(f.le, machine, type, flags, sections, symbols, relocations);
}

/** How messages name a section: by name, or by index when it has none. */
const label = (s: ElfSection): string => s.name || `#${s.index}`;

function isPowerOfTwo(n: number): boolean {
  const b = BigInt(n);
  return (b & (b - 1n)) === 0n;
}

/** e_ident, and that the whole ELF header is there. */
function readIdent(bytes: Uint8Array): Fields {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("not an ELF file (bad magic)", { offset: 0 });
  }
  if (bytes.length < 16) throw new ElfError(`truncated e_ident: ${bytes.length} bytes`, { offset: bytes.length });
  const cls = bytes[4];
  if (cls === ELFCLASS32) throw new ElfError("ELFCLASS32 objects are not supported, only ELF64", { offset: 4 });
  if (cls !== ELFCLASS64) throw new ElfError(`invalid EI_CLASS ${cls}`, { offset: 4 });
  const data = bytes[5];
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) throw new ElfError(`invalid EI_DATA ${data}`, { offset: 5 });
  if (bytes[6] !== EV_CURRENT) throw new ElfError(`EI_VERSION ${bytes[6]} is not EV_CURRENT`, { offset: 6 });
  if (bytes.length < EHDR_SIZE) {
    throw new ElfError(`truncated ELF header: ${bytes.length} bytes, need ${EHDR_SIZE}`, { offset: bytes.length });
  }
  return new Fields(bytes, data === ELFDATA2LSB);
}

/** Program headers are not used for objects, but a table that points outside the file is still malformed. */
function checkProgramHeaders(f: Fields, phoff: number): void {
  const phnum = f.u16(56);
  if (phnum === 0) return;
  const phentsize = f.u16(54);
  if (phentsize !== PHDR_SIZE) throw new ElfError(`e_phentsize ${phentsize} is not ${PHDR_SIZE}`, { offset: 54 });
  if (phoff + phnum * PHDR_SIZE > f.bytes.length) {
    throw new ElfError(`program header table (${phnum} entries) is past the end of the file`, { offset: 32 });
  }
}

function readSectionHeaders(f: Fields, shoff: number): RawSection[] {
  const e_shnum = f.u16(60);
  if (shoff === 0) {
    if (e_shnum !== 0) throw new ElfError(`e_shnum is ${e_shnum} but e_shoff is 0`, { offset: 60 });
    return [];
  }
  const shentsize = f.u16(58);
  if (shentsize !== SHDR_SIZE) throw new ElfError(`e_shentsize ${shentsize} is not ${SHDR_SIZE}`, { offset: 58 });
  const length = f.bytes.length;
  // With 0xff00 sections or more, e_shnum is 0 and section 0's sh_size holds the count.
  if (e_shnum === 0 && shoff + SHDR_SIZE > length) {
    throw new ElfError(`section header table at 0x${shoff.toString(16)} is past the end of the file (0x${length.toString(16)} bytes)`, { offset: 40 });
  }
  const count = e_shnum !== 0 ? e_shnum : f.num(shoff + 32, "extended section count (sh_size of section 0)");
  if (count === 0) throw new ElfError("section header table has no entries (e_shnum and section 0's sh_size are 0)", { offset: 60 });
  // Checked before any allocation, so a huge count in a small file fails here.
  if (shoff + count * SHDR_SIZE > length) {
    throw new ElfError(`section header table (${count} entries at 0x${shoff.toString(16)}) is past the end of the file (0x${length.toString(16)} bytes)`, {
      offset: e_shnum !== 0 ? 60 : shoff + 32,
    });
  }
  const raw: RawSection[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = shoff + i * SHDR_SIZE;
    const label = `#${i}`;
    raw[i] = {
      nameOffset: f.u32(at),
      type: f.u32(at + 4),
      flags: f.big(at + 8),
      addr: f.big(at + 16),
      offset: f.num(at + 24, "sh_offset", label),
      size: f.num(at + 32, "sh_size", label),
      link: f.u32(at + 40),
      info: f.u32(at + 44),
      addralign: f.num(at + 48, "sh_addralign", label),
      entsize: f.num(at + 56, "sh_entsize", label),
      at,
    };
  }
  return raw;
}

/** e_shstrndx, or section 0's sh_link when it is SHN_XINDEX; 0 means sections have no names. */
function sectionNameTableIndex(f: Fields, raw: readonly RawSection[]): number {
  let index = f.u16(62);
  if (raw.length === 0) {
    if (index !== 0) throw new ElfError(`e_shstrndx is ${index} but there are no sections`, { offset: 62 });
    return 0;
  }
  let at = 62;
  if (index === SHN_XINDEX) {
    index = raw[0]!.link;
    at = raw[0]!.at + 40;
  }
  if (index >= raw.length) throw new ElfError(`section name table index ${index} is out of range (${raw.length} sections)`, { offset: at });
  if (index !== 0 && raw[index]!.type !== SHT_STRTAB) {
    throw new ElfError(`section name table ${index} is not SHT_STRTAB (type ${raw[index]!.type})`, { offset: at });
  }
  return index;
}

function sectionNames(f: Fields, raw: readonly RawSection[], shstrndx: number): string[] {
  if (shstrndx === 0) return raw.map(() => "");
  const table = raw[shstrndx]!;
  if (table.offset + table.size > f.bytes.length) {
    throw new ElfError("contents are past the end of the file", { section: `#${shstrndx}`, offset: table.at + 24 });
  }
  const data = f.bytes.subarray(table.offset, table.offset + table.size);
  return raw.map((s, i) => readString(data, s.nameOffset, { section: `#${i}`, offset: s.at, table: "section name table", tableOffset: table.offset }));
}

/** A NUL-terminated string at `offset` in a string table, which must end inside it. */
function readString(
  table: Uint8Array,
  offset: number,
  where: { section: string; offset: number; table: string; tableOffset: number },
): string {
  if (offset >= table.length) {
    if (offset === 0) return ""; // an empty table still names things ""
    throw new ElfError(`name offset ${offset} is past the end of the ${where.table} (${table.length} bytes)`, { section: where.section, offset: where.offset });
  }
  const end = table.indexOf(0, offset);
  if (end < 0) {
    throw new ElfError(`name at offset ${offset} of the ${where.table} is not NUL-terminated`, {
      section: where.section,
      offset: where.tableOffset + offset,
    });
  }
  return end === offset ? "" : utf8.decode(table.subarray(offset, end));
}

function findSymbolTable(sections: readonly ElfSection[]): ElfSection | undefined {
  let found: ElfSection | undefined;
  for (const s of sections) {
    if (s.type !== SHT_SYMTAB) continue;
    if (found) throw new ElfError(`a second SHT_SYMTAB (the first is ${label(found)})`, { section: label(s), offset: s.offset });
    found = s;
  }
  return found;
}

/** A string table that `link` of section `from` names. */
function linkedStringTable(sections: readonly ElfSection[], from: ElfSection, headerAt: number): ElfSection {
  const strtab = sections[from.link];
  if (from.link === 0 || !strtab) {
    throw new ElfError(`sh_link ${from.link} is not a section (${sections.length} sections)`, { section: label(from), offset: headerAt + 40 });
  }
  if (strtab.type !== SHT_STRTAB) {
    throw new ElfError(`sh_link ${from.link} (${label(strtab)}) is not SHT_STRTAB`, { section: label(from), offset: headerAt + 40 });
  }
  return strtab;
}

function readSymbols(f: Fields, sections: readonly ElfSection[], symtab: ElfSection, headerAt: number): ElfSymbol[] {
  if (symtab.entsize !== SYM_SIZE) {
    throw new ElfError(`sh_entsize ${symtab.entsize} is not ${SYM_SIZE}`, { section: label(symtab), offset: headerAt + 56 });
  }
  if (symtab.size % SYM_SIZE !== 0) {
    throw new ElfError(`size ${symtab.size} is not a multiple of ${SYM_SIZE}`, { section: label(symtab), offset: headerAt + 32 });
  }
  const count = symtab.size / SYM_SIZE;
  if (symtab.info > count) {
    throw new ElfError(`sh_info ${symtab.info} (first non-local symbol) is past the ${count} symbols`, { section: label(symtab), offset: headerAt + 44 });
  }
  const strtab = linkedStringTable(sections, symtab, headerAt);
  const xindex = findExtendedIndices(sections, symtab, count);

  const symbols: ElfSymbol[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const at = symtab.offset + index * SYM_SIZE;
    const info = f.u8(at + 4);
    let sectionIndex = f.u16(at + 6);
    if (sectionIndex === SHN_XINDEX) {
      if (!xindex) {
        throw new ElfError(`symbol ${index} has st_shndx SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`, { section: label(symtab), offset: at + 6 });
      }
      sectionIndex = f.u32(xindex.offset + index * 4);
      if (sectionIndex === SHN_UNDEF || sectionIndex >= sections.length) {
        throw new ElfError(`symbol ${index}: extended section index ${sectionIndex} is out of range (${sections.length} sections)`, {
          section: label(xindex),
          offset: xindex.offset + index * 4,
        });
      }
    } else if (sectionIndex < SHN_LORESERVE && sectionIndex >= sections.length) {
      throw new ElfError(`symbol ${index}: section index ${sectionIndex} is out of range (${sections.length} sections)`, { section: label(symtab), offset: at + 6 });
    }
    symbols[index] = {
      index,
      name: readString(strtab.data, f.u32(at), { section: label(symtab), offset: at, table: `string table ${label(strtab)}`, tableOffset: strtab.offset }),
      value: f.num(at + 8, `symbol ${index} st_value`, label(symtab)),
      size: f.num(at + 16, `symbol ${index} st_size`, label(symtab)),
      type: info & 0xf,
      bind: info >> 4,
      visibility: f.u8(at + 5) & 0x3,
      sectionIndex,
    };
  }
  return symbols;
}

/** The SHT_SYMTAB_SHNDX section for this symbol table, if there is one; it needs a word per symbol. */
function findExtendedIndices(sections: readonly ElfSection[], symtab: ElfSection, count: number): ElfSection | undefined {
  const table = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  if (table && table.size < count * 4) {
    throw new ElfError(`${table.size} bytes hold fewer than the ${count} section indices of ${label(symtab)}`, { section: label(table), offset: table.offset });
  }
  return table;
}

function readRelocations(
  f: Fields,
  sections: readonly ElfSection[],
  symtab: ElfSection | undefined,
  symbolCount: number,
  raw: readonly RawSection[],
): Map<number, ElfRelocation[]> {
  const byTarget = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    const headerAt = raw[s.index]!.at;
    const rela = s.type === SHT_RELA;
    const entsize = rela ? RELA_SIZE : REL_SIZE;
    if (s.entsize !== entsize) throw new ElfError(`sh_entsize ${s.entsize} is not ${entsize}`, { section: label(s), offset: headerAt + 56 });
    if (s.size % entsize !== 0) throw new ElfError(`size ${s.size} is not a multiple of ${entsize}`, { section: label(s), offset: headerAt + 32 });
    if (!symtab || s.link !== symtab.index) {
      throw new ElfError(`sh_link ${s.link} is not the symbol table${symtab ? ` (${symtab.index})` : " (there is none)"}`, { section: label(s), offset: headerAt + 40 });
    }
    const target = sections[s.info];
    if (s.info === 0 || !target || target === s) {
      throw new ElfError(`sh_info ${s.info} is not a section relocations can apply to`, { section: label(s), offset: headerAt + 44 });
    }
    // For SHT_NOBITS there are no bytes to bound the offsets by; its size still does.
    const limit = target.size;
    const list = byTarget.get(target.index) ?? [];
    for (let at = s.offset; at < s.offset + s.size; at += entsize) {
      const offset = f.num(at, "r_offset", label(s));
      const type = f.u32(f.le ? at + 8 : at + 12);
      const symbolIndex = f.u32(f.le ? at + 12 : at + 8);
      if (symbolIndex >= symbolCount) {
        throw new ElfError(`relocation symbol ${symbolIndex} is out of range (${symbolCount} symbols)`, { section: label(s), offset: at + 8 });
      }
      if (offset >= limit) {
        throw new ElfError(`relocation offset 0x${offset.toString(16)} is past the end of ${label(target)} (0x${limit.toString(16)} bytes)`, {
          section: label(s),
          offset: at,
        });
      }
      list.push({ offset, symbolIndex, type, addend: rela ? f.view.getBigInt64(at + 16, f.le) : 0n });
    }
    byTarget.set(target.index, list);
  }
  return byTarget;
}

class ParsedElf implements ElfFile {
  readonly #byName = new Map<string, ElfSection>();
  readonly #bySection = new Map<number, ElfSymbol[]>();
  readonly #relocations: ReadonlyMap<number, readonly ElfRelocation[]>;

  constructor(
    readonly littleEndian: boolean,
    readonly machine: number,
    readonly type: number,
    readonly flags: number,
    readonly sections: readonly ElfSection[],
    readonly symbols: readonly ElfSymbol[],
    relocations: ReadonlyMap<number, readonly ElfRelocation[]>,
  ) {
    this.#relocations = relocations;
    for (const s of sections) if (!this.#byName.has(s.name)) this.#byName.set(s.name, s);
    for (const sym of symbols) {
      const i = sym.sectionIndex;
      if (sym.index === 0 || i === SHN_UNDEF || i >= sections.length) continue;
      const list = this.#bySection.get(i);
      if (list) list.push(sym);
      else this.#bySection.set(i, [sym]);
    }
    for (const list of this.#bySection.values()) list.sort((a, b) => a.value - b.value || a.index - b.index);
  }

  section(name: string): ElfSection | undefined {
    return this.#byName.get(name);
  }

  relocationsFor(sectionIndex: number): readonly ElfRelocation[] {
    return this.#relocations.get(sectionIndex) ?? NONE;
  }

  symbolsIn(sectionIndex: number): readonly ElfSymbol[] {
    return this.#bySection.get(sectionIndex) ?? NONE;
  }
}
