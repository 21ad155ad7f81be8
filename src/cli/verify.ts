/**
 * @fileoverview `tsbpf verify FILE.o --engine kernel`: a verdict for every program of an
 * object, each judged alone (as `bpftool prog load` users load one program at a time), so
 * one program's failure hides none of the others. `--json` prints the verdicts as data.
 */

import { kernelBtf, moduleBtfs } from "../object/host.js";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { BpfError, NotSupportedError } from "../errors.js";
import { VERIFY_ENGINES, verifyObject, type ProgramVerdict } from "../object/verify.js";
import type { Io } from "./io.js";
import { OPEN_OPTIONS, OPEN_USAGE, openObject } from "./object.js";

export const VERIFY_USAGE = `usage: tsbpf verify FILE.o [--engine ${Object.keys(VERIFY_ENGINES).join("|")}] [--compare] [--prog NAME]... [--json] [--log] [--log-level 1|2]
                    ${OPEN_USAGE}
  --engine NAME   who judges (default tsbpf): ${Object.entries(VERIFY_ENGINES).map(([k, v]) => `${k} (${v.describe})`).join("; ")}
  --compare       judge with tsbpf's verifier and the kernel's, and list every program on which they disagree
  --prog NAME     judge only this program (repeatable); by default every program, each loaded alone
  --json          {"programs": [{"name", "section", "accepted", "error", "insns_processed", "verification_ms"}]}
                  (with --log, each has its "log" too)
  --log           print the verifier's log (at --log-level 1 unless given) of accepted programs too;
                  a rejection always prints what the verifier said (tsbpf's adds the source line and a hint)
  --pin-root DIR  with the kernel: reuse and pin maps under DIR as loadObject's pinRoot (without it, no map is pinned or reused)
exit status: 0 when every program judged is accepted (with --compare: when the verifiers agree), 1 otherwise.`;

/** Who "accepted" or "rejected" a program, in the text output. */
const JUDGE_NAME: Record<string, string> = { kernel: "the kernel", tsbpf: "tsbpf's verifier" };

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      prog: { type: "string", multiple: true },
      engine: { type: "string", default: "tsbpf" },
      compare: { type: "boolean", default: false },
      "log-level": { type: "string" },
      log: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      ...OPEN_OPTIONS,
      "pin-root": { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    io.err(VERIFY_USAGE);
    return 2;
  }
  const engine = String(values.engine);
  if (!VERIFY_ENGINES[engine]) {
    throw new NotSupportedError(`verify --engine ${engine}`, `the engines are ${Object.keys(VERIFY_ENGINES).join(", ")}`);
  }
  const logLevel = values["log-level"] === undefined ? undefined : Number(values["log-level"]);
  if (logLevel !== undefined && ![1, 2].includes(logLevel)) throw new BpfError("EINVAL", `--log-level ${values["log-level"]} is not 1 or 2`);
  if (engine === "kernel" || values.compare) {
    const here = (await import("../kernel/index.js")).kernelAvailable();
    if (!here.ok) throw new NotSupportedError(values.compare ? "verify --compare" : "verify --engine kernel", here.reason);
  }

  const path = positionals[0]!;
  const spec = openObject(new Uint8Array(readFileSync(path)), basename(path), values);
  // The kernel's BTF: tsbpf's verifier types BTF pointers (tp_btf arguments, iterators) by it.
  const hostBtf = kernelBtf();
  const options = { log: Boolean(values.log), ...(logLevel !== undefined ? { logLevel } : {}), ...(values.prog ? { programs: values.prog } : {}), ...(values["pin-root"] ? { pinRoot: values["pin-root"] } : {}), ...(hostBtf ? { targetBtf: hostBtf, moduleBtfs: () => [...moduleBtfs()].map((m) => m.btf) } : {}) };
  if (values.compare) return compareEngines(spec, options, Boolean(values.json), io);
  const verdicts = await verifyObject(spec, { engine, ...options });
  if (values.json) {
    io.out(JSON.stringify(verdictsJson(verdicts, Boolean(values.log)), null, 2));
    // The JSON keeps the issue's shape; warnings go where a reader of the terminal sees them.
    for (const v of verdicts) for (const w of v.warnings ?? []) io.err(`tsbpf verify: ${v.name}: warning: ${w}`);
  } else printVerdicts(verdicts, JUDGE_NAME[engine] ?? engine, io);
  return verdicts.every((v) => v.accepted) ? 0 : 1;
}

/** The --json shape, the same whichever engine judged. */
export function verdictsJson(verdicts: readonly ProgramVerdict[], withLog = false) {
  return {
    programs: verdicts.map((v) => ({
      name: v.name,
      section: v.section,
      accepted: v.accepted,
      error: v.error ?? null,
      insns_processed: v.insnsProcessed ?? null,
      verification_ms: Math.round(v.verificationMs * 1000) / 1000,
      ...(withLog && v.log !== undefined ? { log: v.log } : {}),
    })),
  };
}

function printVerdicts(verdicts: readonly ProgramVerdict[], judge: string, io: Io): void {
  for (const v of verdicts) {
    const stats = v.insnsProcessed !== undefined ? ` (processed ${v.insnsProcessed} insns, ${v.verificationMs.toFixed(3)} ms)` : "";
    if (v.accepted) io.out(`${v.name}: accepted by ${judge}${stats}`);
    else if (v.refusedBy === "loader") io.out(`${v.name}: not loaded: ${v.error ?? "no reason given"}`);
    else io.out(`${v.name}: rejected by ${judge}: ${v.error ?? "no reason given"}`);
    for (const w of v.warnings ?? []) io.out(`${v.name}: warning: ${w}`);
    if (v.log && (v.log.trim() !== "")) io.out(v.log.trimEnd());
  }
  const rejected = verdicts.filter((v) => !v.accepted).length;
  if (verdicts.length > 1) io.out(`${verdicts.length} programs: ${verdicts.length - rejected} accepted, ${rejected} rejected`);
}

/** --compare: tsbpf's verifier and the kernel's on every program; exit 1 when a verdict differs. */
async function compareEngines(spec: Parameters<typeof verifyObject>[0], options: Omit<Parameters<typeof verifyObject>[1], "engine">, json: boolean, io: Io): Promise<number> {
  const ours = await verifyObject(spec, { ...options, engine: "tsbpf" });
  const theirs = await verifyObject(spec, { ...options, engine: "kernel" });
  const rows = ours.map((o, k) => ({ name: o.name, section: o.section, tsbpf: o, kernel: theirs[k]! }));
  const differ = rows.filter((r) => r.tsbpf.accepted !== r.kernel.accepted);
  if (json) {
    io.out(JSON.stringify({
      programs: rows.map((r) => ({
        name: r.name, section: r.section, agree: r.tsbpf.accepted === r.kernel.accepted,
        tsbpf: { accepted: r.tsbpf.accepted, error: r.tsbpf.error ?? null, insns_processed: r.tsbpf.insnsProcessed ?? null },
        kernel: { accepted: r.kernel.accepted, error: r.kernel.error ?? null, insns_processed: r.kernel.insnsProcessed ?? null },
      })),
    }, null, 2));
  } else {
    for (const r of rows) {
      const say = (v: ProgramVerdict) => (v.accepted ? "accepted" : `rejected (${v.error ?? "no reason given"})`);
      io.out(`${r.name}: ${r.tsbpf.accepted === r.kernel.accepted ? "agree" : "DIFFER"}: tsbpf ${say(r.tsbpf)}; kernel ${say(r.kernel)}`);
    }
    io.out(differ.length ? `${differ.length} of ${rows.length} programs differ` : `no differences (${rows.length} programs)`);
  }
  return differ.length ? 1 : 0;
}
