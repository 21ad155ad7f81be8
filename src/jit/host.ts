/**
 * @fileoverview The JIT's side of a runtime: the table and globals its modules share, the
 * imports through which compiled code reaches helpers, faults and tail calls, compiled
 * code cached per program, and the run loop's entry. Faults are raised with the
 * interpreter's own functions, so both engines fail alike.
 */

import { GUARD_SIZE } from "../runtime/address-space.js";
import type { CompiledProgram } from "../runtime/compile.js";
import { BudgetExhaustedError, CallFault, describeInsn, ExecutionError, MemoryFault, type AccessKind } from "../runtime/errors.js";
import { callHelper, execute, fault, type Machine, MAX_BPF_STACK, MAX_TAIL_CALL_CNT } from "../runtime/interpreter.js";
import { compileModule, REGION_ENTRIES, REGION_ENTRY, REGION_MAX, REGION_TABLE, SHARED_GLOBALS } from "./compiler.js";
import { NotSupportedError } from "../errors.js";
import { requireWasm, type WasmApi, type WasmGlobal, type WasmTable } from "./wasm-api.js";

/** One program, compiled (or declined, with the reason, and run by the interpreter). */
export interface JitCode {
  readonly prog: CompiledProgram;
  /** Why this program runs in the interpreter; undefined when it is compiled. */
  readonly fallback: string | undefined;
  /** The module's size in bytes. */
  readonly bytes: number;
  /** Milliseconds spent compiling (our emitter and WebAssembly.Module both). */
  readonly compileMs: number;
  /** @internal */
  readonly slot: number;
  /** @internal */
  readonly run: ((repeat: number, r1: number, r2: number, zero: number) => number) | undefined;
  /** @internal */
  readonly reset: (() => void) | undefined;
  /** The module's bytes, for `tsbpf jit` and tests. */
  readonly module: Uint8Array | undefined;
  /** Whether the code counts instructions and checks the budget. */
  readonly budgeted: boolean;
  /** First slots of the functions compiled as a dispatch loop (irreducible control flow). */
  readonly dispatched: readonly number[];
}

const ACCESS: readonly AccessKind[] = ["read", "write", "atomic"];
const I64_MAX = 0x7fffffffffffffffn;
/** Regions ending this close to 2^31 are never cached: see `miss`. */
const CACHE_LIMIT = 0x80000000 - 0x8000;

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/** The JIT state of one runtime (one Machine, one address space). */
export class JitContext {
  readonly #wasm: WasmApi;
  readonly #m: Machine;
  readonly #table: WasmTable;
  readonly #g: WasmGlobal<number | bigint>[];
  readonly #codes: JitCode[] = [];
  /** Modules that ran since the last invalidation: only their site caches can be full. */
  readonly #dirty = new Set<JitCode>();
  readonly #cache = [new WeakMap<CompiledProgram, JitCode>(), new WeakMap<CompiledProgram, JitCode>()];
  #layout = -1;

  constructor(m: Machine) {
    this.#wasm = requireWasm();
    this.#m = m;
    this.#table = new this.#wasm.Table({ element: "anyfunc", initial: 1 });
    this.#g = SHARED_GLOBALS.map(([, t]) => new this.#wasm.Global<number | bigint>({ value: t, mutable: true }, t === "i64" ? 0n : 0));
  }

  /** The compiled code of `prog`, compiling it on first use. */
  code(prog: CompiledProgram, budgeted: boolean): JitCode {
    const cache = this.#cache[budgeted ? 1 : 0]!;
    let c = cache.get(prog);
    if (!c) {
      c = this.#compile(prog, budgeted);
      cache.set(prog, c);
    }
    return c;
  }

  #compile(prog: CompiledProgram, budgeted: boolean): JitCode {
    const t0 = now();
    const m = this.#m;
    const out = compileModule(prog, { stackBase: m.stack.base, budgeted });
    if (!out.ok) {
      return { prog, fallback: out.reason, bytes: 0, compileMs: now() - t0, slot: -1, run: undefined, reset: undefined, module: undefined, budgeted, dispatched: [] };
    }
    const w = this.#wasm;
    const mod = new w.Module(out.bytes);
    const g = this.#g;
    const scratch = g[11]!, tail = g[8]!;
    const space = m.space;
    const insnText = (pc: number) => describeInsn(prog.insnAt[pc]);
    let self: JitCode | undefined;
    const env: Record<string, unknown> = {
      table: this.#table,
      memory: space.memory,
      helper: (pc: number, id: number, a: number, b: number, c: number, d: number, e: number, f: number, h: number, i: number, j: number, k: number, r10: number, depth: number) => {
        const R = m.R;
        R[2] = a; R[3] = b; R[4] = c; R[5] = d; R[6] = e; R[7] = f; R[8] = h; R[9] = i; R[10] = j; R[11] = k;
        // As the interpreter keeps them, for a helper that runs a callback of the program.
        R[20] = r10; R[21] = 0;
        m.depth = depth;
        callHelper(m, prog, pc, id);
        if (space.layoutVersion !== this.#layout) { this.#invalidate(); this.#dirty.add(self!); }
        scratch.value = R[1]!;
        return R[0]!;
      },
      missFault: (pc: number, lo: number, hi: number, off: number, size: number, kind: number) => {
        // The scan found no region: raise the interpreter's fault, by the interpreter's rule.
        const addr = hi === 0 && lo >= 0 ? lo + off : -1;
        const full = BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo >>> 0)) + BigInt(off));
        if (addr >= GUARD_SIZE && space.check(addr, size, kind !== 0) !== 0) {
          throw new ExecutionError(pc, insnText(pc), `jit: the regions table is stale for ${size} bytes at ${full}`);
        }
        throw new MemoryFault(pc, insnText(pc), { address: full, size, access: ACCESS[kind]!, space });
      },
      fault: (pc: number) => fault(prog, pc),
      budget: (pc: number) => { throw new BudgetExhaustedError(pc, insnText(pc), m.budget); },
      callFault: (pc: number, kind: number, value: number) => {
        throw new CallFault(pc, insnText(pc), kind === 0
          ? `the call stack of ${value + 2} frames is too deep`
          : `combined stack size of ${value} bytes exceeds ${MAX_BPF_STACK}`);
      },
      tail: (pc: number, mlo: number, mhi: number, index: number, r10: number) => {
        // The interpreter's tailCallTarget, with the count in a shared global.
        const array = m.programArray?.((BigInt(mhi >>> 0) << 32n) | BigInt(mlo >>> 0));
        if (!array) return -1;
        if (index >>> 0 >= array.maxEntries) return -1;
        if ((tail.value as number) >= MAX_TAIL_CALL_CNT) return -1;
        tail.value = (tail.value as number) + 1;
        const next = array.program(index >>> 0)?.compiled;
        if (next === undefined) return -1;
        if (r10 - next.stackDepths[0]! < m.stack.base) {
          throw new CallFault(pc, insnText(pc), `tail call target needs ${next.stackDepths[0]} stack bytes, only ${r10 - m.stack.base} are left`);
        }
        const code = this.code(next, budgeted);
        if (code.fallback !== undefined) throw new CallFault(pc, insnText(pc), `tail call target cannot run in the jit: ${code.fallback}`);
        this.#dirty.add(code);
        return code.slot;
      },
      budgetTail: (slot: number) => {
        const target = this.#codes[slot]!.prog;
        throw new BudgetExhaustedError(0, describeInsn(target.insnAt[0]), m.budget);
      },
    };
    SHARED_GLOBALS.forEach(([name], k) => { env[`g_${name}`] = g[k]; });
    const inst = new w.Instance(mod, { env });
    const slot = this.#codes.length;
    if (this.#table.length <= slot) this.#table.grow(Math.max(1, this.#table.length));
    this.#table.set(slot, inst.exports.main);
    const code: JitCode = {
      prog, fallback: undefined, bytes: out.bytes.length, compileMs: now() - t0, slot,
      run: inst.exports.run as JitCode["run"],
      reset: inst.exports.reset as () => void,
      module: out.bytes,
      budgeted,
      dispatched: out.dispatched,
    };
    this.#codes.push(code);
    self = code;
    return code;
  }

  /**
   * After the layout changed: rewrites the regions table compiled code scans on a miss,
   * and every module forgets the regions its accesses last hit.
   */
  #invalidate(): void {
    const space = this.#m.space;
    this.#layout = space.layoutVersion;
    const regions = space.regions();
    if (regions.length > REGION_MAX) throw new NotSupportedError(`more than ${REGION_MAX} regions in the jit`, `this runtime has ${regions.length}`);
    const v = space.view;
    v.setInt32(REGION_TABLE, regions.length, true);
    regions.forEach((r, k) => {
      const at = REGION_ENTRIES + k * REGION_ENTRY;
      const bounds = [[space.readLo[r.id]!, space.readHi[r.id]!], [space.writeLo[r.id]!, space.writeHi[r.id]!]] as const;
      bounds.forEach(([lo, hi], w) => {
        v.setInt32(at + w * 16, lo, true);
        v.setInt32(at + w * 16 + 4, hi, true);
        // A region reaching within 32 KiB of 2^31 is never cached: a pointer just above
        // 2^31 plus a negative offset would pass the one-compare check there, and must fault.
        v.setInt32(at + w * 16 + 8, hi > CACHE_LIMIT ? 0 : hi - lo, true);
      });
    });
    for (const c of this.#dirty) c.reset!();
    this.#dirty.clear();
  }

  /**
   * Runs `code` `repeat` times from fresh registers (r1 and r2 given) and, when `zero`,
   * a zeroed stack; leaves r0 in `m.R[0..1]` and the count in `m.executed`.
   */
  run(code: JitCode, repeat: number, r1: number, r2: number, zero: boolean): void {
    const m = this.#m;
    if (code.run === undefined) {
      for (let k = 0; k < repeat; k++) {
        if (zero) m.space.u8.fill(0, m.stack.base, m.stack.end);
        m.R.fill(0);
        m.R[2] = r1;
        m.R[4] = r2;
        execute(m, code.prog);
      }
      return;
    }
    if (m.space.layoutVersion !== this.#layout) this.#invalidate();
    this.#dirty.add(code);
    const g = this.#g;
    g[6]!.value = Number.isFinite(m.budget) ? BigInt(Math.floor(m.budget)) : I64_MAX;
    g[9]!.value = m.packetStart;
    g[10]!.value = m.packetEnd;
    g[13]!.value = m.packetMac;
    m.current = code.prog;
    if (m.stackTop - code.prog.stackDepths[0]! < m.stack.base) throw new CallFault(0, describeInsn(code.prog.insnAt[0]), "stack too deep");
    let lo: number;
    try {
      lo = code.run(repeat, r1, r2, zero ? 1 : 0);
    } catch (e) {
      if (e instanceof ExecutionError || !(e instanceof Error) || e.constructor.name !== "RuntimeError") throw e;
      // A trap is a bug of the JIT's, but never a crash of the caller's process.
      throw new ExecutionError(m.pc, "jit", `webassembly trap: ${e.message}`, { cause: e });
    }
    m.R[0] = lo;
    m.R[1] = g[11]!.value as number;
    // Only budgeted code counts (checked runs, or a budget given).
    m.executed = code.budgeted ? Number(g[5]!.value as bigint) : NaN;
  }
}
