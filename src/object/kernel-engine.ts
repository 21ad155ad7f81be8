/**
 * @fileoverview The kernel engine of `loadObject`: what libbpf's `bpf_object__load` does
 * with bpf(2) — load the BTF, create the maps (inner templates first), fill global data
 * and freeze .rodata, write map fds into the instructions, load the programs with their
 * func and line info, then fill prog arrays. Node on Linux only; imported on demand.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import { LDDW, type Instruction } from "../isa/instruction.js";
import { KernelBtf } from "../kernel/btf.js";
import { HOST_LITTLE_ENDIAN } from "../kernel/layout.js";
import { KernelMap, type KernelMapSpec } from "../kernel/map.js";
import { KernelProgram } from "../kernel/program.js";
import { mapTypeName, type MapTypeName } from "../maps/types.js";
import { programTypeId, type AttachTypeName, type ProgramTypeName } from "../programs/types.js";
import { finalizeBtf, stringOffsets } from "./btf-fixup.js";
import { ObjectError } from "./errors.js";
import { fillSlots, programsToLoad } from "./engine-steps.js";
import { PinSession, pinRootOf } from "./kernel-pins.js";
import { fillTailCalls, tailCallPlan, type TailCallSlot } from "./tail-calls.js";
import type { BpfObject, LoadObjectOptions, ObjectEngine } from "./load.js";
import { matchSection } from "./sections.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./types.js";

/** Names the kernel keeps: 15 characters of [A-Za-z0-9_.]. */
const kernelName = (name: string): string => name.slice(0, 15).replace(/[^A-Za-z0-9_.]/g, "_");


export const KERNEL_ENGINE: ObjectEngine<KernelProgram, KernelMap> = {
  name: "kernel",
  load: loadIntoKernel,
};

function loadIntoKernel(spec: ObjectSpec, options: LoadObjectOptions): BpfObject<KernelProgram, KernelMap> {
  if (spec.littleEndian !== HOST_LITTLE_ENDIAN) {
    throw new NotSupportedError("loading a foreign-endian object into the kernel", `the object is ${spec.littleEndian ? "little" : "big"}-endian, this host is not`);
  }
  const maps = new Map<string, KernelMap>();
  const programs = new Map<string, KernelProgram>();
  let btf: KernelBtf | undefined;
  let btfError: string | undefined;
  const close = () => {
    for (const p of programs.values()) p.close();
    for (const m of maps.values()) m.close();
    btf?.close();
  };
  // What libbpf refuses before it makes anything: a program whose section gave it no type.
  const toLoad = programsToLoad(spec, options.skip);
  const plan = tailCallPlan(spec, options);
  const pins = new PinSession(spec, pinRootOf(options));
  let tailCalls: TailCallSlot[] = [];
  try {
    ({ btf, btfError } = loadBtf(spec));
    for (const m of spec.maps) maps.set(m.name, createMap(m, btf, pins));
    // Map-in-map slots once every map exists, so a slot may name a map defined after its outer map.
    fillSlots(spec, maps, "map", maps, (target) => target.fd, HOST_LITTLE_ENDIAN);
    for (const p of toLoad) programs.set(p.name, loadProgram(spec, p, maps, btf, options));
    // Prog arrays last, as libbpf's bpf_object_init_prog_arrays: their values are program fds.
    fillSlots(spec, maps, "program", programs, (prog) => prog.fd, HOST_LITTLE_ENDIAN);
    tailCalls = fillTailCalls(plan.slots, maps, programs, (prog) => prog.fd, HOST_LITTLE_ENDIAN);
    // Only a whole object replaces CILIUM_PIN_REPLACE pins, as Cilium commits them after attaching.
    pins.commit();
  } catch (e) {
    pins.rollback();
    close();
    throw e;
  }
  const object: BpfObject<KernelProgram, KernelMap> = { programs, maps, close, tailCalls, tailCallErrors: plan.errors, pins: pins.pins, ...(btfError ? { btfError } : {}) };
  return object;
}

/** The object's BTF in the kernel, or why not: a kernel that refuses it still runs the programs, without func/line info. */
function loadBtf(spec: ObjectSpec): { btf?: KernelBtf; btfError?: string } {
  if (!spec.btf) return { btfError: "the object has no .BTF" };
  if (spec.btf.littleEndian !== HOST_LITTLE_ENDIAN) return { btfError: "the BTF is in the other byte order" };
  const sizes = new Map<string, number>();
  for (const m of spec.maps) if (m.section) sizes.set(m.section, m.valueSize);
  try {
    return { btf: KernelBtf.load(finalizeBtf(spec.btf, sizes)) };
  } catch (e) {
    if (e instanceof BpfError) return { btfError: e.message };
    throw e;
  }
}

function createMap(m: MapSpec, btf: KernelBtf | undefined, pins?: PinSession): KernelMap {
  const plan = pins?.plan(m);
  let inner: KernelMap | undefined;
  try {
    if (m.innerMap) inner = createMap(m.innerMap, btf);
    const base: KernelMapSpec = {
      type: typeOf(m),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      name: kernelName(m.name),
      ...(inner ? { innerMapFd: inner.fd } : {}),
      ...(m.numaNode !== undefined ? { numaNode: m.numaNode } : {}),
      ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    };
    // A compatible pinned map stands in for this one, with what it holds (libbpf does not refill it).
    const reused = plan && pins!.reuse(m, plan, { type: m.type, keySize: base.keySize, valueSize: base.valueSize, maxEntries: base.maxEntries, flags: base.flags ?? 0 });
    if (reused) return reused;
    let map: KernelMap;
    const withBtf = btf && m.valueType !== undefined;
    try {
      map = withBtf ? KernelMap.create({ ...base, btfFd: btf.fd, btfKeyTypeId: m.keyType ?? 0, btfValueTypeId: m.valueType! }) : KernelMap.create(base);
    } catch (e) {
      // As libbpf: a map the kernel refuses with BTF is tried once more without.
      if (!withBtf || !(e instanceof BpfError)) throw e;
      map = KernelMap.create(base);
    }
    try {
      for (const e of m.contents ?? []) if (e.value) map.set(e.key, e.value);
      if (m.freeze) map.freeze();
      if (plan) pins!.created(m, plan, map);
    } catch (e) {
      map.close();
      throw e;
    }
    return map;
  } finally {
    // The kernel keeps what it needs of the template; libbpf closes it too.
    inner?.close();
  }
}

function typeOf(m: MapSpec): MapTypeName | number {
  const match = /^type (\d+)$/.exec(m.type);
  if (match) return Number(match[1]);
  if (mapTypeName(0) === m.type) throw new ObjectError(`map ${m.name}: no map type (unspec)`);
  return m.type as MapTypeName;
}

/** One program of `programsToLoad`, whose type is known. */
function loadProgram(spec: ObjectSpec, p: ProgramSpec, maps: Map<string, KernelMap>, btf: KernelBtf | undefined, options: LoadObjectOptions): KernelProgram {
  const insns = resolveMaps(p, maps);
  const base = {
    type: p.type as ProgramTypeName,
    instructions: insns,
    license: p.license || spec.license,
    name: kernelName(p.name),
    flags: p.flags,
    ...(p.expectedAttachType ? { expectedAttachType: p.expectedAttachType as AttachTypeName } : {}),
    ...(spec.kernelVersion !== undefined ? { kernVersion: spec.kernelVersion } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...attachBtf(p, options),
  };
  programTypeId(base.type); // an unknown name fails here, with the table's message
  if (!btf || !spec.btf || p.funcInfo.length === 0) return KernelProgram.load(base);
  const strings = stringOffsets(spec.btf);
  const lineInfo = [...p.lineInfo]
    .sort((a, b) => a.insnOff - b.insnOff)
    .map((l) => ({ insnOff: l.insnOff, fileNameOff: strings.get(l.fileName) ?? 0, lineOff: strings.get(l.lineText) ?? 0, lineCol: (l.line << 10) | (l.column & 0x3ff) }));
  const funcInfo = [...p.funcInfo].sort((a, b) => a.insnOff - b.insnOff);
  try {
    return KernelProgram.load({ ...base, btfFd: btf.fd, funcInfo, lineInfo });
  } catch (e) {
    // A kernel that takes the BTF but not this func/line info still gets the program, as without BTF.
    if (!(e instanceof BpfError)) throw e;
    try {
      return KernelProgram.load(base);
    } catch {
      throw e;
    }
  }
}

/** SEC_ATTACH_BTF sections (fentry/, lsm/, tp_btf/, iter/) need the target's BTF id in vmlinux. */
function attachBtf(p: ProgramSpec, options: LoadObjectOptions): { attachBtfId?: number } {
  const def = matchSection(p.sectionName)?.def;
  if (!def?.attachBtf) return {};
  if (!p.attachTo) throw new ObjectError(`section ${p.sectionName} names no attach target`, { program: p.name, section: p.sectionName });
  if (!options.targetBtf) throw new NotSupportedError(`program ${p.name}: attach target ${p.attachTo}`, "give the kernel's BTF in options.targetBtf");
  const prefix = def.type === "lsm" ? "bpf_lsm_" : def.attach === "trace_iter" ? "bpf_iter_" : def.attach === "trace_raw_tp" ? "btf_trace_" : "";
  const kind = def.attach === "trace_raw_tp" ? "typedef" : "func";
  const t = options.targetBtf.byName(prefix + p.attachTo, kind)[0];
  if (!t) throw new ObjectError(`attach target ${prefix}${p.attachTo} is not in the kernel's BTF`, { program: p.name, section: p.sectionName });
  return { attachBtfId: t.id };
}

/** The instructions with every map and data reference given its map's fd (BPF_PSEUDO_MAP_FD / _VALUE). */
function resolveMaps(p: ProgramSpec, maps: Map<string, KernelMap>): Instruction[] {
  const insns = p.instructions.slice();
  for (const r of p.references) {
    if (r.kind !== "map" && r.kind !== "data" && r.kind !== "kconfig") continue;
    const name = r.kind === "kconfig" ? r.map ?? "" : r.name;
    const map = maps.get(name);
    const ins = insns[r.insnIndex];
    if (!map) throw new ObjectError(`insn ${r.insnIndex}: relocation against unknown map ${name}`, { program: p.name, section: p.sectionName });
    if (!ins || ins.opcode !== LDDW) throw new ObjectError(`insn ${r.insnIndex}: ${r.kind} reference to ${name} is not on a 64-bit load`, { program: p.name, section: p.sectionName });
    const hi = r.kind === "map" ? 0n : BigInt(r.offset ?? 0) << 32n;
    insns[r.insnIndex] = { ...ins, imm: map.fd, imm64: hi | BigInt(map.fd >>> 0) };
  }
  return insns;
}
