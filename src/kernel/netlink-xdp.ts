/**
 * @fileoverview XDP through rtnetlink, as iproute2 and bpftool net attach do it (and as
 * kernels before 5.9 only allow): RTM_SETLINK with a nested IFLA_XDP (fd, flags) to
 * attach or detach, RTM_GETLINK dumps to list what every interface runs. Such an
 * attachment belongs to the interface, not to a process: it outlives tsbpf.
 */

import { AttachError, attachReason } from "./attach-errors.js";
import { ifindexOf, type Interface } from "./attach.js";
import { errno } from "./errno.js";
import { concat, NLA_F_NESTED, nlAttr, nlAttrs, nlExchange, nlMessage, NlmF, s32, type NlReply } from "./netlink.js";
import { XdpFlags } from "./link-uapi.js";

/** RTM_GETLINK, RTM_SETLINK */
const RTM_GETLINK = 18, RTM_SETLINK = 19;
/** IFLA_IFNAME, IFLA_XDP */
const IFLA_IFNAME = 3, IFLA_XDP = 43;
/** IFLA_XDP_FD, _ATTACHED, _FLAGS, _PROG_ID, _DRV_PROG_ID, _SKB_PROG_ID, _HW_PROG_ID */
const XDP_FD = 1, XDP_ATTACHED = 2, XDP_FLAGS = 3, XDP_PROG_ID = 4, XDP_DRV_PROG_ID = 5, XDP_SKB_PROG_ID = 6, XDP_HW_PROG_ID = 7;
const IFINFOMSG = 16;

/** A link request: ifinfomsg (family AF_UNSPEC, the ifindex at offset 4), then attributes. */
function message(type: number, flags: number, ifindex: number, attrs: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(IFINFOMSG);
  new DataView(header.buffer).setInt32(4, ifindex, true);
  return nlMessage(type, flags, header, attrs);
}

function exchange(request: Uint8Array, hook: string, untilDone = true): NlReply[] {
  return nlExchange(request, hook, (err) => {
    const taken = err === errno("EBUSY") || err === errno("EEXIST");
    throw new AttachError(hook, err, taken ? "a program is already attached to this interface (use overwrite to replace it)" : attachReason("xdp", err));
  }, untilDone);
}

const attr = nlAttr;
const attrs = nlAttrs;
const NLM_F_REQUEST = NlmF.Request, NLM_F_ACK = NlmF.Ack, NLM_F_DUMP = NlmF.Dump;

export interface NetlinkXdpOptions {
  readonly mode?: "generic" | "native" | "offload" | "auto";
  /** Replace a program already there (bpftool's `overwrite`); without it an attached interface refuses. */
  readonly replace?: boolean;
}

const modeFlags = (mode: NetlinkXdpOptions["mode"]): number =>
  mode === "generic" ? XdpFlags.SkbMode : mode === "native" ? XdpFlags.DrvMode : mode === "offload" ? XdpFlags.HwMode : 0;

/** Attaches an XDP program fd to an interface through netlink; it stays until detached. */
export function netlinkXdpAttach(progFd: number, iface: Interface, o: NetlinkXdpOptions = {}): void {
  const hook = `xdp on ${iface} (netlink)`;
  const flags = modeFlags(o.mode) | (o.replace ? 0 : XdpFlags.UpdateIfNoexist);
  const xdp = attr(IFLA_XDP | NLA_F_NESTED, concat([attr(XDP_FD, s32(progFd)), attr(XDP_FLAGS, s32(flags))]));
  exchange(message(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifindexOf(iface), [xdp]), hook);
}

/** Detaches the netlink XDP program of an interface in `mode` (fd -1). */
export function netlinkXdpDetach(iface: Interface, o: { mode?: NetlinkXdpOptions["mode"] } = {}): void {
  const hook = `detach xdp on ${iface} (netlink)`;
  const xdp = attr(IFLA_XDP | NLA_F_NESTED, concat([attr(XDP_FD, s32(-1)), attr(XDP_FLAGS, s32(modeFlags(o.mode)))]));
  exchange(message(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifindexOf(iface), [xdp]), hook);
}

/** One interface's XDP program as RTM_GETLINK reports it (by netlink or by link alike). */
export interface XdpAttachment {
  readonly ifindex: number;
  readonly devname: string;
  /** bpftool's words: "driver", "generic", "offload". */
  readonly mode: "driver" | "generic" | "offload";
  readonly progId: number;
}

/** XDP_ATTACHED_DRV, _SKB, _HW, _MULTI */
const ATTACHED_MODES: Record<number, XdpAttachment["mode"]> = { 1: "driver", 2: "generic", 3: "offload" };

interface LinkMessage { readonly ifindex: number; readonly devname: string; readonly top: Map<number, Uint8Array> }

function getLinks(iface: Interface | undefined, what: string): LinkMessage[] {
  const index = iface === undefined ? 0 : ifindexOf(iface);
  const replies = exchange(message(RTM_GETLINK, NLM_F_REQUEST | (index ? 0 : NLM_F_DUMP), index, []), what, index === 0);
  return replies.map((r) => {
    const ifindex = new DataView(r.body.buffer, r.body.byteOffset).getInt32(4, true);
    const top = attrs(r.body, IFINFOMSG);
    const nameBytes = top.get(IFLA_IFNAME);
    return { ifindex, devname: nameBytes ? new TextDecoder().decode(nameBytes).replace(/\0.*$/s, "") : String(ifindex), top };
  });
}

/** Every interface of this thread's network namespace, by RTM_GETLINK (sysfs shows the namespace it was mounted in). */
export function netlinkInterfaces(): { ifindex: number; devname: string }[] {
  return getLinks(undefined, "list interfaces (netlink)").map(({ ifindex, devname }) => ({ ifindex, devname }));
}

/** The XDP programs of every interface in this thread's network namespace (or of one). */
export function netlinkXdpList(iface?: Interface): XdpAttachment[] {
  const out: XdpAttachment[] = [];
  for (const { ifindex, devname, top } of getLinks(iface, "list xdp (netlink)")) {
    const xdp = top.get(IFLA_XDP);
    if (!xdp) continue;
    const inner = attrs(xdp, 0);
    const attached = inner.get(XDP_ATTACHED)?.[0] ?? 0;
    if (attached === 0) continue;
    const u32 = (t: number) => { const b = inner.get(t); return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : 0; };
    if (attached === 4) {
      // XDP_ATTACHED_MULTI: one program per mode, each with its own id attribute.
      for (const [t, mode] of [[XDP_DRV_PROG_ID, "driver"], [XDP_SKB_PROG_ID, "generic"], [XDP_HW_PROG_ID, "offload"]] as const) {
        if (u32(t)) out.push({ ifindex, devname, mode, progId: u32(t) });
      }
    } else {
      out.push({ ifindex, devname, mode: ATTACHED_MODES[attached] ?? "driver", progId: u32(XDP_PROG_ID) });
    }
  }
  return out;
}
