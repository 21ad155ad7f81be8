/**
 * @fileoverview Faults of a running program. Each names the instruction (slot index and
 * its text), and a memory fault also the address, the access size and every region's
 * bounds, as rbpf's messages do, so one line says what went wrong and where.
 */

import { BpfError } from "../errors.js";
import { formatInstruction } from "../isa/format.js";
import type { Instruction } from "../isa/instruction.js";
import { hex, type AddressSpace, type Region } from "./address-space.js";

/** The text of an instruction for a fault message: its disassembly, or its fields. */
export function describeInsn(insn: Instruction | undefined): string {
  if (!insn) return "second slot of lddw";
  let text = "";
  try {
    text = formatInstruction(insn);
  } catch {
    text = "";
  }
  const hex = `op 0x${(insn.opcode & 0xff).toString(16).padStart(2, "0")}`;
  return text && text !== "<unknown>" ? text : `${hex} dst r${insn.dst} src r${insn.src} off ${insn.off} imm ${insn.imm}`;
}

/** Any fault while running a program: code "EEXEC", with the pc it happened at. */
export class ExecutionError extends BpfError {
  /** The slot index of the faulting instruction. */
  readonly pc: number;
  /** The instruction as text (or its opcode in hex when it is not one). */
  readonly instruction: string;
  readonly reason: string;
  constructor(pc: number, instruction: string, reason: string, options?: { cause?: unknown }) {
    super("EEXEC", `insn ${pc} (${instruction}): ${reason}`, options);
    this.pc = pc;
    this.instruction = instruction;
    this.reason = reason;
  }
}

export type AccessKind = "read" | "write" | "atomic";

/** A load, store or atomic outside every region that allows it. */
export class MemoryFault extends ExecutionError {
  /** The full 64-bit address the program computed. */
  readonly address: bigint;
  readonly size: number;
  readonly access: AccessKind;
  /** The region the address falls in or lies nearest to; undefined when there is none. */
  readonly region: { readonly name: string; readonly lo: number; readonly hi: number; readonly perm: number } | undefined;
  constructor(pc: number, instruction: string, o: { address: bigint; size: number; access: AccessKind; space: AddressSpace }) {
    const { why, region } = explain(o.address, o.size, o.access, o.space);
    const all = o.space.regions().map((r) => r.describe()).join(", ");
    super(pc, instruction, `invalid ${o.access} of ${o.size} bytes at ${hex(o.address)}: ${why}; regions: ${all || "none"}`);
    this.address = o.address;
    this.size = o.size;
    this.access = o.access;
    this.region = region && { name: region.name, lo: region.lo, hi: region.hi, perm: region.perm };
  }
}

function explain(address: bigint, size: number, access: AccessKind, space: AddressSpace): { why: string; region?: Region } {
  if (address < 0x1000n) return { why: "null or near-null pointer" };
  if (address >= 0x80000000n) return { why: "beyond the address space" };
  const a = Number(address);
  const inside = space.find(a, size);
  if (inside) return { why: `${inside.describe()} is not ${access === "read" ? "readable" : "writable"}`, region: inside };
  const r = space.nearest(a);
  if (!r) return { why: "no region is mapped" };
  if (a >= r.lo && a < r.hi) return { why: `runs ${a + size - r.hi} bytes past the end of ${r.describe()}`, region: r };
  if (a >= r.hi) return { why: `${a - r.hi} bytes past the end of ${r.describe()}`, region: r };
  return { why: `${r.lo - a} bytes before the start of ${r.describe()}`, region: r };
}

/** A jump, call or fall-through to a slot that is not the start of an instruction. */
export class JumpFault extends ExecutionError {
  readonly target: number;
  constructor(pc: number, instruction: string, target: number, why: string) {
    super(pc, instruction, why);
    this.target = target;
  }
}

/** An opcode or field combination the runtime cannot execute. */
export class InvalidInstructionFault extends ExecutionError {}

/** The checked mode's instruction budget ran out: a runaway loop, most likely. */
export class BudgetExhaustedError extends ExecutionError {
  readonly budget: number;
  constructor(pc: number, instruction: string, budget: number) {
    super(pc, instruction, `instruction budget of ${budget} exhausted`);
    this.budget = budget;
  }
}

/** A call that cannot be made: too deep, too much stack, or an unknown helper. */
export class CallFault extends ExecutionError {}

/** A helper threw; the original error is the cause. */
export class HelperError extends ExecutionError {}
