/**
 * @fileoverview `tsbpf run --ctx-json` and `--arg`: a kprobe, a tracepoint, a raw
 * tracepoint and a tp_btf program read the arguments they are given; the raw tracepoint
 * gives the same in the kernel's test run, and the fixture's programs load in the kernel.
 */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { skip } from "../kernel/helpers.js";

const OBJ = new URL("../fixtures/trace-args.bpf.o", import.meta.url).pathname;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["run", OBJ, "--json", ...argv], io);
  assert.equal(code, 0, io.stderr);
  return JSON.parse(io.stdout) as { events: { retval: number }[]; context: string };
}

test("a kprobe reads its arguments from pt_regs (--arg 1=7 --arg 2=0x10)", async () => {
  const r = await run("--prog", "kp", "--arg", "1=7", "--arg", "2=0x10");
  assert.deepEqual(r.events, [{ retval: 7016 }]);
});

test("a tracepoint reads its record's fields by the names of its context struct", async () => {
  const r = await run("--prog", "tp", "--ctx-json", '[{"__syscall_nr": 5, "flags": 64}, {"__syscall_nr": 6}]');
  assert.deepEqual(r.events, [{ retval: 5064 }, { retval: 6000 }]);
  assert.match(r.context, /struct openat_args of the program's BTF/);
});

test("raw tracepoint and tp_btf programs read u64 arguments named by the target's prototype", { skip: existsSync("/sys/kernel/btf/vmlinux") ? false : "no vmlinux BTF to name sched_switch's arguments" }, async () => {
  assert.deepEqual((await run("--prog", "rawtp", "--ctx-json", '{"arg0": 3, "arg3": 9}')).events, [{ retval: 3009 }]);
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-programs-tpbtf-"));
  try {
    // preempt * 1000 + prev_state, from the argument slots of tp_btf/sched_switch.
    writeFileSync(join(dir, "tp.s"), "r0 = *(u64 *)(r1 + 0)\nr0 *= 1000\nr2 = *(u64 *)(r1 + 24)\nr0 += r2\nexit\n");
    const io = memoryIo();
    assert.equal(await main(["asm", join(dir, "tp.s"), "-o", join(dir, "tp.o"), "--section", "tp_btf/sched_switch"], io), 0, io.stderr);
    const out = memoryIo();
    assert.equal(await main(["run", join(dir, "tp.o"), "--json", "--ctx-json", '{"preempt": 1, "prev_state": 9}'], out), 0, out.stderr);
    const r = JSON.parse(out.stdout);
    assert.equal(r.type, "tracing");
    assert.deepEqual(r.events, [{ retval: 1009 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the raw tracepoint gives the same in the kernel, and every program loads there", { skip }, async () => {
  assert.deepEqual((await run("--prog", "rawtp", "--ctx-json", '{"arg0": 3, "arg3": 9}', "--engine", "kernel")).events, [{ retval: 3009 }]);
  const spec = loadObjectSpec(new Uint8Array(readFileSync(OBJ)), { name: "trace-args.bpf.o" });
  const object = await loadObject(spec, { engine: "kernel" });
  try {
    assert.deepEqual([...object.programs.keys()].sort(), ["kp", "rawtp", "tp"]);
  } finally {
    object.close();
  }
});

/** Assembles `source` into an object with one program in `section`. */
async function objectOf(dir: string, section: string, source: string): Promise<string> {
  writeFileSync(join(dir, "p.s"), source);
  const io = memoryIo();
  assert.equal(await main(["asm", join(dir, "p.s"), "-o", join(dir, "p.o"), "--section", section], io), 0, io.stderr);
  return join(dir, "p.o");
}

test("socket hooks on made-up contexts: a connect4 program refuses a port, sk_lookup agrees with the kernel", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-programs-sock-"));
  try {
    // user_port (offset 24) is in network order: 0x5000 is port 80.
    const connect = await objectOf(dir, "cgroup/connect4", "r2 = *(u32 *)(r1 + 24)\nif r2 == 0x5000 goto deny\nr0 = 1\nexit\ndeny:\nr0 = 0\nexit\n");
    const io = memoryIo();
    assert.equal(await main(["run", connect, "--json", "--ctx-json", '[{"user_port": "0x5000"}, {"user_port": 22}]'], io), 0, io.stderr);
    assert.deepEqual(JSON.parse(io.stdout).events, [{ retval: 0 }, { retval: 1 }]);
    // local_port (offset 60) is in host order.
    const lookup = await objectOf(dir, "sk_lookup", "r2 = *(u32 *)(r1 + 60)\nif r2 == 80 goto pass\nr0 = 0\nexit\npass:\nr0 = 1\nexit\n");
    const events = '[{"family": 2, "protocol": 6, "local_port": 80}, {"family": 2, "protocol": 6, "local_port": 81}]';
    for (const engine of skip ? ["interp"] : ["interp", "kernel"]) {
      const out = memoryIo();
      assert.equal(await main(["run", lookup, "--json", "--engine", engine, "--ctx-json", events], out), 0, out.stderr);
      assert.deepEqual(JSON.parse(out.stdout).events, [{ retval: 1 }, { retval: 0 }], engine);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("execsnoop on made-up events: strings land in the task's memory and the ring buffer's records come out through BTF", async () => {
  const io = memoryIo();
  const example = new URL("../../examples/execsnoop.bpf.o", import.meta.url).pathname;
  const events = new URL("../../examples/execsnoop.events.json", import.meta.url).pathname;
  assert.equal(await main(["run", example, "--ctx-json", events, "--json"], io), 0, io.stderr);
  const r = JSON.parse(io.stdout) as { records: Record<string, { pid: number; comm: string; filename: string }[]>; maps: Record<string, unknown> };
  assert.deepEqual(r.records.events!.map((e) => e.filename), ["/usr/bin/ls", "/bin/sh", "/usr/local/bin/node"]);
  assert.equal(r.records.events![0]!.comm, "tsbpf");
  assert.equal(r.maps.events, undefined, "a ring buffer has records, not elements");
  const text = memoryIo();
  assert.equal(await main(["run", example, "--ctx-json", '{"filename": "/sbin/init"}'], text), 0, text.stderr);
  assert.match(text.stdout, /^events: 1 record \(struct event\)\n {2}\{"pid":4242,"uid":0,"comm":"tsbpf","filename":"\/sbin\/init"\}$/m);
  // A string for a field that is no pointer is still refused.
  const bad = memoryIo();
  assert.notEqual(await main(["run", example, "--ctx-json", '{"__syscall_nr": "x"}'], bad), 0);
  assert.match(bad.stderr, /__syscall_nr: "x" is not an integer/);
});
