/**
 * @fileoverview The assembler dialect of the public BPF conformance suite (bpf_conformance,
 * descended from uBPF's): `mov32 %r0, 1`, `ldxw %r0, [%r1+4]`, `jeq %r1, 0x11, +1`,
 * `lock fetch add [%r1+0], %r2`, `call local f`. The suite's test files (.data) carry their
 * programs in it; `dataFile.ts` reads those files, and this module turns the listing into
 * instructions. Numbers wrap to the field's width as the suite's own assembler lets them
 * (`mov %r1, -1` is imm 0xffffffff), so every listing in the suite encodes as it does there.
 */

import { AssemblerError } from "../errors.js";
import { insn, type Instruction } from "./instruction.js";
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLd, Size, Source } from "./opcodes.js";

/** A map a listing names (`lddw %r1, map_by_fd(counts)`), filled in by whoever runs it. */
export interface ConformanceMapUse {
  /** Instruction index of the 64-bit load. */
  readonly index: number;
  readonly name: string;
}

export interface ConformanceProgram {
  readonly instructions: Instruction[];
  readonly mapUses: ConformanceMapUse[];
}

const ALU_OPS: Record<string, AluOp> = {
  add: AluOp.Add, sub: AluOp.Sub, mul: AluOp.Mul, div: AluOp.Div, sdiv: AluOp.Div, or: AluOp.Or, and: AluOp.And,
  lsh: AluOp.Lsh, rsh: AluOp.Rsh, neg: AluOp.Neg, mod: AluOp.Mod, smod: AluOp.Mod, xor: AluOp.Xor, mov: AluOp.Mov,
  arsh: AluOp.Arsh,
};

const JMP_OPS: Record<string, JmpOp> = {
  jeq: JmpOp.Jeq, jgt: JmpOp.Jgt, jge: JmpOp.Jge, jset: JmpOp.Jset, jne: JmpOp.Jne, jsgt: JmpOp.Jsgt, jsge: JmpOp.Jsge,
  jlt: JmpOp.Jlt, jle: JmpOp.Jle, jslt: JmpOp.Jslt, jsle: JmpOp.Jsle,
};

const SIZES: Record<string, Size> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

const ATOMIC_OPS: Record<string, number> = {
  add: AtomicOp.Add, or: AtomicOp.Or, and: AtomicOp.And, xor: AtomicOp.Xor, xchg: AtomicOp.Xchg, cmpxchg: AtomicOp.Cmpxchg,
};

export interface ConformanceAsmOptions {
  readonly fileName?: string;
  /** Helper ids by name, for `call bpf_map_lookup_elem` (the ISA knows numbers only). */
  readonly helperId?: (name: string) => number | undefined;
}

/**
 * Assembles a listing in the conformance suite's dialect. Labels end in `:`; the first
 * `exit` is also the label `exit`, as in the suite. Errors carry the listing's line.
 */
export function assembleConformance(source: string, options: ConformanceAsmOptions = {}): ConformanceProgram {
  const fileName = options.fileName;
  const instructions: Instruction[] = [];
  const mapUses: ConformanceMapUse[] = [];
  const labels = new Map<string, number>();
  const fixups: { index: number; label: string; line: number; call: boolean }[] = [];
  let slot = 0;
  let sawExit = false;

  source.split(/\r?\n/).forEach((raw, n) => {
    const line = n + 1;
    const fail = (message: string): never => { throw new AssemblerError(line, 1, message, fileName); };
    const text = raw.replace(/#.*$/, "").trim();
    if (text === "") return;
    const label = /^([A-Za-z_.][\w.]*):$/.exec(text);
    if (label) {
      if (labels.has(label[1]!)) fail(`label ${label[1]} is defined twice`);
      labels.set(label[1]!, slot);
      return;
    }
    const [mnemonic, ...rest] = text.split(/\s+/);
    const ops = rest.join(" ").split(",").map((s) => s.trim()).filter((s) => s !== "");
    const emit = (i: Instruction): void => { instructions.push(i); slot += i.opcode === 0x18 ? 2 : 1; };
    const target = (t: string, call: boolean): number => {
      if (/^[+-]/.test(t)) return wrap(number(t, fail), call ? 32 : 16);
      fixups.push({ index: instructions.length, label: t, line, call });
      return 0;
    };
    const m = mnemonic!.toLowerCase();
    if (m === "exit") {
      if (!sawExit) { labels.set("exit", slot); sawExit = true; }
      emit(insn(Class.Jmp | JmpOp.Exit, 0, 0, 0, 0));
    } else if (m === "ja" || m === "ja32") {
      want(ops, 1, m, fail);
      // ja32 is gotol: the 32-bit offset lives in imm.
      if (m === "ja") emit(insn(Class.Jmp | JmpOp.Ja, 0, 0, target(ops[0]!, false), 0));
      else emit(insn(Class.Jmp32 | JmpOp.Ja, 0, 0, 0, target(ops[0]!, true)));
    } else if (m === "call") {
      emit(callInsn(rest, fail, (t) => target(t, true), options.helperId));
    } else if (m === "callx") {
      want(ops, 1, m, fail);
      emit(insn(Class.Jmp | JmpOp.Call | Source.X, register(ops[0]!, fail), 0, 0, 0));
    } else if (m === "lddw") {
      want(ops, 2, m, fail);
      const map = /^map_by_(fd|idx)\((\w+)\)$/.exec(ops[1]!);
      if (map) {
        mapUses.push({ index: instructions.length, name: map[2]! });
        emit(insn(0x18, register(ops[0]!, fail), map[1] === "fd" ? PseudoLd.MapFd : PseudoLd.MapIdx, 0, 0));
      } else {
        emit(insn(0x18, register(ops[0]!, fail), 0, 0, BigInt.asUintN(64, number(ops[1]!, fail))));
      }
    } else if (m === "lock") {
      emit(atomicInsn(rest, fail));
    } else if (/^(be|le|swap)(16|32|64)$/.test(m)) {
      want(ops, 1, m, fail);
      const [, kind, width] = /^(be|le|swap)(\d+)$/.exec(m)!;
      const cls = kind === "swap" ? Class.Alu64 : Class.Alu;
      emit(insn(cls | AluOp.End | (kind === "be" ? Source.X : Source.K), register(ops[0]!, fail), 0, 0, Number(width)));
    } else if (/^movsx(8|16|32)(32|64)$/.test(m)) {
      want(ops, 2, m, fail);
      const [, from, to] = /^movsx(\d+)(\d\d)$/.exec(m)!;
      const cls = to === "64" ? Class.Alu64 : Class.Alu;
      emit(insn(cls | AluOp.Mov | Source.X, register(ops[0]!, fail), register(ops[1]!, fail), Number(from), 0));
    } else if (/^ldxs?(b|h|w|dw)$/.test(m)) {
      want(ops, 2, m, fail);
      const [, signed, size] = /^ldx(s?)(\w+)$/.exec(m)!;
      const [src, off] = memoryOperand(ops[1]!, fail);
      emit(insn(Class.Ldx | SIZES[size!]! | (signed ? Mode.Memsx : Mode.Mem), register(ops[0]!, fail), src, off, 0));
    } else if (/^stx?(b|h|w|dw)$/.test(m)) {
      want(ops, 2, m, fail);
      const [, x, size] = /^st(x?)(\w+)$/.exec(m)!;
      const [dst, off] = memoryOperand(ops[0]!, fail);
      if (x) emit(insn(Class.Stx | SIZES[size!]! | Mode.Mem, dst, register(ops[1]!, fail), off, 0));
      else emit(insn(Class.St | SIZES[size!]! | Mode.Mem, dst, 0, off, wrap(number(ops[1]!, fail), 32)));
    } else {
      const jmp = /^(j[a-z]+?)(32)?$/.exec(m);
      if (jmp && JMP_OPS[jmp[1]!] !== undefined) {
        want(ops, 3, m, fail);
        const cls = jmp[2] ? Class.Jmp32 : Class.Jmp;
        const [src, imm, x] = operand(ops[1]!, fail);
        emit(insn(cls | JMP_OPS[jmp[1]!]! | x, register(ops[0]!, fail), src, target(ops[2]!, false), imm));
        return;
      }
      const alu = /^([a-z]+?)(32)?$/.exec(m);
      const op = alu ? ALU_OPS[alu[1]!] : undefined;
      if (op === undefined) fail(`unknown mnemonic ${mnemonic}`);
      const cls = alu![2] ? Class.Alu : Class.Alu64;
      // sdiv and smod are div and mod with offset 1 (RFC 9669 section 4.1).
      const off = alu![1] === "sdiv" || alu![1] === "smod" ? 1 : 0;
      if (op === AluOp.Neg) {
        want(ops, 1, m, fail);
        emit(insn(cls | op, register(ops[0]!, fail), 0, 0, 0));
        return;
      }
      want(ops, 2, m, fail);
      const [src, imm, x] = operand(ops[1]!, fail);
      emit(insn(cls | op! | x, register(ops[0]!, fail), src, off, imm));
    }
  });

  for (const f of fixups) {
    const at = labels.get(f.label);
    if (at === undefined) throw new AssemblerError(f.line, 1, `unknown label ${f.label}`, fileName);
    const i = instructions[f.index]!;
    const from = slotOf(instructions, f.index) + 1;
    const delta = at - from;
    instructions[f.index] = f.call ? insn(i.opcode, i.dst, i.src, i.off, delta) : insn(i.opcode, i.dst, i.src, delta, i.imm);
  }
  return { instructions, mapUses };
}

function callInsn(
  words: string[], fail: (m: string) => never, target: (t: string) => number, helperId?: (name: string) => number | undefined,
): Instruction {
  const call = Class.Jmp | JmpOp.Call;
  const [mode, what] = words.length === 1 ? ["helper", words[0]!] : [words[0]!, words[1]];
  if (what === undefined || words.length > 2) return fail("call takes [helper|local|runtime] and a target");
  if (/^%?r\d+$/.test(what) && mode === "helper") return insn(call | Source.X, register(what, fail), 0, 0, 0);
  switch (mode) {
    case "helper": {
      const id = /^[-+]?(0x[0-9a-f]+|\d+)$/i.test(what) ? wrap(number(what, fail), 32) : helperId?.(what.replace(/^bpf_/, ""));
      return id === undefined ? fail(`unknown helper ${what}`) : insn(call, 0, PseudoCall.Helper, 0, id);
    }
    case "local": return insn(call, 0, PseudoCall.Local, 0, target(what));
    case "runtime": return insn(call, 0, PseudoCall.Kfunc, 0, wrap(number(what, fail), 32));
    default: return fail(`unknown call mode ${mode}`);
  }
}

/** `lock [fetch] op [%rD+off], %rS`, with `op32` for the 32-bit forms. */
function atomicInsn(words: string[], fail: (m: string) => never): Instruction {
  const fetch = words[0] === "fetch";
  const [name, ...rest] = fetch ? words.slice(1) : words;
  const ops = rest.join(" ").split(",").map((s) => s.trim());
  const m = /^([a-z]+?)(32)?$/.exec(name ?? "");
  const op = m ? ATOMIC_OPS[m[1]!] : undefined;
  if (op === undefined || ops.length !== 2) return fail(`lock takes [fetch] add|or|and|xor|xchg|cmpxchg [reg+off], reg`);
  const [dst, off] = memoryOperand(ops[0]!, fail);
  const size = m![2] ? Size.W : Size.DW;
  // xchg and cmpxchg always fetch; the others only when asked.
  const imm = op === AtomicOp.Xchg || op === AtomicOp.Cmpxchg || fetch ? op | AtomicOp.Fetch : op;
  return insn(Class.Stx | size | Mode.Atomic, dst, register(ops[1]!, fail), off, imm);
}

function want(ops: string[], n: number, m: string, fail: (m: string) => never): void {
  if (ops.length !== n) fail(`${m} takes ${n} operand${n === 1 ? "" : "s"}, got ${ops.length}`);
}

function register(text: string, fail: (m: string) => never): number {
  const m = /^%?r(\d+)$/.exec(text);
  // r11 to r15 encode (the suite's negative tests use them); validation refuses them later.
  if (!m || Number(m[1]) > 15) return fail(`not a register: ${text}`);
  return Number(m[1]);
}

/** A register or an immediate: [src register, imm, source bit]. */
function operand(text: string, fail: (m: string) => never): [number, number, Source] {
  if (/^%?r\d+$/.test(text)) return [register(text, fail), 0, Source.X];
  return [0, wrap(number(text, fail), 32), Source.K];
}

/** `[%r1+4]`, `[%r10-8]` or `[%r2]`. */
function memoryOperand(text: string, fail: (m: string) => never): [number, number] {
  const m = /^\[\s*(%?r\d+)\s*(?:([+-])\s*(\w+))?\s*\]$/.exec(text);
  if (!m) return fail(`not a memory operand: ${text}`);
  const off = m[3] === undefined ? 0n : number(m[3], fail) * (m[2] === "-" ? -1n : 1n);
  return [register(m[1]!, fail), wrap(off, 16)];
}

function number(text: string, fail: (m: string) => never): bigint {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (!m) return fail(`not a number: ${text}`);
  const v = BigInt(m[2]!);
  return m[1] === "-" ? -v : v;
}

/** Wraps to a signed field of `bits`, as the suite's assembler truncates. */
function wrap(v: bigint, bits: 16 | 32): number {
  return Number(BigInt.asIntN(bits, v));
}

function slotOf(insns: readonly Instruction[], index: number): number {
  let slot = 0;
  for (let k = 0; k < index; k++) slot += insns[k]!.opcode === 0x18 ? 2 : 1;
  return slot;
}
