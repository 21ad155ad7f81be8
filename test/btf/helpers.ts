/**
 * @fileoverview Test helpers for BTF: fixture objects and their .BTF, bpftool as the
 * oracle (absent means skip), and a tiny BTF writer for hand-made and hostile inputs.
 */

import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { parseBtf, type Btf } from "../../src/btf/index.js";
import { readElf } from "../../src/elf/index.js";

import { BTF_KIND, buildBtf as buildRawBtf, INT32_TYPE, type RawBtfType } from "../../src/btf/build.js";
import { objectFiles as allObjectFiles } from "../elf/llvm.js";
export { FIXTURES, BENCH_PROGS } from "../elf/llvm.js";

/** The fixture and bench objects that have a .BTF section (cilium-tail.nobtf.bpf.o has none, on purpose). */
export const objectFiles = (): string[] => allObjectFiles().filter((p) => readElf(new Uint8Array(readFileSync(p))).section(".BTF") !== undefined);

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

/** Raw type records for `buildBtf`, as src/btf/build.ts writes them. */
export type RawType = RawBtfType;

/** Writes little-endian BTF from raw records. */
export const buildBtf = (types: RawType[], options: { splitStringBase?: number } = {}): Uint8Array => buildRawBtf(types, options).bytes;

/** BTF_KIND_* numbers */
export const KIND = BTF_KIND;
/** An `int` record: 4 bytes, signed. */
export const INT32: RawType = INT32_TYPE;
