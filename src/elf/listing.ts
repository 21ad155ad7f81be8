/**
 * @fileoverview The disassembly of a whole object, laid out as `llvm-objdump -d
 * --no-show-raw-insn` lays it out: a heading per executable section, a label per
 * symbol, and one line per instruction.
 */

import { listInstructions, listingLines } from "../isa/disassembler.js";
import type { Syntax } from "../isa/format.js";
import { SLOT_SIZE } from "../isa/opcodes.js";
import { R_BPF_64_32, SHF_EXECINSTR, STT_FILE, STT_FUNC, STT_SECTION } from "./constants.js";
import type { ElfFile, ElfSection } from "./reader.js";

export interface ObjectListingOptions {
  readonly syntax?: Syntax;
  /** Only this section (by name). */
  readonly section?: string;
  /** The file name shown in the first line, as objdump shows the path it was given. */
  readonly fileName?: string;
}

/** The sections llvm-objdump -d disassembles: executable ones with content. */
export function codeSections(elf: ElfFile): ElfSection[] {
  return elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0);
}

/** Labels of a section by slot: its symbols, or the section's own name at 0 if none is there. */
function labels(elf: ElfFile, section: ElfSection): { name: string; slot: number }[] {
  const found: { name: string; slot: number }[] = [];
  const seen = new Set<number>();
  for (const sym of elf.symbolsIn(section.index)) {
    if (sym.type === STT_SECTION || sym.type === STT_FILE || sym.name === "") continue;
    if (sym.value % SLOT_SIZE !== 0 || seen.has(sym.value)) continue;
    seen.add(sym.value);
    found.push({ name: sym.name, slot: sym.value / SLOT_SIZE });
  }
  if (!seen.has(0)) found.unshift({ name: section.name, slot: 0 });
  return found.sort((a, b) => a.slot - b.slot);
}

/** The text llvm-objdump -d --no-show-raw-insn prints for this object. */
export function listObject(elf: ElfFile, options: ObjectListingOptions = {}): string {
  const syntax = options.syntax ?? "llvm";
  const out: string[] = ["", `${options.fileName ?? "object"}:\tfile format ${"elf64-bpf"}`, ""];
  const sections = codeSections(elf).filter((s) => options.section === undefined || s.name === options.section);
  for (const section of sections) {
    out.push(`Disassembly of section ${section.name}:`);
    const marks = labels(elf, section);
    const symbolAt = (slot: number) => {
      let best: { name: string; slot: number } | undefined;
      for (const m of marks) if (m.slot <= slot) best = m;
      return best;
    };
    const listed = listInstructions(section.data, elf.littleEndian);
    const callTarget = relocatedCalls(elf, section);
    let next = 0;
    for (const mark of marks) {
      const body = listed.filter((l) => l.slot >= mark.slot && (marks[next + 1] === undefined || l.slot < marks[next + 1]!.slot));
      next++;
      out.push("", `${(mark.slot * SLOT_SIZE).toString(16).padStart(16, "0")} <${mark.name}>:`);
      out.push(...listingLines(body, { syntax, symbolAt, callTarget }));
    }
    out.push("");
  }
  return out.join("\n").replace(/\n+$/, "\n");
}

/**
 * Calls into another section are left by clang as `call -1` plus an R_BPF_64_32
 * relocation; the callee is the function at (imm + 1) * 8 bytes past the symbol.
 */
function relocatedCalls(elf: ElfFile, section: ElfSection): (slot: number) => string | undefined {
  const bySlot = new Map<number, string>();
  const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  for (const r of elf.relocationsFor(section.index)) {
    const sym = elf.symbols[r.symbolIndex];
    if (r.type !== R_BPF_64_32 || !sym || r.offset % SLOT_SIZE !== 0 || r.offset + SLOT_SIZE > section.size) continue;
    const imm = view.getInt32(r.offset + 4, elf.littleEndian);
    const at = sym.value + (imm + 1) * SLOT_SIZE;
    const callee = elf.symbolsIn(sym.sectionIndex).find((s) => s.type === STT_FUNC && s.value === at);
    const where = sym.type === STT_SECTION ? elf.sections[sym.sectionIndex]?.name : sym.name;
    bySlot.set(r.offset / SLOT_SIZE, callee?.name ?? `${where}+0x${at.toString(16)}`);
  }
  return (slot) => bySlot.get(slot);
}
