/**
 * @fileoverview Dynptrs (struct bpf_dynptr, 16 bytes on the stack), as the kernel's
 * process_dynptr_func and its helpers model them: a call that makes one marks its two slots
 * STACK_DYNPTR ('d') with the dynptr's type (local, ringbuf, skb, xdp) and an id; a ringbuf
 * dynptr holds a reference that submit or discard releases (with its clones and slices);
 * calls that use one need it initialised and of their type; the slots are not data (reads
 * refused, memory.ts), and a write over an unreferenced dynptr destroys it and its slices
 * while one over a referenced dynptr is refused.
 */

import { isConst, constValue } from "./scalar.js";
import { type Frame, newReg, type Reg, SCALAR_UNKNOWN, setNotInit, setScalar, type StackSlot } from "./state.js";
import { acquireReference } from "./calls.js";
import type { Walker } from "./walker.js";

/** enum bpf_dynptr_type, as dynptr_type_str names it. */
export type DynptrType = "local" | "ringbuf" | "skb" | "xdp";

/** BPF_DYNPTR_NR_SLOTS */
const NR_SLOTS = 2;

/**
 * The dynptr's state, in each of its two 'd' slots' register: type "dynptr", btfType its
 * dynptr type, id its dynptr id, refObjId its reference (ringbuf), memSize 1 in the first
 * slot (the dynptr's lower 8 bytes: dynptr.first_slot).
 */
export type DynptrReg = Reg & { type: "dynptr" };

/** The argument as its bpf_arg_type flags give it: DYNPTR_TYPE_*, MEM_UNINIT, MEM_RDONLY. */
export interface DynptrArgType {
  readonly type?: DynptrType | undefined;
  readonly uninit?: boolean | undefined;
  readonly rdonly?: boolean | undefined;
}

/** What a call learns from an initialised dynptr argument (meta->initialized_dynptr). */
export interface DynptrInfo {
  id: number;
  type: DynptrType;
  refObjId: number;
}

/** dynptr_type_refcounted */
const refcounted = (type: string): boolean => type === "ringbuf";

function slotOf(f: Frame, k: number): StackSlot {
  while (f.stack.length <= k) f.stack.push({ types: "????????", spilled: undefined });
  return f.stack[k]!;
}

const ERANGE = -2;

/**
 * dynptr_get_spi (stack_slot_obj_get_spi): the slot of the dynptr's first 8 bytes, ERANGE
 * when its slots lie past the stack allocated so far, or the kernel's words for a bad
 * offset (a line its callers follow with their own message).
 */
function spiOf(w: Walker, r: Reg): number | string {
  if (!isConst(r.s)) return "dynptr has to be at a constant offset";
  const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const spi = (-off - 1) >> 3;
  if (off % 8 || off >= 0 || spi + 1 < NR_SLOTS) return `cannot pass in dynptr at an offset=${off}`;
  const f = w.cur.frames[r.frameno]!;
  if (spi - NR_SLOTS + 1 < 0 || spi >= f.stack.length || spi >= 64) return ERANGE;
  return spi;
}

/** The first slot's state of an initialised dynptr the register points to (is_dynptr_reg_valid_init), if any. */
function initialised(w: Walker, regno: number, r: Reg): DynptrReg {
  if (r.type === "dynptr_ptr") return r as DynptrReg;
  const spi = spiOf(w, r);
  const message = `Expected an initialized dynptr as arg #${regno - 1}`;
  if (typeof spi === "string") w.reject2(spi, message);
  if (spi < 0) w.reject(message);
  const f = w.cur.frames[r.frameno]!;
  markObjRead(w, r.frameno, spi);
  const a = f.stack[spi]!;
  const b = f.stack[spi - 1]!;
  if (a.spilled?.type !== "dynptr" || a.spilled.memSize !== 1 || a.types !== "dddddddd" || b.types !== "dddddddd") w.reject(message);
  return a.spilled as DynptrReg;
}

/** mark_stack_slot_obj_read: a dynptr's two slots are read (stack liveness). */
function markObjRead(w: Walker, frameno: number, spi: number): void {
  w.stackLive.read(w.cur, frameno, w.insn, spi);
  w.stackLive.read(w.cur, frameno, w.insn, spi - 1);
}

/**
 * process_dynptr_func for argument `regno`: a dynptr the call makes (uninit) is marked on
 * the stack, with a reference for a ringbuf one (or its parent's, for a clone); one the
 * call uses must be initialised and of the call's type. Returns the used dynptr's facts.
 */
export function dynptrArg(w: Walker, regno: number, r: Reg, arg: DynptrArgType, t: number, cloneRef = 0): DynptrInfo | undefined {
  if (r.type !== "fp" && r.type !== "dynptr_ptr") w.reject(`arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`);
  if (arg.uninit) {
    // is_dynptr_reg_valid_uninit: a const dynptr, or a bad offset, is not a place to make one.
    if (r.type === "dynptr_ptr") w.reject("Dynptr has to be an uninitialized dynptr");
    const spi = spiOf(w, r);
    if (typeof spi === "string") w.reject2(spi, "Dynptr has to be an uninitialized dynptr");
    // Written as two 8-byte stores first (check_mem_access), which bounds-checks the slots.
    const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
    if (off < -512) w.reject(`invalid write to stack R${regno} off=${off} size=8`);
    markSlots(w, r, arg.type ?? "local", t, cloneRef);
    return undefined;
  }
  if (r.type === "dynptr_ptr" && !arg.rdonly) w.reject("cannot pass pointer to const bpf_dynptr, the helper mutates it");
  const st = initialised(w, regno, r);
  if (arg.type && st.btfType !== arg.type) w.reject(`Expected a dynptr of type ${arg.type} as arg #${regno - 1}`);
  return { id: st.id, type: st.btfType as DynptrType, refObjId: st.refObjId };
}

/** mark_stack_slots_dynptr: any dynptr at either slot is destroyed first (refused if referenced). */
function markSlots(w: Walker, r: Reg, type: DynptrType, t: number, cloneRef: number): void {
  const f = w.cur.frames[r.frameno]!;
  const off = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const spi = (-off - 1) >> 3;
  destroyIfDynptrSlot(w, f, spi);
  destroyIfDynptrSlot(w, f, spi - 1);
  const id = w.newId();
  const ref = refcounted(type) ? cloneRef || acquireReference(w, t) : 0;
  for (const k of [spi, spi - 1]) {
    const s = slotOf(f, k);
    const d = newReg();
    d.type = "dynptr";
    d.btfType = type;
    d.id = id;
    d.refObjId = ref;
    d.memSize = k === spi ? 1 : 0;
    s.types = "dddddddd";
    s.spilled = d;
  }
  const depth = -off;
  if (depth > f.depth) f.depth = depth;
  if (depth > w.stackDepth[f.subprog]!) w.stackDepth[f.subprog] = depth;
}

/** invalidate_dynptr: both slots invalid again. */
function invalidateSlots(f: Frame, spi: number): void {
  for (const k of [spi, spi - 1]) {
    const s = f.stack[k];
    if (s) { s.types = "????????"; s.spilled = undefined; }
  }
}

/** A slice of a dynptr (a mem register with its dynptr id in `range`) becomes unusable (mark_reg_invalid). */
function invalidateSlices(w: Walker, dynptrId: number): void {
  for (const f of w.cur.frames) {
    for (const r of f.regs) if (r.type === "mem" && r.range === dynptrId) invalidReg(w, r);
    for (const s of f.stack) if (s.spilled?.type === "mem" && s.spilled.range === dynptrId) invalidReg(w, s.spilled);
  }
}

function invalidReg(w: Walker, r: Reg): void {
  if (w.env.privileged) setScalar(r, SCALAR_UNKNOWN);
  else setNotInit(r);
}

/**
 * destroy_if_dynptr_stack_slot: a write to slot `spi` (or a new dynptr over it) ends the
 * dynptr there and its slices; a referenced one cannot be overwritten.
 */
export function destroyIfDynptrSlot(w: Walker, f: Frame, spi: number): void {
  const s = f.stack[spi];
  if (!s || s.types[0] !== "d" || s.spilled?.type !== "dynptr") return;
  const first = s.spilled.memSize === 1 ? spi : spi + 1;
  const d = f.stack[first]!.spilled!;
  if (refcounted(d.btfType)) w.reject("cannot overwrite referenced dynptr");
  invalidateSlots(f, first);
  invalidateSlices(w, d.id);
}

/**
 * The OBJ_RELEASE check of a dynptr argument (check_func_arg): only a referenced dynptr on
 * the stack can be released. Returns its first slot.
 */
export function dynptrReleaseCheck(w: Walker, regno: number, r: Reg): void {
  if (r.type !== "fp") w.reject("cannot release unowned const bpf_dynptr");
  const spi = spiOf(w, r);
  const f = w.cur.frames[r.frameno]!;
  const message = `arg ${regno} is an unacquired reference`;
  if (typeof spi === "string") w.reject2(spi, message);
  if (spi >= 0) markObjRead(w, r.frameno, spi);
  if (spi < 0 || !f.stack[spi]?.spilled?.refObjId || f.stack[spi]!.types[0] !== "d") w.reject(message);
}

/**
 * unmark_stack_slots_dynptr: a released dynptr's reference ends, and with it its slices and
 * every clone (the slots holding the same reference). `release` drops the reference (release_reference).
 */
export function releaseDynptr(w: Walker, r: Reg, release: (id: number) => void): void {
  const f = w.cur.frames[r.frameno]!;
  const spi = spiOf(w, r) as number;
  const d = f.stack[spi]!.spilled!;
  if (!refcounted(d.btfType)) { invalidateSlots(f, spi); return; }
  const ref = d.refObjId;
  for (let k = 1; k < f.stack.length; k++) {
    const s = f.stack[k]!;
    if (s.spilled?.type === "dynptr" && s.spilled.refObjId === ref && s.spilled.memSize === 1) {
      invalidateSlices(w, s.spilled.id);
      invalidateSlots(f, k);
    }
  }
  release(ref);
}

/** print_verifier_state of a dynptr's first slot: `dynptr_ringbuf(id=2,ref_id=1)`. */
export function formatDynptr(d: Reg): string {
  const parts: string[] = [];
  if (d.id) parts.push(`id=${d.id}`);
  if (d.refObjId) parts.push(`ref_id=${d.refObjId}`);
  return `dynptr_${d.btfType}(${parts.join(",")})`;
}

/** stacksafe on STACK_DYNPTR: the same type and slot, references matching. */
export function dynptrSafe(o: Reg | undefined, c: Reg | undefined, checkIds: (a: number, b: number) => boolean): boolean {
  if (!o || !c || o.type !== "dynptr" || c.type !== "dynptr") return !o && !c;
  return o.btfType === c.btfType && o.memSize === c.memSize && checkIds(o.refObjId, c.refObjId);
}
