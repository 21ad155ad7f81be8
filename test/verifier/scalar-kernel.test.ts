/**
 * @fileoverview The scalar domain against the kernel's verifier: a fixed-seed run of random
 * programs, each loaded at log level 2, every scalar the kernel printed (after each ALU
 * operation and on both edges of each branch) compared with formatScalar's text for what
 * scalar.ts computes from the state before. Millions on demand: scripts/fuzz-scalar.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Instruction } from "../../src/isa/instruction.js";
import { fuzzScalarOnce } from "../../src/verifier/testing/scalar-programs.js";

const kernel = await import("../../src/kernel/index.js").catch((e: Error) => ({ load: e }));
const available = "load" in kernel ? { ok: false as const, reason: `kernel backend: ${kernel.load.message}` } : kernel.kernelAvailable();
const skip = available.ok ? false : `no bpf() here: ${available.reason}`;

function load(instructions: readonly Instruction[]): string {
  if ("load" in kernel) throw kernel.load;
  const program = kernel.KernelProgram.load({ type: "socket_filter", instructions, logLevel: 2, logSize: 1 << 22 });
  try {
    return program.log;
  } finally {
    program.close();
  }
}

test("2,000 random programs: every scalar state as the kernel's verifier prints it", { skip }, () => {
  let compared = 0, forks = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= 2000; seed++) {
    const r = fuzzScalarOnce(seed, load);
    compared += r.compared;
    forks += r.forks;
    for (const m of r.mismatches.slice(0, 2)) {
      failures.push(`seed ${seed} insn ${m.slot} R${m.reg} ${m.what}:\n  kernel ${m.kernel}\n  tsbpf  ${m.ours}`);
    }
  }
  assert.deepEqual(failures.slice(0, 10), []);
  // The run must have compared something on both edges of many branches to mean anything.
  assert.ok(compared > 50_000 && forks > 5_000, `only ${compared} scalars and ${forks} forks compared`);
});
