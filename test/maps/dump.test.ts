/**
 * @fileoverview formatMapDump prints what `bpftool map dump` prints, for kernel maps (the
 * same map dumped by bpftool) and for runtime maps with the same contents, with and
 * without BTF; dumpMap gives JSON-ready entries (big integers as decimal strings).
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { buildBtf, BTF_KIND, INT32_TYPE } from "../../src/btf/build.js";
import { parseBtf } from "../../src/btf/parse.js";
import { KernelBtf, KernelMap } from "../../src/kernel/index.js";
import { createMap, dumpMap, formatMapDump, TypedMap } from "../../src/maps/index.js";
import { kernelLikeSpace, pinToCpu0, skip } from "./diff.js";

const bpftool = (() => { try { execFileSync("bpftool", ["version"]); return true; } catch { return false; } })();
const skipTool = skip || (bpftool ? false : "bpftool is not installed");

const { bytes: BTF } = buildBtf([
  INT32_TYPE, // [1] int
  { name: "unsigned long long", kind: BTF_KIND.INT, sizeOrType: 8, extra: [64] }, // [2]
  { name: "val", kind: BTF_KIND.STRUCT, vlen: 2, sizeOrType: 16, extra: ["a", 1, 0, "b", 2, 64] }, // [3] struct val { int a; u64 b; }
]);

const fill = (n: number, b: number) => new Uint8Array(n).fill(b);

test("formatMapDump prints bpftool's map dump, with and without BTF, for kernel and runtime maps", { skip: skipTool }, () => {
  pinToCpu0();
  const kbtf = KernelBtf.load(BTF);
  const btf = parseBtf(BTF);
  try {
    const cases = [
      { type: "array", keySize: 4, valueSize: 8, maxEntries: 4 },
      { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0x40 },
      { type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0x40 },
      { type: "percpu_array", keySize: 4, valueSize: 24, maxEntries: 3 },
      { type: "hash", keySize: 20, valueSize: 24, maxEntries: 4, flags: 0x40 },
      { type: "hash", keySize: 4, valueSize: 16, maxEntries: 4, flags: 0x40, typed: true },
      { type: "percpu_array", keySize: 4, valueSize: 16, maxEntries: 3, typed: true },
    ];
    for (const c of cases) {
      const ids = c.typed ? { btfFd: kbtf.fd, btfKeyTypeId: 1, btfValueTypeId: 3 } : {};
      const spec = { type: c.type, keySize: c.keySize, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: c.flags ?? 0, name: "maps_dump" };
      const kernel = KernelMap.create({ ...spec, ...ids, type: c.type as "hash" });
      const user = createMap(kernelLikeSpace(), spec);
      try {
        for (const m of [kernel, user]) {
          for (let i = 1; i <= 2; i++) {
            const k = new Uint8Array(c.keySize); k[0] = i;
            const v = fill(c.valueSize, 0x10 * i); v[c.valueSize - 1] = 0xff;
            m.set(k, v);
          }
        }
        const want = execFileSync("bpftool", ["map", "dump", "id", String(kernel.info().id)], { encoding: "utf8" });
        const mbtf = c.typed ? { btf, keyType: 1, valueType: 3 } : undefined;
        assert.equal(formatMapDump(kernel, mbtf), want, `${c.type} ${c.keySize}/${c.valueSize}${c.typed ? " with BTF" : ""} (kernel map)`);
        assert.equal(formatMapDump(user, mbtf), want, `${c.type} ${c.keySize}/${c.valueSize}${c.typed ? " with BTF" : ""} (runtime map)`);
      } finally {
        kernel.close();
        user.close();
      }
    }
  } finally {
    kbtf.close();
  }
});

test("dumpMap gives JSON-ready entries: BTF-decoded, big integers as strings, per-CPU values as arrays, hex without BTF", () => {
  const btf = parseBtf(BTF);
  const space = kernelLikeSpace();
  const h = createMap(space, { type: "hash", keySize: 4, valueSize: 16, maxEntries: 4 });
  const v = new Uint8Array(16);
  v[0] = 7; v.fill(0xff, 8);
  h.set(Uint8Array.of(1, 0, 0, 0), v);
  assert.deepEqual(dumpMap(h, { btf, keyType: 1, valueType: 3 }), [{ key: 1, value: { a: 7, b: "18446744073709551615" } }]);
  assert.deepEqual(dumpMap(h), [{ key: "01000000", value: "0700000000000000ffffffffffffffff" }]);
  const p = createMap(space, { type: "percpu_array", keySize: 4, valueSize: 4, maxEntries: 1 });
  p.set(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(5, 0, 0, 0));
  const [e] = dumpMap(p, { btf, keyType: 1, valueType: 1 });
  assert.equal(e!.values!.length, p.cpus);
  assert.ok(e!.values!.every((x) => x === 5));
  assert.equal(JSON.stringify(dumpMap(h, { btf, keyType: 1, valueType: 3 })), '[{"key":1,"value":{"a":7,"b":"18446744073709551615"}}]');
});

test("a TypedMap reads and writes plain objects through BTF, over a runtime map and a kernel map alike", { skip }, () => {
  const btf = parseBtf(BTF);
  const user = createMap(kernelLikeSpace(), { type: "hash", keySize: 4, valueSize: 16, maxEntries: 4 });
  const kernel = KernelMap.create({ type: "hash", keySize: 4, valueSize: 16, maxEntries: 4, name: "maps_typed" });
  try {
    for (const m of [user, kernel]) {
      const t = new TypedMap<number, { a: number; b: bigint }>(m, btf, 1, 3);
      t.set(7, { a: -1, b: 1n << 60n });
      t.set(8, { a: 2, b: 3n });
      assert.deepEqual(t.get(7), { a: -1, b: 1n << 60n });
      assert.equal(t.get(9), undefined);
      assert.deepEqual([...t].sort((x, y) => x[0] - y[0]), [[7, { a: -1, b: 1n << 60n }], [8, { a: 2, b: 3n }]]);
      assert.equal(t.delete(8), true);
      assert.deepEqual([...t.keys()], [7]);
    }
    assert.throws(() => new TypedMap(user, btf, 1, 1), /value type is 4 bytes, the map's values 16/);
  } finally {
    user.close();
    kernel.close();
  }
});
