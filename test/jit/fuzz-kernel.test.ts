/**
 * @fileoverview The differential fuzzer for the JIT: random valid programs compiled to
 * WebAssembly must give the kernel's r0 and memory block. Skips, saying why, without the
 * kernel backend; `scripts/fuzz.ts --engine jit` runs millions on demand.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime } from "../../src/runtime/index.js";
import { generateProgram } from "../../src/runtime/testing/random-program.js";
import { hex64, kernelOracle } from "../runtime/util.js";

const PROGRAMS = 1000;

test(`the kernel agrees with the jit on ${PROGRAMS} random programs`, async (t) => {
  const k = await kernelOracle();
  if (typeof k === "string") {
    t.skip(k);
    return;
  }
  const wrong: string[] = [];
  // Seeds apart from the interpreter's kernel test, so the two cover different programs.
  const base = 5_000_000;
  let rt = new Runtime();
  for (let seed = base; seed < base + PROGRAMS; seed++) {
    if (seed % 250 === 0) rt = new Runtime();
    const g = generateProgram(seed);
    let want;
    try {
      want = k.runInKernel(g.insns, { memory: g.memory });
    } catch (e) {
      wrong.push(`seed ${seed}: the kernel rejected a generated program: ${(e as Error).message}`);
      continue;
    }
    const got = rt.load(g.insns, { mode: "fast", engine: "jit" }).runRaw(g.memory);
    if (got.r0 !== want.r0) wrong.push(`seed ${seed}: r0 ${hex64(got.r0)}, kernel ${hex64(want.r0)}`);
    else if (got.memory.join() !== want.memory.join()) wrong.push(`seed ${seed}: memory differs`);
  }
  t.diagnostic(`${PROGRAMS} programs from seed ${base}: ${PROGRAMS - wrong.length} agree`);
  assert.deepEqual(wrong.slice(0, 10), []);
});
