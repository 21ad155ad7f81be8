/**
 * @fileoverview The JIT's side of a runtime: the table and globals its modules share, the
 * imports through which compiled code reaches helpers, faults and tail calls, compiled
 * code cached per program, and the run loop's entry. Faults are raised with the
 * interpreter's own functions, so both engines fail alike.
 */

import { GUARD_SIZE } from "../runtime/address-space.js";
import type { CompiledProgram } from "../runtime/compile.js";
import { BudgetExhaustedError, CallFault, describeInsn, ExecutionError, MemoryFault, type AccessKind } from "../runtime/errors.js";
import {
  BPF_MAX_LOOPS, CALLBACK_TAG, callHelper, execute, fault, invokeCallback, type Machine, MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT,
} from "../runtime/interpreter.js";
import { compileModule, CPU_GLOBAL, EPOCH_GLOBAL, PMAC_GLOBAL, REGION_ENTRIES, REGION_ENTRY, REGION_MAX, REGION_TABLE, SHARED_GLOBALS } from "./compiler.js";
import { NotSupportedError } from "../errors.js";
import { MAP_HELPERS } from "../helpers/map-helpers.js";
import { MISC_HELPERS } from "../helpers/misc-helpers.js";
import { cpusOf } from "../maps/cpus.js";
import { type BpfMap, mapAt } from "../maps/map.js";
import { inlineMapOf } from "./inline-maps.js";
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
  /** @internal Each subprogram's function (r1-r5, r10) -> r0, for callbacks. */
  readonly subs: readonly ((...r: bigint[]) => bigint)[];
  /** The module's bytes, for `tsbpf jit` and tests. */
  readonly module: Uint8Array | undefined;
  /** Whether the code counts instructions and checks the budget. */
  readonly budgeted: boolean;
  /** First slots of the functions compiled as a dispatch loop (irreducible control flow). */
  readonly dispatched: readonly number[];
  /** Slots of the helper calls compiled inline (map lookups). */
  readonly inlined: readonly number[];
  /** Slots of the helper calls made through a lean import (clocks, prandom, the CPU). */
  readonly lean: readonly number[];
  /** @internal The maps whose layout the code compiled in (inline lookups and updates). */
  readonly maps?: readonly BpfMap[];
}

/** The stock bpf_map_lookup_elem and bpf_map_update_elem: only they compile inline (a registry may define its own). */
const STOCK_MAP_HELPERS = new Map(MAP_HELPERS.filter((h) => h.name === "map_lookup_elem" || h.name === "map_update_elem").map((h) => [h.id, h.fn]));

/** The stock helpers the lean imports call, and what they return (ktime_get_ns, ktime_get_boot_ns, ktime_get_coarse_ns, get_prandom_u32, get_smp_processor_id). */
const LEAN = new Map(MISC_HELPERS.filter((h) => [5, 125, 160, 7, 8].includes(h.id)).map((h) => [h.id, { fn: h.fn, kind: h.id === 7 || h.id === 8 ? "u32" as const : "i64" as const }]));

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
  /** Codes placed in the table (tail call targets), by slot; the others can be collected. */
  readonly #placed = new Map<number, JitCode>();
  #slots = 0;
  /** The regions table's epoch (EPOCH_GLOBAL): modules compare it with their own as they are entered. */
  #epoch = 0;
  readonly #cache = [new WeakMap<CompiledProgram, JitCode>(), new WeakMap<CompiledProgram, JitCode>()];
  #layout = -1;
  /** A view of the regions table, remade when the memory grows. */
  #table32: Int32Array | undefined;
  /** What the budget and packet globals hold, so a run writes only what changed. */
  #budget = -1;
  #pstart = -1;
  #pend = -1;
  #cpu = 0;
  #pmac = -1;
  /** The code whose helper call is running: a callback it makes runs compiled. */
  #active: JitCode | undefined;
  /** Callbacks run as compiled code so far (bpf_loop's and the like), for tests and tools. */
  compiledCallbacks = 0;

  constructor(m: Machine) {
    this.#wasm = requireWasm();
    this.#m = m;
    this.#table = new this.#wasm.Table({ element: "anyfunc", initial: 1 });
    this.#g = SHARED_GLOBALS.map(([, t]) => new this.#wasm.Global<number | bigint>({ value: t, mutable: true }, t === "i64" ? 0n : 0));
    // Callbacks of compiled code run compiled; the interpreter's run in the interpreter.
    m.callback = (fn, args) => (this.#active ? this.#callback(this.#active, fn, args) : invokeCallback(m, fn, args));
  }

  /**
   * invokeCallback for compiled code: the same checks and faults, then the callback's own
   * function with a fresh count and may_goto budget, one frame deeper.
   */
  #callback(code: JitCode, fn: bigint, args: readonly bigint[]): bigint {
    const m = this.#m, prog = code.prog, pc = m.pc;
    const slot = Number(BigInt.asUintN(32, fn));
    const sub = prog.subprograms.indexOf(slot);
    const insn = () => describeInsn(prog.insnAt[pc]);
    if (fn >> 32n !== BigInt(CALLBACK_TAG) || sub < 0) {
      throw new CallFault(pc, insn(), `0x${BigInt.asUintN(64, fn).toString(16)} is not a callback of this program`);
    }
    let caller = 0;
    while (caller + 1 < prog.subprograms.length && prog.subprograms[caller + 1]! <= pc) caller++;
    const top = m.R[20]! - prog.stackDepths[caller]!;
    const depth = m.depth;
    if (depth + 1 >= MAX_CALL_FRAMES) throw new CallFault(pc, insn(), `the call stack of ${depth + 2} frames is too deep`);
    if (top - prog.stackDepths[sub]! < m.stack.base) {
      throw new CallFault(pc, insn(), `combined stack size of ${m.stackTop - top + prog.stackDepths[sub]!} bytes exceeds ${MAX_BPF_STACK}`);
    }
    const g = this.#g, cnt = g[5]!.value, loops = m.loops;
    m.depth = depth + 1;
    m.loops = BPF_MAX_LOOPS;
    g[7]!.value = depth + 1;
    // A nested run counts from zero against the budget, as the interpreter's does.
    g[5]!.value = 0n;
    this.compiledCallbacks++;
    // The helper running this callback may have changed the layout (a key copy, a record):
    // the callback's accesses go through the regions table, so it is brought up to date first.
    if (m.space.layoutVersion !== this.#layout) this.#invalidate();
    try {
      const a = (k: number) => args[k] ?? 0n;
      return BigInt.asUintN(64, code.subs[sub]!(a(0), a(1), a(2), a(3), a(4), BigInt(top)));
    } finally {
      g[5]!.value = cnt;
      g[7]!.value = depth;
      m.depth = depth;
      m.loops = loops;
      m.pc = pc;
      m.current = prog;
    }
  }

  /**
   * The compiled code of `prog`, compiling it on first use, and again once a map whose
   * lookups it inlined is closed (its memory is freed, and the helper's way says so).
   */
  code(prog: CompiledProgram, budgeted: boolean): JitCode {
    const cache = this.#cache[budgeted ? 1 : 0]!;
    let c = cache.get(prog);
    if (!c || c.maps?.some((map) => map.closed)) {
      c = this.#compile(prog, budgeted);
      cache.set(prog, c);
    }
    return c;
  }

  #compile(prog: CompiledProgram, budgeted: boolean): JitCode {
    const t0 = now();
    const m = this.#m;
    const maps: BpfMap[] = [];
    const inlineMap = (handle: number, id: number) => {
      if (m.helpers.table[id] === undefined || m.helpers.table[id] !== STOCK_MAP_HELPERS.get(id)) return undefined;
      const map = mapAt(m.space, handle);
      const inline = map && inlineMapOf(map);
      if (inline) maps.push(map);
      return inline;
    };
    const leanHelper = (id: number) => {
      const l = LEAN.get(id);
      return l && m.helpers.table[id] === l.fn ? l.kind : undefined;
    };
    const out = compileModule(prog, { stackBase: m.stack.base, budgeted, inlineMap, leanHelper });
    if (!out.ok) {
      return { prog, fallback: out.reason, bytes: 0, compileMs: now() - t0, slot: -1, run: undefined, reset: undefined, module: undefined, budgeted, dispatched: [], inlined: [], lean: [], subs: [] };
    }
    const w = this.#wasm;
    const mod = new w.Module(out.bytes);
    const g = this.#g;
    const scratch = g[11]!, tail = g[8]!;
    const space = m.space;
    const insnText = (pc: number) => describeInsn(prog.insnAt[pc]);
    let self: JitCode | undefined;
    const fns = {
      helper: (pc: number, id: number, a: number, b: number, c: number, d: number, e: number, f: number, h: number, i: number, j: number, k: number, r10: number, depth: number) => {
        const R = m.R;
        R[2] = a; R[3] = b; R[4] = c; R[5] = d; R[6] = e; R[7] = f; R[8] = h; R[9] = i; R[10] = j; R[11] = k;
        // As the interpreter keeps them, for a helper that runs a callback of the program.
        R[20] = r10; R[21] = 0;
        m.depth = depth;
        const active = this.#active;
        this.#active = self;
        callHelper(m, prog, pc, id);
        this.#active = active;
        // This module goes on running: it forgets its regions now, not at its next entry.
        if (space.layoutVersion !== this.#layout && this.#invalidate()) self!.reset!();
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
        this.#place(code);
        return code.slot;
      },
      lean64: (pc: number, id: number) => {
        m.pc = pc; m.current = prog;
        const v = m.helpers.table[id]!(m.args, m);
        return typeof v === "bigint" ? v : BigInt(v ?? 0);
      },
      lean32: (pc: number, id: number) => {
        m.pc = pc; m.current = prog;
        return Number(m.helpers.table[id]!(m.args, m)) | 0;
      },
      budgetTail: (slot: number) => {
        const target = this.#placed.get(slot)!.prog;
        throw new BudgetExhaustedError(0, describeInsn(target.insnAt[0]), m.budget);
      },
    };
    // Every host function but lean64 through one import, its index last (HOST_ARGS).
    const { helper, missFault, fault: fault_, budget, callFault, tail: tail_, budgetTail, lean32 } = fns;
    const host = (a: number, b: number, c: number, d: number, e: number, f: number, h: number, i: number, j: number, k: number, l: number, n: number, o: number, p: number, fn: number): number => {
      switch (fn) {
        case 0: return helper(a, b, c, d, e, f, h, i, j, k, l, n, o, p);
        case 1: return missFault(a, b, c, d, e, f);
        case 2: return fault_(a);
        case 3: return budget(a);
        case 4: return callFault(a, b, c);
        case 5: return tail_(a, b, c, d, e);
        case 6: return budgetTail(a);
        case 8: return lean32(a, b);
        default: throw new Error(`jit: no host function ${fn}`);
      }
    };
    const env: Record<string, unknown> = { host, host64: fns.lean64, table: this.#table, memory: space.memory };
    SHARED_GLOBALS.forEach(([name], k) => { env[`g_${name}`] = g[k]; });
    const inst = new w.Instance(mod, { env });
    const slot = this.#slots++;
    const code: JitCode = {
      prog, fallback: undefined, bytes: out.bytes.length, compileMs: now() - t0, slot,
      run: inst.exports.run as JitCode["run"],
      reset: inst.exports.reset as () => void,
      subs: prog.subprograms.map((_, k) => inst.exports[k === 0 ? "main" : `f${k}`] as (...r: bigint[]) => bigint),
      module: out.bytes,
      budgeted,
      dispatched: out.dispatched,
      inlined: out.inlined,
      lean: out.lean,
      ...(maps.length ? { maps } : {}),
    };
    self = code;
    return code;
  }

  /** Puts `code`'s entry in the table at its slot, the first time it is a tail call's target. */
  #place(code: JitCode): void {
    if (this.#placed.has(code.slot)) return;
    const table = this.#table;
    if (table.length <= code.slot) table.grow(Math.max(code.slot + 1 - table.length, table.length));
    table.set(code.slot, code.subs[0]!);
    this.#placed.set(code.slot, code);
  }

  /**
   * After the layout changed: rewrites the regions table compiled code scans on a miss,
   * and when it differs bumps the epoch, so that every module forgets the regions its
   * accesses last hit as it is next entered. Whether it differed.
   */
  #invalidate(): boolean {
    const space = this.#m.space;
    this.#layout = space.layoutVersion;
    const regions = space.regions();
    if (regions.length > REGION_MAX) throw new NotSupportedError(`more than ${REGION_MAX} regions in the jit`, `this runtime has ${regions.length}`);
    // Written in place, noting whether anything changed: a run that frees its packet and
    // context and gets the same ones back (same-sized packets) keeps every cached region.
    const t = this.#table32 ??= new Int32Array(space.memory.buffer, REGION_TABLE, (REGION_ENTRIES - REGION_TABLE + REGION_MAX * REGION_ENTRY) >> 2);
    const fresh = t.buffer === space.memory.buffer ? t : (this.#table32 = new Int32Array(space.memory.buffer, REGION_TABLE, t.length));
    let changed = fresh[0] !== regions.length;
    fresh[0] = regions.length;
    const { readLo, readHi, writeLo, writeHi } = space;
    for (let k = 0; k < regions.length; k++) {
      const id = regions[k]!.id;
      const at = (REGION_ENTRIES - REGION_TABLE + k * REGION_ENTRY) >> 2;
      const rlo = readLo[id]!, rhi = readHi[id]!, wlo = writeLo[id]!, whi = writeHi[id]!;
      // A region reaching within 32 KiB of 2^31 is never cached: a pointer just above
      // 2^31 plus a negative offset would pass the one-compare check there, and must fault.
      const rspan = rhi > CACHE_LIMIT ? 0 : rhi - rlo, wspan = whi > CACHE_LIMIT ? 0 : whi - wlo;
      if (fresh[at] !== rlo || fresh[at + 1] !== rhi || fresh[at + 2] !== rspan || fresh[at + 4] !== wlo || fresh[at + 5] !== whi || fresh[at + 6] !== wspan) {
        changed = true;
        fresh[at] = rlo; fresh[at + 1] = rhi; fresh[at + 2] = rspan;
        fresh[at + 4] = wlo; fresh[at + 5] = whi; fresh[at + 6] = wspan;
      }
    }
    if (changed) this.#g[EPOCH_GLOBAL]!.value = ++this.#epoch | 0;
    return changed;
  }

  /**
   * Runs `code` `repeat` times from fresh registers (r1 and r2 given) and, when `zero`,
   * a zeroed stack; leaves r0 in `m.R[0..1]` and the count in `m.executed`.
   */
  run(code: JitCode, repeat: number, r1: number, r2: number, zero: boolean): void {
    const m = this.#m;
    if (code.maps?.some((map) => map.closed)) code = this.code(code.prog, code.budgeted);
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
    const g = this.#g;
    if (m.budget !== this.#budget) {
      this.#budget = m.budget;
      g[6]!.value = Number.isFinite(m.budget) ? BigInt(Math.floor(m.budget)) : I64_MAX;
    }
    if (m.packetStart !== this.#pstart) g[9]!.value = this.#pstart = m.packetStart;
    if (m.packetEnd !== this.#pend) g[10]!.value = this.#pend = m.packetEnd;
    const cpu = cpusOf(m.space).current;
    if (cpu !== this.#cpu) g[CPU_GLOBAL]!.value = this.#cpu = cpu;
    if (m.packetMac !== this.#pmac) g[PMAC_GLOBAL]!.value = this.#pmac = m.packetMac;
    m.current = code.prog;
    if (m.stackTop - code.prog.stackDepths[0]! < m.stack.base) throw new CallFault(0, describeInsn(code.prog.insnAt[0]), "stack too deep");
    let lo: number;
    try {
      lo = code.run(repeat, r1, r2, zero ? 1 : 0);
    } catch (e) {
      this.#active = undefined;
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
