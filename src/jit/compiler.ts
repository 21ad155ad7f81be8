/**
 * @fileoverview The compiler from the interpreter's packed program to a WebAssembly module:
 * one function per subprogram with the registers as i64 locals, structured control flow
 * (structure.ts), loads and stores on the runtime's memory behind a one-compare check
 * against the region each access last hit, helpers, faults and tail calls through
 * imports. Semantics, faults and instruction counts are the interpreter's.
 */

import type { CompiledProgram } from "../runtime/compile.js";
import { BPF_MAX_LOOPS, MAX_BPF_STACK, MAX_CALL_FRAMES, Op, SHIFT, W } from "../runtime/interpreter.js";
import { layout, structure, type Edge, type Scope } from "./structure.js";
import { emitInlineArrayUpdate, emitInlineLookup, type InlineMap } from "./inline-maps.js";
import { Code, FE, ModuleBuilder, O, T, type HostCalls } from "./wasm.js";

export interface JitCompileOptions {
  /** First byte of the runtime's stack region, and one past its last. */
  readonly stackBase: number;
  /**
   * Count executed instructions and check the budget at every taken jump and call, as
   * checked runs do. Without it nothing is counted, which fast runs do not need.
   */
  readonly budgeted: boolean;
  /**
   * The map a program's map pointer (a 64-bit load's value) names, when helper `helper`
   * (bpf_map_lookup_elem, bpf_map_update_elem) on it may compile inline; undefined keeps
   * the helper call.
   */
  readonly inlineMap?: (handle: number, helper: number) => InlineMap | undefined;
  /**
   * How helper `id` may be called without the register file: "i64" or "u32" for the host's
   * cheap helpers (clocks, prandom, the CPU) whose result is all they give, else undefined.
   */
  readonly leanHelper?: (id: number) => "i64" | "u32" | undefined;
}

/** BPF_FUNC_map_lookup_elem */
const BPF_FUNC_map_lookup_elem = 1;
/** BPF_FUNC_map_update_elem */
const BPF_FUNC_map_update_elem = 2;

/**
 * The regions table the JIT keeps in the never-allocated guard page, for the slow path of
 * an access: the count at REGION_TABLE, entries from REGION_ENTRIES, REGION_ENTRY bytes
 * each: read lo, hi, cacheable span at +0, +4, +8, the same for writes at +16.
 */
export const REGION_TABLE = 0x1000;
export const REGION_ENTRIES = 0x1010;
export const REGION_ENTRY = 32;
export const REGION_MAX = Math.floor((0x10000 - REGION_ENTRIES) / REGION_ENTRY);

export type JitModule =
  | {
    readonly ok: true;
    readonly bytes: Uint8Array;
    /** Memory accesses that keep a region cache (the others are proven stack accesses). */
    readonly sites: number;
    /** First slots of the functions compiled as a dispatch loop (irreducible graphs). */
    readonly dispatched: readonly number[];
    /** Calls compiled inline (map lookups), by the slot of the call. */
    readonly inlined: readonly number[];
    /** Helper calls made through the lean imports (no register file), by slot. */
    readonly lean: readonly number[];
  }
  | { readonly ok: false; readonly reason: string };

/** Indices of the imported functions, in import order. */
const enum F { Helper, MissFault, Fault, Budget, CallFault, Tail, BudgetTail, Lean64, Lean32, Count }
/**
 * How many i32 arguments each host function (in `F` order) takes, and what it returns.
 * Lean64 is an import of its own (its i64 result); all the others share one import,
 * `host(a0, ..., a13, f)`, the arguments a function does not take given as zeros: V8
 * compiles a wrapper for every imported signature of every module, which cost several
 * times what compiling a small program does.
 */
const HOST_FUNCS: readonly (readonly [params: number, result: "i32" | "i64" | "none"])[] = [
  [14, "i32"], [6, "none"], [1, "none"], [1, "none"], [3, "none"], [5, "i32"], [1, "none"], [2, "i64"], [2, "i32"],
];
/** The arguments of the shared import before the function's index. */
export const HOST_ARGS = 14;
/** The import indices: the shared one, then lean64's. */
const enum I { Host, Host64 }

const HOST: HostCalls = {
  emit(c: Code, f: number): void {
    const [params, result] = HOST_FUNCS[f]!;
    if (result === "i64") { c.call(I.Host64); return; }
    for (let k = params; k < HOST_ARGS; k++) c.i32(0);
    c.i32(f).call(I.Host);
    if (result === "none") c.op(O.Drop);
  },
};

/** Indices of the imported globals, in import order. */
const enum G { R1, R2, R3, R4, R5, Cnt, Budget, Depth, Tail, PStart, PEnd, Scratch, Abort, Cpu, PMac, Epoch, Count }
/** Shared globals: name, type. Kept in `G` order. */
export const SHARED_GLOBALS: readonly (readonly [string, "i64" | "i32"])[] = [
  ["r1", "i64"], ["r2", "i64"], ["r3", "i64"], ["r4", "i64"], ["r5", "i64"],
  ["cnt", "i64"], ["budget", "i64"], ["depth", "i32"], ["tail", "i32"],
  ["pstart", "i32"], ["pend", "i32"], ["scratch", "i32"], ["abort", "i32"],
  // The CPU the run is on (per-CPU maps' slot), set by the host before each run.
  ["cpu", "i32"],
  // Where a socket filter's link-layer header starts (SKF_LL_OFF loads), set per run.
  ["pmac", "i32"],
  // Bumped by the host whenever the regions table changes: a module whose own copy
  // differs forgets its sites' regions as it is entered.
  ["epoch", "i32"],
];
/** The global holding the current CPU, for the inlined per-CPU lookups. */
export const CPU_GLOBAL: number = G.Cpu;
/** The global holding the socket filter's MAC header address. */
export const PMAC_GLOBAL: number = G.PMac;
/** The global holding the regions table's epoch. */
export const EPOCH_GLOBAL: number = G.Epoch;

/** Locals of a subprogram function: params r1-r5 and r10, then the rest. */
const enum L { R1 = 0, R10 = 5, R0 = 6, R6 = 7, Cnt = 11, A = 12, T64 = 13, Loops = 14, Label = 15, T32 = 16, P = 17, E = 18, Key = 19, Ha = 20, Hb = 21, Hc = 22 }
const LOCALS: readonly T[] = [T.I64, T.I64, T.I64, T.I64, T.I64, T.I64, T.I64, T.I64, T.I32, T.I32, T.I32, T.I32, T.I32, T.I32, T.I32, T.I32, T.I32];
/** The locals an inlined map lookup uses. */
const INLINE_LOCALS = { key: L.Key, a: L.Ha, b: L.Hb, c: L.Hc, e: L.E, cpu: G.Cpu } as const;
/** BPF register to local. */
const REG = [L.R0, 0, 1, 2, 3, 4, 7, 8, 9, 10, L.R10];
const SUB_PARAMS = [T.I64, T.I64, T.I64, T.I64, T.I64, T.I64];

/** Memory access kinds, as the miss import takes them. */
export const enum Access { Read, Write, Atomic }

// Word offsets of the packed form, read once: under tsx an imported const enum is a property read.
const W_OP = W.Op, W_DST = W.Dst, W_SRC = W.Src, W_OFF = W.Off, W_IMM = W.Imm, W_IMMHI = W.ImmHi, W_AUX = W.Aux, W_AUX2 = W.Aux2;

const isCond = (op: number) => op >= Op.Jeq64K && op <= Op.Jsle32X;
const isJump = (op: number) => isCond(op) || op === Op.Ja || op === Op.MayGoto;
/** Ops after which control never falls through to the next slot. */
const noFallThrough = (op: number) => op === Op.Exit || op === Op.Ja || (op >= Op.Invalid && op <= Op.FellOff);
/** Ops that end a counted run of slots, as the interpreter counts. */
const endsRun = (op: number) => isJump(op) || op === Op.CallLocal || op === Op.TailCall || op === Op.Exit || (op >= Op.Invalid && op <= Op.FellOff);

/** How a simple op compiles: an ALU operation or a compare, on the immediate or a register. */
const enum Form { Alu64K, Alu64X, Alu32K, Alu32X, Cmp64K, Cmp64X, Cmp32K, Cmp32X }

/**
 * The ops that compile to one WebAssembly operation, one row each (-1: jset, an and and
 * a test). Read into dense arrays once, so compiling an instruction is two lookups.
 */
const SIMPLE: readonly (readonly [Op, Form, number])[] = [
  [Op.Add64K, Form.Alu64K, O.I64Add],
  [Op.Sub64K, Form.Alu64K, O.I64Sub],
  [Op.Mul64K, Form.Alu64K, O.I64Mul],
  [Op.Or64K, Form.Alu64K, O.I64Or],
  [Op.And64K, Form.Alu64K, O.I64And],
  [Op.Xor64K, Form.Alu64K, O.I64Xor],
  [Op.Lsh64K, Form.Alu64K, O.I64Shl],
  [Op.Rsh64K, Form.Alu64K, O.I64ShrU],
  [Op.Arsh64K, Form.Alu64K, O.I64ShrS],
  [Op.Add64X, Form.Alu64X, O.I64Add],
  [Op.Sub64X, Form.Alu64X, O.I64Sub],
  [Op.Mul64X, Form.Alu64X, O.I64Mul],
  [Op.Or64X, Form.Alu64X, O.I64Or],
  [Op.And64X, Form.Alu64X, O.I64And],
  [Op.Xor64X, Form.Alu64X, O.I64Xor],
  [Op.Lsh64X, Form.Alu64X, O.I64Shl],
  [Op.Rsh64X, Form.Alu64X, O.I64ShrU],
  [Op.Arsh64X, Form.Alu64X, O.I64ShrS],
  [Op.Add32K, Form.Alu32K, O.I32Add],
  [Op.Sub32K, Form.Alu32K, O.I32Sub],
  [Op.Mul32K, Form.Alu32K, O.I32Mul],
  [Op.Or32K, Form.Alu32K, O.I32Or],
  [Op.And32K, Form.Alu32K, O.I32And],
  [Op.Xor32K, Form.Alu32K, O.I32Xor],
  [Op.Lsh32K, Form.Alu32K, O.I32Shl],
  [Op.Rsh32K, Form.Alu32K, O.I32ShrU],
  [Op.Arsh32K, Form.Alu32K, O.I32ShrS],
  [Op.Add32X, Form.Alu32X, O.I32Add],
  [Op.Sub32X, Form.Alu32X, O.I32Sub],
  [Op.Mul32X, Form.Alu32X, O.I32Mul],
  [Op.Or32X, Form.Alu32X, O.I32Or],
  [Op.And32X, Form.Alu32X, O.I32And],
  [Op.Xor32X, Form.Alu32X, O.I32Xor],
  [Op.Lsh32X, Form.Alu32X, O.I32Shl],
  [Op.Rsh32X, Form.Alu32X, O.I32ShrU],
  [Op.Arsh32X, Form.Alu32X, O.I32ShrS],
  [Op.Jeq64K, Form.Cmp64K, O.I64Eq],
  [Op.Jgt64K, Form.Cmp64K, O.I64GtU],
  [Op.Jge64K, Form.Cmp64K, O.I64GeU],
  [Op.Jset64K, Form.Cmp64K, -1],
  [Op.Jne64K, Form.Cmp64K, O.I64Ne],
  [Op.Jsgt64K, Form.Cmp64K, O.I64GtS],
  [Op.Jsge64K, Form.Cmp64K, O.I64GeS],
  [Op.Jlt64K, Form.Cmp64K, O.I64LtU],
  [Op.Jle64K, Form.Cmp64K, O.I64LeU],
  [Op.Jslt64K, Form.Cmp64K, O.I64LtS],
  [Op.Jsle64K, Form.Cmp64K, O.I64LeS],
  [Op.Jeq64X, Form.Cmp64X, O.I64Eq],
  [Op.Jgt64X, Form.Cmp64X, O.I64GtU],
  [Op.Jge64X, Form.Cmp64X, O.I64GeU],
  [Op.Jset64X, Form.Cmp64X, -1],
  [Op.Jne64X, Form.Cmp64X, O.I64Ne],
  [Op.Jsgt64X, Form.Cmp64X, O.I64GtS],
  [Op.Jsge64X, Form.Cmp64X, O.I64GeS],
  [Op.Jlt64X, Form.Cmp64X, O.I64LtU],
  [Op.Jle64X, Form.Cmp64X, O.I64LeU],
  [Op.Jslt64X, Form.Cmp64X, O.I64LtS],
  [Op.Jsle64X, Form.Cmp64X, O.I64LeS],
  [Op.Jeq32K, Form.Cmp32K, O.I32Eq],
  [Op.Jgt32K, Form.Cmp32K, O.I32GtU],
  [Op.Jge32K, Form.Cmp32K, O.I32GeU],
  [Op.Jset32K, Form.Cmp32K, -1],
  [Op.Jne32K, Form.Cmp32K, O.I32Ne],
  [Op.Jsgt32K, Form.Cmp32K, O.I32GtS],
  [Op.Jsge32K, Form.Cmp32K, O.I32GeS],
  [Op.Jlt32K, Form.Cmp32K, O.I32LtU],
  [Op.Jle32K, Form.Cmp32K, O.I32LeU],
  [Op.Jslt32K, Form.Cmp32K, O.I32LtS],
  [Op.Jsle32K, Form.Cmp32K, O.I32LeS],
  [Op.Jeq32X, Form.Cmp32X, O.I32Eq],
  [Op.Jgt32X, Form.Cmp32X, O.I32GtU],
  [Op.Jge32X, Form.Cmp32X, O.I32GeU],
  [Op.Jset32X, Form.Cmp32X, -1],
  [Op.Jne32X, Form.Cmp32X, O.I32Ne],
  [Op.Jsgt32X, Form.Cmp32X, O.I32GtS],
  [Op.Jsge32X, Form.Cmp32X, O.I32GeS],
  [Op.Jlt32X, Form.Cmp32X, O.I32LtU],
  [Op.Jle32X, Form.Cmp32X, O.I32LeU],
  [Op.Jslt32X, Form.Cmp32X, O.I32LtS],
  [Op.Jsle32X, Form.Cmp32X, O.I32LeS],
];
const FORM = new Int8Array(256).fill(-1);
const WASM = new Int16Array(256);
for (const [op, form, wasm] of SIMPLE) { FORM[op] = form; WASM[op] = wasm; }

/**
 * The other ops, renumbered by a const enum of this file so that `insn`'s switch has
 * literal cases (an imported const enum is a property read per case under tsx).
 */
const enum K { None, Mov64K, Neg64, Div64K, Mod64K, Sdiv64K, Smod64K, Mov64X, MovAdd64, MovAdd64X, MovAddJgt, MovAddJge, MovAddJlt, MovAddJle, Div64X, Mod64X, Sdiv64X, Smod64X, Movsx64B, Movsx64H, Movsx64W, Bswap16, Be16, Bswap32, Be32, Bswap64, Be64, Le16, Le32, Le64, Mov32K, Neg32, Div32K, Mod32K, Sdiv32K, Smod32K, Mov32X, Div32X, Mod32X, Sdiv32X, Smod32X, Movsx32B, Movsx32H, Ja, MayGoto, CallHelper, CallLocal, TailCall, Exit, Lddw, LdAbsB, LdAbsH, LdAbsW, LdIndB, LdIndH, LdIndW, LdxB, LdxH, LdxW, LdxDW, LdsxB, LdsxH, LdsxW, StB, StH, StW, StDW, StxB, StxH, StxW, StxDW, LoadAcqB, LoadAcqH, LoadAcqW, LoadAcqDW, StoreRelB, StoreRelH, StoreRelW, StoreRelDW }
const KIND = new Uint8Array(256);
KIND[Op.Mov64K] = K.Mov64K;
KIND[Op.Neg64] = K.Neg64;
KIND[Op.Div64K] = K.Div64K;
KIND[Op.Mod64K] = K.Mod64K;
KIND[Op.Sdiv64K] = K.Sdiv64K;
KIND[Op.Smod64K] = K.Smod64K;
KIND[Op.Mov64X] = K.Mov64X;
KIND[Op.MovAdd64] = K.MovAdd64;
KIND[Op.MovAdd64X] = K.MovAdd64X;
KIND[Op.MovAddJgt] = K.MovAddJgt;
KIND[Op.MovAddJge] = K.MovAddJge;
KIND[Op.MovAddJlt] = K.MovAddJlt;
KIND[Op.MovAddJle] = K.MovAddJle;
KIND[Op.Div64X] = K.Div64X;
KIND[Op.Mod64X] = K.Mod64X;
KIND[Op.Sdiv64X] = K.Sdiv64X;
KIND[Op.Smod64X] = K.Smod64X;
KIND[Op.Movsx64B] = K.Movsx64B;
KIND[Op.Movsx64H] = K.Movsx64H;
KIND[Op.Movsx64W] = K.Movsx64W;
KIND[Op.Bswap16] = K.Bswap16;
KIND[Op.Be16] = K.Be16;
KIND[Op.Bswap32] = K.Bswap32;
KIND[Op.Be32] = K.Be32;
KIND[Op.Bswap64] = K.Bswap64;
KIND[Op.Be64] = K.Be64;
KIND[Op.Le16] = K.Le16;
KIND[Op.Le32] = K.Le32;
KIND[Op.Le64] = K.Le64;
KIND[Op.Mov32K] = K.Mov32K;
KIND[Op.Neg32] = K.Neg32;
KIND[Op.Div32K] = K.Div32K;
KIND[Op.Mod32K] = K.Mod32K;
KIND[Op.Sdiv32K] = K.Sdiv32K;
KIND[Op.Smod32K] = K.Smod32K;
KIND[Op.Mov32X] = K.Mov32X;
KIND[Op.Div32X] = K.Div32X;
KIND[Op.Mod32X] = K.Mod32X;
KIND[Op.Sdiv32X] = K.Sdiv32X;
KIND[Op.Smod32X] = K.Smod32X;
KIND[Op.Movsx32B] = K.Movsx32B;
KIND[Op.Movsx32H] = K.Movsx32H;
KIND[Op.Ja] = K.Ja;
KIND[Op.MayGoto] = K.MayGoto;
KIND[Op.CallHelper] = K.CallHelper;
KIND[Op.CallLocal] = K.CallLocal;
KIND[Op.TailCall] = K.TailCall;
KIND[Op.Exit] = K.Exit;
KIND[Op.Lddw] = K.Lddw;
KIND[Op.LdAbsB] = K.LdAbsB;
KIND[Op.LdAbsH] = K.LdAbsH;
KIND[Op.LdAbsW] = K.LdAbsW;
KIND[Op.LdIndB] = K.LdIndB;
KIND[Op.LdIndH] = K.LdIndH;
KIND[Op.LdIndW] = K.LdIndW;
KIND[Op.LdxB] = K.LdxB;
KIND[Op.LdxH] = K.LdxH;
KIND[Op.LdxW] = K.LdxW;
KIND[Op.LdxDW] = K.LdxDW;
KIND[Op.LdsxB] = K.LdsxB;
KIND[Op.LdsxH] = K.LdsxH;
KIND[Op.LdsxW] = K.LdsxW;
KIND[Op.StB] = K.StB;
KIND[Op.StH] = K.StH;
KIND[Op.StW] = K.StW;
KIND[Op.StDW] = K.StDW;
KIND[Op.StxB] = K.StxB;
KIND[Op.StxH] = K.StxH;
KIND[Op.StxW] = K.StxW;
KIND[Op.StxDW] = K.StxDW;
KIND[Op.LoadAcqB] = K.LoadAcqB;
KIND[Op.LoadAcqH] = K.LoadAcqH;
KIND[Op.LoadAcqW] = K.LoadAcqW;
KIND[Op.LoadAcqDW] = K.LoadAcqDW;
KIND[Op.StoreRelB] = K.StoreRelB;
KIND[Op.StoreRelH] = K.StoreRelH;
KIND[Op.StoreRelW] = K.StoreRelW;
KIND[Op.StoreRelDW] = K.StoreRelDW;

/** Compiles `prog` to a module, or says why it must run in the interpreter instead. */
export function compileModule(prog: CompiledProgram, options: JitCompileOptions): JitModule {
  const { code, slots, subprograms } = prog;
  const at = (pc: number, w: number) => code[(pc << SHIFT) + w]!;
  const opAt = (pc: number) => at(pc, W_OP);
  const isStart = (pc: number) => pc >= 0 && pc < slots && prog.insnAt[pc] !== undefined;
  const bounds = subprograms.map((s, k) => [s, subprograms[k + 1] ?? slots] as const);

  // Whatever the interpreter does that functions cannot: jumps between subprograms and
  // falling from one into the next. A verifier rejects both.
  for (const [from, to] of bounds) {
    for (let pc = from; pc < to; pc++) {
      if (!isStart(pc)) continue;
      const op = opAt(pc);
      if (isJump(op)) {
        const t = at(pc, W_AUX);
        if (t < slots && (t < from || t >= to)) return { ok: false, reason: `the jump at insn ${pc} leaves its function` };
      }
    }
    const last = lastStart(prog, from, to);
    if (to < slots && (last < 0 || !noFallThrough(opAt(last)))) return { ok: false, reason: `the function at insn ${from} falls through into the next` };
  }

  const mb = new ModuleBuilder();
  const I32 = T.I32, I64 = T.I64;
  mb.importFunc("env", "host", Array<T>(HOST_ARGS + 1).fill(I32), [I32]);
  mb.importFunc("env", "host64", [I32, I32], [I64]);
  // Only a module that tail calls imports the table: V8 keeps every instance importing a
  // table alive as long as the table is, and makes each set or grow of it visit them all.
  let tailCalls = false;
  for (let pc = 0; pc < slots; pc++) if (isStart(pc) && opAt(pc) === Op.TailCall) tailCalls = true;
  if (tailCalls) mb.importTable("env", "table", 1);
  mb.importMemory("env", "memory", 0);
  for (const [name, type] of SHARED_GLOBALS) mb.importGlobal("env", `g_${name}`, type === "i64" ? I64 : I32, true);
  const subType = mb.type(SUB_PARAMS, [I64]);
  const funcs = subprograms.map(() => mb.declare(SUB_PARAMS, [I64]));
  const entry = mb.declare([I32, I32, I32, I32], [I32]);
  const reset = mb.declare([], []);
  // The module's own function for each host function of fewer arguments than the shared
  // import's (made on first use), so that a call site passes just its own: a site pads
  // nothing, and budget checks and access sites stay small.
  const stubs = new Map<number, number>();
  const host: HostCalls = {
    emit(c, f) {
      const [params, result] = HOST_FUNCS[f]!;
      if (params === HOST_ARGS || result === "i64") { HOST.emit(c, f); return; }
      let stub = stubs.get(f);
      if (stub === undefined) {
        const types = Array<T>(params).fill(I32), results = result === "i32" ? [I32] : [];
        stubs.set(f, (stub = mb.declare(types, results)));
        const body = new Code();
        for (let p = 0; p < params; p++) body.get(p);
        HOST.emit(body, f);
        mb.define(stub, [], body);
      }
      c.call(stub);
    },
  };
  /** The epoch this module's site caches belong to. */
  const seen = mb.global(I32, true, -1);
  const sites: number[] = [];
  const site = () => {
    const lo = mb.global(I64, true, 0);
    mb.global(I64, true, 0);
    sites.push(lo);
    return lo;
  };
  const stackTop = options.stackBase + MAX_BPF_STACK;

  const dispatched: number[] = [];
  const inlined: number[] = [];
  const lean: number[] = [];
  for (let k = 0; k < bounds.length; k++) {
    const [from, to] = bounds[k]!;
    const c = new FunctionCompiler(prog, options, from, to, k === bounds.length - 1, funcs, subType, host, site, prog.stackDepths[k]!, inlined, lean);
    mb.define(funcs[k]!, LOCALS, c.compile());
    if (c.bbIndex) dispatched.push(from);
  }

  {
    // run(repeat, r1, r2, zero): the test run's loop, inside WebAssembly.
    const c = new Code();
    const repeat = 0, r1 = 1, r2 = 2, zero = 3, r0 = 4;
    // Every run starts from depth 0, no tail calls, no abort, no count. A run that returns
    // leaves depth at 0; the others are reset each time only where something sets them.
    let calls = false;
    for (let pc = 0; pc < slots; pc++) if (isStart(pc) && opAt(pc) === Op.CallLocal) calls = true;
    c.i32(0).gset(G.Depth).i64(0).gset(G.Cnt).i32(0).gset(G.Tail).i32(0).gset(G.Abort);
    c.gget(G.Epoch).gget(seen).op(O.I32Ne).if_().call(reset).end();
    c.loop();
    c.get(zero).if_().i32(options.stackBase).i32(0).i32(MAX_BPF_STACK).memoryFill().end();
    if (calls || tailCalls) c.i32(0).gset(G.Depth).i32(0).gset(G.Tail).i32(0).gset(G.Abort);
    if (options.budgeted) c.i64(0).gset(G.Cnt);
    c.get(r1).op(O.I64ExtendI32U).get(r2).op(O.I64ExtendI32U).i64(0).i64(0).i64(0).i64(stackTop).call(funcs[0]!).set(r0);
    c.get(repeat).i32(1).op(O.I32Sub).tee(repeat).i32(0).op(O.I32GtS).brIf(0);
    c.end();
    c.get(r0).i64(32).op(O.I64ShrU).op(O.I32WrapI64).gset(G.Scratch);
    c.get(r0).op(O.I32WrapI64);
    mb.define(entry, [I64], c);
  }
  {
    // reset(): forget every access's region, after the layout changed.
    const c = new Code();
    for (const lo of sites) c.i64(0).gset(lo + 1);
    c.gget(G.Epoch).gset(seen);
    mb.define(reset, [], c);
  }
  mb.exportFunc("run", entry);
  mb.exportFunc("reset", reset);
  // Each subprogram's entry from outside (a tail call, a helper's callback): the epoch
  // check `run` makes once, then the function.
  funcs.forEach((f, k) => {
    const e = mb.declare(SUB_PARAMS, [I64]);
    const c = new Code();
    c.gget(G.Epoch).gget(seen).op(O.I32Ne).if_().call(reset).end();
    for (let p = 0; p < SUB_PARAMS.length; p++) c.get(p);
    mb.define(e, [], c.call(f));
    mb.exportFunc(k === 0 ? "main" : `f${k}`, e);
  });
  return { ok: true, bytes: mb.encode(), sites: sites.length, dispatched, inlined, lean };
}

function lastStart(prog: CompiledProgram, from: number, to: number): number {
  for (let pc = to - 1; pc >= from; pc--) if (prog.insnAt[pc] !== undefined) return pc;
  return -1;
}

/** A scope the emitter opened: structured, the dispatch loop, or an anonymous if/block. */
type Ctl = Scope | "dispatch" | null;

class FunctionCompiler {
  readonly c = new Code();
  readonly ctl: Ctl[] = [];
  readonly code: Int32Array;
  /** In dispatch mode: the basic block index of each leader slot. */
  bbIndex: Map<number, number> | undefined;
  /** Basic blocks: leader slot to the slot after the run it starts. */
  readonly runEnd = new Map<number, number>();
  /** First slots of basic blocks (jump targets and the slots after jumps, calls and exits). */
  readonly leaders = new Set<number>();
  /** The end of the run holding each slot, for early exits. */
  runOf = 0;
  /** Structured mode: each block's position in the emitted order, by its first slot. */
  pos: Map<number, number> | undefined;
  /** The position of the block being emitted. */
  here = 0;
  /** Open scopes by where they lead, and their index in `ctl`. */
  readonly blockTo = new Map<number, Scope>();
  readonly loopAt = new Map<number, Scope>();
  readonly level = new Map<Ctl, number>();

  constructor(
    readonly prog: CompiledProgram,
    readonly options: JitCompileOptions,
    readonly from: number,
    readonly to: number,
    readonly last: boolean,
    readonly funcs: readonly number[],
    readonly subType: number,
    /** How this module calls the host's functions. */
    readonly host: HostCalls,
    readonly site: () => number,
    /** Stack bytes below r10 this function may use: calls and the run's start check them. */
    readonly frame: number,
    readonly inlined: number[],
    readonly lean: number[],
  ) {
    this.code = prog.code;
  }

  at(pc: number, w: number): number { return this.code[(pc << SHIFT) + w]!; }


  compile(): Code {
    const { prog, from, to, c } = this;
    const starts: number[] = [];
    for (let pc = from; pc < to; pc++) if (prog.insnAt[pc] !== undefined) starts.push(pc);
    const leaders = this.leaders;
    leaders.add(from);
    starts.forEach((pc, k) => {
      const op = this.at(pc, W_OP);
      if (isJump(op)) {
        const t = this.at(pc, W_AUX);
        if (t < prog.slots) leaders.add(t);
      }
      if (endsRun(op)) leaders.add(starts[k + 1] ?? to);
    });
    const sortedLeaders = [...leaders].filter((l) => l < to).sort((a, b) => a - b);
    sortedLeaders.forEach((l, k) => this.runEnd.set(l, sortedLeaders[k + 1] ?? to));

    c.i32(BPF_MAX_LOOPS).set(L.Loops);
    // Only budgeted code counts: elsewhere the count is neither kept nor passed on.
    if (this.options.budgeted) c.gget(G.Cnt).set(L.Cnt);
    // Basic blocks and their successors, then an order that keeps loops whole.
    const blockAt = new Map(sortedLeaders.map((l, k) => [l, k]));
    const lastOf: number[] = [];
    const insnsOf: number[][] = sortedLeaders.map(() => []);
    {
      let k = -1;
      for (const pc of starts) {
        if (blockAt.has(pc)) k = blockAt.get(pc)!;
        insnsOf[k]!.push(pc);
        lastOf[k] = pc;
      }
    }
    const fallsTo: number[] = [], takenOf: number[] = [];
    const succ = sortedLeaders.map((l, k) => {
      const pc = lastOf[k]!, op = this.at(pc, W_OP), out: number[] = [];
      takenOf[k] = -1;
      if (isJump(op)) {
        const t = this.at(pc, W_AUX);
        if (t < prog.slots) { takenOf[k] = blockAt.get(t)!; out.push(takenOf[k]!); }
      }
      const next = this.runEnd.get(l)!;
      fallsTo[k] = !noFallThrough(op) ? (next < to ? blockAt.get(next)! : -2) : -1;
      if (fallsTo[k]! >= 0 && !out.includes(fallsTo[k]!)) out.push(fallsTo[k]!);
      return out;
    });
    const lay = layout(succ);
    const s = lay.ok ? this.placeScopes(lay.order, takenOf, fallsTo) : undefined;
    if (lay.ok && s?.ok) {
      const order = lay.order;
      this.pos = new Map(order.map((b, p) => [sortedLeaders[b]!, p]));
      const stack: Scope[] = [];
      order.forEach((b, p) => {
        while (stack.length > 0 && stack[stack.length - 1]!.end === p) { stack.pop(); this.close(); }
        for (const sc of s.opens.get(p) ?? []) {
          stack.push(sc);
          this.open(sc);
        }
        this.here = p;
        for (const pc of insnsOf[b]!) this.insn(pc);
        // The next block in slot order is not always the next one here: go there.
        const f = fallsTo[b]!;
        if (f >= 0 && order[p + 1] !== f) this.jump(lastOf[b]!, sortedLeaders[f]!, false, false);
        else if (f === -2) c.i32(prog.slots).callHost(this.host, F.Fault).op(O.Unreachable);
      });
      while (stack.length > 0) { stack.pop(); this.close(); }
    } else {
      // The dispatch loop: br_table over the basic blocks, each jump through a label.
      this.bbIndex = new Map(sortedLeaders.map((l, k) => [l, k]));
      c.i32(0).set(L.Label);
      c.loop();
      this.ctl.push("dispatch");
      for (let k = 0; k < sortedLeaders.length; k++) { c.block(); this.ctl.push(null); }
      c.get(L.Label).byte(O.BrTable).u32(sortedLeaders.length);
      for (let k = 0; k < sortedLeaders.length; k++) c.u32(k);
      c.u32(0);
      for (const pc of starts) {
        if (this.bbIndex.has(pc)) this.close();
        this.insn(pc);
      }
      this.close();
    }
    // Falling off the end: in the last function, the interpreter's "no exit" fault.
    if (this.last) c.i32(prog.slots).callHost(this.host, F.Fault);
    c.op(O.Unreachable);
    return c;
  }

  /** The scopes over block positions: every taken jump and every reordered fall-through. */
  placeScopes(order: readonly number[], takenOf: readonly number[], fallsTo: readonly number[]): ReturnType<typeof structure> {
    const pos = new Int32Array(takenOf.length);
    order.forEach((b, p) => { pos[b] = p; });
    const edges: Edge[] = [];
    order.forEach((b, p) => {
      const t = takenOf[b]!, f = fallsTo[b]!;
      if (t >= 0) edges.push({ from: p, to: pos[t]! });
      if (f >= 0 && pos[f] !== p + 1) edges.push({ from: p, to: pos[f]! });
    });
    return structure(0, edges);
  }

  open(s: Scope): void {
    if (s.kind === "loop") this.c.loop();
    else this.c.block();
    // Jumps find their scope by target position; a depth is then one subtraction.
    (s.kind === "loop" ? this.loopAt : this.blockTo).set(s.kind === "loop" ? s.start : s.end, s);
    this.level.set(s, this.ctl.length);
    this.ctl.push(s);
  }

  close(): void {
    this.c.end();
    this.ctl.pop();
  }

  /** Opens an anonymous `if` (the condition is on the stack). */
  if_(type?: number): void {
    this.c.if_(type);
    this.ctl.push(null);
  }

  depthOf(target: Ctl): number {
    const at = target !== null && target !== "dispatch" ? this.level.get(target) : undefined;
    return this.ctl.length - 1 - (at ?? this.ctl.lastIndexOf(target));
  }

  /** A jump to `target` from `pc`; when `cond`, an i32 condition is on the stack. */
  /**
   * A jump to `target` from `pc`; when `cond`, an i32 condition is on the stack. `counted`
   * false is a fall-through made explicit by the block order: no budget check there.
   */
  jump(pc: number, target: number, cond: boolean, counted = true): void {
    const { c } = this;
    const budgeted = this.options.budgeted && counted;
    if (target >= this.prog.slots) {
      // A sentinel: count and check as the interpreter does, then its fault.
      if (cond) this.if_();
      this.budgetCheck(target);
      c.i32(target).callHost(this.host, F.Fault).op(O.Unreachable);
      if (cond) this.close();
      return;
    }
    if (this.bbIndex) {
      if (cond) this.if_();
      this.budgetCheck(target);
      c.i32(this.bbIndex.get(target)!).set(L.Label);
      c.br(this.depthOf("dispatch"));
      if (cond) this.close();
      return;
    }
    const tp = this.pos!.get(target)!;
    const scope = tp > this.here ? this.blockTo.get(tp) : this.loopAt.get(tp);
    if (scope === undefined || this.ctl[this.level.get(scope)!] !== scope) throw new Error(`jit: no scope for the jump at ${pc} to ${target}`);
    if (budgeted) {
      if (cond) this.if_();
      this.budgetCheck(target);
      c.br(this.depthOf(scope));
      if (cond) this.close();
    } else if (cond) {
      c.brIf(this.depthOf(scope));
    } else {
      c.br(this.depthOf(scope));
    }
  }

  budgetCheck(pc: number): void {
    if (!this.options.budgeted) return;
    const c = this.c;
    c.get(L.Cnt).gget(G.Budget).op(O.I64GtS);
    c.if_().i32(pc).callHost(this.host, F.Budget).end();
  }

  /**
   * Sets local A to the address of an access and checks it as the interpreter does: one
   * compare against the region this site last hit; on a miss, a scan of the regions table
   * (no call, so nothing spills on the fast path) that refills the site or faults.
   */
  address(pc: number, base: number, off: number, size: number, kind: Access): void {
    const c = this.c;
    if (base === 10 && off >= -this.frame && off + size <= 0) {
      // Inside this frame: calls and the run's start proved [r10 - frame, r10) is stack.
      c.get(L.R10).i64(off).op(O.I64Add).set(L.A);
      return;
    }
    if (kind === Access.Read && this.prog.packetLoads?.has(pc)) {
      // The verifier proved this load inside [data, data_end) on every path (fast runs only).
      c.get(REG[base]!).i64(off).op(O.I64Add).set(L.A);
      return;
    }
    const g = this.site();
    const at = kind === Access.Read ? 0 : 16;
    c.get(REG[base]!).i64(off).op(O.I64Add).tee(L.A);
    c.gget(g).op(O.I64Sub).gget(g + 1).op(O.I64LtU).op(O.I32Eqz);
    c.if_();
    {
      const miss = () => {
        c.i32(pc).get(REG[base]!).op(O.I32WrapI64).get(REG[base]!).i64(32).op(O.I64ShrU).op(O.I32WrapI64).i32(off).i32(size).i32(kind);
        c.callHost(this.host, F.MissFault).op(O.Unreachable);
      };
      // A pointer has a zero high half and a non-negative low one.
      c.get(REG[base]!).i64(0x80000000).op(O.I64GeU).if_();
      miss();
      c.end();
      c.i32(REGION_ENTRIES).set(L.P);
      c.i32(REGION_TABLE).mem(O.I32Load, 2).i32(5).op(O.I32Shl).i32(REGION_ENTRIES).op(O.I32Add).set(L.E);
      c.block().loop();
      c.get(L.P).get(L.E).op(O.I32GeU).if_();
      miss();
      c.end();
      // Signed: below a pointer under 2^31, A lies in (-2^15, 2^31 + 2^15), so nothing wraps.
      c.get(L.A).get(L.P).mem(O.I64Load32U, 2, at).op(O.I64GeS);
      c.get(L.A).i64(size).op(O.I64Add).get(L.P).mem(O.I64Load32U, 2, at + 4).op(O.I64LeS);
      c.op(O.I32And).brIf(1);
      c.get(L.P).i32(REGION_ENTRY).op(O.I32Add).set(L.P).br(0);
      c.end().end();
      // Found: remember the region, unless its entry says not to (span 0).
      c.get(L.P).mem(O.I64Load32U, 2, at).gset(g);
      c.get(L.P).mem(O.I64Load32U, 2, at + 8).i64(size - 1).op(O.I64Sub);
      c.i64(0);
      c.get(L.P).mem(O.I32Load, 2, at + 8);
      c.op(O.Select).gset(g + 1);
    }
    c.end();
  }

  /** The i32 address of the last `address`. */
  addr(): Code { return this.c.get(L.A).op(O.I32WrapI64); }

  insn(pc: number): void {
    const { c } = this;
    const op = this.at(pc, W_OP);
    const d = REG[this.at(pc, W_DST) >> 1]!, s = REG[this.at(pc, W_SRC) >> 1]!;
    const imm = this.at(pc, W_IMM), off = this.at(pc, W_OFF);
    const end = this.runEnd.get(pc);
    if (end !== undefined && this.options.budgeted) {
      // A run of slots starts here: count it whole, as the interpreter does at its end.
      c.get(L.Cnt).i64(end - pc).op(O.I64Add).set(L.Cnt);
      this.runOf = end;
    }
    const form = FORM[op]!;
    if (form >= 0) return this.simple(pc, form, WASM[op]!, d, s, imm);
    const alu64 = (o: O, k: boolean) => this.simple(pc, k ? Form.Alu64K : Form.Alu64X, o, d, s, imm);
    const alu32 = (o: O, k: boolean) => this.simple(pc, k ? Form.Alu32K : Form.Alu32X, o, d, s, imm);
    switch (KIND[op]) {
      // ---- ALU64 ----
      case K.Mov64K: c.i64(imm).set(d); return;
      case K.Neg64: c.i64(0).get(d).op(O.I64Sub).set(d); return;
      case K.Div64K: if (imm === 0) c.i64(0).set(d); else alu64(O.I64DivU, true); return;
      case K.Mod64K: if (imm !== 0) alu64(O.I64RemU, true); return;
      case K.Sdiv64K:
        if (imm === 0) c.i64(0).set(d);
        else if (imm === -1) c.i64(0).get(d).op(O.I64Sub).set(d);
        else alu64(O.I64DivS, true);
        return;
      case K.Smod64K:
        if (imm === -1) c.i64(0).set(d);
        else if (imm !== 0) alu64(O.I64RemS, true);
        return;
      case K.Mov64X: case K.MovAdd64: case K.MovAdd64X:
      case K.MovAddJgt: case K.MovAddJge: case K.MovAddJlt: case K.MovAddJle:
        // A fused sequence's first slot is still its mov; the next slots keep their ops.
        c.get(s).set(d); return;
      case K.Div64X:
        c.get(s).op(O.I64Eqz).if_(T.I64).i64(0).op(O.Else).get(d).get(s).op(O.I64DivU).end().set(d); return;
      case K.Mod64X:
        c.get(s).op(O.I64Eqz).if_(T.I64).get(d).op(O.Else).get(d).get(s).op(O.I64RemU).end().set(d); return;
      case K.Sdiv64X:
        c.get(s).op(O.I64Eqz).if_(T.I64).i64(0).op(O.Else);
        c.get(s).i64(-1).op(O.I64Eq).if_(T.I64).i64(0).get(d).op(O.I64Sub).op(O.Else).get(d).get(s).op(O.I64DivS).end();
        c.end().set(d); return;
      case K.Smod64X:
        // rem_s only traps on zero: INT64_MIN % -1 is 0 in WebAssembly as in BPF.
        c.get(s).op(O.I64Eqz).if_(T.I64).get(d).op(O.Else).get(d).get(s).op(O.I64RemS).end().set(d); return;
      case K.Movsx64B: c.get(s).op(O.I64Extend8S).set(d); return;
      case K.Movsx64H: c.get(s).op(O.I64Extend16S).set(d); return;
      case K.Movsx64W: c.get(s).op(O.I64Extend32S).set(d); return;
      case K.Bswap16: case K.Be16: c.get(d).op(O.I32WrapI64); this.bswap16(); c.op(O.I64ExtendI32U).set(d); return;
      case K.Bswap32: case K.Be32: c.get(d).op(O.I32WrapI64); this.bswap32(); c.op(O.I64ExtendI32U).set(d); return;
      case K.Bswap64: case K.Be64: c.get(d); this.bswap64(); c.set(d); return;
      case K.Le16: c.get(d).i64(0xffff).op(O.I64And).set(d); return;
      case K.Le32: c.get(d).op(O.I32WrapI64).op(O.I64ExtendI32U).set(d); return;
      case K.Le64: return;

      // ---- ALU ----
      case K.Mov32K: c.i64(imm >>> 0).set(d); return;
      case K.Neg32: c.i32(0).get(d).op(O.I32WrapI64).op(O.I32Sub).op(O.I64ExtendI32U).set(d); return;
      case K.Div32K: if (imm === 0) c.i64(0).set(d); else alu32(O.I32DivU, true); return;
      case K.Mod32K: if (imm === 0) c.get(d).op(O.I32WrapI64).op(O.I64ExtendI32U).set(d); else alu32(O.I32RemU, true); return;
      case K.Sdiv32K:
        if (imm === 0) c.i64(0).set(d);
        else if (imm === -1) c.i32(0).get(d).op(O.I32WrapI64).op(O.I32Sub).op(O.I64ExtendI32U).set(d);
        else alu32(O.I32DivS, true);
        return;
      case K.Smod32K:
        if (imm === 0) c.get(d).op(O.I32WrapI64).op(O.I64ExtendI32U).set(d);
        else if (imm === -1) c.i64(0).set(d);
        else alu32(O.I32RemS, true);
        return;
      case K.Mov32X: c.get(s).op(O.I32WrapI64).op(O.I64ExtendI32U).set(d); return;
      case K.Div32X:
        c.get(s).op(O.I32WrapI64).op(O.I32Eqz).if_(T.I32).i32(0).op(O.Else);
        c.get(d).op(O.I32WrapI64).get(s).op(O.I32WrapI64).op(O.I32DivU).end().op(O.I64ExtendI32U).set(d); return;
      case K.Mod32X:
        c.get(s).op(O.I32WrapI64).op(O.I32Eqz).if_(T.I32).get(d).op(O.I32WrapI64).op(O.Else);
        c.get(d).op(O.I32WrapI64).get(s).op(O.I32WrapI64).op(O.I32RemU).end().op(O.I64ExtendI32U).set(d); return;
      case K.Sdiv32X:
        c.get(s).op(O.I32WrapI64).op(O.I32Eqz).if_(T.I32).i32(0).op(O.Else);
        c.get(s).op(O.I32WrapI64).i32(-1).op(O.I32Eq).if_(T.I32).i32(0).get(d).op(O.I32WrapI64).op(O.I32Sub).op(O.Else);
        c.get(d).op(O.I32WrapI64).get(s).op(O.I32WrapI64).op(O.I32DivS).end();
        c.end().op(O.I64ExtendI32U).set(d); return;
      case K.Smod32X:
        c.get(s).op(O.I32WrapI64).op(O.I32Eqz).if_(T.I32).get(d).op(O.I32WrapI64).op(O.Else);
        c.get(d).op(O.I32WrapI64).get(s).op(O.I32WrapI64).op(O.I32RemS).end().op(O.I64ExtendI32U).set(d); return;
      case K.Movsx32B: c.get(s).op(O.I32WrapI64).op(O.I32Extend8S).op(O.I64ExtendI32U).set(d); return;
      case K.Movsx32H: c.get(s).op(O.I32WrapI64).op(O.I32Extend16S).op(O.I64ExtendI32U).set(d); return;

      // ---- jumps ----
      case K.Ja: return this.jump(pc, this.at(pc, W_AUX), false);
      case K.MayGoto:
        // The frame's countdown: the jump is taken once it reaches zero.
        c.get(L.Loops).op(O.I32Eqz);
        this.jump(pc, this.at(pc, W_AUX), true);
        c.get(L.Loops).i32(1).op(O.I32Sub).set(L.Loops);
        return;

      // ---- calls and exit ----
      case K.CallHelper: return this.callHelper(pc, imm);
      case K.CallLocal: return this.callLocal(pc);
      case K.TailCall: return this.tailCall(pc);
      case K.Exit: this.exit(); return;

      // ---- immediates and packet loads ----
      case K.Lddw: {
        const v = (BigInt(this.at(pc, W_IMMHI) >>> 0) << 32n) | BigInt(imm >>> 0);
        c.i64(v).set(d);
        return;
      }
      case K.LdAbsB: case K.LdAbsH: case K.LdAbsW:
      case K.LdIndB: case K.LdIndH: case K.LdIndW: return this.ldAbs(pc, op, s, imm);

      // ---- loads and stores ----
      case K.LdxB: this.address(pc, this.src(pc), off, 1, Access.Read); this.addr().mem(O.I64Load8U, 0).set(d); return;
      case K.LdxH: this.address(pc, this.src(pc), off, 2, Access.Read); this.addr().mem(O.I64Load16U, 0).set(d); return;
      case K.LdxW: this.address(pc, this.src(pc), off, 4, Access.Read); this.addr().mem(O.I64Load32U, 0).set(d); return;
      case K.LdxDW: this.address(pc, this.src(pc), off, 8, Access.Read); this.addr().mem(O.I64Load, 0).set(d); return;
      case K.LdsxB: this.address(pc, this.src(pc), off, 1, Access.Read); this.addr().mem(O.I64Load8S, 0).set(d); return;
      case K.LdsxH: this.address(pc, this.src(pc), off, 2, Access.Read); this.addr().mem(O.I64Load16S, 0).set(d); return;
      case K.LdsxW: this.address(pc, this.src(pc), off, 4, Access.Read); this.addr().mem(O.I64Load32S, 0).set(d); return;
      case K.StB: this.address(pc, this.dst(pc), off, 1, Access.Write); this.addr().i32(imm).mem(O.I32Store8, 0); return;
      case K.StH: this.address(pc, this.dst(pc), off, 2, Access.Write); this.addr().i32(imm).mem(O.I32Store16, 0); return;
      case K.StW: this.address(pc, this.dst(pc), off, 4, Access.Write); this.addr().i32(imm).mem(O.I32Store, 0); return;
      case K.StDW: this.address(pc, this.dst(pc), off, 8, Access.Write); this.addr().i64(imm).mem(O.I64Store, 0); return;
      case K.StxB: this.address(pc, this.dst(pc), off, 1, Access.Write); this.addr().get(s).mem(O.I64Store8, 0); return;
      case K.StxH: this.address(pc, this.dst(pc), off, 2, Access.Write); this.addr().get(s).mem(O.I64Store16, 0); return;
      case K.StxW: this.address(pc, this.dst(pc), off, 4, Access.Write); this.addr().get(s).mem(O.I64Store32, 0); return;
      case K.StxDW: this.address(pc, this.dst(pc), off, 8, Access.Write); this.addr().get(s).mem(O.I64Store, 0); return;
      case K.LoadAcqB: this.address(pc, this.src(pc), off, 1, Access.Read); this.addr().mem(O.I64Load8U, 0).set(d); return;
      case K.LoadAcqH: this.address(pc, this.src(pc), off, 2, Access.Read); this.addr().mem(O.I64Load16U, 0).set(d); return;
      case K.LoadAcqW: this.address(pc, this.src(pc), off, 4, Access.Read); this.addr().mem(O.I64Load32U, 0).set(d); return;
      case K.LoadAcqDW: this.address(pc, this.src(pc), off, 8, Access.Read); this.addr().mem(O.I64Load, 0).set(d); return;
      case K.StoreRelB: this.address(pc, this.dst(pc), off, 1, Access.Write); this.addr().get(s).mem(O.I64Store8, 0); return;
      case K.StoreRelH: this.address(pc, this.dst(pc), off, 2, Access.Write); this.addr().get(s).mem(O.I64Store16, 0); return;
      case K.StoreRelW: this.address(pc, this.dst(pc), off, 4, Access.Write); this.addr().get(s).mem(O.I64Store32, 0); return;
      case K.StoreRelDW: this.address(pc, this.dst(pc), off, 8, Access.Write); this.addr().get(s).mem(O.I64Store, 0); return;
      default:
        if (op >= Op.Add32A && op <= Op.Cmpxchg64A) return this.atomic(pc, op, s, off);
        // Invalid, unresolved, a reached second slot: the interpreter's fault for this slot.
        c.i32(pc).callHost(this.host, F.Fault).op(O.Unreachable);
    }
  }

  /** An ALU operation or a conditional jump of one table row; `o` -1 is jset. */
  simple(pc: number, form: Form, o: O, d: number, s: number, imm: number): void {
    const c = this.c;
    switch (form) {
      case Form.Alu64K: c.get(d).i64(imm).op(o).set(d); return;
      case Form.Alu64X: c.get(d).get(s).op(o).set(d); return;
      case Form.Alu32K: c.get(d).op(O.I32WrapI64).i32(imm).op(o).op(O.I64ExtendI32U).set(d); return;
      case Form.Alu32X: c.get(d).op(O.I32WrapI64).get(s).op(O.I32WrapI64).op(o).op(O.I64ExtendI32U).set(d); return;
      case Form.Cmp64K: case Form.Cmp64X:
        c.get(d);
        if (form === Form.Cmp64K) c.i64(imm); else c.get(s);
        if (o < 0) c.op(O.I64And).op(O.I64Eqz).op(O.I32Eqz); else c.op(o);
        return this.jump(pc, this.at(pc, W_AUX), true);
      case Form.Cmp32K: case Form.Cmp32X:
        c.get(d).op(O.I32WrapI64);
        if (form === Form.Cmp32K) c.i32(imm); else c.get(s).op(O.I32WrapI64);
        c.op(o < 0 ? O.I32And : o);
        return this.jump(pc, this.at(pc, W_AUX), true);
    }
  }

  src(pc: number): number { return this.at(pc, W_SRC) >> 1; }
  dst(pc: number): number { return this.at(pc, W_DST) >> 1; }

  bswap16(): void {
    this.c.tee(L.T32).i32(0xff).op(O.I32And).i32(8).op(O.I32Shl).get(L.T32).i32(8).op(O.I32ShrU).i32(0xff).op(O.I32And).op(O.I32Or);
  }

  bswap32(): void {
    const c = this.c;
    c.tee(L.T32).i32(8).op(O.I32Rotl).i32(0x00ff00ff).op(O.I32And);
    c.get(L.T32).i32(8).op(O.I32Rotr).i32(0xff00ff00 | 0).op(O.I32And).op(O.I32Or);
  }

  bswap64(): void {
    const c = this.c;
    // Swap bytes within halfwords, halfwords within words, then the words.
    c.tee(L.T64).i64(8).op(O.I64ShrU).i64(0x00ff00ff00ff00ffn).op(O.I64And);
    c.get(L.T64).i64(0x00ff00ff00ff00ffn).op(O.I64And).i64(8).op(O.I64Shl).op(O.I64Or);
    c.tee(L.T64).i64(16).op(O.I64ShrU).i64(0x0000ffff0000ffffn).op(O.I64And);
    c.get(L.T64).i64(0x0000ffff0000ffffn).op(O.I64And).i64(16).op(O.I64Shl).op(O.I64Or);
    c.i64(32).op(O.I64Rotl);
  }

  /** Writes r1-r5 back for the caller (a verified caller never reads them; others may). */
  exit(): void {
    const c = this.c;
    // Fast code's entry function, when no local call targets it, returns to the run loop
    // or a tail call's caller in fast (trusted) code: nobody reads these.
    const quiet = this.from === 0 && !this.options.budgeted && !this.entryCalled;
    if (!quiet) for (let r = 1; r <= 5; r++) c.get(REG[r]!).gset(G.R1 + r - 1);
    if (this.options.budgeted) c.get(L.Cnt).gset(G.Cnt);
    c.get(L.R0).op(O.Return);
  }

  /** Whether a local call in the program targets slot 0 (the entry function). */
  get entryCalled(): boolean {
    if (this.#entryCalled === undefined) {
      this.#entryCalled = false;
      for (let pc = 0; pc < this.prog.slots; pc++) {
        if (this.prog.insnAt[pc] !== undefined && this.at(pc, W_OP) === Op.CallLocal && this.at(pc, W_AUX) === 0) this.#entryCalled = true;
      }
    }
    return this.#entryCalled;
  }
  #entryCalled: boolean | undefined;

  /**
   * The value r1 holds at `pc` when a 64-bit load in the same basic block set it, else
   * undefined: what a call's map argument is, as compilers emit it (`r1 = map ll`).
   */
  constantR1(pc: number): bigint | undefined {
    if (this.leaders.has(pc)) return undefined;
    for (let q = pc - 1; q >= this.from; q--) {
      if (this.prog.insnAt[q] === undefined) continue;
      const op = this.at(q, W_OP);
      const dst = this.at(q, W_DST) >> 1, src = this.at(q, W_SRC) >> 1;
      // Conservative: anything naming r1 as its destination, an atomic fetching into it, or a call.
      const writes = dst === 1 || (op >= Op.Add32A && op <= Op.Cmpxchg64A && src === 1) || op === Op.CallHelper || op === Op.CallLocal;
      if (writes) return op === Op.Lddw ? (BigInt(this.at(q, W_IMMHI) >>> 0) << 32n) | BigInt(this.at(q, W_IMM) >>> 0) : undefined;
      if (this.leaders.has(q)) return undefined;
    }
    return undefined;
  }

  /** The map a helper call at `pc` names by a constant r1, when its calls compile inline. */
  inlineMapAt(pc: number, id: number): InlineMap | undefined {
    if (!this.options.inlineMap) return undefined;
    const handle = this.constantR1(pc);
    return handle !== undefined && handle < 0x80000000n ? this.options.inlineMap(Number(handle), id) : undefined;
  }

  /** `r0 = guard ? inline : helper()`: the inline code where `guard` (an i32 on the stack) holds. */
  guardedInline(pc: number, id: number, guard: () => void, inline: () => void): void {
    const c = this.c;
    guard();
    c.if_();
    inline();
    c.set(L.R0);
    c.op(O.Else);
    this.inlined.push(pc);
    this.callHelperImport(pc, id);
    c.end();
  }

  callHelper(pc: number, id: number): void {
    const c = this.c;
    if (id === BPF_FUNC_map_lookup_elem) {
      const m = this.inlineMapAt(pc, id);
      if (m && m.keySize <= MAX_BPF_STACK) {
        // Inline when the key lies in the stack region (where compilers put it), else the helper.
        this.guardedInline(pc, id, () => {
          c.get(REG[2]!).i64(this.options.stackBase).op(O.I64Sub).i64(MAX_BPF_STACK - m.keySize).op(O.I64LeU);
        }, () => {
          c.get(REG[2]!).op(O.I32WrapI64).set(L.Key);
          emitInlineLookup(c, m, INLINE_LOCALS);
        });
        return;
      }
    }
    if (id === BPF_FUNC_map_update_elem) {
      const m = this.inlineMapAt(pc, id);
      if (m?.kind === "array" && !m.hasTimer && m.valueSize <= MAX_BPF_STACK) {
        // Inline when the key and the value lie in the stack region, else the helper.
        this.guardedInline(pc, id, () => {
          c.get(REG[2]!).i64(this.options.stackBase).op(O.I64Sub).i64(MAX_BPF_STACK - 4).op(O.I64LeU);
          c.get(REG[3]!).i64(this.options.stackBase).op(O.I64Sub).i64(MAX_BPF_STACK - m.valueSize).op(O.I64LeU);
          c.op(O.I32And);
        }, () => {
          c.get(REG[2]!).op(O.I32WrapI64).set(L.Key);
          c.get(REG[3]!).op(O.I32WrapI64).set(L.Ha);
          c.get(REG[4]!).op(O.I32WrapI64).set(L.Hb);
          emitInlineArrayUpdate(c, m, INLINE_LOCALS);
        });
        return;
      }
    }
    const kind = this.options.leanHelper?.(id);
    if (kind !== undefined) {
      // The result is all these helpers give: no registers cross the boundary.
      c.i32(pc).i32(id);
      if (kind === "i64") c.callHost(this.host, F.Lean64);
      else c.callHost(this.host, F.Lean32).op(O.I64ExtendI32U);
      c.set(L.R0);
      this.lean.push(pc);
      return;
    }
    this.callHelperImport(pc, id);
  }

  callHelperImport(pc: number, id: number): void {
    const c = this.c;
    c.i32(pc).i32(id);
    for (let r = 1; r <= 5; r++) c.get(REG[r]!).op(O.I32WrapI64).get(REG[r]!).i64(32).op(O.I64ShrU).op(O.I32WrapI64);
    // r10 and the call depth too, for helpers that call back into the program.
    c.get(L.R10).op(O.I32WrapI64).gget(G.Depth);
    c.callHost(this.host, F.Helper).op(O.I64ExtendI32U).gget(G.Scratch).op(O.I64ExtendI32U).i64(32).op(O.I64Shl).op(O.I64Or).set(L.R0);
  }

  callLocal(pc: number): void {
    const c = this.c;
    const target = this.at(pc, W_AUX), callerDepth = this.at(pc, W_IMMHI), calleeDepth = this.at(pc, W_AUX2);
    // The interpreter's enter(): frames first, then the stack the chain would use.
    c.gget(G.Depth).i32(MAX_CALL_FRAMES - 1).op(O.I32GeS).if_().i32(pc).i32(0).gget(G.Depth).callHost(this.host, F.CallFault).end();
    c.get(L.R10).i64(callerDepth + calleeDepth).op(O.I64Sub).i64(this.options.stackBase).op(O.I64LtS).if_();
    c.i32(pc).i32(1).i32(this.options.stackBase + MAX_BPF_STACK + callerDepth + calleeDepth).get(L.R10).op(O.I32WrapI64).op(O.I32Sub).callHost(this.host, F.CallFault);
    c.end();
    this.budgetCheck(target);
    const k = this.prog.subprograms.indexOf(target);
    if (target >= this.prog.slots || k < 0) {
      c.i32(target).callHost(this.host, F.Fault).op(O.Unreachable);
      return;
    }
    if (this.options.budgeted) c.get(L.Cnt).gset(G.Cnt);
    c.gget(G.Depth).i32(1).op(O.I32Add).gset(G.Depth);
    for (let r = 1; r <= 5; r++) c.get(REG[r]!);
    c.get(L.R10).i64(callerDepth).op(O.I64Sub).call(this.funcs[k]!).set(L.R0);
    c.gget(G.Depth).i32(1).op(O.I32Sub).gset(G.Depth);
    // A legacy packet load out of bounds in the callee ends the whole run.
    c.gget(G.Abort).if_().i64(0).op(O.Return).end();
    if (this.options.budgeted) c.gget(G.Cnt).set(L.Cnt);
    for (let r = 1; r <= 5; r++) c.gget(G.R1 + r - 1).set(REG[r]!);
  }

  tailCall(pc: number): void {
    const c = this.c;
    c.i32(pc).get(REG[2]!).op(O.I32WrapI64).get(REG[2]!).i64(32).op(O.I64ShrU).op(O.I32WrapI64);
    c.get(REG[3]!).op(O.I32WrapI64).get(L.R10).op(O.I32WrapI64).callHost(this.host, F.Tail).tee(L.T32);
    c.i32(0).op(O.I32GeS);
    this.if_();
    if (this.options.budgeted) {
      c.get(L.Cnt).gget(G.Budget).op(O.I64GtS).if_().get(L.T32).callHost(this.host, F.BudgetTail).end();
    }
    if (this.options.budgeted) c.get(L.Cnt).gset(G.Cnt);
    for (let r = 1; r <= 5; r++) c.get(REG[r]!);
    c.get(L.R10).get(L.T32).byte(O.CallIndirect).u32(this.subType).u32(0);
    c.op(O.Return);
    this.close();
  }

  ldAbs(pc: number, op: number, s: number, imm: number): void {
    const c = this.c;
    const size = op === Op.LdAbsB || op === Op.LdIndB ? 1 : op === Op.LdAbsH || op === Op.LdIndH ? 2 : 4;
    if (op >= Op.LdIndB) c.get(s).op(O.I32WrapI64).i32(imm).op(O.I32Add);
    else c.i32(imm);
    c.set(L.T32);
    // The address: data + offset, or for a negative offset as the kernel's
    // bpf_internal_load_pointer_neg_helper: network header (MAC + 14) + offset - SKF_NET_OFF,
    // MAC header + offset - SKF_LL_OFF; -1 below SKF_LL_OFF or without an skb (pmac < 0).
    c.get(L.T32).i32(0).op(O.I32LtS).if_(T.I64);
    c.get(L.T32).i32(-0x200000).op(O.I32LtS).gget(G.PMac).i32(0).op(O.I32LtS).op(O.I32Or).if_(T.I64).i64(-1).op(O.Else);
    c.gget(G.PMac).op(O.I64ExtendI32U).i64(14 + 0x100000).i64(0x200000).get(L.T32).i32(-0x100000).op(O.I32GeS).op(O.Select);
    c.op(O.I64Add).get(L.T32).op(O.I64ExtendI32S).op(O.I64Add).end();
    c.op(O.Else).gget(G.PStart).op(O.I64ExtendI32U).get(L.T32).op(O.I64ExtendI32S).op(O.I64Add).end();
    c.tee(L.T64).i64(0).op(O.I64LtS);
    c.get(L.T64).i64(size).op(O.I64Add).gget(G.PEnd).op(O.I64ExtendI32U).op(O.I64GtS).op(O.I32Or);
    c.if_();
    // Out of bounds ends the program with r0 = 0, as the kernel's rewrite of these loads.
    if (this.options.budgeted) c.get(L.Cnt).i64(this.runOf - pc - 1).op(O.I64Sub).gset(G.Cnt);
    c.i32(1).gset(G.Abort).i64(0).op(O.Return);
    c.end();
    c.get(L.T64).op(O.I32WrapI64);
    if (size === 1) c.mem(O.I32Load8U, 0);
    else if (size === 2) { c.mem(O.I32Load16U, 0); this.bswap16(); }
    else { c.mem(O.I32Load, 0); this.bswap32(); }
    c.op(O.I64ExtendI32U).set(L.R0);
  }

  atomic(pc: number, op: number, s: number, off: number): void {
    const c = this.c;
    const wide = op >= Op.Add64A;
    const kind = op - (wide ? Op.Add64A : Op.Add32A); // 0-9: add or and xor, fetch versions, xchg, cmpxchg
    const size = wide ? 8 : 4;
    this.address(pc, this.dst(pc), off, size, Access.Atomic);
    const ty = wide ? T.I64 : T.I32;
    const val = () => { c.get(s); if (!wide) c.op(O.I32WrapI64); };
    const load = () => { this.addr().mem(wide ? O.I64Load : O.I32Load, 0); };
    const BIN = wide ? [O.I64Add, O.I64Or, O.I64And, O.I64Xor] : [O.I32Add, O.I32Or, O.I32And, O.I32Xor];
    const RMW = wide ? [FE.I64RmwAdd, FE.I64RmwOr, FE.I64RmwAnd, FE.I64RmwXor] : [FE.I32RmwAdd, FE.I32RmwOr, FE.I32RmwAnd, FE.I32RmwXor];
    const old = wide ? L.T64 : L.T32;
    const toReg = () => { if (!wide) c.op(O.I64ExtendI32U); };
    // WebAssembly atomics need natural alignment; the interpreter takes any address, so a
    // misaligned one gets a plain read-modify-write (a verifier rejects those anyway).
    this.addr().i32(size - 1).op(O.I32And).op(O.I32Eqz);
    if (kind === 9) { // cmpxchg: r0 = old; store src if old == r0
      c.if_(ty);
      this.addr(); c.get(L.R0); if (!wide) c.op(O.I32WrapI64); val(); c.atomic(wide ? FE.I64RmwCmpxchg : FE.I32RmwCmpxchg, wide ? 3 : 2);
      c.op(O.Else);
      load(); c.set(old);
      c.get(old); c.get(L.R0); if (!wide) c.op(O.I32WrapI64); c.op(wide ? O.I64Eq : O.I32Eq);
      c.if_(); this.addr(); val(); c.mem(wide ? O.I64Store : O.I32Store, 0); c.end();
      c.get(old);
      c.end();
      toReg(); c.set(L.R0);
      return;
    }
    const fetch = kind >= 4;
    const bin = kind === 8 ? -1 : kind % 4;
    c.if_(ty);
    this.addr(); val(); c.atomic(bin < 0 ? (wide ? FE.I64RmwXchg : FE.I32RmwXchg) : RMW[bin]!, wide ? 3 : 2);
    c.op(O.Else);
    load(); c.set(old);
    this.addr();
    if (bin < 0) val(); else { c.get(old); val(); c.op(BIN[bin]!); }
    c.mem(wide ? O.I64Store : O.I32Store, 0);
    c.get(old);
    c.end();
    if (fetch) { toReg(); c.set(s); } else c.op(O.Drop);
  }
}
