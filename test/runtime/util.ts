/**
 * @fileoverview Shared pieces of the runtime tests: assembling, running in both modes,
 * and the kernel oracle, loaded lazily so the suite runs (and says why it skips the
 * differential part) where there is no kernel backend.
 */

import assert from "node:assert/strict";
import { assemble } from "../../src/isa/assembler.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { Runtime, type LoadOptions, type RawRunResult } from "../../src/runtime/index.js";

export const asm = (source: string): Instruction[] => assemble(source).instructions;

export const hex64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** Runs raw in checked and in fast mode, asserts they agree, returns the checked result. */
export function runBoth(insns: readonly Instruction[], memory?: Uint8Array, options: LoadOptions = {}, runtime = new Runtime()): RawRunResult {
  const checked = runtime.load(insns, { ...options, mode: "checked" }).runRaw(memory);
  const fast = runtime.load(insns, { ...options, mode: "fast" }).runRaw(memory);
  assert.equal(hex64(fast.r0), hex64(checked.r0), "fast and checked modes disagree on r0");
  assert.deepEqual(fast.memory, checked.memory, "fast and checked modes disagree on memory");
  return checked;
}

type Oracle = {
  runInKernel(program: readonly Instruction[], options?: { memory?: Uint8Array }): { r0: bigint; memory: Uint8Array };
  kernelAvailable(): { ok: true } | { ok: false; reason: string };
  KernelProgram?: unknown;
};

let oracle: Promise<Oracle | string> | undefined;

/** The kernel oracle, or the reason it cannot be used here. */
export function kernelOracle(): Promise<Oracle | string> {
  oracle ??= (async () => {
    try {
      const k = (await import("../../src/kernel/index.js")) as unknown as Oracle;
      if (typeof k.runInKernel !== "function" || typeof k.kernelAvailable !== "function") return "src/kernel has no runInKernel yet";
      const a = k.kernelAvailable();
      return a.ok ? k : `kernel backend unavailable: ${a.reason}`;
    } catch (e) {
      return `src/kernel could not be loaded: ${(e as Error).message}`;
    }
  })();
  return oracle;
}
