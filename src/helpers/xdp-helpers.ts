/**
 * @fileoverview The XDP packet helpers (net/core/filter.c): moving the buffer's head, tail
 * and metadata, copying bytes in and out, and bpf_redirect, whose target the run records
 * (`redirectOf`) for whoever reports the run.
 */

import { copyFrags, FRAG_SIZE, fragsSize, xdpFragsOf } from "../programs/xdp-frags.js";
import type { AddressSpace } from "../runtime/address-space.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { ETH_HLEN, Packet, XDP_FRAME_HEADER } from "./packet.js";
import { E, mem } from "./util.js";

/** EACCES, which bpf_xdp_adjust_meta returns for a bad metadata length. */
const EACCES = 13;

/** The packet of an XDP run, or a fault naming the helper. */
function packet(env: HelperEnv, name: string): Packet {
  const p = Packet.of(env);
  if (!p) throw new Error(`${name} needs a packet (this run has none)`);
  return p;
}

/** A redirect a helper set up: where the packet goes if the program returns the redirect verdict. */
export interface Redirect {
  readonly helper: string;
  readonly ifindex: number;
  readonly flags: bigint;
  /** For bpf_redirect_map and friends: the map's handle and the key. */
  readonly map?: number;
  readonly key?: number;
}
const REDIRECTS = new WeakMap<AddressSpace, Redirect>();

/** The last redirect a program of this space asked for (the run's result, with its verdict). */
export function redirectOf(space: AddressSpace): Redirect | undefined {
  return REDIRECTS.get(space);
}

/** Records a redirect, for helpers here and in other families (redirect_map). */
export function setRedirect(space: AddressSpace, r: Redirect | undefined): void {
  if (r) REDIRECTS.set(space, r);
  else REDIRECTS.delete(space);
}

/** bpf_xdp_adjust_head(xdp, delta): moves data (and the metadata with it) by delta. */
const adjustHead: HelperFn = (a, env) => {
  const p = packet(env, "bpf_xdp_adjust_head");
  const delta = a.lo(2);
  const metalen = p.data - p.meta;
  const data = p.data + delta;
  if (data < p.start + XDP_FRAME_HEADER + metalen || data > p.dataEnd - ETH_HLEN) return -E.EINVAL;
  if (metalen) env.space.u8.copyWithin(p.meta + delta, p.meta, p.data);
  p.set({ meta: p.meta + delta, data });
  return 0;
};

/** bpf_xdp_adjust_meta(xdp, delta): moves data_meta; the metadata is a multiple of 4 bytes, at most 255 (skb_shared_info.meta_len is a u8). */
const adjustMeta: HelperFn = (a, env) => {
  const p = packet(env, "bpf_xdp_adjust_meta");
  const meta = p.meta + a.lo(2);
  if (meta < p.start + XDP_FRAME_HEADER || meta > p.data) return -E.EINVAL;
  const metalen = p.data - meta;
  if (metalen % 4 !== 0 || metalen > 255) return -EACCES;
  p.set({ meta });
  return 0;
};

/**
 * bpf_xdp_adjust_tail on a multi-buffer packet: growing extends the last fragment within
 * its page; shrinking takes bytes off the fragments from the last, freeing emptied ones,
 * and what is left off the linear part once none remains.
 */
function adjustFragsTail(env: HelperEnv, p: Packet, delta: number): number {
  const frags = xdpFragsOf(env.space);
  if (delta > 0) {
    const last = frags[frags.length - 1]!;
    if (last.length + delta > FRAG_SIZE) return -E.EINVAL;
    const grown = new Uint8Array(last.length + delta);
    grown.set(last);
    frags[frags.length - 1] = grown;
    return 0;
  }
  let offset = -delta;
  if (offset > p.length + fragsSize(env.space) - ETH_HLEN) return -E.EINVAL;
  while (frags.length && offset > 0) {
    const last = frags[frags.length - 1]!;
    const shrink = Math.min(offset, last.length);
    offset -= shrink;
    if (shrink === last.length) frags.pop();
    else frags[frags.length - 1] = last.slice(0, last.length - shrink);
  }
  if (!frags.length && offset > 0) p.set({ dataEnd: p.dataEnd - offset });
  return 0;
}

/** bpf_xdp_adjust_tail(xdp, delta): moves data_end; grown bytes are zeroed. */
const adjustTail: HelperFn = (a, env) => {
  const p = packet(env, "bpf_xdp_adjust_tail");
  const delta = a.lo(2);
  if (delta !== 0 && xdpFragsOf(env.space).length) return adjustFragsTail(env, p, delta);
  const end = p.dataEnd + delta;
  if (end > p.limit || end < p.data + ETH_HLEN) return -E.EINVAL;
  if (delta > 0) env.space.u8.fill(0, p.dataEnd, end);
  p.set({ dataEnd: end });
  return 0;
};

/** bpf_xdp_pointer's checks: -EFAULT for offsets or lengths past 0xffff, -EINVAL past the end. */
function span(p: Packet, a: HelperArgs): number {
  const off = a.u32(2), len = a.u32(4);
  if (off > 0xffff || len > 0xffff) return -E.EFAULT;
  if (off + len > p.length + fragsSize(p.env.space)) return -E.EINVAL;
  return 0;
}

/** Copies between the packet (linear part, then fragments) at `off` and `buf`. */
function copyPacket(env: HelperEnv, p: Packet, off: number, buf: Uint8Array, write: boolean): void {
  const linear = Math.max(0, Math.min(buf.length, p.length - off));
  if (linear > 0) {
    if (write) env.space.u8.set(buf.subarray(0, linear), p.data + off);
    else buf.set(env.space.u8.subarray(p.data + off, p.data + off + linear));
  }
  if (linear < buf.length) copyFrags(env.space, off + linear - p.length, buf.subarray(linear), write);
}

/** bpf_xdp_load_bytes(xdp, offset, buf, len) */
const loadBytes: HelperFn = (a, env) => {
  const p = packet(env, "bpf_xdp_load_bytes");
  const err = span(p, a);
  if (err) return err;
  const buf = new Uint8Array(a.u32(4));
  copyPacket(env, p, a.u32(2), buf, false);
  mem(env, a, 3, a.u32(4), "write").set(buf);
  return 0;
};

/** bpf_xdp_store_bytes(xdp, offset, buf, len) */
const storeBytes: HelperFn = (a, env) => {
  const p = packet(env, "bpf_xdp_store_bytes");
  const err = span(p, a);
  if (err) return err;
  copyPacket(env, p, a.u32(2), mem(env, a, 3, a.u32(4), "read").slice(), true);
  return 0;
};

/** XDP_ABORTED, XDP_REDIRECT; TC_ACT_SHOT, TC_ACT_REDIRECT */
const XDP_ABORTED = 0, XDP_REDIRECT = 4, TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7;
/** BPF_F_INGRESS: redirect to the device's ingress rather than its egress */
export const BPF_F_INGRESS = 1n;

/** bpf_redirect(ifindex, flags): XDP_REDIRECT in XDP (flags must be 0), TC_ACT_REDIRECT in tc (only BPF_F_INGRESS). */
const redirect: HelperFn = (a, env) => {
  const flags = a.u64(2);
  const xdp = env.run.programType === "xdp";
  if (xdp ? flags !== 0n : (flags & ~BPF_F_INGRESS) !== 0n) return xdp ? XDP_ABORTED : TC_ACT_SHOT;
  setRedirect(env.space, { helper: "redirect", ifindex: a.u32(1), flags });
  return xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
};

/** The XDP helpers (and bpf_redirect, shared with tc), by id (enum bpf_func_id). */
export const XDP_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_redirect */
  { id: 23, name: "redirect", fn: redirect },
  /** BPF_FUNC_xdp_adjust_head */
  { id: 44, name: "xdp_adjust_head", fn: adjustHead },
  /** BPF_FUNC_xdp_adjust_meta */
  { id: 54, name: "xdp_adjust_meta", fn: adjustMeta },
  /** BPF_FUNC_xdp_adjust_tail */
  { id: 65, name: "xdp_adjust_tail", fn: adjustTail },
  /** BPF_FUNC_xdp_get_buff_len */
  { id: 188, name: "xdp_get_buff_len", fn: (_a, env) => packet(env, "bpf_xdp_get_buff_len").length + fragsSize(env.space) },
  /** BPF_FUNC_xdp_load_bytes */
  { id: 189, name: "xdp_load_bytes", fn: loadBytes },
  /** BPF_FUNC_xdp_store_bytes */
  { id: 190, name: "xdp_store_bytes", fn: storeBytes },
];
