/**
 * @fileoverview Tracing contexts from names: tracepoint format files, BTF structs and
 * prototypes, kprobe registers, and the bytes a context gets from field values.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/parse.js";
import { argsShape, attachArgsOf, encodeContext, KPROBE_SHAPE, parseTracepointFormat, parseArgPairs, syscallTracepointShape, tracedArgs } from "../../src/programs/trace-context.js";
import { verifierOpsFor } from "../../src/programs/table.js";

const FORMAT = `name: sys_enter_openat
ID: 640
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:char comm[16];	offset:32;	size:16;	signed:0;

print fmt: "dfd: 0x%08lx", ((unsigned long)(REC->dfd))
`;

test("a tracepoint format file gives the record's fields, and values land at their offsets", () => {
  const shape = parseTracepointFormat(FORMAT, "syscalls/sys_enter_openat");
  assert.deepEqual(shape.fields.map((f) => [f.name, f.off, f.size, f.count, f.kind]), [
    ["common_type", 0, 2, 1, "int"], ["common_flags", 2, 1, 1, "int"], ["common_preempt_count", 3, 1, 1, "int"],
    ["common_pid", 4, 4, 1, "int"], ["__syscall_nr", 8, 4, 1, "int"], ["dfd", 16, 8, 1, "int"],
    ["filename", 24, 8, 1, "ptr"], ["comm", 32, 1, 16, "chars"],
  ]);
  const b = encodeContext(shape, { common_pid: 42, dfd: "-100", filename: "0x7ffd1000", comm: "cat" });
  const v = new DataView(b.buffer);
  assert.equal(v.getInt32(4, true), 42);
  assert.equal(v.getBigInt64(16, true), -100n);
  assert.equal(v.getBigUint64(24, true), 0x7ffd1000n);
  assert.equal(new TextDecoder().decode(b.subarray(32, 35)), "cat");
  assert.throws(() => encodeContext(shape, { nope: 1 }), /has no field nope \(fields: common_type/);
  assert.throws(() => encodeContext(shape, { common_flags: 256 }), /does not fit in 1 bytes/);
  assert.throws(() => encodeContext(shape, { comm: "x".repeat(17) }), /longer than 16 bytes/);
});

test("kprobe arguments 1 to 6 are di, si, dx, cx, r8 and r9 of pt_regs; ret is ax", () => {
  const b = encodeContext(KPROBE_SHAPE, parseArgPairs(["1=0x10", "2=3", "6=-1", "ret=5"]));
  const v = new DataView(b.buffer);
  assert.equal(b.length, 168);
  assert.equal(v.getBigUint64(14 * 8, true), 0x10n); // di
  assert.equal(v.getBigUint64(13 * 8, true), 3n); // si
  assert.equal(v.getBigInt64(8 * 8, true), -1n); // r9
  assert.equal(v.getBigUint64(10 * 8, true), 5n); // ax
  assert.throws(() => parseArgPairs(["7"]), /expected NAME=VALUE/);
});

const VMLINUX = "/sys/kernel/btf/vmlinux";
test("BTF-typed arguments: sched_switch's from __bpf_trace_sched_switch, do_unlinkat's from its prototype", { skip: existsSync(VMLINUX) ? false : "no vmlinux BTF here" }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const tp = tracedArgs(btf, "sched_switch", "tracepoint");
  assert.deepEqual(tp.map((a) => a.name), ["preempt", "prev", "next", "prev_state"]);
  assert.deepEqual(attachArgsOf(tp)[1], { type: "btf_id", btfType: "task_struct" });
  const shape = argsShape(tp);
  assert.equal(shape.fields.find((f) => f.name === "prev_state")!.off, 24);
  assert.equal(shape.fields.find((f) => f.name === "arg3")!.off, 24);
  const fn = tracedArgs(btf, "do_unlinkat", "function");
  assert.deepEqual(fn.map((a) => a.name), ["dfd", "name"]);
  // The verifier's view: the pointer argument of a tp_btf program loads as a task_struct pointer.
  const ops = verifierOpsFor("tracing");
  assert.deepEqual(ops.isValidAccess({ off: 8, size: 8, write: false, attachArgs: attachArgsOf(tp) }), { ok: true, type: "btf_id", btfType: "task_struct" });
  assert.equal(ops.isValidAccess({ off: 32, size: 8, write: false, attachArgs: attachArgsOf(tp) }).ok, false);
});

test("a syscall tracepoint without its format file: __syscall_nr, then six argument slots or ret", () => {
  const enter = syscallTracepointShape("sys_enter_execve")!;
  const b = encodeContext(enter, { __syscall_nr: 59, arg0: "0x7ffd0000", args: [1, 2] });
  const v = new DataView(b.buffer);
  assert.equal(v.getInt32(8, true), 59);
  assert.equal(v.getBigUint64(16, true), 1n, "args[0], given after arg0, wins");
  assert.equal(v.getBigUint64(24, true), 2n);
  assert.equal(syscallTracepointShape("sys_exit_read")!.fields.find((f) => f.name === "ret")!.off, 16);
  assert.equal(syscallTracepointShape("sched_switch"), undefined);
});
