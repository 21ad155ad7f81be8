/**
 * @fileoverview The scalar domain's differential fuzz on demand: `node --import tsx
 * scripts/fuzz-scalar.ts --count 1000000 [--seed N] [--length 24]`. Each program is loaded
 * into the kernel at log level 2 and every scalar it printed is compared with scalar.ts;
 * disagreements are printed with their seed (replay one with --count 1 --seed N --log). Odd
 * seeds also load from an array map's value.
 */

import { parseArgs } from "node:util";
import { fuzzScalarOnce } from "../src/verifier/testing/scalar-programs.js";
import type { Instruction } from "../src/isa/instruction.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000_000) },
    length: { type: "string", default: "24" },
    log: { type: "boolean", default: false },
  },
});
const kernel = await import("../src/kernel/index.js");
const available = kernel.kernelAvailable();
if (!available.ok) {
  console.error(`fuzz-scalar: the kernel backend is unavailable: ${available.reason}`);
  process.exit(2);
}

function load(instructions: readonly Instruction[]): string {
  const program = kernel.KernelProgram.load({ type: "socket_filter", instructions, logLevel: 2, logSize: 1 << 22 });
  try {
    return program.log;
  } finally {
    program.close();
  }
}

const count = Number(values.count), first = Number(values.seed), length = Number(values.length);
// Odd seeds also load from a map value (any width, sign-extending too), as npm test does.
const map = kernel.KernelMap.create({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: `scalar_fz${process.pid % 100000}` });
let bad = 0, rejected = 0, compared = 0, forks = 0;
const started = Date.now();
for (let seed = first; seed < first + count; seed++) {
  let r;
  try {
    r = fuzzScalarOnce(seed, load, length, seed % 2 ? { mapFd: map.fd } : {});
  } catch (e) {
    rejected++;
    console.log(`seed ${seed}: the kernel rejected the program: ${(e as Error).message}`);
    continue;
  }
  compared += r.compared;
  forks += r.forks;
  if (values.log) console.log(r.log);
  if (r.mismatches.length > 0) {
    bad++;
    for (const m of r.mismatches) console.log(`seed ${seed} insn ${m.slot} R${m.reg} ${m.what}\n  kernel ${m.kernel}\n  tsbpf  ${m.ours}`);
  }
  if ((seed - first + 1) % 10000 === 0) {
    console.log(`${seed - first + 1} programs, ${bad} disagreeing, ${rejected} rejected, ${compared} scalars, ${forks} forks, ${Math.round((Date.now() - started) / 1000)} s`);
  }
}
map.close();
console.log(`done: ${count} programs from seed ${first}: ${bad} disagreeing, ${rejected} rejected, ${compared} scalars and ${forks} forked branches compared`);
process.exit(bad > 0 || rejected > 0 ? 1 : 0);
