/**
 * @fileoverview Userspace maps against the kernel's: the same script of set, get, delete,
 * nextKey and iteration on a KernelMap and on a BpfMap must give the same results and
 * the same errnos (E2BIG when full, ENOENT, EEXIST, EINVAL for an array delete).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelAvailable, KernelMap } from "../../src/kernel/index.js";
import { BpfError, NotSupportedError } from "../../src/errors.js";
import { AddressSpace } from "../../src/runtime/address-space.js";
import { createMap, type BpfMap, MapError, type UpdateFlag, type UserMapSpec } from "../../src/maps/index.js";

const available = kernelAvailable();
const skip: false | string = available.ok ? false : `no kernel backend here: ${available.reason}`;

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "none");
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
const u64 = (n: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };

/** The operations both map kinds share. */
type AnyMap = Pick<BpfMap, "get" | "set" | "delete" | "nextKey" | "keys" | "entries" | "push" | "pop" | "peek" | "keySize" | "valueSize" | "maxEntries">;

/** Runs `f`, giving its result as text or the errno name it failed with. */
function outcome(f: () => unknown): string {
  try {
    const r = f();
    return r instanceof Uint8Array || r === undefined ? hex(r as Uint8Array | undefined) : String(r);
  } catch (e) {
    const name = (e as { errnoName?: string }).errnoName;
    if (name) return `error ${name}`;
    throw e;
  }
}

type Step = ["set", number, number, UpdateFlag?] | ["get", number] | ["delete", number] | ["next", number | undefined] | ["keys"] | ["push", number, UpdateFlag?] | ["pop"] | ["peek"];

/** One line per step. A per-CPU value is cut to the first CPU's slot; hash keys are sorted. */
function play(map: AnyMap, steps: readonly Step[], o: { perCpu?: boolean; sortKeys?: boolean } = {}): string[] {
  const key = (n: number) => (map.keySize === 4 ? u32(n) : u64(n));
  const value = (n: number) => (map.valueSize === 8 ? u64(n) : u32(n));
  const cut = (v: Uint8Array | undefined) => (v && o.perCpu ? v.subarray(0, 8) : v);
  return steps.map((s) => {
    switch (s[0]) {
      case "set": return `set ${s[1]}=${s[2]} ${s[3] ?? "any"}: ${outcome(() => map.set(key(s[1]), value(s[2]), s[3]))}`;
      case "get": return `get ${s[1]}: ${outcome(() => cut(map.get(key(s[1]))))}`;
      case "delete": return `delete ${s[1]}: ${outcome(() => map.delete(key(s[1])))}`;
      case "next": {
        const r = outcome(() => map.nextKey(s[1] === undefined ? undefined : key(s[1])));
        // A hash map's order depends on the kernel's random seed: only whether there is a next key is common.
        return `next ${s[1]}: ${o.sortKeys && !r.startsWith("error") && r !== "none" ? "a key" : r}`;
      }
      case "keys": {
        const keys = [...map.keys()].map(hex);
        const entries = [...map.entries()].map(([k, v]) => `${hex(k)}=${hex(cut(v))}`);
        if (o.sortKeys) { keys.sort(); entries.sort(); }
        return `keys ${keys.join(",")} entries ${entries.join(",")}`;
      }
      case "push": return `push ${s[1]}: ${outcome(() => map.push(value(s[1]), s[2]))}`;
      case "pop": return `pop: ${outcome(() => map.pop())}`;
      case "peek": return `peek: ${outcome(() => map.peek())}`;
    }
  });
}

function both(spec: UserMapSpec & { type: string }, steps: readonly Step[], o: { perCpu?: boolean; sortKeys?: boolean } = {}): { kernel: string[]; user: string[] } {
  const space = new AddressSpace();
  const user = createMap(space, spec);
  const kernel = KernelMap.create({ ...spec, type: spec.type as "hash" });
  try {
    return { kernel: play(kernel, steps, o), user: play(user, steps, o) };
  } finally {
    kernel.close();
    user.close();
  }
}

const ARRAY_SCRIPT: Step[] = [
  ["get", 0], ["get", 3], ["get", 4], ["set", 1, 11], ["set", 3, 33, "exist"], ["set", 2, 22, "noexist"], ["set", 4, 44],
  ["set", 0, 1, 8], ["delete", 1], ["delete", 9], ["next", undefined], ["next", 0], ["next", 2], ["next", 3], ["next", 7], ["keys"],
];
const HASH_SCRIPT: Step[] = [
  ["get", 1], ["delete", 1], ["set", 1, 10, "exist"], ["set", 1, 10, "noexist"], ["set", 1, 11, "noexist"], ["set", 1, 12, "exist"],
  ["set", 2, 20], ["set", 3, 30], ["set", 4, 40], ["set", 5, 50], ["set", 5, 50, "noexist"], ["set", 4, 41, "any"], ["set", 6, 6, 9],
  ["get", 4], ["get", 5], ["keys"], ["delete", 2], ["delete", 2], ["set", 5, 55], ["get", 5], ["keys"],
  ["next", 99], ["delete", 1], ["delete", 3], ["delete", 4], ["delete", 5], ["next", undefined], ["keys"],
];

for (const type of ["array", "percpu_array"]) {
  test(`a userspace ${type} map answers as the kernel's`, { skip }, () => {
    const r = both({ type, keySize: 4, valueSize: 8, maxEntries: 4, name: `t_${type}` }, ARRAY_SCRIPT, { perCpu: type.startsWith("percpu") });
    assert.deepEqual(r.user, r.kernel);
  });
}

test("a per-CPU value is one 8-aligned slot per CPU: the kernel's first slot is the runtime's only one", { skip }, () => {
  for (const type of ["percpu_array", "percpu_hash"]) {
    const r = both({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: `t_${type}4` }, [["set", 1, 0x01020304], ["get", 1], ["keys"]], { perCpu: true });
    assert.deepEqual(r.user, r.kernel);
    assert.match(r.user[1]!, /^get 1: 0403020100000000$/);
  }
});

for (const type of ["hash", "percpu_hash"]) {
  test(`a userspace ${type} map answers as the kernel's`, { skip }, () => {
    const r = both({ type, keySize: 4, valueSize: 8, maxEntries: 4, name: `t_${type}` }, HASH_SCRIPT, { perCpu: type.startsWith("percpu"), sortKeys: true });
    assert.deepEqual(r.user, r.kernel);
  });
}

test("a hash map iterates every key once with nextKey, and a missing key restarts", { skip }, () => {
  for (const m of [createMap(new AddressSpace(), { type: "hash", keySize: 8, valueSize: 4, maxEntries: 8 }), KernelMap.create({ type: "hash", keySize: 8, valueSize: 4, maxEntries: 8 })]) {
    for (let k = 1; k <= 5; k++) m.set(u64(k * 7), u32(k));
    const walked: string[] = [];
    for (let k = m.nextKey(); k; k = m.nextKey(k)) walked.push(hex(k));
    assert.deepEqual([...walked].sort(), [1, 2, 3, 4, 5].map((k) => hex(u64(k * 7))).sort());
    assert.ok(walked.includes(hex(m.nextKey(u64(1000)))));
    m.close();
  }
});

test("an lru_hash map never refuses an update and keeps the newest element", { skip }, () => {
  const spec = { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 4, name: "t_lru" } as const;
  const kernel = KernelMap.create(spec);
  const user = createMap(new AddressSpace(), spec);
  try {
    for (const m of [kernel, user] as AnyMap[]) {
      for (let k = 0; k < 12; k++) m.set(u32(k), u64(k * 10));
      assert.equal(hex(m.get(u32(11))), hex(u64(110)));
      const n = [...m.keys()].length;
      assert.ok(n >= 1 && n <= 4, `${n} elements`);
      // The rest of the script is exact on both: errors are the hash map's.
      assert.equal(outcome(() => m.set(u32(11), u64(1), "noexist")), "error EEXIST");
      assert.equal(outcome(() => m.set(u32(99), u64(1), "exist")), "error ENOENT");
      assert.equal(outcome(() => m.delete(u32(99))), "false");
    }
  } finally {
    kernel.close();
    user.close();
  }
});

test("the userspace lru_hash evicts the least recently used", () => {
  const user = createMap(new AddressSpace(), { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 3 });
  for (let k = 0; k < 3; k++) user.set(u32(k), u64(k));
  user.get(u32(0)); // userspace reads do not count as uses, as in the kernel
  user.set(u32(0), u64(100)); // a write does
  user.set(u32(3), u64(3));
  assert.deepEqual([...user.keys()].map(hex).sort(), [0, 2, 3].map((k) => hex(u32(k))).sort());
});

for (const type of ["queue", "stack"]) {
  test(`a userspace ${type} answers as the kernel's`, { skip }, () => {
    const steps: Step[] = [["pop"], ["peek"], ["push", 1], ["push", 2], ["push", 3], ["push", 4], ["peek"], ["push", 5, "exist"], ["peek"], ["pop"], ["pop"], ["push", 6, 9], ["pop"], ["pop"], ["pop"]];
    const r = both({ type, keySize: 0, valueSize: 4, maxEntries: 3, name: `t_${type}` }, steps);
    assert.deepEqual(r.user, r.kernel);
  });
}

test("bad shapes fail as BPF_MAP_CREATE does", { skip }, () => {
  const shapes: (UserMapSpec & { type: string })[] = [
    { type: "array", keySize: 8, valueSize: 8, maxEntries: 4 },
    { type: "array", keySize: 4, valueSize: 8, maxEntries: 0 },
    { type: "hash", keySize: 0, valueSize: 8, maxEntries: 4 },
    { type: "hash", keySize: 4, valueSize: 0, maxEntries: 4 },
    { type: "queue", keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: "prog_array", keySize: 4, valueSize: 8, maxEntries: 4 },
  ];
  for (const s of shapes) {
    const k = outcome(() => KernelMap.create({ ...s, type: s.type as "hash" }).close());
    const u = outcome(() => createMap(new AddressSpace(), s).close());
    assert.equal(u, k, JSON.stringify(s));
  }
});

test("a map type the runtime lacks is a NotSupportedError naming it", () => {
  assert.throws(() => createMap(new AddressSpace(), { type: "sockmap", keySize: 4, valueSize: 4, maxEntries: 4 }),
    (e: NotSupportedError) => e instanceof NotSupportedError && /sockmap/.test(e.message));
});

test("errors are MapErrors with the errno and the map's name", () => {
  const m = createMap(new AddressSpace(), { type: "hash", keySize: 4, valueSize: 4, maxEntries: 1, name: "counts" });
  m.set(u32(1), u32(1));
  assert.throws(() => m.set(u32(2), u32(2)), (e: MapError) => e instanceof MapError && e instanceof BpfError && e.errno === 7 && e.message === 'update map "counts": E2BIG');
  assert.throws(() => m.get(u32(1).subarray(0, 3)), /key is 3 bytes, key size is 4/);
  m.close();
  assert.throws(() => m.get(u32(1)), /used after close/);
});

test("a program's pointer to a value sees userspace writes, and the reverse", () => {
  const space = new AddressSpace();
  const m = createMap(space, { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 });
  m.set(u32(1), u64(5));
  const key = space.alloc({ name: "key", kind: "other", size: 4, perm: 3 });
  space.u8.set(u32(1), key.base);
  const addr = m.lookupElem(key.base);
  assert.ok(addr > 0);
  assert.equal(space.view.getBigUint64(addr, true), 5n);
  space.view.setBigUint64(addr, 6n, true);
  assert.equal(hex(m.get(u32(1))), hex(u64(6)));
  space.u8.set(u32(2), key.base);
  assert.equal(m.lookupElem(key.base), 0);
  assert.equal(m.deleteElem(key.base), -2);
});

test("global data: BPF_F_RDONLY_PROG makes the values read-only to programs", () => {
  const space = new AddressSpace();
  const m = createMap(space, { type: "array", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0x80 | 0x400, name: "x.rodata" });
  m.set(u32(0), u32(100));
  const key = space.alloc({ name: "key", kind: "other", size: 4, perm: 3 });
  const addr = m.lookupElem(key.base);
  assert.notEqual(space.check(addr, 4, false), 0);
  assert.equal(space.check(addr, 4, true), 0);
  m.freeze();
  assert.throws(() => m.set(u32(0), u32(1)), (e: MapError) => e.errnoName === "EPERM");
});

test("a prog_array takes program references only with BPF_ANY, as the kernel's", { skip }, async () => {
  const { KernelProgram } = await import("../../src/kernel/index.js");
  const { Runtime } = await import("../../src/runtime/index.js");
  const exit0 = [{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  const kp = KernelProgram.load({ type: "xdp", instructions: exit0 });
  const rt = new Runtime();
  const target = rt.load(exit0, { type: "xdp" });
  const spec = { type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 4, name: "t_jumps" } as const;
  const km = KernelMap.create(spec);
  const um = createMap(rt.space, spec, { programs: (id) => (id === 7 ? target : undefined) });
  // The value is the program's fd in the kernel and its id in the runtime; the results are comparable.
  const script = (m: AnyMap, ref: number) => [
    outcome(() => m.set(u32(1), u32(ref), "noexist")),
    outcome(() => m.set(u32(4), u32(ref))),
    outcome(() => m.set(u32(1), u32(ref))),
    outcome(() => m.get(u32(1)) !== undefined),
    outcome(() => m.get(u32(2))),
    outcome(() => m.nextKey()), outcome(() => m.nextKey(u32(3))),
    outcome(() => m.delete(u32(2))), outcome(() => m.delete(u32(9))), outcome(() => m.delete(u32(1))),
    outcome(() => m.set(u32(0), u32(9999))),
  ];
  try {
    assert.deepEqual(script(um, 7), script(km, kp.fd));
    assert.equal(outcome(() => um.set(u32(0), u32(9999))), "error EBADF");
  } finally {
    km.close();
    um.close();
    kp.close();
  }
});
