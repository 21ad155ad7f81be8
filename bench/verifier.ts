/**
 * @fileoverview Verification of every bench program by tsbpf's verifier and by the
 * kernel's in the same run: instructions processed and time, the kernel's figures from
 * its log's statistics (log level 4). Run alone with `node --import tsx bench/verifier.ts`,
 * or as part of `npm run bench`.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadObjectSpec } from "../src/object/index.js";
import { verifyObject } from "../src/verifier/index.js";

export interface VerifierBenchRow {
  readonly program: string;
  /** The code timed: "tsc" (src compiled, as installed) or "tsx" (the sources, where tsc failed). */
  readonly code: string;
  readonly accepted: boolean;
  readonly insns_processed: number;
  /** The first verification in a fresh process. */
  readonly verification_ms: number;
  /** The best of the verifications after it in the same process. */
  readonly verification_warm_ms: number;
  readonly kernel_accepted?: boolean;
  readonly kernel_insns_processed?: number;
  readonly kernel_ms?: number;
}

/** Verifies each program of `dir`/progs in both verifiers; `kernel` is the backend where it works. */
export async function benchVerifier(dir: string, kernel: typeof import("../src/kernel/index.js") | undefined): Promise<VerifierBenchRow[]> {
  const rows: VerifierBenchRow[] = [];
  const files = readdirSync(join(dir, "progs")).filter((f) => f.endsWith(".bpf.o")).sort();
  const dist = compiled();
  try {
    for (const file of files) {
      const path = join(dir, "progs", file);
      const spec = loadObjectSpec(new Uint8Array(readFileSync(path)), { name: file });
      // A fresh process per object: no program's first run is warmed by the one before it.
      const env = { ...process.env, TSBPF_BENCH_VERIFY: path, ...(dist ? { TSBPF_BENCH_DIST: dist } : {}) };
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env, encoding: "utf8" });
      if (child.status !== 0) throw new Error(`verifier bench of ${file}: ${child.stderr}`);
      for (const row of JSON.parse(child.stdout) as VerifierBenchRow[]) rows.push(kernel ? { ...row, ...(await kernelFigures(kernel, spec, row.program)) } : row);
    }
  } finally {
    if (dist) rmSync(dist, { recursive: true, force: true });
  }
  return rows;
}

/**
 * src compiled with tsc into a temporary directory, the code an installed tsbpf runs (tsx's
 * CommonJS transform reads every imported binding through a getter, which a first run pays
 * for); undefined where tsc fails, and the children run the sources under tsx.
 */
function compiled(): string | undefined {
  const out = mkdtempSync(join(tmpdir(), "tsbpf-bench-"));
  const root = fileURLToPath(new URL("..", import.meta.url));
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", out, "--declaration", "false", "--sourceMap", "false"], { encoding: "utf8" });
  if (tsc.status === 0) {
    // The nearest package.json says the output is ES modules.
    writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
    return out;
  }
  rmSync(out, { recursive: true, force: true });
  return undefined;
}

/** In the child: the object's first verification, then the best of those after it (at least 3, for about a second). */
async function timeObject(path: string, dist: string | undefined): Promise<VerifierBenchRow[]> {
  const object: typeof import("../src/object/index.js") = await import(dist ? pathToFileURL(join(dist, "object/index.js")).href : "../src/object/index.js");
  const verifier: typeof import("../src/verifier/index.js") = await import(dist ? pathToFileURL(join(dist, "verifier/index.js")).href : "../src/verifier/index.js");
  const spec = object.loadObjectSpec(new Uint8Array(readFileSync(path)), { name: path });
  const ms = (v: ReturnType<typeof verifyObject>) => v.reduce((s, x) => s + x.verificationMs, 0);
  const first = verifier.verifyObject(spec);
  let warm: ReturnType<typeof verifyObject> | undefined;
  const start = performance.now();
  for (let k = 0; k < 2000 && (k < 3 || performance.now() - start < 1000); k++) {
    const v = verifier.verifyObject(spec);
    if (!warm || ms(v) < ms(warm)) warm = v;
  }
  const code = dist ? "tsc" : "tsx";
  return first.map((v, k) => ({ program: v.name, code, accepted: v.accepted, insns_processed: v.insnsProcessed ?? 0, verification_ms: round(v.verificationMs), verification_warm_ms: round(warm![k]!.verificationMs) }));
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

const round = (x: number): number => Math.round(x * 100) / 100;

/** The table `npm run bench` prints. */
export function verifierLines(rows: readonly VerifierBenchRow[]): string[] {
  const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1)).padStart(7);
  return rows.map((r) => {
    let line = `verify ${r.program.padEnd(14)} tsbpf (${r.code}) ${r.accepted ? "accepts" : "REJECTS"} ${String(r.insns_processed).padStart(7)} insns first ${ms(r.verification_ms)} ms warm ${ms(r.verification_warm_ms)} ms`;
    if (r.kernel_accepted !== undefined) {
      line += `  kernel ${r.kernel_accepted ? "accepts" : "REJECTS"}`;
      if (r.kernel_insns_processed !== undefined) {
        const k = Math.max(0.01, r.kernel_ms ?? NaN);
        line += ` ${String(r.kernel_insns_processed).padStart(7)} insns ${ms(r.kernel_ms ?? NaN)} ms`;
        line += `  ratio insns ${(r.insns_processed / Math.max(1, r.kernel_insns_processed)).toFixed(2)}x time first ${(r.verification_ms / k).toFixed(1)}x warm ${(r.verification_warm_ms / k).toFixed(1)}x`;
      }
    }
    return line;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href && process.env.TSBPF_BENCH_VERIFY) {
  process.stdout.write(JSON.stringify(await timeObject(process.env.TSBPF_BENCH_VERIFY, process.env.TSBPF_BENCH_DIST)));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let kernel: typeof import("../src/kernel/index.js") | undefined;
  try {
    const k = await import("../src/kernel/index.js");
    if (k.kernelAvailable().ok) kernel = k;
  } catch {
    kernel = undefined;
  }
  for (const line of verifierLines(await benchVerifier(new URL(".", import.meta.url).pathname, kernel))) console.log(line);
}
