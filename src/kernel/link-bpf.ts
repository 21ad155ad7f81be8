/**
 * @fileoverview Typed wrappers of the attach commands of bpf(): BPF_LINK_CREATE,
 * BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_RAW_TRACEPOINT_OPEN, BPF_PROG_ATTACH/DETACH,
 * BPF_PROG_QUERY and the link id walk, speaking plain numbers and fds.
 */

import { attr } from "./bpf.js";
import { BpfSyscallError } from "./errors.js";
import { errno } from "./errno.js";
import { StructReader } from "./layout.js";
import { bpfCall, bpfRaw, withScratch } from "./native.js";
import { LINK_CREATE, LINK_DETACH, LINK_UPDATE, PROG_ATTACH, PROG_QUERY, RAW_TP_OPEN } from "./link-uapi.js";
import { Cmd, cmdName, GET_ID } from "./uapi.js";

const ENOENT = errno("ENOENT");

/** The attributes of BPF_LINK_CREATE; the tail members are those of the link's kind. */
export interface LinkCreateAttr {
  readonly progFd: number;
  /** An ifindex (XDP, tcx), a cgroup fd, a perf event fd, or 0 (tracing). */
  readonly target: number;
  readonly attachType: number;
  readonly flags?: number;
  /** perf_event.bpf_cookie */
  readonly cookie?: bigint;
  readonly targetBtfId?: number;
  /** tcx: the program or link (by fd, or id with BPF_F_ID) to go before or after. */
  readonly relative?: number;
  readonly expectedRevision?: bigint;
  /** uprobe_multi: the binary, one offset per probe, optional ref_ctr offsets and cookies, the pid (0: all). */
  readonly uprobeMulti?: { path: string; offsets: readonly bigint[]; refCtrOffsets?: readonly bigint[]; cookies?: readonly bigint[]; flags?: number; pid?: number };
}

const u64s = (items: readonly bigint[]): Uint8Array => {
  const b = new Uint8Array(items.length * 8);
  const v = new DataView(b.buffer);
  items.forEach((x, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, x), true));
  return b;
};

/** BPF_LINK_CREATE: a new link's fd, or throws with the errno. */
export function linkCreate(a: LinkCreateAttr, context?: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, LINK_CREATE);
    w.set("prog_fd", a.progFd).set("target_fd", a.target).set("attach_type", a.attachType).set("flags", a.flags);
    if (a.uprobeMulti) {
      const m = a.uprobeMulti;
      w.set("path", s.cstr(m.path).addr).set("offsets", s.copy(u64s(m.offsets)).addr)
        .set("ref_ctr_offsets", m.refCtrOffsets ? s.copy(u64s(m.refCtrOffsets)).addr : 0n)
        .set("cookies", m.cookies ? s.copy(u64s(m.cookies)).addr : 0n)
        .set("cnt", m.offsets.length).set("multi_flags", m.flags).set("pid", m.pid);
    } else if (a.targetBtfId !== undefined) {
      w.set("target_btf_id", a.targetBtfId).set("tracing_cookie", a.cookie);
    } else {
      w.set("bpf_cookie", a.cookie ?? (a.relative !== undefined ? BigInt(a.relative) : undefined)).set("expected_revision", a.expectedRevision);
    }
    return bpfCall(Cmd.LinkCreate, chunk, LINK_CREATE.size, context);
  });
}

/** BPF_LINK_UPDATE: puts `newProgFd` in the link (only if it still holds `oldProgFd`, with BPF_F_REPLACE). */
export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number, context?: string): void {
  withScratch((s) => {
    const [chunk, w] = attr(s, LINK_UPDATE);
    w.set("link_fd", linkFd).set("new_prog_fd", newProgFd);
    // BPF_F_REPLACE
    if (oldProgFd !== undefined) w.set("flags", 1 << 2).set("old_prog_fd", oldProgFd);
    bpfCall(Cmd.LinkUpdate, chunk, LINK_UPDATE.size, context);
  });
}

/** BPF_LINK_DETACH: detaches the link from its hook though fds and pins still hold it. */
export function linkDetach(linkFd: number, context?: string): void {
  withScratch((s) => {
    const [chunk, w] = attr(s, LINK_DETACH);
    w.set("link_fd", linkFd);
    bpfCall(Cmd.LinkDetach, chunk, LINK_DETACH.size, context);
  });
}

/** BPF_RAW_TRACEPOINT_OPEN: a raw tracepoint link (name given), or a tp_btf/fentry link (name undefined). */
export function rawTracepointOpen(progFd: number, name: string | undefined, context?: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, RAW_TP_OPEN);
    w.set("name", name === undefined ? 0n : s.cstr(name).addr).set("prog_fd", progFd);
    return bpfCall(Cmd.RawTracepointOpen, chunk, RAW_TP_OPEN.size, context);
  });
}

/** The attributes of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
export interface ProgAttachAttr {
  readonly target: number;
  readonly progFd: number;
  readonly attachType: number;
  readonly flags?: number;
  readonly replaceFd?: number;
  readonly relative?: number;
  readonly expectedRevision?: bigint;
}

function progAttachCmd(cmd: number, a: ProgAttachAttr, context?: string): void {
  withScratch((s) => {
    const [chunk, w] = attr(s, PROG_ATTACH);
    w.set("target_fd", a.target).set("attach_bpf_fd", a.progFd).set("attach_type", a.attachType)
      .set("attach_flags", a.flags).set("replace_bpf_fd", a.replaceFd).set("relative_fd", a.relative)
      .set("expected_revision", a.expectedRevision);
    bpfCall(cmd, chunk, PROG_ATTACH.size, context);
  });
}

/** BPF_PROG_ATTACH: the attachment without a link, owned by the hook until BPF_PROG_DETACH. */
export const progAttach = (a: ProgAttachAttr, context?: string): void => progAttachCmd(Cmd.ProgAttach, a, context);
/** BPF_PROG_DETACH */
export const progDetach = (a: ProgAttachAttr, context?: string): void => progAttachCmd(Cmd.ProgDetach, a, context);

/** What BPF_PROG_QUERY says of one hook. */
export interface ProgQueryResult {
  readonly attachFlags: number;
  readonly progIds: number[];
  /** Per program: the link holding it, or 0 (tcx and mprog cgroups only). */
  readonly linkIds: number[];
  readonly revision: bigint;
}

/** BPF_PROG_QUERY of a cgroup fd or an ifindex for `attachType`; programs in run order. */
export function progQuery(target: number, attachType: number, context?: string, queryFlags = 0): ProgQueryResult {
  for (let room = 64; ; room *= 4) {
    const r = withScratch((s) => {
      const [chunk, w] = attr(s, PROG_QUERY);
      const ids = s.alloc(room * 4), links = s.alloc(room * 4);
      w.set("target_fd", target).set("attach_type", attachType).set("query_flags", queryFlags)
        .set("prog_ids", ids.addr).set("prog_cnt", room).set("link_ids", links.addr);
      const ret = bpfRaw(Cmd.ProgQuery, chunk.addr, PROG_QUERY.size);
      const rd = new StructReader(PROG_QUERY, chunk.bytes);
      const n = rd.num("prog_cnt");
      // ENOSPC: more programs than room; try again with more.
      if (ret === -errno("ENOSPC")) return undefined;
      if (ret < 0) throw new BpfSyscallError(cmdName(Cmd.ProgQuery), -ret, context);
      const iv = new DataView(ids.bytes.buffer, ids.bytes.byteOffset), lv = new DataView(links.bytes.buffer, links.bytes.byteOffset);
      return {
        attachFlags: rd.num("attach_flags"),
        progIds: Array.from({ length: n }, (_, i) => iv.getUint32(i * 4, true)),
        linkIds: Array.from({ length: n }, (_, i) => lv.getUint32(i * 4, true)),
        revision: rd.big("revision"),
      };
    });
    if (r) return r;
  }
}

/** BPF_LINK_GET_NEXT_ID: the smallest link id above `start`, or undefined. */
export function linkGetNextId(start: number): number | undefined {
  return withScratch((s) => {
    const [chunk, w] = attr(s, GET_ID);
    w.set("start_id", start);
    const ret = bpfRaw(Cmd.LinkGetNextId, chunk.addr, GET_ID.size);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw new BpfSyscallError(cmdName(Cmd.LinkGetNextId), -ret);
    return new StructReader(GET_ID, chunk.bytes).num("next_id");
  });
}

/** BPF_LINK_GET_FD_BY_ID: a new fd for the link with `id`. */
export function linkGetFdById(id: number): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, GET_ID);
    w.set("link_id", id);
    return bpfCall(Cmd.LinkGetFdById, chunk, GET_ID.size, `open link id ${id}`);
  });
}
