/**
 * @fileoverview Map operations per second, tsbpf beside the kernel: lookups and updates
 * of array, hash and lru_hash maps from a program (an XDP program looping over 64 keys,
 * run with BPF_PROG_TEST_RUN's repeat in the kernel and testRun's in the runtime) and
 * from userspace (BpfMap.get/set beside KernelMap.get/set, one bpf() call each). Run
 * alone with `node --import tsx bench/maps.ts`, or as part of `npm run bench`.
 */

import { pathToFileURL } from "node:url";
import { installHelpers } from "../src/helpers/table.js";
import { assemble } from "../src/isa/assembler.js";
import type { Instruction } from "../src/isa/instruction.js";
import { createMap, setCpus, type BpfMap } from "../src/maps/index.js";
import { HelperRegistry } from "../src/runtime/helpers.js";
import { Runtime, type RunMode } from "../src/runtime/runtime.js";

/** One measurement: operations per second in each engine. */
export interface MapBenchResult {
  readonly map: string;
  readonly op: "lookup" | "update";
  readonly from: "program" | "userspace";
  /** From a program: the engine that ran it. */
  readonly engine?: "interp" | "jit";
  readonly tsbpf_ops_per_sec: number;
  readonly kernel_ops_per_sec?: number;
  /** From a program: ns of the loop without the helper call, in tsbpf (what the interpreter costs around the helper). */
  readonly tsbpf_loop_ns?: number;
}

const KEYS = 64;
const TYPES = (process.env.BENCH_MAP_TYPES?.split(",") ?? ["array", "hash", "lru_hash"]) as readonly ("array" | "hash" | "lru_hash")[];

/** The loop: for i in 0..63, lookup (or update) key i (or, for "none", set up the call and make none); XDP_PASS. */
function loopProgram(op: "lookup" | "update" | "none"): Instruction[] {
  return assemble(`
    r6 = 0
    *(u64 *)(r10 - 16) = r6
  loop:
    *(u32 *)(r10 - 4) = r6
    r1 = map[m] ll
    r2 = r10
    r2 += -4
    ${op === "lookup" ? "call 1" : op === "update" ? "r3 = r10\n    r3 += -16\n    r4 = 0\n    call 2" : "r0 = 0"}
    r6 += 1
    if r6 < ${KEYS} goto loop
    r0 = 2
    exit`).instructions;
}

const key = (i: number) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, 0, 0);
const value = (i: number) => Uint8Array.of(i & 0xff, 0, 0, 0, 0, 0, 0, 0);

/** ns per call of `f(n)`, which does n operations: the best of several samples of about 10 ms. */
function nsPerOp(f: (n: number) => void, budgetMs: number): number {
  let n = 64;
  for (let t0 = performance.now(); performance.now() - t0 < 2 && n < 1 << 24; n *= 2) f(n);
  let best = Infinity;
  const samples = Math.max(5, Math.round(budgetMs / 10));
  for (let k = 0; k < samples; k++) {
    const t0 = performance.now();
    f(n);
    const dt = performance.now() - t0;
    best = Math.min(best, (dt * 1e6) / n);
    if (dt < 5) n *= 2;
  }
  return best;
}

type Kernel = typeof import("../src/kernel/index.js");

export function benchMaps(o: { kernel?: Kernel; budgetMs?: number; mode?: RunMode; engines?: readonly ("interp" | "jit")[]; say?: (line: string) => void } = {}): MapBenchResult[] {
  const env = process.env.BENCH_MAP_ENGINE;
  const engines = o.engines ?? (env === "jit" || env === "interp" ? [env] : ["interp", "jit"] as const);
  const budgetMs = o.budgetMs ?? 300;
  const results: MapBenchResult[] = [];
  const pkt = new Uint8Array(64);
  for (const type of TYPES) {
    const spec = { type, keySize: 4, valueSize: 8, maxEntries: 1024, name: "bench_maps" };
    const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
    if (o.kernel) setCpus(rt.space, { cpus: o.kernel.possibleCpus() });
    const map: BpfMap = createMap(rt.space, spec);
    const kmap = o.kernel?.KernelMap.create(spec);
    try {
      for (let i = 0; i < KEYS; i++) { map.set(key(i), value(i)); kmap?.set(key(i), value(i)); }
      for (const engine of engines) {
      const base = rt.load(loopProgram("none"), { type: "xdp", mode: o.mode ?? "fast", engine, resolveLoad: (i) => (i.src === 1 ? map.handle : undefined) });
      base.testRun({ data: pkt, repeat: 20_000 });
      const loopNs = nsPerOp((n) => base.testRun({ data: pkt, repeat: Math.max(1, Math.round(n / KEYS)) }), budgetMs);
      for (const op of ["lookup", "update"] as const) {
        const insns = loopProgram(op);
        const prog = rt.load(insns, { type: "xdp", mode: o.mode ?? "fast", engine, resolveLoad: (i) => (i.src === 1 ? map.handle : undefined) });
        const kprog = kmap && o.kernel!.KernelProgram.load({ type: "xdp", name: "bench_maps", instructions: insns.map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: kmap.fd, imm64: BigInt(kmap.fd) } : i)) });
        try {
          prog.testRun({ data: pkt, repeat: 20_000 });
          const t = nsPerOp((n) => prog.testRun({ data: pkt, repeat: Math.max(1, Math.round(n / KEYS)) }), budgetMs);
          let k: number | undefined;
          if (kprog) {
            // The kernel's own timing (duration is per repeat): no syscall overhead counted.
            let best = Infinity;
            for (let s = 0; s < Math.max(5, budgetMs / 10); s++) best = Math.min(best, kprog.testRun({ data: pkt, repeat: 20_000 }).durationNs / KEYS);
            k = best;
          }
          results.push({ map: type, op, from: "program", engine, tsbpf_ops_per_sec: Math.round(1e9 / t), ...(k ? { kernel_ops_per_sec: Math.round(1e9 / k) } : {}), tsbpf_loop_ns: Math.round(loopNs * 10) / 10 });
        } finally {
          kprog?.close();
        }
      }
      }
      const ut = nsPerOp((n) => { for (let i = 0; i < n; i++) map.get(key(i & (KEYS - 1))); }, budgetMs);
      const uk = kmap && nsPerOp((n) => { for (let i = 0; i < n; i++) kmap.get(key(i & (KEYS - 1))); }, budgetMs);
      results.push({ map: type, op: "lookup", from: "userspace", tsbpf_ops_per_sec: Math.round(1e9 / ut), ...(uk ? { kernel_ops_per_sec: Math.round(1e9 / uk) } : {}) });
      const v = value(7);
      const st = nsPerOp((n) => { for (let i = 0; i < n; i++) map.set(key(i & (KEYS - 1)), v); }, budgetMs);
      const sk = kmap && nsPerOp((n) => { for (let i = 0; i < n; i++) kmap.set(key(i & (KEYS - 1)), v); }, budgetMs);
      results.push({ map: type, op: "update", from: "userspace", tsbpf_ops_per_sec: Math.round(1e9 / st), ...(sk ? { kernel_ops_per_sec: Math.round(1e9 / sk) } : {}) });
    } finally {
      map.close();
      kmap?.close();
    }
  }
  const say = o.say;
  if (say) {
    for (const r of results) {
      const ns = 1e9 / r.tsbpf_ops_per_sec;
      let line = `map ${r.map.padEnd(8)} ${r.op.padEnd(6)} from ${(r.from === "program" ? `program (${r.engine})` : r.from).padEnd(18)} tsbpf ${(r.tsbpf_ops_per_sec / 1e6).toFixed(2).padStart(7)} M/s (${ns.toFixed(0)} ns)`;
      if (r.kernel_ops_per_sec) line += `  kernel ${(r.kernel_ops_per_sec / 1e6).toFixed(2).padStart(7)} M/s (${(1e9 / r.kernel_ops_per_sec).toFixed(0)} ns)  ratio ${(r.kernel_ops_per_sec / r.tsbpf_ops_per_sec).toFixed(2)}x`;
      if (r.tsbpf_loop_ns !== undefined) line += `  (the loop alone: ${r.tsbpf_loop_ns.toFixed(0)} ns, so the helper ${Math.max(0, ns - r.tsbpf_loop_ns).toFixed(0)} ns)`;
      say(line);
    }
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let kernel: Kernel | undefined;
  try {
    const k = await import("../src/kernel/index.js");
    if (k.kernelAvailable().ok) kernel = k;
  } catch { /* measured without the kernel */ }
  benchMaps({ kernel, say: console.log });
}
