/**
 * @fileoverview The abstract state the verifier walks with, as the kernel's
 * bpf_reg_state, bpf_func_state and bpf_verifier_state: registers with a type, a fixed
 * offset and a scalar part, 8-byte stack slots, references held, and the parentage that
 * pruning and precision marking follow.
 */

import type { MapSpec } from "../object/types.js";
import { type Scalar, scalarConst, scalarUnknown } from "./scalar.js";

/** A register's base type (enum bpf_reg_type), named as the kernel's log prints it. */
export type RegType =
  /** NOT_INIT */ | "?"
  /** SCALAR_VALUE */ | "scalar"
  /** PTR_TO_CTX */ | "ctx"
  /** PTR_TO_STACK */ | "fp"
  /** PTR_TO_MAP_VALUE */ | "map_value"
  /** PTR_TO_MAP_KEY */ | "map_key"
  /** CONST_PTR_TO_MAP */ | "map_ptr"
  /** PTR_TO_PACKET */ | "pkt"
  /** PTR_TO_PACKET_META */ | "pkt_meta"
  /** PTR_TO_PACKET_END */ | "pkt_end"
  /** PTR_TO_FLOW_KEYS */ | "flow_keys"
  /** PTR_TO_MEM */ | "mem"
  /** PTR_TO_BTF_ID: printed as ptr_<struct> */ | "ptr_"
  /** PTR_TO_SOCKET */ | "sock"
  /** PTR_TO_SOCK_COMMON */ | "sock_common"
  /** PTR_TO_TCP_SOCK */ | "tcp_sock"
  /** PTR_TO_FUNC */ | "func"
  /** PTR_TO_TP_BUFFER: a writable raw tracepoint's buffer */ | "tp_buffer"
  /** PTR_TO_ARENA: an arena address cast to the kernel's address space (addr_space_cast) */ | "arena"
  /** An open-coded iterator's state, held in its STACK_ITER slots (iterators.ts) */ | "iter"
  /** A dynptr's state, held in its two STACK_DYNPTR slots (dynptr.ts) */ | "dynptr"
  /** CONST_PTR_TO_DYNPTR: a callback's read-only dynptr argument */ | "dynptr_ptr";

/** One register. Mutable inside a state; states copy registers when they fork. */
export interface Reg {
  type: RegType;
  /** PTR_MAYBE_NULL */
  maybeNull: boolean;
  /** MEM_RDONLY */
  rdonly: boolean;
  /** MEM_RINGBUF */
  ringbuf: boolean;
  /** The fixed part of a pointer's offset. */
  off: number;
  /** A scalar's value, or a pointer's variable offset. */
  s: Scalar;
  /** Links copies: null checks and packet range checks update every register with this id. */
  id: number;
  /** The reference this pointer holds (ref_obj_id), 0 for none. */
  refObjId: number;
  /** Packet pointers: bytes past `off` proven readable (range). ptr_: its type flags (BTF_PTR_TRUSTED...). mem: the dynptr id of a slice (dynptr_id). */
  range: number;
  /** map_ptr, map_value, map_key: the map. */
  map: MapSpec | undefined;
  /** mem: its size in bytes; ctx: unused. */
  memSize: number;
  /** ptr_: the kernel struct. */
  btfType: string;
  /** fp: the frame it points into. */
  frameno: number;
  /** func: the subprogram's first slot. */
  subprog: number;
  /** Precision of a scalar: it took part in a safety decision. */
  precise: boolean;
}

export const SCALAR_UNKNOWN: Scalar = scalarUnknown();
export const SCALAR_ZERO: Scalar = scalarConst(0n);

/** The one shape every register has, so that copies and reads stay monomorphic. */
class RegObj implements Reg {
  constructor(
    public type: RegType, public maybeNull: boolean, public rdonly: boolean, public ringbuf: boolean, public off: number,
    public s: Scalar, public id: number, public refObjId: number, public range: number, public map: MapSpec | undefined,
    public memSize: number, public btfType: string, public frameno: number, public subprog: number, public precise: boolean,
  ) {}
}

export function newReg(): Reg {
  return new RegObj("?", false, false, false, 0, SCALAR_ZERO, 0, 0, 0, undefined, 0, "", 0, 0, false);
}

export function copyReg(r: Reg): Reg {
  return new RegObj(r.type, r.maybeNull, r.rdonly, r.ringbuf, r.off, r.s, r.id, r.refObjId, r.range, r.map, r.memSize, r.btfType, r.frameno, r.subprog, r.precise);
}

/** dst = src, field by field (Object.assign is slower on this hot path, and keeps dst's shape only by luck). */
export function assignReg(dst: Reg, src: Reg): void {
  dst.type = src.type; dst.maybeNull = src.maybeNull; dst.rdonly = src.rdonly; dst.ringbuf = src.ringbuf; dst.off = src.off;
  dst.s = src.s; dst.id = src.id; dst.refObjId = src.refObjId; dst.range = src.range; dst.map = src.map;
  dst.memSize = src.memSize; dst.btfType = src.btfType; dst.frameno = src.frameno; dst.subprog = src.subprog; dst.precise = src.precise;
}

export function setScalar(r: Reg, s: Scalar): void {
  r.type = "scalar";
  r.maybeNull = r.rdonly = r.ringbuf = false;
  r.off = 0;
  r.s = s;
  r.id = 0;
  r.refObjId = 0;
  r.range = 0;
  r.map = undefined;
  // Nothing of the register's earlier type is left (the kernel's __mark_reg_* clear it all), so
  // a map value that r0 becomes after a slice is not told apart by the slice's size.
  r.memSize = 0;
  r.btfType = "";
  r.precise = false;
}

export function setNotInit(r: Reg): void {
  setScalar(r, SCALAR_ZERO);
  r.type = "?";
}

/** Sets a pointer type with a zero offset and no flags. */
export function setPointer(r: Reg, type: RegType): void {
  setScalar(r, SCALAR_ZERO);
  r.type = type;
}

/** A BTF pointer's PTR_TRUSTED flag, kept in `range` (which only packet pointers use otherwise). */
export const BTF_PTR_TRUSTED = 1;
/** PTR_UNTRUSTED: a pointer no kfunc may take (bpf_rdonly_cast's). */
export const BTF_PTR_UNTRUSTED = 2;
/** MEM_RCU: a pointer walked inside an RCU read section, which KF_RCU kfuncs take. */
export const BTF_PTR_RCU = 4;

export const isPointer = (r: Reg): boolean => r.type !== "scalar" && r.type !== "?";
export const isPacketPtr = (r: Reg): boolean => r.type === "pkt" || r.type === "pkt_meta";

/**
 * Bytes of an 8-byte stack slot, as the kernel's slot_type: '?' STACK_INVALID, 'r'
 * STACK_SPILL, 'm' STACK_MISC, '0' STACK_ZERO. Index 0 of the string is the slot's
 * lowest address.
 */
export interface StackSlot {
  types: string;
  /** The register a spill saved (for 'r' bytes). */
  spilled: Reg | undefined;
}

/** One frame: the registers and stack of a function on the call chain (bpf_func_state). */
export interface Frame {
  regs: Reg[];
  /** slots[k] covers fp-8(k+1) .. fp-8k-1. */
  stack: StackSlot[];
  /** The call instruction's slot, or -1 for the main program. */
  callsite: number;
  /** Index of this frame's subprogram. */
  subprog: number;
  frameno: number;
  /** For callbacks (bpf_loop...): the range r0 must be in at their exit. */
  callbackRet: readonly [number, number] | undefined;
  /** In a callback frame: where the helper call returns to, and whether it loops. */
  inCallback: boolean;
  /** Deepest stack byte touched, for the combined stack depth. */
  depth: number;
  /** callback_depth: the callbacks this frame's current helper call has run on this path (bpf_loop stops at nr_loops). */
  callbackDepth: number;
}

export interface RefState {
  readonly id: number;
  /** The slot of the instruction that acquired it. */
  readonly insn: number;
}

/** A whole path's state (bpf_verifier_state). */
export interface State {
  frames: Frame[];
  refs: RefState[];
  /** Held bpf_spin_lock: the map value's id, 0 for none. */
  activeLock: number;
  /** Inside bpf_rcu_read_lock() (active_rcu_lock). */
  rcuLock: number;
  /** active_preempt_locks: bpf_preempt_disable calls not yet matched by bpf_preempt_enable. */
  preemptLock: number;
  /** The checkpoint this state descends from. */
  parent: State | undefined;
  /** Live paths descending from this checkpoint (branches). */
  branches: number;
  /** Where this state (as a checkpoint) was taken. */
  insn: number;
  /** The path since the parent checkpoint, newest first (for precision backtracking); shared by forks. */
  history: Hist | undefined;
  /** For a checkpoint: the last insn of the path that reached it (last_insn_idx), where backtracking its history starts. */
  lastInsn: number;
  /** may_goto depth in effect. */
  mayGotoDepth: number;
  /** How many times a callback has been unrolled along this path. */
  callbackDepth: number;
  /** For a checkpoint that entered a loop: that visit of the loop (bpf_scc_visit). */
  scc: SccVisit | undefined;
  /** The conditional branches this path took, newest first (for the explanation of a rejection). */
  trail: Trail | undefined;
}

/**
 * One entry of a path's history, as the kernel's jmp_history keeps it: only insns reached
 * other than from the one before them, or that touched the stack, or whose jump linked
 * scalars; every other step of the path is the previous slot. `e` is slot * 1024, plus the
 * stack slot an access touched (stackEntry), or a negative linkedEntry. Immutable, so forks
 * share their past.
 */
export interface Hist {
  readonly e: number;
  /** The insn the path came from (prev_idx); unused for linked entries. */
  readonly from: number;
  readonly prev: Hist | undefined;
  /** Entries the kernel's jmp_history would hold up to here (jump points, stack accesses, linked scalars). */
  readonly j: number;
}

/** `counts`: the kernel would record this entry too (jmp_history_cnt grows by one). */
export const histPush = (h: Hist | undefined, e: number, from: number, counts: boolean): Hist => ({ e, from, prev: h, j: (h ? h.j : 0) + (counts ? 1 : 0) });

/** Whether the newest entry (the insn being checked) is one the kernel records already. */
export const histCounted = (h: Hist | undefined): boolean => !!h && h.j !== (h.prev ? h.prev.j : 0);

/** One branch taken: the jump's slot and where the path went. */
export interface Trail {
  readonly from: number;
  readonly to: number;
  readonly prev: Trail | undefined;
}

/** One visit of a loop: complete when every path from its entry is done (entry.branches is 0). */
export interface SccVisit {
  readonly key: string;
  readonly entry: State;
  /** Hits on states of the loop still being explored (add_scc_backedge). */
  backedges: number;
}

export function copyFrame(f: Frame): Frame {
  const regs = new Array<Reg>(f.regs.length);
  for (let k = 0; k < regs.length; k++) regs[k] = copyReg(f.regs[k]!);
  const stack = new Array<StackSlot>(f.stack.length);
  for (let k = 0; k < stack.length; k++) {
    const sl = f.stack[k]!;
    stack[k] = { types: sl.types, spilled: sl.spilled && copyReg(sl.spilled) };
  }
  return {
    regs,
    stack,
    callsite: f.callsite,
    subprog: f.subprog,
    frameno: f.frameno,
    callbackRet: f.callbackRet,
    inCallback: f.inCallback,
    depth: f.depth,
    callbackDepth: f.callbackDepth,
  };
}

export function copyState(s: State): State {
  return {
    frames: s.frames.map(copyFrame),
    refs: s.refs.slice(),
    activeLock: s.activeLock,
    rcuLock: s.rcuLock,
    preemptLock: s.preemptLock,
    parent: s.parent,
    branches: s.branches,
    insn: s.insn,
    history: s.history,
    lastInsn: s.lastInsn,
    mayGotoDepth: s.mayGotoDepth,
    callbackDepth: s.callbackDepth,
    scc: undefined,
    trail: s.trail,
  };
}

export function newFrame(callsite: number, subprog: number, frameno: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(newReg());
  return { regs, stack: [], callsite, subprog, frameno, callbackRet: undefined, inCallback: false, depth: 0, callbackDepth: 0 };
}
