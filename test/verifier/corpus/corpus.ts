/**
 * @fileoverview The corpus of real-world-style objects (test/verifier/corpus) and how each
 * is opened and judged by either verifier, shared by corpus.test.ts and scripts/corpus-verdicts.ts.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadObject, loadObjectSpec } from "../../../src/object/index.js";
import type { Btf } from "../../../src/btf/index.js";
import type { ObjectSpec } from "../../../src/object/types.js";

export const CORPUS = new URL("./", import.meta.url).pathname;
export const VERDICTS_FILE = join(CORPUS, "kernel-verdicts.json");

/** Every compiled object of the corpus, sorted. */
export const corpusObjects = (): string[] => readdirSync(CORPUS).filter((f) => f.endsWith(".bpf.o")).sort();

/** Near-miss programs (sources named `bad-*`) are written to be rejected; the others to be accepted. */
export const meantToLoad = (object: string): boolean => !object.startsWith("bad-");

/**
 * The object's spec; with `targetBtf` (the running kernel's), CO-RE relocated against it as
 * `tsbpf verify` does. Without, the compile-time offsets stay: those of the vmlinux.h the
 * build generated, i.e. of the kernel whose verdicts kernel-verdicts.json records.
 */
export function openCorpus(object: string, targetBtf?: Btf): ObjectSpec {
  return loadObjectSpec(new Uint8Array(readFileSync(join(CORPUS, object))), { name: object, ...(targetBtf ? { targetBtf } : {}) });
}

/** The log's last line naming the fault: not a state dump, a BTF note or the statistics. */
function faultLine(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.trim()).filter((l) => l && !/^(cur state|old state|arg#\d|verification time|stack depth|processed \d+ insns|\d+: )/.test(l));
  return lines.at(-1);
}

/** The kernel's verdict on one program, as recorded in kernel-verdicts.json. */
export interface KernelVerdict {
  readonly object: string;
  readonly program: string;
  readonly section: string;
  readonly accepted: boolean;
  /** The last meaningful line of the kernel's log when it rejects. */
  readonly error?: string;
  /** The end of the kernel's log when it rejects (at most its last 40 lines), where the fault is named. */
  readonly log?: string;
  readonly insnsProcessed?: number;
  /** The kernel's own `verification time N usec`, in ms. */
  readonly verificationMs?: number;
}

/** Loads one program of `object` alone in the kernel (log level 4: statistics only). */
export async function kernelVerdict(object: string, program: string, targetBtf?: Btf): Promise<KernelVerdict | undefined> {
  const spec = openCorpus(object, targetBtf);
  const p = spec.programs.find((q) => q.name === program)!;
  const base = { object, program, section: p.sectionName };
  let log: string;
  let accepted = true;
  let error: string | undefined;
  try {
    const o = await loadObject(spec, { engine: "kernel", logLevel: 4, pinRoot: false, skip: spec.programs.filter((q) => q.name !== program).map((q) => q.name) });
    log = (o.programs.get(program) as unknown as { log: string }).log ?? "";
    // The kernel engine retries a program the kernel rejected with its func and line info
    // without them, which turns global functions into static ones; libbpf does not, so the
    // first load's verdict is the kernel's.
    const refused = o.warnings?.find((w) => w.startsWith(`program ${program}: the kernel refused its func and line info`));
    o.close();
    if (refused) {
      const why = /\((?:[^"]*"[^"]*": )?(.*)\); loaded without them$/.exec(refused)?.[1] ?? refused;
      return { ...base, accepted: false, error: why, log: why };
    }
  } catch (e) {
    const err = e as { name: string; log?: string; summary?: string; message: string };
    if (err.name !== "KernelVerifierError") throw e;
    accepted = false;
    log = err.log ?? "";
    error = faultLine(log) ?? err.summary ?? err.message;
  }
  const processed = /processed (\d+) insns/.exec(log)?.[1];
  const usec = /verification time (\d+) usec/.exec(log)?.[1];
  return {
    ...base,
    accepted,
    ...(error !== undefined ? { error, log: log.trimEnd().split("\n").slice(-40).join("\n") } : {}),
    ...(processed ? { insnsProcessed: Number(processed) } : {}),
    ...(usec ? { verificationMs: Number(usec) / 1000 } : {}),
  };
}
