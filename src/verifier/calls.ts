/**
 * @fileoverview Calls: helpers checked against their prototypes (check_helper_call),
 * bpf-to-bpf calls with frames, returns, callbacks (bpf_loop and friends), references
 * acquired and released, and tail calls.
 */

import type { ArgSpec, HelperProto } from "../helpers/proto.js";
import { HELPER_NAMES } from "../helpers/names.js";
import type { Instruction } from "../isa/instruction.js";
import { mapTypeInfo } from "../maps/types.js";
import type { MapSpec } from "../object/types.js";
import { type Cfg, isPseudoCall, isPseudoFunc } from "./cfg.js";
import { MAX_FRAMES, MAX_VAR_SIZE, Reject } from "./env.js";
import type { GlobalArg, GlobalFunc } from "./globals.js";
import { typeName } from "./log.js";
import { dynptrArg, type DynptrInfo, dynptrReleaseCheck, releaseDynptr } from "./dynptr.js";
import { checkAlignment, checkCtxOff, checkHelperMem } from "./memory.js";
import { markPrecise, markSlotPrecise } from "./prune.js";
import { constValue, isConst, scalarRange, scalarSignedRange32, scalarUnknown } from "./scalar.js";
import { BTF_PTR_RCU, BTF_PTR_TRUSTED, BTF_PTR_UNTRUSTED, copyReg, isPacketPtr, newFrame, type Reg, SCALAR_UNKNOWN, setNotInit, setPointer, setScalar } from "./state.js";
import { widenImprecise, type Walker } from "./walker.js";
import { invalidateNonOwning } from "./graph.js";
import { isLocalObj, kptrXchgDest, kptrXchgResult, matchKptrType, PERCPU_PREFIX } from "./kptr.js";
import type { KptrField } from "../maps/value-fields.js";

const helperName = (id: number): string => (HELPER_NAMES[id] ? `bpf_${HELPER_NAMES[id]}#${id}` : `unknown#${id}`);

/** What the arguments told about the call (bpf_call_arg_meta). */
interface CallMeta {
  map: MapSpec | undefined;
  /** The size argued by a const_alloc_size argument (ringbuf_reserve). */
  allocSize: number;
  releaseId: number;
  callback: number;
  /** The reference an argument holds (meta.ref_obj_id): a cast's result shares it. */
  refObjId: number;
  /** The last size argument's umax (meta.msize_max_value), for do_refine_retval_range. */
  msizeMax: number;
  /** The initialised dynptr an argument names (bpf_dynptr_data's slice takes its id and reference). */
  dynptr: DynptrInfo | undefined;
  /** A dynptr argument the call releases (OBJ_RELEASE: ringbuf submit/discard). */
  releaseDynptr: Reg | undefined;
  /** bpf_kptr_xchg's destination field (meta.kptr_field). */
  kptrField: KptrField | undefined;
  /** The map key argument's constant value (meta.const_map_key), -1 when not known. */
  constKey: bigint;
}

/** do_refine_retval_range: helpers whose r0 is at most the buffer size they were given, or a negative errno. */
const RETVAL_BY_SIZE = new Set(["get_stack", "get_task_stack", "probe_read_str", "probe_read_kernel_str", "probe_read_user_str"]);
const MAX_ERRNO = 4095;

/** A taken lock as the kernel's lock state knows it: the value's id, or (id 0, global data) its map. */
const mapKeys = new WeakMap<object, number>();
let nextMapKey = 0;
export function lockKey(r: Reg): number {
  if (r.id) return r.id;
  const m: object = r.map ?? r;
  if (!mapKeys.has(m)) mapKeys.set(m, -++nextMapKey);
  return mapKeys.get(m)!;
}

/** is_ptr_cast_function: the result is the argument seen as another socket type, under the argument's reference. */
const PTR_CASTS = new Set(["tcp_sock", "sk_fullsock", "skc_to_tcp_sock", "skc_to_tcp6_sock", "skc_to_udp6_sock", "skc_to_mptcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock"]);

/** Helpers that take a callback: the range its r0 must be in, and the callback's arguments. */
const CALLBACKS: Record<string, { ret: readonly [number, number]; args: (w: Walker, meta: CallMeta) => Reg[] }> = {
  loop: { ret: [0, 1], args: (w) => [scalar(scalarRange(0n, 0xffffffffn)), copyReg(w.reg(3))] },
  for_each_map_elem: { ret: [0, 1], args: (w, m) => [mapPtr(m.map), ptr("map_key", m.map), ptr("map_value", m.map), copyReg(w.reg(3))] },
  find_vma: { ret: [0, 1], args: (w) => [ptr("ptr_"), ptr("ptr_"), copyReg(w.reg(4))] },
  user_ringbuf_drain: { ret: [0, 1], args: (w) => [constDynptr(w), copyReg(w.reg(3))] },
};

function scalar(s = SCALAR_UNKNOWN): Reg {
  const r = newReg0();
  setScalar(r, s);
  return r;
}
function ptr(type: Reg["type"], map?: MapSpec): Reg {
  const r = newReg0();
  setPointer(r, type);
  r.map = map;
  return r;
}
/** mark_dynptr_cb_reg: a local dynptr the callback may read but not change. */
function constDynptr(w: Walker): Reg {
  const r = ptr("dynptr_ptr");
  r.btfType = "local";
  r.id = w.newId();
  return r;
}
function mapPtr(map: MapSpec | undefined): Reg {
  return ptr("map_ptr", map);
}
function newReg0(): Reg {
  return newFrame(0, 0, 0).regs[0]!;
}

export function checkHelperCall(w: Walker, i: Instruction, t: number): number {
  const id = i.imm;
  // do_check, before check_helper_call: under a lock only bpf_spin_unlock may be called (a second bpf_spin_lock too is refused here).
  if (w.cur.activeLock && id !== SPIN_UNLOCK) w.reject("function calls are not allowed while holding a lock");
  const proto = w.env.proto(id);
  if (!proto) w.reject(`invalid func ${helperName(id)}`);
  if (w.env.ops && !w.env.ops.helperAllowed(id, w.env.attachType, w.env.privileged)) w.reject(`program of this type cannot use helper ${helperName(id)}`);
  if (proto.gplOnly && !w.env.gpl) w.reject("cannot call GPL-restricted function from non-GPL compatible program");
  if (proto.mightSleep && !w.env.sleepable) w.reject(`helper call might sleep in a non-sleepable prog`);
  if (proto.mightSleep && w.cur.preemptLock) w.reject(`sleepable helper bpf_${proto.name}#${id} in non-preemptible region`);
  if (proto.privileged && !w.env.privileged) w.reject(`unknown func ${helperName(id)}`);
  const meta: CallMeta = { map: undefined, allocSize: 0, releaseId: 0, callback: -1, refObjId: 0, msizeMax: 0, dynptr: undefined, releaseDynptr: undefined, kptrField: undefined, constKey: -1n };
  for (let a = 0; a < 5; a++) {
    const spec = proto.args[a];
    if (!spec || spec.kind === "dontcare") break;
    checkArg(w, proto, a, spec, meta, t);
  }
  if (proto.name === "dynptr_from_mem" && w.reg(1).type !== "map_value") w.reject(`Unsupported reg type ${typeName(w.reg(1))} for bpf_dynptr_from_mem data`);
  if (meta.map) checkMapFuncCompatibility(w, meta.map, proto, id);
  if (meta.releaseDynptr) releaseDynptr(w, meta.releaseDynptr, (id) => releaseReference(w, id));
  else if (meta.releaseId) releaseReference(w, meta.releaseId);
  if (proto.name === "tail_call") {
    w.checkResourceLeak("tail_call", true);
    // record_func_map, then do_misc_fixups: for an unprivileged loader the map's index is masked
    // by its max_entries, so one tail call cannot serve two prog arrays (a poisoned map_ptr).
    if (!w.env.privileged && meta.map) {
      const prev = w.tailCallMap.get(w.insn);
      if (prev && prev !== meta.map) w.reject("tail_call abusing map_ptr");
      w.tailCallMap.set(w.insn, meta.map);
    }
  }
  // It cannot return an error, so it takes no flags (check_helper_call).
  if (proto.name === "get_local_storage") {
    const flags = w.reg(2);
    if (flags.type !== "scalar" || !isConst(flags.s) || constValue(flags.s) !== 0n) w.reject("get_local_storage() doesn't support non-zero flags");
  }
  if (proto.name === "spin_lock") {
    w.cur.activeLock = lockKey(w.reg(1));
  } else if (proto.name === "spin_unlock") {
    if (!w.cur.activeLock) w.reject("bpf_spin_unlock without taking a lock");
    // release_lock_state: the lock taken, known by the map value's id.
    if (lockKey(w.reg(1)) !== w.cur.activeLock) w.reject("bpf_spin_unlock of different lock");
    w.cur.activeLock = 0;
    invalidateNonOwning(w);
  }
  const cb = CALLBACKS[proto.name];
  if (cb && meta.callback >= 0 && proto.name === "loop") {
    // bpf_loop runs its callback at most nr_loops times on a path, so R1 decides (precise).
    markPrecise(w, 1);
    if (BigInt(w.frame.callbackDepth) < w.reg(1).s.umax) enterCallback(w, t, meta, cb.args(w, meta), cb.ret);
    else {
      w.frame.callbackDepth = 0;
      if (w.env.logLevel > 1) w.say(`frame${w.cur.frames.length - 1} bpf_loop iteration limit reached`);
    }
  } else if (cb && meta.callback >= 0) enterCallback(w, t, meta, cb.args(w, meta), cb.ret);
  // A write through an skb dynptr may move the packet (check_helper_call's BPF_FUNC_dynptr_write).
  if (proto.changesPktData || (proto.name === "dynptr_write" && meta.dynptr?.type === "skb")) clearPacketPointers(w);
  for (let r = 1; r <= 5; r++) setNotInit(w.reg(r));
  setReturn(w, proto, meta, t);
  return t + 1;
}

/** check_map_func_compatibility, first switch: the helpers a special map may be given to. */
const MAP_ONLY_FOR: Readonly<Record<string, readonly string[]>> = {
  prog_array: ["tail_call"],
  perf_event_array: ["perf_event_read", "perf_event_output", "skb_output", "perf_event_read_value", "xdp_output"],
  ringbuf: ["ringbuf_output", "ringbuf_reserve", "ringbuf_query", "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr", "ringbuf_discard_dynptr"],
  user_ringbuf: ["user_ringbuf_drain"],
  stack_trace: ["get_stackid"],
  cgroup_array: ["skb_under_cgroup", "current_task_under_cgroup"],
  cgroup_storage: ["get_local_storage"],
  percpu_cgroup_storage: ["get_local_storage"],
  devmap: ["redirect_map", "map_lookup_elem"],
  devmap_hash: ["redirect_map", "map_lookup_elem"],
  cpumap: ["redirect_map"],
  xskmap: ["redirect_map", "map_lookup_elem"],
  array_of_maps: ["map_lookup_elem"],
  hash_of_maps: ["map_lookup_elem"],
  sockmap: ["sk_redirect_map", "sock_map_update", "msg_redirect_map", "sk_select_reuseport", "map_lookup_elem", "map_update_elem", "map_delete_elem"],
  sockhash: ["sk_redirect_hash", "sock_hash_update", "msg_redirect_hash", "sk_select_reuseport", "map_lookup_elem", "map_update_elem", "map_delete_elem"],
  reuseport_sockarray: ["sk_select_reuseport"],
  queue: ["map_peek_elem", "map_pop_elem", "map_push_elem"],
  stack: ["map_peek_elem", "map_pop_elem", "map_push_elem"],
  sk_storage: ["sk_storage_get", "sk_storage_delete", "kptr_xchg"],
  inode_storage: ["inode_storage_get", "inode_storage_delete", "kptr_xchg"],
  task_storage: ["task_storage_get", "task_storage_delete", "kptr_xchg"],
  cgrp_storage: ["cgrp_storage_get", "cgrp_storage_delete", "kptr_xchg"],
  bloom_filter: ["map_peek_elem", "map_push_elem"],
};

/** The second switch: the map types a helper takes. */
const HELPER_ONLY_FOR: Readonly<Record<string, readonly string[]>> = {
  tail_call: ["prog_array"],
  perf_event_read: ["perf_event_array"],
  perf_event_output: ["perf_event_array"],
  perf_event_read_value: ["perf_event_array"],
  skb_output: ["perf_event_array"],
  xdp_output: ["perf_event_array"],
  ringbuf_output: ["ringbuf"],
  ringbuf_reserve: ["ringbuf"],
  ringbuf_query: ["ringbuf"],
  ringbuf_reserve_dynptr: ["ringbuf"],
  user_ringbuf_drain: ["user_ringbuf"],
  get_stackid: ["stack_trace"],
  current_task_under_cgroup: ["cgroup_array"],
  skb_under_cgroup: ["cgroup_array"],
  redirect_map: ["devmap", "devmap_hash", "cpumap", "xskmap"],
  sk_redirect_map: ["sockmap"],
  msg_redirect_map: ["sockmap"],
  sock_map_update: ["sockmap"],
  sk_redirect_hash: ["sockhash"],
  msg_redirect_hash: ["sockhash"],
  sock_hash_update: ["sockhash"],
  get_local_storage: ["cgroup_storage", "percpu_cgroup_storage"],
  sk_select_reuseport: ["reuseport_sockarray", "sockmap", "sockhash"],
  map_pop_elem: ["queue", "stack"],
  map_peek_elem: ["queue", "stack", "bloom_filter"],
  map_push_elem: ["queue", "stack", "bloom_filter"],
  map_lookup_percpu_elem: ["percpu_array", "percpu_hash", "lru_percpu_hash"],
  sk_storage_get: ["sk_storage"],
  sk_storage_delete: ["sk_storage"],
  inode_storage_get: ["inode_storage"],
  inode_storage_delete: ["inode_storage"],
  task_storage_get: ["task_storage"],
  task_storage_delete: ["task_storage"],
  cgrp_storage_get: ["cgrp_storage"],
  cgrp_storage_delete: ["cgrp_storage"],
};

/** check_map_func_compatibility: "cannot pass map_type N into func NAME#ID". */
function checkMapFuncCompatibility(w: Walker, map: MapSpec, proto: HelperProto, id: number): void {
  const info = mapTypeInfo(map.type);
  if (!info) return;
  const onlyFor = MAP_ONLY_FOR[info.name];
  const takes = HELPER_ONLY_FOR[proto.name];
  const sockUpdate = (info.name === "sockmap" || info.name === "sockhash") && (proto.name === "map_update_elem" || proto.name === "map_delete_elem");
  const refused = `cannot pass map_type ${info.id} into func ${helperName(id)}`;
  if ((onlyFor && !onlyFor.includes(proto.name)) || (takes && !takes.includes(info.name))) w.reject(refused);
  // may_update_sockmap says why before check_map_func_compatibility's line.
  if (sockUpdate && !mayUpdateSockmap(w, proto.name)) w.reject(refused, w.insn, ["cannot update sockmap in this context"]);
}

/** Program types that may hold a socket whose lock is not taken, so may update a sockmap (may_update_sockmap). */
const SOCKMAP_UPDATERS = new Set(["socket_filter", "sched_cls", "sched_act", "xdp", "sk_reuseport", "flow_dissector", "sk_lookup"]);

function mayUpdateSockmap(w: Walker, helper: string): boolean {
  const type = w.env.type;
  if (type === "tracing") return w.env.attachType === "trace_iter";
  // sock_ops updates through bpf_sock_map_update, which checks the event.
  if (type === "sock_ops") return helper === "map_delete_elem";
  return SOCKMAP_UPDATERS.has(type);
}

/**
 * changes_pkt_data of each subprogram (mark_subprog_changes_pkt_data, merge_callee_effects):
 * it calls a helper that may move the packet, or bpf_tail_call, or a subprogram (or names a
 * callback) that does.
 */
const PKT_CHANGERS = new WeakMap<Cfg, Uint8Array>();
export function subprogChangesPktData(w: Walker, subprog: number): boolean {
  let marks = PKT_CHANGERS.get(w.cfg);
  if (!marks) {
    const cfg = w.cfg;
    marks = new Uint8Array(cfg.subprogs.length);
    const edges: [number, number][] = [];
    for (let t = 0; t < cfg.length; t++) {
      const i = cfg.insns[t];
      if (!i) continue;
      const from = cfg.subprogOf[t]!;
      if (i.opcode === 0x85 && i.src === 0 && (i.imm === TAIL_CALL || w.env.proto(i.imm)?.changesPktData)) marks[from] = 1;
      else if (isPseudoCall(i) || isPseudoFunc(i)) edges.push([from, cfg.subprogOf[t + i.imm + 1]!]);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [from, to] of edges) if (marks[to] && !marks[from]) { marks[from] = 1; changed = true; }
    }
    PKT_CHANGERS.set(w.cfg, marks);
  }
  return marks[subprog] === 1;
}
const TAIL_CALL = 12;
const SPIN_UNLOCK = 94;
/** btf_id_sock_common_types, but for PTR_TO_BTF_ID. */
const SOCK_COMMON_TYPES = new Set(["sock_common", "sock", "tcp_sock", "xdp_sock"]);

/** check_reg_type's list of what each socket argument takes: fullsock_types, sock_types, btf_id_sock_common_types. */
const SOCK_EXPECTED: Record<string, string> = {
  ptr_to_socket: "sock",
  ptr_to_sock_common: "sock_common, sock, tcp_sock, xdp_sock",
  ptr_to_btf_id_sock_common: "sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
};

function checkArg(w: Walker, proto: HelperProto, a: number, spec: ArgSpec, meta: CallMeta, insn: number): void {
  const regno = a + 1;
  const r = w.readReg(regno);
  const t = typeName(r);
  const bad = (expected: string): never => w.reject(`R${regno} type=${t} expected=${expected}`);
  if (r.refObjId && r.type !== "scalar") meta.refObjId = r.refObjId;
  const isNull = r.type === "scalar" && isConst(r.s) && constValue(r.s)! === 0n;
  // NULL skips the type check of a nullable argument; a memory argument still needs a size of 0.
  if (spec.maybeNull && isNull && spec.kind !== "ptr_to_mem") return;
  switch (spec.kind) {
    case "kptr_xchg_dest":
      meta.kptrField = kptrXchgDest(w, regno, r);
      return;
    case "anything":
      // An unprivileged loader may not hand an address to a helper as a number.
      if (r.type !== "scalar" && !w.env.privileged) w.reject(`R${regno} leaks addr into helper function`);
      return;
    case "const_map_ptr":
      if (r.type !== "map_ptr") bad("map_ptr");
      meta.map = r.map;
      return;
    case "ptr_to_ctx":
      if (r.type !== "ctx") bad("ctx");
      checkCtxOff(w, regno, r);
      return;
    case "ptr_to_map_key":
    case "ptr_to_map_value": {
      if (!meta.map) w.reject(`invalid map_ptr to access map->${spec.kind === "ptr_to_map_key" ? "key" : "value"}`);
      // resolve_map_arg_type: a sockmap's or sockhash's value is the socket itself (ARG_PTR_TO_BTF_ID_SOCK_COMMON).
      if (spec.kind === "ptr_to_map_value" && (meta.map.type === "sockmap" || meta.map.type === "sockhash")) {
        if (spec.uninit) w.reject("invalid arg_type for sockmap/sockhash");
        const sock = SOCK_COMMON_TYPES.has(r.type) || (r.type === "ptr_" && /^(sock|sock_common|\w+_sock)$/.test(r.btfType ?? ""));
        if (!sock || r.maybeNull) bad("sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_");
        return;
      }
      memArg(w, regno, r, proto);
      const size = spec.kind === "ptr_to_map_key" ? meta.map.keySize : meta.map.valueSize;
      checkHelperMem(w, regno, r, size, !!spec.uninit, false, !spec.uninit, `bpf_${proto.name}`);
      if (spec.kind === "ptr_to_map_key" && CONST_KEY_MAPS.has(meta.map.type)) meta.constKey = constantMapKey(w, r, size);
      return;
    }
    case "ptr_to_mem": {
      const nullable = spec.maybeNull && isNull;
      if (!nullable) memArg(w, regno, r, proto);
      if (spec.fixedSize !== undefined) {
        if (nullable) return;
        checkHelperMem(w, regno, r, spec.fixedSize, !!(spec.uninit || spec.write), false, !spec.uninit, `bpf_${proto.name}`);
        // MEM_ALIGNED (ARG_PTR_TO_LONG): the kernel writes a whole word there; checked after the access (check_func_arg).
        if (spec.aligned) checkAlignment(w, r, 0, spec.fixedSize);
        return;
      }
      const next = proto.args[a + 1];
      if (!next || (next.kind !== "const_size" && next.kind !== "const_size_or_zero")) return;
      const sz = w.readReg(regno + 1);
      if (sz.type !== "scalar") w.reject(`R${regno + 1} type=${typeName(sz)} expected=scalar`);
      markPrecise(w, regno + 1);
      meta.msizeMax = Number(sz.s.umax);
      const zeroOk = next.kind === "const_size_or_zero";
      if (sz.s.smin < 0n) w.reject(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
      if (sz.s.umin === 0n && !zeroOk) w.reject(`R${regno + 1} invalid zero-sized read: u64=[${sz.s.umin},${sz.s.umax}]`);
      if (sz.s.umax >= BigInt(MAX_VAR_SIZE)) w.reject(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      // check_helper_mem_access on NULL: only a zero-byte access is allowed.
      if (nullable) {
        if (sz.s.umax !== 0n) bad("fp");
        return;
      }
      checkHelperMem(w, regno, r, Number(sz.s.umax), !!(spec.uninit || spec.write), zeroOk, !spec.uninit, `bpf_${proto.name}`);
      return;
    }
    case "const_size":
    case "const_size_or_zero":
      if (r.type !== "scalar") bad("scalar");
      return;
    case "const_alloc_size_or_zero":
      if (r.type !== "scalar" || !isConst(r.s)) w.reject(`R${regno} is not a known constant'`);
      markPrecise(w, regno);
      meta.allocSize = Number(constValue(r.s)!);
      return;
    case "ptr_to_ringbuf_mem":
      if (r.type !== "mem" || !r.ringbuf) bad("ringbuf_mem");
      // check_func_arg_reg_off on a release argument.
      if (r.off !== 0 || !isConst(r.s) || constValue(r.s)! !== 0n) w.reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      if (spec.release) meta.releaseId = r.refObjId;
      return;
    case "ptr_to_socket":
    case "ptr_to_sock_common":
    case "ptr_to_btf_id_sock_common":
      if (r.type !== "sock" && r.type !== "sock_common" && r.type !== "tcp_sock" && r.type !== "ptr_") bad(SOCK_EXPECTED[spec.kind]);
      if (r.maybeNull) bad(SOCK_EXPECTED[spec.kind]);
      if (spec.release) {
        if (!r.refObjId) w.reject(`R${regno} must be referenced when passed to release function`);
        meta.releaseId = r.refObjId;
      }
      return;
    case "ptr_to_btf_id":
    case "ptr_to_percpu_btf_id":
      // bpf_kptr_xchg's new value: of the field's type (map_kptr_match_type), referenced.
      if (meta.kptrField && proto.name === "kptr_xchg") {
        // check_reg_type: a released argument may not be NULL-able.
        if (r.type === "ptr_" && r.maybeNull) w.reject(`Possibly NULL pointer passed to helper arg${regno}`);
        matchKptrType(w, meta.kptrField, r, regno);
        if (!r.refObjId) w.reject(`R${regno} must be referenced when passed to release function`);
        meta.releaseId = r.refObjId;
        return;
      }
      // percpu_btf_ptr_types: MEM_PERCPU pointers, plain, RCU or trusted (reg_type_str): a
      // per-CPU ksym, or a percpu_kptr loaded inside an RCU section.
      if (spec.kind === "ptr_to_percpu_btf_id" && !(r.type === "ptr_" && r.btfType === "ksym") && !(isLocalObj(r) && r.btfType.startsWith(PERCPU_PREFIX) && r.range === BTF_PTR_RCU && !r.maybeNull)) {
        bad("percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_");
      }
      if (r.type === "scalar") bad(`ptr_${spec.btfType ?? ""}`);
      // btf_ptr_types: plain, trusted or RCU; an untrusted pointer is none of them.
      if (spec.kind === "ptr_to_btf_id" && r.type === "ptr_" && r.range & BTF_PTR_UNTRUSTED) bad("ptr_, trusted_ptr_, rcu_ptr_");
      if (spec.release && r.refObjId) meta.releaseId = r.refObjId;
      return;
    case "ptr_to_func":
      if (r.type !== "func") bad("func");
      meta.callback = r.subprog;
      return;
    case "ptr_to_stack":
      if (r.type !== "fp") bad("fp");
      return;
    case "ptr_to_spin_lock": {
      if (r.type !== "map_value") bad("map_value");
      // process_spin_lock: the lock the value's BTF places, at a constant offset.
      if (!isConst(r.s)) w.reject(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
      const at = w.env.valueFields?.(r.map!).spinLockOffset;
      if (w.env.valueFields && at === undefined) w.reject(`map '${r.map!.name}' has to have BTF in order to use bpf_spin_lock`);
      const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
      if (at !== undefined && off !== at) w.reject(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${at}`);
      return;
    }
    case "ptr_to_timer":
      if (r.type !== "map_value") bad("map_value");
      return;
    case "ptr_to_const_str":
      if (r.type !== "map_value") bad("map_value");
      if (!(r.map && r.map.flags & 0x80)) w.reject(`R${regno} does not point to a readonly map'`);
      return;
    case "ptr_to_dynptr": {
      if (r.type !== "fp" && r.type !== "dynptr_ptr") bad("fp, dynptr_ptr");
      if (spec.release) {
        dynptrReleaseCheck(w, regno, r);
        meta.releaseDynptr = r;
      }
      const info = dynptrArg(w, regno, r, { type: spec.dynptr?.type, uninit: spec.dynptr?.uninit, rdonly: spec.readOnly }, insn);
      if (info) meta.dynptr = info;
      return;
    }
    default:
      if (r.type === "scalar") bad("ptr");
  }
}

/** The pointer types a memory argument may have (mem_types). */
function memArg(w: Walker, regno: number, r: Reg, proto: HelperProto): void {
  if (r.maybeNull || r.type === "scalar") w.reject(`R${regno} type=${typeName(r)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
  if (isPacketPtr(r) && !proto.pktAccess) w.reject(`helper access to the packet is not allowed`);
}

/** Maps whose lookup with a constant key in range cannot fail (can_elide_value_nullness). */
const CONST_KEY_MAPS = new Set(["array", "percpu_array"]);

/**
 * get_constant_map_key: the key a privileged program passes on its stack, when constant: zero
 * bytes, or a scalar spill of exactly the key's size (then marked precise, as the lookup's
 * result depends on it); -1 otherwise. A key inside a spill, not at its start, is not taken.
 */
function constantMapKey(w: Walker, r: Reg, size: number): bigint {
  if (!w.env.privileged || r.type !== "fp" || !isConst(r.s)) return -1n;
  const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const k = Math.floor((-off - 1) / 8);
  const at = off + 8 * (k + 1);
  const slot = w.cur.frames[r.frameno]!.stack[k];
  if (!slot) return -1n;
  let zeros = 0;
  while (at + zeros < 8 && slot.types[at + zeros] === "0") zeros++;
  if (zeros >= size) return 0n;
  const sp = slot.spilled;
  if (at !== 0 || slot.types[0] !== "r" || sp?.type !== "scalar" || !isConst(sp.s)) return -1n;
  let spill = 0;
  while (spill < 8 && slot.types[spill] === "r") spill++;
  if (spill !== size) return -1n;
  markSlotPrecise(w, r.frameno, k);
  return BigInt.asIntN(64, constValue(sp.s)!);
}

function setReturn(w: Walker, proto: HelperProto, meta: CallMeta, t: number): void {
  const r0 = w.reg(0);
  const ret = proto.ret;
  // A lookup in a SOCKMAP/SOCKHASH gives a socket or NULL, with a reference to release (is_acquire_function).
  const sockLookup = proto.name === "map_lookup_elem" && (meta.map?.type === "sockmap" || meta.map?.type === "sockhash");
  switch (ret.kind) {
    case "void":
      setNotInit(r0);
      return;
    case "integer":
      setScalar(r0, RETVAL_BY_SIZE.has(proto.name) ? scalarSignedRange32(-MAX_ERRNO, meta.msizeMax) : scalarUnknown());
      return;
    case "ptr_to_map_value":
      if (!meta.map) w.reject(`kernel subsystem misconfigured verifier`);
      if (sockLookup) {
        // map_value_or_null until the NULL check makes it a socket (mark_ptr_or_null_reg).
        setPointer(r0, "map_value");
        r0.map = meta.map;
        break;
      }
      // A map-of-maps lookup too is map_value_or_null until its NULL check makes it the inner map's pointer.
      setPointer(r0, "map_value");
      r0.map = meta.map;
      break;
    case "ptr_to_socket":
      setPointer(r0, "sock");
      break;
    case "ptr_to_tcp_sock":
      setPointer(r0, "tcp_sock");
      break;
    case "ptr_to_sock_common":
      setPointer(r0, "sock_common");
      break;
    case "ptr_to_mem":
      setPointer(r0, "mem");
      r0.memSize = ret.memSize ?? meta.allocSize;
      r0.ringbuf = !!ret.ringbuf;
      r0.rdonly = !!ret.readOnly;
      break;
    case "ptr_to_mem_or_btf_id":
    case "ptr_to_btf_id":
      if (proto.name === "kptr_xchg" && meta.kptrField) {
        kptrXchgResult(w, r0, meta.kptrField);
        break;
      }
      setPointer(r0, "ptr_");
      r0.btfType = ret.btfType ?? "";
      if (ret.trusted) r0.range = BTF_PTR_TRUSTED;
      break;
  }
  r0.maybeNull = !!ret.maybeNull;
  // can_elide_value_nullness: an array lookup with a constant key below max_entries finds a value.
  if (proto.name === "map_lookup_elem" && CONST_KEY_MAPS.has(meta.map?.type ?? "") && meta.constKey >= 0n && meta.constKey < BigInt(meta.map!.maxEntries)) {
    r0.maybeNull = false;
    // A value holding a bpf_spin_lock still gets an id: the lock taken is told apart by it.
    if (!w.env.valueFields || w.env.valueFields(meta.map!).spinLockOffset !== undefined) r0.id = w.newId();
  }
  if (r0.maybeNull) r0.id = w.newId();
  // A cast of a referenced socket is released with it (release_reference finds it by ref_obj_id).
  if (PTR_CASTS.has(proto.name) && meta.refObjId) r0.refObjId = meta.refObjId;
  // A dynptr's data slice goes with the dynptr (dynptr_id) and its reference (is_dynptr_ref_function).
  if (proto.name === "dynptr_data" && meta.dynptr) {
    r0.range = meta.dynptr.id;
    r0.refObjId = meta.dynptr.refObjId;
  }
  if (proto.acquire || sockLookup) {
    // check_helper_call: a NULL-able r0 took an id above; acquire_reference takes the next (logs say id=2).
    const id = acquireReference(w, t);
    r0.id = id;
    r0.refObjId = id;
  }
}

/** acquire_reference: a new reference the path must release before it exits. */
export function acquireReference(w: Walker, t: number): number {
  const id = w.newId();
  w.cur.refs.push({ id, insn: t });
  return id;
}

/** release_reference: the reference ends, and every copy of the pointer with it. */
export function releaseReference(w: Walker, id: number): void {
  const k = w.cur.refs.findIndex((r) => r.id === id);
  if (k < 0) w.reject(`release kernel function bpf_${"?"} expects refcounted PTR_TO_BTF_ID`);
  w.cur.refs.splice(k, 1);
  for (const f of w.cur.frames) {
    for (const r of f.regs) if (r.refObjId === id) invalidate(w, r);
    for (const s of f.stack) if (s.spilled?.refObjId === id) invalidate(w, s.spilled);
  }
}

function invalidate(w: Walker, r: Reg): void {
  if (w.env.privileged) setScalar(r, SCALAR_UNKNOWN);
  else setNotInit(r);
}

const isPacketSlice = (r: Reg): boolean => r.type === "mem" && (r.btfType === "skb" || r.btfType === "xdp");

/** clear_all_pkt_pointers: a helper that may move the packet invalidates every pointer into it. */
function clearPacketPointers(w: Walker): void {
  for (const f of w.cur.frames) {
    for (const r of f.regs) if (isPacketPtr(r) || r.type === "pkt_end") invalidate(w, r);
    for (const s of f.stack) if (s.spilled && (isPacketPtr(s.spilled) || s.spilled.type === "pkt_end")) { s.spilled = undefined; s.types = "mmmmmmmm"; }
    // reg_is_dynptr_slice_pkt: slices of skb and xdp dynptrs point into the packet too.
    for (const r of f.regs) if (isPacketSlice(r)) invalidate(w, r);
    for (const s of f.stack) if (s.spilled && isPacketSlice(s.spilled)) invalidate(w, s.spilled);
  }
}

// ---- bpf-to-bpf calls ----

export function checkSubprogCall(w: Walker, i: Instruction, t: number): number {
  const target = t + i.imm + 1;
  const global = w.env.globals.get(w.cfg.subprogOf[target]!);
  if (global) return checkGlobalCall(w, global, t);
  if (w.cur.frames.length >= MAX_FRAMES) w.reject(`the call stack of ${w.cur.frames.length + 1} frames is too deep`);
  if (w.cur.activeLock) w.reject("function calls are not allowed while holding a lock");
  const caller = w.frame;
  const callee = newFrame(t, w.cfg.subprogOf[target]!, w.cur.frames.length);
  for (let r = 1; r <= 5; r++) callee.regs[r] = copyReg(caller.regs[r]!);
  setPointer(callee.regs[10]!, "fp");
  callee.regs[10]!.frameno = callee.frameno;
  // A subprogram that may move the packet (a tail call in it included) leaves the caller's
  // packet pointers unknown; what it was passed it may still use.
  if (subprogChangesPktData(w, w.cfg.subprogOf[target]!)) clearPacketPointers(w);
  w.cur.frames.push(callee);
  return target;
}

/**
 * check_func_call for a global function: the arguments are checked against its BTF signature
 * (btf_check_func_arg_match), the function itself is verified alone later, and r0 is unknown.
 */
function checkGlobalCall(w: Walker, g: GlobalFunc, t: number): number {
  const caller = w.frame;
  if (w.cur.activeLock) w.reject2("global function calls are not allowed while holding a lock,", "use static function instead");
  const invalid = `Caller passes invalid args into func#${g.subprog} ('${g.name}')`;
  if (g.unsupported) w.reject2(g.unsupported, invalid);
  try {
    g.args.forEach((a, k) => checkGlobalArg(w, a, k));
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    throw new Reject(e.insn, invalid, [...e.detail, e.message]);
  }
  w.say(`Func#${g.subprog} ('${g.name}') is global and assumed valid.`);
  if (subprogChangesPktData(w, g.subprog)) clearPacketPointers(w);
  w.calledGlobals.add(g.subprog);
  for (let r = 1; r <= 5; r++) setNotInit(caller.regs[r]!);
  setScalar(caller.regs[0]!, scalarUnknown());
  return t + 1;
}

function checkGlobalArg(w: Walker, a: GlobalArg, k: number): void {
  const regno = k + 1;
  const r = w.readReg(regno);
  if (a.kind === "scalar") {
    if (r.type !== "scalar") w.reject(`R${regno} is not a scalar`);
    return;
  }
  // check_func_arg_reg_off: a fixed offset only where the pointer type allows one.
  if (a.kind === "ctx") {
    if (r.type === "ctx") checkCtxOff(w, regno, r);
    if (r.type !== "ctx") w.reject(`arg#${k} expects pointer to ctx`);
    return;
  }
  if (a.kind === "dynptr") {
    // btf_check_func_arg_match: process_dynptr_func, for an initialised dynptr of any type.
    dynptrArg(w, regno, r, { type: undefined, uninit: false, rdonly: true }, w.insn);
    return;
  }
  if (a.kind === "arena") {
    // btf_check_func_arg_match: an arena pointer, or a number (a user-space arena address).
    if (r.type !== "arena" && r.type !== "scalar") w.reject(`R${regno} is not a pointer to arena or scalar.`);
    return;
  }
  if (a.kind === "trusted") {
    // check_reg_type for ARG_PTR_TO_BTF_ID | PTR_TRUSTED, then btf_struct_ids_match.
    if (r.type === "scalar" && isConst(r.s) && constValue(r.s)! === 0n && a.nullable) return;
    const isNull = r.type === "scalar" && isConst(r.s) && constValue(r.s)! === 0n;
    if ((r.type !== "ptr_" && !isNull) || (r.maybeNull && !a.nullable)) w.reject(`R${regno} type=${typeName(r)} expected=ptr_, trusted_ptr_, rcu_ptr_`);
    // is_trusted_reg: a referenced pointer is trusted too.
    if (isNull || (r.range !== BTF_PTR_TRUSTED && !r.refObjId)) w.reject(`R${regno} must be referenced or trusted`);
    if (r.btfType !== a.struct) w.reject(`R${regno} is of type ${r.btfType} but ${a.struct} is expected`);
    return;
  }
  // check_mem_reg: NULL passes; otherwise a read and a write of the whole size, as if not NULL.
  if (r.type === "scalar" && isConst(r.s) && constValue(r.s)! === 0n) return;
  if (r.type === "scalar") w.reject(`R${regno} type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
  const probe = copyReg(r);
  probe.maybeNull = false;
  checkHelperMem(w, regno, probe, a.size, false, true);
  checkHelperMem(w, regno, probe, a.size, true, true);
  if (!a.nullable && r.maybeNull) w.reject(`arg#${k} is expected to be non-NULL`);
}

/** Enters a callback as the kernel does: a pushed state runs it, this one goes on past the call. */
function enterCallback(w: Walker, t: number, meta: CallMeta, args: Reg[], ret: readonly [number, number]): void {
  if (w.cur.frames.length >= MAX_FRAMES) w.reject(`the call stack of ${w.cur.frames.length + 1} frames is too deep`);
  const s = w.pushBranch(meta.callback, t);
  const callee = newFrame(t, w.cfg.subprogOf[meta.callback]!, s.frames.length);
  args.forEach((r, k) => { callee.regs[k + 1] = copyReg(r); });
  setPointer(callee.regs[10]!, "fp");
  callee.regs[10]!.frameno = callee.frameno;
  callee.callbackRet = ret;
  callee.inCallback = true;
  // The caller keeps its argument registers: the callback returns to the call, which runs again.
  // The path into the callback has run it once more; the path past the call, not at all.
  s.frames[s.frames.length - 1]!.callbackDepth++;
  w.frame.callbackDepth = 0;
  s.frames.push(callee);
  s.callbackDepth++;
}

/** exit in a subprogram: r0 goes back to the caller, or a callback returns to its helper call. */
export function returnFromCall(w: Walker, t: number): number {
  const callee = w.cur.frames.pop()!;
  const caller = w.frame;
  const r0 = callee.regs[0]!;
  if (callee.inCallback) {
    const [lo, hi] = callee.callbackRet!;
    if (r0.type !== "scalar") w.reject(`R0 is not a scalar at callback return`);
    markPreciseIn(w, callee, 0);
    if (r0.s.smin < BigInt(lo) || r0.s.smax > BigInt(hi)) {
      let m = "At callback return the register R0 has";
      if (r0.s.smin > -(1n << 63n)) m += ` smin=${r0.s.smin}`;
      if (r0.s.smax < (1n << 63n) - 1n) m += ` smax=${r0.s.smax}`;
      w.reject(`${m} should have been in [${lo}, ${hi}]`, t);
    }
    // Back to the helper call, which runs the callback again until the states converge;
    // what changed but decided nothing is widened, as for iterators.
    const prev = w.explored.get(callee.callsite)?.find((e) => e.state.branches > 0 && e.state.frames.length === w.cur.frames.length)?.state;
    if (prev) widenImprecise(prev, w.cur);
    return callee.callsite;
  }
  if (r0.type === "fp" && r0.frameno >= callee.frameno) w.reject(`cannot return stack pointer to the caller`);
  caller.regs[0] = copyReg(r0);
  for (let r = 1; r <= 5; r++) setNotInit(caller.regs[r]!);
  return callee.callsite + 1;
}

function markPreciseIn(w: Walker, f: ReturnType<typeof newFrame>, reg: number): void {
  const saved = w.cur.frames;
  w.cur.frames = [...saved, f];
  markPrecise(w, reg);
  w.cur.frames = saved;
}
