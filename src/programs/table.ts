/**
 * @fileoverview The program-type table: one row per kernel program type with its context
 * (layout, access rules), return codes and the range the verifier enforces, the helpers
 * it may call, and for runnable types how a run builds its context. Like the kernel's
 * `bpf_verifier_ops`/`bpf_prog_ops` pairs; adding a type is adding a row.
 */

import { BpfError } from "../errors.js";
import { HELPER_NAMES } from "../helpers/names.js";
import { Perm } from "../runtime/address-space.js";
import type { CtxAccess, CtxAccessVerdict, ProgramTypeVerifierOps, ReturnRange } from "./access.js";
import * as R from "./ctx-access.js";
import { COMMON_HELPERS, HELPER_SETS } from "./helper-sets.js";
import {
  BPF_CGROUP_DEV_CTX, BPF_NF_CTX, BPF_PERF_EVENT_DATA, BPF_SK_LOOKUP, BPF_SOCK, BPF_SOCK_ADDR, BPF_SOCK_OPS,
  BPF_SOCKOPT, BPF_SYSCTL, type CtxLayout, PERF_MAX_TRACE_SIZE, PT_REGS, RAW_TP_ARGS, SK_BUFF, SK_MSG_MD,
  SK_REUSEPORT_MD, XDP_MD,
} from "./layouts.js";
import { contextRun, flowDissectorRun, RAW, skbType, sockOpsRun, XDP_RUN, type ProgramTypeOps } from "./run-context.js";
import { PROGRAM_TYPES, programTypeName, type AttachTypeName, type ProgramTypeName } from "./types.js";

/** What a return value means: `{ 2: "XDP_PASS" }`. */
export type ReturnCodes = Readonly<Record<number, string>>;

/** What becomes of a packet: it goes on, is dropped, is sent back out (XDP_TX) or redirected. */
export type Disposition = "pass" | "drop" | "tx" | "redirect";

/** One program type. */
export interface ProgramTypeRow {
  readonly name: ProgramTypeName;
  /** The context struct r1 points to, when the uapi defines one. */
  readonly ctx?: CtxLayout;
  /** sizeof the context (for tracepoints the largest record, for syscall programs the caller's buffer bound). */
  readonly ctxSize: number;
  /** is_valid_access */
  readonly access: R.AccessRule;
  /** The attach types a program of this type may be loaded with; the first is the default. */
  readonly attachTypes?: readonly AttachTypeName[];
  /** check_return_code's range, by attach type; undefined where any value is accepted. */
  returnRange(attachType: string | undefined): ReturnRange | undefined;
  /** The names of return values, for summaries. */
  readonly returnCodes?: ReturnCodes;
  /** What becomes of a packet the program returned `retval` for (packet types only). */
  disposition?(retval: number): Disposition;
  /** Helper names this type may call besides COMMON_HELPERS (get_func_proto), by attach type. */
  helpers(attachType: string | undefined): readonly string[];
  /** How a run builds the context, for the types BPF_PROG_TEST_RUN runs. */
  readonly run?: ProgramTypeOps;
}

const range = (min: number, max: number): ReturnRange => ({ min, max });
const any = () => undefined;
/** The helpers the kernel gave this type (or type/attach type) when asked. */
const probed = (type: string) => (attach: string | undefined): readonly string[] =>
  HELPER_SETS[`${type}/${attach}`] ?? HELPER_SETS[type] ?? [];

/** Helpers BTF-typed tracing programs have beyond tp_btf's, from bpf_tracing_func_proto (not probed: EPERM here). */
const TRAMPOLINE_HELPERS = ["get_func_arg", "get_func_ret", "get_func_arg_cnt"];
const ITER_HELPERS = ["seq_printf", "seq_write", "seq_printf_btf"];
/** bpf_lsm_func_proto's additions. */
const LSM_HELPERS = ["inode_storage_get", "inode_storage_delete", "bprm_opts_set", "ima_inode_hash", "ima_file_hash", "ima_file_hash", "get_retval", "set_retval"];

const XDP_CODES: ReturnCodes = { 0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT" };
const TC_CODES: ReturnCodes = {
  [-1]: "TC_ACT_UNSPEC", 0: "TC_ACT_OK", 1: "TC_ACT_RECLASSIFY", 2: "TC_ACT_SHOT", 3: "TC_ACT_PIPE",
  4: "TC_ACT_STOLEN", 5: "TC_ACT_QUEUED", 6: "TC_ACT_REPEAT", 7: "TC_ACT_REDIRECT", 8: "TC_ACT_TRAP",
};
const SK_CODES: ReturnCodes = { 0: "SK_DROP", 1: "SK_PASS" };
const CG_CODES: ReturnCodes = { 0: "drop", 1: "allow" };
const xdpDisposition = (r: number): Disposition => (r === 2 ? "pass" : r === 3 ? "tx" : r === 4 ? "redirect" : "drop");
/** TC_ACT_SHOT and TC_ACT_STOLEN end the packet, TC_ACT_REDIRECT sends it elsewhere; the rest let it go on. */
const tcDisposition = (r: number): Disposition => (r === 2 || r === 4 || r === 8 ? "drop" : r === 7 ? "redirect" : "pass");
const lwtDisposition = (r: number): Disposition => (r === 2 ? "drop" : r === 7 ? "redirect" : "pass");
const LWT_CODES: ReturnCodes = { 0: "BPF_OK", 2: "BPF_DROP", 7: "BPF_REDIRECT", 128: "BPF_LWT_REROUTE" };

const SOCK_ADDR_ATTACH: readonly AttachTypeName[] = [
  "cgroup_inet4_connect", "cgroup_inet6_connect", "cgroup_inet4_bind", "cgroup_inet6_bind",
  "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg",
  "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
  "cgroup_unix_connect", "cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname",
];
/** The sock_addr hooks whose programs may only return 1 (they cannot refuse). */
const SOCK_ADDR_ONLY_1 = new Set(SOCK_ADDR_ATTACH.filter((t) => /recvmsg|getpeername|getsockname/.test(t)));

const row = (name: ProgramTypeName, r: Omit<ProgramTypeRow, "name" | "helpers" | "returnRange"> & Partial<Pick<ProgramTypeRow, "helpers" | "returnRange">>): ProgramTypeRow => ({
  name,
  helpers: probed(name),
  returnRange: any,
  ...r,
});

const skb = (name: ProgramTypeName, access: R.AccessRule, l2: boolean, pkt: Perm | undefined, extra: Partial<ProgramTypeRow> = {}) =>
  row(name, { ctx: SK_BUFF, ctxSize: SK_BUFF.size, access, ...(pkt === undefined ? {} : { run: skbType(name, l2, pkt, access) }), ...extra });

/** Every program type, in the kernel's order (`enum bpf_prog_type`). */
export const PROGRAM_TYPE_TABLE: readonly ProgramTypeRow[] = [
  row("unspec", { ctxSize: 0, access: R.noAccess("no program type"), helpers: () => [] }),
  skb("socket_filter", R.skFilterAccess, false, Perm.Read, { returnCodes: { 0: "drop" }, disposition: (r) => (r === 0 ? "drop" : "pass") }),
  row("kprobe", {
    ctx: PT_REGS, ctxSize: PT_REGS.size, access: R.kprobeAccess, run: contextRun("kprobe", PT_REGS.size, false),
    attachTypes: ["trace_kprobe_multi", "trace_uprobe_multi", "trace_kprobe_session", "trace_uprobe_session"],
    returnRange: (at) => (at === "trace_kprobe_session" || at === "trace_uprobe_session" ? range(0, 1) : undefined),
  }),
  skb("sched_cls", R.tcAccess, true, Perm.ReadWrite, { returnCodes: TC_CODES, disposition: tcDisposition, attachTypes: ["tcx_ingress", "tcx_egress", "netkit_primary", "netkit_peer"] }),
  skb("sched_act", R.tcAccess, true, Perm.ReadWrite, { returnCodes: TC_CODES, disposition: tcDisposition }),
  row("tracepoint", { ctxSize: PERF_MAX_TRACE_SIZE, access: R.tracepointAccess, run: contextRun("tracepoint", PERF_MAX_TRACE_SIZE, false) }),
  row("xdp", {
    ctx: XDP_MD, ctxSize: XDP_MD.size, access: R.xdpAccess, run: XDP_RUN, returnCodes: XDP_CODES, disposition: xdpDisposition,
    attachTypes: ["xdp", "xdp_devmap", "xdp_cpumap"],
  }),
  row("perf_event", { ctx: BPF_PERF_EVENT_DATA, ctxSize: BPF_PERF_EVENT_DATA.size, access: R.perfEventAccess, run: contextRun("perf_event", BPF_PERF_EVENT_DATA.size, false) }),
  skb("cgroup_skb", R.cgSkbAccess, false, Perm.Read, {
    attachTypes: ["cgroup_inet_ingress", "cgroup_inet_egress"],
    returnCodes: { 0: "drop", 1: "allow", 2: "drop (congestion)", 3: "allow (congestion)" },
    disposition: (r) => (r & 1 ? "pass" : "drop"),
    // Egress may also say "congestion" (2, 3), which the kernel maps onto drop and allow with CN.
    returnRange: (at) => (at === "cgroup_inet_egress" ? range(0, 3) : range(0, 1)),
  }),
  row("cgroup_sock", {
    ctx: BPF_SOCK, ctxSize: BPF_SOCK.size, access: R.sockAccess, run: contextRun("cgroup_sock", BPF_SOCK.size, R.sockAccess), returnCodes: CG_CODES, returnRange: () => range(0, 1),
    attachTypes: ["cgroup_inet_sock_create", "cgroup_inet_sock_release", "cgroup_inet4_post_bind", "cgroup_inet6_post_bind"],
  }),
  skb("lwt_in", R.lwtAccess, false, Perm.Read, { returnCodes: LWT_CODES, disposition: lwtDisposition }),
  skb("lwt_out", R.lwtAccess, false, Perm.Read, { returnCodes: LWT_CODES, disposition: lwtDisposition }),
  skb("lwt_xmit", R.lwtAccess, false, Perm.ReadWrite, { returnCodes: LWT_CODES, disposition: lwtDisposition }),
  row("sock_ops", { ctx: BPF_SOCK_OPS, ctxSize: BPF_SOCK_OPS.size, access: R.sockOpsAccess, run: sockOpsRun(BPF_SOCK_OPS.size, R.sockOpsAccess), attachTypes: ["cgroup_sock_ops"], returnRange: () => range(0, 1) }),
  skb("sk_skb", R.skSkbAccess, false, undefined, {
    returnCodes: SK_CODES, attachTypes: ["sk_skb_stream_parser", "sk_skb_stream_verdict", "sk_skb_verdict"],
  }),
  row("cgroup_device", { ctx: BPF_CGROUP_DEV_CTX, ctxSize: BPF_CGROUP_DEV_CTX.size, access: R.cgroupDevAccess, run: contextRun("cgroup_device", BPF_CGROUP_DEV_CTX.size, R.cgroupDevAccess), attachTypes: ["cgroup_device"], returnCodes: CG_CODES, returnRange: () => range(0, 1) }),
  row("sk_msg", { ctx: SK_MSG_MD, ctxSize: SK_MSG_MD.size, access: R.skMsgAccess, attachTypes: ["sk_msg_verdict"], returnCodes: SK_CODES }),
  row("raw_tracepoint", { ctx: RAW_TP_ARGS, ctxSize: RAW_TP_ARGS.size, access: R.rawTracepointAccess, run: contextRun("raw_tracepoint", RAW_TP_ARGS.size, false) }),
  row("cgroup_sock_addr", {
    ctx: BPF_SOCK_ADDR, ctxSize: BPF_SOCK_ADDR.size, access: R.sockAddrAccess, run: contextRun("cgroup_sock_addr", BPF_SOCK_ADDR.size, R.sockAddrAccess), attachTypes: SOCK_ADDR_ATTACH, returnCodes: CG_CODES,
    returnRange: (at) => (at && SOCK_ADDR_ONLY_1.has(at as AttachTypeName) ? range(1, 1) : at === "cgroup_inet4_bind" || at === "cgroup_inet6_bind" ? range(0, 3) : range(0, 1)),
  }),
  skb("lwt_seg6local", R.lwtAccess, false, Perm.Read, { returnCodes: LWT_CODES, disposition: lwtDisposition }),
  row("lirc_mode2", { ctxSize: 4, access: R.lircMode2Access, attachTypes: ["lirc_mode2"], helpers: () => ["rc_repeat", "rc_keydown", "rc_pointer_rel"] }),
  row("sk_reuseport", {
    ctx: SK_REUSEPORT_MD, ctxSize: SK_REUSEPORT_MD.size, access: R.skReuseportAccess, returnCodes: SK_CODES,
    attachTypes: ["sk_reuseport_select", "sk_reuseport_select_or_migrate"],
  }),
  row("flow_dissector", {
    ctx: SK_BUFF, ctxSize: SK_BUFF.size, access: R.flowDissectorAccess, attachTypes: ["flow_dissector"], run: flowDissectorRun(),
    returnCodes: { 0: "BPF_OK", 2: "BPF_DROP", 129: "BPF_FLOW_DISSECTOR_CONTINUE" },
  }),
  row("cgroup_sysctl", { ctx: BPF_SYSCTL, ctxSize: BPF_SYSCTL.size, access: R.sysctlAccess, run: contextRun("cgroup_sysctl", BPF_SYSCTL.size, R.sysctlAccess), attachTypes: ["cgroup_sysctl"], returnCodes: CG_CODES, returnRange: () => range(0, 1) }),
  row("raw_tracepoint_writable", { ctx: RAW_TP_ARGS, ctxSize: RAW_TP_ARGS.size, access: R.rawTracepointWritableAccess }),
  row("cgroup_sockopt", {
    ctx: BPF_SOCKOPT, ctxSize: BPF_SOCKOPT.size, access: R.sockoptAccess, run: contextRun("cgroup_sockopt", BPF_SOCKOPT.size, R.sockoptAccess), attachTypes: ["cgroup_getsockopt", "cgroup_setsockopt"],
    returnCodes: CG_CODES, returnRange: () => range(0, 1),
  }),
  row("tracing", {
    ctx: RAW_TP_ARGS, ctxSize: RAW_TP_ARGS.size, access: R.btfCtxAccess, run: contextRun("tracing", RAW_TP_ARGS.size, false),
    attachTypes: ["trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "trace_iter"],
    returnRange: (at) => (at === "trace_fentry" || at === "trace_fexit" ? range(0, 0) : undefined),
    helpers: (at) => {
      const base = HELPER_SETS["tracing/trace_raw_tp"] ?? [];
      if (at === "trace_fentry" || at === "trace_fexit" || at === "modify_return") return [...base, ...TRAMPOLINE_HELPERS];
      if (at === "trace_iter") return [...base, ...ITER_HELPERS];
      return base;
    },
  }),
  // Not probed (no struct_ops map to load with): bpf_tcp_ca_get_func_proto's, over the base set
  // (other struct_ops kinds mostly add nothing to the base; setsockopt is refused only in release).
  row("struct_ops", { ctx: RAW_TP_ARGS, ctxSize: RAW_TP_ARGS.size, access: R.btfCtxAccess, attachTypes: ["struct_ops"], helpers: () => ["tcp_send_ack", "sk_storage_get", "sk_storage_delete", "setsockopt", "getsockopt", "ktime_get_coarse_ns"] }),
  row("ext", { ctxSize: 0, access: R.noAccess("an extension program has its target's context"), helpers: () => [] }),
  row("lsm", {
    ctx: RAW_TP_ARGS, ctxSize: RAW_TP_ARGS.size, access: R.btfCtxAccess, attachTypes: ["lsm_mac", "lsm_cgroup"],
    // lsm_mac hooks have their own ranges (get_func_retval_range: -4095..0 for int hooks); lsm_cgroup returns 0 or 1.
    returnRange: (at) => (at === "lsm_cgroup" ? range(0, 1) : undefined),
    helpers: () => [...(HELPER_SETS["tracing/trace_raw_tp"] ?? []), ...TRAMPOLINE_HELPERS, ...LSM_HELPERS],
  }),
  row("sk_lookup", {
    ctx: BPF_SK_LOOKUP, ctxSize: BPF_SK_LOOKUP.size, access: R.skLookupAccess, run: contextRun("sk_lookup", BPF_SK_LOOKUP.size, R.skLookupAccess), attachTypes: ["sk_lookup"],
    returnCodes: SK_CODES, returnRange: () => range(0, 1),
  }),
  // The runtime gives a syscall program 4 KiB of context (the kernel allows up to 64 KiB).
  row("syscall", { ctxSize: 0xffff, access: R.syscallAccess, run: contextRun("syscall", 4096, true) }),
  row("netfilter", {
    ctx: BPF_NF_CTX, ctxSize: BPF_NF_CTX.size, access: R.netfilterAccess, attachTypes: ["netfilter"],
    returnCodes: { 0: "NF_DROP", 1: "NF_ACCEPT" }, returnRange: () => range(0, 1),
  }),
];

const BY_NAME = new Map(PROGRAM_TYPE_TABLE.map((r) => [r.name as string, r]));

/** The row of a program type, by name or kernel id; throws a typed error for an unknown one. */
export function programType(type: ProgramTypeName | string | number): ProgramTypeRow {
  const name = typeof type === "number" ? programTypeName(type) : type;
  const r = BY_NAME.get(name);
  if (!r) throw new BpfError("EINVAL", `unknown program type "${name}"`);
  return r;
}

/** The attach type a program of `type` gets when it names none (bpf_prog_load_fixup_attach_type and libbpf's defaults). */
export function defaultAttachType(type: ProgramTypeName | string | number): string | undefined {
  const r = programType(type);
  return r.name === "cgroup_sock" ? "cgroup_inet_sock_create" : r.name === "kprobe" || r.name === "sched_cls" ? undefined : r.attachTypes?.[0];
}

/**
 * Base helpers an unprivileged loader keeps (the part of bpf_base_func_proto before its
 * bpf_token_capable(CAP_BPF) check); the others need CAP_BPF or CAP_PERFMON.
 */
const UNPRIVILEGED_BASE = new Set([
  "map_lookup_elem", "map_update_elem", "map_delete_elem", "map_push_elem", "map_pop_elem", "map_peek_elem",
  "map_lookup_percpu_elem", "get_prandom_u32", "get_smp_processor_id", "get_numa_node_id", "tail_call",
  "ktime_get_ns", "ktime_get_boot_ns", "ktime_get_tai_ns", "ringbuf_output", "ringbuf_reserve", "ringbuf_submit",
  "ringbuf_discard", "ringbuf_query", "for_each_map_elem", "loop", "user_ringbuf_drain", "ringbuf_reserve_dynptr",
  "ringbuf_submit_dynptr", "ringbuf_discard_dynptr", "strncmp", "strtol", "strtoul",
]);
const COMMON = new Set(COMMON_HELPERS);

/** The helper names a program of `type` may call with this attach type and privilege. */
export function helpersFor(type: ProgramTypeName | string | number, attachType?: string, privileged = true): Set<string> {
  const r = programType(type);
  const at = attachType ?? defaultAttachType(r.name);
  if (r.name === "unspec" || r.name === "ext") return new Set();
  const names = new Set<string>([...COMMON_HELPERS, ...r.helpers(at)]);
  if (!privileged) for (const n of COMMON) if (!UNPRIVILEGED_BASE.has(n)) names.delete(n);
  return names;
}

const OPS = new Map<string, ProgramTypeVerifierOps>();

/** The verifier's view of a program type (src/programs/access.ts), by name or kernel id. */
export function verifierOpsFor(type: ProgramTypeName | number): ProgramTypeVerifierOps {
  const r = programType(type);
  let ops = OPS.get(r.name);
  if (ops) return ops;
  const sets = new Map<string, Set<string>>();
  ops = {
    name: r.name,
    ctxSize: r.ctxSize,
    isValidAccess(access: CtxAccess): CtxAccessVerdict {
      if (!Number.isInteger(access.size) || ![1, 2, 4, 8].includes(access.size)) return { ok: false, reason: "bad size" };
      return r.access({ ...access, attachType: access.attachType ?? defaultAttachType(r.name) });
    },
    helperAllowed(id: number, attachType?: string, privileged?: boolean): boolean {
      const name = HELPER_NAMES[id];
      if (name === undefined || id === 0) return false;
      const key = `${attachType ?? ""}/${privileged !== false}`;
      let set = sets.get(key);
      if (!set) sets.set(key, (set = helpersFor(r.name, attachType, privileged !== false)));
      return set.has(name);
    },
    returnRange: (attachType?: string) => r.returnRange(attachType ?? defaultAttachType(r.name)),
  };
  OPS.set(r.name, ops);
  return ops;
}

/** The name of a return value of `type` ("XDP_PASS"), or the number. */
export function returnCodeName(type: ProgramTypeName | string, value: number): string {
  const codes = BY_NAME.get(type)?.returnCodes;
  return codes?.[value] ?? codes?.[value | 0] ?? String(value);
}

/** The types a run can be made for (BPF_PROG_TEST_RUN's), plus uBPF's "raw", by name. */
export const RUN_TYPES: Readonly<Record<string, ProgramTypeOps>> = Object.fromEntries([
  ["raw", RAW],
  ...PROGRAM_TYPE_TABLE.flatMap((r) => (r.run ? [[r.name, r.run] as const] : [])),
]);

// Every kernel type has a row, in order: the table is the enum.
for (const [i, t] of PROGRAM_TYPES.entries()) {
  if (PROGRAM_TYPE_TABLE[i]?.name !== t.name) throw new Error(`program type table out of order at ${t.name}`);
}
