/**
 * @fileoverview BTF-typed kernel pointers (PTR_TO_BTF_ID) from the kernel's BTF: a tp_btf
 * program's arguments (btf_ctx_access) and loads through such pointers (btf_struct_access).
 */

import type { Btf, BtfType } from "../btf/types.js";

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
export type StructLoad = { readonly kind: "scalar" } | { readonly kind: "ptr"; readonly struct: string } | { readonly kind: "bad"; readonly message: string };

/** btf_struct_access for a read: a pointer member read whole is a new BTF pointer; anything else inside the struct a scalar. */
export function structLoad(btf: Btf, name: string, off: number, size: number): StructLoad {
  const s = btf.byName(name).find((t) => t.kind === "struct" || t.kind === "union");
  if (!s || (s.kind !== "struct" && s.kind !== "union")) return { kind: "scalar" };
  if (off + size > s.size) return { kind: "bad", message: `access beyond struct ${name} at off ${off} size ${size}` };
  let t: BtfType = s;
  let at = off;
  // Descend into the member holding [at, at + size) until a leaf.
  for (let depth = 0; depth < 32; depth++) {
    if (t.kind === "struct" || t.kind === "union") {
      const m = t.members.find((mm) => {
        if (mm.bitSize || mm.bitOffset % 8) return false;
        const mo = mm.bitOffset / 8;
        let ms: number;
        try { ms = btf.sizeof(mm.type); } catch { return false; }
        return at >= mo && at + size <= mo + ms;
      });
      if (!m) return { kind: "scalar" };
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
      return p ? { kind: "ptr", struct: p } : { kind: "scalar" };
    }
    return { kind: "scalar" };
  }
  return { kind: "scalar" };
}
