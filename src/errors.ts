/**
 * @fileoverview The error hierarchy every tsbpf module throws from. Each error has a
 * stable `code` for programs and a lowercase message with its context for people.
 */

export type BpfErrorCode =
  | "EINSN" // an instruction that is not a valid encoding
  | "EASM" // assembler source that does not parse
  | "EELF" // an ELF object that is malformed or not one tsbpf can read
  | "ESYSCALL" // the kernel refused a bpf() command
  | "EVERIFIER" // a verifier (ours or the kernel's) rejected a program
  | "EEXEC" // a fault while running a program
  | "ENOTSUP" // a feature tsbpf or this host does not support
  | "EINVAL"; // an argument out of its range

export class BpfError extends Error {
  readonly code: BpfErrorCode;
  constructor(code: BpfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An encoding the ISA does not allow; `index` is the slot of the instruction. */
export class InvalidInstructionError extends BpfError {
  readonly index: number;
  readonly reason: string;
  constructor(index: number, reason: string) {
    super("EINSN", `insn ${index}: ${reason}`);
    this.index = index;
    this.reason = reason;
  }
}

/** Assembler input that does not parse; `line` and `column` are 1-based. */
export class AssemblerError extends BpfError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(line: number, column: number, reason: string, source?: string) {
    super("EASM", `${source ? `${source}:` : ""}${line}:${column}: ${reason}`);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** A malformed ELF object; `offset` is the file offset where the problem was found. */
export class ElfError extends BpfError {
  readonly section: string | undefined;
  readonly offset: number | undefined;
  constructor(message: string, where: { section?: string; offset?: number } = {}) {
    const at = [
      where.section !== undefined ? `section ${where.section}` : "",
      where.offset !== undefined ? `offset 0x${where.offset.toString(16)}` : "",
    ].filter(Boolean);
    super("EELF", at.length ? `${at.join(", ")}: ${message}` : message);
    this.section = where.section;
    this.offset = where.offset;
  }
}

/** A feature that is known but not supported here (by tsbpf, or by this host). */
export class NotSupportedError extends BpfError {
  readonly feature: string;
  constructor(feature: string, why?: string) {
    super("ENOTSUP", `not supported: ${feature}${why ? ` (${why})` : ""}`);
    this.feature = feature;
  }
}
