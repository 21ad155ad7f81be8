/**
 * @fileoverview LRU eviction as the kernel's: fill an lru_hash past max_entries, with
 * programs looking some keys up in between (which sets their reference bits), and the
 * same keys survive, in the same order, as in the kernel (common LRU and per-CPU LRU).
 * And iteration: deleting the key just returned makes get_next_key start over, as the
 * kernel's does, so a delete-while-walking loop still visits every key.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelDriver, Op, runtimeDriver } from "./driver.js";
import { hex, pinToCpu0, skip, twin, u32, u64 } from "./diff.js";

for (const [type, flags] of [["lru_hash", 0x40], ["lru_hash", 0x42], ["lru_percpu_hash", 0x40], ["lru_percpu_hash", 0x42]] as const) {
  test(`${type}${flags & 2 ? " (BPF_F_NO_COMMON_LRU)" : ""}: filled 4 times past max_entries, the kernel's keys survive`, { skip }, () => {
    pinToCpu0();
    const t = twin({ type, keySize: 4, valueSize: 8, maxEntries: 256, flags, name: "maps_lru" });
    const kd = kernelDriver(t.kernel), ud = runtimeDriver(t.user);
    try {
      for (let i = 0; i < 1024; i++) {
        for (const [m, d] of [[t.kernel, kd], [t.user, ud]] as const) {
          m.set(u32(i), u64(i));
          // Programs keep every third recent key in use: those should outlive the rest.
          if (i % 3 === 0) d.run(Op.Lookup, 0, u32(Math.max(0, i - 50)), new Uint8Array(8));
        }
      }
      const survivors = (m: typeof t.kernel | typeof t.user) => [...m.keys()].map(hex);
      const k = survivors(t.kernel);
      assert.ok(k.length > 0 && k.length <= 256);
      assert.deepEqual(survivors(t.user), k);
    } finally {
      kd.close();
      ud.close();
      t.close();
    }
  });
}

test("deleting the key just returned restarts get_next_key, in the runtime as in the kernel", { skip }, () => {
  const t = twin({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 32, flags: 0x40, name: "maps_iter" });
  try {
    for (const m of [t.kernel, t.user]) for (let i = 0; i < 20; i++) m.set(u32(i * 5), u32(i));
    const walk = (m: typeof t.kernel | typeof t.user) => {
      const seen: string[] = [];
      for (let k = m.nextKey(); k; k = m.nextKey(k)) {
        seen.push(hex(k));
        if (seen.length % 4 === 0) m.delete(k);
      }
      return seen;
    };
    const a = walk(t.kernel), b = walk(t.user);
    assert.deepEqual(b, a);
    assert.ok(new Set(a).size === 20, "every key was visited");
  } finally {
    t.close();
  }
});

test("a hash map's layout lets a lookup be made from the memory alone, as a JIT would make it", async () => {
  const { createMap, htabHash, HashMap } = await import("../../src/maps/index.js");
  const { kernelLikeSpace } = await import("./diff.js");
  const space = kernelLikeSpace();
  const m = createMap(space, { type: "hash", keySize: 8, valueSize: 8, maxEntries: 100 }) as InstanceType<typeof HashMap>;
  for (let i = 0; i < 60; i++) m.set(u64(i * 11), u64(i));
  const L = m.layout, view = space.view, u8 = space.u8;
  const find = (key: Uint8Array): number => {
    const h = htabHash(key, 0, 8, 0);
    for (let e = view.getUint32(L.buckets + 4 * (h & L.mask), true); e; e = view.getUint32(e + L.nextField, true)) {
      if (view.getUint32(e + L.hashField, true) === h && key.every((b, j) => u8[e + L.keyOffset + j] === b)) return view.getUint32(e + L.valueField, true);
    }
    return 0;
  };
  for (let i = 0; i < 60; i++) assert.equal(hex(u8.slice(find(u64(i * 11)), find(u64(i * 11)) + 8)), hex(u64(i)));
  assert.equal(find(u64(5)), 0);
});
