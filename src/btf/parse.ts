/**
 * @fileoverview Parses BTF (`.BTF` of an object, or /sys/kernel/btf/*) into plain type
 * objects. Every length, string offset and type reference is checked before it is used,
 * so hostile input ends in a BtfError. Split BTF (a module's over vmlinux) takes a `base`.
 */

import { BtfError } from "./errors.js";
import type { Btf, BtfMember, BtfType } from "./types.js";

/** BTF_MAGIC, read in the file's byte order. */
export const BTF_MAGIC = 0xeb9f;
/** BTF_VERSION */
export const BTF_VERSION = 1;
/** sizeof(struct btf_header) for version 1 */
const HEADER_SIZE = 24;
/** BTF_MAX_TYPE: type ids are 20 bits wide... the kernel's limit is 0x000fffff */
const MAX_TYPE = 0xfffff;

/** BTF_KIND_* values, index = kind number. */
export const KIND_NAMES = [
  "UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE", "CONST",
  "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64",
] as const;

const LINKAGE = ["static", "global", "extern"] as const;

/** A string table: decoded once as a whole when it is ASCII, which the kernel's always is. */
class Strings {
  private readonly text: string | undefined;
  private readonly cache = new Map<number, string>();
  constructor(private readonly bytes: Uint8Array, private readonly start: number, private readonly base: Strings | undefined) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
    this.text = ascii ? new TextDecoder("latin1").decode(bytes) : undefined;
  }
  get end(): number {
    return this.start + this.bytes.length;
  }
  /** The NUL-terminated string at `off`, or undefined if `off` is outside the table. */
  at(off: number): string | undefined {
    if (off < this.start) return this.base?.at(off);
    const rel = off - this.start;
    if (rel >= this.bytes.length) return undefined;
    if (this.text !== undefined) {
      const nul = this.text.indexOf("\0", rel);
      return this.text.slice(rel, nul < 0 ? this.text.length : nul);
    }
    let s = this.cache.get(rel);
    if (s === undefined) {
      let nul = this.bytes.indexOf(0, rel);
      if (nul < 0) nul = this.bytes.length;
      s = new TextDecoder().decode(this.bytes.subarray(rel, nul));
      this.cache.set(rel, s);
    }
    return s;
  }
}

class ParsedBtf implements Btf {
  private names: Map<string, BtfType[]> | undefined;
  constructor(
    readonly types: readonly BtfType[],
    readonly littleEndian: boolean,
    readonly raw: Uint8Array,
    readonly base: Btf | undefined,
    readonly strings: Strings,
  ) {}

  type(id: number): BtfType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (t === undefined) throw new BtfError(`type ${id} is beyond ${this.types.length} types`, { typeId: id });
    return t;
  }

  byName(name: string, kind?: BtfType["kind"]): BtfType[] {
    if (!this.names) {
      this.names = new Map();
      for (const t of this.types) {
        if (t.name === "") continue;
        const list = this.names.get(t.name);
        if (list) list.push(t);
        else this.names.set(t.name, [t]);
      }
    }
    const all = this.names.get(name) ?? [];
    return kind === undefined ? all.slice() : all.filter((t) => t.kind === kind);
  }

  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let steps = 0; isModifier(t); steps++) {
      if (steps > this.types.length) throw loopError(this, id);
      t = this.type(t.type);
    }
    return t;
  }

  sizeof(id: number): number {
    let n = 1;
    let t = this.type(id);
    for (let steps = 0; ; steps++) {
      if (steps > this.types.length) throw loopError(this, id);
      switch (t.kind) {
        case "int": case "enum": case "float": case "struct": case "union": case "datasec":
          return checkSize(this, id, n * t.size);
        case "ptr":
          return checkSize(this, id, n * 8);
        case "array":
          n *= t.nelems;
          t = this.type(t.type);
          break;
        case "typedef": case "volatile": case "const": case "restrict": case "type_tag": case "var":
          t = this.type(t.type);
          break;
        default:
          throw new BtfError(`${describe(this, id)}: has no size (${t.kind})`, { typeId: id });
      }
    }
  }

  string(offset: number): string {
    const s = this.strings.at(offset);
    if (s === undefined) throw new BtfError(`string offset ${offset} is beyond the string section (${this.strings.end} bytes)`);
    return s;
  }
}

/** A typedef or qualifier: what `resolve` skips. */
export type BtfModifier = Extract<BtfType, { kind: "typedef" | "volatile" | "const" | "restrict" | "type_tag" }>;

export function isModifier(t: BtfType): t is BtfModifier {
  return t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag";
}

function checkSize(btf: Btf, id: number, size: number): number {
  if (size > 0xffffffff) throw new BtfError(`${describe(btf, id)}: size ${size} does not fit in 32 bits`, { typeId: id });
  return size;
}

function loopError(btf: Btf, id: number): BtfError {
  return new BtfError(`${describe(btf, id)}: type references loop`, { typeId: id });
}

/** `type [12] (struct foo)`, as messages name a type. */
export function describe(btf: Btf, id: number): string {
  const t = btf.types[id];
  if (!t) return `type [${id}]`;
  const kw = t.kind === "void" ? "void" : t.kind;
  return `type [${id}] (${kw}${t.name ? ` ${t.name}` : ""})`;
}

/** Parses BTF bytes; the byte order comes from the magic. */
export function parseBtf(bytes: Uint8Array, options: { base?: Btf } = {}): Btf {
  if (bytes.length < HEADER_SIZE) throw new BtfError(`${bytes.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfError(`bad magic 0x${view.getUint16(0, true).toString(16)} (want 0xeb9f)`);
  const version = view.getUint8(2);
  if (version !== BTF_VERSION) throw new BtfError(`unsupported version ${version}`);
  const flags = view.getUint8(3);
  if (flags !== 0) throw new BtfError(`unsupported header flags 0x${flags.toString(16)}`);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < HEADER_SIZE || hdrLen > bytes.length) throw new BtfError(`header length ${hdrLen} is outside 24..${bytes.length}`);
  // A longer header is allowed if its extra bytes are zero, as the kernel demands.
  for (let i = HEADER_SIZE; i < hdrLen; i++) if (bytes[i] !== 0) throw new BtfError(`unknown header field at byte ${i} is not zero`);
  const typeOff = view.getUint32(8, le);
  const typeLen = view.getUint32(12, le);
  const strOff = view.getUint32(16, le);
  const strLen = view.getUint32(20, le);
  const body = bytes.length - hdrLen;
  if (typeOff + typeLen > body) throw new BtfError(`type section ${typeOff}+${typeLen} is beyond the ${body} bytes after the header`);
  if (strOff + strLen > body) throw new BtfError(`string section ${strOff}+${strLen} is beyond the ${body} bytes after the header`);
  if (typeOff % 4 !== 0) throw new BtfError(`type section offset ${typeOff} is not 4-byte aligned`);
  if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) throw new BtfError(`type section ${typeOff}+${typeLen} overlaps string section ${strOff}+${strLen}`);
  const base = options.base;
  if (base && base.littleEndian !== le) throw new BtfError(`split btf byte order differs from its base's`);
  const strBytes = bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  if (!base && (strLen === 0 || strBytes[0] !== 0)) throw new BtfError(`string section does not start with an empty string`);
  if (strLen > 0 && strBytes[strLen - 1] !== 0) throw new BtfError(`string section is not NUL-terminated`);
  const baseStrings = base instanceof ParsedBtf ? base.strings : undefined;
  if (base && !baseStrings) throw new BtfError(`base btf must come from parseBtf`);
  const strings = new Strings(strBytes, baseStrings ? baseStrings.end : 0, baseStrings);

  const types: BtfType[] = base ? base.types.slice() : [{ kind: "void", id: 0, name: "" }];
  const r = new TypeReader(typeWords(bytes.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen), le), typeLen, strings, types);
  const firstId = types.length;
  r.readAll();
  r.checkRefs(firstId);
  return new ParsedBtf(types, le, bytes, base, strings);
}

/** The type section as host-order words (a copy, so alignment and byte order never matter). */
function typeWords(section: Uint8Array, le: boolean): Uint32Array {
  const words = new Uint32Array(section.length >>> 2);
  const view = new DataView(section.buffer, section.byteOffset, section.length);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, le);
  return words;
}

/**
 * Walks the type section. Kept as a class with methods, not closures made per type, so
 * the hot loop over vmlinux's ~130k types allocates only the types themselves.
 */
class TypeReader {
  p = 0;
  id = 0;
  kindName = "";
  name = "";
  constructor(
    private readonly words: Uint32Array,
    private readonly byteLength: number,
    private readonly strings: Strings,
    private readonly types: BtfType[],
  ) {}

  /** Every record is whole 4-byte words, so `at` is always a multiple of 4. */
  private u32(at: number): number {
    return this.words[at >>> 2]!;
  }
  private s32(at: number): number {
    return this.words[at >>> 2]! | 0;
  }
  private where(): string {
    return `type [${this.id}] (${this.kindName.toLowerCase()}${this.name ? ` ${this.name}` : ""})`;
  }
  private need(n: number, what: string): void {
    const left = this.byteLength - this.p;
    if (n > left) throw new BtfError(`${this.where()}: ${what} needs ${n} bytes, ${left} left`, { typeId: this.id });
  }
  private str(off: number, what: string): string {
    const s = this.strings.at(off);
    if (s === undefined) throw new BtfError(`${this.where()}: ${what} name offset ${off} is beyond the string section (${this.strings.end} bytes)`, { typeId: this.id });
    return s;
  }

  readAll(): void {
    const { types } = this;
    const typeLen = this.byteLength;
    while (this.p < typeLen) {
      const id = (this.id = types.length);
      if (id > MAX_TYPE) throw new BtfError(`more than ${MAX_TYPE} types`);
      let p = this.p;
      if (p + 12 > typeLen) throw new BtfError(`type [${id}]: header at type offset ${p} is truncated (${typeLen - p} bytes left)`, { typeId: id });
      const nameOff = this.u32(p);
      const info = this.u32(p + 4);
      const sizeOrType = this.u32(p + 8);
      this.p = p += 12;
      const vlen = info & 0xffff;
      const kindNo = (info >>> 24) & 0x1f;
      const kflag = info >>> 31 === 1;
      this.kindName = KIND_NAMES[kindNo] ?? `kind ${kindNo}`;
      this.name = "";
      const name = (this.name = this.str(nameOff, "type"));
      switch (kindNo) {
        case 1: { // BTF_KIND_INT
          this.need(4, "int encoding");
          const v = this.u32(p);
          this.p += 4;
          const enc = (v >>> 24) & 0x0f;
          const bits = v & 0xff;
          const bitOffset = (v >>> 16) & 0xff;
          if (bits > 128 || bitOffset + bits > sizeOrType * 8) throw new BtfError(`${this.where()}: ${bits} bits at offset ${bitOffset} do not fit in ${sizeOrType} bytes`, { typeId: id });
          types.push({ kind: "int", id, name, size: sizeOrType, bitOffset, bits, signed: (enc & 1) !== 0, char: (enc & 2) !== 0, bool: (enc & 4) !== 0 });
          break;
        }
        case 2: // BTF_KIND_PTR
          types.push({ kind: "ptr", id, name: "", type: (sizeOrType) });
          break;
        case 3: // BTF_KIND_ARRAY
          this.need(12, "btf_array");
          types.push({ kind: "array", id, name: "", type: (this.u32(p)), indexType: (this.u32(p + 4)), nelems: this.u32(p + 8) });
          this.p += 12;
          break;
        case 4: case 5: { // BTF_KIND_STRUCT, BTF_KIND_UNION
          this.need(vlen * 12, `${vlen} members`);
          const members: BtfMember[] = new Array(vlen);
          for (let i = 0; i < vlen; i++, p += 12) {
            const off = this.u32(p + 8);
            members[i] = {
              name: this.str(this.u32(p), `member ${i}`),
              type: (this.u32(p + 4)),
              bitOffset: kflag ? off & 0xffffff : off,
              bitSize: kflag ? off >>> 24 : 0,
            };
          }
          this.p = p;
          types.push({ kind: kindNo === 4 ? "struct" : "union", id, name, size: sizeOrType, members, kindFlag: kflag });
          break;
        }
        case 6: case 19: { // BTF_KIND_ENUM, BTF_KIND_ENUM64
          const wide = kindNo === 19;
          const each = wide ? 12 : 8;
          this.need(vlen * each, `${vlen} enumerators`);
          const values: { name: string; value: bigint }[] = new Array(vlen);
          for (let i = 0; i < vlen; i++, p += each) {
            const n = this.str(this.u32(p), `enumerator ${i}`);
            let value: bigint;
            if (wide) {
              const v = (BigInt(this.u32(p + 8)) << 32n) | BigInt(this.u32(p + 4));
              value = kflag ? BigInt.asIntN(64, v) : v;
            } else {
              value = BigInt(kflag ? this.s32(p + 4) : this.u32(p + 4));
            }
            values[i] = { name: n, value };
          }
          this.p = p;
          types.push({ kind: "enum", id, name, size: sizeOrType, signed: kflag, enum64: wide, values });
          break;
        }
        case 7: // BTF_KIND_FWD
          types.push({ kind: "fwd", id, name, union: kflag });
          break;
        case 8: case 9: case 10: case 11: case 18: { // TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG
          const kind = MODIFIER_KINDS[kindNo]!;
          types.push({ kind, id, name, type: (sizeOrType) });
          break;
        }
        case 12: { // BTF_KIND_FUNC
          const linkage = LINKAGE[vlen];
          if (!linkage) throw new BtfError(`${this.where()}: unknown linkage ${vlen}`, { typeId: id });
          types.push({ kind: "func", id, name, type: (sizeOrType), linkage });
          break;
        }
        case 13: { // BTF_KIND_FUNC_PROTO
          this.need(vlen * 8, `${vlen} parameters`);
          const params: { name: string; type: number }[] = new Array(vlen);
          for (let i = 0; i < vlen; i++, p += 8) params[i] = { name: this.str(this.u32(p), `parameter ${i}`), type: (this.u32(p + 4)) };
          this.p = p;
          types.push({ kind: "func_proto", id, name: "", returnType: (sizeOrType), params });
          break;
        }
        case 14: { // BTF_KIND_VAR
          this.need(4, "btf_var");
          const l = this.u32(p);
          this.p += 4;
          const linkage = LINKAGE[l];
          if (!linkage) throw new BtfError(`${this.where()}: unknown linkage ${l}`, { typeId: id });
          types.push({ kind: "var", id, name, type: (sizeOrType), linkage });
          break;
        }
        case 15: { // BTF_KIND_DATASEC
          this.need(vlen * 12, `${vlen} variables`);
          const vars: { type: number; offset: number; size: number }[] = new Array(vlen);
          for (let i = 0; i < vlen; i++, p += 12) vars[i] = { type: (this.u32(p)), offset: this.u32(p + 4), size: this.u32(p + 8) };
          this.p = p;
          types.push({ kind: "datasec", id, name, size: sizeOrType, vars });
          break;
        }
        case 16: // BTF_KIND_FLOAT
          types.push({ kind: "float", id, name, size: sizeOrType });
          break;
        case 17: { // BTF_KIND_DECL_TAG
          this.need(4, "btf_decl_tag");
          const componentIdx = this.s32(p);
          this.p += 4;
          types.push({ kind: "decl_tag", id, name, type: (sizeOrType), componentIdx });
          break;
        }
        default:
          throw new BtfError(`type [${id}]: unknown kind ${kindNo}`, { typeId: id });
      }
    }
  }

  /** Every reference must name a type that exists (0, void, is one); checked once all are read. */
  checkRefs(from: number): void {
    const types = this.types;
    const n = types.length;
    const bad = (t: BtfType, to: number, what: string): never => {
      throw new BtfError(`type [${t.id}] (${t.kind}${t.name ? ` ${t.name}` : ""}): ${what} refers to type ${to} beyond ${n} types`, { typeId: t.id });
    };
    for (let id = from; id < n; id++) {
      const t = types[id]!;
      switch (t.kind) {
        case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag": case "func": case "var": case "decl_tag":
          if (t.type >= n) bad(t, t.type, "it");
          break;
        case "array":
          if (t.type >= n) bad(t, t.type, "its element");
          if (t.indexType >= n) bad(t, t.indexType, "its index");
          break;
        case "struct": case "union":
          for (let i = 0; i < t.members.length; i++) if (t.members[i]!.type >= n) bad(t, t.members[i]!.type, `member ${i}`);
          break;
        case "func_proto":
          if (t.returnType >= n) bad(t, t.returnType, "its return type");
          for (let i = 0; i < t.params.length; i++) if (t.params[i]!.type >= n) bad(t, t.params[i]!.type, `parameter ${i}`);
          break;
        case "datasec":
          for (let i = 0; i < t.vars.length; i++) if (t.vars[i]!.type >= n) bad(t, t.vars[i]!.type, `variable ${i}`);
          break;
      }
    }
  }
}

const MODIFIER_KINDS: Record<number, BtfModifier["kind"]> = { 8: "typedef", 9: "volatile", 10: "const", 11: "restrict", 18: "type_tag" };
