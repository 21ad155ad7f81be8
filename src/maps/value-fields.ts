/**
 * @fileoverview The special fields of a map value, found through BTF as the kernel's
 * btf_parse_fields finds them when a map is created with BTF: bpf_spin_lock, bpf_timer,
 * bpf_wq, the graph roots and nodes, bpf_refcount, and kptrs (pointers type-tagged `kptr`,
 * `kptr_untrusted` or `percpu_kptr`). Nested structs and arrays of them count element by
 * element; a global data section's value is its variables.
 */

import type { Btf, BtfType } from "../btf/types.js";

/** A kptr field: an 8-byte pointer to `struct` (named: the kernel's type, or the program's own). */
export interface KptrField {
  readonly offset: number;
  /** BPF_KPTR_REF, BPF_KPTR_UNREF, BPF_KPTR_PERCPU, by their type tags. */
  readonly kind: "kptr" | "kptr_untrusted" | "percpu_kptr";
  readonly struct: string;
  /** The struct's id in the object's BTF (the type of a local kptr). */
  readonly typeId: number;
}

/** A special struct field, named as btf_field_type_name names it. */
export interface SpecialField {
  readonly offset: number;
  readonly size: number;
  readonly name: string;
  /** A graph root's `__contains(struct, node)` decl tag: what its nodes are, and where. */
  readonly contains?: { readonly struct: string; readonly node: string };
}

export interface ValueFields {
  readonly spinLockOffset?: number;
  readonly timerOffset?: number;
  /** The kptr fields, by offset. */
  readonly kptrs?: readonly KptrField[];
  /** Every field but the kptrs (spin lock and timer included). */
  readonly special?: readonly SpecialField[];
}

/** Structs the kernel treats as fields rather than walking into (btf_get_field_type). */
const SPECIAL_STRUCTS = new Set(["bpf_spin_lock", "bpf_timer", "bpf_wq", "bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_refcount"]);
const KPTR_TAGS = new Set(["kptr", "kptr_untrusted", "percpu_kptr"]);
/** BTF_FIELDS_MAX: a value with more fields has no record (btf_find_field's -E2BIG). */
const FIELDS_MAX = 11;
/** MAX_RESOLVE_DEPTH, for nested structs. */
const MAX_DEPTH = 32;

/** The value's fields, as btf_parse_fields finds them (none when there are more than BTF_FIELDS_MAX). */
export function valueFields(btf: Btf, valueType: number): ValueFields {
  const kptrs: KptrField[] = [];
  const special: SpecialField[] = [];
  let tooMany = false;
  const add = (f: () => void) => {
    if (kptrs.length + special.length >= FIELDS_MAX) tooMany = true;
    else f();
  };
  // `contains:<struct>:<node>` decl tags, by the struct and member (or the variable) they name.
  const contains = new Map<string, { struct: string; node: string }>();
  for (const t of btf.types) {
    if (t.kind !== "decl_tag" || !t.name.startsWith("contains:")) continue;
    const [, struct, node] = t.name.split(":");
    if (struct && node) contains.set(`${t.type}:${t.componentIdx}`, { struct, node });
  }
  const walk = (id: number, base: number, depth: number, tag?: { struct: string; node: string }): void => {
    if (depth > MAX_DEPTH || tooMany) return;
    let t: BtfType = btf.resolve(id);
    // An array of fields is one field per element (btf_find_field_one's nelems).
    let nelems = 1;
    while (t.kind === "array") {
      nelems *= t.nelems;
      t = btf.resolve(t.type);
    }
    if (nelems === 0) return;
    const elemSize = t.kind === "ptr" ? 8 : t.kind === "struct" || t.kind === "union" ? t.size : 0;
    if (t.kind === "ptr") {
      const kind = kptrKind(btf, t.type);
      if (!kind) return;
      const target = btf.resolve(t.type);
      if (target.kind !== "struct") return;
      for (let e = 0; e < nelems; e++) add(() => kptrs.push({ offset: base + e * 8, kind, struct: target.name, typeId: target.id }));
      return;
    }
    if (t.kind !== "struct" && t.kind !== "union") return;
    if (SPECIAL_STRUCTS.has(t.name)) {
      for (let e = 0; e < nelems; e++) add(() => special.push({ offset: base + e * elemSize, size: t.kind === "struct" ? t.size : 0, name: t.name, ...(tag ? { contains: tag } : {}) }));
      return;
    }
    for (let e = 0; e < nelems; e++) {
      t.members.forEach((m, k) => walk(m.type, base + e * elemSize + Math.floor(m.bitOffset / 8), depth + 1, contains.get(`${t.id}:${k}`)));
    }
  };
  const top = btf.type(valueType);
  if (top.kind === "datasec") {
    for (const v of top.vars) {
      const vt = btf.type(v.type);
      walk(vt.kind === "var" ? vt.type : v.type, v.offset, 0, contains.get(`${v.type}:-1`) ?? contains.get(`${v.type}:4294967295`));
    }
  } else {
    walk(valueType, 0, 0);
  }
  if (tooMany) return {};
  const at = (name: string) => special.find((f) => f.name === name)?.offset;
  const spinLockOffset = at("bpf_spin_lock");
  const timerOffset = at("bpf_timer");
  return {
    ...(spinLockOffset !== undefined ? { spinLockOffset } : {}),
    ...(timerOffset !== undefined ? { timerOffset } : {}),
    ...(kptrs.length ? { kptrs } : {}),
    ...(special.length ? { special } : {}),
  };
}

/** The kptr type tag right under a pointer (btf_find_kptr: PTR -> TYPE_TAG -> STRUCT), if any. */
function kptrKind(btf: Btf, id: number): KptrField["kind"] | undefined {
  const t = btf.type(id);
  return t.kind === "type_tag" && KPTR_TAGS.has(t.name) ? (t.name as KptrField["kind"]) : undefined;
}
