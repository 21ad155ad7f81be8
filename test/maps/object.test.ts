/**
 * @fileoverview A clang-built object with seven map types (test/fixtures/maps-types.bpf.c:
 * LPM trie, per-CPU array, LRU hash, ring buffer, cpumap, bloom filter, queue), loaded by
 * loadObject into the runtime and into the kernel: after the same 400 packets, the same
 * verdicts (drops, passes, redirects), the same ring buffer records and the same maps.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { KernelRingBufReader, possibleCpus, type KernelMap } from "../../src/kernel/index.js";
import { RingBufReader, setDefaultCpus, type BpfMap, type RingBufMap } from "../../src/maps/index.js";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { hex, pinToCpu0, skip, u32 } from "./diff.js";

const OBJECT = new URL("../fixtures/maps-types.bpf.o", import.meta.url);

function packet(r: () => number): Uint8Array {
  const p = new Uint8Array(14 + 20 + 8);
  const dv = new DataView(p.buffer);
  dv.setUint16(12, r() < 0.05 ? 0x86dd : 0x0800);
  p[14] = 0x45;
  const nets = [0x0a000000, 0x0a010000, 0x0a010200, 0xc0a80000, 0xac100000];
  dv.setUint32(14 + 12, nets[Math.floor(r() * nets.length)]! + Math.floor(r() * 40));
  return p;
}

test("an object of seven map types: the runtime's verdicts, ring buffer records and maps are the kernel's", { skip }, async () => {
  pinToCpu0();
  const spec = loadObjectSpec(new Uint8Array(readFileSync(OBJECT)), { name: "maps-types.bpf.o" });
  // The kernel's CPU count: per-CPU values and the LRU's per-CPU lists depend on it.
  setDefaultCpus(possibleCpus());
  const interp = await loadObject(spec, { engine: "interp" }).finally(() => setDefaultCpus(1));
  const kernel = await loadObject(spec, { engine: "kernel" });
  const kreader = new KernelRingBufReader(kernel.maps.get("events") as KernelMap);
  const ureader = new RingBufReader(interp.maps.get("events") as RingBufMap);
  try {
    for (const maps of [interp.maps as Map<string, BpfMap | KernelMap>, kernel.maps as Map<string, BpfMap | KernelMap>]) {
      const route = (len: number, addr: number, id: number) => {
        const k = new Uint8Array(8);
        new DataView(k.buffer).setUint32(0, len, true);
        new DataView(k.buffer).setUint32(4, addr, false);
        maps.get("routes")!.set(k, u32(id));
      };
      route(8, 0x0a000000, 0); route(16, 0x0a010000, 1); route(24, 0x0a010200, 2); route(16, 0xc0a80000, 3);
      maps.get("tx")!.set(u32(0), u32(64)); // CPU 0, a queue of 64
      maps.get("tx")!.set(u32(1), u32(64));
    }
    let s = 7;
    const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 0x100000000);
    const ip = interp.programs.get("classify")!, kp = kernel.programs.get("classify")!;
    const verdicts = { interp: [] as number[], kernel: [] as number[] };
    const records = { interp: [] as string[], kernel: [] as string[] };
    for (let i = 0; i < 400; i++) {
      const data = packet(r);
      verdicts.interp.push(ip.testRun({ data }).retval);
      verdicts.kernel.push(kp.testRun({ data }).retval);
      if (i % 50 === 49) {
        records.interp.push(...ureader.read().map(hex));
        records.kernel.push(...kreader.read().map(hex));
      }
    }
    assert.deepEqual(verdicts.interp, verdicts.kernel);
    assert.ok(new Set(verdicts.kernel).size >= 3, `drops, passes and redirects: ${[...new Set(verdicts.kernel)]}`);
    assert.deepEqual(records.interp, records.kernel);
    assert.ok(records.kernel.length > 100);
    const sorted = (m: BpfMap | KernelMap) => [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
    for (const name of ["routes", "sources", "tx"]) assert.deepEqual(sorted(interp.maps.get(name)!), sorted(kernel.maps.get(name)!), name);
    assert.deepEqual(sorted(interp.maps.get("counters")!), sorted(kernel.maps.get("counters")!), "every CPU's counters");
    const drain = (m: BpfMap | KernelMap) => { const out: string[] = []; for (let v = m.pop(); v; v = m.pop()) out.push(hex(v)); return out; };
    assert.deepEqual(drain(interp.maps.get("recent")!), drain(kernel.maps.get("recent")!));
  } finally {
    kreader.close();
    interp.close();
    kernel.close();
  }
});
