/**
 * @fileoverview parseBtf on the fixtures and the running kernel's BTF, every kind on
 * hand-made input, split BTF, and the Btf helpers (type, byName, resolve, sizeof).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { BtfError, parseBtf } from "../../src/btf/index.js";
import { INT32, KIND, VMLINUX, buildBtf, haveVmlinux, loadBtf, objectFiles } from "./helpers.js";

test("vmlinux BTF parses: its well-known types are there", { skip: haveVmlinux ? false : `${VMLINUX} is missing` }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const task = btf.byName("task_struct", "struct");
  assert.equal(task.length, 1);
  assert.equal(btf.resolve(btf.byName("pid_t", "typedef")[0]!.id).kind, "int");
  assert.equal(btf.sizeof(btf.byName("list_head", "struct")[0]!.id), 16);
});

for (const path of objectFiles()) {
  test(`${basename(path)}: .BTF parses, every reference resolves`, () => {
    const btf = loadBtf(path);
    assert.equal(btf.types[0]!.kind, "void");
    btf.types.forEach((t, id) => assert.equal(t.id, id));
    for (const t of btf.types) {
      if (t.kind === "struct" || t.kind === "union") for (const m of t.members) btf.type(m.type);
      if (t.kind === "ptr" || t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "var") btf.resolve(t.id);
    }
  });
}

test("maps-helpers: map definitions, sizes and names", () => {
  const btf = loadBtf(new URL("../fixtures/maps-helpers.bpf.o", import.meta.url).pathname);
  const be = loadBtf(new URL("../fixtures/maps-helpers.bpfeb.bpf.o", import.meta.url).pathname);
  assert.equal(btf.littleEndian, true);
  assert.equal(be.littleEndian, false);
  assert.deepEqual(be.types, btf.types, "byte order does not change the types");
  const xdp = btf.byName("xdp_md", "struct")[0]!;
  assert.equal(btf.sizeof(xdp.id), 24);
  const counters = btf.byName("counters", "var")[0]!;
  assert.equal(counters.kind, "var");
  const def = btf.resolve(counters.kind === "var" ? counters.type : 0);
  assert.equal(def.kind, "struct");
  assert.deepEqual(def.kind === "struct" ? def.members.map((m) => m.name) : [], ["type", "max_entries", "key", "value"]);
  assert.equal(btf.sizeof(btf.byName("LICENSE", "var")[0]!.id), 4, "a var's size is its type's");
  const sec = btf.byName(".maps", "datasec")[0]!;
  assert.equal(sec.kind === "datasec" ? sec.vars.length : 0, 2);
});

test("every kind decodes from hand-made BTF", () => {
  const bytes = buildBtf([
    INT32, // 1
    { kind: KIND.PTR, sizeOrType: 1 }, // 2
    { kind: KIND.ARRAY, sizeOrType: 0, extra: [1, 1, 10] }, // 3
    { name: "s", kind: KIND.STRUCT, vlen: 3, kflag: true, sizeOrType: 8, extra: ["a", 1, 0, "b", 1, (3 << 24) | 32, "c", 1, (5 << 24) | 35] }, // 4
    { name: "u", kind: KIND.UNION, vlen: 1, sizeOrType: 4, extra: ["x", 1, 0] }, // 5
    { name: "e", kind: KIND.ENUM, vlen: 2, kflag: true, sizeOrType: 4, extra: ["A", -1, "B", 7] }, // 6
    { name: "f", kind: KIND.FWD, kflag: true, sizeOrType: 0 }, // 7
    { name: "t", kind: KIND.TYPEDEF, sizeOrType: 1 }, // 8
    { kind: KIND.VOLATILE, sizeOrType: 8 }, // 9
    { kind: KIND.CONST, sizeOrType: 9 }, // 10
    { kind: KIND.RESTRICT, sizeOrType: 2 }, // 11
    { kind: KIND.FUNC_PROTO, vlen: 2, sizeOrType: 1, extra: ["p", 2, "", 0] }, // 12
    { name: "fn", kind: KIND.FUNC, vlen: 1, sizeOrType: 12 }, // 13
    { name: "v", kind: KIND.VAR, sizeOrType: 3, extra: [1] }, // 14
    { name: ".data", kind: KIND.DATASEC, vlen: 1, sizeOrType: 40, extra: [14, 0, 40] }, // 15
    { name: "double", kind: KIND.FLOAT, sizeOrType: 8 }, // 16
    { name: "tag", kind: KIND.DECL_TAG, sizeOrType: 4, extra: [1] }, // 17
    { name: "user", kind: KIND.TYPE_TAG, sizeOrType: 1 }, // 18
    { name: "e64", kind: KIND.ENUM64, vlen: 1, sizeOrType: 8, extra: ["BIG", 0, 0x80000000] }, // 19
  ]);
  const btf = parseBtf(bytes);
  assert.equal(btf.types.length, 20);
  assert.deepEqual(btf.type(1), { kind: "int", id: 1, name: "int", size: 4, bitOffset: 0, bits: 32, signed: true, char: false, bool: false });
  assert.deepEqual(btf.type(3), { kind: "array", id: 3, name: "", type: 1, indexType: 1, nelems: 10 });
  const s = btf.type(4);
  assert.equal(s.kind, "struct");
  assert.deepEqual(s.kind === "struct" && s.members, [
    { name: "a", type: 1, bitOffset: 0, bitSize: 0 },
    { name: "b", type: 1, bitOffset: 32, bitSize: 3 },
    { name: "c", type: 1, bitOffset: 35, bitSize: 5 },
  ]);
  const e = btf.type(6);
  assert.deepEqual(e.kind === "enum" && e.values, [{ name: "A", value: -1n }, { name: "B", value: 7n }]);
  assert.deepEqual(btf.type(7), { kind: "fwd", id: 7, name: "f", union: true });
  assert.equal(btf.type(13).kind === "func" && (btf.type(13) as { linkage: string }).linkage, "global");
  const proto = btf.type(12);
  assert.deepEqual(proto.kind === "func_proto" && proto.params, [{ name: "p", type: 2 }, { name: "", type: 0 }]);
  assert.deepEqual(btf.type(15).kind === "datasec" && (btf.type(15) as { vars: unknown }).vars, [{ type: 14, offset: 0, size: 40 }]);
  assert.deepEqual(btf.type(17), { kind: "decl_tag", id: 17, name: "tag", type: 4, componentIdx: 1 });
  const e64 = btf.type(19);
  assert.deepEqual(e64.kind === "enum" && [e64.enum64, e64.values], [true, [{ name: "BIG", value: 0x8000000000000000n }]]);
  assert.equal(btf.resolve(10).kind, "int", "const volatile t resolves through the typedef to int");
  assert.equal(btf.resolve(11).kind, "ptr");
  assert.equal(btf.sizeof(14), 40);
  assert.equal(btf.sizeof(10), 4);
  assert.equal(btf.sizeof(11), 8);
  assert.throws(() => btf.sizeof(7), (e: unknown) => e instanceof BtfError && /type \[7\] \(fwd f\): has no size/.test(e.message));
  assert.throws(() => btf.type(20), /type 20 is beyond 20 types/);
  assert.deepEqual(btf.byName("e").map((t) => t.id), [6]);
  assert.deepEqual(btf.byName("e", "struct"), []);
  assert.equal(btf.string(1), "int");
});

test("split BTF continues the base's type ids and string offsets", () => {
  const base = parseBtf(buildBtf([INT32, { name: "base_s", kind: KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["m", 1, 0] }]));
  const baseStrLen = new DataView(base.raw.buffer, base.raw.byteOffset).getUint32(20, true);
  const split = parseBtf(
    buildBtf([{ kind: KIND.PTR, sizeOrType: 2 }, { name: "mod_s", kind: KIND.STRUCT, vlen: 1, sizeOrType: 8, extra: ["p", 3, 0] }], { splitStringBase: baseStrLen }),
    { base },
  );
  assert.equal(split.types.length, 5);
  assert.equal(split.type(3).kind, "ptr");
  assert.equal(split.resolve(split.type(4).kind === "struct" ? (split.type(4) as { members: { type: number }[] }).members[0]!.type : 0).kind, "ptr");
  assert.equal(split.type(4).name, "mod_s");
  assert.equal(split.string(1), "int", "base strings are reachable");
  assert.equal(split.byName("base_s")[0]!.id, 2);
});
