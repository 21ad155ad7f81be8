/**
 * @fileoverview Writes BTF blobs from raw type records: for small BTF that tsbpf makes
 * itself (the kernel insists on BTF for some maps) and for tests of the parser.
 */

/** BTF_KIND_* numbers, as the type records carry them. */
export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** BTF_MAGIC */
const BTF_MAGIC = 0xeb9f;
const HEADER_SIZE = 24;

/**
 * One type record: `name_off`, `info` (kind, vlen, kind_flag) and `size`/`type`, then the
 * kind's extra words. A string in `extra` stands for its offset in the string section
 * (a member's name, say).
 */
export interface RawBtfType {
  readonly name?: string;
  readonly kind: number;
  readonly vlen?: number;
  readonly kflag?: boolean;
  readonly sizeOrType: number;
  readonly extra?: readonly (number | string)[];
}

export interface BuildBtfOptions {
  /** Split BTF: string offsets continue from the base's string section of this size. */
  readonly splitStringBase?: number;
  /** Strings to add besides the names, e.g. line_info's file names and source lines. */
  readonly strings?: readonly string[];
  readonly littleEndian?: boolean;
}

/** A BTF blob and the offset of each string in it. */
export interface BuiltBtf {
  readonly bytes: Uint8Array;
  readonly stringOffsets: ReadonlyMap<string, number>;
}

/** Writes BTF from raw records; strings go into the string section in first-use order. */
export function buildBtf(types: readonly RawBtfType[], options: BuildBtfOptions = {}): BuiltBtf {
  const split = options.splitStringBase !== undefined;
  const le = options.littleEndian ?? true;
  const encoder = new TextEncoder();
  const strings: string[] = split ? [] : [""];
  const offsets = new Map<string, number>();
  let strLen = split ? 0 : 1;
  const str = (s: string | undefined): number => {
    if (!s) return 0;
    let off = offsets.get(s);
    if (off === undefined) {
      off = (options.splitStringBase ?? 0) + strLen;
      offsets.set(s, off);
      strings.push(s);
      strLen += encoder.encode(s).length + 1;
    }
    return off;
  };
  const words: number[] = [];
  for (const t of types) {
    const info = ((t.kflag ? 1 : 0) << 31) | (t.kind << 24) | (t.vlen ?? 0);
    words.push(str(t.name), info >>> 0, t.sizeOrType >>> 0, ...(t.extra ?? []).map((w) => (typeof w === "string" ? str(w) : w >>> 0)));
  }
  for (const s of options.strings ?? []) str(s);
  const names = encoder.encode(strings.map((s) => `${s}\0`).join(""));
  const typeLen = words.length * 4;
  const bytes = new Uint8Array(HEADER_SIZE + typeLen + names.length);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, 1); // version
  v.setUint32(4, HEADER_SIZE, le);
  v.setUint32(8, 0, le); // type_off, from the end of the header
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le); // str_off
  v.setUint32(20, names.length, le);
  words.forEach((w, i) => v.setUint32(HEADER_SIZE + i * 4, w, le));
  bytes.set(names, HEADER_SIZE + typeLen);
  return { bytes, stringOffsets: offsets };
}

/** An `int` record: 4 bytes, signed (BTF_INT_SIGNED), 32 bits. */
export const INT32_TYPE: RawBtfType = { name: "int", kind: BTF_KIND.INT, sizeOrType: 4, extra: [(1 << 24) | 32] };
