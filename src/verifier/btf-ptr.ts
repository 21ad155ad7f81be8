/**
 * @fileoverview BTF-typed kernel pointers (PTR_TO_BTF_ID) from the kernel's BTF: a tp_btf
 * program's arguments (btf_ctx_access) and loads through such pointers (btf_struct_access).
 */

import type { Btf, BtfType } from "../btf/types.js";
import { RAW_TP_NULL_ARGS } from "../programs/trace-context.js";

/**
 * The arguments of a BTF tracepoint, from its `btf_trace_<name>` typedef (a pointer to a
 * FUNC_PROTO whose first parameter is the tracepoint's `void *__data`): for each u64 slot of
 * the ctx, the struct a pointer argument points to, or undefined for a scalar.
 */
export function tracepointArgs(btf: Btf, name: string): (BtfCtxArg | undefined)[] | undefined {
  const td = btf.byName(`btf_trace_${name}`, "typedef")[0];
  if (!td) return undefined;
  const ptr = btf.resolve(td.id);
  if (ptr.kind !== "ptr") return undefined;
  const proto = btf.resolve(ptr.type);
  if (proto.kind !== "func_proto") return undefined;
  return proto.params.slice(1).map((p) => {
    const struct = pointeeStruct(btf, p.type);
    return struct ? { struct, nullable: false } : undefined;
  });
}

/** A pointer field of a BTF-typed ctx: the struct it points to, and whether it may be NULL. */
export interface BtfCtxArg {
  readonly struct: string;
  readonly nullable: boolean;
}

/**
 * An iterator's ctx, `struct bpf_iter__<target>`: its first member (the meta) is a pointer
 * that is never NULL; the object pointers after it are NULL at the end of the walk
 * (PTR_TO_BTF_ID_OR_NULL in each target's ctx_arg_info).
 */
export function iteratorArgs(btf: Btf, target: string): (BtfCtxArg | undefined)[] | undefined {
  const s = btf.byName(`bpf_iter__${target}`, "struct")[0];
  if (!s || s.kind !== "struct") return undefined;
  const out: (BtfCtxArg | undefined)[] = [];
  for (let off = 0; off + 8 <= s.size; off += 8) {
    const l = structLoad(btf, s.name, off, 8);
    out.push(l.kind === "ptr" ? { struct: l.struct, nullable: off !== 0 } : undefined);
  }
  return out;
}

/** The named struct or union a pointer type points to, else undefined (void, ints: a scalar). */
function pointeeStruct(btf: Btf, id: number): string | undefined {
  const t = btf.resolve(id);
  if (t.kind !== "ptr") return undefined;
  const s = btf.resolve(t.type);
  return (s.kind === "struct" || s.kind === "union") && s.name ? s.name : undefined;
}

/** What a load of `size` bytes at `off` in struct `name` reads, as btf_struct_walk finds it. */
export type StructLoad = { readonly kind: "scalar" } | { readonly kind: "ptr"; readonly struct: string; readonly field: string } | { readonly kind: "bad"; readonly message: string };

/** btf_struct_access for a read: a pointer member read whole is a new BTF pointer; anything else inside the struct a scalar. */
export function structLoad(btf: Btf, name: string, off: number, size: number): StructLoad {
  const s = btf.byName(name).find((t) => t.kind === "struct" || t.kind === "union");
  if (!s || (s.kind !== "struct" && s.kind !== "union")) return { kind: "scalar" };
  let t: BtfType = s;
  let at = off;
  let sw: Extract<BtfType, { kind: "struct" | "union" }> = s;
  // btf_struct_walk: past the end, a trailing flexible array of structs is read element by element.
  while (at + size > sw.size) {
    const last = sw.members[sw.members.length - 1];
    const lt: BtfType | undefined = last && btf.resolve(last.type);
    const elem: BtfType | undefined = lt && lt.kind === "array" && lt.nelems === 0 ? btf.resolve(lt.type) : undefined;
    const moff = last ? Math.floor(last.bitOffset / 8) : 0;
    if (!elem || at < moff || (elem.kind !== "struct" && elem.kind !== "union") || elem.size <= 0) {
      return { kind: "bad", message: `access beyond struct ${sw.name} at off ${at} size ${size}` };
    }
    at = (at - moff) % elem.size;
    sw = elem;
    t = elem;
  }
  let field = "";
  // Descend into the member holding [at, at + size) until a leaf.
  for (let depth = 0; depth < 32; depth++) {
    if (t.kind === "struct" || t.kind === "union") {
      // btf_struct_walk's `again`: a member struct is walked with the access inside it.
      if (depth > 0 && at + size > t.size) return { kind: "bad", message: `access beyond struct ${t.name} at off ${at} size ${size}` };
      const m = t.members.find((mm) => {
        if (mm.bitSize || mm.bitOffset % 8) return false;
        const mo = mm.bitOffset / 8;
        let ms: number;
        try { ms = btf.sizeof(mm.type); } catch { return false; }
        return at >= mo && at + size <= mo + ms;
      });
      if (!m) {
        // A scalar member (or an array of scalars) the access starts in but runs past.
        const over = t.members.find((mm) => {
          if (mm.bitSize || mm.bitOffset % 8) return false;
          const mo = mm.bitOffset / 8;
          let ms: number;
          try { ms = btf.sizeof(mm.type); } catch { return false; }
          return at >= mo && at < mo + ms;
        });
        if (over) {
          let mt = btf.resolve(over.type);
          while (mt.kind === "array") mt = btf.resolve(mt.type);
          const mo = over.bitOffset / 8;
          if (mt.kind === "int" || mt.kind === "enum" || mt.kind === "float") {
            return { kind: "bad", message: `access beyond the end of member ${over.name} (mend:${mo + btf.sizeof(over.type)}) in struct ${t.name} with off ${at} size ${size}` };
          }
          if (mt.kind === "struct" || mt.kind === "union") {
            const elem = btf.resolve(over.type).kind === "array" ? mt.size : btf.sizeof(over.type);
            const inner = elem > 0 ? (at - mo) % elem : at - mo;
            return { kind: "bad", message: `access beyond struct ${mt.name} at off ${inner} size ${size}` };
          }
        }
        return { kind: "scalar" };
      }
      field = m.name;
      at -= m.bitOffset / 8;
      t = btf.resolve(m.type);
      continue;
    }
    if (t.kind === "array") {
      let es: number;
      try { es = btf.sizeof(t.type); } catch { return { kind: "scalar" }; }
      if (es <= 0) return { kind: "scalar" };
      at %= es;
      t = btf.resolve(t.type);
      continue;
    }
    if (t.kind === "ptr" && at === 0 && size === 8) {
      const p = pointeeStruct(btf, t.id);
      return p ? { kind: "ptr", struct: p, field } : { kind: "scalar" };
    }
    return { kind: "scalar" };
  }
  return { kind: "scalar" };
}

/** What reading one argument slot of a BTF-typed ctx gives, as btf_ctx_access decides it. */
export type BtfCtxSlot =
  | { readonly kind: "scalar"; readonly pointer: boolean }
  | { readonly kind: "ptr"; readonly struct: string; readonly nullable: boolean; readonly btfId: number; readonly arg: number }
  /** Refused: `pointer` when the kernel checks the size (8) before saying why. */
  | { readonly kind: "bad"; readonly message: string; readonly pointer: boolean };

/**
 * The ctx of a program attached through BTF (tp_btf, fentry, fexit, fmod_ret, lsm): the
 * attach function's FUNC_PROTO (`btf_trace_<name>`'s, whose first `void *__data` is not an
 * argument, for tp_btf; `bpf_lsm_<hook>` for lsm), its arguments' u64 slots, and after them
 * the return value for fexit, fmod_ret and lsm programs.
 */
export interface BtfCtx {
  /** The name the kernel's messages give (attach_func_name). */
  readonly func: string;
  /** For each u64 slot, the argument it belongs to (btf_ctx_arg_idx); past them, `beyond`. */
  readonly argOfSlot: readonly number[];
  readonly beyond: number;
  /** Each argument's slot kind, and at index nr_args the return value where it may be read. */
  readonly args: readonly BtfCtxSlot[];
  readonly nrArgs: number;
  /** The return type is void (lsm void hooks: any value; a fexit has no return slot). */
  readonly returnsVoid: boolean;
  /** prog_args_trusted: pointer arguments are PTR_TRUSTED (tp_btf, lsm but its freeing hooks; not fentry/fexit). */
  readonly trusted: boolean;
  /** For a struct_ops program, the kernel struct whose member it implements (`tcp_congestion_ops`). */
  readonly structOps?: string;
}

/** untrusted_lsm_hooks: the hooks that free what their argument points to. */
const UNTRUSTED_LSM_HOOKS = new Set(["bpf_lsm_bpf_map_free_security", "bpf_lsm_bpf_prog_free_security", "bpf_lsm_file_free_security", "bpf_lsm_inode_free_security", "bpf_lsm_sk_free_security", "bpf_lsm_task_free", "bpf_lsm_bdev_free_security"]);

const RETVAL_ATTACH = new Set(["trace_fexit", "modify_return", "lsm_mac", "lsm_cgroup"]);

/** The attach function's FUNC_PROTO, its name and the BTF it is in (vmlinux, else a module's), or why it is not found. */
function attachProto(btfs: Iterable<Btf>, attachType: string, target: string): { btf: Btf; func: string; proto: Extract<BtfType, { kind: "func_proto" }>; skipFirst: boolean } | string {
  const tp = attachType === "trace_raw_tp";
  const name = tp ? target : attachType.startsWith("lsm") ? `bpf_lsm_${target}` : target;
  for (const btf of btfs) {
    if (tp) {
      const td = btf.byName(`btf_trace_${target}`, "typedef")[0];
      const ptr = td ? btf.resolve(td.id) : undefined;
      const proto = ptr?.kind === "ptr" ? btf.resolve(ptr.type) : undefined;
      if (proto?.kind === "func_proto") return { btf, func: name, proto, skipFirst: true };
      continue;
    }
    const fn = btf.byName(name, "func")[0];
    if (!fn || fn.kind !== "func") continue;
    const proto = btf.type(fn.type);
    if (proto.kind !== "func_proto") return `attach_btf_id ${fn.id} is not a function`;
    return { btf, func: name, proto, skipFirst: false };
  }
  return tp ? `The tracepoint ${target} has no BTF typedef btf_trace_${target}` : `The function ${name} has no BTF FUNC in the kernel's BTF`;
}

/**
 * btf_ctx_access's typing of each argument (and the return value) of what a program attaches
 * to, found in vmlinux's BTF or else in a module's (`modules`, asked only then).
 */
export function btfCtxOf(vmlinux: Btf, attachType: string, target: string, modules?: () => Iterable<Btf>): BtfCtx | string {
  const found = attachProto(function* () { yield vmlinux; if (modules) yield* modules(); }(), attachType, target);
  if (typeof found === "string") return found;
  const { btf, func, proto, skipFirst } = found;
  const params = proto.params.filter((p) => p.type !== 0);
  const nullMask = attachType === "trace_raw_tp" ? RAW_TP_NULL_ARGS[target] ?? 0 : 0;
  const args: BtfCtxSlot[] = params.slice(skipFirst ? 1 : 0).map((p, k) => slotKind(btf, func, p.type, k, p.name.endsWith("__nullable") || ((nullMask >> (4 * k)) & 0xf) !== 0));
  const nrArgs = args.length;
  const returnsVoid = btf.resolve(proto.returnType).kind === "void";
  if (RETVAL_ATTACH.has(attachType) && !returnsVoid) args.push(slotKind(btf, func, proto.returnType, nrArgs, false));
  // btf_ctx_arg_idx: a struct passed by value takes as many slots as its size in u64s.
  const argOfSlot: number[] = [];
  params.slice(skipFirst ? 1 : 0).forEach((p, k) => {
    const t = btf.resolve(p.type);
    let size = 8;
    try { size = t.kind === "ptr" ? 8 : Math.max(8, Math.ceil(btf.sizeof(p.type) / 8) * 8); } catch { /* void or a forward declaration: one slot */ }
    for (let s = 0; s < size / 8; s++) argOfSlot.push(k);
  });
  // The slot after the arguments is the return value's (or, for tp_btf, the one `void *__data` shifted).
  if (!returnsVoid || skipFirst) argOfSlot.push(nrArgs);
  const trusted = attachType === "trace_raw_tp" || (attachType.startsWith("lsm") && !UNTRUSTED_LSM_HOOKS.has(func));
  return { func, argOfSlot, beyond: nrArgs + (skipFirst ? 2 : 1), args, nrArgs, returnsVoid, trusted };
}

/**
 * A struct_ops program's ctx: the arguments of the kernel struct's function-pointer member
 * it is the value of (attach_func_proto, the member's FUNC_PROTO; attach_func_name, the
 * member's name), trusted as every struct_ops argument is (prog_args_trusted); no return
 * slot. A string is the kernel's or libbpf's reason to refuse.
 */
export function structOpsCtxOf(vmlinux: Btf, structName: string, member: string): BtfCtx | string {
  const st = vmlinux.byName(structName, "struct")[0];
  if (!st || st.kind !== "struct") return `struct_ops: this kernel has no struct_ops type ${structName}`;
  const m = st.members.find((x) => x.name === member);
  if (!m) return `struct_ops: the kernel's ${structName} has no member ${member}`;
  const ptr = vmlinux.resolve(m.type);
  const proto = ptr.kind === "ptr" ? vmlinux.resolve(ptr.type) : undefined;
  if (!proto || proto.kind !== "func_proto") return `attach to invalid member ${member}(@idx ${st.members.indexOf(m)}) of struct ${structName}`;
  const params = proto.params.filter((p) => p.type !== 0);
  const args: BtfCtxSlot[] = params.map((p, k) => slotKind(vmlinux, member, p.type, k, false));
  // bpf_tcp_ca_is_valid_access: a congestion control's `struct sock *` is read as the tcp_sock it is.
  const tcpSock = structName === "tcp_congestion_ops" ? vmlinux.byName("tcp_sock", "struct")[0] : undefined;
  if (tcpSock) args.forEach((a, k) => { if (a.kind === "ptr" && a.struct === "sock") args[k] = { ...a, struct: "tcp_sock", btfId: tcpSock.id }; });
  const argOfSlot: number[] = [];
  params.forEach((p, k) => {
    const t = vmlinux.resolve(p.type);
    let size = 8;
    try { size = t.kind === "ptr" ? 8 : Math.max(8, Math.ceil(vmlinux.sizeof(p.type) / 8) * 8); } catch { /* one slot */ }
    for (let q = 0; q < size / 8; q++) argOfSlot.push(k);
  });
  const returnsVoid = vmlinux.resolve(proto.returnType).kind === "void";
  return { func: member, argOfSlot, beyond: params.length + 1, args, nrArgs: params.length, returnsVoid, trusted: true, structOps: structName };
}

/** The byte range [start, end) of a member found by its path (through embedded structs at any depth). */
function memberRange(btf: Btf, struct: string, path: readonly string[]): readonly [number, number] | undefined {
  let t: BtfType | undefined = btf.byName(struct, "struct")[0];
  let at = 0;
  for (const name of path) {
    if (!t || (t.kind !== "struct" && t.kind !== "union")) return undefined;
    const find = (s: Extract<BtfType, { kind: "struct" | "union" }>, base: number): [BtfType, number] | undefined => {
      for (const m of s.members) {
        const mt = btf.resolve(m.type);
        if (m.name === name) return [mt, base + Math.floor(m.bitOffset / 8)];
        if (!m.name && (mt.kind === "struct" || mt.kind === "union")) { const r = find(mt, base + Math.floor(m.bitOffset / 8)); if (r) return r; }
      }
      // Embedded first members (tcp_sock holds inet_connection_sock holds inet_sock holds sock).
      const first = s.members[0];
      const ft = first && btf.resolve(first.type);
      return ft && first.bitOffset === 0 && (ft.kind === "struct" || ft.kind === "union") ? find(ft, base) : undefined;
    };
    const r = find(t, at);
    if (!r) return undefined;
    [t, at] = r;
  }
  let size = 0;
  try { size = t ? btf.sizeof(t.id) : 0; } catch { return undefined; }
  return [at, at + size];
}

/** The tcp_sock members a congestion control may write (bpf_tcp_ca_btf_struct_access). */
const TCP_CA_WRITABLE: readonly (readonly string[])[] = [["sk_pacing_rate"], ["sk_pacing_status"], ["icsk_ca_priv"], ["icsk_ack", "pending"], ["snd_cwnd"], ["snd_cwnd_cnt"], ["snd_cwnd_stamp"], ["snd_ssthresh"], ["ecn_flags"], ["app_limited"]];

/**
 * A struct_ops program's write through a BTF pointer (the struct_ops' btf_struct_access): for
 * tcp_congestion_ops, into the members above of a tcp_sock; a message is the kernel's refusal.
 */
export function structOpsWrite(btf: Btf, ops: string | undefined, struct: string, off: number, size: number): string | undefined {
  if (ops !== "tcp_congestion_ops" || struct !== "tcp_sock") return "only read is supported";
  for (const path of TCP_CA_WRITABLE) {
    const r = memberRange(btf, "tcp_sock", path);
    if (!r) continue;
    // icsk_ca_priv is a range (bpf_ctx_range); the others are written from their first byte.
    const hit = path[0] === "icsk_ca_priv" ? off >= r[0] && off < r[1] : off === r[0];
    if (!hit) continue;
    return off + size > r[1] ? `write access at off ${off} with size ${size} beyond the member of tcp_sock ended at ${r[1]}` : undefined;
  }
  return `no write support to tcp_sock at off ${off}`;
}

/** What btf_ctx_access makes of one argument's type: a scalar, a BTF pointer, or a refusal. */
function slotKind(btf: Btf, func: string, typeId: number, arg: number, nullable: boolean): BtfCtxSlot {
  const t = btf.resolve(typeId);
  if ((t.kind === "int" && t.size <= 8) || t.kind === "enum" || t.kind === "struct" || t.kind === "union") return { kind: "scalar", pointer: false };
  if (t.kind !== "ptr") return { kind: "bad", message: `func '${func}' arg${arg} '${t.name ?? ""}' has type ${btfKindName(t)}. Only pointer access is allowed`, pointer: false };
  const to = btf.resolve(t.type);
  // A pointer to void or an int is as good as a number: no walking through it.
  if (to.kind === "void" || to.kind === "int") return { kind: "scalar", pointer: true };
  if (to.kind !== "struct" && to.kind !== "union") return { kind: "bad", message: `func '${func}' arg${arg} type ${btfKindName(to)} is not a struct`, pointer: true };
  return { kind: "ptr", struct: to.name, nullable, btfId: to.id, arg };
}

/** btf_type_str */
export function btfKindName(t: BtfType): string {
  if (t.kind === "enum") return t.enum64 ? "ENUM64" : "ENUM";
  return t.kind === "void" ? "UNKNOWN" : t.kind.toUpperCase();
}

/**
 * The return values an lsm program may give (bpf_lsm_get_retval_range): 0 or 1 for the hooks
 * that return a bool, else 0 or a negative errno, checked on the 32-bit value; a void hook's
 * any. lsm_cgroup programs on void hooks must return 1.
 */
export function lsmReturnRange(ctx: BtfCtx, attachType: string): { min: number; max: number; only32: boolean } | null | undefined {
  if (attachType === "lsm_cgroup") return ctx.returnsVoid ? { min: 1, max: 1, only32: false } : undefined;
  if (ctx.returnsVoid) return null;
  return BOOL_LSM_HOOKS.has(ctx.func) ? { min: 0, max: 1, only32: true } : { min: -4095, max: 0, only32: true };
}

const BOOL_LSM_HOOKS = new Set(["bpf_lsm_xfrm_state_pol_flow_match", "bpf_lsm_audit_rule_known", "bpf_lsm_inode_xattr_skipcap"]);

/**
 * The kernel's BTF_TYPE_SAFE_* lists (verifier.c): members whose pointer keeps its parent's
 * trust when walked from a trusted or RCU pointer, as `struct.member` -> the flag it gets.
 * RCU ones only inside an RCU read section; `_OR_NULL` ones may be NULL. Checked on this
 * kernel through tp_btf logs (binprm->file, file->f_inode trusted; task->cgroups, ->real_parent,
 * ->group_leader, css_set->dfl_cgrp, cgroup->kn RCU; skb->sk RCU or NULL; vma->vm_mm is not listed).
 */
const SAFE_FIELDS: Readonly<Record<string, "trusted" | "trusted_or_null" | "rcu" | "rcu_or_null">> = {
  "task_struct.cpus_ptr": "rcu", "task_struct.cgroups": "rcu", "task_struct.real_parent": "rcu", "task_struct.group_leader": "rcu",
  "cgroup.kn": "rcu", "css_set.dfl_cgrp": "rcu", "cgroup_subsys_state.cgroup": "rcu",
  "mm_struct.exe_file": "rcu_or_null", "sk_buff.sk": "rcu_or_null", "request_sock.sk": "rcu_or_null",
  "bpf_iter_meta.seq": "trusted", "bpf_iter__task.meta": "trusted", "bpf_iter__task.task": "trusted",
  "linux_binprm.file": "trusted", "file.f_inode": "trusted", "dentry.d_inode": "trusted",
};

/** type_is_trusted / type_is_rcu and friends: what walking `struct.field` keeps of the parent's trust. */
export function safeField(struct: string, field: string): "trusted" | "trusted_or_null" | "rcu" | "rcu_or_null" | undefined {
  return SAFE_FIELDS[`${struct}.${field}`];
}

