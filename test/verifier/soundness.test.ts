/**
 * @fileoverview Soundness: random programs (the differential fuzzer's generator) with unsafe
 * mutations — offsets out of bounds, registers read before written, memory through numbers,
 * backward jumps, broken stack slots — and pairs of paths meeting at a checkpoint, verified
 * as uBPF-style raw programs (r1: a memory block of known size); every program the verifier
 * accepts runs in checked mode, and none may fault or run away. Millions on demand with
 * scripts/fuzz-verifier.ts.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Runtime } from "../../src/runtime/index.js";
import { mergedOnce, mutatedOnce, type SoundnessOutcome } from "../../src/verifier/testing/soundness.js";

function campaign(count: number, once: (rt: Runtime, seed: number) => SoundnessOutcome): { accepted: number; faults: string[] } {
  const rt = new Runtime();
  const faults: string[] = [];
  let accepted = 0;
  for (let seed = 1; seed <= count; seed++) {
    const o = once(rt, seed);
    if (o.accepted) accepted++;
    for (const f of o.faults) faults.push(`seed ${seed}: ${f}`);
  }
  return { accepted, faults };
}

test("no program the verifier accepts faults in checked mode (2000 mutated random programs)", (t) => {
  const { accepted, faults } = campaign(2000, mutatedOnce);
  t.diagnostic(`${accepted} of 2000 accepted and run`);
  assert.ok(accepted > 200, `only ${accepted} accepted`);
  assert.deepEqual(faults.slice(0, 10), []);
});

test("no pruned path hides an unsafe value (3000 merged paths, both run)", (t) => {
  const { accepted, faults } = campaign(3000, mergedOnce);
  t.diagnostic(`${accepted} of 3000 accepted and run on both paths`);
  assert.ok(accepted > 150, `only ${accepted} accepted`);
  assert.deepEqual(faults.slice(0, 10), []);
});
