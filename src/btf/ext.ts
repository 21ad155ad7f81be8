/**
 * @fileoverview Parses `.BTF.ext`: per code section, the func_info (which BTF FUNC starts
 * where), line_info (source lines) and CO-RE relocation records clang emits. Offsets in
 * the file are bytes; here they are instruction slots, as libbpf keeps them.
 */

import { BtfError } from "./errors.js";
import { BTF_MAGIC } from "./parse.js";
import type { Btf } from "./types.js";

export interface FuncInfo {
  /** in instructions (slots), not bytes */
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  line: number;
  column: number;
  lineText: string;
}

export interface CoreRelocation {
  insnOff: number;
  /** the local (program's) BTF type the access string starts from */
  typeId: number;
  /** "0:1:2": indices into the type, first an array index, then member or element indices */
  accessString: string;
  kind: CoreRelocationKind;
}

/** enum bpf_core_relo_kind */
export const enum CoreRelocationKind {
  /** BPF_CORE_FIELD_BYTE_OFFSET */
  FieldByteOffset = 0,
  /** BPF_CORE_FIELD_BYTE_SIZE */
  FieldByteSize = 1,
  /** BPF_CORE_FIELD_EXISTS */
  FieldExists = 2,
  /** BPF_CORE_FIELD_SIGNED */
  FieldSigned = 3,
  /** BPF_CORE_FIELD_LSHIFT_U64 */
  FieldLshiftU64 = 4,
  /** BPF_CORE_FIELD_RSHIFT_U64 */
  FieldRshiftU64 = 5,
  /** BPF_CORE_TYPE_ID_LOCAL */
  TypeIdLocal = 6,
  /** BPF_CORE_TYPE_ID_TARGET */
  TypeIdTarget = 7,
  /** BPF_CORE_TYPE_EXISTS */
  TypeExists = 8,
  /** BPF_CORE_TYPE_SIZE */
  TypeSize = 9,
  /** BPF_CORE_ENUMVAL_EXISTS */
  EnumvalExists = 10,
  /** BPF_CORE_ENUMVAL_VALUE */
  EnumvalValue = 11,
  /** BPF_CORE_TYPE_MATCHES */
  TypeMatches = 12,
}

/** libbpf's names for the kinds, as its logs print them. */
export const CORE_RELOCATION_KIND_NAMES: readonly string[] = [
  "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
  "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
];

/** keyed by ELF section name */
export interface BtfExt {
  funcInfo: Map<string, FuncInfo[]>;
  lineInfo: Map<string, LineInfo[]>;
  coreRelocations: Map<string, CoreRelocation[]>;
}

const SLOT = 8;

/** Parses `.BTF.ext` bytes; names resolve through `btf`'s string table. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.length < 24) throw new BtfError(`.BTF.ext: ${bytes.length} bytes is shorter than the 24-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfError(`.BTF.ext: bad magic 0x${view.getUint16(0, true).toString(16)} (want 0xeb9f)`);
  if (view.getUint8(2) !== 1) throw new BtfError(`.BTF.ext: unsupported version ${view.getUint8(2)}`);
  if (view.getUint8(3) !== 0) throw new BtfError(`.BTF.ext: unsupported flags 0x${view.getUint8(3).toString(16)}`);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.length) throw new BtfError(`.BTF.ext: header length ${hdrLen} is outside 24..${bytes.length}`);
  const u32 = (at: number): number => view.getUint32(at, le);
  const str = (off: number, what: string): string => {
    try {
      return btf.string(off);
    } catch (e) {
      throw new BtfError(`.BTF.ext: ${what}: string offset ${off} is beyond the btf string section`, { cause: e });
    }
  };

  /** Walks one info block: record size, then (section name, count, records) groups. */
  const block = <T>(what: string, off: number, len: number, minRecord: number, read: (at: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (len === 0) return out;
    const start = hdrLen + off;
    if (off + len > bytes.length - hdrLen || start + len > bytes.length) throw new BtfError(`.BTF.ext: ${what} ${off}+${len} is beyond the ${bytes.length - hdrLen} bytes after the header`);
    if (len < 4) throw new BtfError(`.BTF.ext: ${what} is ${len} bytes, too short for its record size`);
    const recSize = u32(start);
    if (recSize < minRecord || recSize % 4 !== 0) throw new BtfError(`.BTF.ext: ${what} record size ${recSize} (want at least ${minRecord}, a multiple of 4)`);
    const end = start + len;
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) throw new BtfError(`.BTF.ext: ${what} section header at ${p - start} is truncated`);
      const name = str(u32(p), `${what} section name`);
      const n = u32(p + 4);
      p += 8;
      if (n === 0) throw new BtfError(`.BTF.ext: ${what} for section ${name} has no records`);
      // Checked before allocating, so a huge count is an error, not an allocation.
      if (n * recSize > end - p) throw new BtfError(`.BTF.ext: ${what} for section ${name}: ${n} records of ${recSize} bytes overrun the ${end - p} bytes left`);
      const list: T[] = out.get(name) ?? [];
      for (let i = 0; i < n; i++, p += recSize) list.push(read(p));
      out.set(name, list);
    }
    return out;
  };

  const insnOff = (at: number, what: string): number => {
    const off = u32(at);
    if (off % SLOT !== 0) throw new BtfError(`.BTF.ext: ${what} insn_off ${off} is not a multiple of ${SLOT}`);
    return off / SLOT;
  };
  const typeRef = (id: number, what: string): number => {
    if (id >= btf.types.length) throw new BtfError(`.BTF.ext: ${what} refers to type ${id} beyond ${btf.types.length} types`);
    return id;
  };

  const funcInfo = block("func_info", u32(8), u32(12), 8, (at) => ({ insnOff: insnOff(at, "func_info"), typeId: typeRef(u32(at + 4), "func_info") }));
  const lineInfo = block("line_info", u32(16), u32(20), 16, (at) => {
    const lineCol = u32(at + 12);
    return {
      insnOff: insnOff(at, "line_info"),
      fileName: str(u32(at + 4), "line_info file name"),
      lineText: str(u32(at + 8), "line_info line"),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  });
  let coreRelocations = new Map<string, CoreRelocation[]>();
  if (hdrLen >= 32) {
    coreRelocations = block("core_relo", u32(24), u32(28), 16, (at) => {
      const kind = u32(at + 12);
      if (kind > CoreRelocationKind.TypeMatches) throw new BtfError(`.BTF.ext: core_relo has unknown kind ${kind}`);
      return {
        insnOff: insnOff(at, "core_relo"),
        typeId: typeRef(u32(at + 4), "core_relo"),
        accessString: str(u32(at + 8), "core_relo access string"),
        kind: kind as CoreRelocationKind,
      };
    });
  }
  return { funcInfo, lineInfo, coreRelocations };
}
