/**
 * @fileoverview The cheap helpers (clocks, prandom, the CPU) through the JIT's lean imports:
 * the host's values, all 64 bits, as the interpreter gets them; a registry's own helper
 * under the same id keeps the full call.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeHost, setHost, VirtualClock } from "../../src/helpers/index.js";
import { installHelpers } from "../../src/helpers/table.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { asm } from "../runtime/util.js";

function run(engine: "interp" | "jit", id: number, own?: (rt: Runtime) => void) {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  // A clock past 2^53 ns and a high random word: nothing may be rounded or sign-extended.
  setHost(rt.space, fakeHost({}, { clock: new VirtualClock(0x1234_5678_9abc_def1n), random: () => 0xfedc_ba98, cpu: 3 }));
  own?.(rt);
  const p = rt.load(asm(`call ${id}\nexit`), { engine });
  return { r0: p.runRaw().r0, lean: p.jitCode?.lean.length ?? 0 };
}

test("ktime, prandom and the CPU id give the host's values through the lean imports", () => {
  const want: Record<number, bigint> = { 5: 0x1234_5678_9abc_def1n, 125: 0x1234_5678_9abc_def1n, 7: 0xfedc_ba98n, 8: 3n };
  for (const [id, value] of Object.entries(want)) {
    const a = run("interp", Number(id)), b = run("jit", Number(id));
    assert.equal(a.r0, value, `interp, helper ${id}`);
    assert.equal(b.r0, value, `jit, helper ${id}`);
    assert.equal(b.lean, 1, `helper ${id} through the lean import`);
  }
  const coarse = run("jit", 160);
  assert.equal(coarse.r0, run("interp", 160).r0);
  assert.equal(coarse.lean, 1);
});

test("a registry's own ktime_get_ns takes the full helper call", () => {
  const b = run("jit", 5, (rt) => rt.helpers.define(5, "ktime_get_ns", () => 0xffff_ffff_ffff_fff0n));
  assert.equal(b.lean, 0);
  assert.equal(b.r0, 0xffff_ffff_ffff_fff0n);
});
