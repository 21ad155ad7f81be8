/**
 * @fileoverview Random programs for differential testing: valid, terminating, and
 * acceptable to the kernel's verifier, so the interpreter (and later the JIT) can be
 * compared with the kernel on each. They use every ALU and ALU64 operation (signed
 * division and movsx included), forward JMP and JMP32 branches, counted loops, stack
 * loads, stores and atomics, loads and stores in the memory block, and bounded local
 * calls; the epilogue folds every register and stack slot into r0, so r0 and the
 * memory block show everything the program did.
 *
 * What the verifier would reject is avoided by construction: every register and stack
 * slot is written before it is read, constant divisors are nonzero, constant shift
 * counts are in range, r10 is only a base, the memory pointer (r9 in the main program)
 * is never arithmetic, stack accesses and atomics are aligned, and every instruction is
 * reachable.
 */

import { insn, type Instruction } from "../../isa/instruction.js";
import { FORMS } from "../../isa/table.js";

/** A small, fast, seedable generator (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number { return Math.floor((this.u32() / 4294967296) * n); }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

/** Values where arithmetic goes wrong first. */
const EDGE32 = [0, 1, -1, 2, 0x7fffffff, -0x80000000, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 63, 64, 31, 32, 7, -7, 3];

function imm32(r: Rng): number {
  return r.chance(0.6) ? r.pick(EDGE32) : r.u32() | 0;
}

function imm64(r: Rng): bigint {
  const k = r.int(4);
  if (k === 0) return BigInt.asUintN(64, BigInt(imm32(r)));
  if (k === 1) return r.pick([0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffff00000000n, 0x00000000ffffffffn, 0x100000000n, 0xffffffffffffffffn]);
  return (BigInt(r.u32()) << 32n) | BigInt(r.u32());
}

export interface GenerateOptions {
  /** Instructions in the main program's body, roughly. */
  readonly length?: number;
  /** Local subprograms (each may call those after it). */
  readonly subprograms?: number;
  /** Bytes of the memory block r1 points to (0 for none). */
  readonly memory?: number;
  /** Include atomics (BPF_ATOMIC) on the stack and memory. */
  readonly atomics?: boolean;
  /** Include load-acquire and store-release (kernels since 6.15). */
  readonly acquireRelease?: boolean;
  /**
   * Let atomics that load (fetch ops, xchg, cmpxchg, load-acquire) use the stack. Off by
   * default: the kernel's verifier mishandles them there (see genAtomic).
   */
  readonly stackAtomicLoads?: boolean;
}

export interface GeneratedProgram {
  readonly seed: number;
  readonly insns: Instruction[];
  readonly memory: Uint8Array;
}

/** One item of a function under construction; jumps name item indices, fixed up later. */
type Item = { insn: Instruction; jumpTo?: number; callTo?: number };

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const SIZES = [[0x10, 1], [0x08, 2], [0x00, 4], [0x18, 8]] as const;
const ATOMIC = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];

interface FnPlan {
  readonly index: number;
  readonly slots: number;
  /** Registers that hold scalars and may be written. */
  readonly regs: readonly number[];
  /** The memory pointer register, or -1. */
  readonly memReg: number;
}

/** Generates the program for `seed`; the same seed always gives the same program. */
export function generateProgram(seed: number, options: GenerateOptions = {}): GeneratedProgram {
  const r = new Rng(seed);
  const memLen = options.memory ?? (r.chance(0.5) ? 8 + r.int(57) : 0);
  const subCount = options.subprograms ?? r.int(4);
  const length = options.length ?? 20 + r.int(60);
  const atomics = options.atomics ?? true;
  const acqRel = options.acquireRelease ?? true;
  const stackLoads = options.stackAtomicLoads ?? false;
  const memory = new Uint8Array(memLen);
  for (let i = 0; i < memLen; i++) memory[i] = r.u32() & 0xff;

  const fns: Item[][] = [];
  for (let f = 0; f <= subCount; f++) {
    const main = f === 0;
    const plan: FnPlan = {
      index: f,
      slots: main ? 1 + r.int(8) : 1 + r.int(4),
      regs: main && memLen > 0 ? [0, 1, 2, 3, 4, 5, 6, 7, 8] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      memReg: main && memLen > 0 ? 9 : -1,
    };
    fns.push(genFunction(r, plan, main ? length : 5 + r.int(20), subCount, memLen, atomics, acqRel, stackLoads));
  }

  // Lay the functions out and turn item indices into slot offsets.
  const starts: number[] = [];
  const slotOf: number[][] = [];
  let slot = 0;
  for (const items of fns) {
    starts.push(slot);
    const s: number[] = [];
    for (const it of items) { s.push(slot); slot += it.insn.opcode === 0x18 ? 2 : 1; }
    s.push(slot);
    slotOf.push(s);
  }
  const out: Instruction[] = [];
  fns.forEach((items, f) => {
    items.forEach((it, k) => {
      const here = slotOf[f]![k]!;
      const i = it.insn;
      if (it.jumpTo !== undefined) {
        const delta = slotOf[f]![it.jumpTo]! - here - 1;
        out.push(i.opcode === 0x06 ? insn(i.opcode, i.dst, i.src, 0, delta) : insn(i.opcode, i.dst, i.src, delta, i.imm));
      } else if (it.callTo !== undefined) {
        out.push(insn(0x85, 0, 1, 0, starts[it.callTo]! - here - 1));
      } else {
        out.push(i);
      }
    });
  });
  return { seed, insns: out, memory };
}

function genFunction(r: Rng, plan: FnPlan, length: number, subCount: number, memLen: number, atomics: boolean, acqRel: boolean, stackLoads: boolean): Item[] {
  const items: Item[] = [];
  const emit = (i: Instruction, extra: Partial<Item> = {}) => { items.push({ insn: i, ...extra }); };
  const main = plan.index === 0;
  const regs = plan.regs;
  const reg = () => r.pick(regs);
  const slotOff = (size: number) => -8 * (1 + r.int(plan.slots)) + size * r.int(8 / size);

  // Prologue: the memory pointer first, then every register and slot gets a value.
  if (plan.memReg >= 0) emit(insn(0xbf, plan.memReg, 1, 0, 0));
  const initRegs = main ? regs : regs.filter((x) => x === 0 || x >= 6);
  const initReg = (d: number) => {
    if (r.chance(0.3)) emit(insn(0x18, d, 0, 0, imm64(r)));
    else emit(insn(r.chance(0.5) ? 0xb7 : 0xb4, d, 0, 0, imm32(r)));
  };
  for (const d of initRegs) initReg(d);
  for (let s = 1; s <= plan.slots; s++) {
    if (r.chance(0.5)) emit(insn(0x7a, 10, 0, -8 * s, imm32(r)));
    else emit(insn(0x7b, 10, reg(), -8 * s, 0));
  }

  // Every subprogram must be reachable (the kernel rejects dead code): each calls the next.
  const call = (to: number) => {
    emit(insn(0x85, 0, 1, 0, 0), { callTo: to });
    for (const d of [1, 2, 3, 4, 5]) if (regs.includes(d)) initReg(d);
  };
  if (plan.index < subCount) call(plan.index + 1);

  // Body: pending forward jumps are closed at random later points.
  const pending: number[] = [];
  let branches = 0;
  for (let n = 0; n < length; n++) {
    // Close some pending jumps here: their target is the next item.
    for (let k = pending.length - 1; k >= 0; k--) {
      if (r.chance(0.3)) { items[pending[k]!]!.jumpTo = items.length; pending.splice(k, 1); }
    }
    const what = r.int(100);
    if (what < 45) {
      genAlu(r, emit, reg, regs);
    } else if (what < 55) {
      const [sz, bytes] = r.pick(SIZES);
      if (r.chance(0.5)) emit(insn(0x02 | 0x60 | sz, 10, 0, slotOff(bytes), imm32(r)));
      else emit(insn(0x03 | 0x60 | sz, 10, reg(), slotOff(bytes), 0));
    } else if (what < 63) {
      const [sz, bytes] = r.pick(SIZES);
      const sx = bytes < 8 && r.chance(0.3);
      emit(insn((sx ? 0x81 : 0x61) | sz, reg(), 10, slotOff(bytes), 0));
    } else if (what < 70 && plan.memReg >= 0) {
      const [sz, bytes] = r.pick(SIZES);
      if (bytes > memLen) continue;
      const off = r.int(memLen - bytes + 1);
      const k = r.int(3);
      if (k === 0) emit(insn(0x61 | sz, reg(), plan.memReg, off, 0));
      else if (k === 1) emit(insn(0x63 | sz, plan.memReg, reg(), off, 0));
      else emit(insn(0x62 | sz, plan.memReg, 0, off, imm32(r)));
    } else if (what < 76 && atomics) {
      genAtomic(r, emit, reg, plan, memLen, acqRel, stackLoads);
    } else if (what < 88 && branches < 8) {
      branches++;
      const jmp32 = r.chance(0.4);
      const op = r.pick(JMP_OPS);
      const x = r.chance(0.5);
      emit(insn((jmp32 ? 0x06 : 0x05) | op | (x ? 0x08 : 0), reg(), x ? reg() : 0, 0, x ? 0 : imm32(r)));
      pending.push(items.length - 1);
    } else if (what < 92 && branches < 8) {
      // if (cond) { a } else { b }, with the else skipped by ja or gotol.
      branches++;
      const x = r.chance(0.5);
      emit(insn(0x05 | r.pick(JMP_OPS) | (x ? 0x08 : 0), reg(), x ? reg() : 0, 0, x ? 0 : imm32(r)));
      const cond = items.length - 1;
      genAlu(r, emit, reg, regs);
      emit(r.chance(0.5) ? insn(0x05, 0, 0, 0, 0) : insn(0x06, 0, 0, 0, 0));
      const skip = items.length - 1;
      items[cond]!.jumpTo = items.length;
      genAlu(r, emit, reg, regs);
      items[skip]!.jumpTo = items.length;
    } else if (what < 95) {
      // A counted loop; its body leaves the counter alone.
      const counter = reg();
      const others = regs.filter((x) => x !== counter);
      emit(insn(0xb7, counter, 0, 0, 1 + r.int(4)));
      const top = items.length;
      const body = 1 + r.int(3);
      for (let k = 0; k < body; k++) genAlu(r, emit, () => r.pick(others), regs);
      emit(insn(0x07, counter, 0, 0, -1));
      emit(insn(0x55, counter, 0, 0, 0), { jumpTo: top });
    } else if (plan.index < subCount) {
      // A call to a later subprogram: r1-r5 are its arguments and are gone afterwards.
      call(plan.index + 1 + r.int(subCount - plan.index));
    }
  }
  const epilogue = items.length;
  for (const p of pending) items[p]!.jumpTo = epilogue;

  // Epilogue: fold every register and slot into r0, so all of them are compared.
  const MIX = 0x01000193;
  for (const d of regs) {
    if (d === 0) continue;
    emit(insn(0x27, 0, 0, 0, MIX)); // r0 *= MIX
    emit(insn(0xaf, 0, d, 0, 0)); // r0 ^= rd
  }
  const tmp = regs.includes(1) ? 1 : regs[1]!;
  for (let s = 1; s <= plan.slots; s++) {
    emit(insn(0x79, tmp, 10, -8 * s, 0));
    emit(insn(0x27, 0, 0, 0, MIX));
    emit(insn(0xaf, 0, tmp, 0, 0));
  }
  emit(insn(0x95, 0, 0, 0, 0));
  return items;
}

function genAlu(r: Rng, emit: (i: Instruction) => void, reg: () => number, regs: readonly number[]): void {
  const is64 = r.chance(0.6);
  const cls = is64 ? 0x07 : 0x04;
  const op = r.pick(ALU_OPS);
  const bits = is64 ? 64 : 32;
  const d = reg();
  const src = r.pick(regs);
  if (op === 0x80) { emit(insn(cls | op, d, 0, 0, 0)); return; } // neg
  if (op === 0xd0) { // byte swaps: to_le/to_be in ALU, bswap in ALU64
    const w = r.pick([16, 32, 64]);
    emit(insn(is64 ? 0xd7 : r.chance(0.5) ? 0xd4 : 0xdc, d, 0, 0, w));
    return;
  }
  const x = r.chance(0.5);
  let off = 0;
  if ((op === 0x30 || op === 0x90) && r.chance(0.5)) off = 1; // sdiv, smod
  if (op === 0xb0 && x && r.chance(0.4)) off = r.pick(is64 ? [8, 16, 32] : [8, 16]); // movsx
  if (x) { emit(insn(cls | op | 0x08, d, src, off, 0)); return; }
  let imm = imm32(r);
  if (op === 0x60 || op === 0x70 || op === 0xc0) imm = r.int(bits); // constant shifts in range
  if ((op === 0x30 || op === 0x90) && imm === 0) imm = 1 + r.int(100); // no constant zero divisor
  emit(insn(cls | op, d, 0, off, imm));
}

/**
 * Atomics that load into a register (BPF_FETCH ops, xchg, cmpxchg, load-acquire) go to
 * the memory block only: on the stack the kernel's verifier (6.18) tracks the loaded
 * value as if the register kept its old one, prunes a path it should explore, and then
 * removes a branch as dead that is not, so the kernel would disagree with the ISA.
 */
function genAtomic(r: Rng, emit: (i: Instruction) => void, reg: () => number, plan: FnPlan, memLen: number, acqRel: boolean, stackLoads: boolean): void {
  if (stackLoads) { legacyAtomic(r, emit, reg, plan, memLen, acqRel); return; }
  const mayLoad = plan.memReg >= 0 && memLen >= 8;
  const inMem = mayLoad && r.chance(0.5);
  const acqOrRel = acqRel && r.chance(0.2);
  const sizes = acqOrRel ? SIZES : SIZES.slice(2);
  const [sz, bytes] = r.pick(sizes);
  let base = 10, off: number;
  if (inMem) {
    if (memLen < bytes) return;
    base = plan.memReg;
    off = bytes * r.int(Math.floor(memLen / bytes)); // aligned, as the verifier wants for atomics
  } else {
    off = -8 * (1 + r.int(plan.slots)) + bytes * r.int(8 / bytes);
  }
  if (acqOrRel) {
    if (inMem && r.chance(0.5)) emit(insn(0xc3 | sz, reg(), base, off, 0x100));
    else emit(insn(0xc3 | sz, base, reg(), off, 0x110));
    return;
  }
  const a = r.pick(inMem ? ATOMIC : ATOMIC.slice(0, 4));
  // cmpxchg reads r0, which is always initialised here.
  emit(insn(0xc3 | sz, base, reg(), off, a));
}

/** The first generator's atomics, anywhere: kept so the seeds that found the kernel bug still do. */
function legacyAtomic(r: Rng, emit: (i: Instruction) => void, reg: () => number, plan: FnPlan, memLen: number, acqRel: boolean): void {
  const inMem = plan.memReg >= 0 && r.chance(0.3);
  const acq = acqRel && r.chance(0.2);
  const sizes = acq ? SIZES : SIZES.slice(2);
  const [sz, bytes] = r.pick(sizes);
  let base = 10, off: number;
  if (inMem) {
    if (memLen < bytes) return;
    base = plan.memReg;
    off = bytes * r.int(Math.floor(memLen / bytes));
  } else {
    off = -8 * (1 + r.int(plan.slots)) + bytes * r.int(8 / bytes);
  }
  if (acq) {
    if (r.chance(0.5)) emit(insn(0xc3 | sz, reg(), base, off, 0x100));
    else emit(insn(0xc3 | sz, base, reg(), off, 0x110));
    return;
  }
  const a = r.pick(ATOMIC);
  emit(insn(0xc3 | sz, base, reg(), off, a));
}

/**
 * Arbitrary bytes as a program, for checked mode: nothing about them is valid, and the
 * runtime must fault cleanly whatever they do. Most slots are drawn from the ISA table's
 * rows with random operands (so execution gets somewhere), the rest are any bytes.
 */
export function randomBytesProgram(seed: number, slots = 1 + (seed % 64)): Uint8Array {
  const r = new Rng(seed ^ 0x5bd1e995);
  const out = new Uint8Array((slots + 1) * 8);
  const view = new DataView(out.buffer);
  out[slots * 8] = 0x95; // an exit at the end, so some of them finish
  for (let i = 0; i < slots * 8; i += 8) {
    let op: number, dst: number, src: number, off: number, imm: number;
    if (r.chance(0.85)) {
      const f = r.chance(0.5) ? r.pick(ALU_FORMS) : r.pick(FORMS);
      op = f.opcode;
      dst = f.dst ? (r.chance(0.95) ? r.int(10) : r.int(16)) : 0;
      src = f.select.src ?? (f.src ? r.int(11) : 0);
      off = f.select.off ?? (f.off ? (r.chance(0.8) ? r.int(32) - 16 : (r.u32() << 16) >> 16) : 0);
      imm = f.select.imm ?? (f.imm ? imm32(r) : 0);
    } else {
      op = r.u32() & 0xff; dst = r.int(16); src = r.int(16); off = (r.u32() << 16) >> 16; imm = r.u32() | 0;
    }
    if (op === 0x18 && i + 8 >= slots * 8) op = 0xb7; // no room for lddw's second slot
    view.setUint8(i, op);
    view.setUint8(i + 1, dst | (src << 4));
    view.setInt16(i + 2, off, true);
    view.setInt32(i + 4, imm, true);
    if (op === 0x18) i += 8; // its second slot stays zero, a valid one
  }
  return out;
}

const ALU_FORMS = FORMS.filter((f) => (f.opcode & 7) === 0x04 || (f.opcode & 7) === 0x07);
