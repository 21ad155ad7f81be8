/**
 * @fileoverview C struct layouts as tables: a struct is its member list, and offsets
 * follow from C's alignment rules (natural alignment, as on every Linux ABI bpf() runs
 * on). The same table encodes an attribute, decodes an info struct and is checked
 * against the running kernel's BTF in the tests.
 */

/** bpf() speaks the host's byte order; x86 and arm64 are little-endian, s390x is not. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LE = HOST_LITTLE_ENDIAN;

/** A member's C type: fixed-width integers, a word of bitfields, or a byte array. */
export type FieldType = "u8" | "u16" | "u32" | "s32" | "u64" | "bits32" | `char[${number}]` | `u8[${number}]`;

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

export interface Layout {
  /** The C type that holds these members, e.g. "union bpf_attr" or "struct bpf_prog_info". */
  readonly cType: string;
  /** How C reaches the members from `cType`: "" for anonymous structs, "batch." for named ones. */
  readonly cPrefix: string;
  /** Size up to the last member, rounded to the struct's alignment: what bpf() is told. */
  readonly size: number;
  readonly fields: ReadonlyMap<string, Field>;
}

function sizeAlign(type: FieldType): [size: number, align: number] {
  switch (type) {
    case "u8": return [1, 1];
    case "u16": return [2, 2];
    case "u32": case "s32": case "bits32": return [4, 4];
    case "u64": return [8, 8];
  }
  const n = Number(/\[(\d+)\]$/.exec(type)![1]);
  return [n, 1];
}

/**
 * Lays out members in order. A name like "value|next_key" is an anonymous union of
 * same-typed members: one slot, reachable by every name.
 */
export function defineLayout(cType: string, cPrefix: string, members: readonly (readonly [string, FieldType])[]): Layout {
  const fields = new Map<string, Field>();
  let at = 0;
  let maxAlign = 1;
  for (const [names, type] of members) {
    const [size, align] = sizeAlign(type);
    at = Math.ceil(at / align) * align;
    maxAlign = Math.max(maxAlign, align);
    for (const name of names.split("|")) fields.set(name, { name, type, offset: at, size });
    at += size;
  }
  return { cType, cPrefix, size: Math.ceil(at / maxAlign) * maxAlign, fields };
}

function field(layout: Layout, name: string): Field {
  const f = layout.fields.get(name);
  if (!f) throw new Error(`${layout.cType}: no member ${layout.cPrefix}${name}`);
  return f;
}

/** Writes members of a layout into a zeroed buffer. */
export class StructWriter {
  private readonly view: DataView;
  constructor(readonly layout: Layout, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** Sets an integer member; bigints for u64 members that may exceed 2^53. */
  set(name: string, value: number | bigint | undefined): this {
    if (value === undefined) return this;
    const f = field(this.layout, name);
    switch (f.type) {
      case "u8": this.view.setUint8(f.offset, Number(value)); break;
      case "u16": this.view.setUint16(f.offset, Number(value), LE); break;
      case "u32": case "bits32": this.view.setUint32(f.offset, Number(value) >>> 0, LE); break;
      case "s32": this.view.setInt32(f.offset, Number(value) | 0, LE); break;
      case "u64": this.view.setBigUint64(f.offset, BigInt.asUintN(64, BigInt(value)), LE); break;
      default: throw new Error(`${f.name} is an array`);
    }
    return this;
  }
  /** Sets a char array member from a string, cut to leave its terminating NUL. */
  str(name: string, value: string | undefined): this {
    if (value === undefined) return this;
    const f = field(this.layout, name);
    const encoded = new TextEncoder().encode(value).subarray(0, f.size - 1);
    this.bytes.set(encoded, f.offset);
    return this;
  }
}

/** Reads members of a layout from a buffer the kernel filled. */
export class StructReader {
  private readonly view: DataView;
  constructor(readonly layout: Layout, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** An integer member of at most 32 bits (or a u64 known to be small) as a number. */
  num(name: string): number {
    const f = field(this.layout, name);
    switch (f.type) {
      case "u8": return this.view.getUint8(f.offset);
      case "u16": return this.view.getUint16(f.offset, LE);
      case "u32": case "bits32": return this.view.getUint32(f.offset, LE);
      case "s32": return this.view.getInt32(f.offset, LE);
      case "u64": return Number(this.view.getBigUint64(f.offset, LE));
      default: throw new Error(`${f.name} is an array`);
    }
  }
  /** A u64 member as a bigint. */
  big(name: string): bigint {
    const f = field(this.layout, name);
    if (f.type !== "u64") throw new Error(`${f.name} is not a u64`);
    return this.view.getBigUint64(f.offset, LE);
  }
  /** A char array member up to its first NUL. */
  str(name: string): string {
    const raw = this.raw(name);
    const end = raw.indexOf(0);
    return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
  }
  /** A member's bytes, copied. */
  raw(name: string): Uint8Array {
    const f = field(this.layout, name);
    return this.bytes.slice(f.offset, f.offset + f.size);
  }
}
