/**
 * @fileoverview Prints the results section of src/verifier/CORPUS.md: tsbpf's verdict, processed
 * instructions and time beside the kernel's recorded ones for every corpus program, and the
 * disagreements grouped by tsbpf's first error, ranked by how many programs each blocks.
 * `npx tsx scripts/corpus-report.ts > /tmp/r.md` (after scripts/build-corpus.sh).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyObject } from "../src/verifier/index.js";
import { kernelBtf } from "../src/object/host.js";

/** The kernel's BTF, for BTF-typed pointers, as `tsbpf verify` gives it. */
const hostBtf = kernelBtf();
import { CORPUS, corpusObjects, openCorpus, VERDICTS_FILE, type KernelVerdict } from "../test/verifier/corpus/corpus.js";

const recorded = JSON.parse(readFileSync(VERDICTS_FILE, "utf8")) as { kernel: string; verdicts: KernelVerdict[] };
// What each source exercises comes from the corpus README's table, the one place it is written.
const exercises = new Map<string, string>();
for (const line of readFileSync(join(CORPUS, "README.md"), "utf8").split("\n")) {
  const cells = line.split("|").map((c) => c.trim());
  if (cells.length >= 5 && /^[a-z0-9-]+$/.test(cells[1]!)) exercises.set(cells[1]!, cells[3]!);
}
const rows: string[] = [];
const gaps = new Map<string, string[]>();
let agree = 0;
/** Over the programs both accept: the kernel's and tsbpf's processed instructions, and tsbpf's time over the kernel's. */
let kernelInsns = 0;
let ourInsns = 0;
const timeRatios: number[] = [];
/** The same ratios with tsbpf's best of three runs: without the JIT's warm-up, which a first run mostly measures. */
const warmRatios: number[] = [];
let total = 0;
const verdict = (a: boolean) => (a ? "accept" : "reject");
for (const object of corpusObjects()) {
  const spec = openCorpus(object);
  const options = hostBtf ? { kernelBtf: hostBtf } : {};
  const first = verifyObject(spec, options);
  const again = [verifyObject(spec, options), verifyObject(spec, options)];
  for (const v of first) {
    const k = recorded.verdicts.find((r) => r.object === object && r.program === v.name);
    total++;
    const same = k?.accepted === v.accepted;
    if (same && v.accepted && k.insnsProcessed && k.verificationMs) {
      kernelInsns += k.insnsProcessed;
      ourInsns += v.insnsProcessed ?? 0;
      timeRatios.push(v.verificationMs / k.verificationMs);
      const best = Math.min(v.verificationMs, ...again.map((r) => r.find((x) => x.name === v.name)?.verificationMs ?? Infinity));
      warmRatios.push(best / k.verificationMs);
    }
    if (same) agree++;
    else {
      // Group by the error with registers, offsets and numbers taken out.
      const cause = (v.error ?? `accepted where the kernel says: ${k?.error}`).replace(/^\d+: \([0-9a-f]+\) [^:]*: /, "").replace(/scalar\(\S*/g, "scalar(...)").replace(/\bR\d+\b/g, "Rn").replace(/-?\d+/g, "N");
      gaps.set(cause, [...(gaps.get(cause) ?? []), `${object}/${v.name}`]);
    }
    const err = (s?: string) => (s ? s.replace(/\|/g, "\\|").slice(0, 90) : "");
    rows.push(`| ${object} | ${v.name} | ${exercises.get(object.replace(/(\.v\d)?\.bpf\.o$/, "")) ?? ""} | ${k ? verdict(k.accepted) : "?"} | ${verdict(v.accepted)}${same ? "" : " **(gap)**"} | ${k?.insnsProcessed ?? ""} | ${v.insnsProcessed ?? ""} | ${k?.verificationMs?.toFixed(2) ?? ""} | ${v.verificationMs.toFixed(2)} | ${err(v.error)} | ${err(k?.error)} |`);
  }
}
const out = [
  `Kernel ${recorded.kernel}; ${agree} of ${total} programs get the kernel's verdict from tsbpf.`,
  `On the ${timeRatios.length} programs both accept, tsbpf processes ${ourInsns} instructions to the kernel's ${kernelInsns} (${(ourInsns / kernelInsns).toFixed(2)} times) and takes a median ${timeRatios.sort((a, b) => a - b)[timeRatios.length >> 1]!.toFixed(1)} times the kernel's time on a first run (${warmRatios.sort((a, b) => a - b)[warmRatios.length >> 1]!.toFixed(1)} times with the best of three runs).`,
  "",
  "| object | program | exercises | kernel | tsbpf | kernel insns | tsbpf insns | kernel ms | tsbpf ms | tsbpf's error | kernel's error |",
  "|---|---|---|---|---|---:|---:|---:|---:|---|---|",
  ...rows,
  "",
  "Gaps, ranked by the programs each blocks:",
  "",
  ...[...gaps].sort((a, b) => b[1].length - a[1].length).map(([cause, ps], i) => `${i + 1}. \`${cause}\`: ${ps.length} (${ps.join(", ")})`),
];
process.stdout.write(`${out.join("\n")}\n`);
