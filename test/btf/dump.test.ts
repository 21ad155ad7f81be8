/**
 * @fileoverview dumpRaw and dumpC against bpftool, byte for byte: every fixture, every
 * bench object and the running kernel's vmlinux (bpftool missing means skip).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { dumpC, dumpCTypes, dumpRaw, parseBtf } from "../../src/btf/index.js";
import { INT32, KIND, VMLINUX, bpftool, buildBtf, haveBpftool, haveVmlinux, loadBtf, objectFiles, vmlinuxBtf } from "./helpers.js";

const noBpftool = haveBpftool ? false : "bpftool is not on PATH";

for (const path of objectFiles()) {
  test(`${basename(path)}: raw dump equals bpftool btf dump file`, { skip: noBpftool }, () => {
    assert.equal(dumpRaw(loadBtf(path)), bpftool(["btf", "dump", "file", path]));
  });
  test(`${basename(path)}: c dump equals bpftool btf dump file format c`, { skip: noBpftool }, () => {
    assert.equal(dumpC(loadBtf(path)), bpftool(["btf", "dump", "file", path, "format", "c"]));
  });
}

test("vmlinux: raw and c dumps equal bpftool's", { skip: noBpftool || (haveVmlinux ? false : `${VMLINUX} is missing`) }, (t) => {
  const btf = vmlinuxBtf();
  const c = dumpC(btf);
  const raw = dumpRaw(btf);
  const want = bpftool(["btf", "dump", "file", VMLINUX, "format", "c"]);
  if (c !== want) {
    const a = c.split("\n"), b = want.split("\n");
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`c dump differs first at line ${i + 1}: ours ${JSON.stringify(a[i])}, bpftool ${JSON.stringify(b[i])}`);
  }
  assert.ok(raw === bpftool(["btf", "dump", "file", VMLINUX]), "raw dump differs");
});

test("c: declarations in C's inside-out order, padding, packed, bitfields, anonymous members", () => {
  const btf = parseBtf(buildBtf([
    INT32, // 1
    { name: "char", kind: KIND.INT, sizeOrType: 1, extra: [(1 << 24) | 8] }, // 2
    { kind: KIND.PTR, sizeOrType: 4 }, // 3: int (*)(char *, ...)
    { kind: KIND.FUNC_PROTO, vlen: 2, sizeOrType: 1, extra: ["s", 5, "", 0] }, // 4
    { kind: KIND.PTR, sizeOrType: 2 }, // 5: char *
    { kind: KIND.ARRAY, sizeOrType: 0, extra: [3, 1, 4] }, // 6: fn ptr [4]
    { kind: KIND.CONST, sizeOrType: 2 }, // 7
    { kind: KIND.PTR, sizeOrType: 7 }, // 8: const char *
    { kind: KIND.CONST, sizeOrType: 8 }, // 9: const char * const
    { name: "inner", kind: KIND.UNION, vlen: 2, sizeOrType: 4, extra: ["i", 1, 0, "c", 2, 0] }, // 10
    { name: "outer", kind: KIND.STRUCT, vlen: 6, kflag: true, sizeOrType: 64, extra: [
      "c", 2, 0,
      "fns", 6, 64,
      "k", 9, 320,
      "b1", 1, (3 << 24) | 384,
      "b2", 1, (4 << 24) | 387,
      "", 11, 416,
    ] }, // 11 (the anonymous member refers to 12 below, fixed up as an anonymous union)
    { kind: KIND.UNION, vlen: 1, sizeOrType: 4, extra: ["x", 1, 0] }, // 12
    { name: "pk", kind: KIND.STRUCT, vlen: 2, sizeOrType: 5, extra: ["a", 2, 0, "b", 1, 8] }, // 13: packed
    { name: "outer_t", kind: KIND.TYPEDEF, sizeOrType: 11 }, // 14
  ].map((t, i) => (i === 10 ? { ...t, extra: t.extra!.map((w, k) => (k === 16 ? 12 : w)) } : t))));
  assert.equal(dumpCTypes(btf), `union inner {
	int i;
	char c;
};

struct outer {
	char c;
	int (*fns[4])(char *s, ...);
	const char * const k;
	int b1: 3;
	int b2: 4;
	union {
		int x;
	};
	long: 64;
};

struct pk {
	char a;
	int b;
} __attribute__((packed));

typedef struct outer outer_t;

`);
});

test("split BTF over vmlinux dumps as bpftool -B does, raw and c", { skip: noBpftool || (haveVmlinux ? false : `${VMLINUX} is missing`) }, () => {
  const base = vmlinuxBtf();
  const strLen = new DataView(base.raw.buffer, base.raw.byteOffset).getUint32(20, true);
  const n = base.types.length;
  const task = base.byName("task_struct", "struct")[0]!.id;
  const int = base.byName("int", "int")[0]!.id;
  const bytes = buildBtf([
    { kind: KIND.PTR, sizeOrType: task },
    { name: "mod_thing", kind: KIND.STRUCT, vlen: 2, sizeOrType: 16, extra: ["task", n, 0, "count", int, 64] },
    { name: "mod_thing_t", kind: KIND.TYPEDEF, sizeOrType: n + 1 },
  ], { splitStringBase: strLen });
  const split = parseBtf(bytes, { base });
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-btf-"));
  try {
    const file = join(dir, "split.btf");
    writeFileSync(file, bytes);
    assert.equal(dumpRaw(split), bpftool(["btf", "dump", "file", file, "-B", VMLINUX]));
    assert.ok(dumpC(split) === bpftool(["btf", "dump", "file", file, "-B", VMLINUX, "format", "c"]), "c dump differs");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
