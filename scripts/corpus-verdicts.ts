/**
 * @fileoverview Prints the kernel's verdict on every program of test/verifier/corpus as JSON
 * (run as root by scripts/build-corpus.sh into kernel-verdicts.json).
 */

import { corpusObjects, kernelVerdict, openCorpus, type KernelVerdict } from "../test/verifier/corpus/corpus.js";
import { kernelBtf } from "../src/object/host.js";

// CO-RE relocated against the running kernel, as libbpf loads them (the kernel engine refuses unresolved relocations).
const hostBtf = kernelBtf();

const out: KernelVerdict[] = [];
for (const object of corpusObjects()) {
  for (const p of openCorpus(object).programs) {
    const v = await kernelVerdict(object, p.name, hostBtf);
    if (v) out.push(v);
  }
}
process.stdout.write(`${JSON.stringify({ kernel: (await import("node:os")).release(), verdicts: out }, null, 1)}\n`);
