/**
 * @fileoverview Every case of cases.ts in both interpreter modes, then against the
 * kernel where the backend works.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { CASES } from "./cases.js";
import { asm, hex64, kernelOracle, runBoth } from "./util.js";

for (const c of CASES) {
  test(`interpreter: ${c.name}`, () => {
    const mem = c.mem ? Uint8Array.from(c.mem) : undefined;
    const r = runBoth(asm(c.asm), mem, { engine: "interp" });
    assert.equal(hex64(r.r0), hex64(c.r0));
    if (c.memOut) assert.deepEqual([...r.memory], [...c.memOut]);
  });
}

test("kernel agrees with every case", async (t) => {
  const k = await kernelOracle();
  if (typeof k === "string") {
    t.skip(k);
    return;
  }
  let checked = 0;
  const wrong: string[] = [];
  for (const c of CASES) {
    if (c.noKernel) continue;
    const mem = c.mem ? Uint8Array.from(c.mem) : undefined;
    try {
      const r = k.runInKernel(asm(c.asm), { memory: mem });
      if (r.r0 !== c.r0) wrong.push(`${c.name}: kernel r0 ${hex64(r.r0)}, expected ${hex64(c.r0)}`);
      else if (c.memOut && r.memory.join() !== c.memOut.join()) wrong.push(`${c.name}: kernel memory ${r.memory.join()}`);
    } catch (e) {
      wrong.push(`${c.name}: ${(e as Error).message}`);
    }
    checked++;
  }
  t.diagnostic(`${checked} cases checked against the kernel`);
  assert.deepEqual(wrong, []);
});
