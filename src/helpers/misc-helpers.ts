/**
 * @fileoverview Clocks, CPU and randomness, and what a tracing attachment knows of itself
 * (bpf_get_func_ip, bpf_get_attach_cookie, bpf_get_func_arg...) or a packet of its socket (bpf_get_socket_cookie):
 * each answered from the runtime's host model.
 */

import { cpusOf } from "../maps/cpus.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { hostOf } from "./host.js";
import { E } from "./util.js";

/** nr_args of an fentry/fexit context: the host's count, or the u64 before the arguments, as the trampoline stores it. */
function argCount(a: HelperArgs, env: HelperEnv): number {
  const n = hostOf(env.space).funcArgCount;
  if (n !== undefined) return n;
  const b = env.bytes(a.addr(1) - 8, 8, "read");
  return Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
}

const u64At = (env: HelperEnv, addr: number): bigint => {
  const b = env.bytes(addr, 8, "read");
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
};
const setU64 = (env: HelperEnv, addr: number, v: bigint): void => {
  const b = env.bytes(addr, 8, "write");
  new DataView(b.buffer, b.byteOffset, 8).setBigUint64(0, v, true);
};

/** bpf_get_func_arg(ctx, n, value): argument n of the traced function, or -EINVAL past the last. */
const funcArg: HelperFn = (a, env) => {
  const n = a.u32(2);
  if (n >= argCount(a, env)) return -E.EINVAL;
  setU64(env, a.addr(3), u64At(env, a.addr(1) + 8 * n));
  return 0;
};

/** bpf_get_func_ret(ctx, value): the traced function's return value, after its arguments (fexit). */
const funcRet: HelperFn = (a, env) => {
  setU64(env, a.addr(2), u64At(env, a.addr(1) + 8 * argCount(a, env)));
  return 0;
};

/** The host-answered helpers, by id (enum bpf_func_id). */
export const MISC_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_ktime_get_ns: CLOCK_MONOTONIC */
  { id: 5, name: "ktime_get_ns", fn: (_a, env) => hostOf(env.space).clock.monotonicNs() },
  /** BPF_FUNC_get_prandom_u32 */
  { id: 7, name: "get_prandom_u32", fn: (_a, env) => hostOf(env.space).random() >>> 0 },
  /** BPF_FUNC_get_smp_processor_id */
  { id: 8, name: "get_smp_processor_id", fn: (_a, env) => cpusOf(env.space).current },
  /** BPF_FUNC_get_numa_node_id */
  { id: 42, name: "get_numa_node_id", fn: (_a, env) => hostOf(env.space).numaNode },
  /** BPF_FUNC_get_socket_cookie: the packet's socket's cookie (the host's socketCookie) */
  { id: 46, name: "get_socket_cookie", fn: (_a, env) => hostOf(env.space).socketCookie },
  /** BPF_FUNC_jiffies64 */
  { id: 118, name: "jiffies64", fn: (_a, env) => hostOf(env.space).clock.jiffies() },
  /** BPF_FUNC_ktime_get_boot_ns: CLOCK_BOOTTIME */
  { id: 125, name: "ktime_get_boot_ns", fn: (_a, env) => hostOf(env.space).clock.bootNs() },
  /** BPF_FUNC_ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE */
  { id: 160, name: "ktime_get_coarse_ns", fn: (_a, env) => hostOf(env.space).clock.coarseNs() },
  /** BPF_FUNC_get_func_ip: the traced function's address (the host's funcIp) */
  { id: 173, name: "get_func_ip", fn: (_a, env) => hostOf(env.space).funcIp },
  /** BPF_FUNC_get_attach_cookie: the attachment's cookie (the host's attachCookie) */
  { id: 174, name: "get_attach_cookie", fn: (_a, env) => hostOf(env.space).attachCookie },
  /** BPF_FUNC_get_func_arg */
  { id: 183, name: "get_func_arg", fn: funcArg },
  /** BPF_FUNC_get_func_ret */
  { id: 184, name: "get_func_ret", fn: funcRet },
  /** BPF_FUNC_get_func_arg_cnt */
  { id: 185, name: "get_func_arg_cnt", fn: (a, env) => argCount(a, env) },
  /** BPF_FUNC_ktime_get_tai_ns: CLOCK_TAI */
  { id: 208, name: "ktime_get_tai_ns", fn: (_a, env) => hostOf(env.space).clock.taiNs() },
];
