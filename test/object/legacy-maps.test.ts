/**
 * The legacy `maps` section in both layouts: libbpf's struct bpf_map_def and iproute2's
 * struct bpf_elf_map, told apart by BTF where the object has it and by size where it
 * does not (the same fixture built with -g0 must give the same maps), iproute2's
 * map-in-map pairs, and definitions iproute2 would refuse.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readElf } from "../../src/elf/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { loadObject } from "../../src/object/index.js";
import type { MapSpec } from "../../src/object/types.js";
import { skip } from "../kernel/helpers.js";
import { bytesOf, FIXTURES, openFixture } from "./helpers.js";

/** What a map is, without the BTF type ids that only an object with BTF has. */
const shape = (m: MapSpec) => ({ ...m, keyType: undefined, valueType: undefined });

/** The fixture without BTF, with the u32 at `field` of map `name`'s definition set to `value`. */
function patched(name: string, field: number, value: number): Uint8Array {
  const bytes = bytesOf(join(FIXTURES, "cilium-tail.nobtf.bpf.o")).slice();
  const elf = readElf(bytes);
  const maps = elf.section("maps")!;
  const sym = elf.symbolsIn(maps.index).find((s) => s.name === name)!;
  new DataView(bytes.buffer).setUint32(maps.offset + sym.value + 4 * field, value, true);
  return bytes;
}

test("struct bpf_elf_map: every field read, id/inner_id/inner_idx kept on the spec, pinning in iproute2's numbers, BTF key/value annotations", () => {
  const spec = openFixture("cilium-tail.bpf.o");
  const map = (name: string) => spec.maps.find((m) => m.name === name)!;
  assert.deepEqual(
    spec.maps.filter((m) => m.origin === "legacy").map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning ?? 0, m.iproute2]),
    [
      ["cilium_calls", "prog_array", 4, 4, 8, 0, 16, { id: 2, innerId: 0, innerIdx: 0 }],
      ["cilium_counts", "array", 4, 8, 4, 0, 2, { id: 0, innerId: 0, innerIdx: 0 }],
      ["cilium_inner", "array", 4, 4, 1, 0, 0, { id: 7, innerId: 0, innerIdx: 1 }],
      ["cilium_outer", "array_of_maps", 4, 4, 2, 0, 0, { id: 0, innerId: 7, innerIdx: 0 }],
    ],
  );
  // The outer map's inner_id names cilium_inner: its template, and its slot inner_idx.
  assert.deepEqual(map("cilium_outer").innerMap, { name: "cilium_outer.inner", type: "array", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, origin: "inner" });
  assert.deepEqual(map("cilium_outer").contents, [{ key: new Uint8Array([1, 0, 0, 0]), map: "cilium_inner" }]);
  // BPF_ANNOTATE_KV_PAIR gave cilium_counts its key and value types; the others have none.
  const btf = spec.btf!;
  assert.deepEqual([btf.type(map("cilium_counts").keyType!).name, btf.type(map("cilium_counts").valueType!).name], ["__u32", "__u64"]);
  assert.equal(map("cilium_calls").valueType, undefined);
  // The BTF map beside them: max_entries 0 stays 0 in the spec (the loader sizes it to the CPUs).
  assert.deepEqual([map("cilium_events").type, map("cilium_events").maxEntries, map("cilium_events").iproute2], ["perf_event_array", 0, undefined]);
});

test("without BTF the layout comes from the definition's size: the -g0 build gives the same maps", () => {
  const withBtf = openFixture("cilium-tail.bpf.o");
  const without = openFixture("cilium-tail.nobtf.bpf.o");
  assert.equal(without.btf, undefined);
  const legacy = (maps: MapSpec[]) => maps.filter((m) => m.origin === "legacy").map(shape);
  assert.deepEqual(legacy(without.maps), legacy(withBtf.maps));
});

test("struct bpf_map_def (20 bytes) stays libbpf's: no iproute2 fields, no pinning", () => {
  const spec = openFixture("legacy-maps.bpf.o");
  for (const m of spec.maps.filter((x) => x.origin === "legacy")) {
    assert.equal(m.iproute2, undefined, m.name);
    assert.equal(m.pinning, undefined, m.name);
  }
  assert.deepEqual(spec.maps.filter((x) => x.origin === "legacy").map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ["legacy_hash", "hash", 4, 8, 64, 0],
    ["legacy_array", "array", 4, 4, 2, 0x80],
  ]);
});

test("iproute2's map-in-map errors: an inner_id no map has, a map-in-map without one", () => {
  const open = (bytes: Uint8Array) => () => loadObjectSpec(bytes, { name: "cilium-tail.nobtf.bpf.o" });
  // inner_id is field 7 of struct bpf_elf_map.
  assert.throws(open(patched("cilium_outer", 7, 9)), (e: unknown) => e instanceof ObjectError && /section maps: map cilium_outer: inner map with id 9 not found/.test(e.message));
  assert.throws(open(patched("cilium_outer", 7, 0)), (e: unknown) => e instanceof ObjectError && /map cilium_outer: a array_of_maps needs an inner map \(inner_id is 0\)/.test(e.message));
  // inner_idx (field 8) (u32)-1: the inner map is a template only, in no slot.
  const spec = loadObjectSpec(patched("cilium_inner", 8, 0xffffffff), { name: "x.o" });
  assert.equal(spec.maps.find((m) => m.name === "cilium_outer")!.contents, undefined);
});

test("a definition longer than struct bpf_elf_map must be zero past its 36 bytes, as cilium/ebpf demands", () => {
  // Move cilium_inner's symbol to the license section: three symbols over 144 bytes make
  // 48-byte definitions, and the first one's bytes 36.. are cilium_counts' type and sizes.
  const bytes = bytesOf(join(FIXTURES, "cilium-tail.nobtf.bpf.o")).slice();
  const elf = readElf(bytes);
  const symtab = elf.section(".symtab")!;
  const inner = elf.symbols.find((x) => x.name === "cilium_inner")!;
  new DataView(bytes.buffer).setUint16(symtab.offset + 24 * inner.index + 6, elf.section("license")!.index, true);
  assert.throws(
    () => loadObjectSpec(bytes, { name: "x.o" }),
    (e: unknown) => e instanceof ObjectError && /section maps, offset 0x[0-9a-f]+: map cilium_calls: unknown and non-zero fields in the definition \(byte 36 of 48, as struct bpf_elf_map\)/.test(e.message),
  );
});

test("samples/bpf's bpf_map_def (inner_map_idx, numa_node, named by BTF): the outer map's template is the map at that index", { skip }, async () => {
  const spec = openFixture("bpf-load-maps.bpf.o");
  const outer = spec.maps.find((m) => m.name === "per_port")!;
  assert.equal(outer.iproute2, undefined);
  assert.deepEqual(outer.innerMap, { name: "per_port.inner", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: 4, origin: "inner" });
  // The kernel needs the template to create the outer map; then port_counts itself can go in slot 0.
  const slot0 = new Uint8Array(4);
  const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  const kernel = await loadObject(spec, { engine: "kernel", pinRoot: false });
  const interp = await loadObject(spec, { engine: "interp" });
  try {
    kernel.maps.get("per_port")!.set(slot0, u32(kernel.maps.get("port_counts")!.fd));
    interp.maps.get("per_port")!.set(slot0, u32(interp.maps.get("port_counts")!.id));
    for (const o of [kernel, interp]) {
      for (let i = 0; i < 3; i++) assert.equal(o.programs.get("count_port")!.testRun({ data: new Uint8Array(64) }).retval, 2);
    }
    const count = (v: Uint8Array | undefined) => v && new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
    assert.equal(count(kernel.maps.get("port_counts")!.get(slot0)), 3n);
    assert.equal(count(interp.maps.get("port_counts")!.get(slot0)), 3n);
  } finally {
    kernel.close();
    interp.close();
  }
});
