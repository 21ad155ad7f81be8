/**
 * @fileoverview The object's BTF made acceptable to BPF_BTF_LOAD, as libbpf's
 * `btf_finalize_data` does: clang leaves DATASEC sizes 0 (the linker's business), and
 * extern VARs carry a linkage the kernel refuses. Also the string offsets line info needs.
 */

import type { Btf } from "../btf/index.js";

/** BTF_KIND_* numbers this walk needs. */
const KIND = { INT: 1, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, DECL_TAG: 17, ENUM64: 19 } as const;
/** BTF_FUNC_STATIC, BTF_FUNC_GLOBAL, BTF_FUNC_EXTERN */
const FUNC_STATIC = 0;
const FUNC_GLOBAL = 1;
const FUNC_EXTERN = 2;
/** BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_GLOBAL_EXTERN */
const VAR_GLOBAL_ALLOCATED = 1;
const VAR_GLOBAL_EXTERN = 2;

/** Bytes after the 12-byte `struct btf_type` for each kind. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case KIND.INT: case KIND.VAR: case KIND.DECL_TAG: return 4;
    case KIND.ARRAY: return 12;
    case KIND.STRUCT: case KIND.UNION: case KIND.DATASEC: case KIND.ENUM64: return 12 * vlen;
    case KIND.ENUM: case KIND.FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/**
 * A copy of `btf.raw` with each DATASEC's size set when it is 0 (from `sizes` by section
 * name, else the end of its last variable), variable offsets from `varOffsets` (keyed
 * "section/variable": the ELF symbols' values, or the kconfig layout), and extern VARs
 * made global, which is all the kernel accepts. Global FUNCs named in `staticFuncs` become
 * static: libbpf's mark_btf_static for `__hidden` subprograms, which the verifier then checks
 * in their caller's context instead of alone.
 */
export function finalizeBtf(btf: Btf, sizes: ReadonlyMap<string, number>, varOffsets: ReadonlyMap<string, number> = new Map(), staticFuncs: ReadonlySet<string> = new Set()): Uint8Array {
  const out = btf.raw.slice();
  const v = new DataView(out.buffer);
  const le = btf.littleEndian;
  const hdrLen = v.getUint32(4, le);
  const typeStart = hdrLen + v.getUint32(8, le);
  const typeEnd = typeStart + v.getUint32(12, le);
  let at = typeStart;
  let id = 1;
  const varAt = new Map<number, number>();
  const funcAt = new Map<number, number>();
  const protoAt = new Map<number, number>();
  const kfuncs: number[] = [];
  // .ksyms entries that are kfuncs: the kernel wants only VARs in a DATASEC, so libbpf points
  // them at one dummy int VAR it adds (add_dummy_ksym_var), appended here as the next type.
  const dummyId = btf.types.length;
  let dummyName: number | undefined;
  // A typeless ksym (`extern const void x __ksym`) is a VAR of void, which the kernel refuses; libbpf makes it an int.
  const intId = btf.types.find((t) => t.kind === "int" && t.size === 4)?.id;
  while (at + 12 <= typeEnd) {
    const info = v.getUint32(at + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === KIND.FUNC_PROTO) protoAt.set(id, at);
    if (kind === KIND.FUNC) {
      funcAt.set(id, at);
      // An extern FUNC (a kfunc's declaration) has a linkage the kernel refuses; libbpf makes it global.
      if (vlen === FUNC_EXTERN) v.setUint32(at + 4, (info & ~0xffff) | FUNC_GLOBAL, le);
      if (vlen === FUNC_GLOBAL && staticFuncs.has(btf.types[id]?.name ?? "")) v.setUint32(at + 4, (info & ~0xffff) | FUNC_STATIC, le);
    }
    if (kind === KIND.VAR) {
      varAt.set(id, at);
      if (v.getUint32(at + 12, le) === VAR_GLOBAL_EXTERN) v.setUint32(at + 12, VAR_GLOBAL_ALLOCATED, le);
    }
    if (kind === KIND.DATASEC) {
      const name = btf.types[id]?.name ?? "";
      const ksyms = name === ".ksyms";
      let end = 0;
      for (let i = 0; i < vlen; i++) {
        const e = at + 12 + i * 12;
        if (ksyms) {
          const fat = funcAt.get(v.getUint32(e, le));
          if (fat !== undefined && intId !== undefined) {
            dummyName ??= v.getUint32(fat, le);
            kfuncs.push(fat);
            v.setUint32(e, dummyId, le);
          }
          const vat = varAt.get(v.getUint32(e, le));
          if (vat !== undefined && intId !== undefined && isVoid(btf, v.getUint32(vat + 8, le))) v.setUint32(vat + 8, intId, le);
          v.setUint32(e + 4, 4 * i, le);
          v.setUint32(e + 8, 4, le);
        }
        const varName = btf.types[v.getUint32(e, le)]?.name;
        const off = varName !== undefined ? varOffsets.get(`${name}/${varName}`) : undefined;
        if (off !== undefined) v.setUint32(e + 4, off, le);
        end = Math.max(end, v.getUint32(e + 4, le) + v.getUint32(e + 8, le));
      }
      if (v.getUint32(at + 8, le) === 0) v.setUint32(at + 8, sizes.get(name) ?? end, le);
      sortByOffset(out, at + 12, vlen, le);
    }
    at += 12 + extraBytes(kind, vlen);
    id++;
  }
  if (dummyName === undefined) return out;
  // A global FUNC's arguments must have names; libbpf names a kfunc's unnamed ones after its dummy VAR.
  for (const fat of kfuncs) {
    const pat = protoAt.get(v.getUint32(fat + 8, le));
    if (pat === undefined) continue;
    const n = v.getUint32(pat + 4, le) & 0xffff;
    for (let i = 0; i < n; i++) {
      const param = pat + 12 + i * 8;
      if (v.getUint32(param, le) === 0 && v.getUint32(param + 4, le) !== 0) v.setUint32(param, dummyName, le);
    }
  }
  return withDummyVar(out, typeEnd, dummyName, intId!, le);
}

/** The BTF with a VAR (named by string `nameOff`, of type `intId`, global) appended to its types. */
function withDummyVar(raw: Uint8Array, typeEnd: number, nameOff: number, intId: number, le: boolean): Uint8Array {
  const VAR_SIZE = 16;
  const out = new Uint8Array(raw.length + VAR_SIZE);
  out.set(raw.subarray(0, typeEnd));
  out.set(raw.subarray(typeEnd), typeEnd + VAR_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(typeEnd, nameOff, le);
  v.setUint32(typeEnd + 4, KIND.VAR << 24, le);
  v.setUint32(typeEnd + 8, intId, le);
  v.setUint32(typeEnd + 12, VAR_GLOBAL_ALLOCATED, le);
  const hdrLen = v.getUint32(4, le);
  v.setUint32(12, v.getUint32(12, le) + VAR_SIZE, le); // type_len
  if (hdrLen + v.getUint32(16, le) >= typeEnd) v.setUint32(16, v.getUint32(16, le) + VAR_SIZE, le); // str_off
  return out;
}

/** The kernel wants a DATASEC's variables in ascending offsets; the kconfig layout reorders them. */
function sortByOffset(out: Uint8Array, start: number, count: number, le: boolean): void {
  const entries = Array.from({ length: count }, (_, i) => out.slice(start + i * 12, start + (i + 1) * 12));
  const offsetOf = (e: Uint8Array) => new DataView(e.buffer).getUint32(4, le);
  entries.sort((a, b) => offsetOf(a) - offsetOf(b));
  entries.forEach((e, i) => out.set(e, start + i * 12));
}

function isVoid(btf: Btf, id: number): boolean {
  try {
    return btf.resolve(id).kind === "void";
  } catch {
    return false;
  }
}

/** The offset of each string in the BTF string section (the first, when repeated). */
export function stringOffsets(btf: Btf): Map<string, number> {
  const raw = btf.raw;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = btf.littleEndian;
  const hdrLen = v.getUint32(4, le);
  const start = hdrLen + v.getUint32(16, le);
  const end = start + v.getUint32(20, le);
  const offsets = new Map<string, number>();
  const decoder = new TextDecoder();
  for (let at = start; at < end; ) {
    let nul = raw.indexOf(0, at);
    if (nul < 0 || nul > end) nul = end;
    const s = decoder.decode(raw.subarray(at, nul));
    if (!offsets.has(s)) offsets.set(s, at - start);
    at = nul + 1;
  }
  return offsets;
}
