/**
 * @fileoverview Tracing attach on the real kernel: a raw tracepoint and a tracepoint on
 * sched_process_exec see a child's exec through a ring buffer (pid, comm); a uprobe and
 * a uretprobe on a libc function count a child's calls exactly; a perf buffer burst
 * arrives whole or with its losses counted exactly; a ring buffer under a second of
 * load delivers what the program submitted minus what it discarded, none twice.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { loadObject, loadObjectSpec, type BpfObject } from "../../src/object/index.js";
import {
  attachAll, attachRawTracepoint, attachTracepoint, attachUprobe, KernelPerfReader, KernelRingBufReader, linkIds, resolveBinary,
  type KernelMap, type KernelProgram,
} from "../../src/kernel/index.js";
import { openFds, readU32, readU64, skip as noKernel, u32, u64 } from "./helpers.js";

const skip = noKernel || (process.getuid?.() !== 0 ? "needs root" : false);

let obj: BpfObject<KernelProgram, KernelMap> | undefined;
let spec: ReturnType<typeof loadObjectSpec>;
const stats = () => obj!.maps.get("stats")!;
const stat = (slot: number): bigint => readU64(stats().get(u32(slot))!);
const setStat = (slot: number, v: number | bigint) => stats().set(u32(slot), u64(v));
const prog = (name: string) => obj!.programs.get(name)!;
const TARGET_PID = 0, UPROBE_HITS = 1, URETPROBE_HITS = 2, STRESS_SUBMITTED = 3, STRESS_DROPPED = 4, BURST_SIZE = 5, BURST_SENT = 6, AUTO_HITS = 7;

/** The fd count settles once epoll waits that were in flight at close() have returned. */
async function settledFds(expected: number): Promise<number> {
  for (let i = 0; i < 30 && openFds() !== expected; i++) await new Promise((r) => setTimeout(r, 20));
  return openFds();
}

before(async () => {
  if (skip) return;
  spec = loadObjectSpec(new Uint8Array(readFileSync(new URL("./fixtures/attach-trace.bpf.o", import.meta.url))), { name: "attach-trace" });
  obj = await loadObject(spec, { engine: "kernel" });
});

after(() => obj?.close());

interface ExecEvent { pid: number; source: number; comm: string }
const execEvent = (r: Uint8Array): ExecEvent => ({ pid: readU32(r, 0), source: readU32(r, 4), comm: new TextDecoder().decode(r.subarray(8, 24)).replace(/\0.*$/s, "") });

test("raw_tp and tracepoint sched_process_exec report a child's exec through the ring buffer", { skip }, async () => {
  const fds = openFds();
  const raw = attachRawTracepoint(prog("raw_exec"), "sched_process_exec");
  const tp = attachTracepoint(prog("tp_exec"), "sched", "sched_process_exec");
  const seen: ExecEvent[] = [];
  const reader = new KernelRingBufReader(obj!.maps.get("execs")!, (r) => seen.push(execEvent(r)));
  try {
    assert.equal(raw.info().tpName, "sched_process_exec");
    assert.equal(tp.info().perfEventType, "tracepoint");
    assert.equal(tp.info().tpName, "sched_process_exec");
    const child = spawnSync("/bin/true");
    assert.equal(child.status, 0);
    // The callback, woken by epoll: both records of the child, within a second.
    for (let i = 0; i < 10 && seen.filter((e) => e.pid === child.pid).length < 2; i++) await reader.wait(100);
    const mine = seen.filter((e) => e.pid === child.pid);
    assert.deepEqual(mine.map((e) => e.source).sort(), [1, 2]);
    for (const e of mine) assert.equal(e.comm, "true");
  } finally {
    reader.close();
    tp.close();
    raw.close();
  }
  // Detached: another exec is not reported.
  const reader2 = new KernelRingBufReader(obj!.maps.get("execs")!);
  const child = spawnSync("/bin/true");
  assert.equal(reader2.read().filter((r) => execEvent(r).pid === child.pid).length, 0);
  reader2.close();
  assert.equal(await settledFds(fds), fds);
});

test("the ring buffer's async iterator yields records as they come", { skip }, async () => {
  const fds = openFds();
  const all = attachAll(obj!.programs, spec.programs, { skip: ["tp_exec", "stress_submit", "count_calls_auto"] });
  const reader = new KernelRingBufReader(obj!.maps.get("execs")!);
  try {
    assert.deepEqual([...all.links.keys()], ["raw_exec"]);
    assert.match(all.skipped.find((s) => s.program === "count_calls")!.reason, /BINARY:FUNCTION/);
    const child = spawn("/bin/true");
    for await (const r of reader) {
      const e = execEvent(r);
      if (e.pid === child.pid) {
        assert.equal(e.comm, "true");
        break;
      }
    }
    await new Promise((res) => child.once("exit", res));
  } finally {
    reader.close();
    all.close();
  }
  assert.equal(await settledFds(fds), fds);
});

test("a uprobe and a uretprobe on libc's abs() count a child's calls exactly", { skip }, async () => {
  const fds = openFds();
  const libc = resolveBinary("libc.so.6");
  const calls = 250;
  setStat(UPROBE_HITS, 0);
  setStat(URETPROBE_HITS, 0);
  setStat(AUTO_HITS, 0);
  // A Node child calls abs() through koffi when told to, so the probes are in place first.
  const code = `const k=require("koffi");const abs=k.load(${JSON.stringify(libc)}).func("int abs(int)");` +
    `process.stdin.once("data",()=>{let s=0;for(let i=0;i<${calls};i++)s+=abs(-i);console.log(s);process.exit(0)})`;
  const child = spawn(process.execPath, ["-e", code], { cwd: new URL("../..", import.meta.url).pathname, stdio: ["pipe", "pipe", "inherit"] });
  const entry = attachUprobe(prog("count_calls"), libc, { symbol: "abs" });
  const exit = attachUprobe(prog("count_returns"), libc, { symbol: "abs", retprobe: true, pid: child.pid! });
  // The section uprobe/libc.so.6:abs says where; attachAll finds libc as the loader would.
  const auto = attachAll(new Map([["count_calls_auto", prog("count_calls_auto")]]), spec.programs);
  try {
    setStat(TARGET_PID, child.pid!);
    const info = entry.info();
    assert.equal(info.perfEventType, "uprobe");
    assert.equal(exit.info().perfEventType, "uretprobe");
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    const done = new Promise((res) => child.once("exit", res));
    child.stdin!.write("go\n");
    await done;
    assert.equal(out.trim(), String((calls * (calls - 1)) / 2));
    assert.equal(stat(UPROBE_HITS), BigInt(calls));
    assert.equal(stat(URETPROBE_HITS), BigInt(calls));
    assert.equal(stat(AUTO_HITS), BigInt(calls));
    assert.match(auto.links.get("count_calls_auto")!.description, /^uprobe .*libc\.so\.6:abs$/);
  } finally {
    auto.close();
    exit.close();
    entry.close();
    setStat(TARGET_PID, 0);
  }
  assert.equal(openFds(), fds);
});

test("a perf buffer delivers a whole burst, and a burst too big for it with every loss counted", { skip }, async () => {
  const fds = openFds();
  const run = (size: number, pages: number) => {
    const reader = new KernelPerfReader(obj!.maps.get("burst")!, { pages });
    try {
      setStat(BURST_SIZE, size);
      setStat(BURST_SENT, 0);
      prog("burst_out").testRun({ data: new Uint8Array(64) });
      const samples = reader.read();
      const ids = samples.map((s) => Number(readU64(s.data, 0)));
      // The kernel writes its PERF_RECORD_LOST when room comes back: one more record brings it.
      setStat(BURST_SIZE, 1);
      prog("burst_out").testRun({ data: new Uint8Array(64) });
      const tail = reader.read();
      assert.equal(tail.length, 1);
      return { sent: Number(stat(BURST_SENT)) - 1, got: samples.length, lost: reader.lost, ids };
    } finally {
      reader.close();
    }
  };
  const small = run(100, 8);
  assert.equal(small.sent, 100);
  assert.deepEqual(small.ids, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(small.lost, 0);
  // One page holds about a hundred 48-byte records: the rest are lost, and counted.
  const big = run(512, 1);
  assert.equal(big.sent, 512);
  assert.ok(big.lost > 0, "the burst overflowed one page");
  assert.equal(big.got + big.lost, 512);
  assert.deepEqual(big.ids, Array.from({ length: big.got }, (_, i) => i));
  assert.equal(openFds(), fds);
});

test("ring buffer stress: a second of submits, consumed exactly, discards skipped, drops reported", { skip }, async () => {
  const fds = openFds();
  setStat(STRESS_SUBMITTED, 0);
  setStat(STRESS_DROPPED, 0);
  const link = attachRawTracepoint(prog("stress_submit"), "sys_enter");
  const seqs: number[] = [];
  const reader = new KernelRingBufReader(obj!.maps.get("stress")!, (r) => seqs.push(Number(readU64(r, 0))), 20);
  const ac = new AbortController();
  try {
    // dd makes two syscalls per byte copied: a steady stream of events from one process.
    const child = spawn("dd", ["if=/dev/zero", "of=/dev/null", "bs=1"], { stdio: "ignore" });
    setStat(TARGET_PID, child.pid!);
    const consumer = reader.run(ac.signal);
    await new Promise((res) => setTimeout(res, 1000));
    child.kill("SIGKILL");
    await new Promise((res) => child.once("exit", res));
    setStat(TARGET_PID, 0);
    ac.abort();
    await consumer;
    reader.poll();
    const submitted = Number(stat(STRESS_SUBMITTED)), dropped = Number(stat(STRESS_DROPPED));
    // Records 2, 5, 8... were discarded by the program itself.
    const expected = Array.from({ length: submitted }, (_, i) => i).filter((i) => i % 3 !== 2);
    const discarded = submitted - expected.length;
    assert.ok(submitted > 1000, `only ${submitted} records in a second`);
    assert.equal(seqs.length, expected.length, `submitted ${submitted}, dropped ${dropped}, discarded ${discarded}`);
    assert.deepEqual(seqs, expected);
    assert.equal(reader.available, 0);
    console.log(`# ring buffer stress: ${submitted + dropped} reserves, ${submitted} reserved, ${seqs.length} consumed, ${dropped} dropped for lack of room`);
  } finally {
    ac.abort();
    reader.close();
    link.close();
  }
  assert.equal(await settledFds(fds), fds);
});

test("a link dropped without close() is detached when garbage collected", { skip }, async () => {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const fds = openFds();
  let id = 0;
  (() => {
    const link = attachRawTracepoint(prog("raw_exec"), "sched_process_exec");
    id = link.info().id;
  })();
  assert.ok([...linkIds()].includes(id));
  for (let i = 0; i < 20 && [...linkIds()].includes(id); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal([...linkIds()].includes(id), false, "the link outlived its last reference");
  assert.equal(openFds(), fds);
});

test("tp_btf sched_process_exec, loaded against the kernel's BTF, counts one exec of a child by its old_pid", { skip }, async () => {
  const { parseBtf } = await import("../../src/btf/index.js");
  const fds = openFds();
  const btfSpec = loadObjectSpec(new Uint8Array(readFileSync(new URL("./fixtures/attach-btf.bpf.o", import.meta.url))), { name: "attach-btf" });
  const btfObj = await loadObject(btfSpec, { engine: "kernel", targetBtf: parseBtf(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"))), pinRoot: false });
  try {
    const all = attachAll(btfObj.programs, btfSpec.programs);
    try {
      const link = all.links.get("btf_exec") as import("../../src/kernel/index.js").KernelLink;
      // The kernel makes a BTF tracepoint's link a raw_tracepoint link, named by its target.
      assert.equal(link.info().typeName, "raw_tracepoint");
      assert.equal(link.info().tpName, "sched_process_exec");
      const seen = btfObj.maps.get("seen")!;
      // The child waits for a line, then execs: only that exec is its own after the pid is set.
      const child = spawn("/bin/sh", ["-c", "read x; exec /bin/true"], { stdio: ["pipe", "ignore", "ignore"] });
      await new Promise((res) => setTimeout(res, 100));
      seen.set(u32(0), u64(child.pid!));
      const done = new Promise((res) => child.once("exit", res));
      child.stdin!.end("go\n");
      await done;
      assert.equal(readU64(seen.get(u32(1))!), 1n);
    } finally {
      all.close();
    }
  } finally {
    btfObj.close();
  }
  assert.equal(openFds(), fds);
});
