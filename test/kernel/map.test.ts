/**
 * @fileoverview KernelMap against the real kernel: every common map type, the errors
 * the kernel gives, iteration, batches, pins, info, and owned file descriptors.
 */

import assert from "node:assert/strict";
import { unlinkSync } from "node:fs";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  BpfSyscallError, ClosedError, ensureBpffs, KernelBtf, KernelMap, intBtf, mapIds, MapFlags, possibleCpus,
} from "../../src/kernel/index.js";
import { BpfError } from "../../src/errors.js";
import { openFds, readU32, skip, u32, u64 } from "./helpers.js";

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : undefined);
const sortedHex = (keys: Iterable<Uint8Array>) => [...keys].map((k) => hex(k)!).sort();

for (const type of ["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lru_percpu_hash"] as const) {
  test(`a ${type} map takes updates, lookups, deletes and iteration`, { skip }, () => {
    const map = KernelMap.create({ type, keySize: 4, valueSize: 8, maxEntries: 4, name: `t_${type}` });
    try {
      const isArray = type.endsWith("array");
      for (let k = 0; k < 3; k++) map.set(u32(k), u64(100 + k));
      assert.equal(hex(map.getPerCpu(u32(1))?.[0]), hex(u64(101)));
      if (type.startsWith("percpu") || type === "lru_percpu_hash") {
        // One value given to a per-CPU map lands on every CPU.
        assert.equal(map.valueBytes, 8 * possibleCpus());
        assert.deepEqual(map.getPerCpu(u32(2))!.map(hex), Array(possibleCpus()).fill(hex(u64(102))));
      } else {
        assert.equal(hex(map.get(u32(2))), hex(u64(102)));
      }
      // Arrays have every index; hashes have what was put in.
      const expected = isArray ? [0, 1, 2, 3] : [0, 1, 2];
      assert.deepEqual(sortedHex(map.keys()), expected.map((k) => hex(u32(k))).sort());
      assert.equal([...map.entries()].length, expected.length);
      if (isArray) {
        assert.throws(() => map.delete(u32(1)), (e: BpfSyscallError) => e.errnoName === "EINVAL" && e.command === "BPF_MAP_DELETE_ELEM");
      } else {
        assert.equal(map.delete(u32(1)), true);
        assert.equal(map.get(u32(1)), undefined);
        assert.equal(map.delete(u32(1)), false);
      }
    } finally {
      map.close();
    }
  });
}

test("a full hash map refuses a new key with E2BIG", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 2, name: "full" });
  map.set(u32(1), u32(1));
  map.set(u32(2), u32(2));
  assert.throws(() => map.set(u32(3), u32(3)), (e: unknown) => {
    assert.ok(e instanceof BpfSyscallError);
    assert.equal(e.code, "ESYSCALL");
    assert.equal(e.command, "BPF_MAP_UPDATE_ELEM");
    assert.equal(e.errno, 7);
    assert.equal(e.errnoName, "E2BIG");
    assert.equal(e.message, 'update map "full": bpf(BPF_MAP_UPDATE_ELEM): E2BIG (Argument list too long)');
    return true;
  });
  // Updating a key that is there still works on a full map.
  map.set(u32(2), u32(20));
  assert.equal(readU32(map.get(u32(2))!), 20);
  map.close();
});

test("a missing key is undefined to get and false to delete (ENOENT)", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 8 });
  assert.equal(map.get(u32(9)), undefined);
  assert.equal(map.delete(u32(9)), false);
  assert.equal(map.lookupAndDelete(u32(9)), undefined);
  assert.equal(map.nextKey(), undefined);
  map.close();
});

test("noexist on an existing key is EEXIST, exist on a missing one ENOENT", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 8, name: "flags" });
  map.set(u32(1), u32(1), "noexist");
  assert.throws(() => map.set(u32(1), u32(2), "noexist"), /update map "flags": bpf\(BPF_MAP_UPDATE_ELEM\): EEXIST \(File exists\)/);
  assert.throws(() => map.set(u32(2), u32(2), "exist"), (e: BpfSyscallError) => e.errnoName === "ENOENT");
  map.set(u32(1), u32(3), "exist");
  assert.equal(readU32(map.get(u32(1))!), 3);
  assert.equal(readU32(map.lookupAndDelete(u32(1))!), 3);
  assert.equal(map.get(u32(1)), undefined);
  map.close();
});

test("an lru_hash evicts instead of filling up", { skip }, () => {
  const map = KernelMap.create({ type: "lru_hash", keySize: 4, valueSize: 4, maxEntries: 16 });
  for (let k = 0; k < 200; k++) map.set(u32(k), u32(k));
  const n = [...map.keys()].length;
  assert.ok(n > 0 && n <= 16 * possibleCpus(), `lru kept ${n}`);
  assert.ok(map.get(u32(199)), "the newest key survives");
  map.close();
});

test("an lpm_trie answers with the longest matching prefix", { skip }, () => {
  const key = (prefix: number, ip: [number, number, number, number]) => new Uint8Array([...u32(prefix), ...ip]);
  const map = KernelMap.create({ type: "lpm_trie", keySize: 8, valueSize: 4, maxEntries: 8, flags: MapFlags.NoPrealloc });
  map.set(key(8, [10, 0, 0, 0]), u32(1));
  map.set(key(16, [10, 1, 0, 0]), u32(2));
  assert.equal(readU32(map.get(key(32, [10, 1, 2, 3]))!), 2);
  assert.equal(readU32(map.get(key(32, [10, 9, 9, 9]))!), 1);
  assert.equal(map.get(key(32, [11, 0, 0, 0])), undefined);
  assert.equal([...map.keys()].length, 2);
  map.close();
});

test("a queue pops in order and a stack in reverse", { skip }, () => {
  const queue = KernelMap.create({ type: "queue", keySize: 0, valueSize: 4, maxEntries: 4 });
  const stack = KernelMap.create({ type: "stack", keySize: 0, valueSize: 4, maxEntries: 4 });
  for (const n of [1, 2, 3]) {
    queue.push(u32(n));
    stack.push(u32(n));
  }
  assert.equal(readU32(queue.peek()!), 1);
  assert.deepEqual([queue.pop(), queue.pop(), queue.pop()].map((v) => readU32(v!)), [1, 2, 3]);
  assert.deepEqual([stack.pop(), stack.pop(), stack.pop()].map((v) => readU32(v!)), [3, 2, 1]);
  assert.equal(queue.pop(), undefined);
  queue.close();
  stack.close();
});

test("a ringbuf is created, and has no elements for userspace to look up", { skip }, () => {
  const ring = KernelMap.create({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, name: "events" });
  const info = ring.info();
  assert.equal(info.typeName, "ringbuf");
  assert.equal(info.maxEntries, 4096);
  assert.throws(() => ring.nextKey(), (e: BpfSyscallError) => e.command === "BPF_MAP_GET_NEXT_KEY");
  ring.close();
});

test("storage maps take BTF for their key and value", { skip }, () => {
  const btf = KernelBtf.load(intBtf());
  const map = KernelMap.create({
    type: "task_storage", keySize: 4, valueSize: 4, maxEntries: 0, flags: MapFlags.NoPrealloc,
    btfFd: btf.fd, btfKeyTypeId: 1, btfValueTypeId: 1,
  });
  const info = map.info();
  assert.equal(info.btfId, btf.info().id);
  assert.equal(info.btfValueTypeId, 1);
  map.close();
  btf.close();
});

test("batches write, walk, and delete many elements per call", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 128 });
  const keys = Array.from({ length: 100 }, (_, i) => u32(i));
  assert.equal(map.updateBatch(keys, keys.map((_, i) => u64(i * 10))), 100);

  const seen = new Map<number, bigint>();
  let cursor: Uint8Array | undefined;
  let calls = 0;
  do {
    const r = map.lookupBatch({ count: 16, cursor });
    r.keys.forEach((k, i) => seen.set(readU32(k), new DataView(r.values[i]!.buffer).getBigUint64(0, true)));
    cursor = r.cursor;
    calls++;
  } while (cursor);
  assert.equal(seen.size, 100);
  assert.equal(seen.get(42), 420n);
  assert.ok(calls >= 7, `${calls} calls of 16`);
  assert.equal([...map.batchEntries(33)].length, 100);

  assert.equal(map.deleteBatch(keys.slice(0, 50)), 50);
  assert.equal([...map.keys()].length, 50);
  const drained: number[] = [];
  for (cursor = undefined; ;) {
    const r = map.lookupAndDeleteBatch({ count: 64, cursor });
    drained.push(...r.keys.map((k) => readU32(k)));
    if (!(cursor = r.cursor)) break;
  }
  assert.deepEqual(drained.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 50));
  assert.equal(map.nextKey(), undefined);
  map.close();
});

test("a batch walk of an array map sees every index", { skip }, () => {
  const map = KernelMap.create({ type: "array", keySize: 4, valueSize: 4, maxEntries: 10 });
  map.updateBatch([u32(3), u32(7)], [u32(30), u32(70)]);
  const entries = [...map.batchEntries(4)];
  assert.equal(entries.length, 10);
  assert.equal(readU32(entries[7]![1]), 70);
  map.close();
});

test("a frozen map refuses userspace writes with EPERM", { skip }, () => {
  const map = KernelMap.create({ type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
  map.freeze();
  assert.throws(() => map.set(u32(0), u32(1)), (e: BpfSyscallError) => e.errnoName === "EPERM");
  map.close();
});

test("wrong key and value sizes are caught before the kernel sees them", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 1, name: "sizes" });
  assert.throws(() => map.get(new Uint8Array(3)), (e: BpfError) => e.code === "EINVAL" && e.message === 'map "sizes": key is 3 bytes, key size is 4');
  assert.throws(() => map.set(u32(1), u32(1)), /value is 4 bytes, value size is 8/);
  map.close();
});

test("bad specs are the kernel's EINVAL, with the map in the message", { skip }, () => {
  assert.throws(
    () => KernelMap.create({ type: "hash", keySize: 0, valueSize: 4, maxEntries: 1, name: "bad" }),
    { message: 'create hash map "bad": bpf(BPF_MAP_CREATE): EINVAL (Invalid argument)' },
  );
  assert.throws(() => KernelMap.create({ type: "nonsense" as "hash", keySize: 4, valueSize: 4, maxEntries: 1 }), /unknown map type "nonsense"/);
});

test("info() reports what the map was made from, and its id opens it again", { skip }, () => {
  const map = KernelMap.create({ type: "percpu_hash", keySize: 8, valueSize: 16, maxEntries: 32, name: "described", flags: MapFlags.NoPrealloc });
  const info = map.info();
  assert.deepEqual(
    { type: info.typeName, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, name: info.name, flags: info.flags },
    { type: "percpu_hash", keySize: 8, valueSize: 16, maxEntries: 32, name: "described", flags: MapFlags.NoPrealloc },
  );
  assert.ok([...mapIds()].includes(info.id));
  const again = KernelMap.fromId(info.id);
  assert.notEqual(again.fd, map.fd);
  assert.equal(again.info().id, info.id);
  assert.equal(again.typeName, "percpu_hash");
  assert.equal(again.valueBytes, map.valueBytes);
  again.close();
  map.close();
});

test("a pinned map opens again from its path", { skip }, () => {
  ensureBpffs();
  const path = `/sys/fs/bpf/tsbpf-test-map-${process.pid}`;
  const map = KernelMap.create({ type: "array", keySize: 4, valueSize: 4, maxEntries: 2, name: "pinned" });
  map.set(u32(1), u32(77));
  map.pin(path);
  try {
    map.close();
    const back = KernelMap.fromPin(path);
    assert.equal(back.name, "pinned");
    assert.equal(readU32(back.get(u32(1))!), 77);
    back.close();
    assert.throws(() => map.pin(path), ClosedError);
  } finally {
    unlinkSync(path);
  }
  assert.throws(() => KernelMap.fromPin(path), (e: BpfSyscallError) => e.command === "BPF_OBJ_GET" && e.errnoName === "ENOENT");
});

test("close() is idempotent and a closed map says so when used", { skip }, () => {
  const map = KernelMap.create({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 1, name: "gone" });
  map.close();
  map.close();
  assert.equal(map.closed, true);
  assert.throws(() => map.fd, ClosedError);
  assert.throws(() => map.get(u32(1)), { message: 'map "gone": used after close()' });
});

test("maps the user forgot to close are closed when collected", { skip }, async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const before = openFds();
  (() => {
    for (let i = 0; i < 50; i++) KernelMap.create({ type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
  })();
  assert.ok(openFds() >= before + 50);
  for (let i = 0; i < 20 && openFds() > before + 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(openFds() <= before + 5, `${openFds() - before} fds still open`);
});
