/**
 * @fileoverview Run by agreement.test.ts as an unprivileged user (uid 65534, no capabilities):
 * loads the suite's unprivileged cases into the kernel and prints, as JSON, how the kernel's
 * verdicts differ from the cases'. Not a test file itself.
 */

import type { KernelMap } from "../../src/kernel/index.js";
import { CASES } from "./cases.js";
import { createMaps, disagreement, kernelVerdict } from "./cases-kernel.js";

let maps = new Map<string, KernelMap>();
const wrong: string[] = [];
// Only the maps these cases name: an unprivileged user may not create a sockmap, for one.
const cases = CASES.filter((c) => c.unpriv && !c.kernelSkip);
try {
  maps = createMaps(new Set(cases.flatMap((c) => [...c.asm.matchAll(/map\[(\w+)\]/g)].map((m) => m[1]!))));
} catch (e) {
  // kernel.unprivileged_bpf_disabled set back since the parent looked: nothing to compare.
  process.stdout.write(JSON.stringify({ skip: (e as Error).message }));
  process.exit(0);
}
try {
  for (const c of cases) {
    const d = disagreement(c, kernelVerdict(c, maps));
    if (d) wrong.push(d);
  }
} finally {
  for (const m of maps.values()) m.close();
}
process.stdout.write(JSON.stringify(wrong));
