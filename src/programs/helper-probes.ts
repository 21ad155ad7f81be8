/**
 * @fileoverview The (program type, attach type) pairs whose helper sets are asked of the
 * kernel (scripts/gen-program-helpers.ts): every type that loads without a target, with
 * each attach type that changes the kernel's `*_func_proto` answer.
 */

import type { AttachTypeName, ProgramTypeName } from "./types.js";

/** One question to the kernel: a type, and the expected attach type it is loaded with. */
export interface HelperProbe {
  readonly type: ProgramTypeName;
  readonly attachType?: AttachTypeName;
}

const SOCK_ADDR: readonly AttachTypeName[] = [
  "cgroup_inet4_bind", "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect",
  "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg",
  "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
  "cgroup_unix_connect", "cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname",
];

export const HELPER_PROBES: readonly HelperProbe[] = [
  { type: "socket_filter" }, { type: "kprobe" }, { type: "sched_cls" }, { type: "sched_act" },
  { type: "tracepoint" }, { type: "xdp" }, { type: "xdp", attachType: "xdp_devmap" }, { type: "xdp", attachType: "xdp_cpumap" },
  { type: "perf_event" }, { type: "cgroup_skb", attachType: "cgroup_inet_ingress" }, { type: "cgroup_skb", attachType: "cgroup_inet_egress" },
  { type: "cgroup_sock", attachType: "cgroup_inet_sock_create" }, { type: "cgroup_sock", attachType: "cgroup_inet_sock_release" },
  { type: "cgroup_sock", attachType: "cgroup_inet4_post_bind" }, { type: "cgroup_sock", attachType: "cgroup_inet6_post_bind" },
  { type: "lwt_in" }, { type: "lwt_out" }, { type: "lwt_xmit" }, { type: "sock_ops" },
  { type: "sk_skb" }, { type: "cgroup_device" }, { type: "sk_msg" }, { type: "raw_tracepoint" },
  ...SOCK_ADDR.map((attachType): HelperProbe => ({ type: "cgroup_sock_addr", attachType })),
  { type: "lwt_seg6local" }, { type: "sk_reuseport" }, { type: "sk_reuseport", attachType: "sk_reuseport_select_or_migrate" },
  { type: "flow_dissector" }, { type: "cgroup_sysctl" }, { type: "raw_tracepoint_writable" },
  { type: "cgroup_sockopt", attachType: "cgroup_getsockopt" }, { type: "cgroup_sockopt", attachType: "cgroup_setsockopt" },
  { type: "tracing", attachType: "trace_raw_tp" }, { type: "sk_lookup", attachType: "sk_lookup" },
  { type: "syscall" }, { type: "netfilter", attachType: "netfilter" },
];
