/**
 * @fileoverview The numbers of ELF64 (the System V gABI, `elf.h`) that a BPF object
 * uses, and the BPF relocation types (the kernel's Documentation/bpf/llvm_reloc.rst).
 */

/** ET_REL: a relocatable object, what `clang -target bpf -c` produces */
export const ET_REL = 1;

/** EM_BPF: Linux BPF */
export const EM_BPF = 247;

/** SHT_NULL: an unused section header (index 0 is always one) */
export const SHT_NULL = 0;
/** SHT_PROGBITS: contents defined by the program (code, data, BTF) */
export const SHT_PROGBITS = 1;
/** SHT_SYMTAB: the symbol table */
export const SHT_SYMTAB = 2;
/** SHT_STRTAB: a string table */
export const SHT_STRTAB = 3;
/** SHT_RELA: relocations with explicit addends */
export const SHT_RELA = 4;
/** SHT_NOBITS: occupies no file space (.bss) */
export const SHT_NOBITS = 8;
/** SHT_REL: relocations without addends; what LLVM emits for BPF */
export const SHT_REL = 9;
/** SHT_SYMTAB_SHNDX: the extended section indices of the symbols whose st_shndx is SHN_XINDEX */
export const SHT_SYMTAB_SHNDX = 18;

/** SHF_WRITE: writable at run time */
export const SHF_WRITE = 0x1n;
/** SHF_ALLOC: occupies memory at run time */
export const SHF_ALLOC = 0x2n;
/** SHF_EXECINSTR: holds instructions */
export const SHF_EXECINSTR = 0x4n;
/** SHF_INFO_LINK: sh_info holds a section index (set on relocation sections) */
export const SHF_INFO_LINK = 0x40n;

/** SHN_UNDEF: an undefined symbol, or "no section" */
export const SHN_UNDEF = 0;
/** SHN_LORESERVE: the first reserved section index */
export const SHN_LORESERVE = 0xff00;
/** SHN_ABS: a symbol with an absolute value */
export const SHN_ABS = 0xfff1;
/** SHN_COMMON: a common symbol, not yet allocated */
export const SHN_COMMON = 0xfff2;
/** SHN_XINDEX: the real index is elsewhere (section 0's fields, or SHT_SYMTAB_SHNDX) */
export const SHN_XINDEX = 0xffff;

/** STT_NOTYPE: no type */
export const STT_NOTYPE = 0;
/** STT_OBJECT: a data object (a map, a variable) */
export const STT_OBJECT = 1;
/** STT_FUNC: a function (a program or a subprogram) */
export const STT_FUNC = 2;
/** STT_SECTION: the symbol of a section, which relocations name for local data */
export const STT_SECTION = 3;
/** STT_FILE: the source file name */
export const STT_FILE = 4;

/** STB_LOCAL: not visible outside the object */
export const STB_LOCAL = 0;
/** STB_GLOBAL: visible to every object */
export const STB_GLOBAL = 1;
/** STB_WEAK: global, but may be overridden */
export const STB_WEAK = 2;

/** STV_DEFAULT: visibility as its binding says */
export const STV_DEFAULT = 0;
/** STV_INTERNAL: hidden, and never called from outside (libbpf treats it as hidden) */
export const STV_INTERNAL = 1;
/** STV_HIDDEN: not visible outside the component (`__hidden` in libbpf) */
export const STV_HIDDEN = 2;

/** R_BPF_NONE: no relocation */
export const R_BPF_NONE = 0;
/** R_BPF_64_64: the 64-bit immediate of an ld_imm64 (maps, global data) */
export const R_BPF_64_64 = 1;
/** R_BPF_64_ABS64: a 64-bit data word (DWARF) */
export const R_BPF_64_ABS64 = 2;
/** R_BPF_64_ABS32: a 32-bit data word (DWARF, BTF) */
export const R_BPF_64_ABS32 = 3;
/** R_BPF_64_NODYLD32: a 32-bit data word the dynamic loader leaves alone (.BTF, .BTF.ext) */
export const R_BPF_64_NODYLD32 = 4;
/** R_BPF_64_32: the imm of a call instruction (bpf-to-bpf calls, kfuncs) */
export const R_BPF_64_32 = 10;

const RELOCATION_NAMES: Readonly<Record<number, string>> = {
  [R_BPF_NONE]: "R_BPF_NONE",
  [R_BPF_64_64]: "R_BPF_64_64",
  [R_BPF_64_ABS64]: "R_BPF_64_ABS64",
  [R_BPF_64_ABS32]: "R_BPF_64_ABS32",
  [R_BPF_64_NODYLD32]: "R_BPF_64_NODYLD32",
  [R_BPF_64_32]: "R_BPF_64_32",
};

/** The kernel's name of a BPF relocation type (as llvm-readelf prints it), for messages. */
export function bpfRelocationName(type: number): string {
  return RELOCATION_NAMES[type] ?? `R_BPF_unknown(${type})`;
}
