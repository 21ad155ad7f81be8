/**
 * @fileoverview loadObject's "verify first": the userspace engines run tsbpf's verifier on
 * each program before loading it; accepted programs run in fast mode, rejected ones are an
 * error, and the few rejections that come from what the verifier does not model yet run in
 * checked mode with a warning. `{ verify: false }` or an explicit `mode` keeps the old way.
 */

import { BpfError } from "../errors.js";
import type { RunMode } from "../runtime/runtime.js";
import { explain, verifyObject } from "../verifier/index.js";
import type { ObjectSpec, ProgramSpec } from "./types.js";

/** A program tsbpf's verifier rejected, at load time; `detail` says where and why. */
export class ProgramRejectedError extends BpfError {
  readonly program: string;
  constructor(program: string, report: string) {
    super("EVERIFIER", `program ${program}: rejected by tsbpf's verifier: ${report}`);
    this.program = program;
  }
}

/**
 * Rejections that say the verifier cannot judge the program rather than that it is unsafe:
 * kfunc calls and struct_ops are not modelled, and a bpf_loop callback that grows the
 * caller's stack may not converge where the kernel's does (see src/verifier/README.md).
 */
const NOT_MODELLED: readonly RegExp[] = [/^calling kernel function/, /^BPF program is too large/, /struct_ops/];

/** The run mode of each program, and the warnings of those that fell back to checked mode. */
export function verifyFirst(spec: ObjectSpec, programs: readonly ProgramSpec[]): { modes: Map<string, RunMode>; warnings: string[] } {
  const modes = new Map<string, RunMode>();
  const warnings: string[] = [];
  const names = programs.map((p) => p.name);
  for (const v of verifyObject(spec, { programs: names })) {
    if (v.accepted) {
      modes.set(v.name, "fast");
    } else if (NOT_MODELLED.some((re) => re.test(v.error ?? ""))) {
      modes.set(v.name, "checked");
      warnings.push(`program ${v.name}: tsbpf's verifier cannot judge it (${v.error}); it runs in checked mode`);
    } else {
      throw new ProgramRejectedError(v.name, v.detail ? explain(v.detail) : v.error ?? "rejected");
    }
  }
  return { modes, warnings };
}
