/**
 * @fileoverview Global (non-static) functions, as the kernel treats them: each is verified once,
 * alone, from its BTF signature (btf_prepare_func_args), and a call only checks the arguments
 * against that signature (btf_check_subprog_call) and gets an unknown scalar back.
 */

import { essentialName } from "../btf/core.js";
import type { Btf, BtfType } from "../btf/types.js";
import type { FuncInfo } from "../object/types.js";

/** One argument of a global function (bpf_subprog_arg_info). */
export interface GlobalArg {
  /** ARG_ANYTHING (a scalar), ARG_PTR_TO_CTX, ARG_PTR_TO_MEM (of `size` bytes), ARG_PTR_TO_BTF_ID | PTR_TRUSTED (`__arg_trusted`), ARG_PTR_TO_ARENA (`__arg_arena`), ARG_PTR_TO_DYNPTR | MEM_RDONLY (`struct bpf_dynptr *`). */
  readonly kind: "scalar" | "ctx" | "mem" | "trusted" | "arena" | "dynptr";
  readonly size: number;
  /** PTR_MAYBE_NULL: a pointer argument may be NULL unless tagged `__arg_nonnull`. */
  readonly nullable: boolean;
  /** The kernel struct a trusted argument points to (the flavor's essential name). */
  readonly struct?: string;
}

export interface GlobalFunc {
  readonly subprog: number;
  readonly name: string;
  readonly args: readonly GlobalArg[];
  /** Why the kernel refuses the signature, when it does (the call site reports it). */
  readonly unsupported?: string;
}

/** The context struct each program type's global functions take (bpf_ctx_convert, bpf_types.h). */
const CTX_STRUCT: Readonly<Record<string, string>> = {
  socket_filter: "__sk_buff",
  sched_cls: "__sk_buff",
  sched_act: "__sk_buff",
  cgroup_skb: "__sk_buff",
  lwt_in: "__sk_buff",
  lwt_out: "__sk_buff",
  lwt_xmit: "__sk_buff",
  lwt_seg6local: "__sk_buff",
  sk_skb: "__sk_buff",
  flow_dissector: "__sk_buff",
  xdp: "xdp_md",
  cgroup_sock: "bpf_sock",
  cgroup_sock_addr: "bpf_sock_addr",
  sock_ops: "bpf_sock_ops",
  cgroup_device: "bpf_cgroup_dev_ctx",
  sk_msg: "sk_msg_md",
  kprobe: "pt_regs",
  perf_event: "bpf_perf_event_data",
  raw_tracepoint: "bpf_raw_tracepoint_args",
  raw_tracepoint_writable: "bpf_raw_tracepoint_args",
  cgroup_sysctl: "bpf_sysctl",
  cgroup_sockopt: "bpf_sockopt",
  sk_reuseport: "sk_reuseport_md",
  sk_lookup: "bpf_sk_lookup",
  netfilter: "bpf_nf_ctx",
};

/**
 * The global functions of a program, by subprogram index, from its func_info and the object's
 * BTF (`subprogStart` maps a slot to the subprogram starting there). The main function is not one.
 */
export function globalFuncs(funcInfo: readonly FuncInfo[], btf: Btf | undefined, subprogAt: (slot: number) => number | undefined, progType: string): Map<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  if (!btf) return out;
  for (const fi of funcInfo) {
    const k = subprogAt(fi.insnOff);
    if (k === undefined || k === 0) continue;
    let fn: BtfType;
    try {
      fn = btf.type(fi.typeId);
    } catch {
      continue;
    }
    if (fn.kind !== "func" || fn.linkage !== "global") continue;
    out.set(k, signature(btf, fn, k, progType));
  }
  return out;
}

function signature(btf: Btf, fn: Extract<BtfType, { kind: "func" }>, subprog: number, progType: string): GlobalFunc {
  const base = { subprog, name: fn.name };
  const proto = btf.type(fn.type);
  if (proto.kind !== "func_proto") return { ...base, args: [], unsupported: `Function ${fn.name}() has no FUNC_PROTO` };
  const ret = btf.resolve(proto.returnType);
  if (ret.kind !== "int" && ret.kind !== "enum" && ret.kind !== "void") {
    return { ...base, args: [], unsupported: `Global function ${fn.name}() doesn't return scalar. Only those are supported.` };
  }
  if (proto.params.length > 5) return { ...base, args: [], unsupported: `Global function ${fn.name}() with more than 5 args not supported.` };
  const tags = argTags(btf, fn.id);
  const args: GlobalArg[] = [];
  for (let a = 0; a < proto.params.length; a++) {
    const p = proto.params[a]!;
    const t = btf.resolve(p.type);
    const tagged = tags.get(a) ?? new Set<string>();
    if (t.kind === "int" || t.kind === "enum") {
      args.push({ kind: "scalar", size: 0, nullable: false });
      continue;
    }
    if (t.kind !== "ptr") return { ...base, args, unsupported: `Arg#${a} type ${t.kind.toUpperCase()} in ${fn.name}() is not supported yet.` };
    const pointee = btf.resolve(t.type);
    if (tagged.has("arg:ctx") || ((pointee.kind === "struct" || pointee.kind === "union") && pointee.name !== "" && pointee.name === CTX_STRUCT[progType])) {
      args.push({ kind: "ctx", size: 0, nullable: false });
      continue;
    }
    // btf_prepare_func_args: a dynptr the caller made, which the function may read through.
    if (pointee.kind === "struct" && pointee.name === "bpf_dynptr" && tagged.size === 0) {
      args.push({ kind: "dynptr", size: 0, nullable: false });
      continue;
    }
    // btf_prepare_func_args: an arena pointer, whatever it points to.
    if (tagged.has("arg:arena")) {
      if (tagged.size > 1) return { ...base, args, unsupported: `arg#${a} arena cannot be combined with any other tags` };
      args.push({ kind: "arena", size: 0, nullable: false });
      continue;
    }
    // btf_prepare_func_args: a trusted kernel struct pointer, NULL only if also `__arg_nullable`.
    if (tagged.has("arg:trusted") && !tagged.has("arg:arena") && !tagged.has("arg:untrusted") && pointee.kind === "struct" && pointee.name) {
      args.push({ kind: "trusted", size: 0, nullable: tagged.has("arg:nullable"), struct: essentialName(pointee.name) });
      continue;
    }
    if (tagged.has("arg:trusted") || tagged.has("arg:arena") || tagged.has("arg:untrusted")) {
      return { ...base, args, unsupported: `Arg#${a} in ${fn.name}() is tagged ${[...tagged].join(", ")}, which tsbpf does not model yet` };
    }
    let size: number;
    try {
      size = btf.sizeof(t.type);
    } catch {
      return { ...base, args, unsupported: `arg#${a} reference type('${pointee.kind.toUpperCase()} ${pointee.name}') size cannot be determined: -22` };
    }
    args.push({ kind: "mem", size, nullable: !tagged.has("arg:nonnull") });
  }
  return { ...base, args };
}

/** The `arg:*` decl tags of each parameter of a FUNC (`__arg_ctx`, `__arg_nonnull`, ...). */
function argTags(btf: Btf, funcId: number): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const t of btf.types) {
    if (t.kind !== "decl_tag" || t.type !== funcId || t.componentIdx < 0 || !t.name.startsWith("arg:")) continue;
    let s = out.get(t.componentIdx);
    if (!s) out.set(t.componentIdx, (s = new Set()));
    s.add(t.name);
  }
  return out;
}
