/**
 * @fileoverview The scalar domain against the kernel's verifier: random straight-line
 * socket filters of ALU operations and forward conditional jumps on registers loaded unknown
 * from the context, and a checker that replays the kernel's level-2 log step by step (each
 * instruction from the state the kernel printed before it) and compares every scalar the
 * kernel printed with what scalar.ts computes, on both edges of every branch.
 */

import { insn, slotIndices, type Instruction } from "../../isa/instruction.js";
import { Rng } from "../../runtime/testing/random-program.js";
import {
  branchTaken, formatScalar, scalarFork, refineBranchLikeKernel, refineBranchSelfLikeKernel, S32_MAX, S32_MIN, S64_MAX, S64_MIN, scalarAlu,
  scalarConst, scalarLoad, type AluOp, type JmpOp, type Scalar,
} from "../scalar.js";
import { TNUM_UNKNOWN, U32_MAX, U64_MAX } from "../tnum.js";

/** What the checker needs to know of one instruction slot. */
export type Step =
  | { readonly kind: "alu"; readonly op: AluOp; readonly is64: boolean; readonly dst: number; readonly src?: number; readonly imm: bigint }
  | { readonly kind: "jmp"; readonly op: JmpOp; readonly is32: boolean; readonly dst: number; readonly src?: number; readonly imm: bigint; readonly target: number }
  | { readonly kind: "load"; readonly dst: number; readonly size: 1 | 2 | 4 | 8; readonly signed?: boolean }
  | { readonly kind: "other" };

export interface ScalarProgram {
  readonly instructions: readonly Instruction[];
  /** By slot index. */
  readonly steps: ReadonlyMap<number, Step>;
}

export interface ScalarProgramOptions {
  /** An array map (4-byte key, 8-byte value) whose value the program may load from too. */
  readonly mapFd?: number;
}

/** The registers the programs compute in; r1 stays the context, r10 the frame pointer. */
const REGS = [0, 2, 3, 4, 5, 6, 7, 8, 9];

const ALU_CODE: Record<string, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90,
  xor: 0xa0, mov: 0xb0, arsh: 0xc0, sdiv: 0x30, smod: 0x90, movsx8: 0xb0, movsx16: 0xb0, movsx32: 0xb0,
};
const JMP_CODE: Record<JmpOp, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
const BINARY: AluOp[] = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"];
const JMPS = Object.keys(JMP_CODE) as JmpOp[];
const SWAP_OPS: AluOp[] = ["be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32", "bswap64"];

/** Immediates where bounds go wrong first. */
const EDGES = [0, 1, -1, 2, 3, 7, -7, 8, 15, 16, 31, 32, 63, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x7fffffff, -0x80000000, -2, -0x100, 600, 1000, -1000, 0x1000, 0xfff];

function imm(r: Rng): number {
  const k = r.int(10);
  if (k < 6) return r.pick(EDGES);
  if (k < 8) return r.int(4096) - 2048;
  return r.u32() | 0;
}

/**
 * A random program: each register starts as a context load (8, 16 or 32 bits, or two
 * 32-bit loads combined into 64 unknown bits) or a constant, then `length` random ALU
 * operations and forward jumps, then `r0 = 0; exit`. Copies between registers are followed
 * by an operation on the copy, so no two registers stay linked by an id (the walker's job).
 */
export function generateScalarProgram(r: Rng, length = 24, options: ScalarProgramOptions = {}): ScalarProgram {
  const out: Instruction[] = [];
  const meta: Step[] = [];
  const emit = (i: Instruction, m: Step): void => { out.push(i); meta.push(m); };
  const other: Step = { kind: "other" };
  // With a map, r9 keeps the context and r8 the map value's address across the lookup.
  const usable = options.mapFd === undefined ? REGS : REGS.filter((x) => x !== 8 && x !== 9);
  if (options.mapFd !== undefined) {
    emit(insn(0xbf, 9, 1, 0, 0), other);
    emit(insn(0x62, 10, 0, -4, 0), other);
    emit(insn(0x18, 1, 1, 0, BigInt(options.mapFd)), other);
    emit(insn(0xbf, 2, 10, 0, 0), other);
    emit(insn(0x07, 2, 0, 0, -4), other);
    emit(insn(0x85, 0, 0, 0, 1), other); // bpf_map_lookup_elem
    emit(insn(0x55, 0, 0, 1, 0), other);
    emit(insn(0x95, 0, 0, 0, 0), other);
    emit(insn(0xbf, 8, 0, 0, 0), other);
    emit(insn(0xbf, 1, 9, 0, 0), other);
  }
  const live = usable.filter(() => r.chance(0.7));
  if (live.length < 2) live.push(...usable.slice(0, 2).filter((x) => !live.includes(x)));
  for (const reg of live) {
    const k = r.int(8);
    if (options.mapFd !== undefined && r.chance(0.4)) {
      // From the 8-byte map value: any width, zero- or sign-extended.
      const [opcode, size, signed] = r.pick([[0x71, 1, false], [0x69, 2, false], [0x61, 4, false], [0x79, 8, false],
        [0x91, 1, true], [0x89, 2, true], [0x81, 4, true]] as const);
      emit(insn(opcode, reg, 8, size * r.int(8 / size), 0), { kind: "load", dst: reg, size, signed });
    } else if (k < 3) {
      emit(insn(0x61, reg, 1, 48 + 4 * r.int(5), 0), { kind: "load", dst: reg, size: 4 });
    } else if (k === 3) {
      const size = r.pick([1, 2] as const);
      emit(insn(size === 1 ? 0x71 : 0x69, reg, 1, 48 + 4 * r.int(5), 0), { kind: "load", dst: reg, size });
    } else if (k < 6) {
      // 64 unknown bits: hi << 32 | lo, the low half loaded through r1's neighbour register.
      emit(insn(0x61, reg, 1, 48, 0), { kind: "load", dst: reg, size: 4 });
      emit(insn(0x67, reg, 0, 0, 32), { kind: "alu", op: "lsh", is64: true, dst: reg, imm: 32n });
      const tmp = usable.find((x) => x !== reg && !live.includes(x)) ?? (reg === 0 ? 2 : 0);
      emit(insn(0x61, tmp, 1, 52, 0), { kind: "load", dst: tmp, size: 4 });
      emit(insn(0x4f, reg, tmp, 0, 0), { kind: "alu", op: "or", is64: true, dst: reg, src: tmp, imm: 0n });
      if (!live.includes(tmp)) emit(insn(0xb7, tmp, 0, 0, 0), { kind: "alu", op: "mov", is64: true, dst: tmp, imm: 0n });
    } else if (r.chance(0.75)) {
      const v = imm(r);
      emit(insn(0xb7, reg, 0, 0, v), { kind: "alu", op: "mov", is64: true, dst: reg, imm: BigInt(v) });
    } else {
      // A 64-bit constant: two slots, which the jumps' offsets and targets account for.
      const v = r.chance(0.5) ? (BigInt(r.u32()) << 32n) | BigInt(r.u32()) : BigInt.asUintN(64, BigInt(imm(r)) << BigInt(r.int(40)));
      emit(insn(0x18, reg, 0, 0, v), { kind: "alu", op: "mov", is64: true, dst: reg, imm: v });
    }
  }
  // Registers written by the setup (the temporary may have been written too).
  const written = out.filter((i, k) => meta[k]!.kind !== "other").map((i) => i.dst);
  const regs = [...new Set([...live, ...written])].filter((x) => usable.includes(x));
  const body: { i: Instruction; m: Step; jumpTo?: number }[] = [];
  const alu = (op: AluOp, is64: boolean, dst: number, src: number | undefined, k: number): void => {
    const cls = is64 ? 0x07 : 0x04;
    let opcode: number, off = 0, immv = 0;
    if (SWAP_OPS.includes(op)) {
      const bits = Number(op.replace(/\D/g, ""));
      opcode = op.startsWith("bswap") ? 0xd7 : op.startsWith("be") ? 0xdc : 0xd4;
      immv = bits;
      body.push({ i: insn(opcode, dst, 0, 0, immv), m: { kind: "alu", op, is64: op.startsWith("bswap"), dst, imm: 0n } });
      return;
    }
    if (op === "neg") {
      body.push({ i: insn(cls | 0x80, dst, 0, 0, 0), m: { kind: "alu", op, is64, dst, imm: 0n } });
      return;
    }
    opcode = cls | ALU_CODE[op]! | (src === undefined ? 0 : 0x08);
    if (op === "sdiv" || op === "smod") off = 1;
    if (op.startsWith("movsx")) off = Number(op.slice(5));
    immv = src === undefined ? k : 0;
    body.push({ i: insn(opcode, dst, src ?? 0, off, immv), m: { kind: "alu", op, is64, dst, src, imm: BigInt(immv) } });
  };
  for (let n = 0; n < length; n++) {
    const dst = r.pick(regs);
    const useReg = r.chance(0.4);
    const src = useReg ? r.pick(regs) : undefined;
    const kind = r.int(100);
    if (kind < 22) {
      // A forward jump, resolved to a slot once the body is laid out.
      const op = r.pick(JMPS);
      const is32 = r.chance(0.3);
      const k = imm(r);
      body.push({
        i: insn((is32 ? 0x06 : 0x05) | JMP_CODE[op] | (src === undefined ? 0 : 0x08), dst, src ?? 0, 0, src === undefined ? k : 0),
        m: { kind: "jmp", op, is32, dst, src, imm: src === undefined ? BigInt(k) : 0n, target: 0 },
        jumpTo: 1 + r.int(5),
      });
    } else if (kind < 27) {
      alu(r.pick(SWAP_OPS), false, dst, undefined, 0);
    } else if (kind < 30) {
      alu("neg", r.chance(0.5), dst, undefined, 0);
    } else if (kind < 36 && src !== undefined && src !== dst) {
      // A copy, possibly sign-extending, then an operation on the copy that drops its id.
      const is64 = r.chance(0.6);
      const op = r.pick<AluOp>(is64 ? ["mov", "movsx8", "movsx16", "movsx32"] : ["mov", "movsx8", "movsx16"]);
      alu(op, is64, dst, src, 0);
      const then = r.pick<AluOp>(["and", "or", "xor", "mul", "lsh", "rsh"]);
      alu(then, r.chance(0.5), dst, undefined, then === "lsh" || then === "rsh" ? r.int(32) : r.pick([1, 3, 0xff, 0x7f, 2, 5]));
    } else {
      let op = r.pick(BINARY);
      if (op === "mov" && src !== undefined) op = "add";
      const is64 = r.chance(0.55);
      let k = imm(r);
      if (src === undefined && (op === "lsh" || op === "rsh" || op === "arsh")) k = r.int(is64 ? 64 : 32);
      if (src === undefined && (op === "div" || op === "sdiv" || op === "mod" || op === "smod") && k === 0) k = 3;
      alu(op, is64, dst, src, k);
    }
  }
  // Lay out the body, then fix each jump's offset in instructions (no 64-bit loads here).
  const base = out.length;
  const end = base + body.length; // the slot of `r0 = 0`
  body.forEach((b, j) => {
    if (b.jumpTo === undefined) {
      emit(b.i, b.m);
      return;
    }
    const at = base + j;
    const target = Math.min(at + 1 + b.jumpTo, end);
    // Near the end a jump may go to the next instruction (off 0): both edges meet at once.
    emit({ ...b.i, off: target - at - 1 }, { ...(b.m as Extract<Step, { kind: "jmp" }>), target });
  });
  emit(insn(0xb7, 0, 0, 0, 0), { kind: "other" });
  emit(insn(0x95, 0, 0, 0, 0), { kind: "other" });
  // Jump targets were instruction indices; the log speaks in slots.
  const slots = slotIndices(out);
  const steps = new Map<number, Step>();
  meta.forEach((m, k) => steps.set(slots[k]!, m.kind === "jmp" ? { ...m, target: slots[m.target]! } : m));
  return { instructions: out, steps };
}

// ---- Reading the kernel's log ----

/** A register's printed value: a scalar (parsed), or another type's text. */
type Printed = { readonly scalar: Scalar; readonly text: string } | { readonly scalar?: undefined; readonly text: string };

/** `R1=ctx() R2=scalar(id=1,smin=0,var_off=(0x0; 0xff)) R10=fp0` into register texts. */
export function parseRegs(text: string): Map<number, string> {
  const regs = new Map<number, string>();
  let i = 0;
  while (i < text.length) {
    const m = /R(\d+)=/y;
    m.lastIndex = i;
    const hit = m.exec(text);
    if (!hit) {
      const sp = text.indexOf(" ", i);
      if (sp < 0) break;
      i = sp + 1;
      continue;
    }
    let j = m.lastIndex, depth = 0;
    while (j < text.length && (depth > 0 || text[j] !== " ")) {
      if (text[j] === "(") depth++;
      else if (text[j] === ")") depth--;
      j++;
    }
    regs.set(Number(hit[1]), text.slice(m.lastIndex, j));
    i = j + 1;
  }
  return regs;
}

const num = (t: string): bigint => (t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t));

/** The kernel's text for a scalar without what the walker owns: `P`, `id=`. */
export function stripWalkerParts(text: string): string {
  return text.replace(/^P/, "").replace(/id=\d+(?:[+-]\d+)?,?/, "").replace(/,\)$/, ")");
}

/** A printed scalar back into bounds; undefined for other register types. */
export function parseScalar(text: string): Scalar | undefined {
  const t = stripWalkerParts(text);
  if (/^-?(0x[0-9a-f]+|\d+)$/.test(t)) return scalarConst(num(t));
  const m = /^scalar\((.*)\)$/.exec(t);
  if (!m) return undefined;
  const s = {
    varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
  };
  const body = m[1]!;
  const vo = /var_off=\((0x[0-9a-f]+); (0x[0-9a-f]+)\)/.exec(body);
  if (vo) s.varOff = { value: BigInt(vo[1]!), mask: BigInt(vo[2]!) };
  for (const part of body.replace(/,?var_off=\([^)]*\)/, "").split(",").filter(Boolean)) {
    const names = part.split("=");
    const raw = names.pop()!;
    const v = num(raw);
    for (const name of names) {
      switch (name) {
        case "smin": s.smin = BigInt.asIntN(64, v); break;
        case "smax": s.smax = BigInt.asIntN(64, v); break;
        case "umin": s.umin = BigInt.asUintN(64, v); break;
        case "umax": s.umax = BigInt.asUintN(64, v); break;
        // In hex the kernel prints s32 bounds as u32, in decimal sign-extended.
        case "smin32": s.s32min = BigInt.asIntN(32, v); break;
        case "smax32": s.s32max = BigInt.asIntN(32, v); break;
        case "umin32": s.u32min = BigInt.asUintN(32, v); break;
        case "umax32": s.u32max = BigInt.asUintN(32, v); break;
        default: return undefined;
      }
    }
  }
  return s;
}

function printed(text: string): Printed {
  const scalar = parseScalar(text);
  return scalar ? { scalar, text } : { text };
}

export interface Mismatch {
  readonly slot: number;
  readonly reg: number;
  readonly what: string;
  readonly kernel: string;
  readonly ours: string;
}

export interface CheckResult {
  readonly mismatches: readonly Mismatch[];
  /** Scalars compared. */
  readonly compared: number;
  /** Branches where both edges were compared. */
  readonly forks: number;
}

type State = Map<number, Printed>;

/**
 * Replays the kernel's level-2 log of `program`: every ALU result, every branch prediction
 * and both refined edges of every branch the kernel explored are computed from the state
 * the kernel printed before the instruction, and compared with what it printed after.
 */
export function checkScalarLog(program: ScalarProgram, log: string): CheckResult {
  const mismatches: Mismatch[] = [];
  let compared = 0, forks = 0;
  let state: State = new Map();
  // Pre-states of the jumps whose taken edge the kernel pushed, by slot (LIFO as its stack).
  const pending = new Map<number, State[]>();
  let lastJump: { slot: number; pred: number; step: Extract<Step, { kind: "jmp" }>; pre: State } | undefined;
  let deferred: { slot: number; checks: [number, string, Scalar][] } | undefined;
  const fromRegs = (text: string): State => new Map([...parseRegs(text)].map(([k, v]) => [k, printed(v)]));
  // Where the printed text agrees, our scalar replaces the parsed one: the log cannot show
  // the bounds of a register whose tnum is constant (after a dead edge they may be anything).
  const exact = new Map<number, Printed>();
  const compare = (slot: number, reg: number, what: string, kernel: string | undefined, ours: Scalar): void => {
    if (kernel === undefined) return;
    compared++;
    const mine = formatScalar(ours);
    const theirs = stripWalkerParts(kernel);
    if (mine !== theirs) mismatches.push({ slot, reg, what, kernel: theirs, ours: mine });
    else exact.set(reg, { scalar: ours, text: kernel });
  };
  const settle = (): void => {
    for (const [reg, p] of exact) state.set(reg, p);
    exact.clear();
  };
  const operands = (st: State, step: Extract<Step, { kind: "jmp" | "alu" }>): [Scalar | undefined, Scalar | undefined] => {
    const d = st.get(step.dst)?.scalar;
    const s = step.src === undefined ? scalarConst(step.imm) : st.get(step.src)?.scalar;
    return [d, s];
  };
  const checkPrediction = (nextSlot: number): void => {
    if (!lastJump) return;
    const { slot, pred, step } = lastJump;
    lastJump = undefined;
    if (step.target === slot + 1) return;
    const kernelPred = nextSlot === step.target ? 1 : nextSlot === slot + 1 ? (pred === -1 ? -1 : 0) : undefined;
    if (kernelPred === undefined) return;
    if (pred === 1 && kernelPred !== 1) mismatches.push({ slot, reg: step.dst, what: "branch", kernel: "not taken", ours: "always taken" });
    if (pred !== 1 && kernelPred === 1) mismatches.push({ slot, reg: step.dst, what: "branch", kernel: "always taken", ours: pred === 0 ? "never taken" : "both" });
  };
  for (const line of log.split("\n")) {
    let m = /^from (\d+) to (\d+): (R.*)$/.exec(line);
    if (m) {
      const from = Number(m[1]), to = Number(m[2]);
      lastJump = undefined;
      const now = fromRegs(m[3]!);
      const step = program.steps.get(from);
      const pre = pending.get(from)?.pop();
      if (step?.kind === "jmp" && to === step.target && pre) {
        forks++;
        const [a, b] = operands(pre, step);
        if (a && b) {
          const [ra, rb] = step.src === step.dst
            ? [refineBranchSelfLikeKernel(step.op, a, step.is32, true), b]
            : refineBranchLikeKernel(step.op, a, b, step.is32, true);
          compare(from, step.dst, `taken ${step.op}`, now.get(step.dst)?.text, ra);
          if (step.src !== undefined && step.src !== step.dst) compare(from, step.src, `taken ${step.op} (src)`, now.get(step.src)?.text, rb);
        }
      } else if (step?.kind === "alu" && to === from && pre) {
        // The state maybe_fork_scalars pushed: the same instruction again, dst known 0.
        forks++;
        const fork = operands(pre, step);
        const split = fork[0] && fork[1] ? scalarFork(step.op, fork[0], fork[1]) : undefined;
        if (split) compare(from, step.dst, `fork ${step.op}`, now.get(step.dst)?.text, split[1]);
        else mismatches.push({ slot: from, reg: step.dst, what: "fork", kernel: "forked", ours: "no fork" });
      } else if (step?.kind === "jmp" && to === step.target) {
        mismatches.push({ slot: from, reg: step.dst, what: "branch", kernel: "both edges", ours: "one edge" });
      }
      // Registers the jump did not touch are as they were at the jump, exact scalars and all.
      if (pre) for (const [reg, p] of now) if (pre.get(reg)?.text === p.text) now.set(reg, pre.get(reg)!);
      state = now;
      settle();
      continue;
    }
    m = /^from (\d+) to \d+: safe$/.exec(line);
    if (m) {
      lastJump = undefined;
      if (pending.get(Number(m[1]))?.pop()) forks++;
      continue;
    }
    m = /^(\d+): safe$/.exec(line);
    if (m) {
      checkPrediction(Number(m[1]));
      continue;
    }
    // A state: the whole of it where a path starts, or what an instruction changed
    // (printed apart from the instruction after a precision mark).
    m = /^(\d+): (R\d+=.*)$/.exec(line);
    if (m) {
      const regs = fromRegs(m[2]!);
      if (deferred?.slot === Number(m[1])) {
        for (const [reg, what, ours] of deferred.checks) compare(deferred.slot, reg, what, regs.get(reg)?.text, ours);
      }
      deferred = undefined;
      for (const [reg, p] of regs) if (state.get(reg)?.text !== p.text) state.set(reg, p);
      settle();
      continue;
    }
    m = /^(\d+): \([0-9a-f]{2}\) [^;]*?(?:\s+; (.*))?$/.exec(line);
    if (!m) continue;
    const slot = Number(m[1]);
    deferred = undefined;
    checkPrediction(slot);
    const after = fromRegs(m[2] ?? "");
    const step = program.steps.get(slot);
    if (step?.kind === "alu") {
      const [d, s] = operands(state, step);
      const isMove = step.op === "mov" || step.op.startsWith("movsx");
      if ((d || isMove) && s) {
        const split = d ? scalarFork(step.op, d, s) : undefined;
        if (split) {
          const list = pending.get(slot) ?? [];
          list.push(new Map(state));
          pending.set(slot, list);
        }
        const ours = scalarAlu(step.op, split ? split[0] : d ?? scalarConst(0n), s, step.is64);
        compare(slot, step.dst, step.op, after.get(step.dst)?.text, ours);
      }
    } else if (step?.kind === "load") {
      compare(slot, step.dst, `load ${step.signed ? "s" : "u"}${step.size * 8}`, after.get(step.dst)?.text, scalarLoad(step.size, step.signed ?? false));
    } else if (step?.kind === "jmp") {
      const [a, b] = operands(state, step);
      if (a && b) {
        const pred = branchTaken(step.op, a, b, step.is32);
        if (pred === -1) {
          const [fa, fb] = step.src === step.dst
            ? [refineBranchSelfLikeKernel(step.op, a, step.is32, false), b]
            : refineBranchLikeKernel(step.op, a, b, step.is32, false);
          // After a precision mark the kernel prints the refined registers on a line of their own.
          deferred = { slot, checks: [] };
          const check = (reg: number, what: string, ours: Scalar): void => {
            if (after.has(reg)) compare(slot, reg, what, after.get(reg)!.text, ours);
            else deferred!.checks.push([reg, what, ours]);
          };
          check(step.dst, `fall ${step.op}`, fa);
          if (step.src !== undefined && step.src !== step.dst) check(step.src, `fall ${step.op} (src)`, fb);
          const list = pending.get(slot) ?? [];
          list.push(new Map(state));
          pending.set(slot, list);
        }
        lastJump = { slot, pred, step, pre: state };
      }
    }
    for (const [reg, p] of after) if (state.get(reg)?.text !== p.text) state.set(reg, p);
    settle();
  }
  for (const [slot, left] of pending) {
    if (left.length > 0) mismatches.push({ slot, reg: -1, what: "branch", kernel: "one edge", ours: "both edges" });
  }
  return { mismatches, compared, forks };
}

/** One program, generated, loaded by `load` (which returns the kernel's level-2 log), checked. */
export function fuzzScalarOnce(seed: number, load: (insns: readonly Instruction[]) => string, length = 24, options: ScalarProgramOptions = {}): CheckResult & { program: ScalarProgram; log: string } {
  const program = generateScalarProgram(new Rng(seed), length, options);
  const log = load(program.instructions);
  return { ...checkScalarLog(program, log), program, log };
}
