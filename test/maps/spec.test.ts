/**
 * @fileoverview runtimeMapSpec finds a value's bpf_spin_lock through BTF, as the kernel's
 * map creation does: with one, BPF_F_LOCK updates and lookups work in both the kernel and
 * the runtime; without one, both refuse them with EINVAL.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildBtf, BTF_KIND, INT32_TYPE } from "../../src/btf/build.js";
import { parseBtf } from "../../src/btf/parse.js";
import { KernelBtf, KernelMap } from "../../src/kernel/index.js";
import { createMap, runtimeMapSpec } from "../../src/maps/index.js";
import { hex, kernelLikeSpace, skip, u32 } from "./diff.js";

const { bytes: BTF } = buildBtf([
  INT32_TYPE, // [1] int
  { name: "bpf_spin_lock", kind: BTF_KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["val", 1, 0] }, // [2]
  { name: "locked", kind: BTF_KIND.STRUCT, vlen: 2, sizeOrType: 8, extra: ["a", 1, 0, "lock", 2, 32] }, // [3] { int a; struct bpf_spin_lock lock; }
  { name: "plain", kind: BTF_KIND.STRUCT, vlen: 2, sizeOrType: 8, extra: ["a", 1, 0, "b", 1, 32] }, // [4]
]);

const outcome = (f: () => unknown) => {
  try { const r = f(); return r instanceof Uint8Array ? hex(r) : String(r); } catch (e) { return `error ${(e as { errnoName?: string }).errnoName ?? (e as Error).message}`; }
};

test("runtimeMapSpec finds the spin lock; BPF_F_LOCK then works as in the kernel, and is EINVAL without one", { skip }, () => {
  const btf = parseBtf(BTF);
  const kbtf = KernelBtf.load(BTF);
  try {
    for (const valueType of [3, 4]) {
      const shape = { name: "maps_lock", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, valueType };
      const spec = runtimeMapSpec(shape, btf);
      assert.equal(spec.spinLockOffset, valueType === 3 ? 4 : undefined);
      const user = createMap(kernelLikeSpace(), spec);
      const kernel = KernelMap.create({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, name: "maps_lock", btfFd: kbtf.fd, btfKeyTypeId: 1, btfValueTypeId: valueType });
      try {
        const play = (m: typeof user | typeof kernel) => [
          outcome(() => m.set(u32(1), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), 4)),
          outcome(() => m.set(u32(1), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0), 0)),
          outcome(() => m.get(u32(1), 4)),
          outcome(() => m.get(u32(1))),
        ];
        assert.deepEqual(play(user), play(kernel), `value type ${valueType}`);
      } finally {
        user.close();
        kernel.close();
      }
    }
  } finally {
    kbtf.close();
  }
});
