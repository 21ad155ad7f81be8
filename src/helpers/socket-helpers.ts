/**
 * @fileoverview Socket lookups against the host's sockets (`socketsOf(host)`, empty until a
 * test or the CLI adds some): bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp by a packet's
 * tuple as the kernel's inet lookups choose (an established match, else a listener on the
 * address, else on the wildcard), handing back a struct bpf_sock; bpf_sk_release,
 * bpf_sk_fullsock and bpf_get_listener_sock on what they handed back.
 */

import { BPF_SOCK } from "../programs/layouts.js";
import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import type { HelperDef, HelperFn } from "../runtime/helpers.js";
import { hostOf } from "./host.js";

/** A socket of the host, as a lookup sees it. Addresses are 4 (AF_INET) or 16 bytes, ports host order. */
export interface SocketModel {
  readonly protocol: "tcp" | "udp";
  readonly local: { readonly addr: Uint8Array; readonly port: number };
  /** The peer of a connected socket; none for a listener or an unconnected UDP socket. */
  readonly remote?: { readonly addr: Uint8Array; readonly port: number };
  /** sk_state (BPF_TCP_*): by default LISTEN (10) or ESTABLISHED (1) for TCP, CLOSE (7) or ESTABLISHED for UDP. */
  readonly state?: number;
  readonly mark?: number;
  readonly priority?: number;
  readonly boundDevIf?: number;
  /**
   * A listener whose SYN queue is full (a SYN flood): only then do bpf_tcp_gen_syncookie and
   * bpf_tcp_check_syncookie make or take cookies, as with net.ipv4.tcp_syncookies = 1.
   */
  readonly synFlood?: boolean;
}

const SOCKETS = new WeakMap<object, SocketModel[]>();
/** The sockets of a host (`socketsOf(hostOf(runtime.space)).push(...)`). */
export function socketsOf(host: object): SocketModel[] {
  let s = SOCKETS.get(host);
  if (!s) SOCKETS.set(host, (s = []));
  return s;
}

/** BPF_TCP_ESTABLISHED, BPF_TCP_CLOSE, BPF_TCP_LISTEN */
const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_LISTEN = 10;
const AF_INET = 2, AF_INET6 = 10;
/** struct bpf_sock_tuple's ipv4 and ipv6 sizes */
const TUPLE_V4 = 12, TUPLE_V6 = 36;

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const any = (a: Uint8Array) => a.every((x) => x === 0);

/** The kernel's choice: a connected match of the whole tuple, else a bound one on the address, else on the wildcard. */
function lookup(sockets: readonly SocketModel[], protocol: "tcp" | "udp", saddr: Uint8Array, daddr: Uint8Array, sport: number, dport: number): SocketModel | undefined {
  const mine = sockets.filter((s) => s.protocol === protocol && s.local.addr.length === daddr.length && s.local.port === dport);
  return mine.find((s) => s.remote && same(s.remote.addr, saddr) && s.remote.port === sport && same(s.local.addr, daddr))
    ?? mine.find((s) => !s.remote && same(s.local.addr, daddr))
    ?? mine.find((s) => !s.remote && any(s.local.addr));
}

/** The bpf_sock regions handed out and not yet released, by address, with their sockets. */
const HANDED = new WeakMap<AddressSpace, Map<number, Region>>();
const SOCKET_AT = new WeakMap<Region, SocketModel>();

/** The socket a looked-up struct bpf_sock stands for, or undefined for another pointer. */
export function socketAt(space: AddressSpace, addr: number): SocketModel | undefined {
  const r = HANDED.get(space)?.get(addr);
  return r ? SOCKET_AT.get(r) : undefined;
}

/** Lays a socket out as struct bpf_sock, in a read-only region of its own. */
function bpfSock(space: AddressSpace, s: SocketModel): number {
  const r = space.alloc({ name: "bpf_sock", kind: "other", size: BPF_SOCK.size, perm: Perm.Read });
  const v = space.view, at = r.base, u8 = space.u8;
  const v4 = s.local.addr.length === 4;
  const state = s.state ?? (s.remote ? TCP_ESTABLISHED : s.protocol === "tcp" ? TCP_LISTEN : TCP_CLOSE);
  const put = (field: string, value: number) => v.setUint32(at + BPF_SOCK.field(field).off, value >>> 0, true);
  put("bound_dev_if", s.boundDevIf ?? 0);
  put("family", v4 ? AF_INET : AF_INET6);
  put("type", s.protocol === "tcp" ? 1 : 2); // SOCK_STREAM, SOCK_DGRAM
  put("protocol", s.protocol === "tcp" ? 6 : 17);
  put("mark", s.mark ?? 0);
  put("priority", s.priority ?? 0);
  u8.set(s.local.addr, at + BPF_SOCK.field(v4 ? "src_ip4" : "src_ip6").off);
  put("src_port", s.local.port);
  const dport = s.remote?.port ?? 0;
  u8[at + BPF_SOCK.field("dst_port").off] = dport >> 8;
  u8[at + BPF_SOCK.field("dst_port").off + 1] = dport & 0xff;
  if (s.remote) u8.set(s.remote.addr, at + BPF_SOCK.field(v4 ? "dst_ip4" : "dst_ip6").off);
  put("state", state);
  put("rx_queue_mapping", -1); // NO_QUEUE_MAPPING
  let handed = HANDED.get(space);
  if (!handed) HANDED.set(space, (handed = new Map()));
  handed.set(at, r);
  SOCKET_AT.set(r, s);
  return at;
}

/**
 * bpf_sk_lookup_tcp/udp(ctx, tuple, tuple_size, netns, flags) and bpf_skc_lookup_tcp: the
 * socket, or NULL for a tuple of another size, flags, or a netns other than the caller's
 * (the host has one).
 */
const skLookup = (protocol: "tcp" | "udp"): HelperFn => (a, env) => {
  const size = a.u32(3);
  const netns = a.u64(4);
  if ((size !== TUPLE_V4 && size !== TUPLE_V6) || a.u64(5) !== 0n) return 0;
  // BPF_F_CURRENT_NETNS, or any negative s32: the caller's namespace; an id names another.
  if (BigInt.asIntN(32, netns) >= 0n) return 0;
  const t = env.bytes(a.addr(2), size, "read");
  const n = size === TUPLE_V4 ? 4 : 16;
  const saddr = t.slice(0, n), daddr = t.slice(n, 2 * n);
  const sport = (t[2 * n]! << 8) | t[2 * n + 1]!, dport = (t[2 * n + 2]! << 8) | t[2 * n + 3]!;
  const s = lookup(socketsOf(hostOf(env.space)), protocol, saddr, daddr, sport, dport);
  return s ? bpfSock(env.space, s) : 0;
};

/** bpf_sk_release(sk): gives a looked-up socket back. */
const skRelease: HelperFn = (a, env) => {
  const handed = HANDED.get(env.space);
  const r = handed?.get(a.addr(1));
  if (r) { handed!.delete(a.addr(1)); r.free(); }
  return 0;
};

/** bpf_sk_fullsock(sk): sk itself, every socket of the host being a full one (no request or time-wait socks). */
const skFullsock: HelperFn = (a, env) => (socketAt(env.space, a.addr(1)) ? a.addr(1) : 0);

/** bpf_get_listener_sock(sk): sk if it is a TCP listener, else NULL. */
const getListenerSock: HelperFn = (a, env) => {
  const s = socketAt(env.space, a.addr(1));
  return s && s.protocol === "tcp" && !s.remote && (s.state ?? TCP_LISTEN) === TCP_LISTEN ? a.addr(1) : 0;
};

/** The socket lookup helpers, by id (enum bpf_func_id). */
export const SOCKET_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_sk_fullsock */
  { id: 95, name: "sk_fullsock", fn: skFullsock },
  /** BPF_FUNC_get_listener_sock */
  { id: 98, name: "get_listener_sock", fn: getListenerSock },
  /** BPF_FUNC_sk_lookup_tcp */
  { id: 84, name: "sk_lookup_tcp", fn: skLookup("tcp") },
  /** BPF_FUNC_sk_lookup_udp */
  { id: 85, name: "sk_lookup_udp", fn: skLookup("udp") },
  /** BPF_FUNC_sk_release */
  { id: 86, name: "sk_release", fn: skRelease },
  /** BPF_FUNC_skc_lookup_tcp: the same sockets (the host has no request or time-wait ones) */
  { id: 99, name: "skc_lookup_tcp", fn: skLookup("tcp") },
];
