/**
 * @fileoverview How long the JIT takes to compile big programs: random programs of about
 * 1,000 and 10,000 instructions (the fuzzer's generator), timed from the packed form to a
 * WebAssembly module ready to run, the fastest of a few compiles.
 */

import { compileModule } from "../src/jit/compiler.js";
import { compile } from "../src/runtime/compile.js";
import { Runtime } from "../src/runtime/index.js";
import { generateProgram } from "../src/runtime/testing/random-program.js";

export interface JitCompileResult { instructions: number; ms: number; emit_ms: number; bytes: number }

export function benchJitCompile(): JitCompileResult[] {
  // The generator makes about two instructions per unit of length.
  return [500, 5_000].map((length) => {
    const g = generateProgram(7, { length, subprograms: 2 });
    let ms = Infinity, emit = Infinity, bytes = 0;
    for (let k = 0; k < 5; k++) {
      // A fresh runtime each time: compiled code is cached per program.
      const rt = new Runtime();
      const t0 = performance.now();
      const mod = compileModule(compile(g.insns, { validate: true }), { stackBase: rt.machine.stack.base, budgeted: true });
      emit = Math.min(emit, performance.now() - t0);
      if (mod.ok) bytes = mod.bytes.length;
      const t1 = performance.now();
      const p = rt.load(g.insns, { engine: "jit" });
      ms = Math.min(ms, performance.now() - t1);
      if (p.jitCode?.fallback) throw new Error(`bench: the jit declined the ${length}-instruction program: ${p.jitCode.fallback}`);
    }
    return { instructions: g.insns.length, ms: Math.round(ms * 10) / 10, emit_ms: Math.round(emit * 10) / 10, bytes };
  });
}
