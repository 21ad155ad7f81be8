/**
 * @fileoverview The shape of parsed BTF: one plain object per type, indexed by type id,
 * as `linux/btf.h` lays the kinds out. `parseBtf` (in parse.ts) builds it from bytes.
 */

/** A type's kind, the `BTF_KIND_*` it came from in lowercase. */
export type BtfKind = BtfType["kind"];

export type BtfType =
  | { kind: "void"; id: 0; name: "" }
  /** BTF_KIND_INT: `bitOffset` and `bits` are BTF_INT_OFFSET and BTF_INT_BITS; the flags are BTF_INT_SIGNED/CHAR/BOOL. */
  | { kind: "int"; id: number; name: string; size: number; bitOffset: number; bits: number; signed: boolean; char: boolean; bool: boolean }
  /** BTF_KIND_PTR */
  | { kind: "ptr"; id: number; name: ""; type: number }
  /** BTF_KIND_ARRAY */
  | { kind: "array"; id: number; name: ""; type: number; indexType: number; nelems: number }
  /** BTF_KIND_STRUCT, BTF_KIND_UNION; `kindFlag` says members carry bitfield sizes. */
  | { kind: "struct" | "union"; id: number; name: string; size: number; members: BtfMember[]; kindFlag?: boolean }
  /** BTF_KIND_ENUM (`enum64` false) and BTF_KIND_ENUM64; `signed` is the kind_flag. */
  | { kind: "enum"; id: number; name: string; size: number; signed: boolean; enum64: boolean; values: { name: string; value: bigint }[] }
  /** BTF_KIND_FWD: a forward declaration, `union` from the kind_flag. */
  | { kind: "fwd"; id: number; name: string; union: boolean }
  /** BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG */
  | { kind: "typedef" | "volatile" | "const" | "restrict" | "type_tag"; id: number; name: string; type: number }
  /** BTF_KIND_FUNC: `type` is its FUNC_PROTO; linkage from vlen (BTF_FUNC_STATIC/GLOBAL/EXTERN). */
  | { kind: "func"; id: number; name: string; type: number; linkage: "static" | "global" | "extern" }
  /** BTF_KIND_FUNC_PROTO: a last param `{ name: "", type: 0 }` is the C `...`. */
  | { kind: "func_proto"; id: number; name: ""; returnType: number; params: { name: string; type: number }[] }
  /** BTF_KIND_VAR: linkage BTF_VAR_STATIC, BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_GLOBAL_EXTERN. */
  | { kind: "var"; id: number; name: string; type: number; linkage: "static" | "global" | "extern" }
  /** BTF_KIND_DATASEC: one `btf_var_secinfo` per variable. */
  | { kind: "datasec"; id: number; name: string; size: number; vars: { type: number; offset: number; size: number }[] }
  /** BTF_KIND_FLOAT */
  | { kind: "float"; id: number; name: string; size: number }
  /** BTF_KIND_DECL_TAG: `componentIdx` -1 tags the type itself, else a member or parameter. */
  | { kind: "decl_tag"; id: number; name: string; type: number; componentIdx: number };

/** A `btf_member`: `bitSize` is 0 unless the member is a bitfield. */
export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  bitSize: number;
}

export interface Btf {
  /** types[id]; types[0] is void; with a base BTF (split BTF), ids continue after the base's. */
  readonly types: readonly BtfType[];
  readonly littleEndian: boolean;
  /** The base this split BTF extends, if any. */
  readonly base?: Btf | undefined;
  /** throws BtfError for an id out of range */
  type(id: number): BtfType;
  byName(name: string, kind?: BtfType["kind"]): BtfType[];
  /** Skips typedefs and qualifiers (const, volatile, restrict, type_tag). */
  resolve(id: number): BtfType;
  /** Size in bytes of a type (arrays, structs, ints, pointers = 8, enums, a var's type...), resolving through modifiers; throws for void/func/fwd. */
  sizeof(id: number): number;
  /** The string at this offset of the string section (a split BTF continues its base's offsets). */
  string(offset: number): string;
  /** The raw BTF bytes, for BPF_BTF_LOAD. */
  readonly raw: Uint8Array;
}

export { parseBtf } from "./parse.js";
