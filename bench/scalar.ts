/**
 * @fileoverview How fast the verifier's scalar domain is: the ALU transfers, branch
 * predictions and refinements that random programs need, replayed from recorded operands.
 * Run alone with `node --import tsx bench/scalar.ts`; `benchScalar()` is for bench/main.ts.
 */

import { pathToFileURL } from "node:url";
import { Rng } from "../src/runtime/testing/random-program.js";
import { branchTaken, formatScalar, refineBranch, scalarAlu, scalarConst, scalarUnknown, type AluOp, type JmpOp, type Scalar } from "../src/verifier/scalar.js";
import { generateScalarProgram } from "../src/verifier/testing/scalar-programs.js";
import { scalarLoad } from "../src/verifier/scalar.js";

export interface ScalarBenchResult {
  /** The kernel's verification time per processed instruction for the same programs, when bpf() works. */
  readonly kernel_ns_per_insn?: number;
  /** Mean nanoseconds of one scalarAlu call over the recorded mix. */
  readonly alu_ns: number;
  /** Mean nanoseconds of branchTaken and, where it says -1, both refineBranch calls. */
  readonly branch_ns: number;
  /** Mean nanoseconds of one formatScalar call (the level-2 log's cost). */
  readonly format_ns: number;
  readonly operations: number;
  /** CPU nanoseconds of one trivial loop iteration, to read the others on a loaded machine. */
  readonly loop_ns: number;
}

type AluCase = { op: AluOp; dst: Scalar; src: Scalar; is64: boolean };
type JmpCase = { op: JmpOp; a: Scalar; b: Scalar; is32: boolean };

/** Operands as random programs produce them, by walking each program's fall-through path. */
function record(programs: number): { alu: AluCase[]; jmp: JmpCase[] } {
  const alu: AluCase[] = [], jmp: JmpCase[] = [];
  for (let seed = 1; seed <= programs; seed++) {
    const p = generateScalarProgram(new Rng(seed));
    const regs = new Map<number, Scalar>();
    for (const step of p.steps.values()) {
      if (step.kind === "load") regs.set(step.dst, scalarLoad(step.size, false));
      else if (step.kind === "alu") {
        const dst = regs.get(step.dst) ?? scalarConst(0n);
        const src = step.src === undefined ? scalarConst(step.imm) : regs.get(step.src) ?? scalarUnknown();
        alu.push({ op: step.op, dst, src, is64: step.is64 });
        regs.set(step.dst, scalarAlu(step.op, dst, src, step.is64));
      } else if (step.kind === "jmp") {
        const a = regs.get(step.dst) ?? scalarUnknown();
        const b = step.src === undefined ? scalarConst(step.imm) : regs.get(step.src) ?? scalarUnknown();
        jmp.push({ op: step.op, a, b, is32: step.is32 });
        const fall = refineBranch(step.op, a, b, step.is32, false);
        if (fall) {
          regs.set(step.dst, fall[0]);
          if (step.src !== undefined) regs.set(step.src, fall[1]);
        }
      }
    }
  }
  return { alu, jmp };
}

/** CPU nanoseconds per operation (this process's own CPU time, so other load on the machine counts less). */
function time(budgetMs: number, body: () => number): number {
  body(); // warm-up
  let ops = 0;
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const start = cpu();
  while (cpu() - start < budgetMs) ops += body();
  return ((cpu() - start) * 1e6) / ops;
}

export async function benchScalar(budgetMs = 500): Promise<ScalarBenchResult> {
  const { alu, jmp } = record(300);
  const alu_ns = time(budgetMs, () => {
    for (const c of alu) scalarAlu(c.op, c.dst, c.src, c.is64);
    return alu.length;
  });
  const branch_ns = time(budgetMs, () => {
    for (const c of jmp) {
      if (branchTaken(c.op, c.a, c.b, c.is32) === -1) {
        refineBranch(c.op, c.a, c.b, c.is32, true);
        refineBranch(c.op, c.a, c.b, c.is32, false);
      }
    }
    return jmp.length;
  });
  const format_ns = time(budgetMs, () => {
    for (const c of alu) formatScalar(c.dst);
    return alu.length;
  });
  let sink = 0;
  const loop_ns = time(budgetMs / 5, () => {
    for (let i = 0; i < 1e6; i++) sink = (sink + i) >>> 0;
    return 1e6;
  });
  if (sink === 0.5) console.log(sink); // keeps the loop
  const r = (x: number): number => Math.round(x);
  const kernel = await kernelNsPerInsn(300);
  return { alu_ns: r(alu_ns), branch_ns: r(branch_ns), format_ns: r(format_ns), operations: alu.length + jmp.length, loop_ns: Math.round(loop_ns * 100) / 100, ...(kernel ? { kernel_ns_per_insn: r(kernel) } : {}) };
}

/** The kernel verifying the same programs: its own "verification time" over "processed N insns" (log level 4). */
async function kernelNsPerInsn(programs: number): Promise<number | undefined> {
  const k = await import("../src/kernel/index.js").catch(() => undefined);
  if (!k || !k.kernelAvailable().ok) return undefined;
  let usec = 0, insns = 0;
  for (let seed = 1; seed <= programs; seed++) {
    const p = k.KernelProgram.load({ type: "socket_filter", instructions: generateScalarProgram(new Rng(seed)).instructions, logLevel: 4 });
    usec += Number(/verification time (\d+) usec/.exec(p.log)?.[1] ?? 0);
    insns += Number(/processed (\d+) insns/.exec(p.log)?.[1] ?? 0);
    p.close();
  }
  return insns > 0 ? (usec * 1000) / insns : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await benchScalar();
  console.log(`scalar domain over ${r.operations} recorded operations (CPU time): ALU ${r.alu_ns} ns, branch (predict + refine both edges) ${r.branch_ns} ns, formatScalar ${r.format_ns} ns`);
  console.log(`(a trivial loop iteration took ${r.loop_ns} ns: ALU = ${Math.round(r.alu_ns / r.loop_ns)} iterations, branch = ${Math.round(r.branch_ns / r.loop_ns)})`);
  if (r.kernel_ns_per_insn) {
    console.log(`the kernel's whole verifier on the same programs: ${r.kernel_ns_per_insn} ns per processed instruction (ALU ${(r.alu_ns / r.kernel_ns_per_insn).toFixed(2)}x, branch ${(r.branch_ns / r.kernel_ns_per_insn).toFixed(2)}x of it)`);
  }
}
