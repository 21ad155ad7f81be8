/**
 * Tail calls by section name, as Cilium's loader fills cilium_calls: `ID/SLOT` parsed as
 * Cilium parses it, the slots planned and checked, and the cilium-tail fixture (static
 * tail calls in `2/1` and `2/0x5` through an iproute2 prog array) run in the interpreter
 * and in the kernel to the same verdicts, packets and map contents.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { ensureBpffs, possibleCpus } from "../../src/kernel/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { loadObject } from "../../src/object/index.js";
import { parseTailCallSection, planTailCalls, tailCallSlots, tailCallTargets } from "../../src/object/tail-calls.js";
import type { ObjectSpec } from "../../src/object/types.js";
import { skip } from "../kernel/helpers.js";
import { BENCH, openFixture } from "./helpers.js";

/** TC_ACT_OK, TC_ACT_SHOT, TC_ACT_UNSPEC and TC_ACT_REDIRECT as the fixture returns them. */
const OK = 0, SHOT = 2, UNSPEC = -1, REDIRECT = 7;

/** The fixture with its tail calls typed as Cilium's loader types them (its entry program's type). */
function ciliumSpec(name = "cilium-tail.bpf.o"): ObjectSpec {
  const spec = openFixture(name);
  for (const p of spec.programs) if (p.type === "unspec") p.type = "sched_cls";
  return spec;
}

/** For the kernel: cilium_events, max_entries 0, sized to the possible CPUs (what the loader branch does by default). */
function forKernel(spec: ObjectSpec): ObjectSpec {
  spec.maps.find((m) => m.name === "cilium_events")!.maxEntries = possibleCpus();
  return spec;
}

/** For the runtime, which has no perf_event_array yet: without cilium_events and the program that uses it. */
function forInterp(spec: ObjectSpec): ObjectSpec {
  spec.maps = spec.maps.filter((m) => m.name !== "cilium_events");
  spec.programs = spec.programs.filter((p) => p.name !== "cil_notify");
  return spec;
}

/** IPv4 UDP frames of `len` bytes with a TTL. */
function frame(len: number, ttl: number): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  if (len > 23) { p[14] = 0x45; p[22] = ttl; p[23] = 17; }
  return p;
}

const PACKETS: [string, Uint8Array][] = [
  ["ttl 64", frame(64, 64)],
  ["ttl 1", frame(64, 1)],
  ["ttl 2", frame(60, 2)],
  // ARP: BPF_PROG_TEST_RUN refuses an IPv4 frame shorter than an IP header.
  ["too short for the entry", (() => { const p = frame(30, 0); p.set([0x08, 0x06], 12); return p; })()],
  ["udp64", new Uint8Array(readFileSync(BENCH + "pkt_udp64.bin"))],
  ["tcp1500", new Uint8Array(readFileSync(BENCH + "pkt_tcp1500.bin"))],
];

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "none");

/** A scratch pin root for one test, removed afterwards. */
function pinRoot(what: string): string {
  ensureBpffs();
  return `/sys/fs/bpf/tsbpf-cilium-test-${process.pid}-${what}`;
}

test("ID/SLOT section names are read as Cilium's loader reads them (%d/%v)", () => {
  assert.deepEqual(parseTailCallSection("2/1"), { id: 2, slot: 1 });
  assert.deepEqual(parseTailCallSection("2/0x5"), { id: 2, slot: 5 });
  assert.deepEqual(parseTailCallSection("1/0x0515"), { id: 1, slot: 0x515 });
  assert.deepEqual(parseTailCallSection("2/010"), { id: 2, slot: 8 }, "a leading 0 is octal, as Go's %v reads it");
  assert.deepEqual(parseTailCallSection("2/0"), { id: 2, slot: 0 });
  for (const name of ["tc", "tc/ingress", "2/", "/1", "2/5a", "2/1/3", "x2/1", "4294967296/1"]) assert.equal(parseTailCallSection(name), undefined, name);
});

test("the fixture's tail calls: static programs in 2/1 and 2/0x5, planned into cilium_calls by its iproute2 id", () => {
  const spec = openFixture("cilium-tail.bpf.o");
  const tails = spec.programs.filter((p) => parseTailCallSection(p.sectionName));
  assert.deepEqual(tails.map((p) => [p.name, p.sectionName, p.type]), [["tail_ttl", "2/0x5", "unspec"], ["tail_mark", "2/1", "unspec"]]);
  assert.deepEqual(tailCallSlots(spec).map((s) => `${s.map}[${s.slot}]=${s.program}`), ["cilium_calls[5]=tail_ttl", "cilium_calls[1]=tail_mark"]);
  assert.deepEqual([...tailCallTargets(spec)].sort(), ["tail_mark", "tail_ttl"]);
});

test("a tail-call section that names no map, a map that is no prog_array, a slot past the end or taken twice is an ObjectError", () => {
  const check = (edit: (s: ObjectSpec) => void, message: RegExp) => {
    const spec = openFixture("cilium-tail.bpf.o");
    edit(spec);
    assert.throws(() => tailCallSlots(spec), (e: unknown) => e instanceof ObjectError && message.test(e.message));
  };
  const program = (s: ObjectSpec, name: string) => s.programs.find((p) => p.name === name)!;
  check((s) => { program(s, "tail_mark").sectionName = "9/1"; }, /program tail_mark: no map with iproute2 map id 9/);
  check((s) => { program(s, "tail_mark").sectionName = "7/0"; }, /tail-call slot in map cilium_inner, which is a array, not a prog_array/);
  check((s) => { program(s, "tail_mark").sectionName = "2/8"; }, /slot 8 is past the end of cilium_calls \(max_entries 8\)/);
  check((s) => { program(s, "tail_mark").sectionName = "2/5"; }, /duplicate tail call: cilium_calls\[5\] is claimed by tail_ttl too/);
});

test("by default a tail call that cannot be filled is told, not fatal; \"strict\" refuses the object as Cilium's loader does", async () => {
  const spec = forInterp(ciliumSpec());
  spec.programs.find((p) => p.name === "tail_ttl")!.sectionName = "9/5";
  assert.deepEqual(planTailCalls(spec).errors.map((e) => e.message), ["section 9/5: program tail_ttl: no map with iproute2 map id 9 for its tail-call slot"]);
  const object = await loadObject(spec, { engine: "interp" });
  try {
    assert.deepEqual(object.tailCalls!.map((s) => `${s.map}[${s.slot}]=${s.program}`), ["cilium_calls[1]=tail_mark"]);
    assert.deepEqual(object.tailCallErrors, ["section 9/5: program tail_ttl: no map with iproute2 map id 9 for its tail-call slot"]);
    // tail_mark ran (the mark), then missed slot 5: TC_ACT_UNSPEC (-1), as a u32.
    const r = object.programs.get("cil_entry")!.testRun({ data: frame(64, 64) });
    assert.equal(r.data![0], 0xaa);
    assert.equal(r.retval, UNSPEC >>> 0);
  } finally {
    object.close();
  }
  await assert.rejects(loadObject(spec, { engine: "interp", tailCalls: "strict" }), (e: unknown) => e instanceof ObjectError && /no map with iproute2 map id 9/.test(e.message));
});

test("the interpreter runs the tail calls: the verdict and the packet are those of the whole chain", async () => {
  const object = await loadObject(forInterp(ciliumSpec()), { engine: "interp" });
  try {
    assert.deepEqual(object.tailCalls!.map((s) => `${s.map}[${s.slot}]=${s.program}`), ["cilium_calls[5]=tail_ttl", "cilium_calls[1]=tail_mark"]);
    const entry = object.programs.get("cil_entry")!;
    const r = entry.testRun({ data: frame(64, 64) });
    assert.equal(r.retval, OK);
    assert.equal(r.data![0], 0xaa, "tail_mark marked the frame");
    assert.equal(r.data![1], 64, "tail_ttl copied cb[0], the TTL the entry saw");
    assert.equal(r.data![22], 63, "tail_ttl decremented the TTL");
    assert.equal(entry.testRun({ data: frame(64, 1) }).retval, SHOT);
  } finally {
    object.close();
  }
});

test("with tailCalls false the prog array stays empty and the entry's tail call misses, in both engines", { skip }, async () => {
  const interp = await loadObject(forInterp(ciliumSpec()), { engine: "interp", tailCalls: false });
  const root = pinRoot("no-tails");
  try {
    assert.deepEqual(interp.tailCalls, []);
    assert.equal(interp.programs.get("cil_entry")!.testRun({ data: frame(64, 64) }).retval, REDIRECT);
    const kernel = await loadObject(forKernel(ciliumSpec()), { engine: "kernel", tailCalls: false, pinRoot: root });
    try {
      assert.deepEqual(kernel.tailCalls, []);
      assert.equal(kernel.programs.get("cil_entry")!.testRun({ data: frame(64, 64) }).retval, REDIRECT);
    } finally {
      kernel.close();
    }
  } finally {
    interp.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("the kernel loads every program and fills cilium_calls by slot: each slot holds its program's id", { skip }, async () => {
  const root = pinRoot("slots");
  const object = await loadObject(forKernel(ciliumSpec()), { engine: "kernel", pinRoot: root });
  try {
    assert.deepEqual([...object.programs.keys()].sort(), ["cil_entry", "cil_notify", "tail_mark", "tail_ttl"]);
    const calls = object.maps.get("cilium_calls")!;
    const slot = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
    // A prog array read from userspace gives the id of the program in the slot.
    const idAt = (i: number) => { const v = calls.get(slot(i)); return v && new DataView(v.buffer, v.byteOffset).getUint32(0, true); };
    assert.equal(idAt(1), object.programs.get("tail_mark")!.info().id);
    assert.equal(idAt(5), object.programs.get("tail_ttl")!.info().id);
    for (const empty of [0, 2, 3, 4, 6, 7]) assert.equal(idAt(empty), undefined, `slot ${empty}`);
    assert.equal(object.programs.get("cil_notify")!.testRun({ data: frame(64, 64) }).retval, OK, "perf_event_output to the CPU-sized cilium_events");
    assert.ok(object.maps.get("cilium_counts")!.info().btfValueTypeId > 0, "cilium_counts made with the value type BPF_ANNOTATE_KV_PAIR named");
  } finally {
    object.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("cil_entry runs its tail calls to the same verdicts, packets and map contents in the interpreter and in the kernel", { skip }, async () => {
  const root = pinRoot("differential");
  const interp = await loadObject(forInterp(ciliumSpec()), { engine: "interp" });
  const kernel = await loadObject(forKernel(ciliumSpec()), { engine: "kernel", pinRoot: root });
  try {
    for (const [what, data] of PACKETS) {
      const a = interp.programs.get("cil_entry")!.testRun({ data });
      const b = kernel.programs.get("cil_entry")!.testRun({ data });
      assert.equal(a.retval, b.retval, `${what}: verdict`);
      assert.equal(hex(a.data), hex(b.data), `${what}: packet out`);
    }
    for (const name of ["cilium_counts", "cilium_inner"]) {
      const dump = (m: { entries(): IterableIterator<[Uint8Array, Uint8Array]> }) => [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
      assert.deepEqual(dump(interp.maps.get(name)!), dump(kernel.maps.get(name)!), name);
    }
    // The chain ran: the entry counted every frame long enough, tail_mark and tail_ttl those after it.
    const counts = [...kernel.maps.get("cilium_counts")!.entries()].map(([, v]) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
    assert.deepEqual(counts, [5, 5, 5, 0]);
  } finally {
    interp.close();
    kernel.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("newer Cilium's tail calls: a tail:MAP/SLOT decl tag puts a static program of tc/tail in the BTF prog array it names", { skip }, async () => {
  const spec = openFixture("cilium-tag.bpf.o");
  assert.deepEqual(spec.programs.map((p) => [p.name, p.sectionName]), [["tail_three", "tc/tail"], ["tail_one", "tc/tail"], ["tag_entry", "tc"]]);
  assert.deepEqual(tailCallSlots(spec).map((s) => `${s.map}[${s.slot}]=${s.program}`), ["tag_calls[3]=tail_three", "tag_calls[1]=tail_one"]);
  for (const p of spec.programs) if (p.type === "unspec") p.type = "sched_cls";
  const root = pinRoot("tags");
  const interp = await loadObject(spec, { engine: "interp" });
  const kernel = await loadObject(spec, { engine: "kernel", pinRoot: root });
  try {
    for (const len of [60, 61]) {
      const data = frame(len, 64);
      const a = interp.programs.get("tag_entry")!.testRun({ data });
      const b = kernel.programs.get("tag_entry")!.testRun({ data });
      assert.equal(a.retval, 30 + ((len - 14) % 2), `${len} bytes: tail_three's verdict (skb->len is the frame less its Ethernet header)`);
      assert.equal(a.retval, b.retval, `${len} bytes`);
    }
    assert.deepEqual(kernel.pins!.map((p) => `${p.map} ${p.action}`), ["tag_calls pinned"]);
  } finally {
    interp.close();
    kernel.close();
    rmSync(root, { recursive: true, force: true });
  }
});
