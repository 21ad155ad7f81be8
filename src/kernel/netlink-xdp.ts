/**
 * @fileoverview XDP through rtnetlink, as iproute2 and bpftool net attach do it (and as
 * kernels before 5.9 only allow): RTM_SETLINK with a nested IFLA_XDP (fd, flags) to
 * attach or detach, RTM_GETLINK dumps to list what every interface runs. Such an
 * attachment belongs to the interface, not to a process: it outlives tsbpf.
 */

import { AttachError, attachReason } from "./attach-errors.js";
import { ifindexOf, type Interface } from "./attach.js";
import { errno } from "./errno.js";
import { netlinkSocket } from "./native.js";
import { XdpFlags } from "./link-uapi.js";

/** NETLINK_ROUTE; RTM_GETLINK, RTM_SETLINK; NLMSG_ERROR, NLMSG_DONE */
const NETLINK_ROUTE = 0, RTM_GETLINK = 18, RTM_SETLINK = 19, NLMSG_ERROR = 2, NLMSG_DONE = 3;
/** NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP */
const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300;
/** IFLA_IFNAME, IFLA_XDP; NLA_F_NESTED */
const IFLA_IFNAME = 3, IFLA_XDP = 43, NLA_F_NESTED = 0x8000;
/** IFLA_XDP_FD, _ATTACHED, _FLAGS, _PROG_ID, _DRV_PROG_ID, _SKB_PROG_ID, _HW_PROG_ID */
const XDP_FD = 1, XDP_ATTACHED = 2, XDP_FLAGS = 3, XDP_PROG_ID = 4, XDP_DRV_PROG_ID = 5, XDP_SKB_PROG_ID = 6, XDP_HW_PROG_ID = 7;
const NLMSG_HDR = 16, IFINFOMSG = 16;

const align4 = (n: number) => (n + 3) & ~3;

function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

const s32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, n, true); return b; };
const concat = (parts: Uint8Array[]) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let at = 0; for (const p of parts) { out.set(p, at); at += p.length; } return out; };

let seq = 1;

function message(type: number, flags: number, ifindex: number, attrs: Uint8Array[]): Uint8Array {
  const body = concat(attrs);
  const out = new Uint8Array(NLMSG_HDR + IFINFOMSG + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq++, true);
  // ifinfomsg: family AF_UNSPEC, then the ifindex at offset 4.
  v.setInt32(NLMSG_HDR + 4, ifindex, true);
  out.set(body, NLMSG_HDR + IFINFOMSG);
  return out;
}

/** Every netlink message of the replies to one request, until the ack or NLMSG_DONE; an error reply throws. */
function exchange(request: Uint8Array, hook: string, untilDone = true): { type: number; body: Uint8Array }[] {
  const sock = netlinkSocket(NETLINK_ROUTE, hook);
  try {
    sock.send(request);
    const out: { type: number; body: Uint8Array }[] = [];
    for (;;) {
      const buf = sock.recv();
      const v = new DataView(buf.buffer);
      for (let at = 0; at + NLMSG_HDR <= buf.length;) {
        const len = v.getUint32(at, true), type = v.getUint16(at + 4, true);
        if (len < NLMSG_HDR) return out;
        if (type === NLMSG_ERROR) {
          const err = -v.getInt32(at + NLMSG_HDR, true);
          if (err === 0) return out; // the ack
          const taken = err === errno("EBUSY") || err === errno("EEXIST");
          throw new AttachError(hook, err, taken ? "a program is already attached to this interface (use overwrite to replace it)" : attachReason("xdp", err));
        }
        if (type === NLMSG_DONE) return out;
        out.push({ type, body: buf.slice(at + NLMSG_HDR, at + len) });
        at += align4(len);
      }
      // A request for one interface is answered by one message, with no NLMSG_DONE after it.
      if (!untilDone) return out;
    }
  } finally {
    sock.close();
  }
}

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

function attrs(buf: Uint8Array, from: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = from; at + 4 <= buf.length;) {
    const len = v.getUint16(at, true), type = v.getUint16(at + 2, true) & 0x3fff;
    if (len < 4) break;
    out.set(type, buf.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

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
