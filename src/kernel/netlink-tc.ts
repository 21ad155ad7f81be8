/**
 * @fileoverview Legacy tc through rtnetlink, as `tc qdisc add dev X clsact` and `tc filter
 * add ... bpf da` (and libbpf's bpf_tc_attach) do it: a clsact qdisc, then a direct-action
 * cls_bpf filter on its ingress or egress hook. Like netlink XDP, the filter belongs to
 * the interface and outlives the process; `close()` of the attachment deletes it.
 */

import { closeSync } from "node:fs";
import { AttachError, attachReason } from "./attach-errors.js";
import { currentNetns, withNetnsFd } from "./netns.js";
import { ifindexOf, type Interface } from "./attach.js";
import { errno } from "./errno.js";
import { programInfo } from "./info.js";
import type { Attachment } from "./link.js";
import { concat, cstr, NLA_F_NESTED, nlAttr, nlAttrs, nlExchange, nlMessage, NlmF, nlStr, nlU32, u32 } from "./netlink.js";

/** RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELTFILTER, RTM_GETTFILTER */
const RTM_NEWQDISC = 36, RTM_NEWTFILTER = 44, RTM_DELTFILTER = 45, RTM_GETTFILTER = 46;
/** TCA_KIND, TCA_OPTIONS */
const TCA_KIND = 1, TCA_OPTIONS = 2;
/** TCA_BPF_FD, TCA_BPF_NAME, TCA_BPF_FLAGS, TCA_BPF_ID; TCA_BPF_FLAG_ACT_DIRECT */
const TCA_BPF_FD = 6, TCA_BPF_NAME = 7, TCA_BPF_FLAGS = 8, TCA_BPF_ID = 11, ACT_DIRECT = 1;
/** TC_H_CLSACT's major (the clsact qdisc's handle ffff:), TC_H_MIN_INGRESS, TC_H_MIN_EGRESS */
const CLSACT = 0xffff0000, TC_H_CLSACT = 0xfffffff1, MIN_INGRESS = 0xfff2, MIN_EGRESS = 0xfff3;
/** htons(ETH_P_ALL) */
const ETH_P_ALL_BE = 0x0300;
const TCMSG = 20;

/** struct tcmsg: family, padding, ifindex, handle, parent, info. */
function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const b = new Uint8Array(TCMSG);
  const v = new DataView(b.buffer);
  v.setInt32(4, ifindex, true);
  v.setUint32(8, handle >>> 0, true);
  v.setUint32(12, parent >>> 0, true);
  v.setUint32(16, info >>> 0, true);
  return b;
}

const parentOf = (dir: "ingress" | "egress") => (CLSACT | (dir === "ingress" ? MIN_INGRESS : MIN_EGRESS)) >>> 0;

function fail(hook: string): (err: number) => never {
  return (err) => {
    throw new AttachError(hook, err, err === errno("EEXIST") ? "a filter with this handle and priority is already there (use replace)" : attachReason("tcx", err));
  };
}

/** Adds the clsact qdisc to an interface unless it has one. */
export function ensureClsact(iface: Interface): void {
  const ifindex = ifindexOf(iface);
  const hook = `clsact qdisc on ${iface}`;
  try {
    nlExchange(nlMessage(RTM_NEWQDISC, NlmF.Request | NlmF.Ack | NlmF.Create | NlmF.Excl, tcmsg(ifindex, CLSACT, TC_H_CLSACT, 0), [nlAttr(TCA_KIND, cstr("clsact"))]), hook, fail(hook));
  } catch (e) {
    if (!(e instanceof AttachError && e.errnoName === "EEXIST")) throw e;
  }
}

export interface TcFilterOptions {
  /** The filter's handle and priority (default 1 and 1, as libbpf's bpf_tc_attach). */
  readonly handle?: number;
  readonly priority?: number;
  /** Replace a filter with the same handle and priority. */
  readonly replace?: boolean;
}

/** A cls_bpf filter on an interface's clsact hook; `close()` deletes it. */
export interface TcFilter extends Attachment {
  readonly ifindex: number;
  readonly direction: "ingress" | "egress";
  readonly handle: number;
  readonly priority: number;
}

/** Attaches a sched_cls program fd as a direct-action cls_bpf filter (adding clsact first). */
export function tcAttach(progFd: number, iface: Interface, direction: "ingress" | "egress", o: TcFilterOptions = {}): TcFilter {
  const ifindex = ifindexOf(iface);
  const handle = o.handle ?? 1, priority = o.priority ?? 1;
  const hook = `tc ${direction} filter on ${iface} (netlink)`;
  ensureClsact(ifindex);
  const info = programInfo(progFd);
  const options = nlAttr(TCA_OPTIONS | NLA_F_NESTED, concat([
    nlAttr(TCA_BPF_FD, u32(progFd)),
    // libbpf's name for the filter: "PROG:[ID]".
    nlAttr(TCA_BPF_NAME, cstr(`${info.name}:[${info.id}]`)),
    nlAttr(TCA_BPF_FLAGS, u32(ACT_DIRECT)),
  ]));
  const flags = NlmF.Request | NlmF.Ack | NlmF.Create | (o.replace ? NlmF.Replace : NlmF.Excl);
  nlExchange(nlMessage(RTM_NEWTFILTER, flags, tcmsg(ifindex, handle, parentOf(direction), ((priority << 16) | ETH_P_ALL_BE) >>> 0), [nlAttr(TCA_KIND, cstr("bpf")), options]), hook, fail(hook));
  // Deleting must happen in the namespace the filter is in, wherever close() is called from.
  const netns = currentNetns();
  let closed = false;
  return {
    description: hook,
    ifindex,
    direction,
    handle,
    priority,
    get closed() { return closed; },
    close() {
      if (closed) return;
      closed = true;
      try {
        withNetnsFd(netns, () => tcDetach(ifindex, direction, { handle, priority }));
      } catch {
        // Gone already (the interface or the qdisc was deleted): nothing to undo.
      } finally {
        closeSync(netns);
      }
    },
  };
}

/** Deletes the cls_bpf filter with `handle` and `priority` from an interface's clsact hook. */
export function tcDetach(iface: Interface, direction: "ingress" | "egress", o: { handle?: number; priority?: number } = {}): void {
  const ifindex = ifindexOf(iface);
  const hook = `detach tc ${direction} filter on ${iface} (netlink)`;
  const info = (((o.priority ?? 1) << 16) | ETH_P_ALL_BE) >>> 0;
  nlExchange(nlMessage(RTM_DELTFILTER, NlmF.Request | NlmF.Ack, tcmsg(ifindex, o.handle ?? 1, parentOf(direction), info), [nlAttr(TCA_KIND, cstr("bpf"))]), hook, fail(hook));
}

/** One cls_bpf filter as RTM_GETTFILTER reports it. */
export interface TcFilterInfo {
  readonly ifindex: number;
  readonly direction: "ingress" | "egress";
  readonly handle: number;
  readonly priority: number;
  /** TCA_BPF_NAME, as the attacher named it ("tc_mark:[12]", "obj.o:[sec]"). */
  readonly name: string;
  readonly progId: number;
}

/** The cls_bpf filters on an interface's clsact hooks (none without a clsact qdisc). */
export function tcList(iface: Interface): TcFilterInfo[] {
  const ifindex = ifindexOf(iface);
  const out: TcFilterInfo[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    let replies;
    try {
      replies = nlExchange(nlMessage(RTM_GETTFILTER, NlmF.Request | NlmF.Dump, tcmsg(ifindex, 0, parentOf(direction), 0), []), `list tc filters on ${iface}`, (err) => {
        throw new AttachError(`tc filters on ${iface}`, err, attachReason("tcx", err), { verb: "list" });
      });
    } catch (e) {
      // No clsact qdisc: EINVAL, nothing attached there.
      if (e instanceof AttachError && e.errnoName === "EINVAL") continue;
      throw e;
    }
    for (const r of replies) {
      const v = new DataView(r.body.buffer, r.body.byteOffset);
      const top = nlAttrs(r.body, TCMSG);
      if (nlStr(top, TCA_KIND) !== "bpf") continue;
      const opts = top.get(TCA_OPTIONS);
      if (!opts) continue; // the chain's own header message
      const inner = nlAttrs(opts, 0);
      out.push({ ifindex, direction, handle: v.getUint32(8, true), priority: v.getUint32(16, true) >>> 16, name: nlStr(inner, TCA_BPF_NAME) ?? "", progId: nlU32(inner, TCA_BPF_ID) });
    }
  }
  return out;
}
