/**
 * @fileoverview The skb packet helpers of tc and socket programs (net/core/filter.c) on the
 * run's packet: bytes in and out, checksum fix-ups, pulling, growing and shrinking the
 * headers (skb_change_proto, skb_adjust_room, VLAN tags), ECN marking and the flow hash.
 * The test-run skb the kernel builds is linear, with the Ethernet header as its MAC header.
 */

import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import {
  csum16Add, csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub,
} from "./csum.js";
import { netOf } from "./fib.js";
import { hostOf } from "./host.js";
import { ETH_HLEN, Packet, SK_BUFF } from "./packet.js";
import { BPF_F_INGRESS, setRedirect } from "./xdp-helpers.js";
import { E, mem } from "./util.js";

const ENOMEM = 12;
const INT_MAX = 0x7fffffff;
/** ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q, ETH_P_8021AD as they lie in memory (__be16), read little-endian */
const BE = (v: number) => ((v & 0xff) << 8) | (v >> 8);
const P_IP = BE(0x0800), P_IPV6 = BE(0x86dd), P_8021Q = BE(0x8100), P_8021AD = BE(0x88a8);
/** VLAN_HLEN */
const VLAN_HLEN = 4;

function skb(env: HelperEnv, name: string): Packet {
  const p = Packet.of(env);
  if (!p) throw new Error(`${name} needs a packet (this run has none)`);
  return p;
}

/** skb->protocol, as the context holds it (__be16 in a u32). */
const protocol = (p: Packet): number => p.ctxU32(SK_BUFF.protocol) & 0xffff;

/**
 * The MAC header's length: a tc program's skb starts at its Ethernet header; a socket
 * filter's (an L3 type) starts at the network header, the MAC header before it.
 */
const macLen = (env: HelperEnv): number => (env.run.programType === "socket_filter" ? 0 : ETH_HLEN);

/** bpf_skb_load_bytes(skb, offset, to, len): 0, or -EFAULT with `to` zeroed. */
const loadBytes: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_load_bytes");
  const off = a.u32(2), len = a.u32(4);
  const to = mem(env, a, 3, len, "write");
  if (off > INT_MAX || off + len > p.length) { to.fill(0); return -E.EFAULT; }
  to.set(env.space.u8.subarray(p.data + off, p.data + off + len));
  return 0;
};

/** BPF_HDR_START_MAC, BPF_HDR_START_NET */
const HDR_START_MAC = 0, HDR_START_NET = 1;

/** bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) */
const loadBytesRelative: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_load_bytes_relative");
  const off = a.u32(2), len = a.u32(4), start = a.u64(5);
  const to = mem(env, a, 3, len, "write");
  // Offsets from the MAC or network header, which for the test-run skb lie at fixed places.
  const macAt = p.data - (env.run.programType === "socket_filter" ? ETH_HLEN : 0);
  const base = start === BigInt(HDR_START_MAC) ? macAt : start === BigInt(HDR_START_NET) ? macAt + ETH_HLEN : -1;
  if (base < 0 || off > 0xffff || len === 0) { to.fill(0); return -E.EFAULT; }
  const from = base + off;
  if (from < macAt || from + len > p.dataEnd) { to.fill(0); return -E.EFAULT; }
  to.set(env.space.u8.subarray(from, from + len));
  return 0;
};

/** BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH */
const F_RECOMPUTE_CSUM = 1n, F_INVALIDATE_HASH = 2n;

/** bpf_skb_store_bytes(skb, offset, from, len, flags) */
const storeBytes: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_store_bytes");
  const off = a.u32(2), len = a.u32(4), flags = a.u64(5);
  if (flags & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH)) return -E.EINVAL;
  if (off > INT_MAX) return -E.EFAULT;
  if (off + len > p.length) return -E.EFAULT; // bpf_try_make_writable cannot pull past the end
  env.space.u8.set(mem(env, a, 3, len, "read").slice(), p.data + off);
  if (flags & F_INVALIDATE_HASH) p.setCtxU32(SK_BUFF.hash, 0);
  return 0;
};

/** BPF_F_HDR_FIELD_MASK, BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0, BPF_F_MARK_ENFORCE, BPF_F_IPV6 */
const HDR_FIELD_MASK = 0xfn, PSEUDO_HDR = 0x10n, MARK_MANGLED_0 = 0x20n, MARK_ENFORCE = 0x40n, F_IPV6 = 0x80n;
/** CSUM_MANGLED_0 */
const CSUM_MANGLED_0 = 0xffff;

/** The checksum field at `off`, after the checks both csum_replace helpers make; or -errno. */
function csumField(p: Packet, off: number): number {
  if (off > 0xffff || off & 1) return -E.EFAULT;
  if (off + 2 > p.length) return -E.EFAULT;
  return p.data + off;
}

/** Applies a replacement of `from` by `to` of `size` bytes (0: `to` is a diff) to the checksum at `at`. */
function replace(env: HelperEnv, at: number, size: bigint, from: HelperArgs, n: number): number {
  const v = env.space.view;
  const sum = v.getUint16(at, true);
  const f = from.u32(n), t = from.u32(n + 1);
  let next: number;
  if (size === 0n) {
    if (from.u64(n) !== 0n) return -E.EINVAL;
    next = csumReplaceByDiff(sum, t);
  } else if (size === 2n) next = csumReplace2(sum, f & 0xffff, t & 0xffff);
  else if (size === 4n) next = csumReplace4(sum, f, t);
  else return -E.EINVAL;
  v.setUint16(at, next, true);
  return 0;
}

/** bpf_l3_csum_replace(skb, offset, from, to, flags) */
const l3CsumReplace: HelperFn = (a, env) => {
  const p = skb(env, "bpf_l3_csum_replace");
  const flags = a.u64(5);
  if (flags & ~HDR_FIELD_MASK) return -E.EINVAL;
  const at = csumField(p, a.u32(2));
  if (at < 0) return at;
  return replace(env, at, flags & HDR_FIELD_MASK, a, 3);
};

/**
 * bpf_l4_csum_replace(skb, offset, from, to, flags): as l3's for an skb without checksum
 * offload (the test run's), with BPF_F_MARK_MANGLED_0's rules for UDP's zero checksum.
 */
const l4CsumReplace: HelperFn = (a, env) => {
  const p = skb(env, "bpf_l4_csum_replace");
  const flags = a.u64(5);
  if (flags & ~(MARK_MANGLED_0 | MARK_ENFORCE | PSEUDO_HDR | F_IPV6 | HDR_FIELD_MASK)) return -E.EINVAL;
  const at = csumField(p, a.u32(2));
  if (at < 0) return at;
  const v = env.space.view;
  const mangled = (flags & MARK_MANGLED_0) !== 0n;
  if (mangled && !(flags & MARK_ENFORCE) && v.getUint16(at, true) === 0) return 0;
  const r = replace(env, at, flags & HDR_FIELD_MASK, a, 3);
  if (r) return r;
  if (mangled && v.getUint16(at, true) === 0) v.setUint16(at, CSUM_MANGLED_0, true);
  return 0;
};

/** bpf_csum_diff(from, from_size, to, to_size, seed): the difference folded to 16 bits; any sizes (the kernel checks none now). */
const csumDiff: HelperFn = (a, env) => {
  const fromSize = a.u32(2), toSize = a.u32(4), seed = a.u32(5);
  const from = fromSize ? mem(env, a, 1, fromSize, "read") : undefined;
  const to = toSize ? mem(env, a, 3, toSize, "read") : undefined;
  if (from && to) return csumFrom32to16(csumSub(csumPartial(to, seed), csumPartial(from, 0)));
  if (to) return csumFrom32to16(csumPartial(to, seed));
  if (from) return csumFrom32to16(~csumPartial(from, ~seed >>> 0) >>> 0);
  return csumFrom32to16(seed);
};

/** bpf_skb_pull_data(skb, len): 0 when len bytes are there (the test skb is linear), else -ENOMEM. */
const pullData: HelperFn = (a, env) => (a.u32(2) > skb(env, "bpf_skb_pull_data").length ? -ENOMEM : 0);

/** bpf_skb_change_proto(skb, proto, flags): IPv4 to IPv6 and back, making room after the MAC header. */
const changeProto: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_change_proto");
  if (a.u64(3) !== 0n) return -E.EINVAL;
  const to = a.u32(2) & 0xffff, from = protocol(p);
  const off = macLen(env);
  let diff: number;
  if (from === P_IP && to === P_IPV6) diff = 20;
  else if (from === P_IPV6 && to === P_IP) diff = -20;
  else return -E.ENOTSUPP;
  if (diff < 0 && p.length < off - diff) return -E.EINVAL;
  if (!p.insertAt(off, diff)) return -ENOMEM;
  p.setCtxU32(SK_BUFF.protocol, to);
  p.setCtxU32(SK_BUFF.hash, 0);
  return 0;
};

/** BPF_ADJ_ROOM_NET, BPF_ADJ_ROOM_MAC */
const ADJ_ROOM_NET = 0n, ADJ_ROOM_MAC = 1n;
/** BPF_F_ADJ_ROOM_*: FIXED_GSO, ENCAP_L3_IPV4/6, ENCAP_L4_GRE/UDP, NO_CSUM_RESET, ENCAP_L2_ETH, ENCAP_L2(len) */
const ADJ_ROOM_MASK = 0x1n | 0x2n | 0x4n | 0x8n | 0x10n | 0x20n | 0x40n | (0xffn << 56n);
/** BPF_F_ADJ_ROOM_DECAP_L3_IPV4, _IPV6 */
const ADJ_ROOM_DECAP = 0x80n | 0x100n;
/** The size of the network header a shrink must leave (bpf_skb_net_base_len). */
const netBaseLen = (proto: number) => (proto === P_IP ? 20 : proto === P_IPV6 ? 40 : 0);

/** bpf_skb_adjust_room(skb, len_diff, mode, flags): room at the network header (NET) or after the MAC header (MAC). */
const adjustRoom: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_adjust_room");
  const diff = a.lo(2), mode = a.u64(3), flags = a.u64(4);
  const shrink = diff < 0, abs = Math.abs(diff);
  if (flags & ~(ADJ_ROOM_MASK | ADJ_ROOM_DECAP)) return -E.EINVAL;
  if (abs > 0xfff) return -E.EFAULT;
  const proto = protocol(p);
  if (proto !== P_IP && proto !== P_IPV6) return -E.ENOTSUPP;
  let off = macLen(env);
  if (mode === ADJ_ROOM_NET) off += netBaseLen(proto);
  else if (mode !== ADJ_ROOM_MAC) return -E.ENOTSUPP;
  if (flags & ADJ_ROOM_DECAP && !shrink) return -E.EINVAL;
  const cur = p.length - macLen(env);
  if (shrink && (abs >= cur || cur - abs < netBaseLen(proto))) return -E.ENOTSUPP;
  if (!p.insertAt(off, shrink ? -abs : abs)) return -ENOMEM;
  if (!(flags & 0x20n)) Object.assign(csumState(env), { unnecessary: false, level: 0 }); // unless BPF_F_ADJ_ROOM_NO_CSUM_RESET
  return 0;
};

/** bpf_skb_vlan_push(skb, vlan_proto, vlan_tci): the tag goes to the skb (hardware-accelerated); an older one into the packet. */
const vlanPush: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_vlan_push");
  let proto = a.u32(2) & 0xffff;
  if (proto !== P_8021Q && proto !== P_8021AD) proto = P_8021Q;
  const tci = a.u32(3) & 0xffff;
  if (p.ctxU32(SK_BUFF.vlanPresent)) {
    // __vlan_insert_tag of the present tag after the MAC addresses.
    if (p.length < 2 * 6 || !p.insertAt(12, VLAN_HLEN)) return -ENOMEM;
    const v = env.space.view;
    v.setUint16(p.data + 12, p.ctxU32(SK_BUFF.vlanProto) & 0xffff, true);
    v.setUint16(p.data + 14, BE(p.ctxU32(SK_BUFF.vlanTci) & 0xffff), true);
    p.setCtxU32(SK_BUFF.protocol, p.ctxU32(SK_BUFF.vlanProto));
  }
  p.setCtxU32(SK_BUFF.vlanPresent, 1);
  p.setCtxU32(SK_BUFF.vlanProto, proto);
  p.setCtxU32(SK_BUFF.vlanTci, tci);
  return 0;
};

const isVlan = (proto: number) => proto === P_8021Q || proto === P_8021AD;

/** __skb_vlan_pop: removes the tag after the MAC addresses; returns its TCI, or -errno. */
function popTag(env: HelperEnv, p: Packet): number {
  if (p.length < ETH_HLEN + VLAN_HLEN) return -E.EINVAL;
  const v = env.space.view;
  const tci = BE(v.getUint16(p.data + 14, true));
  const inner = v.getUint16(p.data + 16, true);
  p.insertAt(12, -VLAN_HLEN);
  p.setCtxU32(SK_BUFF.protocol, inner);
  return tci;
}

/** bpf_skb_vlan_pop(skb): clears the skb's tag, then moves the packet's outermost tag into it, as skb_vlan_pop. */
const vlanPop: HelperFn = (_a, env) => {
  const p = skb(env, "bpf_skb_vlan_pop");
  if (p.ctxU32(SK_BUFF.vlanPresent)) {
    p.setCtxU32(SK_BUFF.vlanPresent, 0);
    p.setCtxU32(SK_BUFF.vlanTci, 0);
    p.setCtxU32(SK_BUFF.vlanProto, 0);
  } else {
    if (!isVlan(protocol(p))) return 0;
    const r = popTag(env, p);
    if (r < 0) return r;
  }
  const proto = protocol(p);
  if (!isVlan(proto)) return 0;
  const tci = popTag(env, p);
  if (tci < 0) return tci;
  p.setCtxU32(SK_BUFF.vlanPresent, 1);
  p.setCtxU32(SK_BUFF.vlanProto, proto);
  p.setCtxU32(SK_BUFF.vlanTci, tci);
  return 0;
};

/** INET_ECN_set_ce: marks ECT packets CE (IPv4: with the checksum fixed up); 1 if the packet is CE now, else 0. */
const ecnSetCe: HelperFn = (_a, env) => {
  const p = skb(env, "bpf_skb_ecn_set_ce");
  const net = p.data + macLen(env);
  const u8 = env.space.u8, v = env.space.view;
  const proto = protocol(p);
  if (proto === P_IP && net + 20 <= p.dataEnd) {
    const tos = u8[net + 1]!;
    const ecn = (tos + 1) & 3;
    if (!(ecn & 2)) return ecn ? 0 : 1;
    const add = (BE(0xfffb) + BE(ecn)) & 0xffff;
    v.setUint16(net + 10, csum16Add(v.getUint16(net + 10, true), add), true);
    u8[net + 1] = tos | 3;
    return 1;
  }
  if (proto === P_IPV6 && net + 40 <= p.dataEnd) {
    const word = v.getUint32(net, false);
    if (((word >>> 20) & 3) === 0) return 0;
    v.setUint32(net, (word | (3 << 20)) >>> 0, false);
    return 1;
  }
  return 0;
};

/** A flow hash of the packet's addresses and ports (the kernel's uses a boot-time random seed, so values differ). */
function flowHash(env: HelperEnv, p: Packet): number {
  const net = p.data + macLen(env);
  const proto = protocol(p);
  const u8 = env.space.u8;
  const take = (from: number, n: number) => (from + n <= p.dataEnd ? u8.subarray(from, from + n) : new Uint8Array(0));
  const key = proto === P_IP ? [...take(net + 12, 8), ...take(net + 20, 4), u8[net + 9] ?? 0] : proto === P_IPV6 ? [...take(net + 8, 32), ...take(net + 40, 4), u8[net + 6] ?? 0] : [...take(p.data, 14)];
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

/** bpf_get_hash_recalc(skb): the flow hash, computed and stored in skb->hash when it has none. */
const getHashRecalc: HelperFn = (_a, env) => {
  const p = skb(env, "bpf_get_hash_recalc");
  let h = p.ctxU32(SK_BUFF.hash);
  if (h === 0) p.setCtxU32(SK_BUFF.hash, (h = flowHash(env, p)));
  return h;
};

/** LOOPBACK_IFINDEX: the one device every network namespace has */
const LOOPBACK_IFINDEX = 1;

/** bpf_clone_redirect(skb, ifindex, flags): a copy goes out now; -EINVAL for bad flags or a device the run's network lacks. */
const cloneRedirect: HelperFn = (a, env) => {
  const flags = a.u64(3), ifindex = a.u32(2);
  if (flags & ~BPF_F_INGRESS) return -E.EINVAL;
  if (ifindex !== LOOPBACK_IFINDEX && !netOf(hostOf(env.space)).devices.some((d) => d.ifindex === ifindex)) return -E.EINVAL;
  setRedirect(env.space, { helper: "clone_redirect", ifindex: a.u32(2), flags });
  return 0;
};

/** TC_ACT_REDIRECT, TC_ACT_SHOT */
const TC_ACT_REDIRECT = 7, TC_ACT_SHOT = 2;

/** bpf_redirect_neigh(ifindex, params, plen, flags), bpf_redirect_peer(ifindex, flags): TC_ACT_REDIRECT, or TC_ACT_SHOT for flags. */
const redirectVia = (helper: "redirect_neigh" | "redirect_peer", flagsArg: number): HelperFn => (a, env) => {
  const flags = a.u64(flagsArg);
  if (flags !== 0n) return TC_ACT_SHOT;
  if (helper === "redirect_neigh" && a.u64(2) !== 0n) {
    // struct bpf_redir_neigh { nh_family; union { ipv4_nh; ipv6_nh[4] } }: plen must be its size.
    if (a.u32(3) !== 20) return TC_ACT_SHOT;
  }
  setRedirect(env.space, { helper, ifindex: a.u32(1), flags });
  return TC_ACT_REDIRECT;
};

/** __sk_buff.pkt_type; PACKET_OTHERHOST, the highest type a program may set */
const PKT_TYPE = 4, PACKET_OTHERHOST = 3;

/** bpf_skb_change_type(skb, type): sets pkt_type when both the old and the new are PACKET_HOST..OTHERHOST. */
const changeType: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_change_type");
  if (p.ctxU32(PKT_TYPE) > PACKET_OTHERHOST || a.u32(2) > PACKET_OTHERHOST) return -E.EINVAL;
  p.setCtxU32(PKT_TYPE, a.u32(2));
  return 0;
};

/**
 * bpf_skb_change_tail(skb, len, flags): trims or grows (with zeros) the packet to `len`
 * bytes, not below the headers the kernel keeps (the network header's offset).
 */
const changeTail: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_change_tail");
  const len = a.u32(2);
  if (a.u64(3) !== 0n || len < macLen(env) || len > 0xffff) return -E.EINVAL;
  const end = p.data + len;
  if (end > p.limit) return -ENOMEM;
  if (end > p.dataEnd) env.space.u8.fill(0, p.dataEnd, end);
  p.set({ dataEnd: end });
  return 0;
};

/** bpf_skb_change_head(skb, head_room, flags): pushes head_room zero bytes before the packet. */
const changeHead: HelperFn = (a, env) => {
  const p = skb(env, "bpf_skb_change_head");
  const room = a.u32(2);
  if (a.u64(3) !== 0n || p.length + room > 0xffff) return -E.EINVAL;
  if (!p.insertAt(0, room)) return -ENOMEM;
  return 0;
};

/** The checksum state of a run's skb (ip_summed, csum_level): the test run's starts as CHECKSUM_NONE. */
const CSUM = new WeakMap<object, { unnecessary: boolean; level: number }>();
const csumState = (env: HelperEnv) => {
  const key = env.run.packet!;
  let st = CSUM.get(key);
  if (!st) CSUM.set(key, (st = { unnecessary: false, level: 0 }));
  return st;
};
/** SKB_MAX_CSUM_LEVEL */
const MAX_CSUM_LEVEL = 3;
const EACCES = 13;

/** bpf_csum_level(skb, level): BPF_CSUM_LEVEL_QUERY (0), _INC (1), _DEC (2), _RESET (3) of CHECKSUM_UNNECESSARY. */
const csumLevel: HelperFn = (a, env) => {
  skb(env, "bpf_csum_level");
  const st = csumState(env);
  switch (a.u64(2)) {
    case 0n: return st.unnecessary ? st.level : -EACCES;
    case 1n:
      if (!st.unnecessary) { st.unnecessary = true; st.level = 0; } else if (st.level < MAX_CSUM_LEVEL) st.level++;
      return 0;
    case 2n:
      if (st.unnecessary) { if (st.level === 0) st.unnecessary = false; else st.level--; }
      return 0;
    case 3n:
      st.unnecessary = false; st.level = 0;
      return 0;
    default: return -E.EINVAL;
  }
};

/**
 * The cgroup of the packet's socket: a test run's skb has a socket made by the calling task,
 * in its cgroup (cgroup_sk_alloc), so the host task's cgroups answer.
 */
const skbCgroup = (level?: bigint) => (env: HelperEnv): bigint => {
  const t = hostOf(env.space).task;
  if (level === undefined) return t.cgroupId;
  return level < 0n || level >= BigInt(t.cgroupAncestors.length) ? 0n : t.cgroupAncestors[Number(level)]!;
};

/** The skb helpers, by id (enum bpf_func_id). */
export const SKB_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_skb_store_bytes */
  { id: 9, name: "skb_store_bytes", fn: storeBytes },
  /** BPF_FUNC_l3_csum_replace */
  { id: 10, name: "l3_csum_replace", fn: l3CsumReplace },
  /** BPF_FUNC_l4_csum_replace */
  { id: 11, name: "l4_csum_replace", fn: l4CsumReplace },
  /** BPF_FUNC_clone_redirect */
  { id: 13, name: "clone_redirect", fn: cloneRedirect },
  /** BPF_FUNC_skb_vlan_push */
  { id: 18, name: "skb_vlan_push", fn: vlanPush },
  /** BPF_FUNC_skb_vlan_pop */
  { id: 19, name: "skb_vlan_pop", fn: vlanPop },
  /** BPF_FUNC_skb_load_bytes */
  { id: 26, name: "skb_load_bytes", fn: loadBytes },
  /** BPF_FUNC_csum_diff */
  { id: 28, name: "csum_diff", fn: csumDiff },
  /** BPF_FUNC_skb_change_proto */
  { id: 31, name: "skb_change_proto", fn: changeProto },
  /** BPF_FUNC_skb_change_type */
  { id: 32, name: "skb_change_type", fn: changeType },
  /** BPF_FUNC_get_hash_recalc */
  { id: 34, name: "get_hash_recalc", fn: getHashRecalc },
  /** BPF_FUNC_skb_pull_data */
  { id: 39, name: "skb_pull_data", fn: pullData },
  /** BPF_FUNC_skb_change_tail */
  { id: 38, name: "skb_change_tail", fn: changeTail },
  /** BPF_FUNC_csum_update: the test run's skb has no CHECKSUM_COMPLETE sum to update */
  { id: 40, name: "csum_update", fn: (_a, env) => { skb(env, "bpf_csum_update"); return -E.ENOTSUPP; } },
  /** BPF_FUNC_set_hash_invalid */
  { id: 41, name: "set_hash_invalid", fn: (_a, env) => { skb(env, "bpf_set_hash_invalid").setCtxU32(SK_BUFF.hash, 0); return 0; } },
  /** BPF_FUNC_set_hash */
  { id: 48, name: "set_hash", fn: (a, env) => { skb(env, "bpf_set_hash").setCtxU32(SK_BUFF.hash, a.u32(2)); return 0; } },
  /** BPF_FUNC_skb_change_head */
  { id: 43, name: "skb_change_head", fn: changeHead },
  /** BPF_FUNC_skb_adjust_room */
  { id: 50, name: "skb_adjust_room", fn: adjustRoom },
  /** BPF_FUNC_skb_load_bytes_relative */
  { id: 68, name: "skb_load_bytes_relative", fn: loadBytesRelative },
  /** BPF_FUNC_skb_cgroup_id */
  { id: 79, name: "skb_cgroup_id", fn: (_a, env) => { skb(env, "bpf_skb_cgroup_id"); return skbCgroup()(env); } },
  /** BPF_FUNC_skb_ancestor_cgroup_id */
  { id: 83, name: "skb_ancestor_cgroup_id", fn: (a, env) => { skb(env, "bpf_skb_ancestor_cgroup_id"); return skbCgroup(a.i64(2))(env); } },
  /** BPF_FUNC_skb_ecn_set_ce */
  { id: 97, name: "skb_ecn_set_ce", fn: ecnSetCe },
  /** BPF_FUNC_csum_level */
  { id: 135, name: "csum_level", fn: csumLevel },
  /** BPF_FUNC_redirect_neigh */
  { id: 152, name: "redirect_neigh", fn: redirectVia("redirect_neigh", 4) },
  /** BPF_FUNC_redirect_peer */
  { id: 155, name: "redirect_peer", fn: redirectVia("redirect_peer", 2) },
];
