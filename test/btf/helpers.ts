/**
 * @fileoverview Test helpers for BTF: fixture objects and their .BTF, bpftool as the
 * oracle (absent means skip), and a tiny BTF writer for hand-made and hostile inputs.
 */

import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { parseBtf, type Btf } from "../../src/btf/index.js";
import { readElf } from "../../src/elf/index.js";

export { FIXTURES, BENCH_PROGS, objectFiles } from "../elf/llvm.js";

export const VMLINUX = "/sys/kernel/btf/vmlinux";
export const haveVmlinux = existsSync(VMLINUX);

export const haveBpftool = spawnSync("bpftool", ["version"], { encoding: "utf8" }).status === 0;

/** bpftool's stdout, or throws with its stderr. */
export function bpftool(args: string[]): string {
  const r = spawnSync("bpftool", args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`bpftool ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The .BTF section of an object file. */
export function btfBytes(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  if (path.endsWith(".o")) {
    const s = readElf(bytes).section(".BTF");
    if (!s) throw new Error(`${path}: no .BTF`);
    return s.data;
  }
  return bytes;
}

export const loadBtf = (path: string): Btf => parseBtf(btfBytes(path));

let vmlinux: Btf | undefined;
/** /sys/kernel/btf/vmlinux, parsed once per test file. */
export function vmlinuxBtf(): Btf {
  vmlinux ??= parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  return vmlinux;
}

/** One raw type record for `buildBtf`: header words then the kind's extra words. */
export interface RawType { name?: string; kind: number; vlen?: number; kflag?: boolean; sizeOrType: number; extra?: (number | string)[] }
// A string in `extra` stands for its offset in the string section (a member's name, say).

/** Writes little-endian BTF from raw records; names go into the string section in order. */
export function buildBtf(types: RawType[], options: { splitStringBase?: number } = {}): Uint8Array {
  const strings: string[] = options.splitStringBase !== undefined ? [] : [""];
  const offsets = new Map<string, number>();
  let strLen = options.splitStringBase !== undefined ? 0 : 1;
  const base = options.splitStringBase ?? 0;
  const str = (s: string | undefined): number => {
    if (!s) return 0;
    let off = offsets.get(s);
    if (off === undefined) {
      off = base + strLen;
      offsets.set(s, off);
      strings.push(s);
      strLen += new TextEncoder().encode(s).length + 1;
    }
    return off;
  };
  const words: number[] = [];
  for (const t of types) {
    const info = ((t.kflag ? 1 : 0) << 31) | (t.kind << 24) | (t.vlen ?? 0);
    words.push(str(t.name), info >>> 0, t.sizeOrType >>> 0, ...(t.extra ?? []).map((w) => (typeof w === "string" ? str(w) : w >>> 0)));
  }
  const names = new TextEncoder().encode(strings.map((s) => `${s}\0`).join(""));
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + names.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, names.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
  out.set(names, 24 + typeLen);
  return out;
}

/** BTF_KIND_* numbers */
export const KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;
/** An `int` record: 4 bytes, signed. */
export const INT32: RawType = { name: "int", kind: KIND.INT, sizeOrType: 4, extra: [(1 << 24) | 32] };
