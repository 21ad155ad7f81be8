/**
 * @fileoverview The SYN cookie helpers (bpf_tcp_raw_gen/check_syncookie_ipv4/6, and
 * bpf_tcp_gen/check_syncookie on a listener from the socket lookups) with the kernel's cookie layout (net/ipv4/syncookies.c):
 * a hash of the connection plus the client's sequence number, the minute counter in the top
 * 8 bits and the MSS index in the low 24. The hash is keyed by a per-host secret, not the
 * kernel's boot-time one, so cookies agree with each other, not with a kernel's.
 */

import type { HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { type Host, hostOf, HZ } from "./host.js";
import { socketAt, type SocketModel } from "./socket-helpers.js";
import { E, mem } from "./util.js";

/** COOKIEBITS, COOKIEMASK, MAX_SYNCOOKIE_AGE */
const COOKIEBITS = 24, COOKIEMASK = (1 << COOKIEBITS) - 1, MAX_SYNCOOKIE_AGE = 2;
/** msstab (IPv4) and msstab (IPv6): the MSS values a cookie can carry */
const MSS_V4 = [536, 1300, 1440, 1460], MSS_V6 = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];
/** TCP_MSS_DEFAULT, IPV6_MIN_MTU - 60 */
const DEFAULT_MSS_V4 = 536, DEFAULT_MSS_V6 = 1220;
const EACCES = 13;

const SECRETS = new WeakMap<Host, number>();
function secret(host: Host): number {
  let s = SECRETS.get(host);
  if (s === undefined) SECRETS.set(host, (s = host.random() >>> 0));
  return s;
}

/** tcp_cookie_time: minutes of jiffies. */
const cookieTime = (host: Host): number => Number((host.clock.jiffies() / BigInt(60 * HZ)) & 0xffffffffn) >>> 0;

/** cookie_hash: a keyed hash of the addresses, ports, count and which hash (c). */
function cookieHash(host: Host, addrs: Uint8Array, ports: number, count: number, c: number): number {
  let h = (0x811c9dc5 ^ secret(host)) >>> 0;
  const mix = (b: number) => { h = Math.imul(h ^ (b & 0xff), 0x01000193) >>> 0; };
  for (const b of addrs) mix(b);
  for (let k = 0; k < 4; k++) { mix(ports >>> (8 * k)); mix(count >>> (8 * k)); }
  mix(c);
  return h;
}

interface Headers { addrs: Uint8Array; ports: number; seq: number; ackSeq: number; mss: number }

/** The addresses (saddr then daddr), ports, sequence numbers and MSS option of the headers at r1 and r2. */
function headers(env: HelperEnv, ip: Uint8Array, th: Uint8Array, v6: boolean): Headers {
  const t = new DataView(th.buffer, th.byteOffset, th.byteLength);
  let mss = 0;
  const doff = (th[12]! >> 4) * 4;
  for (let k = 20; k < Math.min(doff, th.length);) {
    const kind = th[k]!;
    if (kind === 0) break;
    if (kind === 1) { k++; continue; }
    const len = th[k + 1] ?? 0;
    if (len < 2) break;
    if (kind === 2 && len === 4 && k + 4 <= th.length) mss = t.getUint16(k + 2, false);
    k += len;
  }
  return {
    addrs: v6 ? ip.slice(8, 40) : ip.slice(12, 20),
    ports: t.getUint32(0, false),
    seq: t.getUint32(4, false),
    ackSeq: t.getUint32(8, false),
    mss,
  };
}

/** bpf_tcp_raw_gen_syncookie_ipv4/6(iph, th, th_len): cookie | mss << 32, or -EINVAL for a bad th_len. */
const gen = (v6: boolean): HelperFn => (a, env) => {
  const thLen = a.u32(3);
  if (thLen < 20) return -E.EINVAL;
  const th = mem(env, a, 2, thLen, "read");
  if (thLen !== (th[12]! >> 4) * 4) return -E.EINVAL;
  const h = headers(env, mem(env, a, 1, v6 ? 40 : 20, "read"), th, v6);
  return cookieFor(env, h, v6, h.mss || (v6 ? DEFAULT_MSS_V6 : DEFAULT_MSS_V4));
};

/** __cookie_v4/v6_init_sequence: the cookie for this SYN, with the table's MSS at most `mss`, | mss << 32. */
function cookieFor(env: HelperEnv, h: Headers, v6: boolean, mss: number): bigint {
  const table = v6 ? MSS_V6 : MSS_V4;
  let ind = table.length - 1;
  while (ind > 0 && mss < table[ind]!) ind--;
  const host = hostOf(env.space);
  const count = cookieTime(host);
  const cookie = (cookieHash(host, h.addrs, h.ports, 0, 0) + h.seq + (count << COOKIEBITS) + ((cookieHash(host, h.addrs, h.ports, count, 1) + ind) & COOKIEMASK)) >>> 0;
  return BigInt(cookie) | (BigInt(table[ind]!) << 32n);
}

/** bpf_tcp_raw_check_syncookie_ipv4/6(iph, th): 0 if th's ack_seq - 1 is a cookie of ours for this connection, else -EACCES. */
const check = (v6: boolean): HelperFn => (a, env) =>
  (cookieValid(env, headers(env, mem(env, a, 1, v6 ? 40 : 20, "read"), mem(env, a, 2, 20, "read"), v6), v6) ? 0 : -EACCES);

/** __cookie_v4/v6_check: whether th's ack_seq - 1 is a cookie of ours for this connection. */
function cookieValid(env: HelperEnv, h: Headers, v6: boolean): boolean {
  const host = hostOf(env.space);
  const count = cookieTime(host);
  const seq = (h.seq - 1) >>> 0;
  let cookie = ((h.ackSeq - 1) >>> 0) - ((cookieHash(host, h.addrs, h.ports, 0, 0) + seq) >>> 0);
  cookie >>>= 0;
  const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return false;
  const ind = ((cookie - cookieHash(host, h.addrs, h.ports, (count - diff) >>> 0, 1)) >>> 0) & COOKIEMASK;
  return ind < (v6 ? MSS_V6 : MSS_V4).length;
}

/** TCP_MSS_DEFAULT: tcp_request_sock_ipv4_ops.mss_clamp; IPv6's is IPV6_MIN_MTU less the headers */
const MSS_CLAMP_V4 = 536, MSS_CLAMP_V6 = 1220;
/** EPROTONOSUPPORT */
const EPROTONOSUPPORT = 93;

/** The listener a socket helper was given: -EINVAL unless a TCP socket in LISTEN. */
function listener(env: HelperEnv, addr: number): SocketModel | number {
  const s = socketAt(env.space, addr);
  if (!s || s.protocol !== "tcp" || s.remote || (s.state !== undefined && s.state !== 10)) return -E.EINVAL;
  return s;
}

/**
 * bpf_tcp_gen_syncookie(sk, iph, iph_len, th, th_len): for a SYN to a listener, cookie |
 * mss << 32, as tcp_get_syncookie_mss decides: only under a SYN flood (else -ENOENT), the
 * MSS from the SYN's option or the family's clamp.
 */
const genForSocket: HelperFn = (a, env) => {
  const thLen = a.u32(5), iphLen = a.u32(3);
  const th = thLen >= 20 ? mem(env, a, 4, thLen, "read") : undefined;
  if (!th || thLen !== (th[12]! >> 4) * 4) return -E.EINVAL;
  const s = listener(env, a.addr(1));
  if (typeof s === "number") return s;
  const flags = th[13]!;
  if (!(flags & 0x02) || flags & 0x10 || flags & 0x01 || flags & 0x04) return -E.EINVAL; // SYN, not ACK, FIN or RST
  if (iphLen < 20) return -E.EINVAL;
  const iph = mem(env, a, 2, iphLen, "read");
  const version = iph[0]! >> 4;
  if (version !== 4 && version !== 6) return -EPROTONOSUPPORT;
  if (version === 6 && iphLen < 40) return -E.EINVAL;
  if (!s.synFlood) return -E.ENOENT;
  const v6 = version === 6;
  const h = headers(env, iph, th, v6);
  return cookieFor(env, h, v6, h.mss || (v6 ? MSS_CLAMP_V6 : MSS_CLAMP_V4));
};

/** bpf_tcp_check_syncookie(sk, iph, iph_len, th, th_len): 0 for an ACK carrying a cookie of ours; -ENOENT otherwise, as with no recent SYN queue overflow. */
const checkForSocket: HelperFn = (a, env) => {
  const thLen = a.u32(5), iphLen = a.u32(3);
  if (thLen < 20) return -E.EINVAL;
  const s = listener(env, a.addr(1));
  if (typeof s === "number") return s;
  const th = mem(env, a, 4, thLen, "read");
  const flags = th[13]!;
  if (!(flags & 0x10) || flags & 0x04 || flags & 0x02) return -E.ENOENT; // ACK, not RST or SYN
  if (iphLen < 20) return -E.EINVAL;
  if (!s.synFlood) return -E.ENOENT;
  const iph = mem(env, a, 2, iphLen, "read");
  const v6 = s.local.addr.length === 16; // by the listener's family, as the kernel
  if (v6 && iphLen < 40) return -E.EINVAL;
  return cookieValid(env, headers(env, iph, th, v6), v6) ? 0 : -E.ENOENT;
};

/** The raw SYN cookie helpers, and the ones on a listener, by id (enum bpf_func_id). */
export const SYNCOOKIE_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_tcp_check_syncookie */
  { id: 100, name: "tcp_check_syncookie", fn: checkForSocket },
  /** BPF_FUNC_tcp_gen_syncookie */
  { id: 110, name: "tcp_gen_syncookie", fn: genForSocket },
  /** BPF_FUNC_tcp_raw_gen_syncookie_ipv4 */
  { id: 204, name: "tcp_raw_gen_syncookie_ipv4", fn: gen(false) },
  /** BPF_FUNC_tcp_raw_gen_syncookie_ipv6 */
  { id: 205, name: "tcp_raw_gen_syncookie_ipv6", fn: gen(true) },
  /** BPF_FUNC_tcp_raw_check_syncookie_ipv4 */
  { id: 206, name: "tcp_raw_check_syncookie_ipv4", fn: check(false) },
  /** BPF_FUNC_tcp_raw_check_syncookie_ipv6 */
  { id: 207, name: "tcp_raw_check_syncookie_ipv6", fn: check(true) },
];
