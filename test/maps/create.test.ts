/**
 * @fileoverview createMap refuses what BPF_MAP_CREATE refuses, with the same errno: sizes,
 * flags and max_entries for every map type the runtime has, each spec tried in both.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelMap } from "../../src/kernel/index.js";
import { createMap, MAP_OPS, mapTypeName, type UserMapSpec } from "../../src/maps/index.js";
import { AddressSpace } from "../../src/runtime/address-space.js";
import { kernelLikeSpace, skip } from "./diff.js";

const outcome = (f: () => { close(): void }): string => {
  try {
    f().close();
    return "ok";
  } catch (e) {
    const name = (e as { errnoName?: string }).errnoName;
    if (name) return name;
    throw e;
  }
};

type Spec = Omit<UserMapSpec, "type"> & { type: string };
const s = (type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0, mapExtra?: bigint): Spec =>
  ({ type, keySize, valueSize, maxEntries, flags, ...(mapExtra !== undefined ? { mapExtra } : {}), name: "maps_create" });

const CASES: Spec[] = [
  s("array", 4, 8, 4), s("array", 8, 8, 4), s("array", 4, 0, 4), s("array", 4, 8, 0), s("array", 4, 8, 4, 0x400), s("array", 4, 8, 4, 0x2),
  s("array", 4, 8, 4, 0x180), s("array", 4, 8, 4, 0x18), s("array", 4, 8, 4, 0x800), s("array", 4, 8, 4, 0, 1n),
  s("percpu_array", 4, 8, 4), s("percpu_array", 4, 8, 4, 0x400), s("percpu_array", 4, 40000, 4),
  s("hash", 4, 8, 4), s("hash", 0, 8, 4), s("hash", 4, 0, 4), s("hash", 4, 8, 0), s("hash", 600, 8, 4), s("hash", 4, 8, 4, 0x1),
  s("hash", 4, 8, 4, 0x2), s("hash", 4, 8, 4, 0x40), s("hash", 4, 8, 4, 0x400), s("hash", 4, 8, 4, 0x180),
  s("percpu_hash", 4, 8, 4, 0x1), s("percpu_hash", 4, 40000, 4),
  s("lru_hash", 4, 8, 4), s("lru_hash", 4, 8, 4, 0x1), s("lru_hash", 4, 8, 4, 0x2), s("lru_percpu_hash", 4, 8, 4, 0x2),
  s("prog_array", 4, 4, 4), s("prog_array", 4, 8, 4), s("prog_array", 4, 4, 4, 0x80),
  s("perf_event_array", 4, 4, 4), s("perf_event_array", 4, 4, 4, 0x800), s("perf_event_array", 4, 8, 4),
  s("cgroup_array", 4, 4, 4), s("cgroup_array", 4, 4, 4, 0x800),
  s("queue", 0, 8, 4), s("queue", 4, 8, 4), s("queue", 0, 8, 0), s("stack", 0, 8, 4, 0x1),
  s("lpm_trie", 8, 8, 4, 0x1), s("lpm_trie", 8, 8, 4), s("lpm_trie", 4, 8, 4, 0x1), s("lpm_trie", 261, 8, 4, 0x1), s("lpm_trie", 260, 8, 4, 0x1), s("lpm_trie", 8, 8, 0, 0x1),
  s("ringbuf", 0, 0, 4096), s("ringbuf", 0, 0, 4095), s("ringbuf", 0, 0, 6 * 4096), s("ringbuf", 4, 0, 4096), s("ringbuf", 0, 0, 4096, 0x1),
  s("user_ringbuf", 0, 0, 4096), s("user_ringbuf", 0, 0, 2048),
  s("bloom_filter", 0, 8, 100), s("bloom_filter", 4, 8, 100), s("bloom_filter", 0, 8, 100, 0, 3n), s("bloom_filter", 0, 8, 100, 0, 0x13n), s("bloom_filter", 0, 8, 100, 0x1),
  s("stack_trace", 4, 8 * 127, 16), s("stack_trace", 4, 8 * 128, 16), s("stack_trace", 4, 12, 16), s("stack_trace", 8, 8, 16),
  s("devmap", 4, 4, 8), s("devmap", 4, 8, 8), s("devmap", 4, 4, 8, 0x80), s("devmap", 4, 4, 8, 0x8), s("devmap_hash", 4, 4, 8, 0x100), s("devmap", 4, 12, 8), s("devmap_hash", 4, 8, 8), s("devmap_hash", 8, 8, 8),
  s("cpumap", 4, 4, 8), s("cpumap", 4, 8, 8), s("cpumap", 4, 16, 8), s("cpumap", 4, 4, 100000),
  s("xskmap", 4, 4, 8), s("xskmap", 4, 8, 8), s("xskmap", 4, 4, 8, 0x80),
];

test("createMap refuses the specs BPF_MAP_CREATE refuses, with its errno", { skip }, () => {
  const diffs: string[] = [];
  for (const spec of CASES) {
    const kernel = outcome(() => KernelMap.create(spec as Parameters<typeof KernelMap.create>[0]));
    const user = outcome(() => createMap(kernelLikeSpace(), spec));
    if (kernel === "ok" && user === "ok") {
      // The flags and max_entries the kernel reports back, after its own changes (devmaps, per-CPU LRUs).
      const k = KernelMap.create(spec as Parameters<typeof KernelMap.create>[0]), u = createMap(kernelLikeSpace(), spec);
      const ki = k.info(), ui = u.info();
      if (ki.flags !== ui.flags || ki.maxEntries !== ui.maxEntries) diffs.push(`${spec.type}: kernel reports flags 0x${ki.flags.toString(16)} max ${ki.maxEntries}, tsbpf 0x${ui.flags.toString(16)} max ${ui.maxEntries}`);
      k.close();
      u.close();
    }
    if (kernel !== user) diffs.push(`${spec.type} key ${spec.keySize} value ${spec.valueSize} max ${spec.maxEntries} flags 0x${(spec.flags ?? 0).toString(16)}: kernel ${kernel}, tsbpf ${user}`);
  }
  assert.deepEqual(diffs, []);
});

/** A valid spec for each type of the table. */
const VALID: Record<string, Spec> = {
  hash: s("hash", 4, 8, 4), array: s("array", 4, 8, 4), prog_array: s("prog_array", 4, 4, 4), perf_event_array: s("perf_event_array", 4, 4, 4),
  percpu_hash: s("percpu_hash", 4, 8, 4), percpu_array: s("percpu_array", 4, 8, 4), stack_trace: s("stack_trace", 4, 64, 4),
  cgroup_array: s("cgroup_array", 4, 4, 4), lru_hash: s("lru_hash", 4, 8, 4), lru_percpu_hash: s("lru_percpu_hash", 4, 8, 4),
  lpm_trie: s("lpm_trie", 8, 8, 4, 1), array_of_maps: s("array_of_maps", 4, 4, 4), hash_of_maps: s("hash_of_maps", 4, 4, 4),
  devmap: s("devmap", 4, 8, 4), cpumap: s("cpumap", 4, 8, 4), xskmap: s("xskmap", 4, 4, 4), queue: s("queue", 0, 8, 4), stack: s("stack", 0, 8, 4),
  sk_storage: s("sk_storage", 4, 8, 0, 1), devmap_hash: s("devmap_hash", 4, 8, 4), ringbuf: s("ringbuf", 0, 0, 4096),
  inode_storage: s("inode_storage", 4, 8, 0, 1), task_storage: s("task_storage", 4, 8, 0, 1), bloom_filter: s("bloom_filter", 0, 8, 4),
  user_ringbuf: s("user_ringbuf", 0, 0, 4096), cgrp_storage: s("cgrp_storage", 4, 8, 0, 1),
};

test("every map type of the table is made from a valid spec, and close() gives its memory back", () => {
  const space = new AddressSpace();
  const before = space.regions().length;
  for (const id of Object.keys(MAP_OPS).map(Number)) {
    const name = mapTypeName(id);
    const spec = VALID[name];
    assert.ok(spec, `a valid spec for ${name}`);
    const m = createMap(space, spec);
    assert.equal(m.typeName, name);
    m.close();
    assert.equal(space.regions().length, before, `${name} freed its regions`);
  }
});

test("BPF_F_RDONLY, BPF_F_WRONLY and freezing limit userspace as the kernel's fd modes do", { skip }, () => {
  const play = (m: { set(k: Uint8Array, v: Uint8Array): void; get(k: Uint8Array): Uint8Array | undefined; delete(k: Uint8Array): boolean; nextKey(k?: Uint8Array): Uint8Array | undefined; freeze(): void; lookupBatch(o: { count: number }): unknown }) => {
    const key = new Uint8Array(4), value = new Uint8Array(8);
    const steps = [() => m.set(key, value), () => m.get(key), () => m.nextKey(), () => m.delete(key), () => m.lookupBatch({ count: 4 }), () => m.freeze(), () => m.set(key, value), () => m.get(key)];
    return steps.map((f) => outcome(() => { f(); return { close() {} }; }));
  };
  for (const type of ["hash", "array"]) {
    for (const flags of [0, 0x8, 0x10]) {
      const spec = { type, keySize: 4, valueSize: 8, maxEntries: 4, flags, name: "maps_access" };
      const kernel = KernelMap.create(spec as Parameters<typeof KernelMap.create>[0]);
      const user = createMap(kernelLikeSpace(), spec);
      try {
        assert.deepEqual(play(user), play(kernel), `${type} flags 0x${flags.toString(16)}`);
      } finally {
        kernel.close();
        user.close();
      }
    }
  }
});

test("hostile specs are MapErrors, never crashes: sizes that are not u32s (EINVAL), maps too big for the runtime's memory (ENOMEM)", () => {
  const errno = (spec: Spec) => outcome(() => createMap(new AddressSpace(), spec));
  assert.equal(errno(s("hash", 4, 8, Number.NaN)), "EINVAL");
  assert.equal(errno(s("hash", 4.5, 8, 4)), "EINVAL");
  assert.equal(errno(s("array", 4, 8, -1)), "EINVAL");
  assert.equal(errno(s("hash", 4, 8, 2 ** 32)), "EINVAL");
  for (const spec of [s("hash", 4, 8, 0xffffffff), s("array", 4, 4096, 1 << 20), s("stack_trace", 4, 8, 0xffffffff), s("devmap", 4, 4, 0xffffffff)]) {
    assert.equal(errno(spec), "ENOMEM", spec.type);
  }
  assert.throws(() => createMap(new AddressSpace(), s("hash", 4, 8, 0xffffffff)), /create hash map "maps_create" \(4294967295 entries do not fit the runtime's memory/);
});
