/**
 * @fileoverview The interpreter: one switch over the packed program's dense ops, the
 * registers as int32 halves in one Int32Array (r<n> low half at 2n, high half at 2n+1),
 * memory through one DataView over the WebAssembly.Memory. Each load or store checks its
 * address with two compares against the region that instruction last touched (cached in
 * the packed program), so every run is bounds-checked at the cost of a hit test; only a
 * miss looks the address up, and a bad address faults. Executed instructions are counted
 * exactly, but only at taken jumps: a straight run of slots adds its length once.
 *
 * Calls, as the kernel's interpreter makes them: a local call saves r6-r9, r10 and the
 * may_goto count, and the callee's r10 is the caller's minus the caller's stack depth;
 * r1-r5 are left as the callee (or helper) left them, not poisoned: a verified program
 * never reads them. A tail call replaces the current frame's program and keeps its r10.
 */

import { GUARD_SIZE, type AddressSpace, type Region } from "./address-space.js";
import type { CompiledProgram } from "./compile.js";
import {
  type AccessKind, BudgetExhaustedError, CallFault, describeInsn, ExecutionError, HelperError, InvalidInstructionFault, JumpFault, MemoryFault,
} from "./errors.js";
import { type HelperArgs, type HelperEnv, type HelperRegistry, RegisterArgs, type RunInfo } from "./helpers.js";
import { bswap32, DivKind, divmod64, mulHiU32, pairToBigInt, setPair } from "./int64.js";

// The dense ops live here, beside the switch over them: TypeScript inlines a const
// enum's members only within its own file when files are compiled one at a time (as
// tsx and esbuild do), and the switch needs literal cases to become a jump table.

/** Words per slot of the packed program. */
export const STRIDE = 8;
/** log2(STRIDE): `pc << SHIFT` is a slot's first word. */
export const SHIFT = 3;

/** Word offsets within a slot. */
export const enum W {
  /** the `Op` */ Op = 0,
  /** dst register times 2: the index of its low half in the register file */ Dst = 1,
  /** src register times 2 */ Src = 2,
  /** the signed 16-bit offset */ Off = 3,
  /** the immediate (the low half of a 64-bit one) */ Imm = 4,
  /** the immediate's high half: its sign for a 64-bit K operand, or lddw's second slot */ ImmHi = 5,
  /** a jump's or call's target slot; a memory access's region cache; a sentinel's source */ Aux = 6,
  /** a local call's callee stack depth; a sentinel's target */ Aux2 = 7,
}

/** One operation of the packed program; the name says class, operation and operand. */
export const enum Op {
  // ALU64, immediate operand (sign-extended into W.ImmHi)
  Add64K, Sub64K, Mul64K, Div64K, Sdiv64K, Or64K, And64K, Lsh64K, Rsh64K, Neg64, Mod64K, Smod64K, Xor64K, Mov64K, Arsh64K,
  // ALU64, register operand
  Add64X, Sub64X, Mul64X, Div64X, Sdiv64X, Or64X, And64X, Lsh64X, Rsh64X, Mod64X, Smod64X, Xor64X, Mov64X, Arsh64X,
  Movsx64B, Movsx64H, Movsx64W,
  /** ALU64 END: unconditional byte swaps */
  Bswap16, Bswap32, Bswap64,
  // ALU (32-bit), immediate operand
  Add32K, Sub32K, Mul32K, Div32K, Sdiv32K, Or32K, And32K, Lsh32K, Rsh32K, Neg32, Mod32K, Smod32K, Xor32K, Mov32K, Arsh32K,
  // ALU (32-bit), register operand
  Add32X, Sub32X, Mul32X, Div32X, Sdiv32X, Or32X, And32X, Lsh32X, Rsh32X, Mod32X, Smod32X, Xor32X, Mov32X, Arsh32X,
  Movsx32B, Movsx32H,
  /** ALU END on a little-endian target: to_le truncates, to_be swaps */
  Le16, Le32, Le64, Be16, Be32, Be64,
  // JMP, 64-bit compares
  Jeq64K, Jgt64K, Jge64K, Jset64K, Jne64K, Jsgt64K, Jsge64K, Jlt64K, Jle64K, Jslt64K, Jsle64K,
  Jeq64X, Jgt64X, Jge64X, Jset64X, Jne64X, Jsgt64X, Jsge64X, Jlt64X, Jle64X, Jslt64X, Jsle64X,
  // JMP32, 32-bit compares
  Jeq32K, Jgt32K, Jge32K, Jset32K, Jne32K, Jsgt32K, Jsge32K, Jlt32K, Jle32K, Jslt32K, Jsle32K,
  Jeq32X, Jgt32X, Jge32X, Jset32X, Jne32X, Jsgt32X, Jsge32X, Jlt32X, Jle32X, Jslt32X, Jsle32X,
  /** ja and gotol: the target is precomputed either way */
  Ja,
  CallHelper, CallLocal, TailCall, Exit, MayGoto,
  // loads of immediates and packet data
  Lddw, LdAbsB, LdAbsH, LdAbsW, LdIndB, LdIndH, LdIndW,
  // memory
  LdxB, LdxH, LdxW, LdxDW, LdsxB, LdsxH, LdsxW,
  StB, StH, StW, StDW, StxB, StxH, StxW, StxDW,
  // atomics
  Add32A, Or32A, And32A, Xor32A, FetchAdd32A, FetchOr32A, FetchAnd32A, FetchXor32A, Xchg32A, Cmpxchg32A,
  Add64A, Or64A, And64A, Xor64A, FetchAdd64A, FetchOr64A, FetchAnd64A, FetchXor64A, Xchg64A, Cmpxchg64A,
  LoadAcqB, LoadAcqH, LoadAcqW, LoadAcqDW, StoreRelB, StoreRelH, StoreRelW, StoreRelDW,
  // superinstructions: sequences compilers emit for `p + n > data_end`, fused at load
  /** `rd = rs; rd += imm` (imm in W.Imm/W.ImmHi) */ MovAdd64,
  /** `rd = rs; rd += rt` (rt in W.Off) */ MovAdd64X,
  /** `rd = rs; rd += imm; if rd > rc goto` (rc in W.Off, the target in W.Aux) */ MovAddJgt,
  /** the same with >= */ MovAddJge,
  /** the same with < */ MovAddJlt,
  /** the same with <= */ MovAddJle,
  // faults, each explained by the program's `notes`
  /** an encoding the runtime cannot execute */ Invalid,
  /** a 64-bit load whose pseudo source no loader resolved */ Unresolved,
  /** the second slot of a 64-bit load, reached */ SecondSlot,
  /** sentinel: a jump or call whose target is not an instruction */ BadTarget,
  /** sentinel after the last slot: the program ran off its end */ FellOff,
}

/** Access width in bytes of each memory operation, for fault messages. */
export function accessSize(op: Op): number {
  switch (op) {
    case Op.LdxB: case Op.LdsxB: case Op.StB: case Op.StxB: case Op.LoadAcqB: case Op.StoreRelB: case Op.LdAbsB: case Op.LdIndB: return 1;
    case Op.LdxH: case Op.LdsxH: case Op.StH: case Op.StxH: case Op.LoadAcqH: case Op.StoreRelH: case Op.LdAbsH: case Op.LdIndH: return 2;
    case Op.LdxDW: case Op.StDW: case Op.StxDW: case Op.LoadAcqDW: case Op.StoreRelDW: return 8;
    default: return op >= Op.Add64A && op <= Op.Cmpxchg64A ? 8 : 4;
  }
}

/** MAX_BPF_STACK: the stack of a whole call chain. */
export const MAX_BPF_STACK = 512;

/** MAX_CALL_FRAMES: the main program and up to seven nested local calls. */
export const MAX_CALL_FRAMES = 8;
/** MAX_TAIL_CALL_CNT: tail calls one run may make. */
export const MAX_TAIL_CALL_CNT = 33;
/** BPF_MAX_LOOPS: a frame's may_goto countdown, after which the jump is taken. */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/** Words of a saved frame: return slot, r6-r9 (8 words), r10, may_goto count, spare. */
const FRAME = 12;

/** A program another can tail-call into. */
export interface TailCallTarget {
  readonly compiled: CompiledProgram;
}

/** A `BPF_MAP_TYPE_PROG_ARRAY` as the interpreter sees one. */
export interface ProgramArray {
  readonly maxEntries: number;
  program(index: number): TailCallTarget | undefined;
}

/** Finds the program array a tail call's r2 names; the map issue provides it. */
export type ProgramArrayResolver = (map: bigint) => ProgramArray | undefined;

/**
 * The machine state of runs: registers, saved frames, the stack region, and what the
 * current run set up. A runtime keeps one and reuses it, so a run allocates nothing.
 */
export class Machine implements HelperEnv {
  readonly R = new Int32Array(22);
  readonly frames = new Int32Array(MAX_CALL_FRAMES * FRAME);
  readonly frameProgs: CompiledProgram[] = new Array(MAX_CALL_FRAMES);
  readonly args: HelperArgs;
  readonly stack: Region;
  /** The slot of the current helper call, for helper faults. */
  pc = 0;
  /** Instructions the last run executed (complete when it returned normally). */
  executed = 0;
  /** Stop after this many instructions (checked mode); Infinity for none. */
  budget = Infinity;
  /** Tail calls made by the current run. */
  tailCalls = 0;
  /** Frames below the current one (0 in the main program). */
  depth = 0;
  /** The current frame's may_goto countdown. */
  loops = BPF_MAX_LOOPS;
  run: RunInfo = { programType: "raw", ctx: undefined, packet: undefined, data: 0 };
  /** The packet bytes LD_ABS and LD_IND read: `[packetStart, packetEnd)`. */
  packetStart = 0;
  packetEnd = 0;
  /**
   * The MAC header of an skb run (its network header ETH_HLEN past it), which LD_ABS/LD_IND
   * with SKF_LL_OFF/SKF_NET_OFF offsets read from; -1 for a run without one (raw).
   */
  packetMac = -1;
  programArray: ProgramArrayResolver | undefined;
  /** The program being run, for helper faults. */
  current: CompiledProgram | undefined;

  constructor(readonly space: AddressSpace, readonly helpers: HelperRegistry) {
    this.args = new RegisterArgs(this.R);
    this.stack = space.alloc({ name: "stack", kind: "stack", size: MAX_BPF_STACK, perm: 3 });
  }

  /** Top of the stack: frame 0's r10. */
  get stackTop(): number { return this.stack.base + MAX_BPF_STACK; }

  callback(fn: bigint, args: readonly bigint[]): bigint {
    return invokeCallback(this, fn, args);
  }

  bytes(addr: number, size: number, access: "read" | "write"): Uint8Array {
    if (!Number.isInteger(addr) || this.space.check(addr, size, access === "write") === 0) {
      const prog = this.current;
      throw new MemoryFault(this.pc, describeInsn(prog?.insnAt[this.pc]), {
        address: BigInt.asUintN(64, BigInt(Number.isInteger(addr) ? addr : 0)), size, access, space: this.space,
      });
    }
    return new Uint8Array(this.space.memory.buffer, addr, size);
  }
}

function insnText(prog: CompiledProgram, pc: number): string {
  return describeInsn(prog.insnAt[pc]);
}

/**
 * The slow path of a load or store: finds a region allowing the access and caches it in
 * the instruction, or raises the fault. Returns nothing: the caller's address stands.
 */
function miss(m: Machine, prog: CompiledProgram, pc: number, lo: number, hi: number, off: number, size: number, access: AccessKind): void {
  const addr = (hi === 0 && lo >= 0) ? lo + off : -1;
  const id = addr >= GUARD_SIZE ? m.space.check(addr, size, access !== "read") : 0;
  if (id === 0) {
    const full = BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo >>> 0)) + BigInt(off));
    throw new MemoryFault(pc, insnText(prog, pc), { address: full, size, access, space: m.space });
  }
  prog.code[(pc << SHIFT) + W.Aux] = id;
}

/** Raises the fault of a fault op or sentinel at `pc` (the JIT raises the same). */
export function fault(prog: CompiledProgram, pc: number): never {
  const code = prog.code;
  const i = pc << SHIFT;
  switch (code[i + W.Op]) {
    case Op.BadTarget: {
      const from = code[i + W.Aux]!, target = code[i + W.Aux2]!;
      const inside = target >= 0 && target < prog.slots;
      throw new JumpFault(from, insnText(prog, from), target,
        inside ? `jump to slot ${target}, the middle of a 64-bit load` : `jump out of range: slot ${target} of a ${prog.slots}-slot program`);
    }
    case Op.FellOff: {
      let last = prog.slots - 1;
      if (last > 0 && prog.insnAt[last] === undefined) last--;
      throw new JumpFault(last, insnText(prog, last), prog.slots, "ran off the end of the program (no exit)");
    }
    case Op.SecondSlot:
      throw new JumpFault(pc, "second slot of lddw", pc, "jumped into the middle of a 64-bit load");
    case Op.Unresolved:
      throw new InvalidInstructionFault(pc, insnText(prog, pc), prog.notes.get(pc) ?? "unresolved 64-bit load");
    default:
      throw new InvalidInstructionFault(pc, insnText(prog, pc), `invalid instruction: ${prog.notes.get(pc) ?? `unknown op ${code[i]}`}`);
  }
}

/** Calls helper `id` with r1-r5 from `m.R`, leaving r0 there (the JIT calls helpers so too). */
export function callHelper(m: Machine, prog: CompiledProgram, pc: number, id: number): void {
  const fn = m.helpers.table[id];
  if (fn === undefined) throw new CallFault(pc, insnText(prog, pc), `invalid func unknown#${id}`);
  m.pc = pc;
  m.current = prog;
  let ret;
  try {
    ret = fn(m.args, m);
  } catch (e) {
    if (e instanceof ExecutionError) throw e;
    const name = m.helpers.get(id)?.name ?? `#${id}`;
    throw new HelperError(pc, insnText(prog, pc), `helper ${name} failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  setPair(m.R, 0, ret);
}

/** Resolves a tail call: the target program, or undefined to fall through (as the kernel). */
function tailCallTarget(m: Machine): CompiledProgram | undefined {
  const R = m.R;
  const map = (BigInt(R[5]! >>> 0) << 32n) | BigInt(R[4]! >>> 0);
  const array = m.programArray?.(map);
  if (!array) return undefined;
  const index = R[6]! >>> 0;
  if (index >= array.maxEntries) return undefined;
  if (m.tailCalls >= MAX_TAIL_CALL_CNT) return undefined;
  m.tailCalls++; // counted before the slot is read, as the kernel does
  return array.program(index)?.compiled;
}

/** SKF_NET_OFF, SKF_LL_OFF (include/uapi/linux/filter.h); ETH_HLEN */
const SKF_NET_OFF = -0x100000, SKF_LL_OFF = -0x200000, ETH_HLEN = 14;

/**
 * The address a legacy packet load at a negative offset reads, as the kernel's
 * bpf_internal_load_pointer_neg_helper resolves it: from the network header at SKF_NET_OFF,
 * the MAC header at SKF_LL_OFF; -1 below SKF_LL_OFF or without an skb.
 */
export function negativeLoad(mac: number, offset: number): number {
  if (mac < 0 || offset < SKF_LL_OFF) return -1;
  return offset >= SKF_NET_OFF ? mac + ETH_HLEN + (offset - SKF_NET_OFF) : mac + (offset - SKF_LL_OFF);
}

/**
 * Runs `prog` from slot 0 with the registers as the caller set them (r1 and, for raw
 * runs, r2; r10 is set here). Leaves r0 in `m.R[0..1]`.
 */
export function execute(m: Machine, entry: CompiledProgram, start = 0, nested = false): void {
  // Only what nearly every instruction needs lives in locals; the rest (call depth,
  // may_goto count, frames) stays on the machine, so the loop keeps fewer values live.
  const R = m.R;
  const space = m.space;
  let prog = entry;
  let code = prog.code;
  let view = space.view;
  let RLO = space.readLo, RHI = space.readHi, WLO = space.writeLo, WHI = space.writeHi;
  const budget = m.budget;
  let pc = start;
  let runStart = start;
  let executed = 0;
  // A nested run (a callback, see invokeCallback) returns at the exit of the frame it starts in.
  const base = nested ? m.depth : 0;
  if (!nested) {
    m.depth = 0;
    m.loops = BPF_MAX_LOOPS;
    m.tailCalls = 0;
    m.frameProgs[0] = prog;
    m.current = prog;
    R[20] = m.stackTop;
    R[21] = 0;
    if (m.stackTop - prog.stackDepths[0]! < m.stack.base) throw new CallFault(0, insnText(prog, 0), "stack too deep");
  }

  for (;;) {
    const i = pc << SHIFT;
    let t: boolean;
    switch (code[i]) {
      // ---- ALU64, immediate ----
      case Op.Add64K: {
        const d = code[i + W.Dst]!, a = R[d]!, b = code[i + W.Imm]!;
        const lo = (a + b) | 0;
        R[d] = lo;
        R[d + 1] = (R[d + 1]! + code[i + W.ImmHi]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        pc++; continue;
      }
      case Op.Sub64K: {
        const d = code[i + W.Dst]!, a = R[d]!, b = code[i + W.Imm]!;
        R[d] = (a - b) | 0;
        R[d + 1] = (R[d + 1]! - code[i + W.ImmHi]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
        pc++; continue;
      }
      case Op.Mul64K: {
        const d = code[i + W.Dst]!, al = R[d]!, bl = code[i + W.Imm]!;
        R[d + 1] = (mulHiU32(al, bl) + Math.imul(al, code[i + W.ImmHi]!) + Math.imul(R[d + 1]!, bl)) | 0;
        R[d] = Math.imul(al, bl);
        pc++; continue;
      }
      case Op.Div64K: divmod64(R, code[i + W.Dst]!, code[i + W.Imm]!, code[i + W.ImmHi]!, DivKind.Udiv); pc++; continue;
      case Op.Sdiv64K: divmod64(R, code[i + W.Dst]!, code[i + W.Imm]!, code[i + W.ImmHi]!, DivKind.Sdiv); pc++; continue;
      case Op.Mod64K: divmod64(R, code[i + W.Dst]!, code[i + W.Imm]!, code[i + W.ImmHi]!, DivKind.Umod); pc++; continue;
      case Op.Smod64K: divmod64(R, code[i + W.Dst]!, code[i + W.Imm]!, code[i + W.ImmHi]!, DivKind.Smod); pc++; continue;
      case Op.Or64K: { const d = code[i + W.Dst]!; R[d] |= code[i + W.Imm]!; R[d + 1] |= code[i + W.ImmHi]!; pc++; continue; }
      case Op.And64K: { const d = code[i + W.Dst]!; R[d] &= code[i + W.Imm]!; R[d + 1] &= code[i + W.ImmHi]!; pc++; continue; }
      case Op.Xor64K: { const d = code[i + W.Dst]!; R[d] ^= code[i + W.Imm]!; R[d + 1] ^= code[i + W.ImmHi]!; pc++; continue; }
      case Op.Mov64K: { const d = code[i + W.Dst]!; R[d] = code[i + W.Imm]!; R[d + 1] = code[i + W.ImmHi]!; pc++; continue; }
      case Op.Lsh64K: lsh64(R, code[i + W.Dst]!, code[i + W.Imm]!); pc++; continue;
      case Op.Rsh64K: rsh64(R, code[i + W.Dst]!, code[i + W.Imm]!); pc++; continue;
      case Op.Arsh64K: arsh64(R, code[i + W.Dst]!, code[i + W.Imm]!); pc++; continue;
      case Op.Neg64: {
        const d = code[i + W.Dst]!, lo = R[d]!;
        R[d] = -lo | 0;
        R[d + 1] = (~R[d + 1]! + (lo === 0 ? 1 : 0)) | 0;
        pc++; continue;
      }
      // ---- ALU64, register ----
      case Op.Add64X: {
        const d = code[i + W.Dst]!, s = code[i + W.Src]!, a = R[d]!;
        const lo = (a + R[s]!) | 0;
        R[d + 1] = (R[d + 1]! + R[s + 1]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        R[d] = lo;
        pc++; continue;
      }
      case Op.Sub64X: {
        const d = code[i + W.Dst]!, s = code[i + W.Src]!, a = R[d]!, b = R[s]!;
        R[d + 1] = (R[d + 1]! - R[s + 1]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
        R[d] = (a - b) | 0;
        pc++; continue;
      }
      case Op.Mul64X: {
        const d = code[i + W.Dst]!, s = code[i + W.Src]!, al = R[d]!, bl = R[s]!;
        R[d + 1] = (mulHiU32(al, bl) + Math.imul(al, R[s + 1]!) + Math.imul(R[d + 1]!, bl)) | 0;
        R[d] = Math.imul(al, bl);
        pc++; continue;
      }
      case Op.Div64X: { const s = code[i + W.Src]!; divmod64(R, code[i + W.Dst]!, R[s]!, R[s + 1]!, DivKind.Udiv); pc++; continue; }
      case Op.Sdiv64X: { const s = code[i + W.Src]!; divmod64(R, code[i + W.Dst]!, R[s]!, R[s + 1]!, DivKind.Sdiv); pc++; continue; }
      case Op.Mod64X: { const s = code[i + W.Src]!; divmod64(R, code[i + W.Dst]!, R[s]!, R[s + 1]!, DivKind.Umod); pc++; continue; }
      case Op.Smod64X: { const s = code[i + W.Src]!; divmod64(R, code[i + W.Dst]!, R[s]!, R[s + 1]!, DivKind.Smod); pc++; continue; }
      case Op.Or64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; R[d] |= R[s]!; R[d + 1] |= R[s + 1]!; pc++; continue; }
      case Op.And64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; R[d] &= R[s]!; R[d + 1] &= R[s + 1]!; pc++; continue; }
      case Op.Xor64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; R[d] ^= R[s]!; R[d + 1] ^= R[s + 1]!; pc++; continue; }
      case Op.Mov64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; R[d] = R[s]!; R[d + 1] = R[s + 1]!; pc++; continue; }
      case Op.Lsh64X: lsh64(R, code[i + W.Dst]!, R[code[i + W.Src]!]! & 63); pc++; continue;
      case Op.Rsh64X: rsh64(R, code[i + W.Dst]!, R[code[i + W.Src]!]! & 63); pc++; continue;
      case Op.Arsh64X: arsh64(R, code[i + W.Dst]!, R[code[i + W.Src]!]! & 63); pc++; continue;
      case Op.Movsx64B: { const d = code[i + W.Dst]!, v = (R[code[i + W.Src]!]! << 24) >> 24; R[d] = v; R[d + 1] = v >> 31; pc++; continue; }
      case Op.Movsx64H: { const d = code[i + W.Dst]!, v = (R[code[i + W.Src]!]! << 16) >> 16; R[d] = v; R[d + 1] = v >> 31; pc++; continue; }
      case Op.Movsx64W: { const d = code[i + W.Dst]!, v = R[code[i + W.Src]!]!; R[d] = v; R[d + 1] = v >> 31; pc++; continue; }
      case Op.Bswap16: { const d = code[i + W.Dst]!, v = R[d]!; R[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff); R[d + 1] = 0; pc++; continue; }
      case Op.Bswap32: { const d = code[i + W.Dst]!; R[d] = bswap32(R[d]!); R[d + 1] = 0; pc++; continue; }
      case Op.Bswap64: { const d = code[i + W.Dst]!, lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); pc++; continue; }
      // ---- ALU, immediate: results zero-extended ----
      case Op.Add32K: { const d = code[i + W.Dst]!; R[d] = (R[d]! + code[i + W.Imm]!) | 0; R[d + 1] = 0; pc++; continue; }
      case Op.Sub32K: { const d = code[i + W.Dst]!; R[d] = (R[d]! - code[i + W.Imm]!) | 0; R[d + 1] = 0; pc++; continue; }
      case Op.Mul32K: { const d = code[i + W.Dst]!; R[d] = Math.imul(R[d]!, code[i + W.Imm]!); R[d + 1] = 0; pc++; continue; }
      case Op.Div32K: { const d = code[i + W.Dst]!; R[d] = udiv32(R[d]!, code[i + W.Imm]!); R[d + 1] = 0; pc++; continue; }
      case Op.Sdiv32K: { const d = code[i + W.Dst]!; R[d] = sdiv32(R[d]!, code[i + W.Imm]!); R[d + 1] = 0; pc++; continue; }
      case Op.Mod32K: { const d = code[i + W.Dst]!; R[d] = umod32(R[d]!, code[i + W.Imm]!); R[d + 1] = 0; pc++; continue; }
      case Op.Smod32K: { const d = code[i + W.Dst]!; R[d] = smod32(R[d]!, code[i + W.Imm]!); R[d + 1] = 0; pc++; continue; }
      case Op.Or32K: { const d = code[i + W.Dst]!; R[d] |= code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.And32K: { const d = code[i + W.Dst]!; R[d] &= code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Xor32K: { const d = code[i + W.Dst]!; R[d] ^= code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Mov32K: { const d = code[i + W.Dst]!; R[d] = code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Lsh32K: { const d = code[i + W.Dst]!; R[d] <<= code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Rsh32K: { const d = code[i + W.Dst]!; R[d] = R[d]! >>> code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Arsh32K: { const d = code[i + W.Dst]!; R[d] >>= code[i + W.Imm]!; R[d + 1] = 0; pc++; continue; }
      case Op.Neg32: { const d = code[i + W.Dst]!; R[d] = -R[d]! | 0; R[d + 1] = 0; pc++; continue; }
      // ---- ALU, register ----
      case Op.Add32X: { const d = code[i + W.Dst]!; R[d] = (R[d]! + R[code[i + W.Src]!]!) | 0; R[d + 1] = 0; pc++; continue; }
      case Op.Sub32X: { const d = code[i + W.Dst]!; R[d] = (R[d]! - R[code[i + W.Src]!]!) | 0; R[d + 1] = 0; pc++; continue; }
      case Op.Mul32X: { const d = code[i + W.Dst]!; R[d] = Math.imul(R[d]!, R[code[i + W.Src]!]!); R[d + 1] = 0; pc++; continue; }
      case Op.Div32X: { const d = code[i + W.Dst]!; R[d] = udiv32(R[d]!, R[code[i + W.Src]!]!); R[d + 1] = 0; pc++; continue; }
      case Op.Sdiv32X: { const d = code[i + W.Dst]!; R[d] = sdiv32(R[d]!, R[code[i + W.Src]!]!); R[d + 1] = 0; pc++; continue; }
      case Op.Mod32X: { const d = code[i + W.Dst]!; R[d] = umod32(R[d]!, R[code[i + W.Src]!]!); R[d + 1] = 0; pc++; continue; }
      case Op.Smod32X: { const d = code[i + W.Dst]!; R[d] = smod32(R[d]!, R[code[i + W.Src]!]!); R[d + 1] = 0; pc++; continue; }
      case Op.Or32X: { const d = code[i + W.Dst]!; R[d] |= R[code[i + W.Src]!]!; R[d + 1] = 0; pc++; continue; }
      case Op.And32X: { const d = code[i + W.Dst]!; R[d] &= R[code[i + W.Src]!]!; R[d + 1] = 0; pc++; continue; }
      case Op.Xor32X: { const d = code[i + W.Dst]!; R[d] ^= R[code[i + W.Src]!]!; R[d + 1] = 0; pc++; continue; }
      case Op.Mov32X: { const d = code[i + W.Dst]!; R[d] = R[code[i + W.Src]!]!; R[d + 1] = 0; pc++; continue; }
      case Op.Lsh32X: { const d = code[i + W.Dst]!; R[d] <<= R[code[i + W.Src]!]! & 31; R[d + 1] = 0; pc++; continue; }
      case Op.Rsh32X: { const d = code[i + W.Dst]!; R[d] = R[d]! >>> (R[code[i + W.Src]!]! & 31); R[d + 1] = 0; pc++; continue; }
      case Op.Arsh32X: { const d = code[i + W.Dst]!; R[d] >>= R[code[i + W.Src]!]! & 31; R[d + 1] = 0; pc++; continue; }
      case Op.Movsx32B: { const d = code[i + W.Dst]!; R[d] = (R[code[i + W.Src]!]! << 24) >> 24; R[d + 1] = 0; pc++; continue; }
      case Op.Movsx32H: { const d = code[i + W.Dst]!; R[d] = (R[code[i + W.Src]!]! << 16) >> 16; R[d + 1] = 0; pc++; continue; }
      // On a little-endian target to_le only truncates and to_be swaps.
      case Op.Le16: { const d = code[i + W.Dst]!; R[d] &= 0xffff; R[d + 1] = 0; pc++; continue; }
      case Op.Le32: { R[code[i + W.Dst]! + 1] = 0; pc++; continue; }
      case Op.Le64: pc++; continue;
      case Op.Be16: { const d = code[i + W.Dst]!, v = R[d]!; R[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff); R[d + 1] = 0; pc++; continue; }
      case Op.Be32: { const d = code[i + W.Dst]!; R[d] = bswap32(R[d]!); R[d + 1] = 0; pc++; continue; }
      case Op.Be64: { const d = code[i + W.Dst]!, lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); pc++; continue; }

      // ---- conditional jumps: set t, then the shared tail below the switch ----
      case Op.Jeq64K: { const d = code[i + W.Dst]!; t = R[d] === code[i + W.Imm] && R[d + 1] === code[i + W.ImmHi]; break; }
      case Op.Jne64K: { const d = code[i + W.Dst]!; t = R[d] !== code[i + W.Imm] || R[d + 1] !== code[i + W.ImmHi]; break; }
      case Op.Jset64K: { const d = code[i + W.Dst]!; t = ((R[d]! & code[i + W.Imm]!) | (R[d + 1]! & code[i + W.ImmHi]!)) !== 0; break; }
      case Op.Jgt64K: { const d = code[i + W.Dst]!; t = ucmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) > 0; break; }
      case Op.Jge64K: { const d = code[i + W.Dst]!; t = ucmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) >= 0; break; }
      case Op.Jlt64K: { const d = code[i + W.Dst]!; t = ucmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) < 0; break; }
      case Op.Jle64K: { const d = code[i + W.Dst]!; t = ucmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) <= 0; break; }
      case Op.Jsgt64K: { const d = code[i + W.Dst]!; t = scmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) > 0; break; }
      case Op.Jsge64K: { const d = code[i + W.Dst]!; t = scmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) >= 0; break; }
      case Op.Jslt64K: { const d = code[i + W.Dst]!; t = scmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) < 0; break; }
      case Op.Jsle64K: { const d = code[i + W.Dst]!; t = scmp64(R[d]!, R[d + 1]!, code[i + W.Imm]!, code[i + W.ImmHi]!) <= 0; break; }
      case Op.Jeq64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = R[d] === R[s] && R[d + 1] === R[s + 1]; break; }
      case Op.Jne64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = R[d] !== R[s] || R[d + 1] !== R[s + 1]; break; }
      case Op.Jset64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = ((R[d]! & R[s]!) | (R[d + 1]! & R[s + 1]!)) !== 0; break; }
      case Op.Jgt64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = ucmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) > 0; break; }
      case Op.Jge64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = ucmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) >= 0; break; }
      case Op.Jlt64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = ucmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) < 0; break; }
      case Op.Jle64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = ucmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) <= 0; break; }
      case Op.Jsgt64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = scmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) > 0; break; }
      case Op.Jsge64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = scmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) >= 0; break; }
      case Op.Jslt64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = scmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) < 0; break; }
      case Op.Jsle64X: { const d = code[i + W.Dst]!, s = code[i + W.Src]!; t = scmp64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) <= 0; break; }
      case Op.Jeq32K: t = R[code[i + W.Dst]!] === code[i + W.Imm]; break;
      case Op.Jne32K: t = R[code[i + W.Dst]!] !== code[i + W.Imm]; break;
      case Op.Jset32K: t = (R[code[i + W.Dst]!]! & code[i + W.Imm]!) !== 0; break;
      case Op.Jgt32K: t = R[code[i + W.Dst]!]! >>> 0 > code[i + W.Imm]! >>> 0; break;
      case Op.Jge32K: t = R[code[i + W.Dst]!]! >>> 0 >= code[i + W.Imm]! >>> 0; break;
      case Op.Jlt32K: t = R[code[i + W.Dst]!]! >>> 0 < code[i + W.Imm]! >>> 0; break;
      case Op.Jle32K: t = R[code[i + W.Dst]!]! >>> 0 <= code[i + W.Imm]! >>> 0; break;
      case Op.Jsgt32K: t = R[code[i + W.Dst]!]! > code[i + W.Imm]!; break;
      case Op.Jsge32K: t = R[code[i + W.Dst]!]! >= code[i + W.Imm]!; break;
      case Op.Jslt32K: t = R[code[i + W.Dst]!]! < code[i + W.Imm]!; break;
      case Op.Jsle32K: t = R[code[i + W.Dst]!]! <= code[i + W.Imm]!; break;
      case Op.Jeq32X: t = R[code[i + W.Dst]!] === R[code[i + W.Src]!]; break;
      case Op.Jne32X: t = R[code[i + W.Dst]!] !== R[code[i + W.Src]!]; break;
      case Op.Jset32X: t = (R[code[i + W.Dst]!]! & R[code[i + W.Src]!]!) !== 0; break;
      case Op.Jgt32X: t = R[code[i + W.Dst]!]! >>> 0 > R[code[i + W.Src]!]! >>> 0; break;
      case Op.Jge32X: t = R[code[i + W.Dst]!]! >>> 0 >= R[code[i + W.Src]!]! >>> 0; break;
      case Op.Jlt32X: t = R[code[i + W.Dst]!]! >>> 0 < R[code[i + W.Src]!]! >>> 0; break;
      case Op.Jle32X: t = R[code[i + W.Dst]!]! >>> 0 <= R[code[i + W.Src]!]! >>> 0; break;
      case Op.Jsgt32X: t = R[code[i + W.Dst]!]! > R[code[i + W.Src]!]!; break;
      case Op.Jsge32X: t = R[code[i + W.Dst]!]! >= R[code[i + W.Src]!]!; break;
      case Op.Jslt32X: t = R[code[i + W.Dst]!]! < R[code[i + W.Src]!]!; break;
      case Op.Jsle32X: t = R[code[i + W.Dst]!]! <= R[code[i + W.Src]!]!; break;
      case Op.Ja: t = true; break;
      case Op.MayGoto:
        if (m.loops === 0) { t = true; break; }
        m.loops--; pc++; continue;

      // ---- superinstructions ----
      case Op.MovAdd64: {
        const d = code[i + W.Dst]!, a = R[code[i + W.Src]!]!, ah = R[code[i + W.Src]! + 1]!;
        const lo = (a + code[i + W.Imm]!) | 0;
        R[d] = lo;
        R[d + 1] = (ah + code[i + W.ImmHi]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        pc += 2; continue;
      }
      case Op.MovAdd64X: {
        const d = code[i + W.Dst]!, s = code[i + W.Src]!, t = code[i + W.Off]!, a = R[s]!;
        const lo = (a + R[t]!) | 0;
        R[d + 1] = (R[s + 1]! + R[t + 1]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        R[d] = lo;
        pc += 2; continue;
      }
      case Op.MovAddJgt: case Op.MovAddJge: case Op.MovAddJlt: case Op.MovAddJle: {
        const d = code[i + W.Dst]!, a = R[code[i + W.Src]!]!, ah = R[code[i + W.Src]! + 1]!;
        const lo = (a + code[i + W.Imm]!) | 0;
        const hi = (ah + code[i + W.ImmHi]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        R[d] = lo;
        R[d + 1] = hi;
        const c = code[i + W.Off]!;
        const cmp = ucmp64(lo, hi, R[c]!, R[c + 1]!);
        const op = code[i]!;
        if (op === Op.MovAddJgt ? cmp > 0 : op === Op.MovAddJge ? cmp >= 0 : op === Op.MovAddJlt ? cmp < 0 : cmp <= 0) {
          executed += pc + 3 - runStart;
          pc = runStart = code[i + W.Aux]!;
          if (executed > budget) { m.executed = executed; throw new BudgetExhaustedError(pc, insnText(prog, pc), budget); }
        } else {
          pc += 3;
        }
        continue;
      }

      // ---- calls and exit ----
      case Op.CallHelper:
        callHelper(m, prog, pc, code[i + W.Imm]!);
        // A helper may have grown the memory or added regions: take fresh views.
        view = space.view;
        RLO = space.readLo; RHI = space.readHi; WLO = space.writeLo; WHI = space.writeHi;
        pc++; continue;
      case Op.TailCall: {
        const next = tailCallTarget(m);
        if (next === undefined) { pc++; continue; }
        if (R[20]! - next.stackDepths[0]! < m.stack.base) throw new CallFault(pc, insnText(prog, pc), `tail call target needs ${next.stackDepths[0]} stack bytes, only ${R[20]! - m.stack.base} are left`);
        executed += pc - runStart + 1;
        prog = next; code = prog.code; m.frameProgs[m.depth] = prog;
        pc = runStart = 0; m.loops = BPF_MAX_LOOPS;
        if (executed > budget) throw new BudgetExhaustedError(pc, insnText(prog, pc), budget);
        continue;
      }
      case Op.CallLocal: {
        enter(m, prog, pc);
        executed += pc - runStart + 1;
        pc = runStart = code[i + W.Aux]!;
        if (executed > budget) throw new BudgetExhaustedError(pc, insnText(prog, pc), budget);
        continue;
      }
      case Op.Exit: {
        executed += pc - runStart + 1;
        if (m.depth === base) { m.executed = executed; return; }
        pc = runStart = leave(m);
        prog = m.frameProgs[m.depth]!;
        code = prog.code;
        continue;
      }

      // ---- immediates and legacy packet loads ----
      case Op.Lddw: { const d = code[i + W.Dst]!; R[d] = code[i + W.Imm]!; R[d + 1] = code[i + W.ImmHi]!; pc += 2; continue; }
      case Op.LdAbsB: case Op.LdAbsH: case Op.LdAbsW:
      case Op.LdIndB: case Op.LdIndH: case Op.LdIndW: {
        const op = code[i]!;
        const size = accessSize(op);
        const o = op >= Op.LdIndB ? (R[code[i + W.Src]!]! + code[i + W.Imm]!) | 0 : code[i + W.Imm]!;
        const at = o >= 0 ? m.packetStart + o : negativeLoad(m.packetMac, o);
        if (at < 0 || at + size > m.packetEnd) {
          // As the kernel's rewrite of these loads: out of bounds ends the program with r0 = 0.
          executed += pc - runStart + 1;
          R[0] = R[1] = 0;
          m.executed = executed;
          return;
        }
        R[0] = size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at, false) : view.getInt32(at, false);
        R[1] = 0;
        pc++; continue;
      }

      // ---- loads ----
      case Op.LdxB: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 1 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 1, "read");
        const d = code[i + W.Dst]!; R[d] = view.getUint8(a); R[d + 1] = 0;
        pc++; continue;
      }
      case Op.LdxH: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 2 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 2, "read");
        const d = code[i + W.Dst]!; R[d] = view.getUint16(a, true); R[d + 1] = 0;
        pc++; continue;
      }
      case Op.LdxW: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 4 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 4, "read");
        const d = code[i + W.Dst]!; R[d] = view.getInt32(a, true); R[d + 1] = 0;
        pc++; continue;
      }
      case Op.LdxDW: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 8 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 8, "read");
        const d = code[i + W.Dst]!; R[d] = view.getInt32(a, true); R[d + 1] = view.getInt32(a + 4, true);
        pc++; continue;
      }
      case Op.LdsxB: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 1 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 1, "read");
        const d = code[i + W.Dst]!, v = view.getInt8(a); R[d] = v; R[d + 1] = v >> 31;
        pc++; continue;
      }
      case Op.LdsxH: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 2 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 2, "read");
        const d = code[i + W.Dst]!, v = view.getInt16(a, true); R[d] = v; R[d + 1] = v >> 31;
        pc++; continue;
      }
      case Op.LdsxW: {
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + 4 > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, 4, "read");
        const d = code[i + W.Dst]!, v = view.getInt32(a, true); R[d] = v; R[d + 1] = v >> 31;
        pc++; continue;
      }

      // ---- stores ----
      case Op.StB: case Op.StxB: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 1 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 1, "write");
        view.setUint8(a, code[i] === Op.StB ? code[i + W.Imm]! : R[code[i + W.Src]!]!);
        pc++; continue;
      }
      case Op.StH: case Op.StxH: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 2 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 2, "write");
        view.setUint16(a, code[i] === Op.StH ? code[i + W.Imm]! : R[code[i + W.Src]!]!, true);
        pc++; continue;
      }
      case Op.StW: case Op.StxW: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 4 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 4, "write");
        view.setInt32(a, code[i] === Op.StW ? code[i + W.Imm]! : R[code[i + W.Src]!]!, true);
        pc++; continue;
      }
      case Op.StDW: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 8 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 8, "write");
        view.setInt32(a, code[i + W.Imm]!, true);
        view.setInt32(a + 4, code[i + W.ImmHi]!, true);
        pc++; continue;
      }
      case Op.StxDW: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 8 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 8, "write");
        const s = code[i + W.Src]!;
        view.setInt32(a, R[s]!, true);
        view.setInt32(a + 4, R[s + 1]!, true);
        pc++; continue;
      }

      // ---- atomics (one thread: a plain read-modify-write is atomic) ----
      case Op.Add32A: case Op.Or32A: case Op.And32A: case Op.Xor32A:
      case Op.FetchAdd32A: case Op.FetchOr32A: case Op.FetchAnd32A: case Op.FetchXor32A:
      case Op.Xchg32A: case Op.Cmpxchg32A: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 4 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 4, "atomic");
        atomic32(R, view, a, code[i]!, code[i + W.Src]!);
        pc++; continue;
      }
      case Op.Add64A: case Op.Or64A: case Op.And64A: case Op.Xor64A:
      case Op.FetchAdd64A: case Op.FetchOr64A: case Op.FetchAnd64A: case Op.FetchXor64A:
      case Op.Xchg64A: case Op.Cmpxchg64A: {
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + 8 > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, 8, "atomic");
        atomic64(R, view, a, code[i]!, code[i + W.Src]!);
        pc++; continue;
      }
      case Op.LoadAcqB: case Op.LoadAcqH: case Op.LoadAcqW: case Op.LoadAcqDW: {
        const op = code[i]!, size = accessSize(op);
        const s = code[i + W.Src]!, a = R[s]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[s + 1] !== 0 || a < RLO[c]! || a + size > RHI[c]!) miss(m, prog, pc, R[s]!, R[s + 1]!, code[i + W.Off]!, size, "read");
        const d = code[i + W.Dst]!;
        R[d] = size === 1 ? view.getUint8(a) : size === 2 ? view.getUint16(a, true) : view.getInt32(a, true);
        R[d + 1] = size === 8 ? view.getInt32(a + 4, true) : 0;
        pc++; continue;
      }
      case Op.StoreRelB: case Op.StoreRelH: case Op.StoreRelW: case Op.StoreRelDW: {
        const op = code[i]!, size = accessSize(op);
        const b = code[i + W.Dst]!, a = R[b]! + code[i + W.Off]!, c = code[i + W.Aux]!;
        if (R[b + 1] !== 0 || a < WLO[c]! || a + size > WHI[c]!) miss(m, prog, pc, R[b]!, R[b + 1]!, code[i + W.Off]!, size, "write");
        const s = code[i + W.Src]!;
        if (size === 1) view.setUint8(a, R[s]!);
        else if (size === 2) view.setUint16(a, R[s]!, true);
        else view.setInt32(a, R[s]!, true);
        if (size === 8) view.setInt32(a + 4, R[s + 1]!, true);
        pc++; continue;
      }
      default:
        m.executed = executed + pc - runStart;
        fault(prog, pc);
    }
    // The taken-or-not tail of every conditional jump and ja.
    if (t) {
      executed += pc - runStart + 1;
      pc = runStart = code[i + W.Aux]!;
      if (executed > budget) { m.executed = executed; throw new BudgetExhaustedError(pc, insnText(prog, pc), budget); }
    } else {
      pc++;
    }
  }
}

// ---- out-of-line pieces, kept small so the loop above stays one optimisable function ----

/**
 * BPF_PSEUDO_FUNC loads (a callback's address, for bpf_loop and the like) give the program
 * this tag in the high half and the callback's first slot in the low half: not an address,
 * so a load or store through it faults, but what `invokeCallback` takes.
 */
export const CALLBACK_TAG = 0x46554e43; // "FUNC"

/** The value a BPF_PSEUDO_FUNC load of the subprogram at `slot` gives. */
export const callbackValue = (slot: number): bigint => (BigInt(CALLBACK_TAG) << 32n) | BigInt(slot);

/**
 * The runtime's re-entry point for helpers that call back into the program (bpf_loop,
 * bpf_for_each_map_elem, timers): runs the callback `fn` (a BPF_PSEUDO_FUNC value of the
 * program that made the current helper call) in a new frame below the caller's, with r1-r5
 * = `args`, and returns its r0. The caller's registers, frames and may_goto count are as
 * they were afterwards; the callback counts against the call depth and the 512-byte stack.
 */
export function invokeCallback(m: Machine, fn: bigint, args: readonly bigint[]): bigint {
  const prog = m.current;
  const pc = m.pc;
  if (!prog) throw new CallFault(pc, "call", "a callback outside a run");
  const slot = Number(BigInt.asUintN(32, fn));
  const sub = prog.subprograms.indexOf(slot);
  if (fn >> 32n !== BigInt(CALLBACK_TAG) || sub < 0) {
    throw new CallFault(pc, insnText(prog, pc), `0x${BigInt.asUintN(64, fn).toString(16)} is not a callback of this program`);
  }
  const R = m.R;
  let caller = 0;
  while (caller + 1 < prog.subprograms.length && prog.subprograms[caller + 1]! <= pc) caller++;
  const top = R[20]! - prog.stackDepths[caller]!;
  if (m.depth + 1 >= MAX_CALL_FRAMES) throw new CallFault(pc, insnText(prog, pc), `the call stack of ${m.depth + 2} frames is too deep`);
  if (top - prog.stackDepths[sub]! < m.stack.base) {
    throw new CallFault(pc, insnText(prog, pc), `combined stack size of ${m.stackTop - top + prog.stackDepths[sub]!} bytes exceeds ${MAX_BPF_STACK}`);
  }
  const saved = R.slice();
  const depth = m.depth, loops = m.loops;
  m.depth = depth + 1;
  m.frameProgs[m.depth] = prog;
  m.loops = BPF_MAX_LOOPS;
  for (let r = 1; r <= 5; r++) {
    const v = BigInt.asUintN(64, args[r - 1] ?? 0n);
    R[r * 2] = Number(v & 0xffffffffn) | 0;
    R[r * 2 + 1] = Number(v >> 32n) | 0;
  }
  R[20] = top;
  R[21] = 0;
  try {
    execute(m, prog, slot, true);
    return pairToBigInt(R[0]!, R[1]!);
  } finally {
    R.set(saved);
    m.depth = depth;
    m.loops = loops;
    m.pc = pc;
    m.current = prog;
    m.frameProgs[depth] = prog;
  }
}

/** A local call from `pc`: checks depth and stack, saves the caller's frame, sets r10. */
function enter(m: Machine, prog: CompiledProgram, pc: number): void {
  const R = m.R, code = prog.code, i = pc << SHIFT, depth = m.depth;
  if (depth + 1 >= MAX_CALL_FRAMES) throw new CallFault(pc, insnText(prog, pc), `the call stack of ${depth + 2} frames is too deep`);
  const top = R[20]! - code[i + W.ImmHi]!;
  if (top - code[i + W.Aux2]! < m.stack.base) {
    throw new CallFault(pc, insnText(prog, pc), `combined stack size of ${m.stackTop - top + code[i + W.Aux2]!} bytes exceeds ${MAX_BPF_STACK}`);
  }
  const frames = m.frames, f = depth * FRAME;
  frames[f] = pc + 1;
  for (let k = 0; k < 8; k++) frames[f + 1 + k] = R[12 + k]!;
  frames[f + 9] = R[20]!;
  frames[f + 10] = m.loops;
  m.depth = depth + 1;
  m.frameProgs[depth + 1] = prog;
  R[20] = top;
  m.loops = BPF_MAX_LOOPS;
}

/** Returns from a local call: restores the caller's frame, gives its return slot. */
function leave(m: Machine): number {
  const R = m.R, frames = m.frames;
  const depth = --m.depth;
  const f = depth * FRAME;
  for (let k = 0; k < 8; k++) R[12 + k] = frames[f + 1 + k]!;
  R[20] = frames[f + 9]!;
  m.loops = frames[f + 10]!;
  return frames[f]!;
}

function ucmp64(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return (ah >>> 0) > (bh >>> 0) ? 1 : -1;
  return al === bl ? 0 : (al >>> 0) > (bl >>> 0) ? 1 : -1;
}

function scmp64(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah > bh ? 1 : -1;
  return al === bl ? 0 : (al >>> 0) > (bl >>> 0) ? 1 : -1;
}

function lsh64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const lo = R[d]!;
  if (n < 32) { R[d + 1] = (R[d + 1]! << n) | (lo >>> (32 - n)); R[d] = lo << n; }
  else { R[d + 1] = lo << (n - 32); R[d] = 0; }
}

function rsh64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const hi = R[d + 1]!;
  if (n < 32) { R[d] = (R[d]! >>> n) | (hi << (32 - n)); R[d + 1] = hi >>> n; }
  else { R[d] = hi >>> (n - 32); R[d + 1] = 0; }
}

function arsh64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const hi = R[d + 1]!;
  if (n < 32) { R[d] = (R[d]! >>> n) | (hi << (32 - n)); R[d + 1] = hi >> n; }
  else { R[d] = hi >> (n - 32); R[d + 1] = hi >> 31; }
}

// 32-bit division by RFC 9669: x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : ((a >>> 0) / (b >>> 0)) | 0;
}
function umod32(a: number, b: number): number {
  return b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
}
function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (b === -1) return -a | 0;
  return (a / b) | 0;
}
function smod32(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return a % b | 0;
}

function atomic32(R: Int32Array, view: DataView, a: number, op: number, s: number): void {
  const old = view.getInt32(a, true), v = R[s]!;
  switch (op) {
    case Op.Add32A: view.setInt32(a, (old + v) | 0, true); return;
    case Op.Or32A: view.setInt32(a, old | v, true); return;
    case Op.And32A: view.setInt32(a, old & v, true); return;
    case Op.Xor32A: view.setInt32(a, old ^ v, true); return;
    case Op.FetchAdd32A: view.setInt32(a, (old + v) | 0, true); break;
    case Op.FetchOr32A: view.setInt32(a, old | v, true); break;
    case Op.FetchAnd32A: view.setInt32(a, old & v, true); break;
    case Op.FetchXor32A: view.setInt32(a, old ^ v, true); break;
    case Op.Xchg32A: view.setInt32(a, v, true); break;
    case Op.Cmpxchg32A:
      // Compares with the low half of r0, and loads the old value into r0 zero-extended.
      if (old === R[0]) view.setInt32(a, v, true);
      R[0] = old; R[1] = 0;
      return;
  }
  R[s] = old; R[s + 1] = 0;
}

function atomic64(R: Int32Array, view: DataView, a: number, op: number, s: number): void {
  const ol = view.getInt32(a, true), oh = view.getInt32(a + 4, true);
  const vl = R[s]!, vh = R[s + 1]!;
  let nl = ol, nh = oh;
  switch (op) {
    case Op.Add64A: case Op.FetchAdd64A: {
      nl = (ol + vl) | 0;
      nh = (oh + vh + ((nl >>> 0) < (ol >>> 0) ? 1 : 0)) | 0;
      break;
    }
    case Op.Or64A: case Op.FetchOr64A: nl = ol | vl; nh = oh | vh; break;
    case Op.And64A: case Op.FetchAnd64A: nl = ol & vl; nh = oh & vh; break;
    case Op.Xor64A: case Op.FetchXor64A: nl = ol ^ vl; nh = oh ^ vh; break;
    case Op.Xchg64A: nl = vl; nh = vh; break;
    case Op.Cmpxchg64A:
      if (ol === R[0] && oh === R[1]) { view.setInt32(a, vl, true); view.setInt32(a + 4, vh, true); }
      R[0] = ol; R[1] = oh;
      return;
  }
  view.setInt32(a, nl, true);
  view.setInt32(a + 4, nh, true);
  if (op >= Op.FetchAdd64A) { R[s] = ol; R[s + 1] = oh; }
}


