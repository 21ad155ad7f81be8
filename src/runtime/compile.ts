/**
 * @fileoverview Lowers decoded instructions, once at load, to the packed form the
 * interpreter runs: an Int32Array of 8 words per slot (see `W`) with a dense `Op`, the
 * register indices doubled, immediates pre-extended and every jump target resolved to
 * an absolute slot. Whatever cannot run becomes a fault op, so the hot loop never
 * decodes and never meets an instruction it does not know; a jump to a slot that is
 * not an instruction lands on a sentinel slot appended after the program.
 */

import { type Instruction, LDDW, slotsOf } from "../isa/instruction.js";
import { validateInstruction } from "../isa/validate.js";
import { callbackValue, MAX_BPF_STACK, Op, STRIDE, SHIFT, W } from "./interpreter.js";

/** BPF_PSEUDO_FUNC: a 64-bit load of a callback's address, pc-relative in imm. */
const PSEUDO_FUNC = 4;

export interface CompileOptions {
  /** Check every instruction against the ISA table (unused fields zero and so on). */
  readonly validate?: boolean;
  /**
   * Resolves a 64-bit load whose source is a pseudo kind (`PseudoLd.MapValue`...) to the
   * value the program sees, an address in the runtime's space for maps and globals.
   * Undefined leaves it unresolved: the instruction faults if it runs.
   */
  readonly resolveLoad?: (insn: Instruction, slot: number) => bigint | number | undefined;
  /**
   * Stack bytes each subprogram uses, by its first slot, as a verifier computes them.
   * Missing entries are estimated from the program's stack accesses.
   */
  readonly stackDepths?: ReadonlyMap<number, number>;
  /**
   * Slots of loads a verifier proved to read inside the packet, [data, data_end), on
   * every path (its `packetLoads`): the JIT compiles them without a bounds check. Only
   * fast (verified) runs take it; Runtime.load drops it in checked mode.
   */
  readonly packetLoads?: ReadonlySet<number>;
}

/** A program in the interpreter's form, plus what fault messages need. */
export interface CompiledProgram {
  readonly code: Int32Array;
  /** Length of the program in slots; the packed form has sentinels beyond it. */
  readonly slots: number;
  readonly insns: readonly Instruction[];
  /** The instruction starting at each slot (undefined for a second slot). */
  readonly insnAt: readonly (Instruction | undefined)[];
  /** Why a fault op faults, by slot. */
  readonly notes: ReadonlyMap<number, string>;
  /** First slot of each subprogram: 0, then every local call's target, ascending. */
  readonly subprograms: readonly number[];
  /** Stack bytes of each subprogram, in `subprograms` order, rounded up to 8. */
  readonly stackDepths: readonly number[];
  /** CompileOptions.packetLoads, when given. */
  readonly packetLoads?: ReadonlySet<number>;
}

const ALU_NAMES = ["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor", "mov", "arsh", "end"];
const ALU64_K = [Op.Add64K, Op.Sub64K, Op.Mul64K, Op.Div64K, Op.Or64K, Op.And64K, Op.Lsh64K, Op.Rsh64K, Op.Neg64, Op.Mod64K, Op.Xor64K, Op.Mov64K, Op.Arsh64K];
const ALU64_X = [Op.Add64X, Op.Sub64X, Op.Mul64X, Op.Div64X, Op.Or64X, Op.And64X, Op.Lsh64X, Op.Rsh64X, -1, Op.Mod64X, Op.Xor64X, Op.Mov64X, Op.Arsh64X];
const ALU32_K = [Op.Add32K, Op.Sub32K, Op.Mul32K, Op.Div32K, Op.Or32K, Op.And32K, Op.Lsh32K, Op.Rsh32K, Op.Neg32, Op.Mod32K, Op.Xor32K, Op.Mov32K, Op.Arsh32K];
const ALU32_X = [Op.Add32X, Op.Sub32X, Op.Mul32X, Op.Div32X, Op.Or32X, Op.And32X, Op.Lsh32X, Op.Rsh32X, -1, Op.Mod32X, Op.Xor32X, Op.Mov32X, Op.Arsh32X];
/** Conditional jumps by (opcode >> 4), as an index from Jeq: -1 for the others. */
const COND = [-1, 0, 1, 2, 3, 4, 5, 6, -1, -1, 7, 8, 9, 10, -1, -1];
const ATOMIC_W = new Map<number, Op>([
  [0x00, Op.Add32A], [0x40, Op.Or32A], [0x50, Op.And32A], [0xa0, Op.Xor32A],
  [0x01, Op.FetchAdd32A], [0x41, Op.FetchOr32A], [0x51, Op.FetchAnd32A], [0xa1, Op.FetchXor32A],
  [0xe1, Op.Xchg32A], [0xf1, Op.Cmpxchg32A],
]);
const SIZE_INDEX: Record<number, number> = { 0x10: 0, 0x08: 1, 0x00: 2, 0x18: 3 }; // B, H, W, DW

/** BPF_FUNC_tail_call: not a helper but a jump into another program. */
export const TAIL_CALL_HELPER = 12;

type Lowered = { op: Op; reason?: string; writesDst?: boolean; writesSrc?: boolean; usesSrc?: boolean };

/** The dense op of one instruction, or Invalid with a reason. */
function lower(insn: Instruction): Lowered {
  const { opcode, off, imm, src } = insn;
  const cls = opcode & 7;
  const code = opcode >> 4;
  const x = (opcode & 8) !== 0;
  const bad = (reason: string): Lowered => ({ op: Op.Invalid, reason });
  switch (cls) {
    case 0x07: // ALU64
    case 0x04: { // ALU
      const is64 = cls === 0x07;
      if (code === 0xd) {
        if (imm !== 16 && imm !== 32 && imm !== 64) return bad(`invalid byte swap width ${imm}`);
        const w = imm === 16 ? 0 : imm === 32 ? 1 : 2;
        if (is64) return x ? bad("ALU64 END uses reserved fields (source bit)") : { op: Op.Bswap16 + w, writesDst: true };
        return { op: (x ? Op.Be16 : Op.Le16) + w, writesDst: true };
      }
      if (code > 0xc) return bad(`unknown ${is64 ? "ALU64" : "ALU"} operation 0x${(code << 4).toString(16)}`);
      let op = (is64 ? (x ? ALU64_X : ALU64_K) : (x ? ALU32_X : ALU32_K))[code]!;
      if (op < 0) return bad("BPF_NEG uses reserved fields (source bit)");
      const name = ALU_NAMES[code]!;
      if (code === 0x3 || code === 0x9) { // div, mod: offset 1 is signed
        if (off === 1) op += 1;
        else if (off !== 0) return bad(`BPF_${name.toUpperCase()} uses reserved fields (off ${off})`);
      } else if (code === 0xb && x && off !== 0) { // movsx
        if (is64 && off === 1) return bad("addr_space_cast is not supported by the interpreter");
        const w = off === 8 ? 0 : off === 16 ? 1 : off === 32 && is64 ? 2 : -1;
        if (w < 0) return bad(`BPF_MOV uses reserved fields (off ${off})`);
        op = (is64 ? Op.Movsx64B : Op.Movsx32B) + w;
      } else if (code === 0xb && !x && off !== 0) {
        return bad(`BPF_MOV uses reserved fields (off ${off})`);
      }
      return { op, writesDst: true, usesSrc: x };
    }
    case 0x05: // JMP
    case 0x06: { // JMP32
      const is64 = cls === 0x05;
      const c = COND[code]!;
      if (c >= 0) {
        return { op: (is64 ? (x ? Op.Jeq64X : Op.Jeq64K) : (x ? Op.Jeq32X : Op.Jeq32K)) + c, usesSrc: x };
      }
      if (x) return bad(`unknown ${is64 ? "JMP" : "JMP32"} opcode 0x${opcode.toString(16)}`);
      if (code === 0x0) return { op: Op.Ja };
      if (!is64) return bad(`unknown JMP32 opcode 0x${opcode.toString(16)}`);
      if (code === 0x8) {
        if (src === 0) return { op: imm === TAIL_CALL_HELPER ? Op.TailCall : Op.CallHelper };
        if (src === 1) return { op: Op.CallLocal };
        if (src === 2) return bad(`kfunc calls are not supported (btf id ${imm})`);
        return bad(`BPF_CALL uses reserved fields (src ${src})`);
      }
      if (code === 0x9) return { op: Op.Exit };
      if (code === 0xe) return src === 0 ? { op: Op.MayGoto } : bad(`unknown JCOND source ${src}`);
      return bad(`unknown JMP opcode 0x${opcode.toString(16)}`);
    }
    case 0x00: { // LD
      if (opcode === LDDW) return { op: Op.Lddw, writesDst: true };
      const mode = opcode & 0xe0, size = SIZE_INDEX[opcode & 0x18]!;
      if ((mode === 0x20 || mode === 0x40) && size < 3) {
        return { op: (mode === 0x20 ? Op.LdAbsB : Op.LdIndB) + size, usesSrc: mode === 0x40 };
      }
      return bad(`unknown LD opcode 0x${opcode.toString(16)}`);
    }
    case 0x01: { // LDX
      const mode = opcode & 0xe0, size = SIZE_INDEX[opcode & 0x18]!;
      if (mode === 0x60) return { op: Op.LdxB + size, writesDst: true, usesSrc: true };
      if (mode === 0x80 && size < 3) return { op: Op.LdsxB + size, writesDst: true, usesSrc: true };
      return bad(`unknown LDX opcode 0x${opcode.toString(16)}`);
    }
    case 0x02: { // ST
      const size = SIZE_INDEX[opcode & 0x18]!;
      if ((opcode & 0xe0) === 0x60) return { op: Op.StB + size };
      return bad(`unknown ST opcode 0x${opcode.toString(16)}`);
    }
    case 0x03: { // STX
      const mode = opcode & 0xe0, size = SIZE_INDEX[opcode & 0x18]!;
      if (mode === 0x60) return { op: Op.StxB + size, usesSrc: true };
      if (mode !== 0xc0) return bad(`unknown STX opcode 0x${opcode.toString(16)}`);
      if (imm === 0x100) return { op: Op.LoadAcqB + size, writesDst: true, usesSrc: true };
      if (imm === 0x110) return { op: Op.StoreRelB + size, usesSrc: true };
      const a = size >= 2 ? ATOMIC_W.get(imm) : undefined;
      if (a === undefined) return bad(`BPF_ATOMIC uses invalid atomic opcode 0x${(imm >>> 0).toString(16)} for code ${opcode.toString(16)}`);
      const fetch = (imm & 1) !== 0;
      return { op: size === 3 ? a + (Op.Add64A - Op.Add32A) : a, usesSrc: true, writesSrc: fetch && imm !== 0xf1 };
    }
  }
  return bad(`unknown opcode 0x${opcode.toString(16)}`);
}


export function compile(insns: readonly Instruction[], options: CompileOptions = {}): CompiledProgram {
  const starts: number[] = [];
  const insnAt: (Instruction | undefined)[] = [];
  let slots = 0;
  for (const i of insns) {
    starts.push(slots);
    insnAt[slots] = i;
    if (slotsOf(i) === 2) insnAt[slots + 1] = undefined;
    slots += slotsOf(i);
  }
  const isStart = (t: number) => t >= 0 && t < slots && insnAt[t] !== undefined;
  const notes = new Map<number, string>();
  const sentinels: { from: number; target: number }[] = [];
  const words = new Int32Array((slots + 1) * STRIDE);
  const fields: Lowered[] = [];

  // Subprograms first: a local call's frame sizes depend on them.
  const subs = new Set<number>([0]);
  insns.forEach((i, k) => {
    // Local calls and callbacks (BPF_PSEUDO_FUNC loads) start subprograms.
    if ((i.opcode === 0x85 && i.src === 1) || (i.opcode === LDDW && i.src === PSEUDO_FUNC)) {
      const t = starts[k]! + i.imm + 1;
      if (isStart(t)) subs.add(t);
    }
  });
  const subprograms = [...subs].sort((a, b) => a - b);
  const stackDepths = subprograms.map((s, k) => {
    const given = options.stackDepths?.get(s);
    const d = given ?? estimateDepth(insns, starts, s, subprograms[k + 1] ?? slots);
    return Math.min(MAX_BPF_STACK, Math.ceil(Math.max(d, 0) / 8) * 8);
  });
  const subOf = (slot: number) => {
    let k = 0;
    while (k + 1 < subprograms.length && subprograms[k + 1]! <= slot) k++;
    return k;
  };

  insns.forEach((insn, k) => {
    const pc = starts[k]!;
    const at = pc << SHIFT;
    let l: Lowered | undefined;
    if (options.validate) {
      // The ISA table's verdict first: its messages are the kernel's.
      try {
        validateInstruction(insn, pc);
      } catch (e) {
        l = { op: Op.Invalid, reason: (e as Error & { reason?: string }).reason ?? (e as Error).message };
      }
    }
    l ??= lower(insn);
    if (l.op !== Op.Invalid) {
      const regs = l.op === Op.CallHelper || l.op === Op.TailCall || l.op === Op.CallLocal || l.op === Op.Exit || l.op === Op.Ja || l.op === Op.MayGoto;
      if (!regs && insn.dst > 10) l = { op: Op.Invalid, reason: `R${insn.dst} is invalid` };
      else if (l.usesSrc && insn.src > 10) l = { op: Op.Invalid, reason: `R${insn.src} is invalid` };
      else if ((l.writesDst && insn.dst === 10) || (l.writesSrc && insn.src === 10)) l = { op: Op.Invalid, reason: "frame pointer is read only" };
    }
    fields[k] = l;
    words[at + W.Op] = l.op;
    words[at + W.Dst] = (insn.dst & 0xf) * 2;
    words[at + W.Src] = (insn.src & 0xf) * 2;
    words[at + W.Off] = insn.off;
    words[at + W.Imm] = insn.imm;
    words[at + W.ImmHi] = insn.imm >> 31;
    if (l.reason) notes.set(pc, l.reason);

    const jumpTo = (target: number) => {
      if (isStart(target)) {
        words[at + W.Aux] = target;
      } else {
        // Every bad target gets its own sentinel, which knows where the jump came from.
        words[at + W.Aux] = slots + 1 + sentinels.length;
        sentinels.push({ from: pc, target });
      }
    };
    switch (l.op) {
      case Op.Lddw: {
        const v = resolveLddw(insn, pc, options);
        if (typeof v === "string") {
          words[at + W.Op] = Op.Unresolved;
          notes.set(pc, v);
        } else {
          const u = BigInt.asUintN(64, v);
          words[at + W.Imm] = Number(u & 0xffffffffn) | 0;
          words[at + W.ImmHi] = Number(u >> 32n) | 0;
        }
        words[((pc + 1) << SHIFT) + W.Op] = Op.SecondSlot;
        break;
      }
      case Op.Ja:
        jumpTo(insn.opcode === 0x06 ? pc + insn.imm + 1 : pc + insn.off + 1);
        break;
      case Op.MayGoto:
        jumpTo(pc + insn.off + 1);
        break;
      case Op.CallLocal: {
        const target = pc + insn.imm + 1;
        jumpTo(target);
        words[at + W.ImmHi] = stackDepths[subOf(pc)]!;
        words[at + W.Aux2] = isStart(target) ? stackDepths[subOf(target)]! : 0;
        break;
      }
      case Op.Lsh64K: case Op.Rsh64K: case Op.Arsh64K:
        words[at + W.Imm] = insn.imm & 63;
        break;
      case Op.Lsh32K: case Op.Rsh32K: case Op.Arsh32K:
        words[at + W.Imm] = insn.imm & 31;
        break;
      default:
        if (l.op >= Op.Jeq64K && l.op <= Op.Jsle32X) jumpTo(pc + insn.off + 1);
        break;
    }
  });

  fuse(words, slots);

  // Sentinels: one after the end (falling off), then one per bad target.
  const code = new Int32Array((slots + 1 + sentinels.length) * STRIDE);
  code.set(words);
  code[(slots << SHIFT) + W.Op] = Op.FellOff;
  sentinels.forEach((s, k) => {
    const at = (slots + 1 + k) << SHIFT;
    code[at + W.Op] = Op.BadTarget;
    code[at + W.Aux] = s.from;
    code[at + W.Aux2] = s.target;
  });
  return { code, slots, insns, insnAt, notes, subprograms, stackDepths, ...(options.packetLoads ? { packetLoads: options.packetLoads } : {}) };
}

function resolveLddw(insn: Instruction, pc: number, options: CompileOptions): bigint | string {
  const imm64 = insn.imm64 ?? BigInt(insn.imm >>> 0);
  if (insn.src === 0) return imm64;
  const v = options.resolveLoad?.(insn, pc) ?? (insn.src === PSEUDO_FUNC ? callbackValue(pc + insn.imm + 1) : undefined);
  if (v === undefined) {
    const kinds = ["imm", "map fd", "map value", "btf id", "func", "map idx", "map idx value"];
    return `unresolved 64-bit load of ${kinds[insn.src] ?? `pseudo source ${insn.src}`} ${insn.imm} (no loader resolved it)`;
  }
  return BigInt(v);
}

/**
 * How deep a subprogram reaches below its r10: the lowest fixed offset of its stack
 * accesses, following r10 through copies and constant adds (`r2 = r10; r2 += -8`),
 * also when such a pointer goes to a helper. A verifier knows better; its numbers win.
 */
function estimateDepth(insns: readonly Instruction[], starts: readonly number[], from: number, to: number): number {
  const fp = new Map<number, number>();
  let depth = 0;
  const touch = (base: number, off: number) => {
    const at = base === 10 ? off : fp.has(base) ? fp.get(base)! + off : undefined;
    if (at !== undefined && at < 0) depth = Math.max(depth, -at);
  };
  insns.forEach((i, k) => {
    const s = starts[k]!;
    if (s < from || s >= to) return;
    const cls = i.opcode & 7, mode = i.opcode & 0xe0;
    if (i.opcode === 0xbf && i.off === 0) { // r = r
      if (i.src === 10) fp.set(i.dst, 0);
      else if (fp.has(i.src)) fp.set(i.dst, fp.get(i.src)!);
      else fp.delete(i.dst);
      return;
    }
    if ((i.opcode === 0x07 || i.opcode === 0x17) && fp.has(i.dst)) { // r += imm, r -= imm
      fp.set(i.dst, fp.get(i.dst)! + (i.opcode === 0x07 ? i.imm : -i.imm));
      touch(i.dst, 0);
      return;
    }
    if (cls === 0x01) { touch(i.src, i.off); fp.delete(i.dst); return; }
    if (cls === 0x02 || (cls === 0x03 && mode === 0x60)) { touch(i.dst, i.off); return; }
    if (cls === 0x03 && mode === 0xc0) {
      if (i.imm === 0x100) { touch(i.src, i.off); fp.delete(i.dst); }
      else { touch(i.dst, i.off); if (i.imm & 1) fp.delete(i.imm === 0xf1 ? 0 : i.src); }
      return;
    }
    if (i.opcode === 0x85) {
      for (let r = 1; r <= 5; r++) touch(r, 0);
      for (let r = 0; r <= 5; r++) fp.delete(r);
      return;
    }
    if (cls === 0x04 || cls === 0x07 || i.opcode === LDDW) fp.delete(i.dst);
    if (cls === 0x00 && i.opcode !== LDDW) fp.delete(0);
  });
  return depth;
}

/**
 * Fuses the sequences compilers emit for a bounds check (`r = p; r += n; if r > end`)
 * into one op, so the hot loop dispatches once for them. The first slot gets the fused
 * op; the others keep theirs, and nothing jumps into the middle of a fused sequence.
 */
function fuse(words: Int32Array, slots: number): void {
  const targeted = new Uint8Array(slots + 1);
  for (let pc = 0; pc < slots; pc++) {
    const op = words[(pc << SHIFT) + W.Op]!;
    if ((op >= Op.Jeq64K && op <= Op.Ja) || op === Op.MayGoto || op === Op.CallLocal) {
      const t = words[(pc << SHIFT) + W.Aux]!;
      if (t < slots) targeted[t] = 1;
    }
  }
  const at = (pc: number, w: W) => words[(pc << SHIFT) + w]!;
  const JCC: Partial<Record<number, Op>> = { [Op.Jgt64X]: Op.MovAddJgt, [Op.Jge64X]: Op.MovAddJge, [Op.Jlt64X]: Op.MovAddJlt, [Op.Jle64X]: Op.MovAddJle };
  for (let pc = 0; pc + 1 < slots; pc++) {
    if (at(pc, W.Op) !== Op.Mov64X || targeted[pc + 1]) continue;
    const d = at(pc, W.Dst);
    if (at(pc + 1, W.Dst) !== d) continue;
    const base = pc << SHIFT;
    if (at(pc + 1, W.Op) === Op.Add64X) {
      // rd = rs; rd += rt, where rt is read after the mov (so rt == rd means rs).
      const t = at(pc + 1, W.Src);
      words[base + W.Op] = Op.MovAdd64X;
      words[base + W.Off] = t === d ? at(pc, W.Src) : t;
      continue;
    }
    if (at(pc + 1, W.Op) !== Op.Add64K) continue;
    words[base + W.Imm] = at(pc + 1, W.Imm);
    words[base + W.ImmHi] = at(pc + 1, W.ImmHi);
    const j = pc + 2 < slots && !targeted[pc + 2] ? JCC[at(pc + 2, W.Op)] : undefined;
    if (j !== undefined && at(pc + 2, W.Dst) === d) {
      words[base + W.Op] = j;
      words[base + W.Off] = at(pc + 2, W.Src);
      words[base + W.Aux] = at(pc + 2, W.Aux);
    } else {
      words[base + W.Op] = Op.MovAdd64;
    }
  }
}
