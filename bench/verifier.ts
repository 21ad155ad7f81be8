/**
 * @fileoverview Verification of every bench program by tsbpf's verifier and by the
 * kernel's in the same run: instructions processed and time, the kernel's figures from
 * its log's statistics (log level 4). Run alone with `node --import tsx bench/verifier.ts`,
 * or as part of `npm run bench`.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadObjectSpec } from "../src/object/index.js";
import { verifyObject } from "../src/verifier/index.js";

export interface VerifierBenchRow {
  readonly program: string;
  readonly accepted: boolean;
  readonly insns_processed: number;
  readonly verification_ms: number;
  readonly kernel_accepted?: boolean;
  readonly kernel_insns_processed?: number;
  readonly kernel_ms?: number;
}

/** Verifies each program of `dir`/progs in both verifiers; `kernel` is the backend where it works. */
export async function benchVerifier(dir: string, kernel: typeof import("../src/kernel/index.js") | undefined): Promise<VerifierBenchRow[]> {
  const rows: VerifierBenchRow[] = [];
  const files = readdirSync(join(dir, "progs")).filter((f) => f.endsWith(".bpf.o")).sort();
  for (const file of files) {
    const spec = loadObjectSpec(new Uint8Array(readFileSync(join(dir, "progs", file))), { name: file });
    // The best of three runs, as the kernel's figure is the best of three loads.
    let best: ReturnType<typeof verifyObject> | undefined;
    for (let k = 0; k < 3; k++) {
      const v = verifyObject(spec);
      if (!best || v.reduce((s, x) => s + x.verificationMs, 0) < best.reduce((s, x) => s + x.verificationMs, 0)) best = v;
    }
    for (const v of best!) {
      const row: VerifierBenchRow = { program: v.name, accepted: v.accepted, insns_processed: v.insnsProcessed ?? 0, verification_ms: round(v.verificationMs) };
      rows.push(kernel ? { ...row, ...(await kernelFigures(kernel, spec, v.name)) } : row);
    }
  }
  return rows;
}

async function kernelFigures(kernel: typeof import("../src/kernel/index.js"), spec: ReturnType<typeof loadObjectSpec>, name: string): Promise<Partial<VerifierBenchRow>> {
  const { loadObject } = await import("../src/object/index.js");
  const skip = spec.programs.filter((p) => p.name !== name).map((p) => p.name);
  let best: Partial<VerifierBenchRow> | undefined;
  for (let k = 0; k < 3; k++) {
    try {
      const o = await loadObject(spec, { engine: "kernel", skip, logLevel: 4 });
      try {
        const log = (o.programs.get(name) as import("../src/kernel/index.js").KernelProgram).log;
        const insns = Number(/processed (\d+) insns/.exec(log)?.[1] ?? 0);
        // Log level 4 prints the statistics alone, the verification time among them.
        const ms = Number(/verification time (\d+) usec/.exec(log)?.[1] ?? NaN) / 1000;
        const row = { kernel_accepted: true, kernel_insns_processed: insns, kernel_ms: round(ms) };
        if (!best || (row.kernel_ms ?? Infinity) < (best.kernel_ms ?? Infinity)) best = row;
      } finally {
        o.close();
      }
    } catch (e) {
      if (e instanceof kernel.KernelVerifierError) return { kernel_accepted: false };
      throw e;
    }
  }
  return best!;
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** The table `npm run bench` prints. */
export function verifierLines(rows: readonly VerifierBenchRow[]): string[] {
  return rows.map((r) => {
    let line = `verify ${r.program.padEnd(14)} tsbpf ${r.accepted ? "accepts" : "REJECTS"} ${String(r.insns_processed).padStart(8)} insns ${r.verification_ms.toFixed(1).padStart(8)} ms`;
    if (r.kernel_accepted !== undefined) {
      line += `  kernel ${r.kernel_accepted ? "accepts" : "REJECTS"}`;
      if (r.kernel_insns_processed !== undefined) {
        line += ` ${String(r.kernel_insns_processed).padStart(8)} insns ${(r.kernel_ms ?? NaN).toFixed(1).padStart(8)} ms`;
        line += `  ratio insns ${(r.insns_processed / Math.max(1, r.kernel_insns_processed)).toFixed(2)}x time ${(r.verification_ms / Math.max(0.01, r.kernel_ms ?? NaN)).toFixed(1)}x`;
      }
    }
    return line;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let kernel: typeof import("../src/kernel/index.js") | undefined;
  try {
    const k = await import("../src/kernel/index.js");
    if (k.kernelAvailable().ok) kernel = k;
  } catch {
    kernel = undefined;
  }
  for (const line of verifierLines(await benchVerifier(new URL(".", import.meta.url).pathname, kernel))) console.log(line);
}
