/**
 * @fileoverview The errors of the kernel backend: a bpf() command the kernel refused,
 * a program its verifier rejected, a BTF blob it would not take, an object used after
 * `close()`.
 */

import { BpfError } from "../errors.js";
import { errnoName, errnoText } from "./errno.js";

/**
 * A bpf() command that failed: `command` is the kernel's name ("BPF_MAP_CREATE"),
 * `errno` the number and `errnoName` its symbol ("E2BIG"). The message reads
 * `<context>: bpf(BPF_MAP_CREATE): E2BIG (Argument list too long)`.
 */
export class BpfSyscallError extends BpfError {
  readonly command: string;
  readonly errno: number;
  readonly errnoName: string;
  constructor(command: string, errno: number, context?: string, options?: { cause?: unknown }) {
    const what = `bpf(${command}): ${errnoName(errno)} (${errnoText(errno)})`;
    super("ESYSCALL", context ? `${context}: ${what}` : what, options);
    this.command = command;
    this.errno = errno;
    this.errnoName = errnoName(errno);
  }
}

/**
 * Log lines that are statistics, not the verdict, so they never make the summary; nor the
 * states is_state_visited dumps after `infinite loop detected at insn N`.
 */
const STATS = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|peak_states|mark_read|cur state:|old state:)/;

/** The last line of a verifier log that says what went wrong. */
export function summarizeLog(log: string): string {
  const lines = log.split("\n").map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line !== "" && !STATS.test(line)) return line;
  }
  return "";
}

/**
 * The kernel's verifier rejected a program (BPF_PROG_LOAD failed with a log). The
 * message is one line, the last meaningful line of the log; `log` holds all of it.
 */
export class KernelVerifierError extends BpfError {
  /** The verifier's log, as the kernel wrote it. */
  readonly log: string;
  /** The log's last meaningful line, e.g. "R0 !read_ok". */
  readonly summary: string;
  readonly errno: number;
  readonly errnoName: string;
  /** The log buffer filled up, so the beginning of the log is missing. */
  readonly truncated: boolean;
  constructor(context: string, errno: number, log: string, options?: { cause?: unknown; truncated?: boolean }) {
    const summary = summarizeLog(log) || `${errnoName(errno)} (${errnoText(errno)})`;
    super("EVERIFIER", `${context}: ${summary}`, options);
    this.log = log;
    this.summary = summary;
    this.errno = errno;
    this.errnoName = errnoName(errno);
    this.truncated = options?.truncated ?? false;
  }
}

/** The kernel's BTF checker rejected a blob (BPF_BTF_LOAD); like KernelVerifierError, one line with the log behind it. */
export class KernelBtfError extends BpfError {
  readonly log: string;
  readonly summary: string;
  readonly errno: number;
  readonly errnoName: string;
  constructor(errno: number, log: string, options?: { cause?: unknown }) {
    const summary = summarizeLog(log) || `${errnoName(errno)} (${errnoText(errno)})`;
    super("EVERIFIER", `load btf: ${summary}`, options);
    this.log = log;
    this.summary = summary;
    this.errno = errno;
    this.errnoName = errnoName(errno);
  }
}

/** A kernel object used after its file descriptor was closed. */
export class ClosedError extends BpfError {
  constructor(what: string) {
    super("EINVAL", `${what}: used after close()`);
  }
}
