/**
 * @fileoverview loadObject's "verify first": the userspace engines run tsbpf's verifier on
 * each program before loading it; accepted programs run in fast mode, rejected ones are an
 * error, and the few rejections that come from what the verifier does not model yet run in
 * checked mode with a warning. `{ verify: false }` or an explicit `mode` keeps the old way.
 */

import { BpfError } from "../errors.js";
import type { RunMode } from "../runtime/runtime.js";
import { buildCfg } from "../verifier/cfg.js";
import { explain, verifyProgram } from "../verifier/index.js";
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

/** How to run each verified program: its mode, and its frames' depths as the verifier found them. */
export interface VerifiedRun {
  readonly mode: RunMode;
  /** Subprogram start slot to stack depth (the runtime's own estimate also counts code no path reaches). */
  readonly stackDepths?: ReadonlyMap<number, number>;
  /** Loads proven to read inside the packet (VerifyResult.packetLoads). */
  readonly packetLoads?: ReadonlySet<number>;
}

/** The run of each program, and the warnings of those that fell back to checked mode. */
export function verifyFirst(spec: ObjectSpec, programs: readonly ProgramSpec[]): { runs: Map<string, VerifiedRun>; warnings: string[] } {
  const runs = new Map<string, VerifiedRun>();
  const warnings: string[] = [];
  for (const p of programs) {
    const r = verifyProgram(p, { maps: spec.maps, ...(spec.btf ? { btf: spec.btf } : {}), ...(p.expectedAttachType ? { attachType: p.expectedAttachType } : {}) });
    if (r.accepted) {
      const starts = buildCfg(p.instructions, { allowLoops: true }).subprogs.map((s) => s.start);
      runs.set(p.name, {
        mode: "fast",
        stackDepths: new Map(starts.map((start, k) => [start, r.stats.stackDepth[k] ?? 0])),
        ...(r.packetLoads ? { packetLoads: r.packetLoads } : {}),
      });
    } else if (NOT_MODELLED.some((re) => re.test(r.error?.message ?? ""))) {
      runs.set(p.name, { mode: "checked" });
      warnings.push(`program ${p.name}: tsbpf's verifier cannot judge it (${r.error?.message}); it runs in checked mode`);
    } else {
      throw new ProgramRejectedError(p.name, r.error ? explain(r.error) : "rejected");
    }
  }
  return { runs, warnings };
}
