/**
 * @fileoverview The JIT's inlined map lookups (src/jit/inline-maps.ts) against the maps' own
 * lookups on random keys of many sizes, so a change of the maps' layout in memory is caught.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { installHelpers } from "../../src/helpers/index.js";
import { createMap, setCpus } from "../../src/maps/index.js";
import type { BpfMap } from "../../src/maps/map.js";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { asm } from "../runtime/util.js";

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

/** Copies the key from the memory block (r1) to the stack, looks it up, returns the value's address. */
function lookupProgram(map: BpfMap, keyOnStack = true): string {
  const lines: string[] = [];
  if (keyOnStack) {
    for (let j = 0; j < map.keySize; j++) lines.push(`r3 = *(u8 *)(r1 + ${j})`, `*(u8 *)(r10 - ${256 - j}) = r3`);
    lines.push("r2 = r10", "r2 += -256");
  } else {
    lines.push("r2 = r1");
  }
  lines.push(`r1 = 0x${map.handle.toString(16)} ll`, "call 1", "exit");
  return lines.join("\n");
}

function runtime(): Runtime {
  return new Runtime({ helpers: installHelpers(new HelperRegistry()) });
}

/** Looks every key up in the interpreter and the JIT: the same address, and the map's own answer. */
function compare(rt: Runtime, map: BpfMap, keys: Uint8Array[], keyOnStack = true): { inlined: number } {
  const insns = asm(lookupProgram(map, keyOnStack));
  const interp = rt.load(insns, { engine: "interp" });
  const jit = rt.load(insns, { engine: "jit" });
  const wrong: string[] = [];
  for (const key of keys) {
    const a = interp.runRaw(key).r0, b = jit.runRaw(key).r0;
    const present = map.get(key) !== undefined;
    if (a !== b || (a !== 0n) !== present) wrong.push(`key ${[...key]}: interp ${a}, jit ${b}, in the map ${present}`);
    if (wrong.length > 5) break;
  }
  assert.deepEqual(wrong, []);
  return { inlined: jit.jitCode!.inlined.length };
}

test("inlined array lookups give the map's own addresses, out-of-range indices included", () => {
  const rt = runtime();
  const map = createMap(rt.space, { type: "array", keySize: 4, valueSize: 12, maxEntries: 37 });
  const next = rng(7);
  const keys = Array.from({ length: 300 }, () => {
    const i = next() % 3 === 0 ? next() : next() % 50;
    return Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24);
  });
  assert.equal(compare(rt, map, keys).inlined, 1);
});

test("inlined hash lookups find what the map holds, for keys of 1 to 40 bytes", () => {
  for (const keySize of [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 20, 24, 25, 36, 40]) {
    const rt = runtime();
    const map = createMap(rt.space, { type: "hash", keySize, valueSize: 8, maxEntries: 300 });
    const next = rng(keySize * 101);
    const key = () => Uint8Array.from({ length: keySize }, () => next() & (keySize === 1 ? 0xff : 0x0f));
    for (let k = 0; k < 150; k++) map.set(key(), new Uint8Array(8).fill(k & 0xff));
    const keys = Array.from({ length: 300 }, key);
    assert.equal(compare(rt, map, keys).inlined, 1, `key size ${keySize}`);
  }
});

test("an inlined hash lookup sees updates and deletes made after compiling", () => {
  const rt = runtime();
  const map = createMap(rt.space, { type: "hash", keySize: 16, valueSize: 8, maxEntries: 1000 });
  const insns = asm(lookupProgram(map));
  const jit = rt.load(insns, { engine: "jit" });
  const key = Uint8Array.from({ length: 16 }, (_, j) => j * 3);
  assert.equal(jit.runRaw(key).r0, 0n);
  map.set(key, new Uint8Array(8).fill(9));
  // Fill past one slab so the map allocates more memory, then look the first key up again.
  for (let k = 0; k < 600; k++) map.set(Uint8Array.from({ length: 16 }, (_, j) => (k >> (j % 2 ? 8 : 0)) & 0xff), new Uint8Array(8));
  const at = jit.runRaw(key).r0;
  assert.notEqual(at, 0n);
  assert.deepEqual([...rt.space.u8.subarray(Number(at), Number(at) + 8)], new Array(8).fill(9));
  map.delete(key);
  assert.equal(jit.runRaw(key).r0, 0n);
});

test("inlined percpu_array lookups and updates take the current CPU's slot, as set between runs", () => {
  const rt = runtime();
  setCpus(rt.space, { cpus: 4, current: 0 });
  const map = createMap(rt.space, { type: "percpu_array", keySize: 4, valueSize: 12, maxEntries: 5 });
  const look = asm(lookupProgram(map)), put = asm(updateProgram(map));
  const interp = [rt.load(look, { engine: "interp" }), rt.load(put, { engine: "interp" })];
  const jit = [rt.load(look, { engine: "jit" }), rt.load(put, { engine: "jit" })];
  assert.deepEqual(jit.map((p) => p.jitCode!.inlined.length), [1, 1]);
  const next = rng(11);
  for (let k = 0; k < 200; k++) {
    setCpus(rt.space, { current: next() % 4 });
    const key = Uint8Array.of(next() % 7, 0, 0, 0);
    assert.equal(jit[0]!.runRaw(key).r0, interp[0]!.runRaw(key).r0, `lookup of ${key[0]}`);
    const b = new Uint8Array(20);
    b.set(key);
    for (let j = 4; j < 16; j++) b[j] = next() & 0xff;
    // The JIT writes one map copy, the interpreter checks it: run both on a copy each time.
    const before = Array.from({ length: 5 }, (_, i) => map.getPerCpu(Uint8Array.of(i, 0, 0, 0))!.map((v) => [...v]));
    const rj = jit[1]!.runRaw(b).r0;
    const afterJit = Array.from({ length: 5 }, (_, i) => map.getPerCpu(Uint8Array.of(i, 0, 0, 0))!.map((v) => [...v]));
    for (let i = 0; i < 5; i++) map.set(Uint8Array.of(i, 0, 0, 0), Uint8Array.from(before[i]!.flatMap((v) => [...v, 0, 0, 0, 0])));
    const ri = interp[1]!.runRaw(b).r0;
    const afterInterp = Array.from({ length: 5 }, (_, i) => map.getPerCpu(Uint8Array.of(i, 0, 0, 0))!.map((v) => [...v]));
    assert.equal(rj, ri);
    assert.deepEqual(afterJit, afterInterp);
  }
});

test("inlined percpu_hash lookups give the current CPU's slot of the element", () => {
  const rt = runtime();
  setCpus(rt.space, { cpus: 3, current: 0 });
  const map = createMap(rt.space, { type: "percpu_hash", keySize: 6, valueSize: 4, maxEntries: 64 });
  const next = rng(5);
  const key = () => Uint8Array.from({ length: 6 }, () => next() & 3);
  for (let k = 0; k < 40; k++) map.set(key(), new Uint8Array(4).fill(k));
  for (let cpu = 0; cpu < 3; cpu++) {
    setCpus(rt.space, { current: cpu });
    assert.equal(compare(rt, map, Array.from({ length: 100 }, key)).inlined, 1);
  }
});

test("a key outside the stack and a registry's own lookup keep the helper call", () => {
  const rt = runtime();
  const hash = createMap(rt.space, { type: "hash", keySize: 8, valueSize: 8, maxEntries: 16 });
  const key = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  hash.set(key, new Uint8Array(8));
  // The key in the memory block: compiled inline behind the stack check, answered by the helper.
  compare(rt, hash, [key, new Uint8Array(8)], false);
  const own = runtime();
  own.helpers.define(1, "map_lookup_elem", () => 42);
  const m = createMap(own.space, { type: "hash", keySize: 8, valueSize: 8, maxEntries: 16 });
  const p = own.load(asm(lookupProgram(m)), { engine: "jit" });
  assert.equal(p.jitCode!.inlined.length, 0);
  assert.equal(p.runRaw(key).r0, 42n);
});

test("inlined LRU lookups mark the elements they find, so the same ones survive eviction", () => {
  const u64 = (k: number) => Uint8Array.of(k, k >> 8, 0, 0, 0, 0, 0, 1);
  for (const type of ["lru_hash", "lru_percpu_hash"] as const) {
    // The same map three times: lookups through the interpreter, through the JIT, and none.
    const survivors = (engine: "interp" | "jit" | undefined) => {
      const rt = runtime();
      const m = createMap(rt.space, { type, keySize: 8, valueSize: 8, maxEntries: 64 });
      for (let k = 0; k < 64; k++) m.set(u64(k), new Uint8Array(8));
      if (engine) {
        const p = rt.load(asm(lookupProgram(m)), { engine });
        if (engine === "jit") assert.equal(p.jitCode!.inlined.length, 1, `${type}: the lookup is inlined`);
        for (let k = 0; k < 64; k += 3) assert.notEqual(p.runRaw(u64(k)).r0, 0n);
      }
      for (let k = 64; k < 96; k++) m.set(u64(k), new Uint8Array(8));
      return Array.from({ length: 64 }, (_, k) => k).filter((k) => m.get(u64(k)) !== undefined);
    };
    const jit = survivors("jit");
    assert.deepEqual(jit, survivors("interp"), type);
    assert.notDeepEqual(jit, survivors(undefined), `${type}: the lookups changed what survived`);
  }
});

/** Copies key, value and flags from the memory block to the stack and registers, then bpf_map_update_elem. */
function updateProgram(map: BpfMap): string {
  const vs = map.valueSize, lines: string[] = [];
  for (let j = 0; j < 4; j++) lines.push(`r3 = *(u8 *)(r1 + ${j})`, `*(u8 *)(r10 - ${256 - j}) = r3`);
  for (let j = 0; j < vs; j++) lines.push(`r3 = *(u8 *)(r1 + ${4 + j})`, `*(u8 *)(r10 - ${128 - j}) = r3`);
  lines.push(`r4 = *(u32 *)(r1 + ${4 + vs})`, "r2 = r10", "r2 += -256", "r3 = r10", "r3 += -128");
  lines.push(`r1 = 0x${map.handle.toString(16)} ll`, "call 2", "exit");
  return lines.join("\n");
}

test("inlined array updates return the helper's errors and leave the map's own contents", () => {
  for (const spinLockOffset of [undefined, 0]) {
    const spec = { type: "array" as const, keySize: 4, valueSize: 12, maxEntries: 9, ...(spinLockOffset !== undefined ? { spinLockOffset } : {}) };
    const next = rng(spinLockOffset === undefined ? 3 : 4);
    const inputs = Array.from({ length: 400 }, () => {
      const b = new Uint8Array(4 + 12 + 4);
      const i = next() % 12;
      b[0] = i;
      for (let j = 4; j < 16; j++) b[j] = next() & 0xff;
      b[16] = [0, 1, 2, 3, 4, 5, 6, 8][next() % 8]!;
      return b;
    });
    const results = (["interp", "jit"] as const).map((engine) => {
      const rt = runtime();
      const map = createMap(rt.space, spec);
      const p = rt.load(asm(updateProgram(map)), { engine });
      const r0s = inputs.map((b) => p.runRaw(b).r0);
      const contents = Array.from({ length: 9 }, (_, i) => [...map.get(Uint8Array.of(i, 0, 0, 0))!]);
      return { r0s, contents, inlined: p.jitCode?.inlined.length ?? 0 };
    });
    assert.equal(results[1]!.inlined, 1);
    assert.deepEqual(results[1]!.r0s, results[0]!.r0s);
    assert.deepEqual(results[1]!.contents, results[0]!.contents);
    // The errors all occur: E2BIG, EEXIST, EINVAL, and successes.
    assert.deepEqual(new Set(results[0]!.r0s.map((r) => BigInt.asIntN(64, r))), new Set([0n, -7n, -17n, -22n]));
  }
});

test("a program whose inlined map was closed fails as the interpreter's does, not on freed memory", async () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(new URL("../../bench/progs/flow_table.bpf.o", import.meta.url))), { name: "flow_table" });
  const data = new Uint8Array(readFileSync(new URL("../../bench/pkt_udp64.bin", import.meta.url)));
  const outcome = async (engine: "interp" | "jit") => {
    const o = engine === "jit" ? await loadObject(spec, { engine: "jit" }) : await loadObject(spec, { engine: "interp" });
    const p = o.programs.get(spec.programs[0]!.name)!;
    const before = p.testRun({ data }).retval;
    if (engine === "jit") assert.ok(p.jitCode!.inlined.length > 0, "the lookup is inlined");
    for (const m of o.maps.values()) m.close();
    try {
      return { before, after: p.testRun({ data }).retval };
    } catch (e) {
      return { before, after: (e as Error).message };
    }
  };
  const jit = await outcome("jit");
  assert.deepEqual(jit, await outcome("interp"));
  assert.match(String(jit.after), /is not a map/);
});
