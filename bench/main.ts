/**
 * @fileoverview `npm run bench`: every XDP program of bench/progs (a byte-identical copy of the benchmark set) on both packets,
 * in the interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN with repeat) in the same
 * run; prints ns per run of each, the ratios to the kernel and their geometric means.
 * `--json` prints `{ "results": [{ program, input, engine, ns_per_run }, ...] }` instead.
 * Programs with maps are loaded whole, by loadObject's "interp", "jit" and "kernel"
 * engines; the others as bare instructions (Runtime.load and KernelProgram.load).
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { readElf } from "../src/elf/index.js";
import { decodeRaw } from "../src/isa/instruction.js";
import { loadObject, loadObjectSpec } from "../src/object/index.js";
import { Runtime, type RunMode } from "../src/runtime/index.js";
import { verifyProgram } from "../src/verifier/index.js";
import { benchVmlinuxBtf } from "./btf.js";
import { benchJitCompile } from "./jit-compile.js";
import { benchObjectLoad } from "./object-load.js";
import { benchVerifier, verifierLines } from "./verifier.js";
import { benchFilters, filterLines } from "./filters.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    dir: { type: "string" },
    mode: { type: "string", default: "fast" },
    filter: { type: "string" },
    /** Wall time to aim for per measurement, in milliseconds. */
    time: { type: "string", default: "300" },
  },
});

function benchDir(): string {
  const candidates = [values.dir, process.env.TSBPF_BENCH_DIR, new URL(".", import.meta.url).pathname];
  for (const c of candidates) if (c && existsSync(join(c, "progs"))) return c;
  throw new Error("bench: no bench/progs directory (give --dir)");
}

const dir = benchDir();
const mode = values.mode as RunMode;
const budgetMs = Number(values.time);
const say = (line: string) => { if (!values.json) console.log(line); };

type Kernel = typeof import("../src/kernel/index.js");
let kernel: Kernel | undefined;
let kernelWhy = "";
try {
  const k = await import("../src/kernel/index.js");
  const a = k.kernelAvailable();
  if (a.ok) kernel = k;
  else kernelWhy = a.reason;
} catch (e) {
  kernelWhy = (e as Error).message;
}
if (!kernel) say(`kernel: not measured (${kernelWhy})`);

const packets = readdirSync(dir).filter((f) => /^pkt_.*\.bin$/.test(f)).sort()
  .map((f) => ({ name: basename(f, ".bin"), data: new Uint8Array(readFileSync(join(dir, f))) }));
const objects = readdirSync(join(dir, "progs")).filter((f) => f.endsWith(".bpf.o")).sort()
  .filter((f) => !values.filter || f.includes(values.filter));

type Engine = "interp" | "jit" | "kernel";
interface Result { program: string; input: string; engine: Engine; ns_per_run: number; instructions?: number }
const results: Result[] = [];
const skipped: { program: string; reason: string }[] = [];

/**
 * Runs `once(repeat)` with a repeat that makes one sample about 10 ms, then takes the
 * fastest of many samples over about budgetMs: the minimum filters out the time other
 * processes take the CPU, which on a shared machine is most of the noise.
 */
function measure(once: (repeat: number) => number): number {
  let repeat = 1;
  let ns = once(1);
  for (let k = 0; k < 30 && ns * repeat < 2e6; k++) {
    repeat *= 4;
    ns = once(repeat);
  }
  repeat = Math.max(1, Math.round(1e7 / Math.max(ns, 1)));
  let best = Infinity;
  const samples = Math.max(5, Math.round(budgetMs / 10));
  for (let k = 0; k < samples; k++) best = Math.min(best, once(repeat));
  return best;
}

/** What one measurement runs: `repeat` runs over a packet, giving ns per run (and instructions). */
type Runner = (data: Uint8Array, repeat: number) => { durationNs: number; instructions?: number };

function benchPrograms(program: string, interp: Runner, jit: Runner, kern: Runner | undefined): void {
  // Warm up on every packet first: V8 reoptimizes the interpreter loop when a program takes
  // paths it had not seen (helper calls, atomics), and tiers compiled WebAssembly up from
  // its baseline; the first packet measured would pay for either.
  for (const pkt of packets) { interp(pkt.data, 20_000); jit(pkt.data, 200_000); }
  for (const pkt of packets) {
    let instructions = 0;
    const ns = measure((repeat) => {
      const r = interp(pkt.data, repeat);
      instructions = r.instructions ?? 0;
      return r.durationNs;
    });
    results.push({ program, input: pkt.name, engine: "interp", ns_per_run: round(ns), instructions });
    const jns = measure((repeat) => jit(pkt.data, repeat).durationNs);
    results.push({ program, input: pkt.name, engine: "jit", ns_per_run: round(jns) });
    let line = `${program.padEnd(14)} ${pkt.name.padEnd(12)} interp ${fmt(ns)} ns/run (${instructions} insns)  jit ${fmt(jns)} ns/run`;
    if (kern) {
      const kns = measure((repeat) => kern(pkt.data, repeat).durationNs);
      results.push({ program, input: pkt.name, engine: "kernel", ns_per_run: round(kns) });
      line += `  kernel ${fmt(kns)} ns/run  jit/kernel ${(jns / Math.max(kns, 1)).toFixed(2)}x  interp/kernel ${(ns / Math.max(kns, 1)).toFixed(1)}x`;
    }
    say(line);
  }
}

for (const file of objects) {
  const program = basename(file, ".bpf.o");
  const bytes = new Uint8Array(readFileSync(join(dir, "progs", file)));
  const elf = readElf(bytes);
  const section = elf.section("xdp");
  if (!section) { skipped.push({ program, reason: "no xdp section" }); continue; }
  if (elf.section(".relxdp") || elf.section(".maps")) {
    // Maps: the whole object in each engine, so both start from the same empty maps.
    const spec = loadObjectSpec(bytes, { name: file });
    const name = spec.programs.find((p) => p.sectionName === "xdp")!.name;
    // Fast mode is loadObject's own way, verify first (as the kernel does), then run fast.
    const how = mode === "fast" ? {} : { mode };
    const interp = await loadObject(spec, { engine: "interp", ...how });
    const jit = await loadObject(spec, { engine: "jit", ...how });
    const kobj = kernel ? await loadObject(spec, { engine: "kernel" }) : undefined;
    try {
      const ip = interp.programs.get(name)!;
      const jp = jit.programs.get(name)!;
      const kp = kobj?.programs.get(name);
      benchPrograms(program, (data, repeat) => ip.testRun({ data, repeat }), (data, repeat) => jp.testRun({ data, repeat }),
        kp && ((data, repeat) => kp.testRun({ data, repeat })));
    } finally {
      interp.close();
      jit.close();
      kobj?.close();
    }
    continue;
  }
  const insns = decodeRaw(section.data, { littleEndian: elf.littleEndian });
  const rt = new Runtime();
  // Fast runs are of verified programs, as loadObject makes them: the JIT takes the loads
  // the verifier proved inside the packet.
  const verdict = mode === "fast" ? verifyProgram({ instructions: insns }, { type: "xdp" }) : undefined;
  const proven = verdict?.accepted && verdict.packetLoads ? { packetLoads: verdict.packetLoads } : {};
  const prog = rt.load(insns, { type: "xdp", mode, name: program, engine: "interp" });
  const jprog = rt.load(insns, { type: "xdp", mode, name: program, engine: "jit", ...proven });
  const kp = kernel?.KernelProgram.load({ type: "xdp", instructions: insns, name: program });
  try {
    benchPrograms(program, (data, repeat) => prog.testRun({ data, repeat }), (data, repeat) => jprog.testRun({ data, repeat }),
      kp && ((data, repeat) => kp.testRun({ data, repeat })));
  } finally {
    kp?.close();
  }
}

/** The geometric mean of an engine's time over the kernel's, over every program and input. */
function geomeanOf(engine: Engine): { geomean: number; runs: number; worst: number } | undefined {
  const ratios: number[] = [];
  for (const r of results) {
    if (r.engine !== engine) continue;
    const k = results.find((x) => x.engine === "kernel" && x.program === r.program && x.input === r.input);
    if (k) ratios.push(r.ns_per_run / Math.max(k.ns_per_run, 1));
  }
  if (ratios.length === 0) return undefined;
  return { geomean: Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length), runs: ratios.length, worst: Math.max(...ratios) };
}
const interpMean = geomeanOf("interp");
const jitMean = geomeanOf("jit");
const geomean = jitMean?.geomean;
const jitCompile = benchJitCompile();
const objectLoads = benchObjectLoad();
const mapOps = (await import("./maps.js")).benchMaps({ kernel, budgetMs, mode, say });
const vmlinux = benchVmlinuxBtf();
const filters = benchFilters(budgetMs);
const hooks = await (await import("./hooks.js")).benchHooks({ budgetMs, say: () => undefined });
if (values.json) {
  console.log(JSON.stringify({
    results: results.map(({ instructions: _, ...r }) => r), skipped, ...(geomean ? { geomean_ratio: round(geomean) } : {}),
    ...(interpMean && jitMean ? { geomean_ratios: { jit: round(jitMean.geomean), interp: round(interpMean.geomean) }, worst_jit_ratio: round(jitMean.worst) } : {}),
    jit_compile: jitCompile,
    object_load: objectLoads.map((r) => ({ ...r, ms_per_load: Math.round(r.ms_per_load * 100) / 100 })),
    ...(vmlinux ? { vmlinux_btf: vmlinux } : {}), map_ops: mapOps,
    filters,
    hooks,
  }, null, 2));
} else {
  if (jitMean && interpMean) {
    say(`geometric mean of jit/kernel: ${jitMean.geomean.toFixed(2)}x (worst ${jitMean.worst.toFixed(2)}x), of interp/kernel: ${interpMean.geomean.toFixed(1)}x, over ${jitMean.runs} runs (mode ${mode})`);
  }
  for (const r of jitCompile) say(`jit compile   ${String(r.instructions).padStart(6)} insns  ${r.ms.toFixed(1)} ms (our emitter ${r.emit_ms.toFixed(1)} ms, ${(r.bytes / 1024).toFixed(0)} KB of WebAssembly)`);
  for (const r of objectLoads) say(`object load   ${r.object.padEnd(15)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KB  ${r.ms_per_load.toFixed(2)} ms per loadObjectSpec`);
  for (const line of verifierLines(await benchVerifier(dir, kernel))) say(line);
  for (const line of filterLines(filters)) say(line);
  if (vmlinux) say(`vmlinux BTF   ${(vmlinux.bytes / 1e6).toFixed(1)} MB, ${vmlinux.types} types: parse ${vmlinux.parse_ms} ms, dump as C ${vmlinux.dump_c_ms} ms`);
  for (const h of hooks.hits) say(`hook hit      ${h.hook.padEnd(44)} ${h.program.padEnd(16)} ${h.ns_per_hit.toFixed(0).padStart(7)} ns`);
  if (hooks.http) say(`hook http     loopback GET, ${hooks.http.requests} sequential: ${hooks.http.without_us.toFixed(1)} us without httplat, ${hooks.http.with_us.toFixed(1)} us with`);
}

function round(x: number): number { return Math.round(x * 10) / 10; }
function fmt(x: number): string { return x >= 1000 ? x.toFixed(0).padStart(9) : x.toFixed(1).padStart(9); }
