/**
 * @fileoverview The callback helpers against the kernel (test/fixtures/callbacks.bpf.c):
 * bpf_timer's returns and firings (a VirtualClock advanced here, the kernel's hrtimers
 * waited for), bpf_for_each_map_elem over an array, a per-CPU array and a hash deleted
 * from during the walk, and bpf_user_ringbuf_drain over the same samples: the same maps.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fakeHost, setHost, VirtualClock } from "../../src/helpers/host.js";
import { timersOf } from "../../src/helpers/timer-helpers.js";
import { possibleCpus, type KernelMap } from "../../src/kernel/index.js";
import { mmapFd } from "../../src/kernel/native.js";
import { setDefaultCpus, UserRingBufMap, type BpfMap } from "../../src/maps/index.js";
import { loadObject, loadObjectSpec, type InterpObject } from "../../src/object/index.js";
import { hex, pinToCpu0, skip, u32, u64 } from "../maps/diff.js";

const OBJECT = new URL("../fixtures/callbacks.bpf.o", import.meta.url);
type AnyMap = BpfMap | KernelMap;

function dump(m: AnyMap): string[] {
  return [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

/** Writes samples into a kernel user ring buffer as libbpf's user_ring_buffer__submit does. */
function submitToKernel(map: KernelMap, samples: Uint8Array[]): void {
  const size = map.maxEntries;
  const prod = mmapFd(map.fd, 4096 + 2 * size, 4096, true, "user ringbuf producer");
  try {
    const view = new DataView(prod.bytes.buffer, prod.bytes.byteOffset, prod.bytes.length);
    let pos = Number(view.getBigUint64(0, true));
    for (const s of samples) {
      const at = 4096 + (pos & (size - 1));
      view.setUint32(at, s.length, true);
      view.setUint32(at + 4, 0, true);
      prod.bytes.set(s, at + 8);
      pos += (s.length + 8 + 7) & ~7;
    }
    view.setBigUint64(0, BigInt(pos), true);
  } finally {
    prod.unmap();
  }
}

for (const engine of ["interp", "jit"] as const) test(`timers, for_each_map_elem and user_ringbuf_drain leave the kernel's maps (${engine})`, { skip }, async () => {
  pinToCpu0();
  const cpus = possibleCpus();
  const spec = loadObjectSpec(new Uint8Array(readFileSync(OBJECT)), { name: "callbacks.bpf.o" });
  setDefaultCpus(cpus);
  const interp: InterpObject = await (engine === "jit" ? loadObject(spec, { engine: "jit" }) : loadObject(spec, { engine: "interp" })).finally(() => setDefaultCpus(1));
  const clock = new VirtualClock();
  setHost(interp.runtime.space, fakeHost({}, { clock }));
  const kernel = await loadObject(spec, { engine: "kernel" });
  try {
    const both = [interp.maps as Map<string, AnyMap>, kernel.maps as Map<string, AnyMap>];
    const same = (name: string, what: string) => assert.deepEqual(dump(both[0]!.get(name)!), dump(both[1]!.get(name)!), `${what}: map ${name}`);
    const run = (name: string) => {
      const data = new Uint8Array(64);
      const r = [interp.programs.get(name)!.testRun({ data }).retval, kernel.programs.get(name)!.testRun({ data }).retval];
      assert.deepEqual(r, [2, 2], `${name}: XDP_PASS in both`);
    };
    for (const maps of both) {
      for (let i = 0; i < 8; i++) maps.get("nums")!.set(u32(i), u64(i * 3 + 1));
      for (let i = 0; i < 3; i++) {
        const all = new Uint8Array(8 * cpus);
        for (let c = 0; c < cpus; c++) all.set(u64(7 + i), 8 * c);
        maps.get("pcpu")!.set(u32(i), all);
      }
      for (let i = 0; i < 12; i++) maps.get("flows")!.set(u32(i * 37 + 5), u64(i));
    }

    run("walks");
    for (const m of ["out", "nums", "flows"]) same(m, "for_each_map_elem");
    const out = [...both[0]!.get("out")!.entries()].map(([, v]) => new DataView(v.buffer, v.byteOffset).getBigInt64(0, true));
    assert.deepEqual(out.slice(0, 5), [6n, 1n + 4n + 7n + 10n + 13n + 16n, 12345n, 6n, -22n], "array walk stops after key 5");
    assert.equal(out[5], 3n);
    assert.equal(out[7], 12n);
    assert.equal(out[10], 6n, "the second walk sees the even keys the first left");

    for (const maps of both) maps.get("out")!.set(u32(20), u64(0));
    run("timers");
    assert.equal(timersOf(interp.runtime.space).active, 2, "the array timer and one hash timer are armed");
    clock.advance(1_000_000_000);
    await new Promise((r) => setTimeout(r, 200));
    for (const m of ["out", "atimers", "htimers"]) same(m, "bpf_timer");
    const fired = both[0]!.get("out")!.get(u32(20))!;
    assert.equal(hex(fired), hex(u64(3)), "the array timer fired three times");
    assert.equal(hex(both[0]!.get("out")!.get(u32(21))), hex(u64(1)), "only the hash timer not deleted fired");
    assert.equal(timersOf(interp.runtime.space).active, 0);

    const samples = [10, 20, 30].map((n) => u32(n));
    for (const s of samples) assert.ok((interp.maps.get("requests") as UserRingBufMap).submit(s));
    submitToKernel(kernel.maps.get("requests") as KernelMap, samples);
    run("drains");
    same("out", "bpf_user_ringbuf_drain");
    const drained = [...both[0]!.get("out")!.entries()].slice(0, 6).map(([, v]) => new DataView(v.buffer, v.byteOffset).getBigInt64(0, true));
    assert.deepEqual([drained[0], drained[2], drained[3], drained[4], drained[5]], [2n, 1n, 3n, -22n, 0n]);
  } finally {
    interp.close();
    kernel.close();
  }
});

test("under the system clock timers fire on their own, and never after their map is closed", async () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(OBJECT)), { name: "callbacks.bpf.o" });
  const obj = await loadObject(spec, { engine: "interp" });
  const out = obj.maps.get("out")!;
  out.set(u32(20), u64(0));
  assert.equal(obj.programs.get("timers")!.testRun({ data: new Uint8Array(64) }).retval, 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(hex(out.get(u32(20))), hex(u64(3)), "the array timer fired three times by setTimeout");
  assert.equal(hex(out.get(u32(21))), hex(u64(1)));
  assert.deepEqual(timersOf(obj.runtime.space).errors, []);
  // Armed again, then closed before it is due: nothing runs, nothing faults.
  const again = await loadObject(spec, { engine: "interp" });
  again.programs.get("timers")!.testRun({ data: new Uint8Array(64) });
  const space = again.runtime.space;
  again.close();
  obj.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(timersOf(space).errors, []);
});
