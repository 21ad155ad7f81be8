/**
 * @fileoverview Linked lists of local objects (bpf_list_head in a map value, the kernel's
 * graph API): the head's argument checks (process_kf_arg_ptr_to_list_head,
 * check_reg_allocation_locked), the node's (process_kf_arg_ptr_to_list_node, its type and
 * offset matched against the head's `__contains`), the pushed object's reference becoming a
 * non-owning one (ref_convert_owning_non_owning) that the unlock invalidates
 * (invalidate_non_owning_refs), and pop's r0: an owning reference to the node inside its struct.
 * rbtrees (bpf_rbtree_add's less callback) are not modelled: their kfuncs are refused under a lock.
 */

import type { SpecialField } from "../maps/value-fields.js";
import { isLocalObj, LOCAL_PREFIX, localFieldsOf, localStruct } from "./kptr.js";
import { constValue, isConst } from "./scalar.js";
import { tnumStr } from "./tnum.js";
import { type Reg, SCALAR_UNKNOWN, setNotInit, setPointer, setScalar } from "./state.js";
import type { Walker } from "./walker.js";

/** The list kfuncs a program may call while it holds the lock (is_bpf_graph_api_kfunc, lists only). */
export const LIST_KFUNCS = new Set(["bpf_list_push_front_impl", "bpf_list_push_back_impl", "bpf_list_pop_front", "bpf_list_pop_back"]);

/** A local object whose owning reference went into a list (NON_OWN_REF), in a local object's `range`. */
export const NON_OWN_REF = 8;

/** What the head argument named: its field, for the node and r0. */
export interface ListHead {
  readonly field: SpecialField;
}

/** process_kf_arg_ptr_to_list_head and check_reg_allocation_locked, for a head in a map value. */
export function listHeadArg(w: Walker, a: number, regno: number, r: Reg, lockKey: (r: Reg) => number): ListHead {
  const local = isLocalObj(r) && r.btfType.startsWith(LOCAL_PREFIX) && !r.maybeNull;
  if (!local && (r.type !== "map_value" || r.maybeNull)) w.reject(`arg#${a} expected pointer to map value or allocated object`);
  if (local && !r.refObjId && !(r.range & NON_OWN_REF)) w.reject("allocated object must be referenced");
  if (!isConst(r.s)) w.reject(`R${regno} doesn't have constant offset. bpf_list_head has to be at the constant offset`);
  const at = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const fields = local ? localFieldsOf(w, localStruct(r)) : w.env.valueFields?.(r.map!);
  const field = fields?.special?.find((f) => f.name === "bpf_list_head" && f.offset === at);
  if (!field) w.reject(`bpf_list_head not found at offset=${at}`);
  const lockOff = fields?.spinLockOffset;
  if (lockOff === undefined) w.reject("verifier internal error: bpf_list_head without bpf_spin_lock");
  // The lock of the head's own allocation must be the one held (a local object's lock is never
  // taken here: bpf_spin_lock takes map values only).
  if (local || !w.cur.activeLock || w.cur.activeLock !== lockKey(r)) w.reject(`bpf_spin_lock at off=${lockOff} must be held for bpf_list_head`);
  if (!field.contains) w.reject("verifier internal error: bpf_list_head without __contains");
  return { field };
}

/** process_kf_arg_ptr_to_list_node: an owned local object of the head's node type, at its node. */
export function listNodeArg(w: Walker, a: number, regno: number, r: Reg, head: ListHead): void {
  // A non-owning reference is not the owned object the list takes.
  if (!isLocalObj(r) || !r.btfType.startsWith(LOCAL_PREFIX) || r.range & NON_OWN_REF) w.reject(`arg#${a} expected pointer to allocated object`);
  if (!r.refObjId) w.reject("allocated object must be referenced");
  if (!isConst(r.s)) w.reject(`variable ptr_ access var_off=${tnumStr(r.s.varOff)} disallowed`);
  const at = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const struct = localStruct(r);
  const node = localFieldsOf(w, struct).special?.find((f) => f.name === "bpf_list_node" && f.offset === at);
  if (!node) w.reject(`bpf_list_node not found at offset=${at}`);
  const want = head.field.contains!;
  const wantOff = memberOffset(w, want.struct, want.node);
  if (struct !== want.struct) {
    w.reject(`operation on bpf_list_head expects arg#1 bpf_list_node at offset=${wantOff} in struct ${want.struct}, but arg is at offset=${at} in struct ${struct}`);
  }
  if (at !== wantOff) w.reject(`arg#1 offset=${at}, but expected bpf_list_node at offset=${wantOff} in struct ${want.struct}`);
}

/** A top-level member's byte offset in the program's struct, -1 if absent. */
function memberOffset(w: Walker, struct: string, member: string): number {
  const t = w.env.objectBtf?.byName(struct).find((x) => x.kind === "struct");
  if (!t || t.kind !== "struct") return -1;
  const m = t.members.find((x) => x.name === member);
  return m ? Math.floor(m.bitOffset / 8) : -1;
}

/** ref_convert_owning_non_owning: every copy of the pushed object stays usable until the unlock, unowned. */
export function convertToNonOwning(w: Walker, id: number): void {
  for (const f of w.cur.frames) {
    for (const r of f.regs) if (r.refObjId === id) { r.refObjId = 0; r.range |= NON_OWN_REF; }
    for (const s of f.stack) if (s.spilled?.refObjId === id) { s.spilled.refObjId = 0; s.spilled.range |= NON_OWN_REF; }
  }
}

/** invalidate_non_owning_refs, at bpf_spin_unlock. */
export function invalidateNonOwning(w: Walker): void {
  const gone = (r: Reg) => {
    if (w.env.privileged) setScalar(r, SCALAR_UNKNOWN);
    else setNotInit(r);
  };
  for (const f of w.cur.frames) {
    for (const r of f.regs) if (isLocalObj(r) && r.range & NON_OWN_REF) gone(r);
    for (const s of f.stack) if (s.spilled && isLocalObj(s.spilled) && s.spilled.range & NON_OWN_REF) gone(s.spilled);
  }
}

/** bpf_list_pop_*: r0 points at the node inside an object of the head's struct (the caller acquires it). */
export function listPopResult(w: Walker, r0: Reg, head: ListHead): void {
  const want = head.field.contains!;
  const t = w.env.objectBtf?.byName(want.struct).find((x) => x.kind === "struct");
  setPointer(r0, "mem");
  r0.btfType = LOCAL_PREFIX + want.struct;
  r0.memSize = t && t.kind === "struct" ? t.size : 0;
  r0.off = Math.max(0, memberOffset(w, want.struct, want.node));
}
