/**
 * Pinning through a pin root: where each pinning value puts a map (libbpf's
 * LIBBPF_PIN_BY_NAME, iproute2's PIN_OBJECT_NS and PIN_GLOBAL_NS, Cilium's
 * CILIUM_PIN_REPLACE), and in the kernel: a compatible pinned map reused with what it
 * holds, an incompatible one refused as libbpf refuses it, CILIUM_PIN_REPLACE pins
 * replaced by the new map once the object has loaded. Pins live under
 * /sys/fs/bpf/tsbpf-cilium-test-PID-*, removed afterwards.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NotSupportedError } from "../../src/errors.js";
import { BTF_KIND, INT32_TYPE, buildBtf, type RawBtfType } from "../../src/btf/build.js";
import { SHF_ALLOC, SHF_WRITE, STT_OBJECT, readElf, writeElf } from "../../src/elf/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { ensureBpffs, KernelMap, possibleCpus } from "../../src/kernel/index.js";
import { loadObject } from "../../src/object/index.js";
import { PinnedMapError, incompatibility, pinPlan, pinningName } from "../../src/object/pinning.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import type { MapSpec, ObjectSpec } from "../../src/object/types.js";
import { skip } from "../kernel/helpers.js";
import { bytesOf, FIXTURES, openFixture } from "./helpers.js";

const map = (over: Partial<MapSpec>): MapSpec => ({ name: "m", type: "array", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, origin: "btf", ...over });
const elfMap = (pinning: number): MapSpec => map({ origin: "legacy", pinning, iproute2: { id: 0, innerId: 0, innerIdx: 0 } });

test("each pinning value has its place under the pin root", () => {
  assert.equal(pinPlan(map({}), "/sys/fs/bpf"), undefined, "no pinning");
  assert.deepEqual(pinPlan(map({ pinning: 1 }), "/sys/fs/bpf"), { mode: "reuse", dir: "/sys/fs/bpf", path: "/sys/fs/bpf/m", pinning: "LIBBPF_PIN_BY_NAME" });
  assert.deepEqual(pinPlan(elfMap(2), "/sys/fs/bpf/"), { mode: "reuse", dir: "/sys/fs/bpf/tc/globals", path: "/sys/fs/bpf/tc/globals/m", pinning: "PIN_GLOBAL_NS" });
  assert.deepEqual(pinPlan(elfMap(1), "/r", "ab12"), { mode: "reuse", dir: "/r/tc/ab12", path: "/r/tc/ab12/m", pinning: "PIN_OBJECT_NS" });
  assert.deepEqual(pinPlan(elfMap(16), "/r"), { mode: "replace", dir: "/r/tc/globals", path: "/r/tc/globals/m", pinning: "CILIUM_PIN_REPLACE" });
  assert.deepEqual(pinPlan(map({ pinning: 16 }), "/r"), { mode: "replace", dir: "/r/tc/globals", path: "/r/tc/globals/m", pinning: "CILIUM_PIN_REPLACE" });
  assert.deepEqual(pinPlan(map({ pinning: 1 }), "/"), { mode: "reuse", dir: "/", path: "/m", pinning: "LIBBPF_PIN_BY_NAME" });
  assert.equal(pinningName(elfMap(1)), "PIN_OBJECT_NS");
  assert.equal(pinningName(map({ pinning: 1 })), "LIBBPF_PIN_BY_NAME");
  assert.throws(() => pinPlan(elfMap(3), "/r"), (e: unknown) => e instanceof NotSupportedError && /map m: pinning 3 \(iproute2 reads other values from \/etc\/iproute2\/bpf_pinning/.test(e.message));
  assert.throws(() => pinPlan(elfMap(1), "/r"), NotSupportedError, "PIN_OBJECT_NS needs the object's id");
});

test("a pinned map is compatible when type, key and value size, max_entries and flags agree", () => {
  const want = { type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
  assert.equal(incompatibility(want, want), undefined);
  assert.equal(incompatibility(want, { ...want, maxEntries: 8, flags: 1 }), "max_entries 8 != 4, map_flags 0x1 != 0x0");
  assert.equal(incompatibility(want, { ...want, type: "hash" }), "type hash != array");
});

/** A one-map object: `m`, a BTF-defined array whose `pinning` attribute is `pinning`. */
function btfMapObject(pinning: number): Uint8Array {
  const arr = (n: number): RawBtfType => ({ kind: BTF_KIND.ARRAY, sizeOrType: 0, extra: [1, 1, n] });
  const ptr = (to: number): RawBtfType => ({ kind: BTF_KIND.PTR, sizeOrType: to });
  const { bytes: btf } = buildBtf([
    INT32_TYPE, // [1]
    arr(2), ptr(2), // [2] [3]: type BPF_MAP_TYPE_ARRAY
    arr(pinning), ptr(4), // [4] [5]
    arr(4), ptr(6), // [6] [7]: key and value size
    arr(1), ptr(8), // [8] [9]: max_entries
    { kind: BTF_KIND.STRUCT, vlen: 5, sizeOrType: 40, extra: ["type", 3, 0, "key_size", 7, 64, "value_size", 7, 128, "max_entries", 9, 192, "pinning", 5, 256] }, // [10]
    { name: "m", kind: BTF_KIND.VAR, sizeOrType: 10, extra: [1] }, // [11]
    { name: ".maps", kind: BTF_KIND.DATASEC, vlen: 1, sizeOrType: 40, extra: [11, 0, 40] }, // [12]
  ]);
  return writeElf({
    sections: [
      { name: ".maps", flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(40) },
      { name: "license", flags: SHF_ALLOC | SHF_WRITE, data: new TextEncoder().encode("GPL\0") },
      { name: ".BTF", flags: 0n, data: btf, addralign: 4 },
    ],
    symbols: [{ name: "m", section: ".maps", value: 0, size: 40, type: STT_OBJECT }],
  });
}

test("BTF maps take pinning 0, LIBBPF_PIN_BY_NAME and Cilium's CILIUM_PIN_REPLACE; other values are libbpf's error", () => {
  for (const pinning of [0, 1, 16]) {
    const m = loadObjectSpec(btfMapObject(pinning), { name: "pins.o" }).maps[0]!;
    assert.equal(m.pinning, pinning);
  }
  assert.throws(() => loadObjectSpec(btfMapObject(2), { name: "pins.o" }), (e: unknown) => e instanceof ObjectError && /map m: attr 'pinning': invalid pinning value 2/.test(e.message));
});

/** cilium-tail.nobtf.bpf.o with cilium_inner's pinning (field 6 of struct bpf_elf_map) set to `value`. */
function withInnerPinning(value: number): Uint8Array {
  const bytes = bytesOf(join(FIXTURES, "cilium-tail.nobtf.bpf.o")).slice();
  const elf = readElf(bytes);
  const maps = elf.section("maps")!;
  const sym = elf.symbolsIn(maps.index).find((s) => s.name === "cilium_inner")!;
  new DataView(bytes.buffer).setUint32(maps.offset + sym.value + 24, value, true);
  return bytes;
}

test("an object with a PIN_OBJECT_NS map gets iproute2's object id, the SHA-1 of its file", () => {
  const bytes = withInnerPinning(1);
  assert.equal(loadObjectSpec(bytes, { name: "x.o" }).objectUid, createHash("sha1").update(bytes).digest("hex"));
  assert.equal(openFixture("cilium-tail.bpf.o").objectUid, undefined, "only when a map needs it");
});

function scratch(what: string): string {
  ensureBpffs();
  const root = `/sys/fs/bpf/tsbpf-cilium-test-${process.pid}-${what}`;
  rmSync(root, { recursive: true, force: true });
  return root;
}

/** The fixture, every program typed (its tail calls as sched_cls) and cilium_events sized. */
function cilium(bytes?: Uint8Array): ObjectSpec {
  const spec = bytes ? loadObjectSpec(bytes, { name: "cilium-tail.bpf.o" }) : openFixture("cilium-tail.bpf.o");
  for (const p of spec.programs) if (p.type === "unspec") p.type = "sched_cls";
  const events = spec.maps.find((m) => m.name === "cilium_events");
  if (events) events.maxEntries = possibleCpus();
  return spec;
}

const key0 = new Uint8Array(4);
const u64 = (v: Uint8Array | undefined) => (v ? new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) : undefined);
const slotId = (m: KernelMap, i: number) => { const v = m.get(new Uint8Array([i, 0, 0, 0])); return v && new DataView(v.buffer, v.byteOffset).getUint32(0, true); };

test("PIN_GLOBAL_NS: pinned in <root>/tc/globals, reused by the next load with its contents; CILIUM_PIN_REPLACE: a new map at each load", { skip }, async () => {
  const root = scratch("reuse");
  try {
    const first = await loadObject(cilium(), { engine: "kernel", pinRoot: root });
    const counts = `${root}/tc/globals/cilium_counts`;
    const calls = `${root}/tc/globals/cilium_calls`;
    let firstCountsId: number, firstCallsId: number;
    try {
      assert.deepEqual(first.pins!.map((p) => `${p.map} ${p.action} ${p.path}`), [`cilium_counts pinned ${counts}`, `cilium_calls pinned ${calls}`]);
      first.maps.get("cilium_counts")!.set(key0, new Uint8Array([41, 0, 0, 0, 0, 0, 0, 0]));
      firstCountsId = first.maps.get("cilium_counts")!.info().id;
      firstCallsId = first.maps.get("cilium_calls")!.info().id;
    } finally {
      first.close();
    }
    assert.deepEqual(readdirSync(`${root}/tc/globals`).sort(), ["cilium_calls", "cilium_counts"]);
    const second = await loadObject(cilium(), { engine: "kernel", pinRoot: root });
    try {
      assert.deepEqual(second.pins!.map((p) => `${p.map} ${p.action}`), ["cilium_counts reused", "cilium_calls replaced"]);
      assert.equal(second.maps.get("cilium_counts")!.info().id, firstCountsId, "the pinned map itself");
      const r = second.programs.get("cil_entry")!.testRun({ data: (() => { const p = new Uint8Array(64); p.set([0x08, 0], 12); p[14] = 0x45; p[22] = 9; return p; })() });
      assert.equal(r.retval, 0);
      assert.equal(u64(second.maps.get("cilium_counts")!.get(key0)), 42n, "41 kept, and one more frame counted");
      // The pin now names the new prog array, which holds the new programs.
      const pinned = KernelMap.fromPin(calls);
      try {
        assert.equal(pinned.info().id, second.maps.get("cilium_calls")!.info().id);
        assert.notEqual(pinned.info().id, firstCallsId);
        assert.equal(slotId(pinned, 1), second.programs.get("tail_mark")!.info().id);
      } finally {
        pinned.close();
      }
    } finally {
      second.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("an incompatible pinned map is refused, as libbpf refuses it: couldn't reuse pinned map at ...", { skip }, async () => {
  const root = scratch("mismatch");
  try {
    const other = KernelMap.create({ type: "array", keySize: 4, valueSize: 8, maxEntries: 16, name: "cilium_counts" });
    try {
      (await import("node:fs")).mkdirSync(`${root}/tc/globals`, { recursive: true });
      other.pin(`${root}/tc/globals/cilium_counts`);
    } finally {
      other.close();
    }
    await assert.rejects(loadObject(cilium(), { engine: "kernel", pinRoot: root }), (e: unknown) =>
      e instanceof PinnedMapError && e.code === "EINVAL" && e.path === `${root}/tc/globals/cilium_counts` &&
      /^map cilium_counts: couldn't reuse pinned map at \S+: parameter mismatch \(max_entries 16 != 4; PIN_GLOBAL_NS\)$/.test(e.message));
    assert.ok(!existsSync(`${root}/tc/globals/cilium_calls`), "nothing replaced by a load that failed");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a load that fails removes the pins it made, as libbpf unpins them, and replaces none", { skip }, async () => {
  const root = scratch("rollback");
  try {
    const spec = cilium();
    // tail_mark reads skb fields an XDP program has no access to: the kernel refuses it.
    spec.programs.find((p) => p.name === "tail_mark")!.type = "xdp";
    await assert.rejects(loadObject(spec, { engine: "kernel", pinRoot: root }), /tail_mark/);
    assert.deepEqual(existsSync(`${root}/tc/globals`) ? readdirSync(`${root}/tc/globals`) : [], []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("an iproute2 pinning the loader does not know (a custom one from /etc/iproute2/bpf_pinning) opens, and refuses to load", { skip }, async () => {
  const bytes = bytesOf(join(FIXTURES, "cilium-tail.nobtf.bpf.o")).slice();
  const elf = readElf(bytes);
  const maps = elf.section("maps")!;
  const counts = elf.symbolsIn(maps.index).find((x) => x.name === "cilium_counts")!;
  new DataView(bytes.buffer).setUint32(maps.offset + counts.value + 24, 3, true);
  const spec = cilium(bytes);
  assert.equal(pinningName(spec.maps.find((m) => m.name === "cilium_counts")!), "pinning 3");
  const root = scratch("custom");
  try {
    await assert.rejects(loadObject(spec, { engine: "kernel", pinRoot: root }), (e: unknown) =>
      e instanceof NotSupportedError && /not supported: map cilium_counts: pinning 3 \(iproute2 reads other values from \/etc\/iproute2\/bpf_pinning/.test(e.message));
    assert.ok(!existsSync(`${root}/tc/globals/cilium_calls`));
    // Without pins there is nothing to refuse.
    (await loadObject(spec, { engine: "kernel", pinRoot: false })).close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("LIBBPF_PIN_BY_NAME goes in <root>/<name>; PIN_OBJECT_NS in <root>/tc/<sha1>/; pinRoot false pins nothing", { skip }, async () => {
  const root = scratch("names");
  try {
    const externs = openFixture("externs.bpf.o");
    const none = await loadObject(externs, { engine: "kernel", pinRoot: false, skip: externs.programs.map((p) => p.name) });
    none.close();
    assert.deepEqual(none.pins, []);
    assert.ok(!existsSync(root));
    const byName = await loadObject(externs, { engine: "kernel", pinRoot: root, skip: externs.programs.map((p) => p.name) });
    byName.close();
    assert.ok(existsSync(`${root}/pinned_map`));
    const bytes = withInnerPinning(1);
    const uid = createHash("sha1").update(bytes).digest("hex");
    const objectNs = await loadObject(cilium(bytes), { engine: "kernel", pinRoot: root });
    objectNs.close();
    assert.ok(existsSync(`${root}/tc/${uid}/cilium_inner`));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
