/**
 * @fileoverview A tracing program compiled from C (test/fixtures/task-walk.bpf.c) walks the
 * current task_struct with CO-RE reads and sums with bpf_loop: in the kernel (a raw_tp test
 * run, so the current task is this process) and in the runtime with this process as its
 * host, its task_struct laid out through vmlinux BTF; both must return the same value.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/index.js";
import { setHost, writeTaskStruct } from "../../src/helpers/host.js";
import { KernelStruct } from "../../src/helpers/kernel-memory.js";
import { installHelpers } from "../../src/helpers/table.js";
import { bpf, nodeHost } from "../../src/kernel/index.js";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { skip } from "../kernel/helpers.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const fixture = new URL("../fixtures/task-walk.bpf.o", import.meta.url);

/** The parent's pid and comm, from /proc. */
function parent(): { ppid: number; comm: string } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return { ppid, comm: readFileSync(`/proc/${ppid}/comm`, "utf8").trim() };
}

/** What the program computes from the values it reads. */
function expected(ppid: number, tgid: number, comm: string): number {
  let hash = 0;
  for (const c of comm.slice(0, 15)) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) >>> 0;
  // bpf_loop stops after index 9 (the callback returns 1): 10 calls, sum 45.
  return (Math.imul(ppid, 7919) ^ Math.imul(tgid, 104729) ^ hash ^ (45 << 8) ^ 10) >>> 0;
}

test("a CO-RE task_struct walk with bpf_loop returns the same in the kernel and the runtime", { skip: skip || (!existsSync(VMLINUX) && "no vmlinux BTF") }, async () => {
  const vmlinux = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const spec = loadObjectSpec(new Uint8Array(readFileSync(fixture)), { name: "task-walk.bpf.o", targetBtf: vmlinux });
  const prog = spec.programs.find((p) => p.name === "walk_task")!;

  const kobj = await loadObject(spec, { engine: "kernel", targetBtf: vmlinux });
  let kernel: number;
  try {
    // A raw_tp test run takes a context in and nothing else (no ctx_out, no repeat).
    kernel = bpf.progTestRun({ progFd: kobj.programs.get("walk_task")!.fd, ctxIn: new Uint8Array(8), ctxSizeOut: 0 }).retval;
  } finally {
    kobj.close();
  }

  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const host = setHost(rt.space, nodeHost());
  const task = writeTaskStruct(host, vmlinux);
  const p = parent();
  task.set("real_parent", KernelStruct.create(host.kernel, vmlinux, "task_struct").set("tgid", p.ppid).set("comm", p.comm.slice(0, 15)));
  const runtime = Number(rt.load(prog.instructions).runRaw().r0 & 0xffffffffn);

  assert.equal(kernel, expected(p.ppid, process.pid, host.task.comm), "the kernel reads this process");
  assert.equal(runtime, kernel);
});
