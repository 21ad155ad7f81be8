/**
 * @fileoverview Context access rules, one function per kernel `*_is_valid_access`
 * (net/core/filter.c, kernel/trace/bpf_trace.c, kernel/bpf/cgroup.c...), in the kernel's
 * order of checks so that the same access is refused for the same reason.
 */

import type { CtxAccess, CtxAccessVerdict, CtxFieldType } from "./access.js";
import {
  BPF_CGROUP_DEV_CTX, BPF_NF_CTX, BPF_PERF_EVENT_DATA, BPF_SK_LOOKUP, BPF_SOCK, BPF_SOCK_ADDR, BPF_SOCK_OPS,
  BPF_SOCKOPT, BPF_SYSCTL, type CtxField, type CtxLayout, MAX_BPF_FUNC_ARGS, PERF_MAX_TRACE_SIZE, PT_REGS,
  SK_BUFF, SK_MSG_MD, SK_REUSEPORT_MD, XDP_MD,
} from "./layouts.js";

/** A rule: the kernel's is_valid_access for one program type. */
export type AccessRule = (a: CtxAccess) => CtxAccessVerdict;

const NO: CtxAccessVerdict = { ok: false };
const no = (reason: string): CtxAccessVerdict => ({ ok: false, reason });
const yes = (type: CtxFieldType = "scalar", fieldSize?: number, btfType?: string): CtxAccessVerdict =>
  fieldSize === undefined ? (btfType ? { ok: true, type, btfType } : { ok: true, type }) : { ok: true, type, fieldSize };
const when = (cond: boolean, v: CtxAccessVerdict = yes()): CtxAccessVerdict => (cond ? v : NO);

/** bpf_ctx_narrow_access_ok: a power of two no wider than the field (alignment is checked before). */
const narrowOk = (size: number, fieldSize: number) => size <= fieldSize && (size & (size - 1)) === 0;
/** A narrow-load verdict: the kernel records the field's full size for the rewrite. */
const narrow = (a: CtxAccess, fieldSize: number): CtxAccessVerdict => when(narrowOk(a.size, fieldSize), yes("scalar", fieldSize));
/** bpf_ctx_range(S, f): every byte offset inside field f. */
const inField = (off: number, f: CtxField) => off >= f.off && off < f.off + f.size;
/** bpf_ctx_range_till(S, a, b): from a's first byte to b's last. */
const inFields = (off: number, from: CtxField, to: CtxField) => off >= from.off && off < to.off + to.size;
/** bpf_ctx_wide_access_ok: an aligned 8-byte access inside an array field (user_ip6 and the like). */
const wideOk = (a: CtxAccess, f: CtxField) => a.off >= f.off && a.off + a.size <= f.off + f.size && a.off % 8 === 0 && a.size === 8;
const ldsx = (a: CtxAccess) => a.signExtend === true;
const priv = (a: CtxAccess) => a.privileged !== false;
const outside = (a: CtxAccess, l: CtxLayout) => a.off < 0 || a.off >= l.size;

// ---------------------------------------------------------------------------------------
// struct __sk_buff

const S = (name: string) => SK_BUFF.field(name);
const SKB = {
  cb0: S("cb"), data: S("data"), dataEnd: S("data_end"), dataMeta: S("data_meta"), tcClassid: S("tc_classid"),
  family: S("family"), localPort: S("local_port"), remoteIp4: S("remote_ip4"), localIp4: S("local_ip4"),
  remoteIp6: S("remote_ip6"), localIp6: S("local_ip6"), flowKeys: S("flow_keys"), hwtstamp: S("hwtstamp"),
  tstamp: S("tstamp"), sk: S("sk"), tstampType: S("tstamp_type"), wireLen: S("wire_len"), mark: S("mark"),
  priority: S("priority"), tcIndex: S("tc_index"), queueMapping: S("queue_mapping"),
};
const inSkb = (off: number, ...fields: CtxField[]) => fields.some((f) => inField(off, f));

/** bpf_skb_is_valid_access: what every __sk_buff type shares. */
function skbValid(a: CtxAccess, type: CtxFieldType = "scalar"): CtxAccessVerdict {
  const { off, size, write } = a;
  if (outside(a, SK_BUFF)) return no("outside the context");
  if (off % size !== 0) return no("misaligned");
  if (inField(off, SKB.cb0)) return when(off + size <= SKB.cb0.off + SKB.cb0.size);
  if (inSkb(off, SKB.data, SKB.dataMeta, SKB.dataEnd)) return when(!ldsx(a) && size === 4, yes(type));
  if (inSkb(off, SKB.remoteIp6, SKB.localIp6, SKB.remoteIp4, SKB.localIp4)) return when(size === 4);
  if (inField(off, SKB.flowKeys)) return NO;
  if (inField(off, SKB.hwtstamp)) return when(!write && size === 8);
  if (inField(off, SKB.tstamp)) return when(size === 8);
  if (inField(off, SKB.sk)) return when(!write && size === 8, yes("sock_common_or_null"));
  if (off === SKB.tstampType.off) return NO;
  if (off > SKB.tstampType.off && off < SKB.hwtstamp.off) return no("padding");
  if (write) return when(size === 4);
  return narrow(a, 4);
}

/** The pointer type a load of data/data_meta/data_end gives in types that allow them. */
function skbPointer(off: number, meta: boolean): CtxFieldType {
  if (inField(off, SKB.data)) return "packet";
  if (inField(off, SKB.dataEnd)) return "packet_end";
  if (meta && inField(off, SKB.dataMeta)) return "packet_meta";
  return "scalar";
}

/** sk_filter_is_valid_access: socket filters. */
export const skFilterAccess: AccessRule = (a) => {
  const { off } = a;
  if (inSkb(off, SKB.tcClassid, SKB.data, SKB.dataMeta, SKB.dataEnd, SKB.tstamp, SKB.wireLen, SKB.hwtstamp)) return NO;
  if (inFields(off, SKB.family, SKB.localPort)) return NO;
  if (a.write && !inField(off, SKB.cb0)) return no("read-only field");
  return skbValid(a);
};

/** cg_skb_is_valid_access: cgroup skb programs; data and data_end need CAP_BPF. */
export const cgSkbAccess: AccessRule = (a) => {
  const { off } = a;
  if (inSkb(off, SKB.tcClassid, SKB.dataMeta, SKB.wireLen)) return NO;
  if (inSkb(off, SKB.data, SKB.dataEnd) && !priv(a)) return no("needs CAP_BPF");
  if (a.write) {
    if (inField(off, SKB.tstamp)) { if (!priv(a)) return no("needs CAP_BPF"); }
    else if (!inSkb(off, SKB.mark, SKB.priority, SKB.cb0)) return no("read-only field");
  }
  return skbValid(a, skbPointer(off, false));
};

/** lwt_is_valid_access: lwt_in, lwt_out, lwt_xmit, lwt_seg6local. */
export const lwtAccess: AccessRule = (a) => {
  const { off } = a;
  if (inSkb(off, SKB.tcClassid, SKB.dataMeta, SKB.tstamp, SKB.wireLen, SKB.hwtstamp)) return NO;
  if (inFields(off, SKB.family, SKB.localPort)) return NO;
  if (a.write && !inSkb(off, SKB.mark, SKB.priority, SKB.cb0)) return no("read-only field");
  return skbValid(a, skbPointer(off, false));
};

/** tc_cls_act_is_valid_access: sched_cls and sched_act. */
export const tcAccess: AccessRule = (a) => {
  const { off } = a;
  if (a.write && !inSkb(off, SKB.mark, SKB.tcIndex, SKB.priority, SKB.tcClassid, SKB.cb0, SKB.tstamp, SKB.queueMapping)) {
    return no("read-only field");
  }
  if (inFields(off, SKB.family, SKB.localPort)) return NO;
  if (off === SKB.tstampType.off) return when(a.size === 1);
  return skbValid(a, skbPointer(off, true));
};

/** sk_skb_is_valid_access: sk_skb (stream parser and verdict). */
export const skSkbAccess: AccessRule = (a) => {
  const { off } = a;
  if (inSkb(off, SKB.tcClassid, SKB.dataMeta, SKB.tstamp, SKB.wireLen, SKB.hwtstamp)) return NO;
  if (a.write && !inSkb(off, SKB.tcIndex, SKB.priority)) return no("read-only field");
  if (inField(off, SKB.mark)) return NO;
  return skbValid(a, skbPointer(off, false));
};

/** flow_dissector_is_valid_access: only data, data_end and flow_keys, read only. */
export const flowDissectorAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, SK_BUFF)) return no("outside the context");
  if (off % size !== 0) return no("misaligned");
  if (a.write) return no("read-only context");
  if (inField(off, SKB.data)) return when(!ldsx(a) && size === 4, yes("packet"));
  if (inField(off, SKB.dataEnd)) return when(!ldsx(a) && size === 4, yes("packet_end"));
  if (inField(off, SKB.flowKeys)) return when(size === 8, yes("flow_keys"));
  return NO;
};

// ---------------------------------------------------------------------------------------
// struct xdp_md

/** xdp_is_valid_access: all read-only u32; egress_ifindex only in devmap programs. */
export const xdpAccess: AccessRule = (a) => {
  const { off, size } = a;
  const f = (n: string) => XDP_MD.field(n).off;
  if (a.attachType !== "xdp_devmap" && off === f("egress_ifindex")) return NO;
  if (a.write) return no("read-only context"); // writable only in offloaded programs
  if ((off === f("data_meta") || off === f("data") || off === f("data_end")) && ldsx(a)) return NO;
  if (outside(a, XDP_MD) || off % size !== 0 || size !== 4) return NO;
  const type: CtxFieldType = off === f("data") ? "packet" : off === f("data_meta") ? "packet_meta" : off === f("data_end") ? "packet_end" : "scalar";
  return yes(type);
};

// ---------------------------------------------------------------------------------------
// struct bpf_sock (cgroup_sock) and the socket structs of the other types

const K = (n: string) => BPF_SOCK.field(n);

/** bpf_sock_is_valid_access: reading a struct bpf_sock. */
export function bpfSockValid(a: CtxAccess): CtxAccessVerdict {
  const { off, size } = a;
  if (outside(a, BPF_SOCK) || off % size !== 0) return NO;
  const exact = ["state", "family", "type", "protocol", "src_port", "rx_queue_mapping"].some((n) => off === K(n).off);
  if (exact || inSkbLike(off, K("src_ip4"), K("src_ip6"), K("dst_ip4"), K("dst_ip6"))) return narrow(a, 4);
  if (inField(off, K("dst_port"))) return narrow(a, size === 4 ? 4 : 2);
  if (off >= K("dst_port").off + 2 && off < K("dst_ip4").off) return no("padding");
  return when(size === 4);
}
const inSkbLike = (off: number, ...fields: CtxField[]) => fields.some((f) => inField(off, f));

/** sock_filter_is_valid_access: cgroup_sock, whose writable and visible fields depend on the attach type. */
export const sockAccess: AccessRule = (a) => {
  const base = bpfSockValid(a);
  if (!base.ok) return base;
  const at = a.attachType ?? "cgroup_inet_sock_create";
  const { off } = a;
  if (off === K("bound_dev_if").off || off === K("mark").off || off === K("priority").off) {
    return when(at === "cgroup_inet_sock_create" || at === "cgroup_inet_sock_release", base);
  }
  if (inField(off, K("src_ip4"))) return when(at === "cgroup_inet4_post_bind" && !a.write, base);
  if (inField(off, K("src_ip6"))) return when(at === "cgroup_inet6_post_bind" && !a.write, base);
  if (inField(off, K("src_port"))) return when((at === "cgroup_inet4_post_bind" || at === "cgroup_inet6_post_bind") && !a.write, base);
  return when(!a.write, base);
};

const A = (n: string) => BPF_SOCK_ADDR.field(n);
const SOCK_ADDR_IP4 = ["cgroup_inet4_bind", "cgroup_inet4_connect", "cgroup_inet4_getpeername", "cgroup_inet4_getsockname", "cgroup_udp4_sendmsg", "cgroup_udp4_recvmsg"];
const SOCK_ADDR_IP6 = SOCK_ADDR_IP4.map((t) => t.replace("4", "6"));

/** sock_addr_is_valid_access: cgroup_sock_addr; the address fields follow the attach type's family. */
export const sockAddrAccess: AccessRule = (a) => {
  const { off, size } = a;
  const at = a.attachType ?? "";
  if (outside(a, BPF_SOCK_ADDR) || off % size !== 0) return NO;
  if (inField(off, A("user_ip4")) && !SOCK_ADDR_IP4.includes(at)) return NO;
  if (inField(off, A("user_ip6")) && !SOCK_ADDR_IP6.includes(at)) return NO;
  if (inField(off, A("msg_src_ip4")) && at !== "cgroup_udp4_sendmsg") return NO;
  if (inField(off, A("msg_src_ip6")) && at !== "cgroup_udp6_sendmsg") return NO;
  if (inSkbLike(off, A("user_ip4"), A("user_ip6"), A("msg_src_ip4"), A("msg_src_ip6"), A("user_port"))) {
    if (wideOk(a, A("user_ip6")) || wideOk(a, A("msg_src_ip6"))) return yes("scalar", a.write ? undefined : 4);
    if (!a.write) return narrow(a, 4);
    return when(size === 4);
  }
  if (inField(off, A("sk"))) return when(!a.write && size === 8, yes("socket"));
  if (inSkbLike(off, A("user_family"), A("family"), A("type"), A("protocol"))) return when(!a.write && size === 4);
  return NO;
};

const O = (n: string) => BPF_SOCK_OPS.field(n);

/** sock_ops_is_valid_access: reply and sk_txhash are the writable fields. */
export const sockOpsAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, BPF_SOCK_OPS) || off % size !== 0) return NO;
  if (a.write) return when((off === O("args").off || off === O("sk_txhash").off) && size === 4);
  if (off >= O("bytes_received").off && off < O("bytes_acked").off + 8) return when(size === 8);
  if (inField(off, O("sk"))) return when(size === 8, yes("socket_or_null"));
  if (inField(off, O("skb_data"))) return when(size === 8, yes("packet"));
  if (inField(off, O("skb_data_end"))) return when(size === 8, yes("packet_end"));
  if (off === O("skb_tcp_flags").off) return narrow(a, 4);
  if (inField(off, O("skb_hwtstamp"))) return when(size === 8);
  return when(size === 4);
};

const M = (n: string) => SK_MSG_MD.field(n);

/** sk_msg_is_valid_access: read only; pointers are 8 bytes, the rest 4. */
export const skMsgAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (a.write || off % size !== 0) return NO;
  if (inField(off, M("data"))) return when(size === 8, yes("packet"));
  if (inField(off, M("data_end"))) return when(size === 8, yes("packet_end"));
  if (inField(off, M("sk"))) return when(size === 8, yes("socket"));
  const u32s = ["family", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "remote_port", "local_port", "size"];
  if (u32s.some((n) => inField(off, M(n)))) return when(size === 4);
  return NO;
};

const R = (n: string) => SK_REUSEPORT_MD.field(n);

/** sk_reuseport_is_valid_access. */
export const skReuseportAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, SK_REUSEPORT_MD) || off % size !== 0 || a.write) return NO;
  if (off === R("data").off) return when(size === 8, yes("packet"));
  if (off === R("data_end").off) return when(size === 8, yes("packet_end"));
  if (off === R("hash").off) return when(size === 4);
  if (off === R("sk").off) return when(size === 8, yes("socket"));
  if (off === R("migrating_sk").off) return when(size === 8, yes("sock_common_or_null"));
  if (inField(off, R("eth_protocol")) && size < 2) return NO; // sizeof(skb->protocol)
  if (["eth_protocol", "ip_protocol", "bind_inany", "len"].some((n) => inField(off, R(n)))) return narrow(a, 4);
  return NO;
};

const L = (n: string) => BPF_SK_LOOKUP.field(n);

/** sk_lookup_is_valid_access. */
export const skLookupAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, BPF_SK_LOOKUP) || off % size !== 0 || a.write) return NO;
  if (inField(off, L("sk"))) return when(size === 8, yes("socket_or_null"));
  const u32s = ["family", "protocol", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "local_port", "ingress_ifindex"];
  if (u32s.some((n) => inField(off, L(n)))) return narrow(a, 4);
  if (inField(off, L("remote_port"))) return size === 4 ? yes() : narrow(a, 2); // 4-byte reads stay for compatibility
  if (off >= L("remote_port").off + 2 && off < L("local_ip4").off) return narrow(a, 2); // the zero padding
  return NO;
};

// ---------------------------------------------------------------------------------------
// cgroup device, sysctl, sockopt

/** cgroup_dev_is_valid_access. */
export const cgroupDevAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (a.write) return NO;
  if (off < 0 || off + size > BPF_CGROUP_DEV_CTX.size || off % size !== 0) return NO;
  if (inField(off, BPF_CGROUP_DEV_CTX.field("access_type"))) return narrow(a, 4);
  return when(size === 4);
};

/** sysctl_is_valid_access: write is read only, file_pos may be written whole. */
export const sysctlAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (off < 0 || off + size > BPF_SYSCTL.size || off % size !== 0) return NO;
  if (inField(off, BPF_SYSCTL.field("write"))) return a.write ? NO : narrow(a, 4);
  if (inField(off, BPF_SYSCTL.field("file_pos"))) return a.write ? when(size === 4) : narrow(a, 4);
  return NO;
};

const P = (n: string) => BPF_SOCKOPT.field(n);

/** cg_sockopt_is_valid_access: retval at getsockopt, level and optname at setsockopt. */
export const sockoptAccess: AccessRule = (a) => {
  const { off, size } = a;
  const at = a.attachType;
  if (outside(a, BPF_SOCKOPT) || off % size !== 0) return NO;
  if (a.write) {
    if (off === P("retval").off) return when(size === 4 && at === "cgroup_getsockopt");
    if (off === P("optname").off || off === P("level").off) return when(size === 4 && at === "cgroup_setsockopt");
    if (off === P("optlen").off) return when(size === 4);
    return NO;
  }
  if (inField(off, P("sk"))) return when(size === 8, yes("socket"));
  if (inField(off, P("optval"))) return when(size === 8, yes("packet"));
  if (inField(off, P("optval_end"))) return when(size === 8, yes("packet_end"));
  if (inField(off, P("retval"))) return when(size === 4 && at === "cgroup_getsockopt");
  return when(size === 4);
};

// ---------------------------------------------------------------------------------------
// Tracing

/** kprobe_prog_is_valid_access: struct pt_regs, read only, any aligned size. */
export const kprobeAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, PT_REGS) || a.write || off % size !== 0) return NO;
  return when(off + size <= PT_REGS.size);
};

/** tp_prog_is_valid_access: the record after its 8-byte common header is not checked further. */
export const tracepointAccess: AccessRule = (a) => {
  const { off, size } = a;
  // The kernel compares the signed offset with sizeof(void *), unsigned, so negative offsets pass.
  if ((off >= 0 && off < 8) || off >= PERF_MAX_TRACE_SIZE) return no("outside the record (the first 8 bytes are the common fields)");
  return when(!a.write && off % size === 0);
};

/** pe_prog_is_valid_access: registers as longs, sample_period and addr narrowable. */
export const perfEventAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (outside(a, BPF_PERF_EVENT_DATA) || a.write || off % size !== 0) return NO;
  const f = (n: string) => BPF_PERF_EVENT_DATA.field(n);
  if (inField(off, f("sample_period")) || inField(off, f("addr"))) return narrow(a, 8);
  return when(size === 8);
};

/** raw_tp_prog_is_valid_access: up to MAX_BPF_FUNC_ARGS u64 arguments, read only. */
export const rawTracepointAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || a.write || off % size !== 0) return NO;
  return yes();
};

/** raw_tp_writable_prog_is_valid_access: the first argument is the writable buffer. */
export const rawTracepointWritableAccess: AccessRule = (a) => {
  if (a.off === 0) {
    if (a.size !== 8 || a.write) return NO;
    const base = rawTracepointAccess(a);
    return base.ok ? yes("tp_buffer") : base;
  }
  return rawTracepointAccess(a);
};

/**
 * tracing_prog_is_valid_access then btf_ctx_access: u64 argument slots typed by the
 * target's BTF prototype (`attachArgs`); without it, each slot reads as a number.
 */
export const btfCtxAccess: AccessRule = (a) => {
  const { off, size } = a;
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || a.write || off % size !== 0) return NO;
  const args = a.attachArgs;
  if (!args) return yes();
  if (off % 8 !== 0) return no(`offset ${off} is not a multiple of 8`);
  const arg = args[off / 8];
  if (!arg) return no(`the target has no argument ${off / 8}`);
  if (arg.type === "scalar") return arg.pointer ? when(size === 8) : yes();
  return when(size === 8, arg.btfType ? yes(arg.type, undefined, arg.btfType) : yes(arg.type));
};

// ---------------------------------------------------------------------------------------
// The rest

/** nf_is_valid_access: two trusted kernel pointers. */
export const netfilterAccess: AccessRule = (a) => {
  if (outside(a, BPF_NF_CTX) || a.write || a.off % a.size !== 0) return NO;
  // nf_ptr_to_btf_id: PTR_TO_BTF_ID | PTR_TRUSTED.
  if (inField(a.off, BPF_NF_CTX.field("state"))) return when(a.size === 8, yes("trusted_btf_id", undefined, "nf_hook_state"));
  if (inField(a.off, BPF_NF_CTX.field("skb"))) return when(a.size === 8, yes("trusted_btf_id", undefined, "sk_buff"));
  return NO;
};

/** syscall_prog_is_valid_access: the caller's own buffer, read and written freely. */
export const syscallAccess: AccessRule = (a) => when(a.off >= 0 && a.off < 0xffff && a.off % a.size === 0);

/** lirc_mode2_is_valid_access: one u32 sample. */
export const lircMode2Access: AccessRule = (a) => when(!a.write && a.off === 0 && a.size === 4);

/** Types whose context the kernel never lets a program read (unspec; ext, which borrows its target's). */
export const noAccess = (reason: string): AccessRule => () => no(reason);
