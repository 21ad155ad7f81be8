/**
 * @fileoverview What the kernel says about a loaded object (BPF_OBJ_GET_INFO_BY_FD),
 * decoded from `bpf_prog_info`, `bpf_map_info` and `bpf_btf_info` into plain objects,
 * and the walks over every program, map and BTF id in the system.
 */

import { decodeRaw, type Instruction } from "../isa/instruction.js";
import { mapTypeName } from "../maps/types.js";
import { programTypeName } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { HOST_LITTLE_ENDIAN } from "./layout.js";
import { BTF_INFO, MAP_INFO, PROG_INFO } from "./uapi.js";

/** `struct bpf_prog_info`, decoded. */
export interface ProgramInfo {
  readonly type: number;
  /** bpftool's name for the type, "xdp". */
  readonly typeName: string;
  readonly id: number;
  /** The program's tag as hex, as bpftool prints it. */
  readonly tag: string;
  readonly name: string;
  readonly jitedProgLen: number;
  readonly xlatedProgLen: number;
  /** Nanoseconds since boot. */
  readonly loadTime: bigint;
  readonly createdByUid: number;
  readonly mapIds: readonly number[];
  readonly ifindex: number;
  readonly gplCompatible: boolean;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
  readonly nrJitedKsyms: number;
  readonly nrJitedFuncLens: number;
  readonly btfId: number;
  readonly nrFuncInfo: number;
  readonly nrLineInfo: number;
  readonly nrJitedLineInfo: number;
  readonly nrProgTags: number;
  /** Zero unless run-time statistics are on (`sysctl kernel.bpf_stats_enabled`). */
  readonly runTimeNs: bigint;
  readonly runCnt: bigint;
  readonly recursionMisses: bigint;
  /** How many instructions the verifier walked. */
  readonly verifiedInsns: number;
  readonly attachBtfObjId: number;
  readonly attachBtfId: number;
}

/** `struct bpf_map_info`, decoded. */
export interface MapInfo {
  readonly type: number;
  readonly typeName: string;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly ifindex: number;
  readonly btfVmlinuxValueTypeId: number;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxId: number;
  readonly mapExtra: bigint;
}

/** `struct bpf_btf_info`, decoded. */
export interface BtfInfo {
  readonly id: number;
  readonly size: number;
  readonly name: string;
  /** The kernel's own BTF (vmlinux or a module) rather than one loaded by a user. */
  readonly kernelBtf: boolean;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The program's info, with its map ids. */
export function programInfo(fd: number): ProgramInfo {
  const first = bpf.objGetInfoByFd(fd, PROG_INFO, [], "program info").info;
  const nrMaps = first.num("nr_map_ids");
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    // Maps can be bound to a program after load, so ask for what the first call counted.
    const { arrays } = bpf.objGetInfoByFd(fd, PROG_INFO, [{ ptr: "map_ids", len: "nr_map_ids", lenValue: nrMaps, bytes: nrMaps * 4 }], "program info");
    const view = new DataView(arrays[0]!.buffer);
    mapIds = Array.from({ length: nrMaps }, (_, i) => view.getUint32(i * 4, HOST_LITTLE_ENDIAN));
  }
  const r = first;
  const bits = r.num("gpl_compatible");
  return {
    type: r.num("type"),
    typeName: programTypeName(r.num("type")),
    id: r.num("id"),
    tag: hex(r.raw("tag")),
    name: r.str("name"),
    jitedProgLen: r.num("jited_prog_len"),
    xlatedProgLen: r.num("xlated_prog_len"),
    loadTime: r.big("load_time"),
    createdByUid: r.num("created_by_uid"),
    mapIds,
    ifindex: r.num("ifindex"),
    // The first bitfield is the low bit on little-endian ABIs, the high bit on big-endian ones.
    gplCompatible: (HOST_LITTLE_ENDIAN ? bits & 1 : bits >>> 31) === 1,
    netnsDev: r.big("netns_dev"),
    netnsIno: r.big("netns_ino"),
    nrJitedKsyms: r.num("nr_jited_ksyms"),
    nrJitedFuncLens: r.num("nr_jited_func_lens"),
    btfId: r.num("btf_id"),
    nrFuncInfo: r.num("nr_func_info"),
    nrLineInfo: r.num("nr_line_info"),
    nrJitedLineInfo: r.num("nr_jited_line_info"),
    nrProgTags: r.num("nr_prog_tags"),
    runTimeNs: r.big("run_time_ns"),
    runCnt: r.big("run_cnt"),
    recursionMisses: r.big("recursion_misses"),
    verifiedInsns: r.num("verified_insns"),
    attachBtfObjId: r.num("attach_btf_obj_id"),
    attachBtfId: r.num("attach_btf_id"),
  };
}

/**
 * The program as the kernel keeps it after verification ("xlated"): helper calls
 * resolved, context accesses rewritten, map references as map ids. Empty when the
 * kernel hides it (without CAP_SYS_ADMIN or with kptr_restrict).
 */
export function programXlatedBytes(fd: number): Uint8Array {
  const len = bpf.objGetInfoByFd(fd, PROG_INFO, [], "program info").info.num("xlated_prog_len");
  if (len === 0) return new Uint8Array(0);
  const { info, arrays } = bpf.objGetInfoByFd(fd, PROG_INFO, [{ ptr: "xlated_prog_insns", len: "xlated_prog_len", lenValue: len, bytes: len }], "program info");
  return arrays[0]!.subarray(0, Math.min(len, info.num("xlated_prog_len")));
}

/** The xlated program, decoded. */
export function programXlated(fd: number): Instruction[] {
  return decodeRaw(programXlatedBytes(fd), { littleEndian: HOST_LITTLE_ENDIAN });
}

/** The map's info. */
export function mapInfo(fd: number): MapInfo {
  const r = bpf.objGetInfoByFd(fd, MAP_INFO, [], "map info").info;
  return {
    type: r.num("type"),
    typeName: mapTypeName(r.num("type")),
    id: r.num("id"),
    keySize: r.num("key_size"),
    valueSize: r.num("value_size"),
    maxEntries: r.num("max_entries"),
    flags: r.num("map_flags"),
    name: r.str("name"),
    ifindex: r.num("ifindex"),
    btfVmlinuxValueTypeId: r.num("btf_vmlinux_value_type_id"),
    netnsDev: r.big("netns_dev"),
    netnsIno: r.big("netns_ino"),
    btfId: r.num("btf_id"),
    btfKeyTypeId: r.num("btf_key_type_id"),
    btfValueTypeId: r.num("btf_value_type_id"),
    btfVmlinuxId: r.num("btf_vmlinux_id"),
    mapExtra: r.big("map_extra"),
  };
}

/** The BTF object's info, with its name. */
export function btfInfo(fd: number): BtfInfo {
  const nameBytes = 256;
  const { info, arrays } = bpf.objGetInfoByFd(fd, BTF_INFO, [{ ptr: "name", len: "name_len", lenValue: nameBytes, bytes: nameBytes }], "btf info");
  return {
    id: info.num("id"),
    size: info.num("btf_size"),
    name: bpf.cString(arrays[0]!),
    kernelBtf: info.num("kernel_btf") !== 0,
  };
}

function* ids(next: (start: number) => number | undefined): IterableIterator<number> {
  for (let id = next(0); id !== undefined; id = next(id)) yield id;
}

/** Every program id in the system, in ascending order (needs CAP_SYS_ADMIN). */
export const programIds = (): IterableIterator<number> => ids(bpf.progGetNextId);

/** Every map id in the system, in ascending order. */
export const mapIds = (): IterableIterator<number> => ids(bpf.mapGetNextId);

/** Every BTF object id in the system, vmlinux's included. */
export const btfIds = (): IterableIterator<number> => ids(bpf.btfGetNextId);
