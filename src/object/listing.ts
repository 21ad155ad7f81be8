/**
 * @fileoverview The disassembly of a whole object, laid out as `llvm-objdump -d
 * --no-show-raw-insn` lays it out: a heading per executable section, a label per
 * symbol, and one line per instruction.
 */

import { describeCoreRelocation, parseBtf, parseBtfExt, type Btf, type BtfExt, type LineInfo } from "../btf/index.js";
import { listInstructions, listingLines } from "../isa/disassembler.js";
import type { Syntax } from "../isa/format.js";
import { SLOT_SIZE } from "../isa/opcodes.js";
import { bpfRelocationName, R_BPF_64_32, SHF_EXECINSTR, STT_FILE, STT_FUNC, STT_SECTION } from "../elf/constants.js";
import type { ElfFile, ElfSection } from "../elf/reader.js";

export interface ObjectListingOptions {
  readonly syntax?: Syntax;
  /** Only this section (by name). */
  readonly section?: string;
  /** The file name shown in the first line, as objdump shows the path it was given. */
  readonly fileName?: string;
  /** Show each relocation under the instruction it applies to, as `llvm-objdump -dr` does. */
  readonly relocations?: boolean;
  /**
   * Show the source line (from BTF line_info) above the instructions it made, as
   * bpftool's dumps do (`; return XDP_PASS;`); "linum" adds bpftool's `[file:... line_num:...
   * line_col:...]`.
   */
  readonly source?: boolean | "linum";
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

/**
 * The text llvm-objdump -d --no-show-raw-insn prints for this object (with `relocations`,
 * what -dr prints; with `syntax: "kernel"`, bpftool's instruction lines).
 *
 * @example
 * const text = listObject(readElf(bytes), { fileName: "prog.bpf.o", relocations: true });
 */
export function listObject(elf: ElfFile, options: ObjectListingOptions = {}): string {
  const syntax = options.syntax ?? "llvm";
  const out: string[] = ["", `${options.fileName ?? "object"}:\tfile format ${"elf64-bpf"}`, ""];
  const sections = codeSections(elf).filter((s) => options.section === undefined || s.name === options.section);
  const core = options.relocations || options.source ? coreInfo(elf) : undefined;
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
      const lines = listingLines(body, { syntax, symbolAt, callTarget });
      if (!options.relocations && !options.source) {
        out.push(...lines);
        continue;
      }
      const relocs = options.relocations ? relocationLines(elf, section, core) : new Map<number, string[]>();
      const sources = options.source ? sourceLines(core?.ext.lineInfo.get(section.name) ?? [], options.source === "linum") : new Map<number, string>();
      body.forEach((entry, k) => {
        const source = sources.get(entry.slot);
        if (source !== undefined) out.push(source);
        out.push(lines[k]!);
        const slots = entry.insn.opcode === 0x18 ? 2 : 1;
        for (let s = entry.slot; s < entry.slot + slots; s++) out.push(...(relocs.get(s) ?? []));
      });
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

/** The object's BTF and .BTF.ext, when both are there and parse, for CO-RE lines. */
function coreInfo(elf: ElfFile): { btf: Btf; ext: BtfExt } | undefined {
  const btfSection = elf.section(".BTF");
  const extSection = elf.section(".BTF.ext");
  if (!btfSection || !extSection) return undefined;
  try {
    const btf = parseBtf(btfSection.data);
    return { btf, ext: parseBtfExt(extSection.data, btf) };
  } catch {
    return undefined; // a listing still shows the code; `tsbpf btf dump` says what is wrong
  }
}

/**
 * llvm-objdump -dr's lines by the slot they fall in: ELF relocations
 * (`\t\t<offset>:  R_BPF_64_64\tcounters`), then CO-RE relocations from .BTF.ext.
 */
function relocationLines(elf: ElfFile, section: ElfSection, core: { btf: Btf; ext: BtfExt } | undefined): Map<number, string[]> {
  const bySlot = new Map<number, string[]>();
  for (const r of elf.relocationsFor(section.index)) {
    const sym = elf.symbols[r.symbolIndex];
    const name = sym === undefined ? "" : sym.type === STT_SECTION ? (elf.sections[sym.sectionIndex]?.name ?? "") : sym.name;
    const addend = r.addend === 0n ? "" : r.addend > 0n ? `+0x${r.addend.toString(16)}` : `-0x${(-r.addend).toString(16)}`;
    const slot = Math.floor(r.offset / SLOT_SIZE);
    const line = `\t\t${r.offset.toString(16).padStart(16, "0")}:  ${bpfRelocationName(r.type)}\t${name}${addend}`;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), line]);
  }
  for (const relo of core?.ext.coreRelocations.get(section.name) ?? []) {
    const line = `\t\t${(relo.insnOff * SLOT_SIZE).toString(16).padStart(16, "0")}:  CO-RE ${describeCoreRelocation(core!.btf, relo)}`;
    bySlot.set(relo.insnOff, [...(bySlot.get(relo.insnOff) ?? []), line]);
  }
  return bySlot;
}

/** bpftool's `; <source>` lines by slot, the text left-trimmed, a line only where it changes. */
function sourceLines(infos: readonly LineInfo[], linum: boolean): Map<number, string> {
  const bySlot = new Map<number, string>();
  for (const info of infos) {
    if (info.lineText === "") continue;
    const text = info.lineText.replace(/^\s+/, "");
    bySlot.set(info.insnOff, linum ? `; ${text} [file:${info.fileName} line_num:${info.line} line_col:${info.column}]` : `; ${text}`);
  }
  return bySlot;
}
