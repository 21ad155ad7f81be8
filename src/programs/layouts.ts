/**
 * @fileoverview The context structs of the uapi (`linux/bpf.h`, x86-64), laid out as the
 * C compiler lays them out: one field list per struct, offsets computed with natural
 * alignment. The access rules, the run contexts and `--ctx-json` all read these.
 */

/** How a field is used: a number, or a pointer the kernel fills in (`__bpf_md_ptr`). */
export type FieldKind = "u8" | "u16" | "u32" | "u64" | "s32" | "be16" | "be32" | "ptr" | "pad";

/** One field of a context struct. */
export interface CtxField {
  readonly name: string;
  readonly off: number;
  /** Bytes of one element. */
  readonly elemSize: number;
  /** Elements (1 for a scalar, 4 for `__u32 remote_ip6[4]`). */
  readonly count: number;
  /** Bytes of the whole field. */
  readonly size: number;
  readonly kind: FieldKind;
}

/** A context struct: its C name, size and fields. */
export interface CtxLayout {
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly CtxField[];
  /** The field called `name`; throws when there is none (a typo in a rule). */
  field(name: string): CtxField;
}

type FieldDef = readonly [name: string, kind: FieldKind, count?: number];

const SIZES: Record<FieldKind, number> = { u8: 1, u16: 2, be16: 2, u32: 4, s32: 4, be32: 4, u64: 8, ptr: 8, pad: 1 };

/** Lays out `defs` as a C struct whose members are naturally aligned. */
export function layout(struct: string, defs: readonly FieldDef[]): CtxLayout {
  const fields: CtxField[] = [];
  let off = 0;
  let align = 1;
  for (const [name, kind, count = 1] of defs) {
    const elemSize = SIZES[kind];
    off = Math.ceil(off / elemSize) * elemSize;
    align = Math.max(align, elemSize);
    fields.push({ name, off, elemSize, count, size: elemSize * count, kind });
    off += elemSize * count;
  }
  const size = Math.ceil(off / align) * align;
  const byName = new Map(fields.map((f) => [f.name, f]));
  return {
    struct,
    size,
    fields,
    field(name) {
      const f = byName.get(name);
      if (!f) throw new Error(`struct ${struct} has no field ${name}`);
      return f;
    },
  };
}

/** struct xdp_md */
export const XDP_MD = layout("xdp_md", [
  ["data", "u32"], ["data_end", "u32"], ["data_meta", "u32"],
  ["ingress_ifindex", "u32"], ["rx_queue_index", "u32"], ["egress_ifindex", "u32"],
]);

/** struct __sk_buff */
export const SK_BUFF = layout("__sk_buff", [
  ["len", "u32"], ["pkt_type", "u32"], ["mark", "u32"], ["queue_mapping", "u32"],
  ["protocol", "u32"], ["vlan_present", "u32"], ["vlan_tci", "u32"], ["vlan_proto", "u32"],
  ["priority", "u32"], ["ingress_ifindex", "u32"], ["ifindex", "u32"], ["tc_index", "u32"],
  ["cb", "u32", 5], ["hash", "u32"], ["tc_classid", "u32"], ["data", "u32"], ["data_end", "u32"],
  ["napi_id", "u32"], ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"],
  ["remote_ip6", "u32", 4], ["local_ip6", "u32", 4], ["remote_port", "u32"], ["local_port", "u32"],
  ["data_meta", "u32"], ["flow_keys", "ptr"], ["tstamp", "u64"], ["wire_len", "u32"],
  ["gso_segs", "u32"], ["sk", "ptr"], ["gso_size", "u32"], ["tstamp_type", "u8"],
  ["__pad", "pad", 3], ["hwtstamp", "u64"],
]);

/** struct bpf_sock */
export const BPF_SOCK = layout("bpf_sock", [
  ["bound_dev_if", "u32"], ["family", "u32"], ["type", "u32"], ["protocol", "u32"],
  ["mark", "u32"], ["priority", "u32"], ["src_ip4", "u32"], ["src_ip6", "u32", 4],
  ["src_port", "u32"], ["dst_port", "be16"], ["__pad", "pad", 2], ["dst_ip4", "u32"],
  ["dst_ip6", "u32", 4], ["state", "u32"], ["rx_queue_mapping", "s32"],
]);

/** struct bpf_sock_addr */
export const BPF_SOCK_ADDR = layout("bpf_sock_addr", [
  ["user_family", "u32"], ["user_ip4", "u32"], ["user_ip6", "u32", 4], ["user_port", "u32"],
  ["family", "u32"], ["type", "u32"], ["protocol", "u32"], ["msg_src_ip4", "u32"],
  ["msg_src_ip6", "u32", 4], ["sk", "ptr"],
]);

/** struct bpf_sock_ops (`args[4]`, `reply` and `replylong[4]` share offset 4) */
export const BPF_SOCK_OPS = layout("bpf_sock_ops", [
  ["op", "u32"], ["args", "u32", 4], ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"],
  ["remote_ip6", "u32", 4], ["local_ip6", "u32", 4], ["remote_port", "u32"], ["local_port", "u32"],
  ["is_fullsock", "u32"], ["snd_cwnd", "u32"], ["srtt_us", "u32"], ["bpf_sock_ops_cb_flags", "u32"],
  ["state", "u32"], ["rtt_min", "u32"], ["snd_ssthresh", "u32"], ["rcv_nxt", "u32"], ["snd_nxt", "u32"],
  ["snd_una", "u32"], ["mss_cache", "u32"], ["ecn_flags", "u32"], ["rate_delivered", "u32"],
  ["rate_interval_us", "u32"], ["packets_out", "u32"], ["retrans_out", "u32"], ["total_retrans", "u32"],
  ["segs_in", "u32"], ["data_segs_in", "u32"], ["segs_out", "u32"], ["data_segs_out", "u32"],
  ["lost_out", "u32"], ["sacked_out", "u32"], ["sk_txhash", "u32"], ["bytes_received", "u64"],
  ["bytes_acked", "u64"], ["sk", "ptr"], ["skb_data", "ptr"], ["skb_data_end", "ptr"],
  ["skb_len", "u32"], ["skb_tcp_flags", "u32"], ["skb_hwtstamp", "u64"],
]);

/** struct sk_msg_md */
export const SK_MSG_MD = layout("sk_msg_md", [
  ["data", "ptr"], ["data_end", "ptr"], ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"],
  ["remote_ip6", "u32", 4], ["local_ip6", "u32", 4], ["remote_port", "u32"], ["local_port", "u32"],
  ["size", "u32"], ["sk", "ptr"],
]);

/** struct sk_reuseport_md */
export const SK_REUSEPORT_MD = layout("sk_reuseport_md", [
  ["data", "ptr"], ["data_end", "ptr"], ["len", "u32"], ["eth_protocol", "u32"], ["ip_protocol", "u32"],
  ["bind_inany", "u32"], ["hash", "u32"], ["sk", "ptr"], ["migrating_sk", "ptr"],
]);

/** struct bpf_sk_lookup (`sk` shares its place with `cookie`) */
export const BPF_SK_LOOKUP = layout("bpf_sk_lookup", [
  ["sk", "ptr"], ["family", "u32"], ["protocol", "u32"], ["remote_ip4", "u32"], ["remote_ip6", "u32", 4],
  ["remote_port", "be16"], ["__pad", "pad", 2], ["local_ip4", "u32"], ["local_ip6", "u32", 4],
  ["local_port", "u32"], ["ingress_ifindex", "u32"],
]);

/** struct bpf_cgroup_dev_ctx */
export const BPF_CGROUP_DEV_CTX = layout("bpf_cgroup_dev_ctx", [["access_type", "u32"], ["major", "u32"], ["minor", "u32"]]);

/** struct bpf_sysctl */
export const BPF_SYSCTL = layout("bpf_sysctl", [["write", "u32"], ["file_pos", "u32"]]);

/** struct bpf_sockopt */
export const BPF_SOCKOPT = layout("bpf_sockopt", [
  ["sk", "ptr"], ["optval", "ptr"], ["optval_end", "ptr"], ["level", "u32"], ["optname", "u32"],
  ["optlen", "u32"], ["retval", "u32"],
]);

/** struct bpf_nf_ctx */
export const BPF_NF_CTX = layout("bpf_nf_ctx", [["state", "ptr"], ["skb", "ptr"]]);

/** struct pt_regs on x86-64, in the order of `arch/x86/include/asm/ptrace.h` */
export const PT_REGS = layout("pt_regs", [
  ["r15", "u64"], ["r14", "u64"], ["r13", "u64"], ["r12", "u64"], ["bp", "u64"], ["bx", "u64"],
  ["r11", "u64"], ["r10", "u64"], ["r9", "u64"], ["r8", "u64"], ["ax", "u64"], ["cx", "u64"],
  ["dx", "u64"], ["si", "u64"], ["di", "u64"], ["orig_ax", "u64"], ["ip", "u64"], ["cs", "u64"],
  ["flags", "u64"], ["sp", "u64"], ["ss", "u64"],
]);

/** struct bpf_perf_event_data: the registers, then sample_period and addr */
export const BPF_PERF_EVENT_DATA = layout("bpf_perf_event_data", [
  ...PT_REGS.fields.map((f): FieldDef => [`regs.${f.name}`, "u64"]),
  ["sample_period", "u64"], ["addr", "u64"],
]);

/** MAX_BPF_FUNC_ARGS: the u64 argument slots of raw tracepoint and BTF-typed tracing contexts. */
export const MAX_BPF_FUNC_ARGS = 12;

/** struct bpf_raw_tracepoint_args, as many slots as a traced function may have */
export const RAW_TP_ARGS = layout("bpf_raw_tracepoint_args", [["args", "u64", MAX_BPF_FUNC_ARGS]]);

/** PERF_MAX_TRACE_SIZE: the bound of a tracepoint's record. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** The pt_regs fields holding a function's arguments (x86-64 SysV: di, si, dx, cx, r8, r9), then its return value (ax). */
export const PT_REGS_ARGS = ["di", "si", "dx", "cx", "r8", "r9"] as const;
