/**
 * @fileoverview The text `bpftool btf dump file X` prints: one `[id] KIND 'name' ...` line
 * per type, members and values indented under it with a tab.
 */

import type { Btf, BtfType } from "./types.js";

const quoted = (name: string): string => `'${name || "(anon)"}'`;

function intEncoding(t: Extract<BtfType, { kind: "int" }>): string {
  const n = (t.signed ? 1 : 0) + (t.char ? 1 : 0) + (t.bool ? 1 : 0);
  if (n === 0) return "(none)";
  if (n > 1) return "UNKN";
  return t.signed ? "SIGNED" : t.char ? "CHAR" : "BOOL";
}

/** One type as bpftool's plain dump prints it (several lines for members). */
export function rawTypeLine(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] `;
  switch (t.kind) {
    case "void":
      return `${head}UNKN '(anon)'`;
    case "int":
      return `${head}INT ${quoted(t.name)} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${intEncoding(t)}`;
    case "ptr":
      return `${head}PTR ${quoted(t.name)} type_id=${t.type}`;
    case "array":
      return `${head}ARRAY ${quoted(t.name)} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case "struct":
    case "union": {
      let s = `${head}${t.kind.toUpperCase()} ${quoted(t.name)} size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) s += `\n\t${quoted(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitSize ? ` bitfield_size=${m.bitSize}` : ""}`;
      return s;
    }
    case "enum": {
      let s = `${head}${t.enum64 ? "ENUM64" : "ENUM"} ${quoted(t.name)} encoding=${t.signed ? "SIGNED" : "UNSIGNED"} size=${t.size} vlen=${t.values.length}`;
      const suffix = t.enum64 ? (t.signed ? "LL" : "ULL") : "";
      for (const v of t.values) s += `\n\t${quoted(v.name)} val=${v.value}${suffix}`;
      return s;
    }
    case "fwd":
      return `${head}FWD ${quoted(t.name)} fwd_kind=${t.union ? "union" : "struct"}`;
    case "typedef":
    case "volatile":
    case "const":
    case "restrict":
    case "type_tag":
      return `${head}${t.kind.toUpperCase()} ${quoted(t.name)} type_id=${t.type}`;
    case "func":
      return `${head}FUNC ${quoted(t.name)} type_id=${t.type} linkage=${t.linkage}`;
    case "func_proto": {
      let s = `${head}FUNC_PROTO ${quoted(t.name)} ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t${quoted(p.name)} type_id=${p.type}`;
      return s;
    }
    case "var":
      return `${head}VAR ${quoted(t.name)} type_id=${t.type}, linkage=${t.linkage === "global" ? "global" : t.linkage}`;
    case "datasec": {
      let s = `${head}DATASEC ${quoted(t.name)} size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        const target = btf.types[v.type];
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        if (target) s += ` (${target.kind === "var" ? "VAR" : target.kind === "func" ? "FUNC" : target.kind.toUpperCase()} ${quoted(target.name)})`;
      }
      return s;
    }
    case "float":
      return `${head}FLOAT ${quoted(t.name)} size=${t.size}`;
    case "decl_tag":
      return `${head}DECL_TAG ${quoted(t.name)} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** What `bpftool btf dump file X` prints; for split BTF, only the split's own types. */
export function dumpRaw(btf: Btf): string {
  const first = btf.base ? btf.base.types.length : 1;
  const lines: string[] = [];
  for (let id = first; id < btf.types.length; id++) lines.push(rawTypeLine(btf, btf.types[id]!));
  return lines.length ? `${lines.join("\n")}\n` : "";
}
