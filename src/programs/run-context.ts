/**
 * @fileoverview How a run builds a program's context, as BPF_PROG_TEST_RUN builds it: the
 * context's memory and which of it a program may write, the packet's headroom, tailroom
 * and rights, and how `ctx_in`/`ctx_out` map to them. The program-type table (table.ts)
 * holds one of these per runnable type.
 */

import { BpfError } from "../errors.js";
import type { AccessRule } from "./ctx-access.js";
import { Perm, type AddressSpace, type RegionOptions } from "../runtime/address-space.js";
import { BPF_SOCK_OPS } from "./layouts.js";
import { setXdpFrags, xdpFragsOf } from "./xdp-frags.js";

/** XDP_PACKET_HEADROOM */
export const XDP_PACKET_HEADROOM = 256;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: room the kernel keeps after the data. */
export const SKB_SHARED_INFO_SIZE = 320;
/** PAGE_SIZE: the buffer of an XDP test run, headroom, data and tailroom together. */
export const XDP_FRAME_SIZE = 4096;
/** How far the skb helpers may grow a test-run packet (skb_change_tail, skb_adjust_room...). */
const SKB_GROWTH = 4096;
/** ETH_HLEN */
const ETH_HLEN = 14;
/** NET_SKB_PAD + NET_IP_ALIGN, the headroom of a test-run skb */
const SKB_HEADROOM = 64 + 2;

/** Where the packet of a run lies, all as addresses. */
export interface PacketLayout {
  /** The packet allocation's first address (the headroom starts here). */
  readonly base: number;
  /** data_meta: for XDP the start of the bytes given to the run */
  readonly meta: number;
  readonly data: number;
  readonly dataEnd: number;
}

/** The input of a run as the type turns it into memory. */
export interface RunInput {
  readonly data: Uint8Array;
  readonly ctx: Uint8Array | undefined;
}

/** One program type's test-run behaviour. */
export interface ProgramTypeOps {
  readonly name: string;
  /** Context layout; size 0 for a type whose r1 is something else. */
  readonly ctx: Omit<RegionOptions, "name" | "kind"> | undefined;
  /** The packet region: room around the data, and the program's rights to it. */
  readonly packet: {
    readonly headroom: number;
    readonly tailroom: number;
    readonly perm: Perm;
    /**
     * The whole buffer at least, headroom included (XDP: a page, as the kernel's test run
     * gives it), so helpers that grow the packet have the room the kernel has.
     */
    readonly frameSize?: number;
  } | undefined;
  /**
   * Offsets of data_meta and data in the input bytes: XDP metadata lies before data, an
   * L3 skb type's data starts after the Ethernet header.
   */
  offsets(input: RunInput): { meta: number; data: number };
  /** Fills the context the program sees. */
  fillCtx(ctx: DataView, input: RunInput, pkt: PacketLayout): void;
  /** The context BPF_PROG_TEST_RUN hands back, from the one the program saw. */
  ctxOut(ctx: Uint8Array, pkt: PacketLayout): Uint8Array;
  /** The packet bytes handed back, from the whole packet allocation. */
  dataOut(all: Uint8Array, pkt: PacketLayout): Uint8Array;
  /**
   * Before a run: the part of the input that goes in the packet buffer, the rest kept aside
   * (XDP: fragments past the linear buffer). Without it, all of it goes in.
   */
  prepare?(space: AddressSpace, input: RunInput): RunInput;
  /** After a run: the bytes handed back, given dataOut's (XDP: the fragments appended). */
  finish?(space: AddressSpace, data: Uint8Array): Uint8Array;
}

const u32 = (b: Uint8Array | undefined, off: number) =>
  b && b.length >= off + 4 ? new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true) : 0;

/** struct xdp_md: six read-only __u32 fields. */
export const XDP_RUN: ProgramTypeOps = {
  name: "xdp",
  ctx: { size: 24, perm: Perm.Read },
  packet: { headroom: XDP_PACKET_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE, perm: Perm.ReadWrite, frameSize: XDP_FRAME_SIZE },
  offsets({ data, ctx }) {
    if (!ctx) return { meta: 0, data: 0 };
    // bpf_prog_test_run_xdp: no data before the metadata, data_end is the size, no egress.
    if (u32(ctx, 8) !== 0 || u32(ctx, 4) !== data.length || u32(ctx, 0) > data.length || u32(ctx, 20) !== 0) {
      throw new BpfError("EINVAL", "xdp ctx: data_meta must be 0, data at most data_end, data_end the data size, egress_ifindex 0");
    }
    return { meta: 0, data: u32(ctx, 0) };
  },
  fillCtx(v, { ctx }, p) {
    v.setUint32(0, p.data, true);
    v.setUint32(4, p.dataEnd, true);
    v.setUint32(8, p.meta, true);
    v.setUint32(12, ctx ? u32(ctx, 12) : 1, true); // ingress_ifindex: the loopback device, as the kernel's test run
    v.setUint32(16, u32(ctx, 16), true);
    v.setUint32(20, 0, true);
  },
  ctxOut(c, p) {
    const out = c.slice();
    const v = new DataView(out.buffer);
    v.setUint32(0, p.data - p.meta, true);
    v.setUint32(4, p.dataEnd - p.meta, true);
    v.setUint32(8, 0, true);
    return out;
  },
  dataOut: (all, p) => all.slice(p.meta - p.base, p.dataEnd - p.base),
  prepare(space, input) {
    // bpf_prog_test_run_xdp: metadata comes out of the headroom, so the linear part is a
    // page less the headroom left and skb_shared_info; the rest goes to fragments.
    const max = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE + u32(input.ctx, 0);
    const { data, ctx } = input;
    if (data.length <= max) { setXdpFrags(space, new Uint8Array(0)); return input; }
    setXdpFrags(space, data.subarray(max));
    if (!ctx) return { data: data.subarray(0, max), ctx };
    if (u32(ctx, 4) !== data.length) return input; // offsets() refuses it
    const c = ctx.slice();
    new DataView(c.buffer).setUint32(4, max, true);
    return { data: data.subarray(0, max), ctx: c };
  },
  finish(space, data) {
    const frags = xdpFragsOf(space);
    if (!frags.length) return data;
    const out = new Uint8Array(data.length + frags.reduce((n, f) => n + f.length, 0));
    out.set(data);
    let at = data.length;
    for (const f of frags) { out.set(f, at); at += f.length; }
    return out;
  },
};

/** struct __sk_buff offsets used here. */
const SKB = {
  len: 0, pktType: 4, mark: 8, protocol: 16, ifindex: 40, cb: 48, data: 76, dataEnd: 80, family: 88, remoteIp4: 92,
  localIp4: 96, remoteIp6: 100, localIp6: 116, dataMeta: 140, wireLen: 160, size: 192,
} as const;

/**
 * eth_type_trans's pkt_type on the loopback device the test run uses: its address is
 * 00:00:00:00:00:00 and its broadcast address too (lo sets none), so ff:ff:ff:ff:ff:ff is
 * PACKET_MULTICAST there like any group address, never PACKET_BROADCAST.
 */
function pktType(frame: Uint8Array): number {
  if (frame[0]! & 1) return 2; // PACKET_MULTICAST
  return frame.subarray(0, 6).every((b) => b === 0) ? 0 : 3; // PACKET_HOST, PACKET_OTHERHOST
}

/**
 * The socket bpf_prog_test_run_skb gives an skb: its family and addresses from the IP
 * header (the packet's source is the socket's local address).
 */
function fillSocket(v: DataView, frame: Uint8Array) {
  const proto = (frame[12]! << 8) | frame[13]!;
  const ip = frame.subarray(ETH_HLEN);
  const copy = (to: number, from: number, n: number) => new Uint8Array(v.buffer, v.byteOffset + to, n).set(ip.subarray(from, from + n));
  if (proto === 0x0800 && ip.length >= 20) {
    v.setUint32(SKB.family, 2, true); // AF_INET
    copy(SKB.localIp4, 12, 4);
    copy(SKB.remoteIp4, 16, 4);
  } else if (proto === 0x86dd && ip.length >= 40) {
    v.setUint32(SKB.family, 10, true); // AF_INET6
    copy(SKB.localIp6, 8, 16);
    copy(SKB.remoteIp6, 24, 16);
  }
}

/**
 * The writable stretches of a context, as the type's access rule allows stores: a verified
 * program writes nothing else, and a checked run faults where the verifier would refuse.
 */
export function writableParts(size: number, rule: AccessRule): RegionOptions["parts"] {
  const parts: { name: string; offset: number; size: number; perm: Perm }[] = [];
  for (let off = 0; off < size; off += 4) {
    const w = rule({ off, size: 4, write: true }).ok || rule({ off: off & ~7, size: 8, write: true }).ok;
    if (!w) continue;
    const last = parts[parts.length - 1];
    if (last && last.offset + last.size === off) last.size += 4;
    else parts.push({ name: `ctx+${off}`, offset: off, size: 4, perm: Perm.ReadWrite });
  }
  return parts;
}

/** An __sk_buff type's run: `l2` types see the Ethernet header, the others start at L3. */
export function skbType(name: string, l2: boolean, packetPerm: Perm, rule: AccessRule): ProgramTypeOps {
  return {
    name,
    ctx: { size: SKB.size, perm: Perm.Read, parts: writableParts(SKB.size, rule) },
    // Room past the data for the helpers that grow an skb (the kernel would reallocate it).
    packet: { headroom: SKB_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE + SKB_GROWTH, perm: packetPerm },
    offsets({ data }) {
      if (data.length < ETH_HLEN) throw new BpfError("EINVAL", `${name}: data of ${data.length} bytes is shorter than an Ethernet header`);
      // eth_type_trans pulls the Ethernet header; only L2 types push it back.
      const at = l2 ? 0 : ETH_HLEN;
      return { meta: at, data: at };
    },
    fillCtx(v, { data, ctx }, p) {
      if (ctx) new Uint8Array(v.buffer, v.byteOffset, SKB.size).set(ctx.subarray(0, SKB.size));
      v.setUint32(SKB.len, p.dataEnd - p.data, true);
      v.setUint32(SKB.pktType, pktType(data), true);
      if (v.getUint32(SKB.wireLen, true) === 0) v.setUint32(SKB.wireLen, data.length, true);
      fillSocket(v, data);
      v.setUint32(SKB.protocol, (data[12]! | (data[13]! << 8)) >>> 0, true); // __be16 as it lies in the frame
      v.setUint32(SKB.ifindex, 1, true);
      v.setUint32(SKB.data, p.data, true);
      v.setUint32(SKB.dataEnd, p.dataEnd, true);
      v.setUint32(SKB.dataMeta, p.data, true);
    },
    ctxOut(c) {
      const out = c.slice();
      const v = new DataView(out.buffer);
      for (const off of [SKB.data, SKB.dataEnd, SKB.dataMeta]) v.setUint32(off, 0, true);
      return out;
    },
    dataOut(all, p) {
      const bytes = all.subarray(p.data - p.base, p.dataEnd - p.base);
      if (l2) return bytes.slice();
      // An L3 type's output gets a zeroed Ethernet header back in front, as the kernel's.
      const out = new Uint8Array(ETH_HLEN + bytes.length);
      out.set(bytes, ETH_HLEN);
      return out;
    },
  };
}

/**
 * Raw runs, as uBPF and rbpf have them: no program type, r1 is a memory block, r2 its
 * length, and LD_ABS reads that block.
 */
export const RAW: ProgramTypeOps = {
  name: "raw",
  ctx: undefined,
  packet: { headroom: 0, tailroom: 0, perm: Perm.ReadWrite },
  offsets: () => ({ meta: 0, data: 0 }),
  fillCtx() {},
  ctxOut: (c) => c,
  dataOut: (all, p) => all.slice(p.data - p.base, p.dataEnd - p.base),
};

/**
 * A run whose context is all there is (tracing, syscall and socket-hook programs): `ctx`
 * is copied in (zero-padded to the region), r1 points at it, and no packet exists. The
 * region is `size` bytes, writable where `writable` says (an access rule: where it allows
 * stores); the context handed back is as long as the one given.
 */
export function contextRun(name: string, size: number, writable: boolean | AccessRule): ProgramTypeOps {
  let given = 0;
  return {
    name,
    ctx: typeof writable === "function"
      ? { size, perm: Perm.Read, parts: writableParts(size, writable) }
      : { size, perm: writable ? Perm.ReadWrite : Perm.Read },
    packet: undefined,
    offsets: () => ({ meta: 0, data: 0 }),
    fillCtx(v, { ctx }) {
      const bytes = ctx ?? new Uint8Array(0);
      if (bytes.length > size) throw new BpfError("EINVAL", `${name} context of ${bytes.length} bytes is larger than ${size}`);
      given = bytes.length;
      const to = new Uint8Array(v.buffer, v.byteOffset, size);
      to.fill(0);
      to.set(bytes);
    },
    ctxOut: (c) => c.slice(0, given),
    dataOut: () => new Uint8Array(0),
  };
}

/** MAX_TCP_OPTION_SPACE: the most option bytes a TCP header has room for. */
export const MAX_TCP_OPTION_SPACE = 40;

/**
 * A sock_ops run: the context as given, and, when data is given, the skb of a header-option
 * callback (BPF_SOCK_OPS_PARSE/WRITE_HDR_OPT_CB): data is a TCP header with its options,
 * `skb_data`/`skb_data_end` bound it as bpf_skops_init_skb does, and room for the options a
 * program may still write follows it.
 */
export function sockOpsRun(size: number, rule: AccessRule): ProgramTypeOps {
  const base = contextRun("sock_ops", size, rule);
  const off = (name: string) => BPF_SOCK_OPS.field(name).off;
  return {
    ...base,
    packet: { headroom: 0, tailroom: MAX_TCP_OPTION_SPACE, perm: Perm.Read },
    fillCtx(v, input, p) {
      base.fillCtx(v, input, p);
      if (!input.data.length) return;
      v.setBigUint64(off("skb_data"), BigInt(p.data), true);
      v.setBigUint64(off("skb_data_end"), BigInt(p.dataEnd), true);
      v.setUint32(off("skb_len"), input.data.length, true);
      if (input.data.length > 13) v.setUint32(off("skb_tcp_flags"), input.data[13]!, true);
    },
  };
}

/** sizeof(struct bpf_flow_keys) */
const FLOW_KEYS_SIZE = 56;

/**
 * A flow dissector's run, as bpf_prog_test_run_flow_dissector: the program sees an
 * __sk_buff with data, data_end and flow_keys; the keys start with nhoff = thoff = 14 and
 * n_proto from the frame, `ctx` (a struct bpf_flow_keys) gives their flags, and the run
 * hands back the keys as its data. The keys live in the context region, after the skb.
 */
export function flowDissectorRun(): ProgramTypeOps {
  let keysAt = 0;
  return {
    name: "flow_dissector",
    ctx: { size: SKB.size + FLOW_KEYS_SIZE, perm: Perm.Read, parts: [{ name: "flow_keys", offset: SKB.size, size: FLOW_KEYS_SIZE, perm: Perm.ReadWrite }] },
    packet: { headroom: 0, tailroom: 0, perm: Perm.Read },
    offsets({ data }) {
      if (data.length < ETH_HLEN) throw new BpfError("EINVAL", `flow_dissector: data of ${data.length} bytes is shorter than an Ethernet header`);
      return { meta: 0, data: 0 };
    },
    fillCtx(v, { data, ctx }, p) {
      new Uint8Array(v.buffer, v.byteOffset, SKB.size + FLOW_KEYS_SIZE).fill(0);
      v.setUint32(SKB.data, p.data, true);
      v.setUint32(SKB.dataEnd, p.dataEnd, true);
      keysAt = v.byteOffset + SKB.size;
      v.setBigUint64(144, BigInt(keysAt), true); // __sk_buff.flow_keys
      v.setUint16(SKB.size, ETH_HLEN, true); // nhoff
      v.setUint16(SKB.size + 2, ETH_HLEN, true); // thoff
      v.setUint8(SKB.size + 10, data[12]!); // n_proto, as it lies in the frame
      v.setUint8(SKB.size + 11, data[13]!);
      if (ctx && ctx.length >= 52) v.setUint32(SKB.size + 48, new DataView(ctx.buffer, ctx.byteOffset).getUint32(48, true), true);
    },
    ctxOut: (c) => c.slice(SKB.size),
    // The memory may have grown during the run: read the keys through the packet's (current) buffer.
    dataOut: (all) => new Uint8Array(all.buffer, keysAt, FLOW_KEYS_SIZE).slice(),
  };
}
