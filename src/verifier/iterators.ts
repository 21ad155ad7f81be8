/**
 * @fileoverview Open-coded iterators (bpf_iter_<type>_new/next/destroy, libbpf's bpf_for and
 * bpf_repeat), as the kernel's process_iter_arg and process_iter_next_call model them: the
 * iterator's state lives in STACK_ITER slots ('i') and holds a reference until destroyed;
 * each next call forks an active state one level deeper (r0 not NULL) and goes on itself
 * with the iterator drained (r0 NULL). Loops converge because next calls are checkpoints
 * that compare states still being explored, ignoring the depth (prune.ts).
 */

import type { Btf } from "../btf/types.js";
import { acquireReference, releaseReference } from "./calls.js";
import { checkHelperMem } from "./memory.js";
import { constValue, isConst, scalarEqual } from "./scalar.js";
import { copyReg, type Frame, newReg, type Reg, SCALAR_UNKNOWN, type StackSlot, type State, setScalar } from "./state.js";
import { constScalar, type Walker } from "./walker.js";
import { KF_ITER_DESTROY, KF_ITER_NEW, KF_RCU_PROTECTED, type Kfunc } from "./kfuncs.js";

/** BPF_ITER_STATE_ACTIVE / BPF_ITER_STATE_DRAINED, kept in the iterator register's memSize. */
export const ITER_ACTIVE = 1;
export const ITER_DRAINED = 2;

/**
 * The iterator's state, in the 'i' slot's register: type "iter", btfType its struct,
 * refObjId its reference, off its depth, memSize ACTIVE or DRAINED, rdonly PTR_UNTRUSTED
 * (an RCU-protected iterator made outside an RCU section).
 */
export type IterReg = Reg & { type: "iter" };

/** btf_check_iter_arg: a pointer to `struct bpf_iter_<type>`, a multiple of 8 bytes. */
export function iterStructOf(btf: Btf, pointee: number): { name: string; size: number } | undefined {
  const t = btf.resolve(pointee);
  if (t.kind !== "struct" || !t.name.startsWith("bpf_iter_") || t.size === 0 || t.size % 8) return undefined;
  return { name: t.name, size: t.size };
}

/** iter_type_str: "num" for bpf_iter_num. */
const typeStr = (name: string): string => name.slice("bpf_iter_".length);

/** process_iter_arg for one argument of a new, next or destroy call. */
export function iterArg(w: Walker, k: Kfunc, regno: number, r: Reg, iter: { name: string; size: number }, meta: { refObjId: number; iter: { frameno: number; slot: number } | undefined }, t: number): void {
  const argno = regno - 1;
  if (r.type !== "fp") w.reject(`arg#${argno} expected pointer to an iterator on stack`);
  if (!isConst(r.s)) w.reject(`R${regno} variable offset stack access prohibited for iter`);
  const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  if (off % 8) w.reject(`cannot pass in iter at an offset=${off}`);
  const nr = iter.size / 8;
  const spi = (-off - 1) >> 3;
  if (off >= 0 || spi >= 64 || spi - nr + 1 < 0) w.reject(`invalid write to stack R${regno} off=${off} size=${iter.size}`);
  const f = w.cur.frames[r.frameno]!;
  const slots = (): StackSlot[] => Array.from({ length: nr }, (_, j) => slotOf(f, spi - j));
  if (k.flags & KF_ITER_NEW) {
    if (slots().some((s) => /[id]/.test(s.types))) w.reject(`expected uninitialized iter_${typeStr(iter.name)} as arg #${argno}`);
    checkHelperMem(w, regno, r, iter.size, true, false);
    const id = acquireReference(w, t);
    const st = newReg() as IterReg;
    st.type = "iter";
    st.btfType = iter.name;
    st.refObjId = id;
    st.memSize = ITER_ACTIVE;
    // KF_RCU_PROTECTED: made outside an RCU section (in_rcu_cs: a non-sleepable program is always in one), it is unusable.
    st.rdonly = !!(k.flags & KF_RCU_PROTECTED) && w.env.sleepable && !w.cur.rcuLock && !w.cur.activeLock;
    for (const s of slots()) { s.types = "iiiiiiii"; s.spilled = copyReg(st); }
    return;
  }
  // mark_stack_slot_obj_read: the iterator's slots are read (stack liveness).
  for (let j = 0; j < nr; j++) w.stackLive.read(w.cur, r.frameno, w.insn, spi - j);
  const st = slotOf(f, spi).spilled;
  const valid = st?.type === "iter" && st.btfType === iter.name && slots().every((s) => s.types === "iiiiiiii");
  if (!valid) w.reject(`expected an initialized iter_${typeStr(iter.name)} as arg #${argno}`);
  if (st.rdonly) w.reject(`expected an RCU CS when using ${k.name}`);
  meta.refObjId = st.refObjId;
  meta.iter = { frameno: r.frameno, slot: spi };
  if (k.flags & KF_ITER_DESTROY) {
    // unmark_stack_slots_iter, then the reference goes.
    for (const s of slots()) { s.types = "????????"; s.spilled = undefined; }
    releaseReference(w, st.refObjId);
    meta.refObjId = 0;
  }
}

function slotOf(f: Frame, k: number): StackSlot {
  while (f.stack.length <= k) f.stack.push({ types: "????????", spilled: undefined });
  return f.stack[k]!;
}

/** The iterator a next call works on, in a given state. */
function iterIn(s: State, at: { frameno: number; slot: number }): IterReg {
  return s.frames[at.frameno]!.stack[at.slot]!.spilled as IterReg;
}

/**
 * process_iter_next_call: an active iterator forks a state one level deeper, where r0 is not
 * NULL (widened against the previous iteration's checkpoint); this state goes on drained, r0 NULL.
 */
export function iterNext(w: Walker, at: { frameno: number; slot: number }, t: number): void {
  const cur = iterIn(w.cur, at);
  if (cur.memSize !== ITER_ACTIVE && cur.memSize !== ITER_DRAINED) w.reject(`verifier internal error: unexpected iterator state ${cur.memSize}`);
  if (cur.memSize === ITER_ACTIVE) {
    const q = w.pushBranch(t + 1, t);
    const qi = iterIn(q, at);
    qi.off++;
    for (const s of q.frames[at.frameno]!.stack) if (s.spilled?.type === "iter" && s.spilled.refObjId === qi.refObjId) s.spilled.off = qi.off;
    const prev = findPrevEntry(w, t);
    if (prev) widenScalars(prev, q);
    const r0 = q.frames[q.frames.length - 1]!.regs[0]!;
    r0.maybeNull = false;
    if (r0.type === "ptr_") r0.id = 0;
  }
  for (const s of w.cur.frames[at.frameno]!.stack) if (s.spilled?.type === "iter" && s.spilled.refObjId === cur.refObjId) s.spilled.memSize = ITER_DRAINED;
  const r0 = w.reg(0);
  setScalar(r0, constScalar(0n));
}

/**
 * widen_imprecise_scalars: a scalar that no decision needed and that is not the same as in
 * the previous iteration's checkpoint becomes unknown, so that counters do not keep the
 * iterations apart (maybe_widen_reg: the same value and the same links is regs_exact).
 */
function widenScalars(prev: State, cur: State): void {
  const ids = new Map<number, number>();
  const sameId = (a: number, b: number): boolean => {
    if (!a && !b) return true;
    if (!a || !b) return false;
    const m = ids.get(a);
    if (m === undefined) { ids.set(a, b); return true; }
    return m === b;
  };
  const widen = (o: Reg | undefined, c: Reg | undefined): void => {
    if (!o || !c || o.type !== "scalar" || c.type !== "scalar" || o.precise || c.precise) return;
    if ((o.s === c.s || scalarEqual(o.s, c.s)) && o.off === c.off && sameId(o.id, c.id)) return;
    setScalar(c, SCALAR_UNKNOWN);
  };
  prev.frames.forEach((f, k) => {
    const g = cur.frames[k]!;
    for (let r = 0; r < 10; r++) widen(f.regs[r], g.regs[r]);
    f.stack.forEach((sl, n) => widen(sl.spilled, g.stack[n]?.spilled));
  });
}

/**
 * find_prev_entry: the checkpoint at this next call from the previous iteration, i.e. the
 * newest one still being explored other than the one this path just made.
 */
function findPrevEntry(w: Walker, t: number): State | undefined {
  const list = w.explored.get(t);
  if (!list) return undefined;
  const cur = w.cur;
  for (let k = list.length - 1; k >= 0; k--) {
    const s = list[k]!.state;
    if (s === cur.parent || s.branches === 0 || s.frames.length !== cur.frames.length) continue;
    if (s.frames.every((f, n) => f.callsite === cur.frames[n]!.callsite)) return s;
  }
  return undefined;
}

/** The state of the iterator r1 points to at a next call (for is_state_visited), if any. */
export function iterAtR1(s: State): IterReg | undefined {
  const f = s.frames[s.frames.length - 1]!;
  const r1 = f.regs[1]!;
  if (r1.type !== "fp" || !isConst(r1.s)) return undefined;
  const off = r1.off + Number(BigInt.asIntN(64, constValue(r1.s)!));
  const st = s.frames[r1.frameno]?.stack[(-off - 1) >> 3]?.spilled;
  return st?.type === "iter" ? (st as IterReg) : undefined;
}

/** Iterator slots are equal when of the same type and state, with matching references; the depth does not count. */
export function iterSafe(o: Reg | undefined, c: Reg | undefined, checkIds: (a: number, b: number) => boolean): boolean {
  if (!o || !c || o.type !== "iter" || c.type !== "iter") return !o && !c;
  return o.btfType === c.btfType && o.memSize === c.memSize && o.rdonly === c.rdonly && checkIds(o.refObjId, c.refObjId);
}
