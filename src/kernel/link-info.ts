/**
 * @fileoverview What the kernel says about a link (BPF_OBJ_GET_INFO_BY_FD into `struct
 * bpf_link_info`), decoded per link type into the fields `bpftool link show` prints.
 */

import { attachTypeName } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { linkGetNextId } from "./link-bpf.js";
import { LINK_INFO, LINK_INFO_AT as A, LinkType, linkTypeName, PERF_EVENT_TYPES } from "./link-uapi.js";
import type { StructReader } from "./layout.js";

/** `struct bpf_link_info`, decoded: the common part and, per type, what bpftool shows. */
export interface LinkInfo {
  readonly id: number;
  readonly type: number;
  /** "xdp", "tcx", "raw_tracepoint", "perf_event"... */
  readonly typeName: string;
  readonly progId: number;
  /** raw_tracepoint and perf_event tracepoint links: the tracepoint's name. */
  readonly tpName?: string;
  /** The attach type's short name (tracing, cgroup, netns, tcx, netkit, sockmap links). */
  readonly attachType?: string;
  readonly attachTypeId?: number;
  /** xdp, tcx and netkit links. */
  readonly ifindex?: number;
  readonly cgroupId?: bigint;
  readonly netnsIno?: number;
  readonly targetObjId?: number;
  readonly targetBtfId?: number;
  readonly mapId?: number;
  /** perf_event links: "uprobe", "uretprobe", "tracepoint"... */
  readonly perfEventType?: string;
  /** uprobe perf_event links and uprobe_multi links: the binary. */
  readonly fileName?: string;
  /** uprobe perf_event links: the probe's offset in the file. */
  readonly offset?: number;
  readonly cookie?: bigint;
  /** uprobe_multi links: how many probes, and their flags and pid. */
  readonly count?: number;
  readonly flags?: number;
  readonly pid?: number;
}

const NAME_ROOM = 4096;

const u32At = (r: StructReader, off: number): number => new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(off, true);
const u64At = (r: StructReader, off: number): bigint => new DataView(r.bytes.buffer, r.bytes.byteOffset).getBigUint64(off, true);

/** The link's info; a second call fetches the names (tracepoint, file) the first one said are there. */
export function linkInfo(fd: number): LinkInfo {
  const r = bpf.objGetInfoByFd(fd, LINK_INFO, [], "link info").info;
  const type = r.num("type");
  const base = { id: r.num("id"), type, typeName: linkTypeName(type), progId: r.num("prog_id") };
  const attach = (off: number) => {
    const id = u32At(r, off);
    return { attachTypeId: id, attachType: attachTypeName(id) };
  };
  const named = (ptr: string, len: string): [StructReader, string] => {
    const { info, arrays } = bpf.objGetInfoByFd(fd, LINK_INFO, [{ ptr, len, lenValue: NAME_ROOM, bytes: NAME_ROOM }], "link info");
    return [info, bpf.cString(arrays[0]!)];
  };
  switch (type) {
    case LinkType.raw_tracepoint: {
      const [, tpName] = named("s16", "s24");
      return { ...base, tpName };
    }
    case LinkType.tracing:
      return { ...base, ...attach(A["tracing.attach_type"]), targetObjId: u32At(r, A["tracing.target_obj_id"]), targetBtfId: u32At(r, A["tracing.target_btf_id"]) };
    case LinkType.cgroup:
      return { ...base, cgroupId: u64At(r, A["cgroup.cgroup_id"]), ...attach(A["cgroup.attach_type"]) };
    case LinkType.netns:
      return { ...base, netnsIno: u32At(r, A["netns.netns_ino"]), ...attach(A["netns.attach_type"]) };
    case LinkType.xdp:
      return { ...base, ifindex: u32At(r, A["xdp.ifindex"]) };
    case LinkType.struct_ops:
      return { ...base, mapId: u32At(r, A["struct_ops.map_id"]) };
    case LinkType.tcx: case LinkType.netkit:
      return { ...base, ifindex: u32At(r, A["tcx.ifindex"]), ...attach(A["tcx.attach_type"]) };
    case LinkType.sockmap:
      return { ...base, mapId: u32At(r, A["sockmap.map_id"]), ...attach(A["sockmap.attach_type"]) };
    case LinkType.perf_event: {
      const kind = PERF_EVENT_TYPES[u32At(r, A["perf_event.type"])] ?? `type ${u32At(r, A["perf_event.type"])}`;
      if (kind === "uprobe" || kind === "uretprobe") {
        const [i, fileName] = named("s24", "s32");
        return { ...base, perfEventType: kind, fileName, offset: u32At(i, A["perf_event.uprobe.offset"]), cookie: u64At(i, A["perf_event.uprobe.cookie"]) };
      }
      if (kind === "tracepoint") {
        const [i, tpName] = named("s24", "s32");
        return { ...base, perfEventType: kind, tpName, cookie: u64At(i, A["perf_event.tracepoint.cookie"]) };
      }
      return { ...base, perfEventType: kind };
    }
    case LinkType.uprobe_multi: {
      const [i, fileName] = named("s16", "s48");
      return { ...base, fileName, count: u32At(i, A["uprobe_multi.count"]), flags: u32At(i, A["uprobe_multi.flags"]), pid: u32At(i, A["uprobe_multi.pid"]) };
    }
    default:
      return base;
  }
}

/** Every link id in the system, in ascending order. */
export function* linkIds(): IterableIterator<number> {
  for (let id = linkGetNextId(0); id !== undefined; id = linkGetNextId(id)) yield id;
}
