/**
 * @fileoverview formatValue and encodeValue: map keys and values as JS values by their
 * BTF type, on hand-made types (bitfields, enums, strings, anonymous members, both byte
 * orders) and as a round trip over structs of the running kernel.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { BtfError, encodeValue, formatValue, parseBtf } from "../../src/btf/index.js";
import { INT32, KIND, VMLINUX, buildBtf, haveVmlinux, loadBtf, vmlinuxBtf } from "./helpers.js";

const types = [
  INT32, // 1
  { name: "char", kind: KIND.INT, sizeOrType: 1, extra: [(1 << 24) | 8] }, // 2
  { kind: KIND.ARRAY, sizeOrType: 0, extra: [2, 1, 8] }, // 3: char[8]
  { name: "u64", kind: KIND.INT, sizeOrType: 8, extra: [64] }, // 4
  { name: "color", kind: KIND.ENUM, vlen: 2, sizeOrType: 4, extra: ["RED", 0, "BLUE", 5] }, // 5
  { kind: KIND.UNION, vlen: 2, sizeOrType: 4, extra: ["as_int", 1, 0, "as_color", 5, 0] }, // 6
  { name: "rec", kind: KIND.STRUCT, vlen: 7, kflag: true, sizeOrType: 40, extra: [
    "id", 1, 0,
    "name", 3, 32,
    "total", 4, 128,
    "c", 5, 192,
    "lo", 1, (3 << 24) | 224,
    "hi", 5, (4 << 24) | 227,
    "", 6, 256,
  ] }, // 7
  { name: "unsigned short", kind: KIND.INT, sizeOrType: 2, extra: [16] }, // 8
  { kind: KIND.ARRAY, sizeOrType: 0, extra: [8, 1, 3] }, // 9: unsigned short[3]
  { name: "float", kind: KIND.FLOAT, sizeOrType: 4 }, // 10
];

test("a struct becomes an object: numbers, bigints, strings, enum names, bitfields, anonymous members", () => {
  for (const le of [true, false]) {
    const btf = parseBtf(buildBtf(types));
    const value = { id: -7, name: "eth0", total: 1n << 40n, c: "BLUE", lo: -2, hi: "BLUE", as_int: 5, as_color: "BLUE" };
    const bytes = encodeValue(btf, 7, value);
    assert.equal(bytes.length, 40);
    assert.deepEqual(formatValue(btf, 7, bytes), value);
    if (le) {
      assert.deepEqual(Array.from(bytes.subarray(0, 12)), [0xf9, 0xff, 0xff, 0xff, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0]);
      assert.equal(bytes[28], 0b0101110, "lo = -2 in 3 bits at 224, hi = 5 in 4 bits at 227");
    }
  }
  const btf = parseBtf(buildBtf(types));
  assert.deepEqual(formatValue(btf, 9, new Uint8Array([1, 0, 2, 0, 0xff, 0xff])), [1, 2, 65535]);
  assert.equal(formatValue(btf, 5, new Uint8Array([9, 0, 0, 0])), 9, "an enum value with no name stays a number");
  assert.equal(formatValue(btf, 10, encodeValue(btf, 10, 1.5)), 1.5);
  assert.deepEqual(formatValue(btf, 3, new Uint8Array([0xff, 0xfe, 0, 0, 0, 0, 0, 0])), [-1, -2, 0, 0, 0, 0, 0, 0], "not UTF-8: the bytes");
  assert.deepEqual(encodeValue(btf, 3, [-1, -2]), new Uint8Array([0xff, 0xfe, 0, 0, 0, 0, 0, 0]));
});

test("encodeValue refuses what does not fit, with the path to it", () => {
  const btf = parseBtf(buildBtf(types));
  assert.throws(() => encodeValue(btf, 7, { nope: 1 }), (e: unknown) => e instanceof BtfError && /value: struct rec has no member nope/.test(e.message));
  assert.throws(() => encodeValue(btf, 7, { name: "much too long" }), /value\.name: string of 13 bytes does not fit in char\[8\]/);
  assert.throws(() => encodeValue(btf, 7, { lo: 9 }), /value\.lo: 9 does not fit in 3 signed bits/);
  assert.throws(() => encodeValue(btf, 7, { c: "GREEN" }), /value\.c: GREEN is not an enumerator of enum color/);
  assert.throws(() => encodeValue(btf, 1, 1.5), /value: 1.5 is not an integer/);
  assert.throws(() => formatValue(btf, 7, new Uint8Array(3)), /value has 3 bytes, the type needs 40/);
});

test("a fixture's map types: __u32 keys, __u64 values, big-endian too", () => {
  for (const name of ["maps-helpers.bpf.o", "maps-helpers.bpfeb.bpf.o"]) {
    const btf = loadBtf(new URL(`../fixtures/${name}`, import.meta.url).pathname);
    const u32 = btf.byName("__u32", "typedef")[0]!.id;
    const u64 = btf.byName("__u64", "typedef")[0]!.id;
    assert.equal(formatValue(btf, u64, encodeValue(btf, u64, 0x1122334455667788n)), 0x1122334455667788n);
    const k = encodeValue(btf, u32, 0x01020304);
    assert.deepEqual(Array.from(k), btf.littleEndian ? [4, 3, 2, 1] : [1, 2, 3, 4]);
    assert.equal(formatValue(btf, u32, k), 0x01020304);
  }
});

/** xorshift32 bytes, the same every run. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test("kernel structs round-trip: decode(encode(decode(bytes))) is decode(bytes)", { skip: haveVmlinux ? false : `${VMLINUX} is missing` }, (t) => {
  const btf = vmlinuxBtf();
  const names = ["task_struct", "sk_buff", "bpf_map", "xdp_md", "__sk_buff", "bpf_sock_tuple", "iphdr", "tcphdr", "file", "inode", "bpf_prog_info", "perf_event_attr"];
  let n = 0;
  const t0 = performance.now();
  for (const name of names) {
    const s = btf.byName(name, "struct")[0];
    if (!s) continue;
    const bytes = noise(btf.sizeof(s.id), s.id);
    const v = formatValue(btf, s.id, bytes);
    assert.deepEqual(formatValue(btf, s.id, encodeValue(btf, s.id, v)), v, name);
    const zero = formatValue(btf, s.id, new Uint8Array(btf.sizeof(s.id)));
    assert.deepEqual(encodeValue(btf, s.id, zero), new Uint8Array(btf.sizeof(s.id)), `${name}: zeros`);
    n++;
  }
  t.diagnostic(`${n} kernel structs round-tripped in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(n >= 10);
});
