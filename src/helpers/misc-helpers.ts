/**
 * @fileoverview Clocks, CPU and randomness, and what a tracing attachment knows of itself
 * (bpf_get_func_ip, bpf_get_attach_cookie) or a packet of its socket (bpf_get_socket_cookie):
 * each answered from the runtime's host model.
 */

import type { HelperDef } from "../runtime/helpers.js";
import { hostOf } from "./host.js";

/** The host-answered helpers, by id (enum bpf_func_id). */
export const MISC_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_ktime_get_ns: CLOCK_MONOTONIC */
  { id: 5, name: "ktime_get_ns", fn: (_a, env) => hostOf(env.space).clock.monotonicNs() },
  /** BPF_FUNC_get_prandom_u32 */
  { id: 7, name: "get_prandom_u32", fn: (_a, env) => hostOf(env.space).random() >>> 0 },
  /** BPF_FUNC_get_smp_processor_id */
  { id: 8, name: "get_smp_processor_id", fn: (_a, env) => hostOf(env.space).cpu },
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
  /** BPF_FUNC_ktime_get_tai_ns: CLOCK_TAI */
  { id: 208, name: "ktime_get_tai_ns", fn: (_a, env) => hostOf(env.space).clock.taiNs() },
];
