/**
 * @fileoverview A seccomp filter run in tsbpf on a `struct seccomp_data`, as the kernel runs
 * it: converted to eBPF (bpf_convert_filter's seccomp path) and run on the interpreter or JIT.
 */

import { convertClassic } from "../cbpf/convert.js";
import type { SockFilter } from "../cbpf/insn.js";
import { SECCOMP_DATA_SIZE } from "../cbpf/validate.js";
import { Runtime, type RuntimeEngine, type RuntimeProgram } from "../runtime/index.js";
import { actionOf, archByName, resolveArch, type SeccompAction } from "./constants.js";

/** The input of a seccomp filter (uapi linux/seccomp.h). */
export interface SeccompData {
  readonly nr: number;
  /** AUDIT_ARCH_* */
  readonly arch: number;
  readonly instructionPointer?: bigint;
  /** Up to six arguments; missing ones are 0. */
  readonly args?: readonly (bigint | number)[];
}

/** Lays out `struct seccomp_data` (64 bytes, little-endian as on x86_64 and aarch64). */
export function encodeSeccompData(d: SeccompData): Uint8Array {
  const out = new Uint8Array(SECCOMP_DATA_SIZE);
  const v = new DataView(out.buffer);
  v.setInt32(0, d.nr | 0, true);
  v.setUint32(4, d.arch >>> 0, true);
  v.setBigUint64(8, BigInt.asUintN(64, d.instructionPointer ?? 0n), true);
  (d.args ?? []).slice(0, 6).forEach((a, i) => v.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(a)), true));
  return out;
}

/** One filter loaded once into a runtime, evaluated on as many inputs as wanted. */
export class SeccompEvaluator {
  readonly #program: RuntimeProgram;

  constructor(filter: readonly SockFilter[], engine: RuntimeEngine = "interp") {
    this.#program = new Runtime().load(convertClassic(filter, { kind: "seccomp" }), { type: "raw", engine });
  }

  /** The filter's 32-bit return value. */
  run(data: SeccompData): number {
    return Number(this.#program.runRaw(encodeSeccompData(data)).r0 & 0xffffffffn);
  }

  /** The action the kernel would take. */
  action(data: SeccompData): SeccompAction {
    return actionOf(this.run(data));
  }
}

/** The AUDIT_ARCH value of an architecture named as a profile or the short forms name it. */
export function auditArch(name: string): number | undefined {
  return (resolveArch(name) ?? archByName(name))?.audit;
}

/** The syscall number of `name` on `arch`, or undefined. */
export function syscallNumber(name: string, arch = "SCMP_ARCH_X86_64"): number | undefined {
  const table = resolveArch(arch)?.syscalls;
  return table && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

/** The name of syscall `nr` on `arch`, or undefined. */
export function syscallName(nr: number, arch = "SCMP_ARCH_X86_64"): string | undefined {
  const table = resolveArch(arch)?.syscalls;
  if (!table) return undefined;
  for (const [n, v] of Object.entries(table)) if (v === nr) return n;
  return undefined;
}
