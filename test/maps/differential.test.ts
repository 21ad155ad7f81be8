/**
 * @fileoverview Each map type against the kernel's: a seeded random sequence of a few
 * thousand operations, from userspace (set, get, delete, nextKey, push/pop) and from a
 * program (the driver's lookup, update, delete, push, pop, peek through the helpers), on
 * a KernelMap and on a runtime map of the same shape, must give the same results and
 * errnos at every step and leave the same contents in the same get_next_key order
 * (hash maps use BPF_F_ZERO_SEED, so the kernel's order is reproducible).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { KernelMap } from "../../src/kernel/index.js";
import type { BpfMap } from "../../src/maps/index.js";
import { kernelDriver, Op, runtimeDriver, type Driver } from "./driver.js";
import { hex, pinToCpu0, skip, twin } from "./diff.js";

type AnyMap = KernelMap | BpfMap;

/** A deterministic generator (a 32-bit LCG), so a failure replays. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 0x100000000) * n);
  };
}

const errOf = (f: () => unknown): string => {
  try {
    const r = f();
    if (r instanceof Uint8Array) return hex(r);
    return r === undefined ? "none" : String(r);
  } catch (e) {
    const name = (e as { errnoName?: string }).errnoName;
    if (name) return `error ${name}`;
    throw e;
  }
};

interface Shape {
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** Makes a key from a small number (an LPM key: a prefix length and data). */
  readonly key?: (n: number, r: (n: number) => number) => Uint8Array;
  /** Operations this type takes: "user" element ops, "prog" element ops, "queue" push/pop. */
  readonly ops: readonly ("user" | "prog" | "queue" | "progQueue")[];
  /** Keys are the range [0, keys). */
  readonly keys: number;
}

function play(map: AnyMap, driver: Driver, shape: Shape, seed: number, steps: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  const mkKey = (n: number) => {
    if (shape.key) return shape.key(n, rng(n + 1));
    const k = new Uint8Array(shape.keySize);
    new DataView(k.buffer).setUint32(0, n, true);
    return k;
  };
  const mkValue = (n: number) => {
    const v = new Uint8Array(shape.valueSize);
    for (let i = 0; i < v.length; i++) v[i] = (n * 31 + i * 7) & 0xff;
    return v;
  };
  const flagsOf = () => [0, 0, 0, 1, 2, 4, 8][r(7)]!;
  for (let i = 0; i < steps; i++) {
    const kind = shape.ops[r(shape.ops.length)]!;
    const key = mkKey(r(shape.keys)), value = mkValue(r(1000));
    const which = r(4);
    let line: string;
    if (kind === "user") {
      const flags = flagsOf();
      if (which === 0) line = `set ${flags}: ${errOf(() => map.set(key, value, flags))}`;
      else if (which === 1) line = `get: ${errOf(() => map.get(key))}`;
      else if (which === 2) line = `delete: ${errOf(() => map.delete(key))}`;
      else line = `next: ${errOf(() => map.nextKey(r(3) === 0 ? undefined : key))}`;
    } else if (kind === "prog") {
      const flags = flagsOf();
      const op = [Op.Lookup, Op.Update, Op.Delete, Op.Update][which]!;
      const res = driver.run(op, flags, key, value);
      line = `prog ${op} ${flags}: ${res.r0}${op === Op.Lookup && res.r0 === 1 ? ` ${hex(res.value)}` : ""}`;
    } else if (kind === "queue") {
      const flags = [0, 0, 2, 1][r(4)]!;
      if (which < 2) line = `push ${flags}: ${errOf(() => map.push(value, flags))}`;
      else if (which === 2) line = `pop: ${errOf(() => map.pop())}`;
      else line = `peek: ${errOf(() => map.peek())}`;
    } else {
      const flags = [0, 0, 2, 1][r(4)]!;
      const op = [Op.Push, Op.Push, Op.Pop, Op.Peek][which]!;
      const res = driver.run(op, flags, key, value);
      line = `prog ${op} ${flags}: ${res.r0}${op !== Op.Push && res.r0 === 0 ? ` ${hex(res.value)}` : ""}`;
    }
    out.push(`${i} ${line}`);
  }
  if (shape.ops.includes("user")) {
    out.push(`keys ${[...map.keys()].map(hex).join(",")}`);
    out.push(`entries ${[...map.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).join(",")}`);
  }
  return out;
}

const u32Key = (n: number) => { const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, n, true); return k; };
/** An IPv4 LPM key: prefix lengths 0-32, a few distinct address patterns so prefixes nest. */
const lpmKey = (n: number) => {
  const k = new Uint8Array(8);
  const dv = new DataView(k.buffer);
  dv.setUint32(0, [0, 8, 16, 20, 24, 28, 32, 31, 12][n % 9]!, true);
  dv.setUint32(4, [0x0a000000, 0x0a010000, 0x0a010100, 0xc0a80000, 0xc0a80101, 0x0a0101ff, 0x0aff0000][Math.floor(n / 9) % 7]!, false);
  return k;
};

const SHAPES: Shape[] = [
  { type: "hash", keySize: 8, valueSize: 12, maxEntries: 64, flags: 0x40, keys: 100, ops: ["user", "prog"] },
  { type: "hash", keySize: 5, valueSize: 8, maxEntries: 32, flags: 0x41, keys: 50, ops: ["user", "prog"] },
  { type: "percpu_hash", keySize: 4, valueSize: 12, maxEntries: 32, flags: 0x40, keys: 50, ops: ["user", "prog"] },
  { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 64, flags: 0x40, keys: 200, ops: ["user", "prog", "prog"] },
  { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 64, flags: 0x42, keys: 200, ops: ["user", "prog", "prog"] },
  { type: "lru_percpu_hash", keySize: 4, valueSize: 8, maxEntries: 32, flags: 0x40, keys: 100, ops: ["user", "prog"] },
  { type: "lru_percpu_hash", keySize: 4, valueSize: 8, maxEntries: 32, flags: 0x42, keys: 100, ops: ["user", "prog"] },
  { type: "array", keySize: 4, valueSize: 12, maxEntries: 16, keys: 20, ops: ["user", "prog"] },
  { type: "percpu_array", keySize: 4, valueSize: 4, maxEntries: 16, keys: 20, ops: ["user", "prog"] },
  { type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 40, flags: 0x1, keys: 63, key: lpmKey, ops: ["user", "prog"] },
  { type: "queue", keySize: 0, valueSize: 8, maxEntries: 8, keys: 1, key: () => new Uint8Array(0), ops: ["queue", "progQueue"] },
  { type: "stack", keySize: 0, valueSize: 8, maxEntries: 8, keys: 1, key: () => new Uint8Array(0), ops: ["queue", "progQueue"] },
  { type: "bloom_filter", keySize: 0, valueSize: 4, maxEntries: 16, flags: 0x40, keys: 1, key: () => new Uint8Array(0), ops: ["progQueue"] },
];
void u32Key;

for (const shape of SHAPES) {
  const name = `${shape.type}${shape.flags ? ` flags 0x${shape.flags.toString(16)}` : ""}`;
  test(`${name}: 2,000 random operations from userspace and a program give what the kernel gives`, { skip }, () => {
    pinToCpu0();
    const t = twin({ ...shape, name: "maps_diff" });
    const keySize = shape.keySize, valueSize = shape.valueSize;
    const kind = shape.type === "bloom_filter" ? "bloom" : shape.keySize === 0 ? "queue" : "elem";
    const kd = kernelDriver(t.kernel, kind, keySize, valueSize), ud = runtimeDriver(t.user, kind, keySize, valueSize);
    try {
      const kernel = play(t.kernel, kd, shape, 7, 2000);
      const user = play(t.user, ud, shape, 7, 2000);
      const first = kernel.findIndex((l, i) => l !== user[i]);
      assert.equal(first, -1, `first difference at step ${first}:\n  kernel ${kernel[first]}\n  tsbpf  ${user[first]}\n  before: ${kernel.slice(Math.max(0, first - 3), first).join(" | ")}`);
    } finally {
      kd.close();
      ud.close();
      t.close();
    }
  });
}
