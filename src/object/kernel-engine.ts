/**
 * @fileoverview The kernel engine of `loadObject`: what libbpf's `bpf_object__load` does
 * with bpf(2) — load the BTF, create the maps (inner templates first), fill global data
 * and freeze .rodata, write map fds into the instructions, load the programs with their
 * func and line info, then fill prog arrays. Node on Linux only; imported on demand.
 */

import { essentialName, typesCompat, type Btf, type BtfType } from "../btf/index.js";
import { BpfError, NotSupportedError } from "../errors.js";
import { LDDW, type Instruction } from "../isa/instruction.js";
import { KernelBtf } from "../kernel/btf.js";
import { HOST_LITTLE_ENDIAN } from "../kernel/layout.js";
import { btfIds, btfInfo } from "../kernel/info.js";
import { KernelMap, possibleCpus, type KernelMapSpec } from "../kernel/map.js";
import { BpfSyscallError, KernelVerifierError } from "../kernel/errors.js";
import { KernelProgram } from "../kernel/program.js";
import { mapTypeName, type MapTypeName } from "../maps/types.js";
import { programTypeId, type AttachTypeName, type ProgramTypeName } from "../programs/types.js";
import { finalizeBtf, stringOffsets } from "./btf-fixup.js";
import { ObjectError } from "./errors.js";
import { BPF_F_LINK, STRUCT_OPS_SECTION } from "./struct-ops.js";
import { fillSlots, programsToLoad } from "./engine-steps.js";
import { findKernelType, hostKsyms, kernelBtf, moduleBtfs, pageSize } from "./host.js";
import { adjustRingbufSize, isRingbuf } from "./maps.js";
import { PinSession, pinRootOf } from "./kernel-pins.js";
import { fillTailCalls, tailCallPlan, type TailCallSlot } from "./tail-calls.js";
import type { BpfObject, LoadObjectOptions, ObjectEngine } from "./load.js";
import { matchSection } from "./sections.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./types.js";
import type { ProgramJudge } from "./verify.js";

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
  const target = new TargetKernel(options.targetBtf);
  const warnings: string[] = [];
  const close = () => {
    for (const p of programs.values()) p.close();
    for (const m of maps.values()) m.close();
    btf?.close();
    target.close();
  };
  // What libbpf refuses before it makes anything: a program without a type, a kconfig extern without a value.
  const toLoad = programsToLoad(spec, options.skip);
  const plan = tailCallPlan(spec, options);
  const pins = new PinSession(spec, pinRootOf(options));
  let tailCalls: TailCallSlot[] = [];
  try {
    ({ btf, btfError } = loadBtf(spec));
    for (const m of spec.maps) maps.set(m.name, m.structOps ? target.createStructOps(m, btf) : createMap(m, btf, pins));
    // Map-in-map slots once every map exists, so a slot may name a map defined after its outer map.
    fillSlots(spec, maps, "map", maps, (target) => target.fd, HOST_LITTLE_ENDIAN);
    for (const p of toLoad) programs.set(p.name, loadProgram(spec, p, maps, btf, target, options, warnings));
    // Prog arrays last, as libbpf's bpf_object_init_prog_arrays: their values are program fds.
    fillSlots(spec, maps, "program", programs, (prog) => prog.fd, HOST_LITTLE_ENDIAN);
    // A struct_ops map with BPF_F_LINK takes its value now (the kernel checks it, a link
    // registers it); a plain one registers when updated, which is attaching, not loading.
    for (const m of spec.maps) {
      if (m.structOps && (m.flags & BPF_F_LINK) !== 0) maps.get(m.name)!.set(new Uint8Array(4), target.structOpsValue(spec, m, programs));
    }
    tailCalls = fillTailCalls(plan.slots, maps, programs, (prog) => prog.fd, HOST_LITTLE_ENDIAN);
    // Only a whole object replaces CILIUM_PIN_REPLACE pins, as Cilium commits them after attaching.
    pins.commit();
  } catch (e) {
    pins.rollback();
    close();
    throw e;
  }
  // The module BTF fds may go: a loaded program holds its own references.
  target.close();
  const object: BpfObject<KernelProgram, KernelMap> = { programs, maps, close, warnings, tailCalls, tailCallErrors: plan.errors, pins: pins.pins, ...(btfError ? { btfError } : {}) };
  return object;
}

/** The kernel's words when it refuses a program's func_info or line_info (check_btf_info), not the program itself. */
const BTF_INFO_REFUSED = /func[_ ]info|line[_ ]info|invalid type id|subprog layout|rec size/i;

/** The object's BTF in the kernel, or why not: a kernel that refuses it still runs the programs, without func/line info. */
function loadBtf(spec: ObjectSpec): { btf?: KernelBtf; btfError?: string } {
  if (!spec.btf) return { btfError: "the object has no .BTF" };
  if (spec.btf.littleEndian !== HOST_LITTLE_ENDIAN) return { btfError: "the BTF is in the other byte order" };
  const sizes = new Map<string, number>();
  // A global data map is its whole section; a struct_ops map is one variable of its section.
  for (const m of spec.maps) if (m.section && m.origin !== "struct_ops") sizes.set(m.section, m.valueSize);
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
      // As libbpf: a perf_event_array declared without max_entries gets one slot per possible CPU.
      // A ring buffer is rounded to this host's pages (the spec may have assumed 4096).
      maxEntries: m.maxEntries === 0 && m.type === "perf_event_array" ? possibleCpus() : isRingbuf(m) ? adjustRingbufSize(m.maxEntries, pageSize()) : m.maxEntries,
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
      // As libbpf: an arena is mapped here at once (which gives it its user address) and
      // gets the object's __arena globals.
      if (m.type === "arena") map.mapArena(m.maxEntries * pageSize(), m.mapExtra, m.arenaData);
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
function loadProgram(
  spec: ObjectSpec,
  p: ProgramSpec,
  maps: Map<string, KernelMap>,
  btf: KernelBtf | undefined,
  target: TargetKernel,
  options: LoadObjectOptions,
  warnings: string[],
): KernelProgram {
  // libbpf fails such a load too: the compiled offsets are the build host's, not this kernel's.
  if (p.pendingCore.length > 0) {
    throw new ObjectError(`program ${p.name}: ${p.pendingCore.length} CO-RE relocations are unresolved: open the object with this kernel's BTF (loadObjectSpec(bytes, { targetBtf }), /sys/kernel/btf/vmlinux)`);
  }
  const insns = resolveMaps(p, maps);
  const fdArray = target.resolveExterns(spec, p, insns);
  const base = {
    type: p.type as ProgramTypeName,
    instructions: insns,
    license: p.license || spec.license,
    name: kernelName(p.name),
    flags: p.flags,
    ...(p.expectedAttachType ? { expectedAttachType: p.expectedAttachType as AttachTypeName } : {}),
    ...(spec.kernelVersion !== undefined ? { kernVersion: spec.kernelVersion } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(fdArray ? { fdArray } : {}),
    ...target.attachBtf(p),
    ...(p.type === "struct_ops" ? target.structOpsAttach(spec, p) : {}),
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
    // Only then: a program the verifier rejects stays rejected (without func info its global
    // functions would be checked as static ones, and pass where libbpf's load fails).
    if (!(e instanceof BpfError)) throw e;
    const log = "log" in e && typeof e.log === "string" ? e.log : e.message;
    if (!BTF_INFO_REFUSED.test(log)) throw e;
    let loaded: KernelProgram;
    try {
      loaded = KernelProgram.load(base);
    } catch {
      throw e;
    }
    warnings.push(`program ${p.name}: the kernel refused its func and line info (${e.message}); loaded without them`);
    return loaded;
  }
}

/** BPF_PSEUDO_KFUNC_CALL */
const PSEUDO_KFUNC_CALL = 2;
/** BPF_PSEUDO_BTF_ID */
const PSEUDO_BTF_ID = 3;

/**
 * The kernel a program is loaded into, as far as names go: its BTF (the caller's
 * `targetBtf`, or /sys/kernel/btf/vmlinux) and its modules' BTF, whose fds a program
 * needs when it calls a module's kfunc or attaches to a module's function.
 */
class TargetKernel {
  private readonly moduleFds = new Map<string, KernelBtf>();

  constructor(private readonly given: Btf | undefined) {}

  private get vmlinux(): Btf | undefined {
    return this.given ?? kernelBtf();
  }

  /** The first type named `name` of `kind`, in vmlinux, then in each module's own types; with the BTF it is in. */
  find(name: string, kind: "func" | "var" | "typedef"): { id: number; btf: Btf; module?: string } | undefined {
    // A caller's BTF stands for the whole kernel.
    return findKernelType(name, kind, this.vmlinux, this.given ? [] : moduleBtfs());
  }

  /**
   * A kfunc by its essential name (`bpf_foo___v2` is `bpf_foo`), its prototype checked
   * against the kernel's as libbpf checks it (bpf_core_types_are_compat).
   */
  private kfunc(spec: ObjectSpec, name: string, where: { program: string; section: string }): { id: number; module?: string } | undefined {
    const found = this.find(essentialName(name), "func");
    if (!found) return undefined;
    const local = spec.btf?.byName(name, "func")[0];
    const theirs = found.btf.type(found.id);
    if (local?.kind === "func" && theirs.kind === "func" && !typesCompat(spec.btf!, local.type, found.btf, theirs.type)) {
      throw new ObjectError(`extern (func ksym) '${name}': func_proto [${local.type}] incompatible with ${found.module ?? "vmlinux"} [${theirs.type}]`, where);
    }
    return found;
  }

  /** An fd of a module's BTF object in the kernel, found by name among the loaded BTF objects. */
  private moduleFd(module: string): number {
    const have = this.moduleFds.get(module);
    if (have && !have.closed) return have.fd;
    for (const id of btfIds()) {
      const btf = KernelBtf.fromId(id);
      if (btfInfo(btf.fd).name === module) {
        this.moduleFds.set(module, btf);
        return btf.fd;
      }
      btf.close();
    }
    throw new NotSupportedError(`the BTF of module ${module}`, "the kernel lists no BTF object of that name");
  }

  /**
   * Fills in the kfunc calls and ksym loads opening left pending, as libbpf's
   * `bpf_object__resolve_externs` and its relocations do: kfuncs by BTF id (a module's
   * with its BTF fd's index in the fd array), typed variables and kfunc addresses by BTF
   * id, typeless variables by kallsyms address; a weak extern not found is 0. Returns the
   * fd array when a module's kfunc needs one.
   */
  resolveExterns(spec: ObjectSpec, p: ProgramSpec, insns: Instruction[]): number[] | undefined {
    const fdArray: number[] = [];
    const indexOf = (module: string): number => {
      const fd = this.moduleFd(module);
      if (fdArray.length === 0) fdArray.push(0); // off 0 means vmlinux, so modules start at 1
      const at = fdArray.indexOf(fd, 1);
      return at > 0 ? at : fdArray.push(fd) - 1;
    };
    const where = { program: p.name, section: p.sectionName };
    for (const r of p.references) {
      if (!r.pending || (r.kind !== "kfunc" && r.kind !== "ksym")) continue;
      const ins = insns[r.insnIndex]!;
      if (r.kind === "kfunc") {
        const found = this.kfunc(spec, r.name, where);
        if (!found) {
          if (r.weak) continue; // stays `call 0`, which the verifier removes as dead code
          throw new ObjectError(`extern (func ksym) '${r.name}': not found in kernel or module BTFs`, where);
        }
        insns[r.insnIndex] = { ...ins, src: PSEUDO_KFUNC_CALL, imm: found.id, off: found.module ? indexOf(found.module) : 0 };
        continue;
      }
      if (r.typed) {
        const found = r.func ? this.kfunc(spec, r.name, where) : this.find(r.name, "var");
        if (found) {
          // The second slot holds the module's BTF fd (0: vmlinux).
          const fd = found.module ? this.moduleFd(found.module) : 0;
          insns[r.insnIndex] = { ...ins, src: PSEUDO_BTF_ID, imm: found.id, imm64: (BigInt(fd) << 32n) | BigInt(found.id) };
          continue;
        }
      } else {
        const addr = hostKsyms().get(r.name);
        if (addr !== undefined) {
          insns[r.insnIndex] = { ...ins, imm: Number(BigInt.asIntN(32, addr)), imm64: addr };
          continue;
        }
      }
      if (r.weak) continue; // stays a load of 0
      throw new ObjectError(r.typed ? `extern (${r.func ? "func" : "var"} ksym) '${r.name}': not found in kernel BTF` : `extern (ksym) '${r.name}': not found in /proc/kallsyms`, where);
    }
    return fdArray.length ? fdArray : undefined;
  }

  /** SEC_ATTACH_BTF sections (fentry/, lsm/, tp_btf/, iter/) need the target's BTF id, in vmlinux or a module. */
  attachBtf(p: ProgramSpec): { attachBtfId?: number; attachBtfObjFd?: number } {
    const def = matchSection(p.sectionName)?.def;
    if (!def?.attachBtf || def.type !== p.type) return {};
    if (!p.attachTo) throw new ObjectError(`section ${p.sectionName} names no attach target`, { program: p.name, section: p.sectionName });
    // freplace's target is a function of another loaded program (libbpf's bpf_program__set_attach_target).
    if (def.type === "ext") throw new NotSupportedError(`program ${p.name}: freplace of ${p.attachTo}`, "it needs the program whose function it replaces, which tsbpf cannot be given yet");
    // "module:function" names the module, as libbpf allows.
    const colon = p.attachTo.indexOf(":");
    const name = colon >= 0 ? p.attachTo.slice(colon + 1) : p.attachTo;
    const prefix = def.type === "lsm" ? "bpf_lsm_" : def.attach === "trace_iter" ? "bpf_iter_" : def.attach === "trace_raw_tp" ? "btf_trace_" : "";
    const kind = def.attach === "trace_raw_tp" ? "typedef" : "func";
    if (!this.vmlinux) throw new NotSupportedError(`program ${p.name}: attach target ${p.attachTo}`, "the kernel has no BTF (/sys/kernel/btf/vmlinux); give it in options.targetBtf");
    const found = this.find(prefix + name, kind);
    if (!found) throw new ObjectError(`attach target ${prefix}${name} is not in the kernel's BTF`, { program: p.name, section: p.sectionName });
    return found.module ? { attachBtfId: found.id, attachBtfObjFd: this.moduleFd(found.module) } : { attachBtfId: found.id };
  }

  /** The kernel's `struct bpf_struct_ops_<name>` (the map's value) and `struct <name>` (its `data`). */
  private structOpsTypes(m: MapSpec): { value: Extract<BtfType, { members: unknown }>; data: Extract<BtfType, { members: unknown }>; dataOffset: number } {
    const name = m.structOps!.typeName;
    const where = { section: m.section ?? STRUCT_OPS_SECTION };
    const btf = this.vmlinux;
    if (!btf) throw new NotSupportedError(`struct_ops map ${m.name}`, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
    const value = btf.byName(`bpf_struct_ops_${name}`, "struct")[0];
    const data = btf.byName(name, "struct")[0];
    if (!value || value.kind !== "struct" || !data || data.kind !== "struct") throw new ObjectError(`struct_ops map ${m.name}: this kernel has no struct_ops type ${name}`, where);
    const member = value.members.find((x) => x.name === "data");
    if (!member) throw new ObjectError(`struct_ops map ${m.name}: bpf_struct_ops_${name} has no data member`, where);
    return { value, data, dataOffset: member.bitOffset / 8 };
  }

  /**
   * A struct_ops map in the kernel: its value is the kernel's type, named by its BTF id in
   * vmlinux; the kernel wants the object's BTF with it all the same.
   */
  createStructOps(m: MapSpec, objectBtf: KernelBtf | undefined): KernelMap {
    const { value } = this.structOpsTypes(m);
    if (!objectBtf) throw new ObjectError(`struct_ops map ${m.name}: the kernel did not take the object's BTF, which the map needs`, { section: m.section ?? STRUCT_OPS_SECTION });
    return KernelMap.create({ type: "struct_ops", keySize: 4, valueSize: value.size, maxEntries: 1, flags: m.flags, name: kernelName(m.name), btfFd: objectBtf.fd, btfVmlinuxValueTypeId: value.id });
  }

  /** A struct_ops program attaches to a member of the kernel struct: its BTF id, and the member's index as the attach type. */
  structOpsAttach(spec: ObjectSpec, p: ProgramSpec): { attachBtfId: number; expectedAttachType: number } {
    const where = { program: p.name, section: p.sectionName };
    for (const m of spec.maps) {
      const member = Object.entries(m.structOps?.programs ?? {}).find(([, prog]) => prog === p.name)?.[0];
      if (member === undefined) continue;
      const { data } = this.structOpsTypes(m);
      const index = data.members.findIndex((x) => x.name === member);
      if (index < 0) throw new ObjectError(`struct_ops ${m.name}: the kernel's ${data.name} has no member ${member}`, where);
      return { attachBtfId: data.id, expectedAttachType: index };
    }
    throw new ObjectError("struct_ops program is not used by any struct_ops map", where);
  }

  /**
   * The map's value as the kernel lays it out (libbpf's `bpf_map__init_kern_struct_ops`):
   * each member of the object's struct goes to the kernel's member of the same name, a
   * function pointer as its program's fd, other members byte for byte (their sizes must agree).
   */
  structOpsValue(spec: ObjectSpec, m: MapSpec, programs: ReadonlyMap<string, KernelProgram>): Uint8Array {
    const { value, data, dataOffset } = this.structOpsTypes(m);
    const kernel = this.vmlinux!;
    const own = spec.btf!;
    const type = own.resolve(m.valueType!);
    const bytes = m.contents?.[0]?.value ?? new Uint8Array(m.valueSize);
    const out = new Uint8Array(value.size);
    const view = new DataView(out.buffer);
    const where = { section: m.section ?? STRUCT_OPS_SECTION };
    if (type.kind !== "struct") throw new ObjectError(`struct_ops map ${m.name}: value type is a ${type.kind}`, where);
    for (const member of type.members) {
      const off = member.bitOffset / 8;
      const size = own.sizeof(member.type);
      const mine = bytes.subarray(off, off + size);
      const theirs = data.members.find((x) => x.name === member.name);
      const prog = m.structOps!.programs[member.name];
      if (!theirs) {
        if (prog === undefined && mine.every((b) => b === 0)) continue;
        throw new ObjectError(`struct_ops ${m.name}: member ${member.name} is not in the kernel's ${data.name}`, where);
      }
      const at = dataOffset + theirs.bitOffset / 8;
      if (prog !== undefined) {
        const loaded = programs.get(prog);
        if (!loaded) throw new ObjectError(`struct_ops ${m.name}: member ${member.name}'s program ${prog} was not loaded`, where);
        view.setBigUint64(at, BigInt(loaded.fd), HOST_LITTLE_ENDIAN);
        continue;
      }
      const kernelSize = kernel.sizeof(theirs.type);
      if (kernelSize !== size) throw new ObjectError(`struct_ops ${m.name}: member ${member.name} is ${size} bytes, the kernel's is ${kernelSize}`, where);
      out.set(mine, at);
    }
    return out;
  }

  close(): void {
    for (const b of this.moduleFds.values()) b.close();
    this.moduleFds.clear();
  }
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

/** BPF_LOG_STATS: the verifier's statistics ("processed N insns", "verification time") in the log. */
const LOG_STATS = 4;

/**
 * The kernel's verdict on one program (`verifyObject`'s "kernel" engine): the program
 * loaded as libbpf would load it alone, with the maps it references and nothing else.
 */
export const kernelJudge: ProgramJudge = (spec, program, options) => {
  const started = performance.now();
  // Statistics alone unless a log is asked for: the kernel still says why it rejects, and a
  // large valid program's trace cannot fill the buffer and fail the load with ENOSPC.
  const level = (options.logLevel ?? (options.log ? 1 : 0)) | LOG_STATS;
  const stats = (log: string) => {
    const processed = /^processed (\d+) insns/m.exec(log);
    const time = /^verification time (\d+) usec/m.exec(log);
    return {
      ...(processed ? { insnsProcessed: Number(processed[1]) } : {}),
      verificationMs: time ? Number(time[1]) / 1000 : performance.now() - started,
    };
  };
  const base = { name: program.name, section: program.sectionName };
  let object: BpfObject<KernelProgram, KernelMap>;
  try {
    object = loadIntoKernel(spec, { engine: "kernel", logLevel: level, pinRoot: options.pinRoot ?? false, ...(options.targetBtf ? { targetBtf: options.targetBtf } : {}) });
  } catch (e) {
    if (e instanceof KernelVerifierError) return { ...base, accepted: false, error: e.summary, refusedBy: "verifier", ...stats(e.log), log: e.log };
    // A load the kernel refused without a verifier log (EPERM for fentry here) is still its refusal.
    const kernel = e instanceof BpfSyscallError && e.command === "BPF_PROG_LOAD";
    if (e instanceof BpfError) return { ...base, accepted: false, error: e.message, refusedBy: kernel ? "verifier" : "loader", verificationMs: performance.now() - started };
    throw e;
  }
  try {
    const log = object.programs.get(program.name)?.log ?? "";
    // As libbpf, which goes on without BTF the kernel refuses, and says so.
    const warnings = [...(object.btfError && spec.btf ? [`the kernel refused the object's BTF (${object.btfError}); loaded without func and line info`] : []), ...(object.warnings ?? [])];
    return { ...base, accepted: true, ...stats(log), ...(options.log ? { log } : {}), ...(warnings.length ? { warnings } : {}) };
  } finally {
    object.close();
  }
};
