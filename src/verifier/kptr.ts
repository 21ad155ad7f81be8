/**
 * @fileoverview kptrs: pointers kept in map values. Which loads and stores may touch a
 * map value's special fields (check_map_access), what a kptr load gives and what a store
 * may put there (check_map_kptr_access, btf_ld_kptr_type, map_kptr_match_type), and
 * bpf_kptr_xchg's destination (process_kptr_func) and result.
 *
 * A local kptr (a struct of the program's own BTF, from bpf_obj_new) is a `mem` register
 * whose btfType is `local:<struct>`; a kernel one a `ptr_` of its struct.
 */

import type { KptrField, ValueFields } from "../maps/value-fields.js";
import { valueFields } from "../maps/value-fields.js";
import { typeName } from "./log.js";
import { tnumStr } from "./tnum.js";
import { constValue, isConst, scalarUnknown } from "./scalar.js";
import { BTF_PTR_RCU, BTF_PTR_UNTRUSTED, copyReg, type Reg, setPointer, setScalar } from "./state.js";
import type { Walker } from "./walker.js";

/** How a map value's bytes are reached: by an instruction, or by a helper given the pointer. */
export type FieldAccess = "direct" | "helper";

/** btf_field_type_name */
const fieldName = (name: string): string => name;

/** The kptr a local object's register names: `local:<struct>`. */
export const LOCAL_PREFIX = "local:";
/**
 * A per-CPU local object (bpf_percpu_obj_new, a percpu_kptr): `percpu:<struct>`, of size 0,
 * since it may not be read or written directly (MEM_PERCPU).
 */
export const PERCPU_PREFIX = "percpu:";
export const isLocalObj = (r: Reg): boolean => r.type === "mem" && (r.btfType.startsWith(LOCAL_PREFIX) || r.btfType.startsWith(PERCPU_PREFIX));
/** The struct a local object is of. */
export const localStruct = (r: Reg): string => r.btfType.slice(r.btfType.indexOf(":") + 1);

/**
 * check_map_access's walk over the value's fields: a kptr is touched only by a direct,
 * constant, aligned 8-byte access; any other field not at all. Returns the kptr accessed.
 */
export function checkValueFields(w: Walker, regno: number, base: Reg, off: number, size: number, src: FieldAccess): KptrField | undefined {
  const fields = w.env.valueFields?.(base.map!);
  if (!fields) return undefined;
  const lo = base.s.smin + BigInt(base.off + off);
  const hi = base.s.umax + BigInt(base.off + off + size);
  const overlaps = (at: number, len: number) => lo < BigInt(at + len) && BigInt(at) < hi;
  let hit: KptrField | undefined;
  for (const f of fields.special ?? []) {
    if (overlaps(f.offset, f.size)) w.reject(`${fieldName(f.name)} cannot be accessed directly by load/store`);
  }
  for (const k of fields.kptrs ?? []) {
    if (!overlaps(k.offset, 8)) continue;
    if (src !== "direct") w.reject("kptr cannot be accessed indirectly by helper");
    if (!isConst(base.s)) w.reject("kptr access cannot have variable offset");
    const at = base.off + off + Number(BigInt.asIntN(64, constValue(base.s)!));
    if (k.offset !== at) w.reject(`kptr access misaligned expected=${k.offset} off=${at}`);
    if (size !== 8) w.reject("kptr access size must be BPF_DW");
    hit = k;
  }
  return hit;
}

/**
 * check_ptr_to_btf_access and btf_struct_access for a local object: a constant offset inside
 * it, and none of its special fields (kptrs, list nodes, locks, the refcount) touched directly.
 */
export function checkLocalAccess(w: Walker, regno: number, base: Reg, off: number, size: number): void {
  const struct = localStruct(base);
  const at = base.off + off;
  if (at < 0) w.reject(`R${regno} is ptr_${struct} invalid negative access: off=${at}`);
  if (!isConst(base.s)) w.reject(`R${regno} is ptr_${struct} invalid variable offset: off=${at}, var_off=${tnumStr(base.s.varOff)}`);
  const o = at + Number(BigInt.asIntN(64, constValue(base.s)!));
  const f = localFieldsOf(w, struct);
  const fields = [...(f.special ?? []), ...(f.kptrs ?? []).map((k) => ({ offset: k.offset, size: 8, name: "kptr" }))];
  for (const x of fields) {
    if (o < x.offset + x.size && o + size > x.offset) w.reject(`direct access to ${fieldName(x.name)} is disallowed`);
  }
}

/** The fields of the program's struct `name` (its btf_struct_meta record). */
export function localFieldsOf(w: Walker, name: string): ValueFields {
  const own = w.env.objectBtf;
  if (!own) return {};
  let byName = LOCAL_FIELDS.get(own);
  if (!byName) LOCAL_FIELDS.set(own, (byName = new Map()));
  let f = byName.get(name);
  if (!f) {
    const t = own.byName(name).find((x) => x.kind === "struct");
    byName.set(name, (f = t ? valueFields(own, t.id) : {}));
  }
  return f;
}
const LOCAL_FIELDS = new WeakMap<object, Map<string, ValueFields>>();

/** What an instruction does with a kptr field. */
export interface KptrOp {
  readonly kind: "load" | "store" | "store_imm" | "atomic";
  readonly value?: Reg | undefined;
  readonly valueRegno?: number;
  readonly imm?: number | undefined;
}

/** check_map_kptr_access: returns the register a load gives. */
export function kptrAccess(w: Walker, field: KptrField, op: KptrOp): Reg | undefined {
  if (op.kind === "atomic") w.reject("kptr in map can only be accessed using BPF_MEM instruction mode");
  // Only unreferenced kptrs are stored directly; a referenced one moves by bpf_kptr_xchg.
  if (op.kind !== "load" && field.kind !== "kptr_untrusted") w.reject("store to referenced kptr disallowed");
  if (op.kind === "load") return kptrLoad(w, field);
  if (op.kind === "store_imm") {
    if (op.imm) w.reject(`BPF_ST imm must be 0 when storing to kptr at off=${field.offset}`);
    return undefined;
  }
  const v = op.value!;
  const isNull = v.type === "scalar" && isConst(v.s) && constValue(v.s) === 0n;
  if (!isNull) matchKptrType(w, field, v, op.valueRegno ?? 0);
  return undefined;
}

/** Whether the field's struct is the program's own (btf_parse_kptr: not found in the kernel's BTF). */
export function isLocalKptr(w: Walker, field: KptrField): boolean {
  const k = w.env.kernelBtf;
  if (!k) return false;
  const has = (b: { byName(n: string): readonly { kind: string }[] }) => b.byName(field.struct).some((t) => t.kind === "struct");
  if (has(k)) return false;
  for (const m of w.env.moduleBtfs?.() ?? []) if (has(m)) return false;
  return true;
}

/** rcu_protected_types, and local structs holding a bpf_refcount (rcu_protected_object). */
const RCU_PROTECTED = new Set(["prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct"]);

function rcuSafe(w: Walker, field: KptrField, local: boolean): boolean {
  if (field.kind === "percpu_kptr") return true;
  if (field.kind !== "kptr") return false;
  if (!local) return RCU_PROTECTED.has(field.struct);
  return localHasRefcount(w, field.struct);
}

/** Whether the program's struct `name` holds a bpf_refcount (btf_record_has_field(rec, BPF_REFCOUNT)). */
export function localHasRefcount(w: Walker, name: string): boolean {
  return (localFieldsOf(w, name).special ?? []).some((f) => f.name === "bpf_refcount");
}

/** in_rcu_cs */
const inRcu = (w: Walker): boolean => !w.env.sleepable || w.cur.rcuLock !== 0 || w.cur.activeLock !== 0;

/**
 * btf_ld_kptr_type: a loaded kptr is NULL or an RCU pointer (for RCU-protected types inside
 * an RCU section), otherwise untrusted. An untrusted local object, which only probe reads
 * could use, is an unknown scalar here (refusing more than the kernel, never less).
 */
function kptrLoad(w: Walker, field: KptrField): Reg {
  const local = isLocalKptr(w, field);
  const r = copyReg(w.reg(0));
  const rcu = rcuSafe(w, field, local) && inRcu(w);
  if (local && !rcu) {
    setScalar(r, scalarUnknown());
    return r;
  }
  if (local) {
    setLocal(w, r, field);
    // MEM_RCU|MEM_PERCPU: what bpf_per_cpu_ptr takes (a local object's range is otherwise unused).
    if (field.kind === "percpu_kptr") r.range = BTF_PTR_RCU;
  } else {
    setPointer(r, "ptr_");
    r.btfType = field.struct;
    r.range = rcu ? BTF_PTR_RCU : BTF_PTR_UNTRUSTED;
  }
  r.maybeNull = true;
  r.id = w.newId();
  return r;
}

/** A local object of the field's struct (per-CPU for a percpu_kptr). */
function setLocal(w: Walker, r: Reg, field: KptrField): void {
  setPointer(r, "mem");
  const percpu = field.kind === "percpu_kptr";
  r.btfType = (percpu ? PERCPU_PREFIX : LOCAL_PREFIX) + field.struct;
  let size = 0;
  try { size = percpu ? 0 : w.env.objectBtf?.sizeof(field.typeId) ?? 0; } catch { size = 0; }
  r.memSize = size;
}

/**
 * map_kptr_match_type: a kernel pointer (trusted, RCU, plain; untrusted too for an
 * unreferenced field) or a local object, of the field's struct, at offset 0.
 */
export function matchKptrType(w: Walker, field: KptrField, r: Reg, regno: number): void {
  const local = isLocalKptr(w, field);
  const bad = (): never => {
    const have = r.type === "ptr_" ? `${typeName(r)}${r.btfType}` : isLocalObj(r) ? `ptr_${r.maybeNull ? "or_null_" : ""}${localStruct(r)}` : typeName(r);
    return w.reject(`invalid kptr access, R${regno} type=${have} expected=ptr_${field.struct}${field.kind === "kptr_untrusted" ? ` or untrusted_ptr_${field.struct}` : ""}`);
  };
  // The pointer's kind and flags first: a local object for a local field, a kernel pointer
  // (untrusted only for an unreferenced field) for a kernel one.
  const prefix = field.kind === "percpu_kptr" ? PERCPU_PREFIX : LOCAL_PREFIX;
  if (local ? !isLocalObj(r) || !r.btfType.startsWith(prefix) : r.type !== "ptr_" || (r.range & BTF_PTR_UNTRUSTED && field.kind !== "kptr_untrusted")) bad();
  // __check_ptr_off_reg.
  const flags = r.type === "ptr_" ? typeName(r) : "ptr_";
  if (r.off < 0) w.reject(`negative offset ${flags} ptr R${regno} off=${r.off} disallowed`);
  if (!isConst(r.s) || constValue(r.s) !== 0n) w.reject(`variable ${flags} access var_off=${tnumStr(r.s.varOff)} disallowed`);
  // btf_struct_ids_match: the field's struct itself (a member at an offset is not matched here).
  if (r.off !== 0 || (local ? localStruct(r) : r.btfType) !== field.struct) bad();
}

/**
 * process_kptr_func: bpf_kptr_xchg's destination is a map value at a constant offset where
 * the value's BTF places a referenced (or percpu) kptr.
 */
export function kptrXchgDest(w: Walker, regno: number, r: Reg): KptrField {
  // kptr_xchg_dest_types: a map value, or a local object the program owns (MEM_ALLOC, not RCU or per-CPU).
  const local = isLocalObj(r) && r.btfType.startsWith(LOCAL_PREFIX) && r.refObjId !== 0 && !r.maybeNull;
  if (!local && (r.type !== "map_value" || r.maybeNull)) w.reject(`R${regno} type=${isLocalObj(r) ? "ptr_" : typeName(r)} expected=map_value, ptr_`);
  const fields = local ? localFieldsOf(w, localStruct(r)) : w.env.valueFields?.(r.map!);
  if (!local && (!fields || r.map!.valueType === undefined)) w.reject(`map '${r.map!.name}' has to have BTF in order to use bpf_kptr_xchg`);
  if (!isConst(r.s)) w.reject(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`);
  if (!fields?.kptrs?.length) w.reject(`R${regno} has no valid kptr`);
  const at = r.off + Number(BigInt.asIntN(64, constValue(r.s)!));
  const field = fields.kptrs.find((k) => k.offset === at);
  if (!field) w.reject(`off=${at} doesn't point to kptr`);
  if (field.kind === "kptr_untrusted") w.reject(`off=${at} kptr isn't referenced kptr`);
  return field;
}

/** bpf_kptr_xchg's r0: the old value, of the field's type, NULL or referenced (the caller acquires it). */
export function kptrXchgResult(w: Walker, r0: Reg, field: KptrField): void {
  if (isLocalKptr(w, field)) {
    setLocal(w, r0, field);
  } else {
    // An acquired kernel object is trusted through its reference.
    setPointer(r0, "ptr_");
    r0.btfType = field.struct;
  }
}
