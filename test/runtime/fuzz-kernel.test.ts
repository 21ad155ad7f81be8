/**
 * @fileoverview The differential fuzzer in the suite: random valid programs
 * (testing/random-program.ts) run by the interpreter in both modes and by the kernel,
 * which must agree on r0 and the memory block. The kernel part skips, saying why, where
 * the backend does not work; scripts/fuzz.ts runs millions on demand.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Runtime } from "../../src/runtime/index.js";
import { generateProgram } from "../../src/runtime/testing/random-program.js";
import { hex64, kernelOracle } from "./util.js";

const KERNEL_PROGRAMS = 2000;
const LOCAL_PROGRAMS = 4000;

test(`checked and fast modes agree on ${LOCAL_PROGRAMS} random programs`, () => {
  const rt = new Runtime();
  for (let seed = 1_000_000; seed < 1_000_000 + LOCAL_PROGRAMS; seed++) {
    const g = generateProgram(seed);
    const a = rt.load(g.insns, { mode: "checked", engine: "interp" }).runRaw(g.memory);
    const b = rt.load(g.insns, { mode: "fast", engine: "interp" }).runRaw(g.memory);
    assert.equal(hex64(b.r0), hex64(a.r0), `seed ${seed}`);
    assert.deepEqual(b.memory, a.memory, `seed ${seed}`);
  }
});

test(`the kernel agrees on ${KERNEL_PROGRAMS} random programs`, async (t) => {
  const k = await kernelOracle();
  if (typeof k === "string") {
    t.skip(k);
    return;
  }
  const rt = new Runtime();
  const wrong: string[] = [];
  let rejected = 0;
  // Fixed seeds keep the suite deterministic; scripts/fuzz.ts explores the rest.
  const base = 1;
  for (let seed = base; seed < base + KERNEL_PROGRAMS; seed++) {
    const g = generateProgram(seed);
    let want;
    try {
      want = k.runInKernel(g.insns, { memory: g.memory });
    } catch (e) {
      rejected++;
      wrong.push(`seed ${seed}: the kernel rejected a generated program: ${(e as Error).message}`);
      continue;
    }
    const got = rt.load(g.insns, { mode: "checked", engine: "interp" }).runRaw(g.memory);
    if (got.r0 !== want.r0) wrong.push(`seed ${seed}: r0 ${hex64(got.r0)}, kernel ${hex64(want.r0)}`);
    else if (got.memory.join() !== want.memory.join()) wrong.push(`seed ${seed}: memory differs`);
  }
  t.diagnostic(`${KERNEL_PROGRAMS} programs from seed ${base}: ${KERNEL_PROGRAMS - wrong.length} agree, ${rejected} rejected`);
  assert.deepEqual(wrong.slice(0, 10), []);
});
