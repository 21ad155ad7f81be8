/**
 * @fileoverview Batch operations against the kernel's: BPF_MAP_LOOKUP_BATCH walks a hash
 * map bucket by bucket (ENOSPC when a bucket does not fit, the cursor a bucket number)
 * and an array or LPM trie key by key; lookup-and-delete empties what it returns;
 * update and delete batches stop at the first error, saying how far they got.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { hex, pinToCpu0, skip, twin, u32, u64 } from "./diff.js";

const outcome = (f: () => { keys: Uint8Array[]; values: Uint8Array[]; cursor: Uint8Array | undefined } | number): string => {
  try {
    const r = f();
    if (typeof r === "number") return `n=${r}`;
    return `${r.keys.map(hex).join(",")} | ${r.values.map(hex).join(",")} | ${r.cursor ? hex(r.cursor) : "end"}`;
  } catch (e) {
    const errno = (e as { errnoName?: string }).errnoName;
    if (!errno) throw e;
    // How far a failed write got shows in the lookups that follow.
    return `error ${errno}`;
  }
};

for (const spec of [
  { type: "hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0x40 },
  { type: "percpu_hash", keySize: 4, valueSize: 4, maxEntries: 16, flags: 0x40 },
  { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0x40 },
  { type: "array", keySize: 4, valueSize: 8, maxEntries: 10 },
  { type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 10 },
]) {
  test(`${spec.type}: batch lookups, lookup-and-deletes, updates and deletes answer as the kernel's`, { skip }, () => {
    pinToCpu0();
    const t = twin({ ...spec, name: "maps_batch" });
    try {
      const script = (m: typeof t.kernel | typeof t.user): string[] => {
        const out: string[] = [];
        const keys = Array.from({ length: 12 }, (_, i) => u32(i * 3));
        const values = keys.map((_, i) => (spec.valueSize === 8 ? u64(i + 100) : u32(i + 100)));
        out.push(outcome(() => m.updateBatch(keys.slice(0, 9), values.slice(0, 9))));
        out.push(outcome(() => m.updateBatch(keys.slice(0, 3), values.slice(0, 3), { elemFlags: 1 })));
        out.push(outcome(() => m.updateBatch(keys, values, { elemFlags: 8 })));
        for (const count of [1, 2, 3, 5, 64]) {
          let cursor: Uint8Array | undefined;
          for (let k = 0; k < 20; k++) {
            let r: ReturnType<typeof m.lookupBatch> | undefined;
            out.push(`count ${count}: ${outcome(() => (r = m.lookupBatch({ count, cursor })))}`);
            cursor = r?.cursor;
            if (!cursor) break;
          }
        }
        out.push(outcome(() => m.deleteBatch([keys[0]!, keys[1]!])));
        out.push(outcome(() => m.deleteBatch([keys[2]!, keys[0]!, keys[3]!])));
        out.push(outcome(() => m.lookupAndDeleteBatch({ count: 4 })));
        out.push(outcome(() => m.lookupBatch({ count: 64 })));
        out.push(outcome(() => m.lookupBatch({ count: 64, elemFlags: 4 })));
        return out;
      };
      assert.deepEqual(script(t.user), script(t.kernel));
    } finally {
      t.close();
    }
  });
}
