/**
 * @fileoverview The kernel's verdict on real objects: for every `.o` in the directory given on
 * the command line, every program is judged by tsbpf's verifier and by the running kernel's
 * (each loaded alone, as `tsbpf verify --compare` does), and objects tsbpf's loader cannot open
 * are listed too. Prints a markdown table, the disagreements grouped by tsbpf's error, and a
 * summary; `--json FILE` also writes every row with both logs' last lines. `--libbpf` also
 * loads each program with libbpf itself (test/object/libbpf-verdicts.c, built with cc and
 * libbpf-dev): where libbpf's verdict differs from the kernel engine's, tsbpf's loader
 * handed the kernel something other than libbpf does (a loader bug both verdicts hide).
 *
 *   npx tsx scripts/realworld.ts DIR [--json FILE] [--log-level 1|2] [--libbpf] [--type PROG=TYPE]...
 *
 * `--type` gives a program whose section names no type (old `sk_skb1`-style names) the type
 * its loader would set (bpf_program__set_type), for every object of the directory.
 *
 * Needs root and bpf() for the kernel's side (without them only tsbpf's verdicts are printed).
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { openObject } from "../src/cli/object.js";
import { verifyObject as judgeObject, type ProgramVerdict } from "../src/object/verify.js";
import { kernelBtf } from "../src/object/host.js";
import { kernelAvailable } from "../src/kernel/index.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: "string" }, "log-level": { type: "string", default: "1" }, libbpf: { type: "boolean", default: false }, type: { type: "string", multiple: true, default: [] } },
});
const dir = positionals[0];
if (!dir) {
  console.error("usage: npx tsx scripts/realworld.ts DIR [--json FILE] [--log-level 1|2] [--libbpf] [--type PROG=TYPE]...");
  process.exit(2);
}

/**
 * Why the kernel here refuses what a production kernel takes: fentry/fexit/lsm attach needs a
 * trampoline this machine refuses (EPERM), a kprobe target compiled out or renamed, a
 * tracepoint this kernel lacks, a typed ksym this kernel does not have. tsbpf should accept
 * these when their code is sound.
 */
function machineReason(v: ProgramVerdict): string | undefined {
  const e = v.error ?? "";
  if (v.accepted) return undefined;
  if (/EPERM|Operation not permitted/i.test(e) && /^(fentry|fexit|fmod_ret|lsm|tp_btf|iter)/.test(v.section)) return "attach refused here (EPERM)";
  if (/attach target|no such (function|tracepoint)|not found in kernel BTF|Cannot find/i.test(e)) return "attach target missing here";
  if (/extern \(ksym\) '[^']*': not found in \/proc\/kallsyms/.test(e)) return "ksym missing here";
  return undefined;
}

interface Row {
  object: string;
  program: string;
  section: string;
  kernel?: ProgramVerdict;
  tsbpf?: ProgramVerdict;
  openError?: string;
  machine?: string;
  /** libbpf's own verdict (--libbpf), and its last message when it refused. */
  libbpf?: { accepted: boolean; error: string };
}

/** test/object/libbpf-verdicts.c built into a temporary directory, or why not. */
function libbpfHelper(): string {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-realworld-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "libbpf-verdicts");
  const cc = spawnSync("cc", ["-O1", "-o", out, new URL("../test/object/libbpf-verdicts.c", import.meta.url).pathname, "-lbpf"], { encoding: "utf8" });
  if (cc.error || cc.status !== 0) throw new Error(`--libbpf: cannot build test/object/libbpf-verdicts.c (cc, libbpf-dev): ${cc.error?.message ?? cc.stderr.trim()}`);
  return out;
}

/** libbpf's verdict on each program of an object, loaded alone, by name. */
function libbpfVerdicts(helper: string, path: string, types: readonly string[]): Map<string, { accepted: boolean; error: string }> {
  const run = spawnSync(helper, [path, ...types.map((t) => t.replace("=", ":"))], { encoding: "utf8" });
  const verdicts = new Map<string, { accepted: boolean; error: string }>();
  for (const line of run.stdout.split("\n")) {
    const [name, , status, error = ""] = line.split("\t");
    if (name && !name.startsWith("#") && status !== undefined) verdicts.set(name, { accepted: status === "ok", error });
  }
  return verdicts;
}

const hostBtf = kernelBtf();
const kernel = kernelAvailable();
const logLevel = Number(values["log-level"]);
const helper = values.libbpf && kernel.ok ? libbpfHelper() : undefined;
const rows: Row[] = [];
const objects = readdirSync(dir).filter((f) => f.endsWith(".o")).sort();
for (const file of objects) {
  let spec;
  try {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    // Only the --type entries naming a program of this object (openObject refuses others).
    const names = new Set(openObject(bytes, basename(file)).programs.map((p) => p.name));
    const types = (values.type as string[]).filter((t) => names.has(t.split("=")[0]!));
    spec = openObject(bytes, basename(file), { type: types });
  } catch (e) {
    rows.push({ object: file, program: "", section: "", openError: (e as Error).message });
    continue;
  }
  const ours = await judgeObject(spec, { engine: "tsbpf", logLevel, ...(hostBtf ? { targetBtf: hostBtf } : {}) }).catch((e: Error) => e);
  const theirs = kernel.ok ? await judgeObject(spec, { engine: "kernel", logLevel }).catch((e: Error) => e) : undefined;
  if (ours instanceof Error) {
    rows.push({ object: file, program: "", section: "", openError: `tsbpf judge: ${ours.message}` });
    continue;
  }
  const types = (values.type as string[]).filter((t) => spec.programs.some((p) => p.name === t.split("=")[0]));
  const libbpf = helper ? libbpfVerdicts(helper, join(dir, file), types) : undefined;
  ours.forEach((o, k) => {
    const t = theirs instanceof Error ? undefined : theirs?.[k];
    const l = libbpf?.get(o.name);
    rows.push({ object: file, program: o.name, section: o.section, tsbpf: o, ...(t ? { kernel: t, machine: machineReason(t) } : {}), ...(l ? { libbpf: l } : {}) });
  });
}

const cell = (s?: string) => (s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 100);
const say = (v?: ProgramVerdict) => (v ? (v.accepted ? "accept" : "reject") : "?");
const out: string[] = [
  "| object | program | section | kernel | tsbpf | tsbpf's error | kernel's error | insns kernel | insns tsbpf |",
  "|---|---|---|---|---|---|---|---:|---:|",
];
for (const r of rows) {
  if (r.openError) {
    out.push(`| ${r.object} | | | | **open failed** | ${cell(r.openError)} | | | |`);
    continue;
  }
  const differ = r.kernel && r.kernel.accepted !== r.tsbpf!.accepted;
  const kernelSays = r.machine ? `reject (${r.machine})` : say(r.kernel);
  out.push(`| ${r.object} | ${r.program} | ${r.section} | ${kernelSays} | ${say(r.tsbpf)}${differ ? " **(differ)**" : ""} | ${cell(r.tsbpf!.error)} | ${cell(r.kernel?.error)} | ${r.kernel?.insnsProcessed ?? ""} | ${r.tsbpf!.insnsProcessed ?? ""} |`);
}

// Disagreements, grouped by what tsbpf said with registers and numbers taken out.
const groups = new Map<string, string[]>();
for (const r of rows) {
  if (r.openError || !r.kernel) continue;
  const tsbpf = r.tsbpf!;
  if (r.kernel.accepted === tsbpf.accepted && !r.machine) continue;
  if (r.machine && !tsbpf.accepted) {
    // The kernel here cannot say; tsbpf's rejection is a disagreement with a real kernel unless its own reason is the same.
  } else if (r.machine) continue;
  const what = tsbpf.accepted ? `tsbpf accepts; kernel: ${r.kernel.error}` : `tsbpf: ${tsbpf.error}`;
  const key = what.replace(/scalar\(\S*/g, "scalar(...)").replace(/\bR\d+\b/g, "Rn").replace(/-?\b\d+\b/g, "N").slice(0, 160);
  groups.set(key, [...(groups.get(key) ?? []), `${r.object}/${r.program}`]);
}
out.push("", "Disagreements (and machine-only kernel refusals tsbpf also refuses), by tsbpf's error:", "");
for (const [k, v] of [...groups].sort((a, b) => b[1].length - a[1].length)) out.push(`- ${v.length}: ${k} — ${v.slice(0, 6).join(", ")}${v.length > 6 ? ", ..." : ""}`);

const judged = rows.filter((r) => r.kernel && !r.openError);
const agree = judged.filter((r) => r.kernel!.accepted === r.tsbpf!.accepted).length;
const machine = judged.filter((r) => r.machine);
const openFailed = rows.filter((r) => r.openError);
const loaderBugs = rows.filter((r) => r.kernel && r.libbpf && r.libbpf.accepted !== r.kernel.accepted);
if (helper) {
  out.push("", "Where libbpf's own load differs from the kernel engine's (what tsbpf's loader gave the kernel):", "");
  for (const r of loaderBugs) out.push(`- ${r.object}/${r.program}: libbpf ${r.libbpf!.accepted ? "loads it" : `refuses: ${r.libbpf!.error}`}; kernel engine ${r.kernel!.accepted ? "loads it" : `refuses: ${r.kernel!.error}`}`);
  if (!loaderBugs.length) out.push("- none");
}
out.push("", `${objects.length} objects, ${openFailed.length} tsbpf could not open; ${judged.length} programs judged by both, ${agree} agree.`,
  `${machine.length} programs the kernel here refuses for this machine's reasons; tsbpf accepts ${machine.filter((r) => r.tsbpf!.accepted).length} of them.`);
// Effort: processed insns where both accept, and the programs over the issue's bar (1.5 times the kernel's).
const both = judged.filter((r) => r.kernel!.accepted && r.tsbpf!.accepted && r.kernel!.insnsProcessed && r.tsbpf!.insnsProcessed);
const sumOf = (pick: (r: Row) => number): number => both.reduce((n, r) => n + pick(r), 0);
const theirs = sumOf((r) => r.kernel!.insnsProcessed!), ours = sumOf((r) => r.tsbpf!.insnsProcessed!);
if (both.length) {
  const over = both.filter((r) => r.tsbpf!.insnsProcessed! > 1.5 * r.kernel!.insnsProcessed!);
  out.push(`Processed insns where both accept (${both.length} programs): tsbpf ${ours}, the kernel ${theirs} (${(ours / theirs).toFixed(2)}x); over 1.5x: ${over.length ? over.map((r) => `${r.object}/${r.program} ${r.tsbpf!.insnsProcessed}/${r.kernel!.insnsProcessed}`).join(", ") : "none"}.`);
}
if (!kernel.ok) out.push(`(no kernel verdicts: ${kernel.reason})`);
console.log(out.join("\n"));
if (values.json) {
  const tail = (v?: ProgramVerdict) => (v?.log ? v.log.split("\n").slice(-25).join("\n") : undefined);
  writeFileSync(values.json, JSON.stringify(rows.map((r) => ({ ...r, tsbpf: r.tsbpf && { ...r.tsbpf, log: tail(r.tsbpf) }, kernel: r.kernel && { ...r.kernel, log: tail(r.kernel) } })), null, 1));
}
