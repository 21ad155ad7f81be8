/**
 * @fileoverview What the running kernel supports, found the way `bpftool feature
 * probe` finds it: by loading tiny programs and creating tiny maps and reading how
 * the kernel answers. One table row per type says what that type needs to load.
 */

import { release } from "node:os";
import { HELPER_NAMES, helperName } from "../helpers/names.js";
import { insn, type Instruction } from "../isa/instruction.js";
import { MAP_TYPES, mapTypeId, type MapTypeName } from "../maps/types.js";
import { attachTypeId, PROGRAM_TYPES, type ProgramTypeName } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { intBtf } from "./btf.js";
import { errnoName } from "./errno.js";
import { closeFd } from "./native.js";
import { MapFlags, ProgFlags } from "./uapi.js";

/** The answer for one program type, map type or feature. */
export interface Probe {
  readonly name: string;
  readonly available: boolean;
  /** Why not (the errno, or the verifier's words), when the kernel said no. */
  readonly detail?: string;
}

export interface KernelFeatures {
  /** `uname -r`. */
  readonly release: string;
  readonly programTypes: readonly Probe[];
  readonly mapTypes: readonly Probe[];
  /** Helper names each available program type may call; null where a bare program cannot be loaded to ask. */
  readonly helpers: Readonly<Record<string, readonly string[] | null>>;
  readonly misc: readonly Probe[];
}

const R0_0 = insn(0xb7, 0, 0, 0, 0); // r0 = 0
const EXIT = insn(0x95, 0, 0, 0, 0);
const call = (id: number): Instruction => insn(0x85, 0, 0, 0, id);

/** What a bare program of a type needs besides its type to be loaded. */
const PROGRAM_NEEDS: Partial<Record<ProgramTypeName, Partial<bpf.ProgLoadAttr>>> = {
  cgroup_sock_addr: { expectedAttachType: attachTypeId("cgroup_inet4_connect") },
  cgroup_sockopt: { expectedAttachType: attachTypeId("cgroup_getsockopt") },
  sk_lookup: { expectedAttachType: attachTypeId("sk_lookup") },
  netfilter: { expectedAttachType: attachTypeId("netfilter") },
  syscall: { progFlags: ProgFlags.Sleepable },
  // These attach to a kernel function by BTF id. Type id 1 is no such function, but a
  // kernel that knows the program type says so in the log; one that does not says nothing.
  tracing: { expectedAttachType: attachTypeId("trace_fentry"), attachBtfId: 1 },
  lsm: { expectedAttachType: attachTypeId("lsm_mac"), attachBtfId: 1 },
  ext: { attachBtfId: 1 },
  struct_ops: { attachBtfId: 1 },
};

/** Program types whose bare program cannot load, so their helpers cannot be asked about. */
const NEEDS_TARGET = new Set<string>(["tracing", "lsm", "ext", "struct_ops"]);

interface MapNeeds extends Partial<bpf.MapCreateAttr> {
  /** Key and value described by BTF (`int`), as the local storage maps insist. */
  readonly btf?: true;
  /** An inner map, for maps of maps. */
  readonly inner?: true;
}

/** What a tiny map of a type needs besides a 4-byte key, a 4-byte value and one entry. */
const MAP_NEEDS: Partial<Record<MapTypeName, MapNeeds>> = {
  lpm_trie: { keySize: 8, mapFlags: MapFlags.NoPrealloc },
  stack_trace: { valueSize: 8 },
  array_of_maps: { inner: true },
  hash_of_maps: { inner: true },
  cgroup_storage: { keySize: 8, maxEntries: 0 },
  percpu_cgroup_storage: { keySize: 8, maxEntries: 0 },
  queue: { keySize: 0 },
  stack: { keySize: 0 },
  bloom_filter: { keySize: 0 },
  sk_storage: { maxEntries: 0, mapFlags: MapFlags.NoPrealloc, btf: true },
  inode_storage: { maxEntries: 0, mapFlags: MapFlags.NoPrealloc, btf: true },
  task_storage: { maxEntries: 0, mapFlags: MapFlags.NoPrealloc, btf: true },
  cgrp_storage: { maxEntries: 0, mapFlags: MapFlags.NoPrealloc, btf: true },
  // Needs a kernel struct's BTF id; 1 is none, and a kernel with the type says ENOTSUPP, not EINVAL.
  struct_ops: { btfVmlinuxValueTypeId: 1 },
  ringbuf: { keySize: 0, valueSize: 0, maxEntries: 4096 },
  user_ringbuf: { keySize: 0, valueSize: 0, maxEntries: 4096 },
  arena: { keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: MapFlags.Mmapable },
};

/** Loads a program; the errno and log of a failure, or 0 and "" (closing what loaded). */
function tryLoad(a: bpf.ProgLoadAttr & { logLevel: number }): { errno: number; log: string } {
  try {
    const { fd } = bpf.progLoad({ ...a, logOnFailure: false, logSize: a.logSize ?? 4096 });
    closeFd(fd);
    return { errno: 0, log: "" };
  } catch (e) {
    const err = e as { errno?: number; log?: string };
    return { errno: err.errno ?? -1, log: err.log ?? "" };
  }
}

/** Whether the kernel knows a program type. */
export function probeProgramType(type: ProgramTypeName): Probe {
  const id = PROGRAM_TYPES.find((t) => t.name === type)!.id;
  const r = tryLoad({ progType: id, insns: [R0_0, EXIT], license: "GPL", logLevel: 1, ...PROGRAM_NEEDS[type] });
  // Any verdict from the verifier means the type exists; only a silent refusal means it does not.
  if (r.errno === 0 || r.log.trim() !== "") return { name: type, available: true };
  return { name: type, available: false, detail: errnoName(r.errno) };
}

/** Verifier words that mean "no such helper for this program type". */
const NO_HELPER = /program of this type cannot use helper|invalid func |unknown func /;

/** Whether programs of `type` may call helper `id`. */
export function probeHelper(type: ProgramTypeName, id: number): boolean {
  const progType = PROGRAM_TYPES.find((t) => t.name === type)!.id;
  const r = tryLoad({ progType, insns: [call(id), R0_0, EXIT], license: "GPL", logLevel: 1, ...PROGRAM_NEEDS[type] });
  // The call's arguments are garbage, so most loads fail; only the reason matters.
  return r.errno === 0 || !NO_HELPER.test(r.log);
}

/** Whether the kernel can create a map type. */
export function probeMapType(type: MapTypeName): Probe {
  const needs = MAP_NEEDS[type] ?? {};
  const fds: number[] = [];
  try {
    let btfFd: number | undefined;
    if (needs.btf) fds.push((btfFd = bpf.btfLoad(intBtf()).fd));
    let innerMapFd: number | undefined;
    if (needs.inner) fds.push((innerMapFd = bpf.mapCreate({ mapType: mapTypeId("array"), keySize: 4, valueSize: 4, maxEntries: 1 })));
    const attr: bpf.MapCreateAttr = {
      mapType: mapTypeId(type),
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      ...needs,
      ...(btfFd !== undefined ? { btfFd, btfKeyTypeId: 1, btfValueTypeId: 1 } : {}),
      ...(innerMapFd !== undefined ? { innerMapFd } : {}),
    };
    fds.push(bpf.mapCreate(attr));
    return { name: type, available: true };
  } catch (e) {
    const name = errnoName((e as { errno?: number }).errno ?? 0);
    // struct_ops without a real struct: the refusal comes after the type was recognised.
    if (type === "struct_ops" && name === "ENOTSUPP") return { name: type, available: true };
    return { name: type, available: false, detail: name };
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}

/** Loads a socket filter and says whether the kernel took it. */
function loads(name: string, insns: Instruction[]): Probe {
  const r = tryLoad({ progType: 1, insns, license: "GPL", logLevel: 0 });
  return r.errno === 0 ? { name, available: true } : { name, available: false, detail: errnoName(r.errno) };
}

/** Features beyond types: the instruction set versions and verifier limits. */
export function probeMisc(): Probe[] {
  const many = Array.from({ length: 4096 }, () => R0_0);
  return [
    loads("large program size limit", [...many, EXIT]),
    // r0 = 10; loop: r0 -= 1; if r0 != 0 goto loop; exit
    loads("bounded loop support", [insn(0xb7, 0, 0, 0, 10), insn(0x17, 0, 0, 0, 1), insn(0x55, 0, 0, -2, 0), EXIT]),
    // v2: jlt. r0 = 0; if r0 < 1 goto +0; exit
    loads("isa extension v2", [R0_0, insn(0xa5, 0, 0, 0, 1), EXIT]),
    // v3: 32-bit jumps. r0 = 0; if w0 < 1 goto +0; exit
    loads("isa extension v3", [R0_0, insn(0xa6, 0, 0, 0, 1), EXIT]),
    // v4: sign-extending moves. r0 = 0; r0 = (s8)r0; exit
    loads("isa extension v4", [R0_0, insn(0xbf, 0, 0, 8, 0), EXIT]),
  ];
}

/**
 * Probes everything: program types, map types, helpers per program type, and the
 * features in `probeMisc`. Needs bpf() (see `kernelAvailable`). About 7000 loads,
 * well under a second on a current kernel.
 */
export function probeKernel(o: { helpers?: boolean } = {}): KernelFeatures {
  const programTypes = PROGRAM_TYPES.filter((t) => t.id > 0).map((t) => probeProgramType(t.name));
  const mapTypes = MAP_TYPES.filter((t) => t.id > 0).map((t) => probeMapType(t.name));
  const helpers: Record<string, readonly string[] | null> = {};
  if (o.helpers ?? true) {
    for (const p of programTypes) {
      if (!p.available) continue;
      if (NEEDS_TARGET.has(p.name)) {
        helpers[p.name] = null;
        continue;
      }
      const type = p.name as ProgramTypeName;
      helpers[type] = HELPER_NAMES.flatMap((_, id) => (id > 0 && probeHelper(type, id) ? [helperName(id)!] : []));
    }
  }
  return { release: release(), programTypes, mapTypes, helpers, misc: probeMisc() };
}
