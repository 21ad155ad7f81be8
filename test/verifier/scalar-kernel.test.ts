/**
 * @fileoverview The scalar domain against the kernel's verifier: a fixed-seed run of random
 * programs, each loaded at log level 2, every scalar the kernel printed (after each ALU
 * operation and on both edges of each branch) compared with formatScalar's text for what
 * scalar.ts computes from the state before. Millions on demand: scripts/fuzz-scalar.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { insn, type Instruction } from "../../src/isa/instruction.js";
import { formatScalar, scalarLoad } from "../../src/verifier/scalar.js";
import { fuzzScalarOnce, parseRegs } from "../../src/verifier/testing/scalar-programs.js";

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
  if ("load" in kernel) return;
  let compared = 0, forks = 0;
  const failures: string[] = [];
  // Odd seeds also load from a map value (any width, sign-extending too).
  const map = kernel.KernelMap.create({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "scalar_fuzz" });
  for (let seed = 1; seed <= 2000; seed++) {
    const r = fuzzScalarOnce(seed, load, 24, seed % 2 ? { mapFd: map.fd } : {});
    compared += r.compared;
    forks += r.forks;
    for (const m of r.mismatches.slice(0, 2)) {
      failures.push(`seed ${seed} insn ${m.slot} R${m.reg} ${m.what}:\n  kernel ${m.kernel}\n  tsbpf  ${m.ours}`);
    }
  }
  map.close();
  assert.deepEqual(failures.slice(0, 10), []);
  // The run must have compared something on both edges of many branches to mean anything.
  assert.ok(compared > 50_000 && forks > 5_000, `only ${compared} scalars and ${forks} forks compared`);
});

test("loads from a map value, zero- and sign-extending, are what the kernel makes of them", { skip }, () => {
  if ("load" in kernel) return;
  const map = kernel.KernelMap.create({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "scalar_loads" });
  try {
    // [opcode, size, signed]: ldx u8/u16/u32/u64 and ldsx s8/s16/s32, r2 = *(size *)(r0 + 0)
    const loads = [[0x71, 1, false], [0x69, 2, false], [0x61, 4, false], [0x79, 8, false], [0x91, 1, true], [0x89, 2, true], [0x81, 4, true]] as const;
    const body: Instruction[] = [
      insn(0x62, 10, 0, -4, 0), insn(0x18, 1, 1, 0, BigInt(map.fd)), insn(0xbf, 2, 10, 0, 0), insn(0x07, 2, 0, 0, -4),
      insn(0x85, 0, 0, 0, 1), insn(0x55, 0, 0, 1, 0), insn(0x95, 0, 0, 0, 0),
      ...loads.map(([op]) => insn(op, 2, 0, 0, 0)),
      insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0),
    ];
    const log = load(body);
    loads.forEach(([, size, signed], k) => {
      const line = log.split("\n").find((l) => l.startsWith(`${8 + k}: (`))!;
      const printed = parseRegs(line.slice(line.indexOf(";") + 2)).get(2);
      assert.equal(formatScalar(scalarLoad(size, signed)), printed, line);
    });
  } finally {
    map.close();
  }
});
