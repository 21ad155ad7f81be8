/**
 * @fileoverview The kernel's program types (`enum bpf_prog_type`) and attach types
 * (`enum bpf_attach_type`) from `linux/bpf.h`, one row per member in the kernel's order,
 * named as bpftool prints them. Pure data: the kernel backend and the userspace runtime
 * share it.
 */

import { BpfError } from "../errors.js";

/** One member of a kernel enum: its number and bpftool's short name. */
export interface KernelEnumRow {
  /** The kernel's number for it, its index in the enum. */
  readonly id: number;
  /** The short name: the kernel's name in lower case without its prefix. */
  readonly name: string;
}

const row = <const N extends string>(id: number, name: N) => ({ id, name }) as const;

/** Every program type, indexed by id. */
export const PROGRAM_TYPES = [
  /** BPF_PROG_TYPE_UNSPEC */ row(0, "unspec"),
  /** BPF_PROG_TYPE_SOCKET_FILTER */ row(1, "socket_filter"),
  /** BPF_PROG_TYPE_KPROBE */ row(2, "kprobe"),
  /** BPF_PROG_TYPE_SCHED_CLS */ row(3, "sched_cls"),
  /** BPF_PROG_TYPE_SCHED_ACT */ row(4, "sched_act"),
  /** BPF_PROG_TYPE_TRACEPOINT */ row(5, "tracepoint"),
  /** BPF_PROG_TYPE_XDP */ row(6, "xdp"),
  /** BPF_PROG_TYPE_PERF_EVENT */ row(7, "perf_event"),
  /** BPF_PROG_TYPE_CGROUP_SKB */ row(8, "cgroup_skb"),
  /** BPF_PROG_TYPE_CGROUP_SOCK */ row(9, "cgroup_sock"),
  /** BPF_PROG_TYPE_LWT_IN */ row(10, "lwt_in"),
  /** BPF_PROG_TYPE_LWT_OUT */ row(11, "lwt_out"),
  /** BPF_PROG_TYPE_LWT_XMIT */ row(12, "lwt_xmit"),
  /** BPF_PROG_TYPE_SOCK_OPS */ row(13, "sock_ops"),
  /** BPF_PROG_TYPE_SK_SKB */ row(14, "sk_skb"),
  /** BPF_PROG_TYPE_CGROUP_DEVICE */ row(15, "cgroup_device"),
  /** BPF_PROG_TYPE_SK_MSG */ row(16, "sk_msg"),
  /** BPF_PROG_TYPE_RAW_TRACEPOINT */ row(17, "raw_tracepoint"),
  /** BPF_PROG_TYPE_CGROUP_SOCK_ADDR */ row(18, "cgroup_sock_addr"),
  /** BPF_PROG_TYPE_LWT_SEG6LOCAL */ row(19, "lwt_seg6local"),
  /** BPF_PROG_TYPE_LIRC_MODE2 */ row(20, "lirc_mode2"),
  /** BPF_PROG_TYPE_SK_REUSEPORT */ row(21, "sk_reuseport"),
  /** BPF_PROG_TYPE_FLOW_DISSECTOR */ row(22, "flow_dissector"),
  /** BPF_PROG_TYPE_CGROUP_SYSCTL */ row(23, "cgroup_sysctl"),
  /** BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE */ row(24, "raw_tracepoint_writable"),
  /** BPF_PROG_TYPE_CGROUP_SOCKOPT */ row(25, "cgroup_sockopt"),
  /** BPF_PROG_TYPE_TRACING */ row(26, "tracing"),
  /** BPF_PROG_TYPE_STRUCT_OPS */ row(27, "struct_ops"),
  /** BPF_PROG_TYPE_EXT */ row(28, "ext"),
  /** BPF_PROG_TYPE_LSM */ row(29, "lsm"),
  /** BPF_PROG_TYPE_SK_LOOKUP */ row(30, "sk_lookup"),
  /** BPF_PROG_TYPE_SYSCALL */ row(31, "syscall"),
  /** BPF_PROG_TYPE_NETFILTER */ row(32, "netfilter"),
] as const satisfies readonly KernelEnumRow[];

/** A program type's short name, as a spec may give it: "xdp", "socket_filter". */
export type ProgramTypeName = (typeof PROGRAM_TYPES)[number]["name"];

/** Every attach type, indexed by id. */
export const ATTACH_TYPES = [
  /** BPF_CGROUP_INET_INGRESS */ row(0, "cgroup_inet_ingress"),
  /** BPF_CGROUP_INET_EGRESS */ row(1, "cgroup_inet_egress"),
  /** BPF_CGROUP_INET_SOCK_CREATE */ row(2, "cgroup_inet_sock_create"),
  /** BPF_CGROUP_SOCK_OPS */ row(3, "cgroup_sock_ops"),
  /** BPF_SK_SKB_STREAM_PARSER */ row(4, "sk_skb_stream_parser"),
  /** BPF_SK_SKB_STREAM_VERDICT */ row(5, "sk_skb_stream_verdict"),
  /** BPF_CGROUP_DEVICE */ row(6, "cgroup_device"),
  /** BPF_SK_MSG_VERDICT */ row(7, "sk_msg_verdict"),
  /** BPF_CGROUP_INET4_BIND */ row(8, "cgroup_inet4_bind"),
  /** BPF_CGROUP_INET6_BIND */ row(9, "cgroup_inet6_bind"),
  /** BPF_CGROUP_INET4_CONNECT */ row(10, "cgroup_inet4_connect"),
  /** BPF_CGROUP_INET6_CONNECT */ row(11, "cgroup_inet6_connect"),
  /** BPF_CGROUP_INET4_POST_BIND */ row(12, "cgroup_inet4_post_bind"),
  /** BPF_CGROUP_INET6_POST_BIND */ row(13, "cgroup_inet6_post_bind"),
  /** BPF_CGROUP_UDP4_SENDMSG */ row(14, "cgroup_udp4_sendmsg"),
  /** BPF_CGROUP_UDP6_SENDMSG */ row(15, "cgroup_udp6_sendmsg"),
  /** BPF_LIRC_MODE2 */ row(16, "lirc_mode2"),
  /** BPF_FLOW_DISSECTOR */ row(17, "flow_dissector"),
  /** BPF_CGROUP_SYSCTL */ row(18, "cgroup_sysctl"),
  /** BPF_CGROUP_UDP4_RECVMSG */ row(19, "cgroup_udp4_recvmsg"),
  /** BPF_CGROUP_UDP6_RECVMSG */ row(20, "cgroup_udp6_recvmsg"),
  /** BPF_CGROUP_GETSOCKOPT */ row(21, "cgroup_getsockopt"),
  /** BPF_CGROUP_SETSOCKOPT */ row(22, "cgroup_setsockopt"),
  /** BPF_TRACE_RAW_TP */ row(23, "trace_raw_tp"),
  /** BPF_TRACE_FENTRY */ row(24, "trace_fentry"),
  /** BPF_TRACE_FEXIT */ row(25, "trace_fexit"),
  /** BPF_MODIFY_RETURN */ row(26, "modify_return"),
  /** BPF_LSM_MAC */ row(27, "lsm_mac"),
  /** BPF_TRACE_ITER */ row(28, "trace_iter"),
  /** BPF_CGROUP_INET4_GETPEERNAME */ row(29, "cgroup_inet4_getpeername"),
  /** BPF_CGROUP_INET6_GETPEERNAME */ row(30, "cgroup_inet6_getpeername"),
  /** BPF_CGROUP_INET4_GETSOCKNAME */ row(31, "cgroup_inet4_getsockname"),
  /** BPF_CGROUP_INET6_GETSOCKNAME */ row(32, "cgroup_inet6_getsockname"),
  /** BPF_XDP_DEVMAP */ row(33, "xdp_devmap"),
  /** BPF_CGROUP_INET_SOCK_RELEASE */ row(34, "cgroup_inet_sock_release"),
  /** BPF_XDP_CPUMAP */ row(35, "xdp_cpumap"),
  /** BPF_SK_LOOKUP */ row(36, "sk_lookup"),
  /** BPF_XDP */ row(37, "xdp"),
  /** BPF_SK_SKB_VERDICT */ row(38, "sk_skb_verdict"),
  /** BPF_SK_REUSEPORT_SELECT */ row(39, "sk_reuseport_select"),
  /** BPF_SK_REUSEPORT_SELECT_OR_MIGRATE */ row(40, "sk_reuseport_select_or_migrate"),
  /** BPF_PERF_EVENT */ row(41, "perf_event"),
  /** BPF_TRACE_KPROBE_MULTI */ row(42, "trace_kprobe_multi"),
  /** BPF_LSM_CGROUP */ row(43, "lsm_cgroup"),
  /** BPF_STRUCT_OPS */ row(44, "struct_ops"),
  /** BPF_NETFILTER */ row(45, "netfilter"),
  /** BPF_TCX_INGRESS */ row(46, "tcx_ingress"),
  /** BPF_TCX_EGRESS */ row(47, "tcx_egress"),
  /** BPF_TRACE_UPROBE_MULTI */ row(48, "trace_uprobe_multi"),
  /** BPF_CGROUP_UNIX_CONNECT */ row(49, "cgroup_unix_connect"),
  /** BPF_CGROUP_UNIX_SENDMSG */ row(50, "cgroup_unix_sendmsg"),
  /** BPF_CGROUP_UNIX_RECVMSG */ row(51, "cgroup_unix_recvmsg"),
  /** BPF_CGROUP_UNIX_GETPEERNAME */ row(52, "cgroup_unix_getpeername"),
  /** BPF_CGROUP_UNIX_GETSOCKNAME */ row(53, "cgroup_unix_getsockname"),
  /** BPF_NETKIT_PRIMARY */ row(54, "netkit_primary"),
  /** BPF_NETKIT_PEER */ row(55, "netkit_peer"),
  /** BPF_TRACE_KPROBE_SESSION */ row(56, "trace_kprobe_session"),
  /** BPF_TRACE_UPROBE_SESSION */ row(57, "trace_uprobe_session"),
] as const satisfies readonly KernelEnumRow[];

/** An attach type's short name, as a spec may give it: "cgroup_inet4_connect". */
export type AttachTypeName = (typeof ATTACH_TYPES)[number]["name"];

function lookup(table: readonly KernelEnumRow[], what: string) {
  const byName = new Map(table.map((r): [string, number] => [r.name, r.id]));
  return {
    id(type: number | string): number {
      if (typeof type === "number") return type;
      const id = byName.get(type);
      if (id === undefined) throw new BpfError("EINVAL", `unknown ${what} "${type}"`);
      return id;
    },
    name: (id: number): string => table[id]?.name ?? `${what} ${id}`,
  };
}

const programs = lookup(PROGRAM_TYPES, "program type");
const attaches = lookup(ATTACH_TYPES, "attach type");

/** The id of a program type given by id or name; throws on an unknown name. */
export const programTypeId = (type: number | ProgramTypeName): number => programs.id(type);

/** The short name of a program type, or `program type <id>` for one newer than this table. */
export const programTypeName = (id: number): string => programs.name(id);

/** The id of an attach type given by id or name; throws on an unknown name. */
export const attachTypeId = (type: number | AttachTypeName): number => attaches.id(type);

/** The short name of an attach type, or `attach type <id>` for one newer than this table. */
export const attachTypeName = (id: number): string => attaches.name(id);
