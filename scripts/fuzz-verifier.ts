/**
 * @fileoverview The verifier's soundness fuzz on demand: `node --import tsx
 * scripts/fuzz-verifier.ts --count 1000000 [--seed N] [--kind mutated|merged]`. Every
 * program tsbpf's verifier accepts runs in checked mode; a fault is printed with its seed.
 */

import { parseArgs } from "node:util";
import { Runtime } from "../src/runtime/index.js";
import { mergedOnce, mutatedOnce } from "../src/verifier/testing/soundness.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    kind: { type: "string", default: "both" },
  },
});
const count = Number(values.count);
const first = Number(values.seed);
const kinds = values.kind === "both" ? ["mutated", "merged"] : [values.kind!];
const rt = new Runtime();
let accepted = 0;
let faults = 0;
for (let seed = first; seed < first + count; seed++) {
  for (const kind of kinds) {
    const o = (kind === "merged" ? mergedOnce : mutatedOnce)(rt, seed);
    if (o.accepted) accepted++;
    for (const f of o.faults) {
      faults++;
      console.log(`${kind} seed ${seed}: ${f}`);
    }
  }
  if ((seed - first + 1) % 10000 === 0) console.error(`${seed - first + 1} seeds, ${accepted} accepted, ${faults} faults`);
}
console.log(`${count} seeds x ${kinds.length}: ${accepted} accepted, ${faults} faults`);
process.exitCode = faults ? 1 : 0;
