/**
 * @fileoverview Writes src/verifier/kfunc-sets.ts: which program types may call each of the
 * well-known kfuncs of src/verifier/kfuncs.ts, asked of the running kernel by loading a call
 * of it in each type (as scripts/gen-program-helpers.ts asks for helpers) and reading whether
 * the verifier says `calling kernel function X is not allowed`. Run as root:
 * `node --import tsx scripts/gen-kfunc-sets.ts [--check]`.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { parseBtf } from "../src/btf/parse.js";
import { insn } from "../src/isa/instruction.js";
import * as bpf from "../src/kernel/bpf.js";
import { closeFd } from "../src/kernel/native.js";
import { ProgFlags } from "../src/kernel/uapi.js";
import { HELPER_PROBES, type HelperProbe } from "../src/programs/helper-probes.js";
import { attachTypeId, programTypeId } from "../src/programs/types.js";
import { WELL_KNOWN_KFUNCS } from "../src/verifier/kfuncs.js";

const NOT_ALLOWED = /calling kernel function \S+ is not allowed/;

/** One probe per program type: the kernel's kfunc id sets are per type (its BTF_KFUNC_HOOK_*). */
const probes: HelperProbe[] = [];
for (const p of HELPER_PROBES) if (!probes.some((q) => q.type === p.type)) probes.push(p);

function allowed(p: HelperProbe, btfId: number, tpBtfId: number): boolean {
  try {
    const { fd } = bpf.progLoad({
      progType: programTypeId(p.type),
      insns: [insn(0x85, 0, 2, 0, btfId), insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)],
      license: "GPL",
      logLevel: 1,
      expectedAttachType: p.attachType === undefined ? undefined : attachTypeId(p.attachType),
      progFlags: p.type === "syscall" ? ProgFlags.Sleepable : undefined,
      attachBtfId: p.type === "tracing" ? tpBtfId : undefined,
    });
    closeFd(fd);
    return true;
  } catch (e) {
    return !NOT_ALLOWED.test((e as { log?: string }).log ?? "");
  }
}

/** For each well-known kfunc this kernel has, the probed types the kernel lets call it. */
export function probeKfuncSets(): Record<string, string[]> {
  const vmlinux = parseBtf(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  const tpBtfId = vmlinux.byName("btf_trace_sched_switch", "typedef")[0]!.id;
  const sets: Record<string, string[]> = {};
  for (const name of WELL_KNOWN_KFUNCS) {
    const f = vmlinux.byName(name, "func")[0];
    if (f) sets[name] = probes.filter((p) => allowed(p, f.id, tpBtfId)).map((p) => p.type);
  }
  return sets;
}

function render(sets: Record<string, string[]>): string {
  const types = probes.map((p) => p.type);
  let out = `/**
 * @fileoverview Which program types may call each well-known kfunc, as the kernel (${release()})
 * answered scripts/gen-kfunc-sets.ts. Generated; do not edit. Types not in KFUNC_PROBED_TYPES
 * (lsm, struct_ops, ext: they do not load here without a target) are not checked.
 */

/** The program types the kernel was asked about. */
export const KFUNC_PROBED_TYPES: readonly string[] = [${types.map((t) => `"${t}"`).join(", ")}];

/** For each kfunc this kernel has, the probed types that may call it. */
export const KFUNC_TYPES: Readonly<Record<string, readonly string[]>> = {
`;
  for (const [name, ok] of Object.entries(sets)) out += `  ${name}: [${ok.map((t) => `"${t}"`).join(", ")}],\n`;
  return `${out}};\n`;
}

if (process.argv[1]?.endsWith("gen-kfunc-sets.ts")) {
  const text = render(probeKfuncSets());
  const path = new URL("../src/verifier/kfunc-sets.ts", import.meta.url);
  if (process.argv.includes("--check")) {
    const same = readFileSync(path, "utf8") === text;
    console.log(same ? "kfunc-sets.ts matches this kernel" : "kfunc-sets.ts differs from this kernel");
    process.exit(same ? 0 : 1);
  }
  writeFileSync(path, text);
}
