/**
 * @fileoverview The differential fuzzer on demand: `node --import tsx scripts/fuzz.ts
 * --count 1000000 [--seed N] [--mode checked|fast] [--engine interp|jit|both]`. Generates random
 * valid programs, runs each in the interpreter (or the JIT, or both: JIT, interpreter and kernel)
 * and in the kernel, and saves every disagreement as a regression case in
 * test/runtime/regressions/ (replayed by the suite from then on).
 *
 * For millions of programs, `bash scripts/fuzz-fast.sh [the same options]` runs it bundled
 * (no tsx in the hot path) with WebAssembly compiled eagerly: about twice the rate.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { encode, type Instruction } from "../src/isa/instruction.js";
import { Runtime, RuntimeProgram, type RunMode, type RuntimeEngine } from "../src/runtime/index.js";
import { generateProgram } from "../src/runtime/testing/random-program.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000_000) },
    mode: { type: "string", default: "checked" },
    engine: { type: "string", default: "interp" },
    quiet: { type: "boolean", default: false },
  },
});
const count = Number(values.count);
const first = Number(values.seed);
const mode = values.mode as RunMode;
if (!["interp", "jit", "both"].includes(values.engine!)) {
  console.error(`fuzz: unknown engine ${values.engine} (interp, jit or both)`);
  process.exit(2);
}
const engines: RuntimeEngine[] = values.engine === "both" ? ["interp", "jit"] : [values.engine as RuntimeEngine];

const kernel = await import("../src/kernel/index.js");
const available = kernel.kernelAvailable();
if (!available.ok) {
  console.error(`fuzz: the kernel backend is unavailable: ${available.reason}`);
  process.exit(2);
}

/** EAGAIN */
const EAGAIN = 11;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hex64 = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
const dir = new URL("../test/runtime/regressions/", import.meta.url);
mkdirSync(dir, { recursive: true });

/**
 * The kernel's run. Its verifier gives up with EAGAIN when a signal is pending (a
 * profiler's, say): that is tried again, as libbpf does, not counted as a rejection.
 */
function inKernel(insns: readonly Instruction[], memory: Uint8Array) {
  for (let tries = 1; ; tries++) {
    try {
      return kernel.runInKernel(insns, { memory });
    } catch (e) {
      if ((e as { errno?: number }).errno !== EAGAIN || tries === 5) throw e;
    }
  }
}

/** The garbage collector, under node --expose-gc (as scripts/fuzz-fast.sh runs it). */
const collect = (globalThis as { gc?: () => void }).gc;
let runtime = new Runtime();
let agree = 0, rejected = 0, disagree = 0, crashed = 0;
const started = Date.now();
let lastReport = started;
for (let n = 0; n < count; n++) {
  const seed = (first + n) >>> 0;
  if (n % 10_000 === 0) runtime = new Runtime(); // keeps the region tables small
  // V8 frees a dropped module's code only in a full collection, which a heap of small
  // objects seldom asks for: a million modules would run out of mappings first.
  if (n % 1000 === 999) collect?.();
  const g = generateProgram(seed);
  let want;
  try {
    want = inKernel(g.insns, g.memory);
  } catch (e) {
    rejected++;
    if (!values.quiet) console.log(`seed ${seed}: kernel rejected it: ${(e as Error).message}`);
    continue;
  }
  // Both engines start from one lowering of the program (load's, done once).
  let lowered: RuntimeProgram | undefined;
  const outcomes = engines.map((engine) => {
    try {
      const p = lowered
        ? new RuntimeProgram(runtime, lowered.compiled, lowered.type, lowered.mode, lowered.budget, undefined, engine)
        : (lowered = runtime.load(g.insns, { mode, engine }));
      return { engine, ...p.runRaw(g.memory) };
    } catch (e) {
      return { engine, error: (e as Error).message };
    }
  });
  const bad = outcomes.filter((o) => !("r0" in o) || o.r0 !== want.r0 || hex(o.memory) !== hex(want.memory));
  if (bad.length === 0) {
    agree++;
  } else {
    if (bad.some((o) => !("r0" in o))) crashed++;
    else disagree++;
    const file = new URL(`seed-${seed}.json`, dir);
    const told = (o: (typeof outcomes)[number]) => ("r0" in o ? { r0: hex64(o.r0), memory: hex(o.memory) } : { error: o.error });
    writeFileSync(file, JSON.stringify({
      seed,
      program: hex(encode(g.insns)),
      memory: hex(g.memory),
      kernel: { r0: hex64(want.r0), memory: hex(want.memory) },
      ...Object.fromEntries(outcomes.map((o) => [o.engine === "interp" ? "interpreter" : o.engine, told(o)])),
    }, null, 2) + "\n");
    console.log(`seed ${seed}: ${bad.map((o) => o.engine).join(" and ")} DISAGREE with the kernel (saved ${file.pathname})`);
  }
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    console.log(`${n + 1}/${count}: ${agree} agree, ${disagree} disagree, ${crashed} faulted, ${rejected} rejected (${((n + 1) / ((Date.now() - started) / 1000)).toFixed(0)}/s)`);
  }
}
console.log(`done: ${count} programs from seed ${first} (${engines.join(", ")} against the kernel, mode ${mode}): ${agree} agree, ${disagree} disagree, ${crashed} faulted, ${rejected} rejected by the kernel`);
process.exit(disagree + crashed > 0 ? 1 : 0);
