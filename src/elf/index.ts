/**
 * @fileoverview The ELF layer: reading BPF objects into sections, symbols and
 * relocations, and writing small ones. No I/O here; callers pass bytes.
 */

export * from "./constants.js";
export { readElf } from "./reader.js";
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol } from "./reader.js";
export { writeElf } from "./writer.js";
export type { ElfWriterSection, ElfWriterSpec, ElfWriterSymbol } from "./writer.js";
