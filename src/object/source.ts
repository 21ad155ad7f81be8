/**
 * @fileoverview Source lines of a program's instructions, from its BTF line info, as
 * bpftool's `prog dump xlated linum` and the verifier's log show them.
 */

import { slotsOf } from "../isa/instruction.js";
import type { ProgramSpec } from "./types.js";

export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The text of the line, as clang recorded it. */
  readonly text: string;
}

/**
 * The source line of instruction `insnIndex` (an index into `instructions`, not a slot):
 * the line info record at or before its slot. Undefined without line info.
 */
export function sourceLine(program: Pick<ProgramSpec, "instructions" | "lineInfo">, insnIndex: number): SourceLine | undefined {
  if (insnIndex < 0 || insnIndex >= program.instructions.length) return undefined;
  let slot = 0;
  for (let i = 0; i < insnIndex; i++) slot += slotsOf(program.instructions[i]!);
  return sourceLineAtSlot(program, slot);
}

/** The same, for a slot index, as faults and verifier logs count (`insn 12`). */
export function sourceLineAtSlot(program: Pick<ProgramSpec, "lineInfo">, slot: number): SourceLine | undefined {
  if (slot < 0) return undefined;
  let best: ProgramSpec["lineInfo"][number] | undefined;
  for (const l of program.lineInfo) if (l.insnOff <= slot && (!best || l.insnOff >= best.insnOff)) best = l;
  return best && { file: best.fileName, line: best.line, column: best.column, text: best.lineText };
}
