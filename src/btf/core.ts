/**
 * @fileoverview CO-RE: computing a relocation's value against a target BTF (the kernel's)
 * as libbpf's relo_core.c does, and patching the instruction with it. Candidates are the
 * target types of the same kind whose names agree up to a `___flavor` suffix; the access
 * string is matched member by member by name, through anonymous structs and unions.
 */

import { BtfError } from "./errors.js";
import { CORE_RELOCATION_KIND_NAMES, CoreRelocationKind, type CoreRelocation } from "./ext.js";
import type { Btf, BtfType } from "./types.js";
import type { Instruction } from "../isa/instruction.js";

export interface CoreResult {
  kind: CoreRelocationKind;
  /** what the compiler assumed, from the program's own BTF */
  localValue: number;
  /** what the target needs */
  targetValue: number;
  /** the value could not be computed: the instruction becomes libbpf's poison call */
  poisoned: boolean;
  /** e.g. "struct task_struct.pid: field byte offset 2360" or why it failed */
  explanation: string;
  // The rest is always set by computeCoreRelocation; optional so that a hand-made result
  // (in a test, say) needs only the five fields above.
  /** both values as unsigned 64-bit, exact for 64-bit enumerators */
  localValue64?: bigint;
  targetValue64?: bigint;
  /** whether the instruction must hold `localValue` before it is patched (libbpf's res->validate); default true */
  validate?: boolean;
  /** for a field byte offset: the field's size in the local and target BTF, to resize a load */
  localSize?: number;
  targetSize?: number;
  /** the sizes differ in a way a resized load cannot follow (libbpf's fail_memsz_adjust) */
  failMemSizeAdjust?: boolean;
}

/** The immediate of libbpf's poison call, `call 0xbad2310`. */
export const POISON_CALL_IMM = 195896080;
/** BPF_CORE_SPEC_MAX_LEN */
const SPEC_MAX_LEN = 64;

type Kind = CoreRelocationKind;

const isFieldBased = (k: Kind): boolean => k <= CoreRelocationKind.FieldRshiftU64;
const isTypeBased = (k: Kind): boolean => k === CoreRelocationKind.TypeIdLocal || k === CoreRelocationKind.TypeIdTarget || k === CoreRelocationKind.TypeExists || k === CoreRelocationKind.TypeSize || k === CoreRelocationKind.TypeMatches;
const isEnumvalBased = (k: Kind): boolean => k === CoreRelocationKind.EnumvalExists || k === CoreRelocationKind.EnumvalValue;

/** One step of an access: the type it indexes into, the index, and the member or enumerator name. */
interface Accessor { typeId: number; idx: number; name: string | undefined }

interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: Kind;
  /** named steps (members, enumerators) and array indices */
  spec: Accessor[];
  raw: number[];
  bitOffset: number;
}

/** libbpf's bpf_core_essential_name_len: `foo___v2` is `foo`. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== "_" && name[i + 1] === "_" && name[i + 2] === "_" && name[i + 3] === "_" && name[i + 4] !== "_") return name.slice(0, i + 1);
  }
  return name;
}

/** skip_mods_and_typedefs, returning the id reached. */
function skip(btf: Btf, id: number): number {
  let t = btf.type(id);
  for (let steps = 0; t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag"; steps++) {
    if (steps > btf.types.length) throw new BtfError(`type [${id}]: type references loop`, { typeId: id });
    id = t.type;
    t = btf.type(id);
  }
  return id;
}

const isComposite = (t: BtfType): t is Extract<BtfType, { kind: "struct" | "union" }> => t.kind === "struct" || t.kind === "union";
/** btf_kind_core_compat: same kind, or ENUM against ENUM64 */
const kindCompat = (a: BtfType, b: BtfType): boolean => a.kind === b.kind; // ENUM and ENUM64 are both "enum" here

function typeLabel(t: BtfType): string {
  if (t.kind === "void") return "void";
  const kw = t.kind === "struct" || t.kind === "union" || t.kind === "enum" ? `${t.kind} ` : t.kind === "fwd" ? (t.union ? "union " : "struct ") : "";
  return `${kw}${t.name || "(anon)"}`;
}

class CoreFail extends Error {}
const fail = (msg: string): never => {
  throw new CoreFail(msg);
};

/** bpf_core_parse_spec: the local side of a relocation. */
function parseSpec(btf: Btf, relo: CoreRelocation): Spec {
  const spec: Spec = { btf, rootTypeId: relo.typeId, kind: relo.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeBased(relo.kind)) {
    if (relo.accessString !== "0") fail(`access string "${relo.accessString}" for a type relocation must be "0"`);
    return spec;
  }
  if (!/^\d+(:\d+)*$/.test(relo.accessString)) fail(`bad access string "${relo.accessString}"`);
  const raw = relo.accessString.split(":").map(Number);
  if (raw.length > SPEC_MAX_LEN) fail(`access string has ${raw.length} steps, more than ${SPEC_MAX_LEN}`);
  spec.raw = raw;
  let id = skip(btf, relo.typeId);
  let t = btf.type(id);
  spec.spec.push({ typeId: id, idx: raw[0]!, name: undefined });
  if (isEnumvalBased(relo.kind)) {
    if (t.kind !== "enum" || raw.length > 1 || raw[0]! >= t.values.length) fail(`enumerator access "${relo.accessString}" into ${typeLabel(t)}`);
    spec.spec[0]!.name = (t as Extract<BtfType, { kind: "enum" }>).values[raw[0]!]!.name;
    return spec;
  }
  if (!isFieldBased(relo.kind)) fail(`unknown relocation kind ${relo.kind}`);
  spec.bitOffset = raw[0]! * btf.sizeof(id) * 8;
  for (let i = 1; i < raw.length; i++) {
    id = skip(btf, id);
    t = btf.type(id);
    const idx = raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) fail(`access "${relo.accessString}": ${typeLabel(t)} has no member ${idx}`);
      spec.bitOffset += m!.bitOffset;
      if (m!.name) spec.spec.push({ typeId: id, idx, name: m!.name });
      id = m!.type;
    } else if (t.kind === "array") {
      const elem = skip(btf, t.type);
      const flex = isFlexArray(btf, spec.spec[spec.spec.length - 1]!, t);
      if (!flex && idx >= t.nelems) fail(`access "${relo.accessString}": index ${idx} beyond ${t.nelems} elements`);
      spec.spec.push({ typeId: elem, idx, name: undefined });
      spec.bitOffset += idx * btf.sizeof(elem) * 8;
      id = elem;
    } else {
      fail(`access "${relo.accessString}" (at step ${i}) reaches ${t.kind} ${typeLabel(t)}`);
    }
  }
  return spec;
}

/** A zero-length array that is the last member of its struct. */
function isFlexArray(btf: Btf, acc: Accessor, arr: Extract<BtfType, { kind: "array" }>): boolean {
  if (!acc.name || arr.nelems > 0) return false;
  const t = btf.type(acc.typeId);
  return isComposite(t) && acc.idx === t.members.length - 1;
}

/** bpf_core_fields_are_compat */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < 64; depth++) {
    const l = lb.type(skip(lb, lid));
    const t = tb.type(skip(tb, tid));
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case "ptr": case "float":
        return true;
      case "fwd": case "enum": {
        const ln = essentialName(l.name), tn = essentialName(t.name);
        return ln === "" || tn === "" || ln === tn;
      }
      case "int":
        return l.bitOffset === 0 && (t as Extract<BtfType, { kind: "int" }>).bitOffset === 0;
      case "array":
        lid = l.type;
        tid = (t as Extract<BtfType, { kind: "array" }>).type;
        continue;
      default:
        return false;
    }
  }
  return false;
}

/** bpf_core_types_are_compat; also how libbpf checks a kfunc's prototype against the kernel's. */
export function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, level = 32): boolean {
  if (!kindCompat(lb.type(lid), tb.type(tid))) return false;
  for (let depth = 32; depth > 0; depth--) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const l = lb.type(lid);
    const t = tb.type(tid);
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case "void": case "struct": case "union": case "enum": case "fwd":
        return true;
      case "int":
        return l.bitOffset === 0 && (t as Extract<BtfType, { kind: "int" }>).bitOffset === 0;
      case "ptr":
        lid = l.type;
        tid = (t as Extract<BtfType, { kind: "ptr" }>).type;
        continue;
      case "array":
        lid = l.type;
        tid = (t as Extract<BtfType, { kind: "array" }>).type;
        continue;
      case "func_proto": {
        const tp = t as Extract<BtfType, { kind: "func_proto" }>;
        if (l.params.length !== tp.params.length) return false;
        if (level <= 0) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesCompat(lb, skip(lb, l.params[i]!.type), tb, skip(tb, tp.params[i]!.type), level - 1)) return false;
        }
        lid = l.returnType;
        tid = tp.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  return false;
}

/** bpf_core_names_match: an anonymous target matches only an anonymous local; otherwise essential names. */
const namesMatch = (l: string, t: string): boolean => (t === "" ? l === "" : essentialName(l) === essentialName(t));

/** bpf_core_enums_match: same size, and every local enumerator named in the target (values may differ). */
function enumsMatch(l: Extract<BtfType, { kind: "enum" }>, t: Extract<BtfType, { kind: "enum" }>): boolean {
  if (l.size !== t.size || l.values.length > t.values.length) return false;
  return l.values.every((lv) => t.values.some((tv) => namesMatch(lv.name, tv.name)));
}

/** bpf_core_composites_match: every local member has a target member of the same name whose type matches. */
function compositesMatch(lb: Btf, l: Extract<BtfType, { kind: "struct" | "union" }>, tb: Btf, t: Extract<BtfType, { kind: "struct" | "union" }>, behindPtr: boolean, level: number): boolean {
  if (l.members.length > t.members.length) return false;
  return l.members.every((lm) => t.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1)));
}

/** __bpf_core_types_match: the stricter TYPE_MATCHES relation (names, kinds, sizes, members, recursively). */
function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, level = 32): boolean {
  if (level <= 0) return false;
  for (let depth = 32; depth > 0; depth--) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const l = lb.type(lid);
    const t = tb.type(tid);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case "void":
        return t.kind === "void";
      case "fwd":
        if (t.kind === "fwd") return l.union === t.union;
        // behind a pointer, a forward declaration matches the struct or union it announces
        return behindPtr && (l.union ? t.kind === "union" : t.kind === "struct");
      case "enum":
        return t.kind === "enum" && enumsMatch(l, t);
      case "struct": case "union":
        if (behindPtr) return l.kind === t.kind || (t.kind === "fwd" && (l.kind === "union") === t.union);
        return l.kind === t.kind && compositesMatch(lb, l, tb, t as Extract<BtfType, { kind: "struct" | "union" }>, behindPtr, level);
      case "int":
        return t.kind === "int" && l.bits === t.bits && l.signed === t.signed;
      case "ptr":
        if (t.kind !== "ptr") return false;
        behindPtr = true;
        lid = l.type;
        tid = t.type;
        continue;
      case "array":
        if (t.kind !== "array" || l.nelems !== t.nelems) return false;
        lid = l.type;
        tid = t.type;
        continue;
      case "func_proto": {
        if (t.kind !== "func_proto" || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) if (!typesMatch(lb, l.params[i]!.type, tb, t.params[i]!.type, behindPtr, level - 1)) return false;
        lid = l.returnType;
        tid = t.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  return false;
}

/** bpf_core_match_member: finds the local member by name in a target struct, through anonymous members. */
function matchMember(lb: Btf, acc: Accessor, tb: Btf, tid: number, ts: Spec, next: { id: number }, depth = 0): boolean {
  if (depth > SPEC_MAX_LEN) return false;
  tid = skip(tb, tid);
  const t = tb.type(tid);
  if (!isComposite(t)) return false;
  const lt = lb.type(acc.typeId) as Extract<BtfType, { kind: "struct" | "union" }>;
  const lm = lt.members[acc.idx]!;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (ts.raw.length >= SPEC_MAX_LEN) fail(`struct/union/array nesting deeper than ${SPEC_MAX_LEN}`);
    ts.bitOffset += m.bitOffset;
    ts.raw.push(i);
    if (m.name === "") {
      if (matchMember(lb, acc, tb, m.type, ts, next, depth + 1)) return true;
    } else if (m.name === lm.name) {
      next.id = m.type;
      if (!fieldsCompat(lb, lm.type, tb, m.type)) {
        ts.bitOffset -= m.bitOffset;
        ts.raw.pop();
        return false;
      }
      ts.spec.push({ typeId: tid, idx: i, name: m.name });
      return true;
    }
    ts.bitOffset -= m.bitOffset;
    ts.raw.pop();
  }
  return false;
}

/** bpf_core_spec_match: the target spec for candidate `candId`, or undefined if it does not match. */
function matchSpec(local: Spec, tb: Btf, candId: number): Spec | undefined {
  const ts: Spec = { btf: tb, rootTypeId: candId, kind: local.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    const ok = local.kind === CoreRelocationKind.TypeMatches ? typesMatch(local.btf, local.rootTypeId, tb, candId) : typesCompat(local.btf, local.rootTypeId, tb, candId);
    return ok ? ts : undefined;
  }
  const lacc0 = local.spec[0]!;
  if (isEnumvalBased(local.kind)) {
    const tid = skip(tb, candId);
    const t = tb.type(tid);
    if (t.kind !== "enum") return undefined;
    const want = essentialName(lacc0.name!);
    for (let i = 0; i < t.values.length; i++) {
      const name = t.values[i]!.name;
      if (essentialName(name) === want) {
        ts.spec.push({ typeId: tid, idx: i, name });
        ts.raw.push(i);
        return ts;
      }
    }
    return undefined;
  }
  let tid = candId;
  for (let i = 0; i < local.spec.length; i++) {
    const lacc = local.spec[i]!;
    tid = skip(tb, tid);
    const t = tb.type(tid);
    if (lacc.name !== undefined) {
      const next = { id: 0 };
      if (!matchMember(local.btf, lacc, tb, tid, ts, next)) return undefined;
      tid = next.id;
    } else {
      if (i > 0) {
        if (t.kind !== "array") return undefined;
        const flex = isFlexArray(tb, ts.spec[ts.spec.length - 1]!, t);
        if (!flex && lacc.idx >= t.nelems) return undefined;
        tid = skip(tb, t.type);
      }
      if (ts.raw.length >= SPEC_MAX_LEN) fail(`struct/union/array nesting deeper than ${SPEC_MAX_LEN}`);
      ts.spec.push({ typeId: tid, idx: lacc.idx, name: undefined });
      ts.raw.push(lacc.idx);
      ts.bitOffset += lacc.idx * tb.sizeof(tid) * 8;
    }
  }
  return ts;
}

/** Raised (as libbpf's -EUCLEAN) when the instruction must be poisoned. */
class Poison extends Error {}

interface Calc { value: bigint; size: number; typeId: number; validate: boolean }

/** bpf_core_calc_field_relo */
function calcField(kind: Kind, spec: Spec | undefined): Calc {
  const r: Calc = { value: 0n, size: 0, typeId: 0, validate: true };
  if (kind === CoreRelocationKind.FieldExists) {
    r.value = spec ? 1n : 0n;
    return r;
  }
  if (!spec) throw new Poison();
  const btf = spec.btf;
  const acc = spec.spec[spec.spec.length - 1]!;
  if (acc.name === undefined) {
    // The access ends in an array element (or is just the root): only offset and size make sense.
    if (kind === CoreRelocationKind.FieldByteOffset) {
      r.value = BigInt(spec.bitOffset / 8);
      r.size = btf.sizeof(acc.typeId);
      r.typeId = acc.typeId;
    } else if (kind === CoreRelocationKind.FieldByteSize) {
      r.value = BigInt(btf.sizeof(acc.typeId));
    } else {
      fail(`${CORE_RELOCATION_KIND_NAMES[kind]} can't be applied to an array access`);
    }
    return r;
  }
  const t = btf.type(acc.typeId) as Extract<BtfType, { kind: "struct" | "union" }>;
  const m = t.members[acc.idx]!;
  const fieldTypeId = skip(btf, m.type);
  const mt = btf.type(fieldTypeId);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = "size" in mt ? (mt as { size: number }).size : 0;
    if (byteSz <= 0) fail(`bitfield ${m.name} has no integer type`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    // The smallest load that covers the whole bitfield.
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) fail(`bitfield ${m.name} can't be read with a 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = btf.sizeof(fieldTypeId);
    byteOff = bitOff / 8;
    bitSz = byteSz * 8;
  }
  // For bitfields the compiler's choices may differ from ours; only signedness is certain.
  r.validate = !bitfield;
  switch (kind) {
    case CoreRelocationKind.FieldByteOffset:
      r.value = BigInt(byteOff);
      if (!bitfield) {
        r.size = byteSz;
        r.typeId = fieldTypeId;
      }
      break;
    case CoreRelocationKind.FieldByteSize:
      r.value = BigInt(byteSz);
      break;
    case CoreRelocationKind.FieldSigned:
      r.value = (mt.kind === "enum" && mt.signed) || (mt.kind === "int" && mt.signed) ? 1n : 0n;
      r.validate = true;
      break;
    case CoreRelocationKind.FieldLshiftU64:
      r.value = BigInt(btf.littleEndian ? 64 - (bitOff + bitSz - byteOff * 8) : (8 - byteSz) * 8 + (bitOff - byteOff * 8));
      break;
    case CoreRelocationKind.FieldRshiftU64:
      r.value = BigInt(64 - bitSz);
      r.validate = true;
      break;
  }
  return r;
}

/** bpf_core_calc_type_relo */
function calcType(kind: Kind, spec: Spec | undefined): Calc {
  const r: Calc = { value: 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return r;
  switch (kind) {
    case CoreRelocationKind.TypeIdTarget:
      r.value = BigInt(spec.rootTypeId);
      r.validate = false; // ids change when objects are linked
      break;
    case CoreRelocationKind.TypeExists: case CoreRelocationKind.TypeMatches:
      r.value = 1n;
      break;
    case CoreRelocationKind.TypeSize:
      r.value = BigInt(spec.btf.sizeof(spec.rootTypeId));
      break;
  }
  return r;
}

/** bpf_core_calc_enumval_relo */
function calcEnumval(kind: Kind, spec: Spec | undefined): Calc {
  const r: Calc = { value: 0n, size: 0, typeId: 0, validate: true };
  if (kind === CoreRelocationKind.EnumvalExists) {
    r.value = spec ? 1n : 0n;
    return r;
  }
  if (!spec) throw new Poison();
  const acc = spec.spec[0]!;
  const t = spec.btf.type(acc.typeId) as Extract<BtfType, { kind: "enum" }>;
  r.value = BigInt.asUintN(64, t.values[acc.idx]!.value);
  return r;
}

interface RelocResult { orig: Calc; target: Calc; poisoned: boolean; failMemSizeAdjust: boolean }

/** bpf_core_calc_relo */
function calcRelo(relo: CoreRelocation, local: Spec, target: Spec | undefined): RelocResult {
  const k = relo.kind;
  const calc = isFieldBased(k) ? calcField : isTypeBased(k) ? calcType : calcEnumval;
  let orig: Calc;
  try {
    orig = calc(k, local);
  } catch (e) {
    if (e instanceof Poison) return { orig: { value: 0n, size: 0, typeId: 0, validate: true }, target: { value: 0n, size: 0, typeId: 0, validate: true }, poisoned: true, failMemSizeAdjust: false };
    throw e;
  }
  let tgt: Calc;
  try {
    tgt = calc(k, target);
  } catch (e) {
    if (e instanceof Poison) return { orig, target: { value: 0n, size: 0, typeId: 0, validate: true }, poisoned: true, failMemSizeAdjust: false };
    throw e;
  }
  let failMemSizeAdjust = false;
  if (isFieldBased(k) && orig.size !== tgt.size && target) {
    // A load may be resized for pointers (32-bit kernels) and unsigned integers only.
    const ot = local.btf.type(orig.typeId);
    const nt = target.btf.type(tgt.typeId);
    const ok = (ot.kind === "ptr" && nt.kind === "ptr") || (ot.kind === "int" && nt.kind === "int" && !ot.signed && !nt.signed);
    failMemSizeAdjust = !ok;
  }
  return { orig, target: tgt, poisoned: false, failMemSizeAdjust };
}

const KIND_TEXT: Record<number, string> = {
  0: "field byte offset", 1: "field byte size", 2: "field exists", 3: "field signed", 4: "field lshift u64",
  5: "field rshift u64", 6: "local type id", 7: "target type id", 8: "type exists", 9: "type size",
  10: "enumerator exists", 11: "enumerator value", 12: "type matches",
};

/** `struct task_struct.pid`, `struct foo[1].arr[3]`, `enum e::V`: what a spec reaches. */
function specText(spec: Spec): string {
  const root = spec.btf.type(spec.rootTypeId);
  let s = typeLabel(root);
  if (isTypeBased(spec.kind)) return s;
  if (isEnumvalBased(spec.kind)) return `${s}::${spec.spec[0]?.name ?? "?"}`;
  if (spec.spec[0] && spec.spec[0].idx !== 0) s += `[${spec.spec[0].idx}]`;
  for (const a of spec.spec.slice(1)) s += a.name !== undefined ? `.${a.name}` : `[${a.idx}]`;
  return s;
}

/** Finds target types of the same kind whose essential name is the local type's. */
function candidates(target: Btf, localType: BtfType): number[] {
  const want = essentialName(localType.name);
  const out: number[] = [];
  const first = 1;
  for (let id = first; id < target.types.length; id++) {
    const t = target.types[id]!;
    if (!kindCompat(t, localType) || t.name === "") continue;
    if (!t.name.startsWith(want) || essentialName(t.name) !== want) continue;
    out.push(id);
  }
  return out;
}

const toNumber = (v: bigint): number => Number(v);

/**
 * Computes one relocation against `target`, as libbpf's bpf_core_calc_relo_insn does. A
 * relocation that matches no candidate gives 0 for the *_EXISTS kinds and is poisoned
 * otherwise; an ambiguous or malformed one throws a BtfError (libbpf fails the load).
 */
export function computeCoreRelocation(local: Btf, target: Btf, relo: CoreRelocation): CoreResult {
  const kindText = KIND_TEXT[relo.kind] ?? `kind ${relo.kind}`;
  const localType = local.type(relo.typeId);
  const where = `core relocation at insn ${relo.insnOff} (${kindText} of [${relo.typeId}] ${typeLabel(localType)} "${relo.accessString}")`;
  const result = (r: RelocResult, explanation: string): CoreResult => ({
    kind: relo.kind,
    localValue: toNumber(r.orig.value),
    targetValue: toNumber(r.target.value),
    localValue64: r.orig.value,
    targetValue64: r.target.value,
    poisoned: r.poisoned,
    explanation,
    validate: r.orig.validate,
    localSize: r.orig.size,
    targetSize: r.target.size,
    failMemSizeAdjust: r.failMemSizeAdjust,
  });
  try {
    const lspec = parseSpec(local, relo);
    if (relo.kind === CoreRelocationKind.TypeIdLocal) {
      const v = BigInt(relo.typeId);
      const c: Calc = { value: v, size: 0, typeId: 0, validate: false };
      return result({ orig: c, target: c, poisoned: false, failMemSizeAdjust: false }, `${specText(lspec)}: local type id ${relo.typeId}`);
    }
    if (localType.name === "") fail(`anonymous local type is not supported`);
    let chosen: { spec: Spec; res: RelocResult } | undefined;
    const cands = candidates(target, localType);
    for (const cand of cands) {
      const ts = matchSpec(lspec, target, cand);
      if (!ts) continue;
      const res = calcRelo(relo, lspec, ts);
      if (!chosen) chosen = { spec: ts, res };
      else if (ts.bitOffset !== chosen.spec.bitOffset) fail(`field offset ambiguity: ${chosen.spec.bitOffset / 8} in [${chosen.spec.rootTypeId}] != ${ts.bitOffset / 8} in [${cand}]`);
      else if (res.poisoned !== chosen.res.poisoned || res.target.value !== chosen.res.target.value) fail(`relocation decision ambiguity: [${chosen.spec.rootTypeId}] gives ${chosen.res.target.value}, [${cand}] gives ${res.target.value}`);
    }
    if (!chosen) {
      const res = calcRelo(relo, lspec, undefined);
      const listed = cands.slice(0, 3).map((id) => `[${id}] ${typeLabel(target.type(id))}`).join(", ") + (cands.length > 3 ? ", ..." : "");
      const why = cands.length === 0 ? `no ${essentialName(localType.name)} of that kind in the target` : `no match in ${listed}`;
      return result(res, res.poisoned ? `${specText(lspec)}: ${kindText}: ${why}; instruction poisoned` : `${specText(lspec)}: ${kindText} ${res.target.value} (${why})`);
    }
    const r = chosen.res;
    if (r.poisoned) return result(r, `${specText(chosen.spec)}: ${kindText}: poisoned`);
    return result(r, `${specText(chosen.spec)}: ${kindText} ${r.target.value}`);
  } catch (e) {
    if (e instanceof CoreFail) throw new BtfError(`${where}: ${e.message}`, { typeId: relo.typeId });
    throw e;
  }
}

/** BPF_JMP | BPF_CALL with libbpf's poison immediate. */
const poisonCall = (): Instruction => ({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: POISON_CALL_IMM });

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/**
 * Patches the instruction (ALU imm, LDX/ST/STX off, or 64-bit load imm64) as libbpf's
 * bpf_core_patch_insn does; a poisoned relocation becomes libbpf's `call 0xbad2310`
 * (BPF_CALL with imm 195896080). A poisoned 64-bit load becomes one call here; use
 * applyCoreRelocationSlots to keep both slots. Throws BtfError where libbpf fails the load.
 */
export function applyCoreRelocation(insn: Instruction, result: CoreResult): Instruction {
  return applyCoreRelocationSlots(insn, result)[0]!;
}

/** As applyCoreRelocation, but a poisoned 64-bit load gives two poison calls, one per slot, as libbpf writes them. */
export function applyCoreRelocationSlots(insn: Instruction, result: CoreResult): Instruction[] {
  const isLddw = insn.opcode === 0x18;
  const poison = (): Instruction[] => (isLddw ? [poisonCall(), poisonCall()] : [poisonCall()]);
  if (result.poisoned) return poison();
  const cls = insn.opcode & 0x07;
  const orig = result.localValue64 ?? BigInt.asUintN(64, BigInt(result.localValue));
  const next = result.targetValue64 ?? BigInt.asUintN(64, BigInt(result.targetValue));
  const validate = result.validate ?? true;
  const localSize = result.localSize ?? 0;
  const targetSize = result.targetSize ?? 0;
  const bad = (why: string): never => {
    throw new BtfError(`core relocation: ${why} (${result.explanation})`);
  };
  switch (cls) {
    case 0x04: case 0x07: { // BPF_ALU, BPF_ALU64
      if ((insn.opcode & 0x08) !== 0) bad(`alu instruction with a register source can't be relocated`);
      if (validate && BigInt.asUintN(64, BigInt(insn.imm)) !== orig && BigInt(insn.imm >>> 0) !== orig) bad(`unexpected alu immediate ${insn.imm >>> 0}, expected ${orig}`);
      return [{ ...insn, imm: Number(BigInt.asIntN(32, next)) }];
    }
    case 0x01: case 0x02: case 0x03: { // BPF_LDX, BPF_ST, BPF_STX
      if (validate && BigInt(insn.off) !== orig) bad(`unexpected memory offset ${insn.off}, expected ${orig}`);
      if (next > 0x7fffn) bad(`memory offset ${next} too big`);
      if (result.failMemSizeAdjust) return poison();
      let opcode = insn.opcode;
      if (targetSize !== localSize) {
        const have = SIZE_BYTES[insn.opcode & 0x18]!;
        if (have !== localSize) bad(`unexpected memory size ${have}, expected ${localSize}`);
        const size = BYTES_SIZE[targetSize];
        if (size === undefined) bad(`invalid new memory size ${targetSize}`);
        opcode = (insn.opcode & 0xe0) | size! | cls;
      }
      return [{ ...insn, opcode, off: Number(next) }];
    }
    case 0x00: { // BPF_LD
      if (!isLddw || insn.src !== 0 || insn.off !== 0) bad(`64-bit load has an unexpected form`);
      const imm = insn.imm64 ?? BigInt(insn.imm >>> 0);
      if (validate && imm !== orig) bad(`unexpected 64-bit immediate ${imm}, expected ${orig}`);
      const v = BigInt.asUintN(64, next);
      return [{ ...insn, imm: Number(BigInt.asIntN(32, v)), imm64: v }];
    }
    default:
      return bad(`instruction class ${cls} can't be relocated`);
  }
}
