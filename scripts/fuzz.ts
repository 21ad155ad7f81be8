/**
 * @fileoverview The differential fuzzer on demand: `node --import tsx scripts/fuzz.ts
 * --count 1000000 [--seed N] [--mode checked|fast] [--engine interp|jit]`. Generates random
 * valid programs, runs each in the interpreter (or the JIT) and in the kernel, and saves every disagreement as a
 * regression case in test/runtime/regressions/ (replayed by the suite from then on).
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { encode } from "../src/isa/instruction.js";
import { Runtime, type RunMode, type RuntimeEngine } from "../src/runtime/index.js";
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
const engine = values.engine as RuntimeEngine;

const kernel = await import("../src/kernel/index.js");
const available = kernel.kernelAvailable();
if (!available.ok) {
  console.error(`fuzz: the kernel backend is unavailable: ${available.reason}`);
  process.exit(2);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hex64 = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
const dir = new URL("../test/runtime/regressions/", import.meta.url);
mkdirSync(dir, { recursive: true });

let runtime = new Runtime();
let agree = 0, rejected = 0, disagree = 0, crashed = 0;
const started = Date.now();
let lastReport = started;
for (let n = 0; n < count; n++) {
  const seed = (first + n) >>> 0;
  if (n % 10_000 === 0) runtime = new Runtime(); // keeps the region tables small
  const g = generateProgram(seed);
  let want;
  try {
    want = kernel.runInKernel(g.insns, { memory: g.memory });
  } catch (e) {
    rejected++;
    if (!values.quiet) console.log(`seed ${seed}: kernel rejected it: ${(e as Error).message}`);
    continue;
  }
  let got: { r0: bigint; memory: Uint8Array } | undefined, error: string | undefined;
  try {
    got = runtime.load(g.insns, { mode, engine }).runRaw(g.memory);
  } catch (e) {
    error = (e as Error).message;
  }
  if (got && got.r0 === want.r0 && hex(got.memory) === hex(want.memory)) {
    agree++;
  } else {
    if (error) crashed++;
    else disagree++;
    const file = new URL(`seed-${seed}.json`, dir);
    writeFileSync(file, JSON.stringify({
      seed,
      program: hex(encode(g.insns)),
      memory: hex(g.memory),
      kernel: { r0: hex64(want.r0), memory: hex(want.memory) },
      interpreter: got ? { r0: hex64(got.r0), memory: hex(got.memory) } : { error },
    }, null, 2) + "\n");
    console.log(`seed ${seed}: DISAGREES (saved ${file.pathname})`);
  }
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    console.log(`${n + 1}/${count}: ${agree} agree, ${disagree} disagree, ${crashed} faulted, ${rejected} rejected (${((n + 1) / ((Date.now() - started) / 1000)).toFixed(0)}/s)`);
  }
}
console.log(`done: ${count} programs from seed ${first}: ${agree} agree, ${disagree} disagree, ${crashed} faulted, ${rejected} rejected by the kernel`);
process.exit(disagree + crashed > 0 ? 1 : 0);
