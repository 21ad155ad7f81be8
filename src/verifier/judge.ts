/**
 * @fileoverview tsbpf's verifier as a judge of `verifyObject` (the default engine of
 * `tsbpf verify`): one program of an object, with the maps it uses, to the verdict the
 * kernel's engine gives in the same shape, plus the source line and a hint on rejection.
 */

import { BpfError } from "../errors.js";
import { checkMapSpec } from "../maps/create.js";
import { programsToLoad } from "../object/engine-steps.js";
import type { ObjectSpec } from "../object/types.js";
import type { ProgramJudge } from "../object/verify.js";
import { explain, verifyProgram } from "./index.js";

/** What would fail before BPF_PROG_LOAD: a program libbpf refuses, a map the kernel would not create. */
function refusedBeforeLoad(spec: ObjectSpec): string | undefined {
  try {
    programsToLoad(spec);
    for (const m of spec.maps) {
      if (m.structOps || m.origin === "inner") continue;
      // As libbpf: a perf_event_array without max_entries gets one slot per possible CPU.
      if (m.type === "perf_event_array" && m.maxEntries === 0) continue;
      checkMapSpec({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name });
    }
  } catch (e) {
    if (e instanceof BpfError) return e.message;
    throw e;
  }
  return undefined;
}

/** BPF_MAXINSNS: the most instructions a loader without CAP_BPF may hand over. */
const MAX_INSNS_UNPRIV = 4096;

/** The map types map_create lets a loader without CAP_BPF (or CAP_NET_ADMIN) make. */
const UNPRIV_MAPS = new Set(["array", "percpu_array", "prog_array", "perf_event_array", "cgroup_array", "array_of_maps", "hash", "percpu_hash", "hash_of_maps", "ringbuf", "user_ringbuf", "cgroup_storage", "percpu_cgroup_storage"]);

/** What map_create and bpf_prog_load refuse a loader without CAP_BPF before any verifier runs (EPERM, E2BIG). */
function unprivilegedRefusal(spec: ObjectSpec, type: string | undefined, insns: number): string | undefined {
  const map = spec.maps.find((m) => !m.structOps && !UNPRIV_MAPS.has(m.type));
  if (map) return `EPERM: an unprivileged loader may not create ${map.type} map "${map.name}"`;
  if (insns > MAX_INSNS_UNPRIV) return `E2BIG: ${insns} instructions, more than the ${MAX_INSNS_UNPRIV} an unprivileged loader may load`;
  if (type !== "socket_filter" && type !== "cgroup_skb") return `EPERM: an unprivileged loader may load socket_filter and cgroup_skb programs only, not ${type}`;
  return undefined;
}

/** The judge: what libbpf refuses before the verifier runs, then the verifier itself. */
export const tsbpfJudge: ProgramJudge = (spec, program, options) => {
  const base = { name: program.name, section: program.sectionName };
  // `spec` holds this program alone with its maps (programAlone), as the kernel's engine loads it.
  const refused = refusedBeforeLoad(spec);
  if (refused !== undefined) return { ...base, accepted: false, error: refused, verificationMs: 0 };
  if (options.privileged === false) {
    const why = unprivilegedRefusal(spec, program.type, program.instructions.length);
    if (why) return { ...base, accepted: false, error: why, verificationMs: 0 };
  }
  const logLevel = options.logLevel ?? (options.log ? 1 : 0);
  const r = verifyProgram(program, {
    maps: spec.maps,
    ...(spec.btf ? { btf: spec.btf } : {}),
    ...(options.targetBtf ? { kernelBtf: options.targetBtf } : {}),
    ...(options.moduleBtfs ? { moduleBtfs: options.moduleBtfs } : {}),
    logLevel,
    ...(options.privileged === false ? { privileged: false } : {}),
    ...(program.expectedAttachType ? { attachType: program.expectedAttachType } : {}),
  });
  if (r.accepted) {
    return { ...base, accepted: true, insnsProcessed: r.insnsProcessed, verificationMs: r.verificationMs, ...(options.log && r.log ? { log: r.log } : {}) };
  }
  const e = r.error!;
  // The kernel's log, then what it does not say: the source line, the path, a hint.
  const log = `${r.log.trimEnd()}\n${explain(e)}\n`;
  return { ...base, accepted: false, error: e.message, insnsProcessed: r.insnsProcessed, verificationMs: r.verificationMs, log };
};
