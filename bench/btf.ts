/**
 * @fileoverview How long the kernel's own BTF takes to parse and to print as C (what
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` does). Run alone with
 * `node --import tsx bench/btf.ts`, or as part of `npm run bench`.
 */

import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { dumpC, parseBtf } from "../src/btf/index.js";

export interface BtfBenchResult {
  readonly bytes: number;
  readonly types: number;
  readonly parse_ms: number;
  readonly dump_c_ms: number;
}

/** Mean times over a few runs after a warm-up, or undefined where the kernel has no BTF. */
export function benchVmlinuxBtf(path = "/sys/kernel/btf/vmlinux"): BtfBenchResult | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = new Uint8Array(readFileSync(path));
  let btf = parseBtf(bytes);
  dumpC(btf);
  const runs = 5;
  let start = performance.now();
  for (let i = 0; i < runs; i++) btf = parseBtf(bytes);
  const parse = (performance.now() - start) / runs;
  start = performance.now();
  for (let i = 0; i < runs; i++) dumpC(btf);
  const dump = (performance.now() - start) / runs;
  return { bytes: bytes.length, types: btf.types.length, parse_ms: Math.round(parse * 10) / 10, dump_c_ms: Math.round(dump * 10) / 10 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = benchVmlinuxBtf();
  console.log(r ? `vmlinux BTF  ${(r.bytes / 1e6).toFixed(1)} MB, ${r.types} types: parse ${r.parse_ms} ms, dump as C ${r.dump_c_ms} ms` : "no /sys/kernel/btf/vmlinux here");
}
