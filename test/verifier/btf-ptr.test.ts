/**
 * @fileoverview BTF-typed kernel pointers against the host's BTF: tp_btf arguments typed from
 * btf_trace_<name>, loads walking the kernel's structs, iterator objects maybe NULL.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { kernelBtf } from "../../src/object/host.js";
import { structLoad, tracepointArgs } from "../../src/verifier/btf-ptr.js";
import { verifyProgram } from "../../src/verifier/index.js";

const vmlinux = kernelBtf();
const skip = vmlinux ? false : "no /sys/kernel/btf/vmlinux here";
const off = (struct: string, member: string): number => {
  const s = vmlinux!.byName(struct, "struct")[0]!;
  if (s.kind !== "struct") throw new Error(struct);
  return s.members.find((m) => m.name === member)!.bitOffset / 8;
};

function verify(asm: string, attachType: string, attachTo: string) {
  return verifyProgram({ instructions: [...assemble(asm).instructions], license: "GPL", attachTo }, { type: "tracing", attachType, kernelBtf: vmlinux! });
}

test("sched_switch's arguments: a bool, then two task_struct pointers", { skip }, () => {
  const args = tracepointArgs(vmlinux!, "sched_switch")!;
  assert.equal(args[0], undefined);
  assert.deepEqual(args[1], { struct: "task_struct", nullable: false });
  assert.deepEqual(args[2], { struct: "task_struct", nullable: false });
});

test("a pointer member read whole is a BTF pointer, a part of it or a scalar member a scalar", { skip }, () => {
  const parent = off("task_struct", "real_parent");
  assert.deepEqual(structLoad(vmlinux!, "task_struct", parent, 8), { kind: "ptr", struct: "task_struct", field: "real_parent" });
  assert.deepEqual(structLoad(vmlinux!, "task_struct", parent, 4), { kind: "scalar" });
  assert.deepEqual(structLoad(vmlinux!, "task_struct", off("task_struct", "pid"), 4), { kind: "scalar" });
  assert.equal(structLoad(vmlinux!, "task_struct", 1 << 20, 4).kind, "bad");
});

test("tp_btf: an argument's pointer chain is read directly; the scalar argument is not a pointer", { skip }, () => {
  const chain = `r1 = *(u64 *)(r1 + 8)\nr1 = *(u64 *)(r1 + ${off("task_struct", "real_parent")})\nr0 = *(u32 *)(r1 + ${off("task_struct", "tgid")})\nr0 = 0\nexit`;
  const ok = verify(chain, "trace_raw_tp", "sched_switch");
  assert.ok(ok.accepted, ok.error?.message);
  const bad = verify(`r1 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit`, "trace_raw_tp", "sched_switch");
  assert.match(bad.error?.message ?? "accepted", /R1 invalid mem access 'scalar'/);
  const write = verify(`r1 = *(u64 *)(r1 + 8)\nr2 = 0\n*(u32 *)(r1 + ${off("task_struct", "pid")}) = r2\nr0 = 0\nexit`, "trace_raw_tp", "sched_switch");
  assert.ok(!write.accepted, "a store through a BTF pointer is refused");
});

test("iter/task: the task is NULL at the end of the walk and must be checked", { skip }, () => {
  const pid = off("task_struct", "pid");
  const unchecked = verify(`r1 = *(u64 *)(r1 + 8)\nr0 = *(u32 *)(r1 + ${pid})\nr0 = 0\nexit`, "trace_iter", "task");
  assert.match(unchecked.error?.message ?? "accepted", /R1 invalid mem access 'trusted_ptr_or_null_'/);
  const checked = verify(`r1 = *(u64 *)(r1 + 8)\nif r1 == 0 goto +1\nr0 = *(u32 *)(r1 + ${pid})\nr0 = 0\nexit`, "trace_iter", "task");
  assert.ok(checked.accepted, checked.error?.message);
});
