/**
 * @fileoverview Map keys and values as JS values by their BTF type, and back: ints become
 * numbers (bigints from 64 bits up), char arrays strings, structs objects, arrays arrays,
 * enums their enumerator's name. Byte order is the BTF's.
 */

import { BtfError } from "./errors.js";
import { describe } from "./parse.js";
import type { Btf, BtfType } from "./types.js";

type Int = Extract<BtfType, { kind: "int" }>;

/** An array of these prints as a string: one-byte ints named or encoded as char. */
function isCharType(btf: Btf, id: number): boolean {
  const t = btf.resolve(id);
  return t.kind === "int" && t.size === 1 && (t.char || t.name === "char" || t.name === "signed char" || t.name === "unsigned char");
}

/**
 * bpftool's is_str_array: a char array prints as a string when its element is `char`
 * (through const/volatile, but not through a typedef such as __u8) and its bytes are
 * printable up to a NUL inside the array; otherwise it prints as numbers.
 */
function isStrArray(btf: Btf, elem: number, bytes: Uint8Array): boolean {
  let t = btf.type(elem);
  while (t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag") t = btf.type(t.type);
  if (t.kind !== "int" || t.size !== 1 || !(t.char || t.name === "char")) return false;
  for (const b of bytes) {
    if (b === 0) return true;
    if (b <= 0x1f || b >= 0x7f) return false;
  }
  return false;
}

/** Layouts from hostile BTF (a member past its struct's end) must not read past the value. */
function inBounds(bytes: Uint8Array, off: number, n: number): void {
  if (off < 0 || off + n > bytes.length || !Number.isInteger(off)) throw new BtfError(`value access at byte ${off}+${n} is outside its ${bytes.length} bytes`);
}

/** The bytes [off, off+n) as an unsigned integer in the BTF's byte order. */
function readUint(bytes: Uint8Array, off: number, n: number, le: boolean): bigint {
  inBounds(bytes, off, n);
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(bytes[le ? off + n - 1 - i : off + i]!);
  return v;
}

function writeUint(bytes: Uint8Array, off: number, n: number, le: boolean, v: bigint): void {
  inBounds(bytes, off, n);
  for (let i = 0; i < n; i++) {
    bytes[le ? off + i : off + n - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Reads `bits` bits at bit `bitOff` of the bytes starting at `off`, as the compiler lays out bitfields. */
function readBits(bytes: Uint8Array, off: number, bitOff: number, bits: number, le: boolean): bigint {
  const first = Math.floor(bitOff / 8);
  const n = Math.ceil((bitOff + bits) / 8) - first;
  const raw = readUint(bytes, off + first, n, le);
  const within = bitOff - first * 8;
  const shift = le ? BigInt(within) : BigInt(n * 8 - within - bits);
  return (raw >> shift) & ((1n << BigInt(bits)) - 1n);
}

function writeBits(bytes: Uint8Array, off: number, bitOff: number, bits: number, le: boolean, v: bigint): void {
  const first = Math.floor(bitOff / 8);
  const n = Math.ceil((bitOff + bits) / 8) - first;
  const within = bitOff - first * 8;
  const shift = le ? BigInt(within) : BigInt(n * 8 - within - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  const raw = readUint(bytes, off + first, n, le);
  writeUint(bytes, off + first, n, le, (raw & ~mask) | ((BigInt.asUintN(bits, v) << shift) & mask));
}

/** An integer's JS value: a number up to 32 bits (53 bits for bitfields), a bigint beyond. */
function intValue(t: Int, raw: bigint, bits: number): number | bigint {
  const v = t.signed ? BigInt.asIntN(bits, raw) : raw;
  return bits > 32 && t.size > 4 ? v : Number(v);
}

/** Decodes `bytes` (at least sizeof(typeId) of them) as a value of type `typeId`. */
export function formatValue(btf: Btf, typeId: number, bytes: Uint8Array): unknown {
  const size = btf.sizeof(typeId);
  if (bytes.length < size) throw new BtfError(`${describe(btf, typeId)}: value has ${bytes.length} bytes, the type needs ${size}`, { typeId });
  return decode(btf, typeId, bytes, 0, 0);
}

function decode(btf: Btf, id: number, bytes: Uint8Array, off: number, depth: number): unknown {
  if (depth > 64) throw new BtfError(`${describe(btf, id)}: types nest deeper than 64`, { typeId: id });
  const le = btf.littleEndian;
  const t = btf.resolve(id);
  switch (t.kind) {
    case "int": {
      const bits = t.bits || t.size * 8;
      const raw = t.bitOffset || bits !== t.size * 8 ? readBits(bytes, off, t.bitOffset, bits, le) : readUint(bytes, off, t.size, le);
      return intValue(t, raw, bits);
    }
    case "ptr":
      return readUint(bytes, off, 8, le);
    case "enum": {
      const raw = readUint(bytes, off, t.size, le);
      return enumValue(t, raw, t.size * 8);
    }
    case "float": {
      inBounds(bytes, off, t.size);
      const view = new DataView(bytes.buffer, bytes.byteOffset + off, t.size);
      if (t.size === 4) return view.getFloat32(0, le);
      if (t.size === 8) return view.getFloat64(0, le);
      return Array.from(bytes.subarray(off, off + t.size));
    }
    case "array": {
      const elemSize = btf.sizeof(t.type);
      if (isStrArray(btf, t.type, bytes.subarray(off, off + t.nelems))) {
        const end = bytes.subarray(off, off + t.nelems).indexOf(0);
        return new TextDecoder().decode(bytes.subarray(off, off + end));
      }
      const out: unknown[] = new Array(t.nelems);
      for (let i = 0; i < t.nelems; i++) out[i] = decode(btf, t.type, bytes, off + i * elemSize, depth + 1);
      return out;
    }
    case "struct":
    case "union": {
      const out: Record<string, unknown> = {};
      decodeMembers(btf, t, bytes, off, out, depth);
      return out;
    }
    case "var":
      return decode(btf, t.type, bytes, off, depth + 1);
    case "datasec": {
      const out: Record<string, unknown> = {};
      for (const v of t.vars) {
        const vt = btf.type(v.type);
        out[vt.name] = decode(btf, v.type, bytes, off + v.offset, depth + 1);
      }
      return out;
    }
    default:
      throw new BtfError(`${describe(btf, id)}: a ${t.kind} has no value`, { typeId: id });
  }
}

function enumValue(t: Extract<BtfType, { kind: "enum" }>, raw: bigint, bits: number): string | number | bigint {
  const v = t.signed ? BigInt.asIntN(bits, raw) : raw;
  for (const e of t.values) if (e.value === v || BigInt.asUintN(bits, e.value) === raw) return e.name;
  return t.size > 4 ? v : Number(v);
}

/** Members into `out`; an anonymous struct or union's members land in the parent, as C names them. */
function decodeMembers(btf: Btf, t: Extract<BtfType, { kind: "struct" | "union" }>, bytes: Uint8Array, off: number, out: Record<string, unknown>, depth: number): void {
  const le = btf.littleEndian;
  for (const m of t.members) {
    const mt = btf.resolve(m.type);
    if (m.bitSize) {
      const raw = readBits(bytes, off, m.bitOffset, m.bitSize, le);
      const v = mt.kind === "enum" ? enumValue(mt, raw, m.bitSize) : mt.kind === "int" ? intValue(mt, raw, m.bitSize) : Number(raw);
      if (m.name) out[m.name] = v;
      continue;
    }
    const at = off + m.bitOffset / 8;
    if (!m.name && (mt.kind === "struct" || mt.kind === "union")) {
      decodeMembers(btf, mt, bytes, at, out, depth + 1);
      continue;
    }
    if (!m.name) continue;
    out[m.name] = decode(btf, m.type, bytes, at, depth + 1);
  }
}

/** Encodes a JS value as `formatValue` gives them, into sizeof(typeId) bytes; missing members are zero. */
export function encodeValue(btf: Btf, typeId: number, value: unknown): Uint8Array {
  const bytes = new Uint8Array(btf.sizeof(typeId));
  encode(btf, typeId, value, bytes, 0, 0, "value");
  return bytes;
}

function toBigInt(v: unknown, path: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  throw new BtfError(`${path}: ${typeof v === "number" ? v : typeof v} is not an integer`);
}

function checkRange(v: bigint, bits: number, signed: boolean, path: string): void {
  const min = signed ? -(1n << BigInt(bits - 1)) : -(1n << BigInt(bits - 1)); // negative values of unsigned wrap, as in C
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (v < min || v > max) throw new BtfError(`${path}: ${v} does not fit in ${bits} ${signed ? "signed" : "unsigned"} bits`);
}

function enumRaw(t: Extract<BtfType, { kind: "enum" }>, v: unknown, path: string): bigint {
  if (typeof v === "string") {
    const e = t.values.find((x) => x.name === v);
    if (!e) throw new BtfError(`${path}: ${v} is not an enumerator of enum ${t.name || "(anon)"}`);
    return e.value;
  }
  return toBigInt(v, path);
}

function encode(btf: Btf, id: number, value: unknown, bytes: Uint8Array, off: number, depth: number, path: string): void {
  if (depth > 64) throw new BtfError(`${describe(btf, id)}: types nest deeper than 64`, { typeId: id });
  const le = btf.littleEndian;
  const t = btf.resolve(id);
  switch (t.kind) {
    case "int": {
      const bits = t.bits || t.size * 8;
      const v = toBigInt(value, path);
      checkRange(v, bits, t.signed, path);
      if (t.bitOffset || bits !== t.size * 8) writeBits(bytes, off, t.bitOffset, bits, le, v);
      else writeUint(bytes, off, t.size, le, BigInt.asUintN(t.size * 8, v));
      return;
    }
    case "ptr":
      writeUint(bytes, off, 8, le, BigInt.asUintN(64, toBigInt(value, path)));
      return;
    case "enum":
      writeUint(bytes, off, t.size, le, BigInt.asUintN(t.size * 8, enumRaw(t, value, path)));
      return;
    case "float": {
      if (typeof value !== "number") throw new BtfError(`${path}: ${typeof value} is not a number`);
      inBounds(bytes, off, t.size);
      const view = new DataView(bytes.buffer, bytes.byteOffset + off, t.size);
      if (t.size === 4) view.setFloat32(0, value, le);
      else if (t.size === 8) view.setFloat64(0, value, le);
      else throw new BtfError(`${path}: ${t.size}-byte floats are not supported`);
      return;
    }
    case "array": {
      const elemSize = btf.sizeof(t.type);
      if (typeof value === "string" && isCharType(btf, t.type)) {
        const s = new TextEncoder().encode(value);
        inBounds(bytes, off, s.length);
        if (s.length > t.nelems) throw new BtfError(`${path}: string of ${s.length} bytes does not fit in char[${t.nelems}]`);
        bytes.set(s, off);
        return;
      }
      if (!Array.isArray(value) && !(value instanceof Uint8Array)) throw new BtfError(`${path}: expected an array of ${t.nelems}`);
      const list = value as ArrayLike<unknown>;
      if (list.length > t.nelems) throw new BtfError(`${path}: ${list.length} elements do not fit in [${t.nelems}]`);
      for (let i = 0; i < list.length; i++) encode(btf, t.type, list[i], bytes, off + i * elemSize, depth + 1, `${path}[${i}]`);
      return;
    }
    case "struct":
    case "union": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BtfError(`${path}: expected an object for ${t.kind} ${t.name || "(anon)"}`);
      const obj = value as Record<string, unknown>;
      const used = new Set<string>();
      encodeMembers(btf, t, obj, bytes, off, depth, path, used);
      for (const k of Object.keys(obj)) if (!used.has(k)) throw new BtfError(`${path}: ${t.kind} ${t.name || "(anon)"} has no member ${k}`);
      return;
    }
    case "var":
      encode(btf, t.type, value, bytes, off, depth + 1, path);
      return;
    default:
      throw new BtfError(`${describe(btf, id)}: a ${t.kind} has no value`, { typeId: id });
  }
}

function encodeMembers(btf: Btf, t: Extract<BtfType, { kind: "struct" | "union" }>, obj: Record<string, unknown>, bytes: Uint8Array, off: number, depth: number, path: string, used: Set<string>): void {
  for (const m of t.members) {
    const mt = btf.resolve(m.type);
    const at = off + Math.floor(m.bitOffset / 8);
    if (!m.name) {
      if (!m.bitSize && (mt.kind === "struct" || mt.kind === "union")) encodeMembers(btf, mt, obj, bytes, at, depth + 1, path, used);
      continue;
    }
    if (!(m.name in obj)) continue;
    used.add(m.name);
    const v = obj[m.name];
    const p = `${path}.${m.name}`;
    if (m.bitSize) {
      const raw = mt.kind === "enum" ? enumRaw(mt, v, p) : toBigInt(v, p);
      checkRange(raw, m.bitSize, mt.kind === "int" ? mt.signed : mt.kind === "enum" ? mt.signed : false, p);
      writeBits(bytes, off, m.bitOffset, m.bitSize, btf.littleEndian, raw);
      continue;
    }
    encode(btf, m.type, v, bytes, at, depth + 1, p);
  }
}
