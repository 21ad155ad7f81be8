/**
 * @fileoverview Writes src/programs/helper-sets.ts: which helpers each program type (and
 * attach type) may call, asked of the running kernel as `bpftool feature probe` asks it,
 * by loading `call N` for every helper and reading the verifier's answer. Run as root:
 * `node --import tsx scripts/gen-program-helpers.ts [--check]`. The kernel's release is
 * recorded in the file; `--check` compares instead of writing (test/programs uses it).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { parseBtf } from "../src/btf/parse.js";
import { HELPER_NAMES } from "../src/helpers/names.js";
import { insn } from "../src/isa/instruction.js";
import * as bpf from "../src/kernel/bpf.js";
import { closeFd } from "../src/kernel/native.js";
import { ProgFlags } from "../src/kernel/uapi.js";
import { HELPER_PROBES, type HelperProbe } from "../src/programs/helper-probes.js";
import { attachTypeId, programTypeId } from "../src/programs/types.js";

const NO_HELPER = /program of this type cannot use helper|invalid func |unknown func /;

/** btf_trace_<tp>, the typedef a tp_btf program names as its target. */
function tpBtfId(): number {
  const vmlinux = parseBtf(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  const t = vmlinux.byName("btf_trace_sched_switch", "typedef")[0];
  if (!t) throw new Error("vmlinux BTF has no btf_trace_sched_switch");
  return t.id;
}

function allowed(p: HelperProbe, id: number, attachBtfId: number): boolean {
  try {
    const { fd } = bpf.progLoad({
      progType: programTypeId(p.type),
      insns: [insn(0x85, 0, 0, 0, id), insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)],
      license: "GPL",
      logLevel: 1,
      expectedAttachType: p.attachType === undefined ? undefined : attachTypeId(p.attachType),
      progFlags: p.type === "syscall" ? ProgFlags.Sleepable : undefined,
      attachBtfId: p.type === "tracing" ? attachBtfId : undefined,
    });
    closeFd(fd);
    return true;
  } catch (e) {
    return !NO_HELPER.test((e as { log?: string }).log ?? "");
  }
}

export function probeHelperSets(): Record<string, string[]> {
  const btfId = tpBtfId();
  const sets: Record<string, string[]> = {};
  for (const p of HELPER_PROBES) {
    const key = p.attachType ? `${p.type}/${p.attachType}` : p.type;
    sets[key] = HELPER_NAMES.flatMap((name, id) => (id > 0 && allowed(p, id, btfId) ? [name] : []));
  }
  return sets;
}

function render(sets: Record<string, string[]>): string {
  const keys = Object.keys(sets);
  const common = HELPER_NAMES.filter((n) => keys.every((k) => sets[k]!.includes(n)));
  const list = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");
  const wrap = (names: readonly string[]) => {
    const lines: string[] = [];
    let line = "";
    for (const n of names.map((x) => `"${x}",`)) {
      if (line.length + n.length > 96) { lines.push(line); line = ""; }
      line += (line ? " " : "") + n;
    }
    if (line) lines.push(line);
    return lines.map((l) => `    ${l}`).join("\n");
  };
  void list;
  let out = `/**
 * @fileoverview Which helpers each program type may call, as the kernel (${release()}) answered
 * when asked by scripts/gen-program-helpers.ts, privileged. Generated; do not edit.
 * Keys are a type, or type/attach type where the answer depends on it.
 */

/** Helpers every probed type may call (the kernel's bpf_base_func_proto, mostly). */
export const COMMON_HELPERS: readonly string[] = [
${wrap(common)}
];

/** The helpers each type or type/attach type may call besides COMMON_HELPERS. */
export const HELPER_SETS: Readonly<Record<string, readonly string[]>> = {
`;
  for (const k of keys) out += `  "${k}": [\n${wrap(sets[k]!.filter((n) => !common.includes(n)))}\n  ],\n`;
  return `${out}};\n`;
}

if (process.argv[1]?.endsWith("gen-program-helpers.ts")) {
  const text = render(probeHelperSets());
  const path = new URL("../src/programs/helper-sets.ts", import.meta.url);
  if (process.argv.includes("--check")) {
    const same = readFileSync(path, "utf8") === text;
    console.log(same ? "helper-sets.ts matches this kernel" : "helper-sets.ts differs from this kernel");
    process.exit(same ? 0 : 1);
  }
  writeFileSync(path, text);
}
