/**
 * @fileoverview The flow_table bench program (bench/progs) in both engines: after the
 * same 1,500 packets (TCP, UDP, ICMP and non-IP, flows repeating) every verdict and
 * both maps (the flows hash, the verdict counters) are the same as in the kernel.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { hex, pinToCpu0, skip } from "./diff.js";

const OBJECT = new URL("../../bench/progs/flow_table.bpf.o", import.meta.url);

function packet(r: () => number): Uint8Array {
  const proto = [6, 17, 1, 6, 17][Math.floor(r() * 5)]!;
  const p = new Uint8Array(14 + 20 + 8 + 8);
  const dv = new DataView(p.buffer);
  dv.setUint16(12, r() < 0.05 ? 0x86dd : 0x0800); // a few IPv6 ethertypes: not parsed
  p[14] = 0x45;
  p[14 + 9] = proto;
  // Few addresses and ports, so flows repeat.
  dv.setUint32(14 + 12, 0x0a000001 + Math.floor(r() * 20));
  dv.setUint32(14 + 16, 0xc0a80001 + Math.floor(r() * 3));
  dv.setUint16(34, 1000 + Math.floor(r() * 4));
  dv.setUint16(36, [53, 80, 443][Math.floor(r() * 3)]!);
  return r() < 0.03 ? p.subarray(0, 30) : p; // a few truncated ones
}

test("flow_table leaves the same flows and verdict counts as the kernel after 1,500 packets", { skip }, async () => {
  pinToCpu0();
  const spec = loadObjectSpec(new Uint8Array(readFileSync(OBJECT)), { name: "flow_table.bpf.o" });
  const interp = await loadObject(spec, { engine: "interp", mode: "fast" });
  const kernel = await loadObject(spec, { engine: "kernel" });
  try {
    let s = 12345;
    const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 0x100000000);
    const ip = interp.programs.get("flow_table")!, kp = kernel.programs.get("flow_table")!;
    const verdicts: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const data = packet(r);
      const a = ip.testRun({ data }).retval, b = kp.testRun({ data }).retval;
      verdicts.push(`${i}: ${a} ${b}`);
      assert.equal(a, b, `packet ${i}`);
    }
    for (const name of ["flows", "verdicts"]) {
      const dump = (m: { entries(): IterableIterator<[Uint8Array, Uint8Array]> }) => [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
      const mine = dump(interp.maps.get(name)!), theirs = dump(kernel.maps.get(name)!);
      assert.ok(mine.length > 1);
      assert.deepEqual(mine, theirs, name);
    }
  } finally {
    interp.close();
    kernel.close();
  }
});
