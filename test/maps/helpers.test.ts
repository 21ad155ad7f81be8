/**
 * @fileoverview The map helpers that have no kernel test run to compare with, against
 * their documented semantics (bpf-helpers(7)), and bpf_map_lookup_percpu_elem against the
 * kernel: perf_event_output to a reader's per-CPU buffers, get_stackid, task storage,
 * current_task_under_cgroup, spin locks.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram } from "../../src/kernel/index.js";
import {
  createMap, PerfReader, setCgroups, setCpus, setStackModel, type BpfMap, type PerfEventArrayMap, type StackTraceMap,
} from "../../src/maps/index.js";
import { hex, kernelLikeRuntime, pinToCpu0, runtimeOf, skip, twin, u32, u64 } from "./diff.js";

/** Loads `source` (its `map[m]` is `map`) as XDP into the map's runtime; runs it on `pkt`. */
function run(map: BpfMap, source: string, pkt = new Uint8Array(64)): number {
  const p = runtimeOf(map.space).load(assemble(source).instructions, { type: "xdp", resolveLoad: (i) => (i.src === 1 ? map.handle : undefined) });
  return p.testRun({ data: pkt }).retval | 0;
}

test("bpf_map_lookup_percpu_elem reads another CPU's slot, as the kernel's", { skip }, () => {
  pinToCpu0();
  for (const type of ["percpu_array", "percpu_hash", "lru_percpu_hash"]) {
    const t = twin({ type, keySize: 4, valueSize: 8, maxEntries: 4, name: "maps_pcpu" });
    try {
      const cpus = t.user.cpus;
      const all = new Uint8Array(8 * cpus);
      for (let c = 0; c < cpus; c++) all.set(u64(100 + c), 8 * c);
      t.kernel.set(u32(1), all);
      t.user.set(u32(1), all);
      const source = (cpu: number, key: number) => `
        *(u32 *)(r10 - 4) = ${key}
        r1 = map[m] ll
        r2 = r10
        r2 += -4
        r3 = ${cpu}
        call 195
        if r0 == 0 goto none
        r0 = *(u32 *)(r0 + 0)
        exit
      none:
        r0 = -1
        exit`;
      for (const [cpu, key] of [[0, 1], [cpus - 1, 1], [cpus, 1], [0, 2], [5000, 1]] as const) {
        const insns = assemble(source(cpu, key)).instructions;
        const kp = KernelProgram.load({ type: "xdp", name: "maps_pcpu", instructions: insns.map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: t.kernel.fd, imm64: BigInt(t.kernel.fd) } : i)) });
        const want = kp.testRun({ data: new Uint8Array(64) }).retval | 0;
        kp.close();
        assert.equal(run(t.user, source(cpu, key)), want, `${type} cpu ${cpu} key ${key}`);
      }
    } finally {
      t.close();
    }
  }
});

test("bpf_perf_event_output writes to the current CPU's buffer: ENOENT without a reader, E2BIG past the array, EOPNOTSUPP for another CPU", () => {
  const rt = kernelLikeRuntime();
  setCpus(rt.space, { cpus: 2, current: 0 });
  const map = createMap(rt.space, { type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 2 }) as PerfEventArrayMap;
  const out = (flags: string) => run(map, `
    *(u64 *)(r10 - 8) = 0x11223344
    r2 = map[m] ll
    r3 = ${flags} ll
    r4 = r10
    r4 += -8
    r5 = 8
    call 25
    exit`);
  assert.equal(out("0xffffffff"), -2, "no reader yet: ENOENT");
  const reader = new PerfReader(map);
  assert.equal(out("0xffffffff"), 0);
  assert.equal(out("0"), 0);
  assert.equal(out("1"), -95, "CPU 1's buffer from CPU 0: EOPNOTSUPP");
  assert.equal(out("2"), -7, "past the array: E2BIG");
  assert.equal(out("0x400000000"), 0, "4 packet bytes appended (BPF_F_CTXLEN_MASK)");
  assert.equal(out("0x4000000000"), 0, "the whole 64-byte packet");
  assert.equal(out("0x4100000000"), -14, "past the packet: EFAULT");
  const samples = reader.read();
  assert.deepEqual(samples.map((x) => `${x.cpu}:${hex(x.data)}`), [
    // Raw samples are padded as the kernel pads them: the u32 size and the data fill whole u64s.
    "0:443322110000000000000000", "0:443322110000000000000000", "0:443322110000000000000000", `0:4433221100000000${"00".repeat(68)}`,
  ]);
  reader.close();
});

test("bpf_get_stackid: one id per distinct stack, EEXIST on a taken bucket unless BPF_F_REUSE_STACKID, EFAULT without a stack", () => {
  const rt = kernelLikeRuntime();
  const map = createMap(rt.space, { type: "stack_trace", keySize: 4, valueSize: 8 * 4, maxEntries: 1 }) as StackTraceMap;
  const stackid = (flags: number) => run(map, `
    r2 = map[m] ll
    r3 = ${flags}
    call 27
    exit`);
  assert.equal(stackid(0), -14);
  setStackModel(rt.space, { kernel: [0xffffffff81000010n, 0xffffffff81000020n] });
  const id = stackid(0);
  assert.equal(id, 0, "one bucket");
  assert.equal(stackid(0), id, "the same stack, the same id");
  assert.equal(hex(map.get(u32(id))), `10000081ffffffff20000081ffffffff${"00".repeat(16)}`);
  setStackModel(rt.space, { kernel: [0xffffffff81000030n] });
  assert.equal(stackid(0), -17, "another stack in the only bucket: EEXIST");
  assert.equal(stackid(1 << 10), id, "BPF_F_REUSE_STACKID replaces it");
  assert.equal(stackid(1), -14, "skipping the only frame leaves none");
});

test("task storage: get with F_CREATE makes the value from the initial one, delete removes it; userspace sees it by owner", () => {
  const rt = kernelLikeRuntime();
  const map = createMap(rt.space, { type: "task_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 });
  const get = (flags: number, owner = "0x10000") => run(map, `
    *(u64 *)(r10 - 8) = 42
    r1 = map[m] ll
    r2 = ${owner}
    r3 = r10
    r3 += -8
    r4 = ${flags}
    call 156
    if r0 == 0 goto none
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    r0 = r1
    exit
  none:
    r0 = -1
    exit`);
  assert.equal(get(0), -1, "no storage yet, no F_CREATE");
  assert.equal(get(1), 43, "made from the initial value");
  assert.equal(get(0), 44, "then found");
  assert.equal(get(1, "0"), -1, "a NULL owner");
  assert.equal(hex(map.get(u32(0x10000))), hex(u64(44)));
  assert.equal(run(map, "r1 = map[m] ll\nr2 = 0x10000\ncall 157\nexit"), 0);
  assert.equal(run(map, "r1 = map[m] ll\nr2 = 0x10000\ncall 157\nexit"), -2);
  assert.equal(map.get(u32(0x10000)), undefined);
});

test("bpf_current_task_under_cgroup answers from the runtime's cgroup path: 1 under, 0 not, -EAGAIN empty slot, -E2BIG past the end", () => {
  const rt = kernelLikeRuntime();
  const map = createMap(rt.space, { type: "cgroup_array", keySize: 4, valueSize: 4, maxEntries: 3 });
  setCgroups(rt.space, [1, 100, 200]);
  map.set(u32(0), u32(100));
  map.set(u32(1), u32(300));
  const under = (i: number) => run(map, `r1 = map[m] ll\nr2 = ${i}\ncall 37\nexit`);
  assert.deepEqual([0, 1, 2, 3].map(under), [1, 0, -11, -7]);
});

test("bpf_spin_lock and bpf_spin_unlock mark the lock word held and free", () => {
  const rt = kernelLikeRuntime();
  const map = createMap(rt.space, { type: "array", keySize: 4, valueSize: 16, maxEntries: 1, spinLockOffset: 0 });
  const held = run(map, `
    *(u32 *)(r10 - 4) = 0
    r1 = map[m] ll
    r2 = r10
    r2 += -4
    call 1
    if r0 == 0 goto out
    r6 = r0
    r1 = r0
    call 93
    r7 = *(u32 *)(r6 + 0)
    r1 = r6
    call 94
    r0 = *(u32 *)(r6 + 0)
    r0 <<= 4
    r0 |= r7
    exit
  out:
    exit`);
  assert.equal(held, 1, "held inside, free after");
  map.set(u32(0), new Uint8Array(16), 4); // BPF_F_LOCK: allowed, the value has a lock
  assert.throws(() => createMap(rt.space, { type: "array", keySize: 4, valueSize: 16, maxEntries: 1 }).set(u32(0), new Uint8Array(16), 4), /EINVAL/);
});

test("a PerfReader's async iterator yields samples as programs write them, until closed", async () => {
  const rt = kernelLikeRuntime();
  const map = createMap(rt.space, { type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 1 }) as PerfEventArrayMap;
  const reader = new PerfReader(map);
  const got: string[] = [];
  const done = (async () => { for await (const s of reader) got.push(hex(s.data)); })();
  const out = () => run(map, "*(u32 *)(r10 - 4) = 7\nr2 = map[m] ll\nr3 = 0xffffffff ll\nr4 = r10\nr4 += -4\nr5 = 4\ncall 25\nexit");
  assert.equal(out(), 0);
  await new Promise((r) => setTimeout(r, 1));
  assert.equal(out(), 0);
  await new Promise((r) => setTimeout(r, 1));
  reader.close();
  await done;
  assert.deepEqual(got, ["07000000", "07000000"], "4 bytes: with the u32 size, already whole u64s");
});
