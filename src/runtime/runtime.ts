/**
 * @fileoverview The runtime: one address space, one helper registry, the programs loaded
 * into it, and the two ways to run them: `testRun` with BPF_PROG_TEST_RUN's semantics
 * for a program type, and `runRaw` as uBPF runs bytecode (r1 a memory block, r2 its
 * length).
 */

import { BpfError, NotSupportedError } from "../errors.js";
import { decodeRaw, type Instruction } from "../isa/instruction.js";
import { AddressSpace, Perm, type Region } from "./address-space.js";
import { compile, type CompiledProgram, type CompileOptions } from "./compile.js";
import { HelperRegistry } from "./helpers.js";
import { execute, Machine, type ProgramArrayResolver } from "./interpreter.js";
import { pairToBigInt } from "./int64.js";
import { JitContext, type JitCode } from "../jit/host.js";
import { wasmApi } from "../jit/wasm-api.js";
import { type PacketLayout, type ProgramTypeOps, RUN_TYPES } from "./program-types.js";

/**
 * `checked` (the default) is for unverified programs and fuzzing: every instruction is
 * validated against the ISA table, the stack is zeroed before each run, and an
 * instruction budget stops runaway loops. `fast` skips those, trusting a verifier.
 * Memory accesses, jump targets and calls are checked in both: those checks are cheap.
 */
export type RunMode = "checked" | "fast";

/** The default instruction budget of a checked run. */
export const DEFAULT_BUDGET = 100_000_000;

export interface RuntimeOptions {
  readonly helpers?: HelperRegistry;
  /** Initial size of the address space in 64 KiB pages. */
  readonly initialPages?: number;
  /** Finds the program array a tail call names. */
  readonly programArray?: ProgramArrayResolver;
}

/** Who runs a loaded program: the interpreter, or the JIT (compiled to WebAssembly). */
export type RuntimeEngine = "interp" | "jit";

/** The engine a load uses when it names none: the JIT wherever WebAssembly exists. */
export function defaultEngine(): RuntimeEngine {
  return wasmApi() ? "jit" : "interp";
}

export interface LoadOptions extends Omit<CompileOptions, "validate"> {
  /** "jit" (the default wherever WebAssembly exists, see `defaultEngine`) or "interp". */
  readonly engine?: RuntimeEngine;
  /** The program type, for `testRun`; "raw" (no type) by default. */
  readonly type?: string;
  readonly mode?: RunMode;
  /** Instructions a checked run may execute; DEFAULT_BUDGET by default. */
  readonly budget?: number;
  readonly name?: string;
}

export interface TestRunOptions {
  /** The packet (or for raw programs the memory block). */
  readonly data?: Uint8Array;
  /** The context in, as BPF_PROG_TEST_RUN's ctx_in. */
  readonly ctx?: Uint8Array;
  /** Runs to make, over the same packet as the kernel does; at least 1. */
  readonly repeat?: number;
}

export interface TestRunResult {
  /** The low 32 bits of r0, as the kernel reports them. */
  readonly retval: number;
  /** All 64 bits of r0. */
  readonly r0: bigint;
  /** The packet after the runs. */
  readonly data: Uint8Array;
  /** The context after the runs, as BPF_PROG_TEST_RUN's ctx_out; undefined for raw runs. */
  readonly ctx: Uint8Array | undefined;
  /** Mean wall time per run in nanoseconds. */
  readonly durationNs: number;
  /** Instructions executed by the last run. */
  readonly instructions: number;
}

export interface RawRunResult {
  readonly r0: bigint;
  /** The memory block after the run. */
  readonly memory: Uint8Array;
}

/** One address space with its stack, helpers and programs. */
export class Runtime {
  readonly space: AddressSpace;
  readonly helpers: HelperRegistry;
  readonly machine: Machine;
  #jit: JitContext | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.space = new AddressSpace({ initialPages: options.initialPages ?? 4 });
    this.helpers = options.helpers ?? new HelperRegistry();
    this.machine = new Machine(this.space, this.helpers);
    this.machine.programArray = options.programArray;
  }

  /** The JIT's state for this runtime, made on first use. */
  get jit(): JitContext {
    return (this.#jit ??= new JitContext(this.machine));
  }

  set programArray(r: ProgramArrayResolver | undefined) { this.machine.programArray = r; }
  get programArray(): ProgramArrayResolver | undefined { return this.machine.programArray; }

  /** Lowers a program for this runtime; bytes are decoded as little-endian bytecode. */
  load(program: readonly Instruction[] | Uint8Array, options: LoadOptions = {}): RuntimeProgram {
    const insns = program instanceof Uint8Array ? decodeRaw(program) : program;
    const type = options.type ?? "raw";
    const ops = RUN_TYPES[type];
    if (!ops) throw new BpfError("ENOTSUP", `not supported: running program type ${type} (supported: ${Object.keys(RUN_TYPES).join(", ")})`);
    const mode = options.mode ?? "checked";
    refuseHelpers(insns, this.helpers);
    // A checked run trusts no verifier: every access keeps its check.
    const { packetLoads, ...rest } = options;
    const compiled = compile(insns, { ...rest, ...(packetLoads && mode === "fast" ? { packetLoads } : {}), validate: mode === "checked" });
    const budget = mode === "checked" ? options.budget ?? DEFAULT_BUDGET : options.budget ?? Infinity;
    return new RuntimeProgram(this, compiled, ops, mode, budget, options.name, options.engine ?? defaultEngine());
  }
}

/** A program loaded into a runtime. */
export class RuntimeProgram {
  /** The JIT's code, compiled at load (engine "jit" only). */
  readonly jitCode: JitCode | undefined;

  constructor(
    readonly runtime: Runtime,
    readonly compiled: CompiledProgram,
    readonly type: ProgramTypeOps,
    readonly mode: RunMode,
    readonly budget: number,
    readonly name?: string,
    readonly engine: RuntimeEngine = "interp",
  ) {
    this.jitCode = engine === "jit" ? runtime.jit.code(compiled, mode === "checked" || Number.isFinite(budget)) : undefined;
  }

  /**
   * Runs the program `repeat` times over one packet and context, as BPF_PROG_TEST_RUN:
   * the packet keeps what earlier runs wrote, r0 and the outputs are those of the last.
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const { space, machine: m } = this.runtime;
    const ops = this.type;
    const repeat = Math.max(1, Math.floor(options.repeat ?? 1));
    // The type may keep part of the input out of the buffer (XDP fragments).
    const given = { data: options.data ?? new Uint8Array(0), ctx: options.ctx };
    const input = ops.prepare ? ops.prepare(space, given) : given;
    const data = input.data;
    const regions: Region[] = [];
    try {
      const { headroom, tailroom, perm, frameSize = 0 } = ops.packet ?? { headroom: 0, tailroom: 0, perm: Perm.ReadWrite };
      const size = Math.max(headroom + data.length + tailroom, frameSize);
      const packet = space.alloc({ name: ops.name === "raw" ? "memory" : "packet", kind: ops.name === "raw" ? "memory" : "packet", size, perm });
      regions.push(packet);
      const offs = ops.offsets(input);
      const start = packet.base + headroom;
      const pkt: PacketLayout = { base: packet.base, meta: start + offs.meta, data: start + offs.data, dataEnd: start + data.length };
      space.u8.set(data, start);
      packet.setWindow(pkt.meta, pkt.dataEnd);
      let ctx: Region | undefined;
      if (ops.ctx) {
        ctx = space.alloc({ name: "ctx", kind: "ctx", ...ops.ctx });
        regions.push(ctx);
        ops.fillCtx(new DataView(space.memory.buffer, ctx.base, ctx.size), input, pkt);
      }
      m.run = { programType: ops.name, ctx, packet, data: pkt.data };
      m.packetStart = pkt.data;
      m.packetEnd = pkt.dataEnd;
      // A test run's skb starts at its Ethernet header, wherever the program's data begins.
      m.packetMac = ops.ctx ? start : -1;
      m.budget = this.budget;
      const R = m.R;
      const r1 = ctx ? ctx.base : data.length > 0 || ops.name === "raw" ? pkt.data : 0;
      const stack = this.mode === "checked" ? m.stack : undefined;
      const code = this.compiled;
      const r2 = ctx ? 0 : data.length;
      const t0 = now();
      if (this.jitCode) {
        // The whole loop runs inside WebAssembly; checked runs zero the stack each time.
        this.runtime.jit.run(this.jitCode, repeat, r1, r2, stack !== undefined);
      } else if (stack) {
        // Checked runs start from zeroed registers and stack, so every run is reproducible.
        for (let k = 0; k < repeat; k++) {
          space.u8.fill(0, stack.base, stack.end);
          R.fill(0);
          R[2] = r1;
          R[4] = r2;
          execute(m, code);
        }
      } else {
        // Fast runs, like the kernel, leave r3-r9 and the stack as they were: a verified
        // program never reads them before writing them.
        for (let k = 0; k < repeat; k++) {
          R[2] = r1; R[3] = 0;
          R[4] = r2; R[5] = 0;
          execute(m, code);
        }
      }
      const durationNs = ((now() - t0) * 1e6) / repeat;
      const all = packet.bytes();
      // Helpers may have moved the packet's ends (xdp_adjust_head, skb_pull_data...): the
      // window and the run's data say where it lies now.
      const out: PacketLayout = { base: packet.base, meta: packet.lo, data: m.run.data, dataEnd: packet.hi };
      return {
        retval: R[0]! >>> 0,
        r0: pairToBigInt(R[0]!, R[1]!),
        data: ops.finish ? ops.finish(space, ops.dataOut(all, out)) : ops.dataOut(all, out),
        ctx: ctx ? ops.ctxOut(ctx.bytes().slice(), out) : undefined,
        durationNs,
        instructions: m.executed,
      };
    } finally {
      for (const r of regions) r.free();
    }
  }

  /** Runs once with r1 = a copy of `memory` (null when there is none) and r2 = its length. */
  runRaw(memory?: Uint8Array): RawRunResult {
    if (memory === undefined) {
      const { machine: m } = this.runtime;
      m.run = { programType: "raw", ctx: undefined, packet: undefined, data: 0 };
      m.packetStart = m.packetEnd = 0;
      m.packetMac = -1;
      m.budget = this.budget;
      if (this.mode === "checked") m.stack.bytes().fill(0);
      m.R.fill(0);
      if (this.jitCode) this.runtime.jit.run(this.jitCode, 1, 0, 0, this.mode === "checked");
      else execute(m, this.compiled);
      return { r0: pairToBigInt(m.R[0]!, m.R[1]!), memory: new Uint8Array(0) };
    }
    const r = this.testRun({ data: memory });
    return { r0: r.r0, memory: r.data };
  }
}

/** Refuses, at load, a program that calls a helper the registry cannot run (NotSupportedError naming it). */
function refuseHelpers(insns: readonly Instruction[], helpers: HelperRegistry): void {
  insns.forEach((insn, k) => {
    if (insn.opcode !== 0x85 || insn.src !== 0) return;
    const no = helpers.refused(insn.imm);
    if (no) throw new NotSupportedError(`helper bpf_${no.name} in the userspace runtime (insn ${k})`, no.why);
  });
}

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/**
 * Runs bytecode with no program type, as uBPF does: r1 points to a copy of `memory`
 * (or is 0 without one), r2 is its length. Checked mode unless told otherwise.
 */
export function runRaw(
  program: readonly Instruction[] | Uint8Array,
  memory?: Uint8Array,
  options: LoadOptions & { helpers?: HelperRegistry } = {},
): RawRunResult {
  const rt = new Runtime({ helpers: options.helpers });
  return rt.load(program, { ...options, type: "raw" }).runRaw(memory);
}
