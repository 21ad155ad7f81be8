/**
 * @fileoverview tsbpf's public API: the parts that run anywhere (browsers included).
 * Node-only parts have their own entry points: `tsbpf/kernel` for the real bpf().
 */

export * from "./errors.js";
export * from "./isa/index.js";
export { readElf, writeElf } from "./elf/index.js";
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol, ElfWriterSpec } from "./elf/index.js";
export { listObject, codeSections } from "./elf/listing.js";
export { HELPER_NAMES, helperId, helperName } from "./helpers/names.js";
