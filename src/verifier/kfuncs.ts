/**
 * @fileoverview Calls of kernel functions (BPF_PSEUDO_KFUNC_CALL), as check_kfunc_call does
 * them: the FUNC found in the kernel's BTF (by the call's BTF id once relocated, else by the
 * extern's name), each argument checked by its BTF type (scalars, `__k` constants, memory
 * with a `__sz` size after it, the ctx, kernel struct pointers, iterators on the stack), the
 * return value typed from the prototype, and the flags of the well-known kfuncs (KF_ACQUIRE,
 * KF_RELEASE, KF_RET_NULL...), which the kernel keeps only in its source.
 */

import type { Btf, BtfType } from "../btf/types.js";
import { typesCompat } from "../btf/core.js";
import { KFUNC_PROBED_TYPES, KFUNC_TYPES } from "./kfunc-sets.js";
import type { Instruction } from "../isa/instruction.js";
import { acquireReference, lockKey, releaseReference } from "./calls.js";
import { convertToNonOwning, LIST_KFUNCS, type ListHead, listHeadArg, listNodeArg, listPopResult } from "./graph.js";
import { checkCtxOff, checkHelperMem } from "./memory.js";
import { isLocalObj, LOCAL_PREFIX, localHasRefcount, localStruct, PERCPU_PREFIX } from "./kptr.js";
import { typeName } from "./log.js";
import { iterArg, iterNext, iterStructOf } from "./iterators.js";
import { dynptrArg, type DynptrInfo } from "./dynptr.js";
import { PKT_WRITE_TYPES } from "./env.js";
import { markPrecise } from "./prune.js";
import { constValue, isConst, scalarUnknown } from "./scalar.js";
import { BTF_PTR_RCU, BTF_PTR_TRUSTED, BTF_PTR_UNTRUSTED, type Reg, SCALAR_UNKNOWN, setNotInit, setPointer, setScalar } from "./state.js";
import type { Walker } from "./walker.js";
import { Reject, type VerifierEnv } from "./env.js";

/** The kfunc flags of include/linux/btf.h that the verifier acts on here. */
export const KF_ACQUIRE = 1 << 0;
export const KF_RELEASE = 1 << 1;
export const KF_RET_NULL = 1 << 2;
export const KF_TRUSTED_ARGS = 1 << 4;
export const KF_SLEEPABLE = 1 << 5;
export const KF_DESTRUCTIVE = 1 << 6;
export const KF_RCU = 1 << 7;
export const KF_ITER_NEW = 1 << 8;
export const KF_ITER_NEXT = 1 << 9;
export const KF_ITER_DESTROY = 1 << 10;
export const KF_RCU_PROTECTED = 1 << 11;

const ITER_NEW = KF_ITER_NEW;
const ITER_NEXT = KF_ITER_NEXT | KF_RET_NULL;
const ITER_DESTROY = KF_ITER_DESTROY;

/**
 * The flags of well-known kfuncs, as their BTF_ID_FLAGS in the kernel's source give them
 * (kernel/bpf/helpers.c, task_iter.c, cgroup_iter.c, bpf_iter.c, fs/bpf_fs_kfuncs.c). A
 * kfunc not listed is checked by its prototype alone: no reference, no NULL return.
 */
const KFUNC_FLAGS: Readonly<Record<string, number>> = {
  bpf_task_acquire: KF_ACQUIRE | KF_RCU | KF_RET_NULL,
  bpf_task_release: KF_RELEASE,
  bpf_task_from_pid: KF_ACQUIRE | KF_RET_NULL,
  bpf_task_from_vpid: KF_ACQUIRE | KF_RET_NULL,
  bpf_task_get_cgroup1: KF_ACQUIRE | KF_RCU | KF_RET_NULL,
  bpf_task_under_cgroup: KF_RCU,
  bpf_cgroup_acquire: KF_ACQUIRE | KF_RCU | KF_RET_NULL,
  bpf_cgroup_release: KF_RELEASE,
  bpf_cgroup_ancestor: KF_ACQUIRE | KF_RCU | KF_RET_NULL,
  bpf_cgroup_from_id: KF_ACQUIRE | KF_RET_NULL,
  bpf_obj_new_impl: KF_ACQUIRE | KF_RET_NULL,
  bpf_percpu_obj_new_impl: KF_ACQUIRE | KF_RET_NULL,
  bpf_obj_drop_impl: KF_RELEASE,
  bpf_percpu_obj_drop_impl: KF_RELEASE,
  bpf_cpumask_create: KF_ACQUIRE | KF_RET_NULL,
  bpf_cpumask_acquire: KF_ACQUIRE | KF_TRUSTED_ARGS,
  bpf_cpumask_release: KF_RELEASE,
  bpf_get_task_exe_file: KF_ACQUIRE | KF_TRUSTED_ARGS | KF_RET_NULL,
  bpf_put_file: KF_RELEASE,
  bpf_get_file_xattr: KF_SLEEPABLE | KF_TRUSTED_ARGS,
  bpf_path_d_path: KF_TRUSTED_ARGS,
  bpf_iter_num_new: ITER_NEW,
  bpf_iter_num_next: ITER_NEXT,
  bpf_iter_num_destroy: ITER_DESTROY,
  bpf_iter_bits_new: ITER_NEW,
  bpf_iter_bits_next: ITER_NEXT,
  bpf_iter_bits_destroy: ITER_DESTROY,
  bpf_iter_task_new: ITER_NEW | KF_TRUSTED_ARGS | KF_RCU_PROTECTED,
  bpf_iter_task_next: ITER_NEXT,
  bpf_iter_task_destroy: ITER_DESTROY,
  bpf_iter_css_new: ITER_NEW | KF_TRUSTED_ARGS | KF_RCU_PROTECTED,
  bpf_iter_css_next: ITER_NEXT,
  bpf_iter_css_destroy: ITER_DESTROY,
  bpf_iter_css_task_new: ITER_NEW | KF_TRUSTED_ARGS,
  bpf_iter_css_task_next: ITER_NEXT,
  bpf_iter_css_task_destroy: ITER_DESTROY,
  bpf_iter_task_vma_new: ITER_NEW | KF_TRUSTED_ARGS | KF_RCU,
  bpf_iter_task_vma_next: ITER_NEXT,
  bpf_iter_task_vma_destroy: ITER_DESTROY,
  bpf_rcu_read_lock: 0,
  bpf_rcu_read_unlock: 0,
  bpf_cast_to_kern_ctx: 0,
  bpf_rdonly_cast: 0,
  bpf_dynptr_slice: KF_RET_NULL,
  bpf_dynptr_slice_rdwr: KF_RET_NULL,
  bpf_dynptr_from_skb: KF_TRUSTED_ARGS,
  bpf_dynptr_from_xdp: 0,
  bpf_preempt_disable: 0,
  bpf_preempt_enable: 0,
  bpf_arena_alloc_pages: KF_TRUSTED_ARGS | KF_SLEEPABLE,
  bpf_arena_free_pages: KF_TRUSTED_ARGS | KF_SLEEPABLE,
  bpf_refcount_acquire_impl: KF_ACQUIRE | KF_RET_NULL | KF_RCU,
  bpf_list_push_front_impl: 0,
  bpf_list_push_back_impl: 0,
  bpf_list_pop_front: KF_ACQUIRE | KF_RET_NULL,
  bpf_list_pop_back: KF_ACQUIRE | KF_RET_NULL,
  // net/bpf/test_run.c's and bpf_testmod's, which the selftests keep in kptrs.
  bpf_kfunc_call_test_release: KF_RELEASE,
  bpf_kfunc_call_memb_release: KF_RELEASE,
  bpf_kfunc_call_test_acquire: KF_ACQUIRE | KF_RET_NULL,
  bpf_kfunc_call_test_ref: KF_TRUSTED_ARGS | KF_RCU,
};

/** Each program type's ctx struct as programs see it (bpf_types.h), for kfunc ctx arguments (btf_is_prog_ctx_type). */
const UAPI_CTX: Readonly<Record<string, string>> = {
  socket_filter: "__sk_buff", sched_cls: "__sk_buff", sched_act: "__sk_buff", cgroup_skb: "__sk_buff", sk_skb: "__sk_buff",
  lwt_in: "__sk_buff", lwt_out: "__sk_buff", lwt_xmit: "__sk_buff", lwt_seg6local: "__sk_buff", flow_dissector: "__sk_buff",
  xdp: "xdp_md", cgroup_sock: "bpf_sock", sock_ops: "bpf_sock_ops", sk_msg: "sk_msg_md", kprobe: "pt_regs",
  perf_event: "bpf_perf_event_data", raw_tracepoint: "bpf_raw_tracepoint_args", raw_tracepoint_writable: "bpf_raw_tracepoint_args",
  cgroup_sock_addr: "bpf_sock_addr", sk_reuseport: "sk_reuseport_md", sk_lookup: "bpf_sk_lookup", cgroup_sysctl: "bpf_sysctl",
  cgroup_sockopt: "bpf_sockopt", netfilter: "bpf_nf_ctx",
};

/** The kernel's own struct behind each program type's ctx (bpf_types.h), for bpf_cast_to_kern_ctx. */
const KERN_CTX: Readonly<Record<string, string>> = {
  socket_filter: "sk_buff", sched_cls: "sk_buff", sched_act: "sk_buff", cgroup_skb: "sk_buff", sk_skb: "sk_buff",
  lwt_in: "sk_buff", lwt_out: "sk_buff", lwt_xmit: "sk_buff", lwt_seg6local: "sk_buff", xdp: "xdp_buff",
  cgroup_sock: "sock", sock_ops: "bpf_sock_ops_kern", sk_msg: "sk_msg", kprobe: "pt_regs",
  perf_event: "bpf_perf_event_data_kern", cgroup_sock_addr: "bpf_sock_addr_kern", flow_dissector: "bpf_flow_dissector",
  sk_reuseport: "sk_reuseport_kern", sk_lookup: "bpf_sk_lookup_kern", cgroup_sysctl: "bpf_sysctl_kern", cgroup_sockopt: "bpf_sockopt_kern",
};

/** The kfuncs whose flags this module knows (scripts/gen-kfunc-sets.ts asks the kernel who may call them). */
export const WELL_KNOWN_KFUNCS: readonly string[] = Object.keys(KFUNC_FLAGS);

/** A kfunc as the call names it: its FUNC, its FUNC_PROTO and the BTF they come from. */
export interface Kfunc {
  readonly name: string;
  readonly btf: Btf;
  readonly proto: Extract<BtfType, { kind: "func_proto" }>;
  readonly flags: number;
  /** The FUNC's id in its BTF, which the kernel's log prints after the name. */
  readonly id: number;
}

/** XDP_METADATA_KFUNC_xxx (include/net/xdp.h): the kfuncs a device's driver implements. */
const DEV_BOUND_KFUNCS = new Set(["bpf_xdp_metadata_rx_timestamp", "bpf_xdp_metadata_rx_hash", "bpf_xdp_metadata_rx_vlan_tag"]);

/**
 * The kfunc a call names: by BTF id in the kernel's BTF when the call was relocated (off 0
 * is vmlinux), else by the extern's name, in the kernel's BTF or, without it, in the
 * object's own declaration of it. A string is the kernel's reason to refuse the call.
 */
export function resolveKfunc(env: VerifierEnv, i: Instruction, t: number): Kfunc | string {
  const kb = env.kernelBtf;
  let func: BtfType | undefined;
  let btf: Btf | undefined;
  if (kb && i.imm > 0 && i.off === 0) {
    func = i.imm < kb.types.length ? kb.types[i.imm] : undefined;
    if (!func || func.kind !== "func") return `kernel btf_id ${i.imm} is not a function`;
    btf = kb;
  } else {
    // By its essential name (`bpf_foo___v2` is `bpf_foo`), as libbpf resolves it.
    const declared = env.kfuncAt?.get(t);
    const name = declared?.replace(/___.*$/, "");
    if (!declared || !name) return `calling kernel function ${i.imm} is not allowed`;
    if (kb) {
      // vmlinux, then the modules (a module's kfunc is called with its BTF's fd index in `off`).
      for (const b of [kb, ...(env.moduleBtfs?.() ?? [])]) {
        func = b.byName(name, "func")[0];
        if (func) { btf = b; break; }
      }
    } else if (name in KFUNC_FLAGS && env.objectBtf) {
      // Without the kernel's BTF, only a well-known kfunc is taken at its declaration's word.
      func = env.objectBtf.byName(declared, "func")[0];
      btf = env.objectBtf;
    }
    // libbpf stops at an extern the kernel has not; without the kernel's BTF the verifier cannot judge the call.
    if (!func || !btf) return kb ? `extern (func ksym) '${declared}': not found in kernel or module BTFs` : `calling kernel function ${name} is not allowed (no kernel BTF to find its prototype in)`;
    // libbpf refuses an extern whose prototype is not compatible with the kernel's (bpf_core_types_are_compat).
    const local = env.objectBtf?.byName(declared, "func")[0];
    if (kb && local?.kind === "func" && func.kind === "func" && btf !== env.objectBtf && !typesCompat(env.objectBtf!, local.type, btf, func.type)) {
      return `extern (func ksym) '${declared}': func_proto [${local.type}] incompatible with vmlinux [${func.type}]`;
    }
  }
  if (func.kind !== "func") return `kernel btf_id ${i.imm} is not a function`;
  const proto = btf.type(func.type);
  if (proto.kind !== "func_proto") return `kernel function btf_id ${func.id} does not have a valid func_proto`;
  const name = func.name.replace(/___.*$/, "");
  // add_kfunc_call: the XDP metadata kfuncs (bpf_dev_bound_kfunc_id) need a program bound to
  // a device (prog_ifindex with BPF_F_XDP_DEV_BOUND_ONLY), which tsbpf's programs never are.
  if (DEV_BOUND_KFUNCS.has(name)) return `metadata kfuncs require device-bound program`;
  return { name, btf, proto, flags: KFUNC_FLAGS[name] ?? 0, id: func.id };
}

/** The name of the kfunc a call names, if it can be told (for the front end's prune points). */
export function kfuncName(env: VerifierEnv, i: Instruction, t: number): string | undefined {
  const k = resolveKfunc(env, i, t);
  return typeof k === "string" ? undefined : k.name;
}

/** A kfunc call as the kernel's log prints it (`(85) call bpf_iter_num_new#64177`), when it can be named. */
export function kfuncCallText(env: VerifierEnv, i: Instruction, t: number): string | undefined {
  if (i.opcode !== 0x85 || i.src !== 2) return undefined;
  // print_bpf_insn names it with its BTF id (the relocated imm, or the id the call resolves to by name).
  const k = resolveKfunc(env, i, t);
  return typeof k === "string" ? undefined : `(85) call ${k.name}#${i.imm > 0 || k.btf === env.objectBtf ? i.imm : k.id}`;
}

const isIterNextName = (name: string): boolean => (KFUNC_FLAGS[name] ?? 0) & KF_ITER_NEXT ? true : /^bpf_iter_\w+_next$/.test(name);

/** is_iter_next_insn: such calls are prune points and forced checkpoints. */
export function isIterNextCall(env: VerifierEnv, i: Instruction, t: number): boolean {
  const name = kfuncName(env, i, t);
  return !!name && isIterNextName(name);
}

/** What the arguments told about the call (bpf_kfunc_call_arg_meta). */
interface KfuncMeta {
  /** The reference a KF_RELEASE kfunc ends (or an iterator's, for its next and destroy). */
  refObjId: number;
  releaseRegno: number;
  /** The iterator's stack slot (frame, slot index), for next. */
  iter: { frameno: number; slot: number } | undefined;
  /** r0's type id for bpf_rdonly_cast / bpf_obj_new (a constant argument). */
  typeId: number;
  /** A `__szk` constant size argument (arg_constant): the size of a dynptr slice. */
  constSize: number;
  /** The initialised dynptr an argument names (initialized_dynptr): slices and clones take after it. */
  dynptr: DynptrInfo | undefined;
  /** The local object's struct bpf_refcount_acquire was given (meta.arg_btf_id): r0's. */
  localStruct: string;
  /** That object is an owning reference (meta.arg_owning_ref): the new one is not NULL. */
  owningRef: boolean;
  /** The list head argument (meta.arg_list_head). */
  listHead: ListHead | undefined;
  /** The reference of the node a push hands to the list. */
  pushedRef: number;
}

export function checkKfuncCall(w: Walker, i: Instruction, t: number): number {
  const k = resolveKfunc(w.env, i, t);
  if (typeof k === "string") w.reject(k);
  if (!w.env.gpl) w.reject("cannot call kernel function from non-GPL compatible program");
  if (!w.env.privileged) w.reject("loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN");
  const { name, flags } = k;
  // The kernel's kfunc id sets: a type that may not call it is refused before its arguments.
  const types = KFUNC_TYPES[name];
  if (types && KFUNC_PROBED_TYPES.includes(w.env.type) && !types.includes(w.env.type)) w.reject(`calling kernel function ${name} is not allowed`);
  if (flags & KF_SLEEPABLE && !w.env.sleepable) w.reject(`program must be sleepable to call sleepable kfunc ${name}`);
  if (flags & KF_DESTRUCTIVE && !w.env.privileged) w.reject("calling kernel function with KF_DESTRUCTIVE flag is not allowed");
  // kfunc_spin_allowed: the graph API (lists here) and rcu_read_(un)lock.
  if (w.cur.activeLock && name !== "bpf_rcu_read_lock" && name !== "bpf_rcu_read_unlock" && !LIST_KFUNCS.has(name) && name !== "bpf_refcount_acquire_impl") w.reject("function calls are not allowed while holding a lock");
  if (name === "bpf_rcu_read_lock") {
    if (w.cur.rcuLock) w.reject(`nested rcu read lock (kernel function ${name})`);
    w.cur.rcuLock = 1;
  } else if (name === "bpf_rcu_read_unlock") {
    if (!w.cur.rcuLock) w.reject(`unmatched rcu read unlock (kernel function ${name})`);
    w.cur.rcuLock = 0;
    // MEM_RCU pointers become PTR_UNTRUSTED once the section ends.
    for (const f of w.cur.frames) {
      for (const r of f.regs) if (r.type === "ptr_" && r.range & BTF_PTR_RCU) { r.range = BTF_PTR_UNTRUSTED; r.maybeNull = false; }
      for (const sl of f.stack) if (sl.spilled?.type === "ptr_" && sl.spilled.range & BTF_PTR_RCU) { sl.spilled.range = BTF_PTR_UNTRUSTED; sl.spilled.maybeNull = false; }
    }
  } else if (flags & KF_SLEEPABLE && w.cur.rcuLock) {
    w.reject(`kernel func ${name} is sleepable within rcu_read_lock region`);
  }
  // check_kfunc_call: bpf_preempt_disable sections nest; nothing sleeps inside one.
  if (name === "bpf_preempt_disable") w.cur.preemptLock++;
  else if (name === "bpf_preempt_enable") {
    if (!w.cur.preemptLock) w.reject(`unmatched attempt to enable preemption (kernel function ${name})`);
    w.cur.preemptLock--;
  } else if (flags & KF_SLEEPABLE && w.cur.preemptLock) w.reject(`kernel func ${name} is sleepable within non-preemptible region`);
  if (name === "bpf_cast_to_kern_ctx") return castToKernCtx(w, t);
  const params = k.proto.params;
  if (params.length > 5) w.reject(`Function ${name} has ${params.length} > 5 args`);
  const meta: KfuncMeta = { refObjId: 0, releaseRegno: 0, iter: undefined, typeId: 0, constSize: 0, dynptr: undefined, localStruct: "", owningRef: false, listHead: undefined, pushedRef: 0 };
  for (let a = 0; a < params.length; a++) a = checkArg(w, k, a, meta, t);
  if (flags & KF_RELEASE && !meta.releaseRegno) w.reject(`release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
  if (meta.releaseRegno) releaseReference(w, meta.refObjId);
  // A pushed node's reference is the list's now; the program keeps a non-owning one.
  if (meta.pushedRef) {
    convertToNonOwning(w, meta.pushedRef);
    releaseReference(w, meta.pushedRef);
  }
  for (let r = 1; r <= 5; r++) setNotInit(w.reg(r));
  setReturn(w, k, meta, t);
  if (flags & KF_ITER_NEXT && meta.iter) iterNext(w, meta.iter, t);
  return t + 1;
}

/** bpf_cast_to_kern_ctx: the program's ctx as the kernel's struct behind it, a trusted BTF pointer. */
function castToKernCtx(w: Walker, t: number): number {
  const r1 = w.readReg(1);
  if (r1.type !== "ctx") w.reject(`arg#0 expected pointer to ctx, but got ${r1.type}`);
  const kern = KERN_CTX[w.env.type];
  if (!kern) w.reject("kern ctx type id not found");
  for (let r = 1; r <= 5; r++) setNotInit(w.reg(r));
  setPointer(w.reg(0), "ptr_");
  w.reg(0).btfType = kern;
  w.reg(0).range = BTF_PTR_TRUSTED;
  return t + 1;
}

/** One argument of a kfunc; returns the index of the last parameter it used (a size pair uses two). */
function checkArg(w: Walker, k: Kfunc, a: number, meta: KfuncMeta, t: number): number {
  const { btf, name } = k;
  const p = k.proto.params[a]!;
  const regno = a + 1;
  const r = w.readReg(regno);
  const type = btf.resolve(p.type);
  if (type.kind === "int" || type.kind === "enum") {
    if (r.type !== "scalar") w.reject(`R${regno} is not a scalar`);
    if (p.name.endsWith("__k") || (name === "bpf_rdonly_cast" && a === 1) || (/^bpf_(percpu_)?obj_new_impl$/.test(name) && a === 0)) {
      if (!isConst(r.s)) w.reject(`R${regno} must be a known constant`);
      markPrecise(w, regno);
      if (name === "bpf_rdonly_cast" || /obj_new_impl$/.test(name)) meta.typeId = Number(constValue(r.s)!);
      // bpf_obj_new's type: a struct of the program's BTF, by a 32-bit id (check_kfunc_call).
      if (/obj_new_impl$/.test(name)) {
        if (BigInt.asUintN(32, constValue(r.s)!) !== constValue(r.s)!) w.reject("local type ID argument must be in range [0, U32_MAX]");
        const own = w.env.objectBtf;
        if (!own) w.reject("bpf_obj_new/bpf_percpu_obj_new requires prog BTF");
        const id = Number(constValue(r.s)!);
        if (id <= 0 || id >= own.types.length || own.type(id).kind !== "struct") w.reject("bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct");
      }
    }
    return a;
  }
  if (type.kind !== "ptr") w.reject(`Unrecognized arg#${a} type ${kindStr(type)}`);
  // __ign: not checked at all; __prog: the verifier fills it in.
  if (p.name.endsWith("__ign") || p.name.endsWith("__prog") || p.name.endsWith("__aux")) return a;
  // KF_ARG_PTR_TO_MAP: a map (ld_imm64 of one), or a BTF pointer to a struct bpf_map, which
  // is then checked as KF_ARG_PTR_TO_BTF_ID (a bpf_map iterator's ctx->map, trusted where asked).
  const toMap = p.name.endsWith("__map");
  if (toMap && r.type === "map_ptr") return a;
  if (toMap && r.type !== "ptr_") w.reject(`arg#${a} expected pointer to map, but got ${r.type}`);
  if (p.name.endsWith("__str")) {
    // KF_ARG_PTR_TO_CONST_STR: a string in a frozen read-only map.
    if (r.type !== "map_value") w.reject(`R${regno} doesn't point to a const string`);
    if (!(r.map && r.map.flags & 0x80)) w.reject(`R${regno} does not point to a readonly map'`);
    return a;
  }
  const nullable = p.name.endsWith("__nullable") || p.name.endsWith("__opt");
  const isNull = r.type === "scalar" && isConst(r.s) && constValue(r.s)! === 0n;
  if (r.type !== "scalar" && r.refObjId) {
    meta.refObjId = r.refObjId;
    if (k.flags & KF_RELEASE) meta.releaseRegno = regno;
  }
  if (p.name.endsWith("__refcounted_kptr")) {
    // KF_ARG_PTR_TO_REFCOUNTED_KPTR: a local object (owning, or RCU) whose struct has a bpf_refcount.
    if (isNull || r.maybeNull) w.reject(`Possibly NULL pointer passed to trusted arg${a}`);
    if (!isLocalObj(r) || r.btfType.startsWith(PERCPU_PREFIX)) w.reject(`arg#${a} is neither owning or non-owning ref`);
    if (!localHasRefcount(w, localStruct(r))) w.reject(`arg#${a} doesn't point to a type with bpf_refcount field`);
    meta.localStruct = localStruct(r);
    meta.owningRef = r.refObjId !== 0;
    sameCallType(w, t, meta.localStruct);
    return a;
  }
  if (p.name.endsWith("__alloc")) {
    // KF_ARG_PTR_TO_ALLOC_BTF_ID: an object from bpf_obj_new, which the call releases.
    if (isLocalObj(r) && r.off !== 0) w.reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    if (!isLocalObj(r) || !r.refObjId) w.reject(`arg#${a} expected pointer to allocated object`);
    // bpf_obj_drop takes a plain local object, bpf_percpu_obj_drop a per-CPU one.
    const percpu = r.btfType.startsWith(PERCPU_PREFIX);
    if (name === "bpf_obj_drop_impl" && percpu) w.reject(`arg#${a} expected for bpf_obj_drop_impl()`);
    if (name === "bpf_percpu_obj_drop_impl" && !percpu) w.reject(`arg#${a} expected for bpf_percpu_obj_drop_impl()`);
    sameCallType(w, t, localStruct(r));
    return a;
  }
  const pointee = toMap ? (w.env.kernelBtf?.byName("bpf_map", "struct")[0] ?? btf.resolve(type.type)) : btf.resolve(type.type);
  const pointeeName = "name" in pointee ? pointee.name : "";
  // KF_ARG_PTR_TO_LIST_HEAD / KF_ARG_PTR_TO_LIST_NODE.
  if (pointeeName === "bpf_list_head") {
    meta.listHead = listHeadArg(w, a, regno, r, lockKey);
    return a;
  }
  if (pointeeName === "bpf_list_node") {
    if (!meta.listHead) w.reject(`arg#${a} bpf_list_node without its bpf_list_head`);
    listNodeArg(w, a, regno, r, meta.listHead);
    meta.pushedRef = r.refObjId;
    return a;
  }
  // KF_ARG_PTR_TO_ITER: the iterator's state lives on the stack.
  if (iterStructOf(btf, type.type)) {
    iterArg(w, k, regno, r, iterStructOf(btf, type.type)!, meta, t);
    return a;
  }
  // KF_ARG_PTR_TO_NULL, but for memory with a size after it (whose size still counts).
  const szNext = k.proto.params[a + 1];
  if (nullable && isNull && !(szNext && (szNext.name.endsWith("__sz") || szNext.name.endsWith("__szk")))) return a;
  // is_kfunc_trusted_args: a release kfunc's arguments are trusted ones too.
  if ((k.flags & (KF_TRUSTED_ARGS | KF_RCU | KF_RELEASE)) && (isNull || r.maybeNull)) w.reject(`Possibly NULL pointer passed to trusted arg${a}`);
  // btf_is_prog_ctx_type: the program type's uapi ctx only (a kernel ctx such as
  // bpf_sock_addr_kern, from bpf_cast_to_kern_ctx, is a BTF pointer argument).
  if (pointeeName && pointeeName === UAPI_CTX[w.env.type]) {
    // KF_ARG_PTR_TO_CTX
    if (r.type !== "ctx") w.reject(`arg#${a} expected pointer to ctx, but got ${typeName(r)}`);
    checkCtxOff(w, regno, r);
    return a;
  }
  if (pointeeName === "bpf_dynptr" || pointeeName === "bpf_dynptr_kern") {
    // KF_ARG_PTR_TO_DYNPTR: `__uninit` ones are made by the call, of the type the kfunc makes
    // (a clone of its parent's, with the parent's reference); the others must be initialised.
    const uninit = p.name.endsWith("__uninit");
    const type = name === "bpf_dynptr_from_skb" ? "skb" : name === "bpf_dynptr_from_xdp" ? "xdp" : uninit && name === "bpf_dynptr_clone" ? meta.dynptr?.type : undefined;
    if (uninit && name === "bpf_dynptr_clone" && !meta.dynptr) w.reject("verifier internal error: no dynptr type for parent of clone");
    const info = dynptrArg(w, regno, r, { type: uninit ? type ?? "local" : undefined, uninit, rdonly: r.type === "dynptr_ptr" }, t, uninit && name === "bpf_dynptr_clone" ? meta.dynptr!.refObjId : 0);
    if (info) meta.dynptr = info;
    return a;
  }
  // KF_ARG_PTR_TO_BTF_ID: a kernel pointer of the struct the prototype names.
  if (r.type === "ptr_" || r.type === "sock" || r.type === "sock_common" || r.type === "tcp_sock") {
    if (pointee.kind !== "struct" && pointee.kind !== "union") w.reject(`kernel function ${name} args#${a} pointer type ${kindStr(pointee)} ${pointeeName} is not supported`);
    if (r.maybeNull && !nullable) w.reject(`arg#${a} pointer type STRUCT ${pointeeName} must not be NULL`);
    // KF_TRUSTED_ARGS / KF_RCU: a referenced or trusted pointer (is_trusted_reg), or for KF_RCU an RCU one.
    if (r.type === "ptr_" && k.flags & (KF_TRUSTED_ARGS | KF_RCU | KF_RELEASE) && !r.refObjId && !(r.range & BTF_PTR_TRUSTED)) {
      if (!(k.flags & KF_RCU)) w.reject(`R${regno} must be referenced or trusted`);
      if (!(r.range & BTF_PTR_RCU)) w.reject(`R${regno} must be a rcu pointer`);
    }
    if (r.type === "ptr_" && r.range & BTF_PTR_UNTRUSTED) w.reject(`arg#${a} is ${typeName(r)} expected ptr_ or socket`);
    // check_func_arg_reg_off: a fixed offset (a member of the struct) only where nothing is released or trusted.
    if (r.type === "ptr_" && r.off !== 0 && (k.flags & (KF_RELEASE | KF_TRUSTED_ARGS | KF_RCU) || meta.releaseRegno === regno)) w.reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    // btf_is_projection_of: a kfunc taking `__sk_buff *` or `xdp_md *` takes the kernel struct behind it.
    const projection = (pointeeName === "__sk_buff" && r.btfType === "sk_buff") || (pointeeName === "xdp_md" && r.btfType === "xdp_buff");
    if (r.type === "ptr_" && r.off === 0 && r.btfType && r.btfType !== pointeeName && r.btfType !== "ksym" && !projection && !embeds(w.env.kernelBtf ?? btf, r.btfType, pointeeName)) {
      w.reject(`kernel function ${name} args#${a} expected pointer to STRUCT ${pointeeName} but R${regno} has a pointer to STRUCT ${r.btfType}`);
    }
    return a;
  }
  if ((pointee.kind === "struct" || pointee.kind === "union") && !scalarStruct(btf, pointee, 0)) w.reject(`arg#${a} pointer type ${kindStr(pointee)} ${pointeeName} must point to scalar, or struct with scalar`);
  // KF_ARG_PTR_TO_MEM(_SIZE): memory the helper rules check, of the pointee's size or of the size argument after it.
  const next = k.proto.params[a + 1];
  const sizeArg = next && (next.name.endsWith("__sz") || next.name.endsWith("__szk"));
  if (sizeArg) {
    const sz = w.readReg(regno + 1);
    if (!(nullable && isNull)) {
      // check_kfunc_mem_size_reg: the memory for the size's whole range, read, then written (a
      // kfunc may write what it is given, so .rodata and read-only memory are refused, and stack
      // bytes become unknown); whatever fails, the kernel's last line names the pair.
      memLenPair(a, () => {
        if (sz.type !== "scalar") w.reject(`R${regno + 1} is not a scalar`);
        if (sz.s.smin < 0n) w.reject(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
        if (sz.s.umax >= 1n << 29n) w.reject(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        if (r.type === "scalar") w.reject(`R${regno} type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
        checkHelperMem(w, regno, r, Number(sz.s.umax), false, true);
        checkHelperMem(w, regno, r, Number(sz.s.umax), true, true);
      });
      markPrecise(w, regno + 1);
    }
    if (next.name.endsWith("__szk")) {
      if (sz.type !== "scalar" || !isConst(sz.s)) w.reject(`R${regno + 1} must be a known constant`);
      markPrecise(w, regno + 1);
      meta.constSize = Number(constValue(sz.s)!);
    }
    return a + 1;
  }
  // A `void *` with no size is none of the kinds the kernel checks (get_kfunc_ptr_arg_type).
  if (pointee.kind === "void") w.reject(`arg#${a} pointer type UNKNOWN  must point to scalar, or struct with scalar`);
  let size = 0;
  try { size = btf.sizeof(type.type); } catch { w.reject(`arg#${a} reference type('${kindStr(pointee)} ${pointeeName}') size cannot be determined: -22`); }
  if (r.type === "scalar") w.reject(`R${regno} type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
  // check_mem_reg: read, then written, as above.
  checkHelperMem(w, regno, r, size, false, false);
  checkHelperMem(w, regno, r, size, true, false);
  return a;
}

/**
 * The kernel rewrites a call that drops or re-references a local object for its struct: one
 * call instruction serves one struct (a compiler may merge two drops into one call).
 */
function sameCallType(w: Walker, t: number, struct: string): void {
  const prev = w.localTypeAt.get(t);
  if (prev === undefined) w.localTypeAt.set(t, struct);
  else if (prev !== struct) w.reject("same call cannot be used with different types");
}

/** __btf_type_is_scalar_struct: every member a number, an array of numbers, or such a struct (3 deep). */
function scalarStruct(btf: Btf, t: BtfType, rec: number): boolean {
  // __btf_type_is_scalar_struct: a struct or union whose members are scalars, arrays of
  // scalars with elements, or such structs and unions nested at most three deep.
  if (t.kind !== "struct" && t.kind !== "union") return false;
  return t.members.every((m) => {
    const mt = btf.resolve(m.type);
    if (mt.kind === "struct" || mt.kind === "union") return rec < 3 && scalarStruct(btf, mt, rec + 1);
    if (mt.kind === "array") {
      if (mt.nelems === 0) return false;
      const et = btf.resolve(mt.type);
      return et.kind === "int" || et.kind === "enum";
    }
    return mt.kind === "int" || mt.kind === "enum" || mt.kind === "float";
  });
}

/** check_kfunc_args: a memory and size pair's failure ends with the pair named (its cause on the line before). */
function memLenPair(a: number, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    throw new Reject(e.insn, `arg#${a} arg#${a + 1} memory, len pair leads to invalid memory access`, [...e.detail, e.message]);
  }
}

/** Whether struct `inner` is the first member of `outer` (btf_struct_ids_match's walk at offset 0). */
function embeds(btf: Btf, outer: string, inner: string): boolean {
  let s = btf.byName(outer).find((x) => x.kind === "struct");
  for (let d = 0; s && s.kind === "struct" && d < 8; d++) {
    const m = s.members[0];
    if (!m || m.bitOffset !== 0) return false;
    const t = btf.resolve(m.type);
    if ((t.kind === "struct" || t.kind === "union") && t.name === inner) return true;
    s = t;
  }
  return false;
}

/** btf_type_str */
function kindStr(t: BtfType): string {
  const names: Record<string, string> = { void: "UNKNOWN", int: "INT", ptr: "PTR", array: "ARRAY", struct: "STRUCT", union: "UNION", enum: "ENUM", fwd: "FWD", typedef: "TYPEDEF", volatile: "VOLATILE", const: "CONST", restrict: "RESTRICT", func: "FUNC", func_proto: "FUNC_PROTO", var: "VAR", datasec: "DATASEC", float: "FLOAT", decl_tag: "DECL_TAG", type_tag: "TYPE_TAG" };
  return t.kind === "enum" && t.enum64 ? "ENUM64" : names[t.kind] ?? "UNKNOWN";
}
export { kindStr as btfKindStr };

/** r0 from the prototype's return type, with KF_RET_NULL and KF_ACQUIRE. */
function setReturn(w: Walker, k: Kfunc, meta: KfuncMeta, t: number): void {
  const r0 = w.reg(0);
  const { btf, name, flags } = k;
  const ret = btf.resolve(k.proto.returnType);
  if (ret.kind === "void") { setNotInit(r0); return; }
  if (ret.kind !== "ptr") { setScalar(r0, scalarUnknown()); return; }
  const pointee = btf.resolve(ret.type);
  if (name === "bpf_rdonly_cast" || /obj_new_impl$/.test(name)) {
    // The type is the constant argument's: a kernel type for rdonly_cast, the program's own for obj_new.
    const tb = name === "bpf_rdonly_cast" ? w.env.kernelBtf : w.env.objectBtf;
    // An id left for CO-RE to resolve names the kernel's struct of the same name.
    const pending = name === "bpf_rdonly_cast" ? w.env.pendingTypeIds?.get(meta.typeId) : undefined;
    const target = pending && tb ? tb.byName(pending).find((x) => x.kind === "struct" || x.kind === "union")
      : tb && meta.typeId > 0 && meta.typeId < tb.types.length ? tb.resolve(meta.typeId) : undefined;
    if (target && (target.kind === "struct" || target.kind === "union") && name === "bpf_rdonly_cast") {
      setPointer(r0, "ptr_");
      r0.btfType = target.name;
      r0.range = BTF_PTR_UNTRUSTED;
    } else if (target && target.kind === "struct") {
      // PTR_TO_BTF_ID | MEM_ALLOC of the program's own struct (a per-CPU one is not for direct access).
      const percpu = name === "bpf_percpu_obj_new_impl";
      setPointer(r0, "mem");
      r0.memSize = percpu ? 0 : target.size;
      r0.btfType = (percpu ? PERCPU_PREFIX : LOCAL_PREFIX) + target.name;
    } else {
      setScalar(r0, SCALAR_UNKNOWN);
      return;
    }
  } else if ((name === "bpf_list_pop_front" || name === "bpf_list_pop_back") && meta.listHead) {
    listPopResult(w, r0, meta.listHead);
  } else if (name === "bpf_refcount_acquire_impl" && meta.localStruct) {
    // A new owning reference to the same local object.
    const t = w.env.objectBtf?.byName(meta.localStruct).find((x) => x.kind === "struct");
    setPointer(r0, "mem");
    r0.memSize = t && t.kind === "struct" ? t.size : 0;
    r0.btfType = LOCAL_PREFIX + meta.localStruct;
  } else if (pointee.kind === "void" && /^bpf_dynptr_slice(_rdwr)?$/.test(name)) {
    // A slice of the dynptr's data, or of the buffer it was copied to: `buffer__szk` bytes, maybe NULL.
    setPointer(r0, "mem");
    r0.memSize = meta.constSize;
    r0.rdonly = name === "bpf_dynptr_slice";
    // may_access_direct_pkt_data(env, NULL, BPF_WRITE), whatever the dynptr's type.
    if (!r0.rdonly && !PKT_WRITE_TYPES.has(w.env.type)) w.reject("the prog does not allow writes to packet data");
    // The slice goes with its dynptr (dynptr_id); skb and xdp slices are packet pointers too.
    r0.range = meta.dynptr?.id ?? 0;
    if (meta.dynptr?.type === "skb" || meta.dynptr?.type === "xdp") r0.btfType = meta.dynptr.type;
  } else if (pointee.kind === "void") {
    // A kfunc returning `void *` returns a number as far as the verifier knows.
    setScalar(r0, scalarUnknown());
    return;
  } else if (pointee.kind === "struct" || pointee.kind === "union") {
    setPointer(r0, "ptr_");
    r0.btfType = pointee.name;
    // What an iterator hands out is trusted (acquired objects are trusted by their reference, not a flag).
    if (flags & KF_ITER_NEXT) r0.range = BTF_PTR_TRUSTED;
  } else {
    let size = 0;
    try { size = btf.sizeof(ret.type); } catch { w.reject(`kernel function ${name} returns pointer type ${kindStr(pointee)} ${"name" in pointee ? pointee.name : ""} is not supported`); }
    setPointer(r0, "mem");
    r0.memSize = size;
    r0.rdonly = true;
    if (meta.refObjId) r0.refObjId = meta.refObjId;
  }
  // is_kfunc_ret_null: another reference to an object the program owns cannot fail.
  if (flags & KF_RET_NULL && !(name === "bpf_refcount_acquire_impl" && meta.owningRef)) {
    r0.maybeNull = true;
    r0.id = w.newId();
  }
  if (flags & KF_ACQUIRE) {
    // The NULL check and the release both go by the reference's id (mark_ptr_or_null_reg).
    const id = acquireReference(w, t);
    if (r0.maybeNull) r0.id = id;
    r0.refObjId = id;
  }
}

export type { Reg };
