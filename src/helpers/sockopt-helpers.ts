/**
 * @fileoverview bpf_setsockopt / bpf_getsockopt and bpf_sock_ops_cb_flags_set on the run's
 * socket (a model per host: its options, by level and name), with the options and checks
 * of net/core/filter.c's sol_socket/sol_tcp/sol_ip/sol_ipv6_sockopt.
 */

import { BPF_SOCK_OPS } from "../programs/layouts.js";
import type { HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { hostOf } from "./host.js";
import { E, mem } from "./util.js";

/** SOL_SOCKET, SOL_TCP (IPPROTO_TCP), SOL_IP, SOL_IPV6 */
export const SockoptLevel = { Socket: 1, Tcp: 6, Ip: 0, Ipv6: 41 } as const;
/** ENOENT: an unknown congestion control; ENOPROTOOPT */
const ENOPROTOOPT = 92;
/** BPF_SOCK_OPS_ALL_CB_FLAGS: RTO, RETRANS, STATE, RTT, PARSE_ALL_HDR_OPT, PARSE_UNKNOWN_HDR_OPT, WRITE_HDR_OPT */
export const BPF_SOCK_OPS_ALL_CB_FLAGS = 0x7f;
/** TCP_CONGESTION */
const TCP_CONGESTION = 13;
/** TCP_CA_NAME_MAX */
const TCP_CA_NAME_MAX = 16;
/** TCP_BPF_SOCK_OPS_CB_FLAGS: the callback flags as a socket option */
const TCP_BPF_SOCK_OPS_CB_FLAGS = 1008;
/** SO_SNDBUF, SO_RCVBUF; SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF on x86-64 */
const SO_SNDBUF = 7, SO_RCVBUF = 8, SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;
/** SO_BINDTODEVICE: set only, a device name */
const SO_BINDTODEVICE = 25;

/** The integer options each level takes from a program (name: default value). */
const INT_OPTIONS: Readonly<Record<number, Readonly<Record<number, number>>>> = {
  // SO_REUSEADDR, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_PRIORITY, SO_REUSEPORT, SO_RCVLOWAT, SO_MARK, SO_MAX_PACING_RATE, SO_BINDTOIFINDEX, SO_TXREHASH
  [SockoptLevel.Socket]: { 2: 0, 7: 16384, 8: 131072, 9: 0, 12: 0, 15: 0, 18: 1, 36: 0, 47: -1, 62: 0, 74: 0 },
  // TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_WINDOW_CLAMP, TCP_THIN_LINEAR_TIMEOUTS,
  // TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT, TCP_SAVE_SYN, and TCP_BPF_IW .. TCP_BPF_SOCK_OPS_CB_FLAGS
  [SockoptLevel.Tcp]: { 1: 0, 2: 536, 4: 7200, 5: 75, 6: 9, 7: 6, 10: 0, 16: 0, 18: 0, 25: -1, 27: 0, 1001: 10, 1002: 0, 1003: 0, 1004: 0, 1005: 0, 1006: 0, 1007: 0, [TCP_BPF_SOCK_OPS_CB_FLAGS]: 0 },
  // IP_TOS
  [SockoptLevel.Ip]: { 1: 0 },
  // IPV6_TCLASS, IPV6_AUTOFLOWLABEL
  [SockoptLevel.Ipv6]: { 67: 0, 70: 0 },
};

/** The run's socket as the sockopt helpers see it. */
export interface SocketOptions {
  /** Integer options by `level:name`. */
  readonly ints: Map<string, number>;
  congestion: string;
  /** Congestion controls the host has (tcp_available_congestion_control). */
  readonly available: string[];
  boundDevice: string;
}

const OPTIONS = new WeakMap<object, SocketOptions>();
/** The socket options of a host's run socket (defaults: Linux's for a fresh TCP socket, cubic). */
export function socketOptionsOf(host: object): SocketOptions {
  let o = OPTIONS.get(host);
  if (!o) OPTIONS.set(host, (o = { ints: new Map(), congestion: "cubic", available: ["reno", "cubic"], boundDevice: "" }));
  return o;
}

function intValue(o: SocketOptions, level: number, name: number): number {
  return o.ints.get(`${level}:${name}`) ?? INT_OPTIONS[level]![name]!;
}

/** The sock_ops context's bpf_sock_ops_cb_flags follows the socket's flags. */
function syncCbFlags(env: HelperEnv, flags: number): void {
  const ctx = env.run.ctx;
  if (env.run.programType === "sock_ops" && ctx) env.space.view.setUint32(ctx.base + BPF_SOCK_OPS.field("bpf_sock_ops_cb_flags").off, flags, true);
}

/** A sock_ops run on a request or time-wait socket (is_fullsock 0) has no options to change. */
function notFull(env: HelperEnv): boolean {
  const ctx = env.run.ctx;
  return env.run.programType === "sock_ops" && !!ctx && env.space.view.getUint32(ctx.base + BPF_SOCK_OPS.field("is_fullsock").off, true) === 0;
}

/** bpf_setsockopt(ctx, level, optname, optval, optlen): 0, or -EINVAL (unknown option, optlen), -ENOENT (unknown congestion control). */
const setsockopt: HelperFn = (a, env) => {
  const level = a.lo(2), name = a.lo(3), len = a.lo(5);
  const val = mem(env, a, 4, Math.max(0, len), "read");
  if (notFull(env)) return -E.EINVAL;
  const o = socketOptionsOf(hostOf(env.space));
  if (level === SockoptLevel.Tcp && name === TCP_CONGESTION) {
    const s = new TextDecoder().decode(val.subarray(0, val.indexOf(0) >= 0 ? val.indexOf(0) : val.length));
    if (len < 1 || s.length >= TCP_CA_NAME_MAX) return -E.EINVAL;
    if (!o.available.includes(s)) return -E.ENOENT;
    o.congestion = s;
    return 0;
  }
  if (level === SockoptLevel.Socket && name === SO_BINDTODEVICE) {
    o.boundDevice = new TextDecoder().decode(val.subarray(0, val.indexOf(0) >= 0 ? val.indexOf(0) : val.length));
    return 0;
  }
  const table = INT_OPTIONS[level];
  if (!table || !(name in table)) return -E.EINVAL;
  if (len !== 4) return -E.EINVAL;
  let v = new DataView(val.buffer, val.byteOffset, 4).getInt32(0, true);
  // sk_setsockopt doubles the buffer sizes (the kernel's bookkeeping), with a floor.
  if (level === SockoptLevel.Socket && (name === SO_SNDBUF || name === SO_RCVBUF)) v = Math.max(v * 2, name === SO_SNDBUF ? SOCK_MIN_SNDBUF : SOCK_MIN_RCVBUF);
  if (level === SockoptLevel.Tcp && name === TCP_BPF_SOCK_OPS_CB_FLAGS) {
    if (v & ~BPF_SOCK_OPS_ALL_CB_FLAGS) return -E.EINVAL;
    syncCbFlags(env, v);
  }
  o.ints.set(`${level}:${name}`, v);
  return 0;
};

/** bpf_getsockopt(ctx, level, optname, optval, optlen): the option's value; on error optval is zeroed. */
const getsockopt: HelperFn = (a, env) => {
  const level = a.lo(2), name = a.lo(3), len = a.lo(5);
  const out = mem(env, a, 4, Math.max(0, len), "write");
  const fail = (err: number) => { out.fill(0); return -err; };
  if (notFull(env)) return fail(E.EINVAL);
  const o = socketOptionsOf(hostOf(env.space));
  if (level === SockoptLevel.Tcp && name === TCP_CONGESTION) {
    if (len < 1) return fail(E.EINVAL);
    const s = new TextEncoder().encode(o.congestion);
    out.fill(0);
    out.set(s.subarray(0, Math.min(s.length, len)));
    return 0;
  }
  const table = INT_OPTIONS[level];
  if (!table || !(name in table) || name === SO_BINDTODEVICE) return fail(level === SockoptLevel.Tcp && table ? ENOPROTOOPT : E.EINVAL);
  if (len !== 4) return fail(E.EINVAL);
  new DataView(out.buffer, out.byteOffset, 4).setInt32(0, intValue(o, level, name), true);
  return 0;
};

/** bpf_sock_ops_cb_flags_set(bpf_sock, argval): sets the callbacks the socket calls; the flags it does not know are returned. */
const cbFlagsSet: HelperFn = (a, env) => {
  if (notFull(env)) return -E.EINVAL;
  const arg = a.lo(2);
  const flags = arg & BPF_SOCK_OPS_ALL_CB_FLAGS;
  socketOptionsOf(hostOf(env.space)).ints.set(`${SockoptLevel.Tcp}:${TCP_BPF_SOCK_OPS_CB_FLAGS}`, flags);
  syncCbFlags(env, flags);
  return arg & ~BPF_SOCK_OPS_ALL_CB_FLAGS;
};

/** The socket option helpers, by id (enum bpf_func_id). */
export const SOCKOPT_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_setsockopt */
  { id: 49, name: "setsockopt", fn: setsockopt },
  /** BPF_FUNC_getsockopt */
  { id: 57, name: "getsockopt", fn: getsockopt },
  /** BPF_FUNC_sock_ops_cb_flags_set */
  { id: 59, name: "sock_ops_cb_flags_set", fn: cbFlagsSet },
];
