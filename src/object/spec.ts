/**
 * @fileoverview `loadObjectSpec`: a BPF object's bytes to libbpf's view of it after
 * `bpf_object__open` — programs with their .text subprograms appended and relocated,
 * maps, global data, externs and CO-RE — as plain data. No syscalls; runs anywhere.
 */

import {
  CORE_RELOCATION_KIND_NAMES,
  applyCoreRelocation,
  computeCoreRelocation,
  parseBtf,
  parseBtfExt,
  type Btf,
  type BtfExt,
  type CoreRelocation,
} from "../btf/index.js";
import { BpfError } from "../errors.js";
import {
  R_BPF_64_32,
  R_BPF_64_64,
  SHF_EXECINSTR,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_LOCAL,
  STT_FUNC,
  STV_HIDDEN,
  STV_INTERNAL,
  bpfRelocationName,
  readElf,
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
} from "../elf/index.js";
import { LDDW, decodeRaw, insn as makeInsn, slotsOf, type Instruction } from "../isa/instruction.js";
import { PseudoCall, PseudoLd } from "../isa/opcodes.js";
import { finalizeBtf } from "./btf-fixup.js";
import { ObjectError } from "./errors.js";
import { collectExterns, kconfigMap, layoutKconfig, type Extern, type KconfigValue } from "./externs.js";
import { ARENA_SECTION, KCONFIG_SECTION, LEGACY_MAPS_SECTION, MAPS_SECTION, adjustRingbufSize, collectMaps, isRingbuf, objectName, placeArenaData, type LocatedMap } from "./maps.js";
import { PIN_OBJECT_NS } from "./pinning.js";
import { programTypeId, type ProgramTypeName } from "../programs/types.js";
import { matchSection, type SectionDef, type SectionMatch } from "./sections.js";
import { sha1Hex } from "./sha1.js";
import type { FuncInfo, LineInfo, MapSpec, ObjectSpec, PendingCoreRelocation, ProgramSpec, Reference } from "./types.js";

export interface LoadObjectSpecOptions {
  /**
   * The object's file name or name, for libbpf's object name (the base name up to its
   * first dot), which prefixes global data maps; default "bpf".
   */
  name?: string;
  /** Values of `__kconfig` externs: CONFIG_* and LINUX_KERNEL_VERSION. */
  kconfig?: Record<string, KconfigValue>;
  /** Addresses of `__ksym` variables (from /proc/kallsyms), or BTF ids of kfuncs. */
  ksyms?: Record<string, bigint>;
  /** The kernel's BTF (/sys/kernel/btf/vmlinux), for CO-RE and typed ksyms. */
  targetBtf?: Btf;
  /**
   * Program types for programs whose section libbpf does not know (or to override one), as
   * `bpftool prog load ... type xdp`: keys are program or section names, `*` a glob
   * (`"2/*": "sched_cls"`, `bytecount: "sched_cls"`); a value is a program type or a
   * section name whose type and attach type libbpf knows (`"tc"`, `"cgroup/connect4"`). An exact program name wins over an
   * exact section name, which wins over a glob; among globs the first given.
   */
  programTypes?: Record<string, ProgramTypeName | string>;
  /** max_entries by map name, as libbpf users set with `bpf_map__set_max_entries` before load. */
  maxEntries?: Record<string, number>;
  /** The target's page size, to which ring buffer sizes are rounded as libbpf rounds them; default 4096. */
  pageSize?: number;
}

/** BPF_F_SLEEPABLE */
const BPF_F_SLEEPABLE = 1 << 4;
/** BPF_F_XDP_HAS_FRAGS */
const BPF_F_XDP_HAS_FRAGS = 1 << 5;
/** BPF_JMP | BPF_CALL */
const CALL = 0x85;
const SLOT = 8;

/** The decoded code of one executable section, with a map between slots and instructions. */
interface CodeSection {
  readonly sec: ElfSection;
  readonly insns: Instruction[];
  /** Slot where each instruction starts. */
  readonly slotOf: number[];
  /** Instruction index starting at each slot; -1 for the second slot of a 64-bit load. */
  readonly insnAt: Int32Array;
  /** Relocations by instruction index. */
  readonly relos: Map<number, ElfRelocation>;
  funcs: Func[];
}

/** One function symbol: a program outside .text, a subprogram in it. */
interface Func {
  readonly name: string;
  readonly code: CodeSection;
  readonly sym: ElfSymbol;
  readonly startSlot: number;
  readonly endSlot: number;
  readonly startInsn: number;
  readonly endInsn: number;
}

/** Reads an object as libbpf's `bpf_object__open_mem` does, without touching the kernel. */
export function loadObjectSpec(bytes: Uint8Array, options: LoadObjectSpecOptions = {}): ObjectSpec {
  const elf = readElf(bytes);
  const spec = new SpecBuilder(elf, options).build();
  // iproute2 names a PIN_OBJECT_NS directory by the file's SHA-1; hash only when a map needs it.
  if (spec.maps.some((m) => m.iproute2 && m.pinning === PIN_OBJECT_NS)) spec.objectUid = sha1Hex(bytes);
  return spec;
}

class SpecBuilder {
  readonly objName: string;
  readonly btf: Btf | undefined;
  readonly ext: BtfExt | undefined;
  readonly btfExtRaw: Uint8Array | undefined;
  readonly code = new Map<number, CodeSection>();
  readonly maps: LocatedMap[];
  readonly externs: Map<string, Extern>;
  readonly kconfig: MapSpec | undefined;
  readonly license: string;
  readonly dataMaps = new Map<number, MapSpec>();
  /** The `__arena` globals' section and where they go in the arena (placeArenaData). */
  readonly arena: ReturnType<typeof placeArenaData>;

  constructor(
    readonly elf: ElfFile,
    readonly options: LoadObjectSpecOptions,
  ) {
    this.objName = objectName(options.name ?? "bpf");
    const { btf: original, ext, raw } = this.readBtf();
    // Externs first: their kconfig layout is part of the BTF the kernel will get.
    this.externs = collectExterns(elf, original);
    layoutKconfig(this.externs);
    const btf = original && this.finalize(original);
    this.btf = btf;
    this.ext = ext;
    this.btfExtRaw = raw;
    this.license = this.readLicense();
    this.maps = collectMaps(elf, btf, this.objName);
    for (const m of this.maps) if (m.spec.origin === "data") this.dataMaps.set(m.sectionIndex, m.spec);
    this.arena = placeArenaData(elf, this.maps, options.pageSize);
    this.kconfig = btf ? kconfigMap(this.objName, btf, this.externs, options.kconfig ?? {}, elf.littleEndian) : undefined;
    for (const s of elf.sections) if (s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0n) this.code.set(s.index, this.decodeSection(s));
  }

  build(): ObjectSpec {
    const programs: ProgramSpec[] = [];
    for (const code of this.code.values()) {
      if (code.sec.name === ".text") continue;
      // Static functions too: libbpf 1.x refuses them outside .text, cilium/ebpf takes
      // every function of a program section, and Cilium's tail calls are static.
      for (const f of code.funcs) programs.push(this.program(f));
    }
    const maps = [...this.maps.map((m) => m.spec), ...(this.kconfig ? [this.kconfig] : [])];
    for (const [name, n] of Object.entries(this.options.maxEntries ?? {})) {
      const m = maps.find((x) => x.name === name);
      if (!m) throw new BpfError("EINVAL", `max_entries for map ${name}: the object has no such map (${maps.map((x) => x.name).join(", ") || "no maps"})`);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new BpfError("EINVAL", `max_entries for map ${name}: ${n} is not a u32`);
      m.maxEntries = n;
    }
    // As libbpf's fill_map_from_def and bpf_map__set_max_entries: ring buffers a power-of-2 number of pages.
    for (const m of maps) if (isRingbuf(m)) m.maxEntries = adjustRingbufSize(m.maxEntries, this.options.pageSize);
    const spec: ObjectSpec = {
      name: this.objName,
      programs,
      maps,
      license: this.license,
      littleEndian: this.elf.littleEndian,
    };
    const version = this.readVersion();
    if (version !== undefined) spec.kernelVersion = version;
    if (this.btf) spec.btf = this.btf;
    if (this.btfExtRaw) spec.btfExt = this.btfExtRaw;
    return spec;
  }

  private readBtf(): { btf?: Btf; ext?: BtfExt; raw?: Uint8Array } {
    const s = this.elf.section(".BTF");
    if (!s || s.type === SHT_NOBITS) return {};
    let btf: Btf;
    try {
      btf = parseBtf(s.data);
    } catch (e) {
      throw new ObjectError(`bad BTF: ${(e as Error).message}`, { section: ".BTF", offset: s.offset });
    }
    const x = this.elf.section(".BTF.ext");
    if (!x || x.type === SHT_NOBITS) return { btf };
    try {
      return { btf, ext: parseBtfExt(x.data, btf), raw: x.data.slice() };
    } catch (e) {
      throw new ObjectError(`bad BTF.ext: ${(e as Error).message}`, { section: ".BTF.ext", offset: x.offset });
    }
  }

  /**
   * libbpf's `btf_finalize_data` at open: clang leaves DATASEC sizes (and some variable
   * offsets) 0, so they come from the ELF sections and symbols.
   */
  private finalize(btf: Btf): Btf {
    const sizes = new Map<string, number>();
    const offsets = new Map<string, number>();
    for (const t of btf.types) {
      if (t.kind !== "datasec") continue;
      const sec = this.elf.section(t.name);
      if (!sec) continue;
      sizes.set(t.name, sec.size);
      for (const sym of this.elf.symbolsIn(sec.index)) if (sym.name) offsets.set(`${t.name}/${sym.name}`, sym.value);
    }
    let kconfigEnd = 0;
    for (const e of this.externs.values()) {
      if (e.section !== KCONFIG_SECTION) continue;
      offsets.set(`${KCONFIG_SECTION}/${e.name}`, e.offset);
      kconfigEnd = Math.max(kconfigEnd, e.offset + e.size);
    }
    if (kconfigEnd) sizes.set(KCONFIG_SECTION, kconfigEnd);
    const hidden = this.hiddenSubprograms();
    if (sizes.size === 0 && hidden.size === 0) return btf;
    try {
      return parseBtf(finalizeBtf(btf, sizes, offsets, hidden));
    } catch (e) {
      throw new ObjectError(`bad BTF: ${(e as Error).message}`, { section: ".BTF" });
    }
  }

  /**
   * Subprograms (.text functions) that are global or weak but `__hidden` (STV_HIDDEN or
   * STV_INTERNAL): libbpf's mark_btf_static makes their BTF FUNC static, so they are verified
   * with their caller's argument types rather than alone as global functions are.
   */
  private hiddenSubprograms(): Set<string> {
    const names = new Set<string>();
    const text = this.elf.section(".text");
    if (!text) return names;
    for (const sym of this.elf.symbolsIn(text.index)) {
      if (sym.type === STT_FUNC && sym.bind !== STB_LOCAL && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL)) names.add(sym.name);
    }
    return names;
  }

  private readLicense(): string {
    const s = this.elf.section("license");
    if (!s || s.type === SHT_NOBITS) return "";
    const end = s.data.indexOf(0);
    return new TextDecoder().decode(end >= 0 ? s.data.subarray(0, end) : s.data);
  }

  private readVersion(): number | undefined {
    const s = this.elf.section("version");
    if (!s || s.type === SHT_NOBITS) return undefined;
    if (s.size !== 4) throw new ObjectError(`invalid kver section size ${s.size}, need 4`, { section: "version", offset: s.offset });
    return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, this.elf.littleEndian);
  }

  private decodeSection(sec: ElfSection): CodeSection {
    if (sec.size % SLOT !== 0) {
      throw new ObjectError(`size ${sec.size} is not a multiple of ${SLOT} (whole instructions)`, { section: sec.name, offset: sec.offset });
    }
    let insns: Instruction[];
    try {
      insns = decodeRaw(sec.data, { littleEndian: this.elf.littleEndian });
    } catch (e) {
      const index = (e as { index?: number }).index ?? 0;
      throw new ObjectError((e as Error).message, { section: sec.name, offset: sec.offset + index * SLOT });
    }
    const slotOf: number[] = [];
    const insnAt = new Int32Array(sec.size / SLOT).fill(-1);
    let slot = 0;
    insns.forEach((ins, i) => {
      slotOf.push(slot);
      insnAt[slot] = i;
      slot += slotsOf(ins);
    });
    const code: CodeSection = { sec, insns, slotOf, insnAt, relos: new Map(), funcs: [] };
    for (const r of this.elf.relocationsFor(sec.index)) {
      const where = { section: sec.name, offset: sec.offset + r.offset };
      if (r.offset % SLOT !== 0) throw new ObjectError(`relocation offset 0x${r.offset.toString(16)} is not at an instruction`, where);
      const i = insnAt[r.offset / SLOT] ?? -1;
      if (i < 0) throw new ObjectError(`relocation offset 0x${r.offset.toString(16)} is inside a 64-bit load`, where);
      if (code.relos.has(i)) throw new ObjectError(`two relocations at insn ${r.offset / SLOT}`, where);
      code.relos.set(i, r);
    }
    const seen = new Set<number>();
    for (const sym of this.elf.symbolsIn(sec.index)) {
      if (sym.type !== STT_FUNC) continue;
      const where = { section: sec.name, offset: sec.offset + Math.min(sym.value, sec.size) };
      if (sym.value % SLOT !== 0 || sym.size % SLOT !== 0) throw new ObjectError(`function ${sym.name} at 0x${sym.value.toString(16)} (size ${sym.size}) is not whole instructions`, where);
      if (sym.size === 0) throw new ObjectError(`function ${sym.name} has size 0`, where);
      if (sym.value + sym.size > sec.size) throw new ObjectError(`function ${sym.name} [0x${sym.value.toString(16)}, 0x${(sym.value + sym.size).toString(16)}) crosses the section's end (0x${sec.size.toString(16)})`, where);
      const startSlot = sym.value / SLOT;
      const endSlot = startSlot + sym.size / SLOT;
      const startInsn = insnAt[startSlot]!;
      const endInsn = endSlot === insnAt.length ? insns.length : insnAt[endSlot]!;
      if (startInsn < 0 || endInsn < 0) throw new ObjectError(`function ${sym.name} starts or ends inside a 64-bit load`, where);
      if (seen.has(startSlot)) continue; // an alias of a function already listed
      seen.add(startSlot);
      code.funcs.push({ name: sym.name, code, sym, startSlot, endSlot, startInsn, endInsn });
    }
    return code;
  }

  /** The function starting at `slot` of a code section, which a call or a func pointer names. */
  funcAt(sectionIndex: number, slot: number, where: { section: string; offset: number; program: string }, insnIndex: number): Func {
    const code = this.code.get(sectionIndex);
    const f = code?.funcs.find((x) => x.startSlot === slot);
    if (!f) {
      const name = this.elf.sections[sectionIndex]?.name ?? `#${sectionIndex}`;
      throw new ObjectError(`insn ${insnIndex}: call to insn ${slot} of ${name}, which is not the start of a function`, where);
    }
    return f;
  }

  /**
   * The section's meaning, or the type the user gave in `programTypes` (with the attach
   * type libbpf gives a section of that name, as bpftool's `type xdp` does).
   */
  private typeOf(name: string, section: string): SectionMatch | undefined {
    const match = matchSection(section);
    const given = pickType(this.options.programTypes, name, section);
    if (given === undefined) return match;
    const byName = matchSection(given);
    let def: SectionDef;
    if (isProgramType(given)) def = byName && byName.def.type === given && !byName.def.prefix ? byName.def : { name: given, type: given };
    else if (byName && !byName.def.attachBtf) def = byName.def; // a section name ("tc", "cgroup/connect4"), as bpftool's `type` takes
    else throw new BpfError("EINVAL", `program ${name}: unknown program type ${given} (a program type such as xdp or sched_cls, or a section name such as tc)`);
    return { def, attachTo: match?.def.type === def.type ? match.attachTo : undefined, autoload: match?.autoload ?? !section.startsWith("?") };
  }

  private program(main: Func): ProgramSpec {
    const match = this.typeOf(main.name, main.code.sec.name);
    const spec: ProgramSpec = {
      name: main.name,
      sectionName: main.code.sec.name,
      type: match?.def.type ?? "unspec",
      flags: (match?.def.sleepable ? BPF_F_SLEEPABLE : 0) | (match?.def.frags ? BPF_F_XDP_HAS_FRAGS : 0),
      autoload: match?.autoload ?? true,
      instructions: [],
      references: [],
      funcInfo: [],
      lineInfo: [],
      pendingCore: [],
      license: this.license,
    };
    if (match?.def.attach) spec.expectedAttachType = match.def.attach;
    if (match?.attachTo !== undefined) spec.attachTo = match.attachTo;
    spec.functionSlots = main.endSlot - main.startSlot;
    new Linker(this, spec).emit(main);
    spec.references.sort((a, b) => a.insnIndex - b.insnIndex);
    return spec;
  }

  /** Rewrites the instruction at `i` of `f` for its relocation; returns a callee to append, if any. */
  relocate(f: Func, i: number, ins: Instruction, r: ElfRelocation, out: { insnIndex: number; program: string; refs: Reference[] }): { insn: Instruction; callee?: Func } {
    const sec = f.code.sec;
    const where = { section: sec.name, offset: sec.offset + f.code.slotOf[i]! * SLOT, program: out.program };
    const at = `insn ${out.insnIndex}`;
    if (r.symbolIndex === 0) throw new ObjectError(`${at}: relocation against the null symbol (a missing symbol)`, where);
    const sym = this.elf.symbols[r.symbolIndex];
    if (!sym) throw new ObjectError(`${at}: relocation against missing symbol ${r.symbolIndex}`, where);
    const symName = sym.name || this.elf.sections[sym.sectionIndex]?.name || `symbol ${sym.index}`;
    if (r.type === R_BPF_64_32 || (ins.opcode === CALL && r.type !== R_BPF_64_64)) {
      if (ins.opcode !== CALL) throw new ObjectError(`${at}: ${bpfRelocationName(r.type)} relocation against ${symName} on opcode 0x${ins.opcode.toString(16)}, not a call`, where);
      if (sym.sectionIndex === SHN_UNDEF) return { insn: this.kfuncCall(ins, sym, at, where, out) };
      if (ins.src !== PseudoCall.Local) throw new ObjectError(`${at}: call relocation against ${symName} on a call with src ${ins.src}, not BPF_PSEUDO_CALL`, where);
      if (!this.code.has(sym.sectionIndex)) throw new ObjectError(`${at}: call relocation against ${symName} in a section with no code`, where);
      if (sym.value % SLOT !== 0) throw new ObjectError(`${at}: call relocation against ${symName} at 0x${sym.value.toString(16)}, not an instruction`, where);
      const slot = sym.value / SLOT + ins.imm + 1;
      return { insn: ins, callee: this.funcAt(sym.sectionIndex, slot, where, out.insnIndex) };
    }
    if (r.type !== R_BPF_64_64) throw new ObjectError(`${at}: unsupported relocation ${bpfRelocationName(r.type)} against ${symName}`, where);
    if (ins.opcode !== LDDW) throw new ObjectError(`${at}: relocation against ${symName} on opcode 0x${ins.opcode.toString(16)}, not a 64-bit load (ld_imm64)`, where);
    if (sym.sectionIndex === SHN_UNDEF) return { insn: this.externLoad(ins, sym, at, where, out) };
    if (sym.sectionIndex === SHN_ABS || sym.sectionIndex === SHN_COMMON || sym.sectionIndex >= this.elf.sections.length) {
      throw new ObjectError(`${at}: relocation against ${symName}, which is in no section`, where);
    }
    const target = this.elf.sections[sym.sectionIndex]!;
    if (target.name === MAPS_SECTION || target.name === LEGACY_MAPS_SECTION) {
      const m = this.maps.find((x) => x.sectionIndex === target.index && x.offset === sym.value);
      if (!m) throw new ObjectError(`${at}: relocation against unknown map ${symName}`, where);
      out.refs.push({ insnIndex: out.insnIndex, kind: "map", name: m.spec.name });
      return { insn: makeInsn(LDDW, ins.dst, PseudoLd.MapFd, 0, 0n) };
    }
    if (target.name === ARENA_SECTION) {
      // An `__arena` global: an address in the arena (libbpf's RELO_DATA against arena_map_idx).
      if (!this.arena) throw new ObjectError(`${at}: bad arena data relocation against ${symName}, no arena maps defined`, where);
      const offset = this.arena.offset + sym.value + ins.imm;
      out.refs.push({ insnIndex: out.insnIndex, kind: "data", name: this.arena.map.name, offset });
      return { insn: makeInsn(LDDW, ins.dst, PseudoLd.MapValue, 0, BigInt(offset) << 32n) };
    }
    const data = this.dataMaps.get(target.index);
    if (data) {
      const offset = sym.value + ins.imm;
      if (offset < 0 || offset > data.valueSize) throw new ObjectError(`${at}: offset ${offset} into ${target.name} is outside its ${data.valueSize} bytes`, where);
      out.refs.push({ insnIndex: out.insnIndex, kind: "data", name: data.name, offset });
      return { insn: makeInsn(LDDW, ins.dst, PseudoLd.MapValue, 0, BigInt(offset) << 32n) };
    }
    if (this.code.has(target.index)) {
      // A callback's address (bpf_loop, bpf_for_each_map_elem): clang leaves src 0, the load becomes BPF_PSEUDO_FUNC.
      const byteOff = sym.value + ins.imm;
      if (byteOff % SLOT !== 0) throw new ObjectError(`${at}: function pointer to byte 0x${byteOff.toString(16)} of ${target.name}, not an instruction`, where);
      return { insn: ins, callee: this.funcAt(target.index, byteOff / SLOT, where, out.insnIndex) };
    }
    throw new ObjectError(`${at}: relocation against ${symName} in section ${target.name}, which is not a map or global data section`, where);
  }

  private externLoad(ins: Instruction, sym: ElfSymbol, at: string, where: { section: string; offset: number; program: string }, out: { insnIndex: number; refs: Reference[] }): Instruction {
    const e = this.externs.get(sym.name);
    if (!e) throw new ObjectError(`${at}: relocation against undefined symbol ${sym.name || `#${sym.index}`}`, where);
    if (e.section === KCONFIG_SECTION) {
      const map = this.kconfig!;
      const offset = e.offset + ins.imm;
      out.refs.push({ insnIndex: out.insnIndex, kind: "kconfig", name: e.name, offset, map: map.name });
      return makeInsn(LDDW, ins.dst, PseudoLd.MapValue, 0, BigInt(offset) << 32n);
    }
    const addr = e.func ? undefined : this.options.ksyms?.[e.name];
    const typed = e.func || e.typed;
    const ref = { insnIndex: out.insnIndex, kind: "ksym" as const, name: e.name, typed, ...(e.func ? { func: true } : {}), ...(e.weak ? { weak: true } : {}) };
    if (addr !== undefined) {
      out.refs.push(ref);
      return makeInsn(LDDW, ins.dst, PseudoLd.Imm, 0, addr);
    }
    // A typed ksym (or a kfunc's address) in the kernel's BTF loads by BTF id, as libbpf's BPF_PSEUDO_BTF_ID.
    const id = typed ? this.targetId(e.name, e.func ? "func" : "var") : undefined;
    if (id !== undefined) {
      out.refs.push(ref);
      return makeInsn(LDDW, ins.dst, PseudoLd.BtfId, 0, BigInt(id));
    }
    // Left for the loader, which resolves it against the kernel it loads into.
    out.refs.push({ ...ref, pending: true });
    return makeInsn(LDDW, ins.dst, PseudoLd.Imm, 0, 0n);
  }

  private kfuncCall(ins: Instruction, sym: ElfSymbol, at: string, where: { section: string; offset: number; program: string }, out: { insnIndex: number; refs: Reference[] }): Instruction {
    const e = this.externs.get(sym.name);
    if (!e || !e.func) throw new ObjectError(`${at}: call to undefined function ${sym.name || `#${sym.index}`}`, where);
    const ref = { insnIndex: out.insnIndex, kind: "kfunc" as const, name: e.name, ...(e.weak ? { weak: true } : {}) };
    const given = this.options.ksyms?.[e.name];
    const id = given !== undefined ? Number(given) : this.targetId(e.name, "func");
    out.refs.push(id !== undefined ? ref : { ...ref, pending: true });
    return { ...ins, src: PseudoCall.Kfunc, off: 0, imm: id ?? 0 };
  }

  private targetId(name: string, kind: "var" | "func"): number | undefined {
    return this.options.targetBtf?.byName(name, kind)[0]?.id;
  }

  extFor(section: string) {
    return {
      func: this.ext?.funcInfo.get(section) ?? [],
      line: this.ext?.lineInfo.get(section) ?? [],
      core: this.ext?.coreRelocations.get(section) ?? [],
    };
  }

  applyCore(ins: Instruction, relo: CoreRelocation, where: { section: string; offset: number; program: string }, insnIndex: number): Instruction {
    try {
      return applyCoreRelocation(ins, computeCoreRelocation(this.btf!, this.options.targetBtf!, relo));
    } catch (e) {
      if (e instanceof BpfError) throw new ObjectError(`insn ${insnIndex}: CO-RE relocation ${CORE_RELOCATION_KIND_NAMES[relo.kind] ?? relo.kind} ${relo.accessString}: ${e.message}`, where);
      throw e;
    }
  }
}

/** Builds one program: its function, then each callee the first time it is called (libbpf's `bpf_object__reloc_code`). */
class Linker {
  private slots = 0;
  private readonly placed = new Map<Func, number>();

  constructor(
    private readonly b: SpecBuilder,
    private readonly spec: ProgramSpec,
  ) {}

  emit(f: Func): number {
    const base = this.slots;
    this.placed.set(f, base);
    const code = f.code;
    const first = this.spec.instructions.length;
    for (let i = f.startInsn; i < f.endInsn; i++) {
      this.spec.instructions.push(code.insns[i]!);
      this.slots += slotsOf(code.insns[i]!);
    }
    const outSlot = (slot: number) => base + slot - f.startSlot;
    const inRange = (slot: number) => slot >= f.startSlot && slot < f.endSlot;
    const ext = this.b.extFor(code.sec.name);
    for (const r of ext.func) if (inRange(r.insnOff)) this.spec.funcInfo.push({ insnOff: outSlot(r.insnOff), typeId: r.typeId } satisfies FuncInfo);
    for (const r of ext.line) {
      if (inRange(r.insnOff)) this.spec.lineInfo.push({ insnOff: outSlot(r.insnOff), fileName: r.fileName, line: r.line, column: r.column, lineText: r.lineText } satisfies LineInfo);
    }
    const where = (i: number) => ({ section: code.sec.name, offset: code.sec.offset + code.slotOf[i]! * SLOT, program: this.spec.name });
    for (const r of ext.core) {
      if (!inRange(r.insnOff)) continue;
      const i = code.insnAt[r.insnOff] ?? -1;
      if (i < 0) throw new ObjectError(`CO-RE relocation at insn ${r.insnOff} is inside a 64-bit load`, { section: code.sec.name, offset: code.sec.offset + r.insnOff * SLOT, program: this.spec.name });
      const outIndex = first + i - f.startInsn;
      if (this.b.btf && this.b.options.targetBtf) {
        try {
          this.spec.instructions[outIndex] = this.b.applyCore(this.spec.instructions[outIndex]!, r, where(i), outIndex);
        } catch (e) {
          // libbpf relocates only the programs it loads, so this fails this program's load alone.
          if (!(e instanceof ObjectError)) throw e;
          this.spec.loadError ??= e.message;
        }
      } else {
        this.spec.pendingCore.push({ insnIndex: outIndex, typeId: r.typeId, accessString: r.accessString, kind: CORE_RELOCATION_KIND_NAMES[r.kind] ?? String(r.kind) } satisfies PendingCoreRelocation);
      }
    }
    for (let i = f.startInsn; i < f.endInsn; i++) {
      const outIndex = first + i - f.startInsn;
      const ins = this.spec.instructions[outIndex]!;
      const r = code.relos.get(i);
      let callee: Func | undefined;
      let next = ins;
      if (r) {
        const done = this.b.relocate(f, i, ins, r, { insnIndex: outIndex, program: this.spec.name, refs: this.spec.references });
        next = done.insn;
        callee = done.callee;
      } else if ((ins.opcode === CALL && ins.src === PseudoCall.Local) || (ins.opcode === LDDW && ins.src === PseudoLd.Func)) {
        // A call within the same section needs no relocation: it is pc-relative already.
        callee = this.b.funcAt(code.sec.index, code.slotOf[i]! + ins.imm + 1, where(i), outIndex);
      }
      if (callee) {
        const target = this.placed.get(callee) ?? this.emit(callee);
        const from = outSlot(code.slotOf[i]!);
        const imm = target - (from + 1);
        next = ins.opcode === LDDW ? makeInsn(LDDW, ins.dst, PseudoLd.Func, ins.off, BigInt(imm >>> 0)) : { ...next, imm };
        this.spec.references.push({ insnIndex: outIndex, kind: "subprog", name: callee.name });
      }
      this.spec.instructions[outIndex] = next;
    }
    return base;
  }
}

/** The type `programTypes` gives a program: exact name, then exact section, then the first matching glob. */
function pickType(types: Record<string, string> | undefined, name: string, section: string): string | undefined {
  if (!types) return undefined;
  const own = Object.prototype.hasOwnProperty;
  if (own.call(types, name)) return types[name];
  if (own.call(types, section)) return types[section];
  for (const [key, type] of Object.entries(types)) {
    if (!key.includes("*")) continue;
    const re = new RegExp(`^${key.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    if (re.test(name) || re.test(section)) return type;
  }
  return undefined;
}

function isProgramType(name: string): name is ProgramTypeName {
  try {
    programTypeId(name as ProgramTypeName);
    return true;
  } catch {
    return false;
  }
}
