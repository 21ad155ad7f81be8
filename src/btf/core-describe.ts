/**
 * @fileoverview A CO-RE relocation in words, as `llvm-objdump -dr` shows it under the
 * instruction it patches: `<byte_off> [5] struct task_struct::pid (0:92)`.
 */

import type { CoreRelocation } from "./ext.js";
import type { Btf, BtfType } from "./types.js";

/** The kind's name inside `<...>`, as llvm-objdump spells it (libbpf's names differ). */
const KIND_NAMES = [
  "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
  "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
];

const FIELD_KINDS = new Set([0, 1, 2, 3, 4, 5]);
const ENUM_KINDS = new Set([10, 11]);

const MODIFIERS: Record<string, (t: BtfType) => string> = {
  const: () => " const",
  volatile: () => " volatile",
  restrict: () => " restrict",
  type_tag: (t) => ` type_tag("${t.name}")`,
};

const named = (name: string, index: number) => (name === "" ? `<anon ${index}>` : name);

/** The words for one relocation; a malformed one reads `<kind> [id] 'spec' <why>`, as LLVM prints it. */
export function describeCoreRelocation(btf: Btf, relo: CoreRelocation): string {
  const kind = `<${KIND_NAMES[relo.kind] ?? `reloc kind #${relo.kind}`}>`;
  const fail = (why: string) => `${kind} [${relo.typeId}] '${relo.accessString}' <${why}>`;
  const spec = relo.accessString === "" ? [] : relo.accessString.split(":").map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (spec.some(Number.isNaN)) return fail("spec string is not a number");
  const find = (id: number): BtfType | undefined => (id >= 0 && id < btf.types.length ? btf.types[id] : undefined);

  let id = relo.typeId;
  let type = find(id);
  if (!type) return fail(`unknown type id: ${id}`);
  let text = `${kind} [${id}]`;
  for (let chain = 0; type.kind in MODIFIERS; chain++) {
    if (chain >= 32) return fail("modifiers chain is too long");
    text += MODIFIERS[type.kind]!(type);
    id = (type as { type: number }).type;
    const next = find(id);
    if (!next) return fail(`unknown type id: ${id} in modifiers chain`);
    type = next;
  }
  if (id === 0) text += " void";
  else {
    const prefix = { typedef: " typedef", struct: " struct", union: " union", enum: " enum" }[type.kind as string] ?? (type.kind === "fwd" ? (type.union ? " fwd union" : " fwd struct") : "");
    text += `${prefix} ${named(type.name, id)}`;
  }

  if (!FIELD_KINDS.has(relo.kind) && !ENUM_KINDS.has(relo.kind)) {
    if (relo.kind > 12) return fail(`unknown relocation kind: ${relo.kind}`);
    return spec.length === 1 && spec[0] === 0 ? text : fail("unexpected type-based relocation spec: should be '0'");
  }
  text += "::";
  const strip = (t: BtfType): BtfType => {
    for (let n = 0; (t.kind in MODIFIERS || t.kind === "typedef") && n < 64; n++) {
      const base = find((t as { type: number }).type);
      if (!base) break;
      t = base;
    }
    return t;
  };

  if (ENUM_KINDS.has(relo.kind)) {
    const t = strip(type);
    if (spec.length !== 1) return fail("unexpected enumval relocation spec size");
    if (t.kind !== "enum") return fail(`unexpected type kind for enum relocation: ${t.kind}`);
    const value = t.values[spec[0]!];
    if (!value) return fail(`bad value index: ${spec[0]}`);
    // LLVM widens a 32-bit enumerator as a signed number, then prints by the kind_flag.
    const raw = t.enum64 ? BigInt.asUintN(64, value.value) : BigInt.asUintN(64, BigInt.asIntN(32, value.value));
    return `${text}${named(value.name, spec[0]!)} = ${t.signed ? BigInt.asIntN(64, raw) : raw}`;
  }

  if (spec.length < 1) return fail("field spec too short");
  if (spec[0] !== 0) text += `[${spec[0]}]`;
  for (let i = 1; i < spec.length; i++) {
    const t = strip(type);
    const idx = spec[i]!;
    if (t.kind === "struct" || t.kind === "union") {
      const member = t.members[idx];
      if (!member) return fail(`member index ${idx} for spec sub-string ${i} is out of range`);
      if (i !== 1 || spec[0] !== 0) text += ".";
      text += named(member.name, idx);
      const next = find(member.type);
      if (!next) return fail(`unknown member type id ${member.type} for spec sub-string ${i}`);
      type = next;
    } else if (t.kind === "array") {
      text += `[${idx}]`;
      const next = find(t.type);
      if (!next) return fail(`unknown element type id ${t.type} for spec sub-string ${i}`);
      type = next;
    } else {
      return fail(`unexpected type kind ${t.kind} for spec sub-string ${i}`);
    }
  }
  return `${text} (${relo.accessString})`;
}
