/**
 * @fileoverview libbpf's SEC() conventions: which program type, expected attach type
 * and attach target a program section name means. One row per prefix, in the order of
 * libbpf's `section_defs` table (libbpf.c), where the first match wins.
 */

import type { AttachTypeName, ProgramTypeName } from "../programs/types.js";

/** One `SEC_DEF()` of libbpf. */
export interface SectionDef {
  /** The section name, or with `prefix` its first component (libbpf's "kprobe+"). */
  readonly name: string;
  readonly type: ProgramTypeName;
  /** The expected attach type libbpf sets at load; absent for 0 (no attach type). */
  readonly attach?: AttachTypeName;
  /** `name+` in libbpf: the section is `name` alone or `name/<target>`, the rest naming what to attach to. */
  readonly prefix?: boolean;
  /** SEC_SLEEPABLE: loaded with BPF_F_SLEEPABLE. */
  readonly sleepable?: boolean;
  /** SEC_XDP_FRAGS: loaded with BPF_F_XDP_HAS_FRAGS. */
  readonly frags?: boolean;
  /** SEC_ATTACH_BTF: the target is a BTF name (of vmlinux) the load needs the id of. */
  readonly attachBtf?: boolean;
}

const d = (name: string, type: ProgramTypeName, attach?: AttachTypeName, more: Omit<SectionDef, "name" | "type" | "attach"> = {}): SectionDef =>
  attach ? { name, type, attach, ...more } : { name, type, ...more };
const P = { prefix: true } as const;
const PS = { prefix: true, sleepable: true } as const;
const BTF = { prefix: true, attachBtf: true } as const;
const BTFS = { prefix: true, attachBtf: true, sleepable: true } as const;

/** libbpf's section_defs (libbpf 1.x), first match wins. */
export const SECTION_DEFS: readonly SectionDef[] = [
  d("socket", "socket_filter"),
  d("sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate"),
  d("sk_reuseport", "sk_reuseport", "sk_reuseport_select"),
  d("kprobe", "kprobe", undefined, P),
  d("uprobe", "kprobe", undefined, P),
  d("uprobe.s", "kprobe", undefined, PS),
  d("kretprobe", "kprobe", undefined, P),
  d("uretprobe", "kprobe", undefined, P),
  d("uretprobe.s", "kprobe", undefined, PS),
  d("kprobe.multi", "kprobe", "trace_kprobe_multi", P),
  d("kretprobe.multi", "kprobe", "trace_kprobe_multi", P),
  d("uprobe.multi", "kprobe", "trace_uprobe_multi", P),
  d("uretprobe.multi", "kprobe", "trace_uprobe_multi", P),
  d("uprobe.multi.s", "kprobe", "trace_uprobe_multi", PS),
  d("uretprobe.multi.s", "kprobe", "trace_uprobe_multi", PS),
  d("kprobe.session", "kprobe", "trace_kprobe_session", P),
  d("ksyscall", "kprobe", undefined, P),
  d("kretsyscall", "kprobe", undefined, P),
  d("usdt", "kprobe", undefined, P),
  d("usdt.s", "kprobe", undefined, PS),
  d("tc/ingress", "sched_cls", "tcx_ingress"),
  d("tc/egress", "sched_cls", "tcx_egress"),
  d("tcx/ingress", "sched_cls", "tcx_ingress"),
  d("tcx/egress", "sched_cls", "tcx_egress"),
  d("tc", "sched_cls"),
  d("classifier", "sched_cls"),
  d("action", "sched_act"),
  d("netkit/primary", "sched_cls", "netkit_primary"),
  d("netkit/peer", "sched_cls", "netkit_peer"),
  d("tracepoint", "tracepoint", undefined, P),
  d("tp", "tracepoint", undefined, P),
  d("raw_tracepoint", "raw_tracepoint", undefined, P),
  d("raw_tp", "raw_tracepoint", undefined, P),
  d("raw_tracepoint.w", "raw_tracepoint_writable", undefined, P),
  d("raw_tp.w", "raw_tracepoint_writable", undefined, P),
  d("tp_btf", "tracing", "trace_raw_tp", BTF),
  d("fentry", "tracing", "trace_fentry", BTF),
  d("fmod_ret", "tracing", "modify_return", BTF),
  d("fexit", "tracing", "trace_fexit", BTF),
  d("fentry.s", "tracing", "trace_fentry", BTFS),
  d("fmod_ret.s", "tracing", "modify_return", BTFS),
  d("fexit.s", "tracing", "trace_fexit", BTFS),
  d("freplace", "ext", undefined, BTF),
  d("lsm", "lsm", "lsm_mac", BTF),
  d("lsm.s", "lsm", "lsm_mac", BTFS),
  d("lsm_cgroup", "lsm", "lsm_cgroup", BTF),
  d("iter", "tracing", "trace_iter", BTF),
  d("iter.s", "tracing", "trace_iter", BTFS),
  d("syscall", "syscall", undefined, { sleepable: true }),
  d("xdp.frags/devmap", "xdp", "xdp_devmap", { frags: true }),
  d("xdp/devmap", "xdp", "xdp_devmap"),
  d("xdp.frags/cpumap", "xdp", "xdp_cpumap", { frags: true }),
  d("xdp/cpumap", "xdp", "xdp_cpumap"),
  d("xdp.frags", "xdp", "xdp", { frags: true }),
  d("xdp", "xdp", "xdp"),
  d("perf_event", "perf_event"),
  d("lwt_in", "lwt_in"),
  d("lwt_out", "lwt_out"),
  d("lwt_xmit", "lwt_xmit"),
  d("lwt_seg6local", "lwt_seg6local"),
  d("sockops", "sock_ops", "cgroup_sock_ops"),
  d("sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser"),
  d("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict"),
  d("sk_skb/verdict", "sk_skb", "sk_skb_verdict"),
  d("sk_skb", "sk_skb"),
  d("sk_msg", "sk_msg", "sk_msg_verdict"),
  d("lirc_mode2", "lirc_mode2", "lirc_mode2"),
  d("flow_dissector", "flow_dissector", "flow_dissector"),
  d("cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress"),
  d("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress"),
  d("cgroup/skb", "cgroup_skb"),
  d("cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create"),
  d("cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release"),
  d("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create"),
  d("cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind"),
  d("cgroup/post_bind6", "cgroup_sock", "cgroup_inet6_post_bind"),
  d("cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind"),
  d("cgroup/bind6", "cgroup_sock_addr", "cgroup_inet6_bind"),
  d("cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect"),
  d("cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect"),
  d("cgroup/connect_unix", "cgroup_sock_addr", "cgroup_unix_connect"),
  d("cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg"),
  d("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg"),
  d("cgroup/sendmsg_unix", "cgroup_sock_addr", "cgroup_unix_sendmsg"),
  d("cgroup/recvmsg4", "cgroup_sock_addr", "cgroup_udp4_recvmsg"),
  d("cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg"),
  d("cgroup/recvmsg_unix", "cgroup_sock_addr", "cgroup_unix_recvmsg"),
  d("cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername"),
  d("cgroup/getpeername6", "cgroup_sock_addr", "cgroup_inet6_getpeername"),
  d("cgroup/getpeername_unix", "cgroup_sock_addr", "cgroup_unix_getpeername"),
  d("cgroup/getsockname4", "cgroup_sock_addr", "cgroup_inet4_getsockname"),
  d("cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname"),
  d("cgroup/getsockname_unix", "cgroup_sock_addr", "cgroup_unix_getsockname"),
  d("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl"),
  d("cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt"),
  d("cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt"),
  d("cgroup/dev", "cgroup_device", "cgroup_device"),
  d("struct_ops", "struct_ops", undefined, P),
  d("struct_ops.s", "struct_ops", undefined, PS),
  d("sk_lookup", "sk_lookup", "sk_lookup"),
  d("netfilter", "netfilter", "netfilter"),
];

/** What a section name means for the programs in it. */
export interface SectionMatch {
  readonly def: SectionDef;
  /** The part after `prefix/`, e.g. "do_sys_open" in "kprobe/do_sys_open"; undefined when none. */
  readonly attachTo: string | undefined;
  /** False for libbpf's "?" prefix (`SEC("?xdp")`): not loaded unless asked for. */
  readonly autoload: boolean;
}

/**
 * Matches a section name against the table as libbpf's `sec_def_matches` does: an
 * exact name, or for a `+` row the name alone or followed by "/".
 */
export function matchSection(sectionName: string): SectionMatch | undefined {
  const autoload = !sectionName.startsWith("?");
  const name = autoload ? sectionName : sectionName.slice(1);
  for (const def of SECTION_DEFS) {
    if (name === def.name) return { def, attachTo: undefined, autoload };
    if (def.prefix && name.startsWith(def.name + "/")) {
      const rest = name.slice(def.name.length + 1);
      return { def, attachTo: rest === "" ? undefined : rest, autoload };
    }
  }
  return undefined;
}
