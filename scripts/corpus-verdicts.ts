/**
 * @fileoverview Prints the kernel's verdict on every program of test/verifier/corpus as JSON
 * (run as root by scripts/build-corpus.sh into kernel-verdicts.json). With object names as
 * arguments, only those are judged again and the other verdicts are kept from the file.
 */

import { existsSync, readFileSync } from "node:fs";
import { kernelBtf } from "../src/object/host.js";
import { corpusObjects, kernelVerdict, openCorpus, VERDICTS_FILE, type KernelVerdict } from "../test/verifier/corpus/corpus.js";

const only = process.argv.slice(2);
const kept: KernelVerdict[] = only.length && existsSync(VERDICTS_FILE) ? (JSON.parse(readFileSync(VERDICTS_FILE, "utf8")) as { verdicts: KernelVerdict[] }).verdicts : [];
// CO-RE relocated against the running kernel, as libbpf loads them (the kernel engine refuses unresolved ones).
const vmlinux = kernelBtf();
const out: KernelVerdict[] = [];
for (const object of corpusObjects()) {
  for (const p of openCorpus(object).programs) {
    const old = kept.find((v) => v.object === object && v.program === p.name);
    const v = old && !only.includes(object) ? old : await kernelVerdict(object, p.name, vmlinux);
    if (v) out.push(v);
  }
}
process.stdout.write(`${JSON.stringify({ kernel: (await import("node:os")).release(), verdicts: out }, null, 1)}\n`);
