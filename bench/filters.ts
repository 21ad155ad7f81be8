/**
 * @fileoverview Filters in `npm run bench`: packets per second of typical tcpdump filters on
 * the cBPF interpreter over a capture, and compile time per expression beside `tcpdump -d`'s
 * wall time. Engines after conversion to eBPF (interpreter, JIT, kernel test run) plug in
 * through FILTER_ENGINES, so their columns appear beside the interpreter's.
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readCapture } from "../src/capture/index.js";
import type { SockFilter } from "../src/cbpf/insn.js";
import { runCbpf } from "../src/cbpf/interpreter.js";
import { compileFilter, FilterError } from "../src/cbpf/pcap/index.js";
import { kernelUnavailable, prepareFilter } from "../src/cli/filter-engines.js";

/** The filters measured (issue 15). */
export const BENCH_FILTERS = ["tcp port 80", "host 10.0.0.1 and not port 22", "vlan and udp", "ip6 and tcp[tcpflags] & tcp-syn != 0"];

/**
 * An engine that runs a compiled classic program: `prepare` returns a function giving the
 * accepted length for one packet. The hook for the eBPF/JIT/kernel columns: push
 * `{ name: "jit", prepare: (p) => ... convert(p) ... }` here before calling benchFilters.
 */
export interface FilterEngine {
  readonly name: string;
  prepare(program: readonly SockFilter[]): ((packet: Uint8Array, wireLength: number) => number) | undefined;
  /**
   * Engines that time themselves (a test run with `repeat`, on their own clock): mean
   * nanoseconds per packet over the capture, instead of timing `prepare`'s function.
   */
  timeNs?(program: readonly SockFilter[], packets: readonly { data: Uint8Array; originalLength: number }[], budgetMs: number): number | undefined;
}

/** The converted program on tsbpf's eBPF interpreter, its JIT, and the kernel (BPF_PROG_TEST_RUN). */
function convertedEngine(name: string, engine: "interp" | "jit" | "kernel"): FilterEngine {
  const open = (program: readonly SockFilter[]) => {
    if (engine === "kernel" && kernelUnavailable()) return undefined;
    return prepareFilter(program, engine);
  };
  return {
    name,
    prepare(program) {
      const f = open(program);
      return f && ((packet, length) => f.run(packet, length));
    },
    timeNs(program, packets, budgetMs) {
      const f = open(program);
      if (!f) return undefined;
      try {
        // The best of several passes; each packet run `repeat` times in one test run.
        let best = Infinity;
        const until = performance.now() + budgetMs;
        do {
          let sum = 0;
          for (const p of packets) sum += f.time(p.data, p.originalLength, 50);
          best = Math.min(best, sum / packets.length);
        } while (performance.now() < until);
        return best;
      } finally {
        f.close();
      }
    },
  };
}

export const FILTER_ENGINES: FilterEngine[] = [
  { name: "cbpf-interp", prepare: (program) => (packet, length) => runCbpf(program, packet, { length }) },
  convertedEngine("ebpf-interp", "interp"),
  convertedEngine("jit", "jit"),
  convertedEngine("kernel", "kernel"),
];

export interface FilterBenchResult {
  filter: string;
  instructions: number;
  matched: number;
  /** Packets per second by engine name. */
  pps: Record<string, number>;
  compile_us: number;
  /** tcpdump -d wall time (process start included), if tcpdump is installed. */
  tcpdump_d_ms?: number;
  /** The optimizer proves the filter false (libpcap refuses it too); unoptimized code is run. */
  proven_false?: boolean;
}

export function benchFilters(budgetMs: number): FilterBenchResult[] {
  const cap = new URL("../test/cbpf/captures/ethernet.pcap", import.meta.url);
  const { packets } = readCapture(new Uint8Array(readFileSync(cap)));
  const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
  const out: FilterBenchResult[] = [];
  for (const filter of BENCH_FILTERS) {
    // Compile time: the mean over enough compiles to take a few milliseconds.
    let n = 0;
    // (with the optimizer, as `tcpdump -d`; a filter proven false ends in its error)
    const compileOnce = () => { try { compileFilter(filter); } catch (e) { if (!(e instanceof FilterError)) throw e; } };
    for (let w = 0; w < 20; w++) compileOnce();
    const t1 = performance.now();
    while (performance.now() - t1 < Math.max(20, budgetMs / 10)) { compileOnce(); n++; }
    const compileUs = ((performance.now() - t1) * 1000) / n;
    // A filter the optimizer proves false is refused (as libpcap refuses it): the
    // unoptimized program, which tests every packet, is measured instead.
    let program: SockFilter[];
    let proven = false;
    try { program = compileFilter(filter).program; } catch (e) {
      if (!(e instanceof FilterError) || !/rejects all packets/.test(e.message)) throw e;
      program = compileFilter(filter, { optimize: false }).program;
      proven = true;
    }
    const pps: Record<string, number> = {};
    let matched = 0;
    for (const engine of FILTER_ENGINES) {
      const run = engine.prepare(program);
      if (!run) continue;
      matched = packets.filter((p) => run(p.data, p.originalLength) > 0).length;
      if (engine.timeNs) {
        const ns = engine.timeNs(program, packets, budgetMs);
        if (ns !== undefined) pps[engine.name] = Math.round(1e9 / ns);
        continue;
      }
      // The best of several passes over the capture.
      let best = Infinity;
      const until = performance.now() + budgetMs;
      do {
        const s = performance.now();
        for (let r = 0; r < 20; r++) for (const p of packets) run(p.data, p.originalLength);
        best = Math.min(best, (performance.now() - s) / (20 * packets.length));
      } while (performance.now() < until);
      pps[engine.name] = Math.round(1000 / best);
    }
    let tcpdumpMs: number | undefined;
    if (hasTcpdump) {
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        const s = performance.now();
        spawnSync("tcpdump", ["-d", "--", filter], { stdio: "ignore" });
        times.push(performance.now() - s);
      }
      tcpdumpMs = Math.round(times.sort((a, b) => a - b)[2]! * 100) / 100;
    }
    out.push({
      filter, instructions: program.length, matched, pps, compile_us: Math.round(compileUs * 10) / 10,
      ...(tcpdumpMs !== undefined ? { tcpdump_d_ms: tcpdumpMs } : {}), ...(proven ? { proven_false: true } : {}),
    });
  }
  return out;
}

export function filterLines(results: readonly FilterBenchResult[]): string[] {
  return results.map((r) => `filter  ${JSON.stringify(r.filter).padEnd(42)} ${String(r.instructions).padStart(3)} insns  `
    + Object.entries(r.pps).map(([e, v]) => `${e} ${(v / 1e6).toFixed(2)} Mpkt/s` + (r.pps.kernel && e !== "kernel" ? ` (${(v / r.pps.kernel).toFixed(2)}x kernel)` : "")).join("  ")
    + `  compile ${r.compile_us.toFixed(0)} us` + (r.tcpdump_d_ms !== undefined ? ` (tcpdump -d ${r.tcpdump_d_ms.toFixed(1)} ms wall)` : "")
    + (r.proven_false ? "  (proven false, as libpcap proves it: unoptimized code run)" : ""));
}
