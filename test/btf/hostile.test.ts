/**
 * @fileoverview Hostile BTF: truncation at every length, bad string offsets, reference
 * loops, huge counts, and a seeded mutation fuzz loop. Every outcome is a parse or a
 * BtfError, never another exception or a hang.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BtfError, dumpC, dumpRaw, encodeValue, formatValue, parseBtf, parseBtfExt, type Btf } from "../../src/btf/index.js";
import { readElf } from "../../src/elf/index.js";
import { INT32, KIND, btfBytes, buildBtf } from "./helpers.js";

const FIXTURE = new URL("../fixtures/maps-helpers.bpf.o", import.meta.url).pathname;
const isBtfError = (e: unknown): boolean => e instanceof BtfError;

/** Everything a user may do with parsed BTF; only BtfError may come out. */
function exercise(btf: Btf): void {
  const tryIt = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  };
  tryIt(() => dumpRaw(btf));
  tryIt(() => dumpC(btf));
  for (const t of btf.types) {
    tryIt(() => btf.resolve(t.id));
    tryIt(() => {
      const size = btf.sizeof(t.id);
      if (size <= 4096) {
        const v = formatValue(btf, t.id, new Uint8Array(size));
        encodeValue(btf, t.id, v);
      }
    });
  }
}

test("a .BTF cut at every length is a BtfError, never a crash", () => {
  const full = btfBytes(FIXTURE);
  for (let n = 0; n < full.length; n++) {
    assert.throws(() => parseBtf(full.subarray(0, n)), isBtfError, `length ${n}`);
  }
  parseBtf(full);
});

test("a type section cut at every 4 bytes, with the header agreeing, parses or fails typed", () => {
  const full = btfBytes(FIXTURE);
  const v = new DataView(full.buffer, full.byteOffset, full.byteLength);
  const typeLen = v.getUint32(12, true);
  let parsed = 0;
  for (let n = 0; n <= typeLen; n += 4) {
    const copy = new Uint8Array(full);
    const cv = new DataView(copy.buffer);
    cv.setUint32(12, n, true);
    try {
      exercise(parseBtf(copy));
      parsed++;
    } catch (e) {
      assert.ok(isBtfError(e), String(e));
    }
  }
  assert.ok(parsed > 3, "whole-type prefixes parse");
});

test("bad string offsets, bad kinds, dangling references are typed errors with context", () => {
  const bad = buildBtf([INT32]);
  new DataView(bad.buffer).setUint32(24, 9999, true); // name_off of type 1
  assert.throws(() => parseBtf(bad), /btf: type \[1\] \(int\): type name offset 9999 is beyond the string section \(5 bytes\)/);
  assert.throws(() => parseBtf(buildBtf([{ name: "s", kind: KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["m", 9999, 0] }])), /type \[1\] \(struct s\): member 0 refers to type 9999 beyond 2 types/);
  assert.throws(() => parseBtf(buildBtf([{ kind: 25, sizeOrType: 0 }])), /type \[1\]: unknown kind 25/);
  assert.throws(() => parseBtf(buildBtf([{ name: "f", kind: KIND.FUNC, vlen: 7, sizeOrType: 0 }])), /unknown linkage 7/);
  const magic = buildBtf([INT32]);
  magic[0] = 0;
  assert.throws(() => parseBtf(magic), /bad magic/);
});

test("a huge vlen or type length is rejected before anything is allocated", () => {
  assert.throws(() => parseBtf(buildBtf([{ name: "s", kind: KIND.STRUCT, vlen: 0xffff, sizeOrType: 4, extra: ["m", 0, 0] }])), /65535 members needs 786420 bytes, 12 left/);
  const huge = buildBtf([INT32]);
  new DataView(huge.buffer).setUint32(12, 0xfffffff0, true);
  assert.throws(() => parseBtf(huge), /type section 0\+4294967280 is beyond/);
});

test("loops in type references are typed errors in resolve, sizeof and the printers", () => {
  // typedef a -> typedef b -> typedef a; a pointer to itself; an array of itself; a struct embedding itself
  const btf = parseBtf(buildBtf([
    { name: "a", kind: KIND.TYPEDEF, sizeOrType: 2 },
    { name: "b", kind: KIND.TYPEDEF, sizeOrType: 1 },
    { kind: KIND.PTR, sizeOrType: 3 },
    { kind: KIND.ARRAY, sizeOrType: 0, extra: [4, 0, 2] },
    { name: "s", kind: KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["self", 5, 0] },
    { kind: KIND.CONST, sizeOrType: 6 },
  ]));
  assert.throws(() => btf.resolve(1), /type \[1\] \(typedef a\): type references loop/);
  assert.throws(() => btf.sizeof(2), /type references loop/);
  assert.throws(() => btf.sizeof(4), /type references loop/);
  assert.throws(() => btf.resolve(6), /type references loop/);
  assert.throws(() => dumpC(btf), isBtfError);
  assert.throws(() => formatValue(btf, 5, new Uint8Array(4)), isBtfError);
  exercise(btf);
});

/** xorshift32, so every run mutates the same way. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test("mutation fuzz: a few thousand mutated .BTF and .BTF.ext parse or fail typed", (t) => {
  const elf = readElf(new Uint8Array(readFileSync(new URL("../fixtures/core.bpf.o", import.meta.url))));
  const seeds = [btfBytes(FIXTURE), btfBytes(new URL("../fixtures/global-data.bpf.o", import.meta.url).pathname)];
  const ext = elf.section(".BTF.ext")!.data;
  const coreBtf = parseBtf(elf.section(".BTF")!.data);
  const random = rng(0x5eed);
  let parsed = 0, failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    const seed = seeds[i % seeds.length]!;
    const bytes = new Uint8Array(seed);
    const flips = 1 + Math.floor(random() * 4);
    for (let k = 0; k < flips; k++) {
      const at = Math.floor(random() * bytes.length);
      const r = random();
      bytes[at] = r < 0.4 ? Math.floor(random() * 256) : r < 0.7 ? bytes[at]! ^ (1 << Math.floor(random() * 8)) : r < 0.85 ? 0xff : 0;
    }
    try {
      exercise(parseBtf(bytes));
      parsed++;
    } catch (e) {
      if (!isBtfError(e)) throw new Error(`mutation ${i}: ${String(e)}`, { cause: e });
      failed++;
    }
    const eb = new Uint8Array(ext);
    for (let k = 0; k < flips; k++) eb[Math.floor(random() * eb.length)] = Math.floor(random() * 256);
    try {
      parseBtfExt(eb, coreBtf);
    } catch (e) {
      if (!isBtfError(e)) throw new Error(`.BTF.ext mutation ${i}: ${String(e)}`, { cause: e });
    }
  }
  t.diagnostic(`3000 mutations: ${parsed} parsed, ${failed} rejected, ${(performance.now() - t0).toFixed(0)} ms`);
});
