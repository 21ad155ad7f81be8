/**
 * @fileoverview `tsbpf btf dump` (src/cli/btf.ts): both formats, objects and raw BTF files,
 * usage errors.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { btfCommand } from "../../src/cli/btf.js";
import { memoryIo } from "../../src/cli/io.js";
import { FIXTURES, VMLINUX, bpftool, haveBpftool, haveVmlinux } from "./helpers.js";

const noBpftool = haveBpftool ? false : "bpftool is not on PATH";

test("btf dump FILE.o prints what bpftool btf dump file prints, raw by default", { skip: noBpftool }, async () => {
  const file = join(FIXTURES, "global-data.bpf.o");
  for (const [args, want] of [
    [["dump", file], ["btf", "dump", "file", file]],
    [["dump", file, "--format", "raw"], ["btf", "dump", "file", file]],
    [["dump", file, "--format", "c"], ["btf", "dump", "file", file, "format", "c"]],
  ] as const) {
    const io = memoryIo();
    assert.equal(await btfCommand([...args], io), 0);
    assert.equal(io.stdout, bpftool([...want]));
  }
});

test("btf dump reads raw BTF files such as vmlinux", { skip: noBpftool || (haveVmlinux ? false : `${VMLINUX} is missing`) }, async () => {
  const io = memoryIo();
  assert.equal(await btfCommand(["dump", VMLINUX, "--format", "c"], io), 0);
  assert.ok(io.stdout.startsWith("#ifndef __VMLINUX_H__\n"));
  assert.match(io.stdout, /\nstruct task_struct \{\n/);
});

test("btf: usage and bad arguments", async () => {
  const io = memoryIo();
  assert.equal(await btfCommand([], io), 2);
  assert.match(io.stderr, /usage: tsbpf btf dump FILE/);
  await assert.rejects(btfCommand(["dump", join(FIXTURES, "alu.bpf.o"), "--format", "json"], memoryIo()), /unknown format json \(c or raw\)/);
  await assert.rejects(btfCommand(["dump", join(FIXTURES, "alu.bpf.c")], memoryIo()), /btf: bad magic/);
});
