/**
 * @fileoverview One notion of the current CPU: bpf_get_smp_processor_id, the host's `cpu`
 * and the per-CPU maps' slot all follow the space's CPU model, whichever side sets it.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeHost, hostOf, setHost } from "../../src/helpers/host.js";
import { installHelpers } from "../../src/helpers/table.js";
import { assemble } from "../../src/isa/assembler.js";
import { createMap, cpusOf, setCpus } from "../../src/maps/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";

test("get_smp_processor_id, host.cpu and per-CPU slots are one setting", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  setCpus(rt.space, { cpus: 4, current: 2 });
  const map = createMap(rt.space, { type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1 });
  const all = new Uint8Array(32);
  for (let c = 0; c < 4; c++) all[c * 8] = 10 + c;
  map.set(new Uint8Array(4), all);
  // r0 = cpu << 8 | the first byte of this CPU's value
  const { instructions } = assemble(`
    call 8
    r6 = r0
    r6 <<= 8
    *(u32 *)(r10 - 4) = 0
    r1 = map[m] ll
    r2 = r10
    r2 += -4
    call 1
    if r0 == 0 goto out
    r0 = *(u8 *)(r0 + 0)
    r6 |= r0
  out:
    r0 = r6
    exit`);
  const p = rt.load(instructions, { resolveLoad: (i) => (i.src === 1 ? map.handle : undefined) });
  assert.equal(p.runRaw().r0, (2n << 8n) | 12n);
  assert.equal(hostOf(rt.space).cpu, 2);
  hostOf(rt.space).cpu = 3;
  assert.equal(cpusOf(rt.space).current, 3);
  assert.equal(p.runRaw().r0, (3n << 8n) | 13n);
  setHost(rt.space, fakeHost({}, { cpu: 1 }));
  assert.equal(p.runRaw().r0, (1n << 8n) | 11n);
  // A host without a CPU of its own keeps the space's.
  setHost(rt.space, fakeHost());
  assert.equal(p.runRaw().r0, (1n << 8n) | 11n);
  assert.throws(() => { hostOf(rt.space).cpu = 9; }, /CPU 9 does not exist/);
});
