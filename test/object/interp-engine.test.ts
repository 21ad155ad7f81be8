/**
 * @fileoverview loadObject's "interp" engine against the kernel engine: the same objects,
 * run on the same packets in the same order, must give the same retvals, the same
 * packets out and the same map contents (bpf_ktime_get_ns values and the ids in fd
 * arrays differ between engines, so those compare by key only). Also a hand-written
 * program that looks up, writes through the pointer, updates and deletes.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { insn, type Instruction } from "../../src/isa/instruction.js";
import { kernelAvailable, KernelMap, KernelProgram } from "../../src/kernel/index.js";
import { loadObject, type BpfObject } from "../../src/object/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { createMap } from "../../src/maps/index.js";
import { installHelpers } from "../../src/helpers/table.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { NotSupportedError } from "../../src/errors.js";
import { BENCH, FIXTURES } from "./helpers.js";

const available = kernelAvailable();
const skip: false | string = available.ok ? false : `no kernel backend here: ${available.reason}`;
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "none");
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** Sample frames: IPv4 TCP to ports 22 and 80, UDP to 53, a short one, ARP; then the bench packets. */
function packets(): [string, Uint8Array][] {
  const ipv4 = (protocol: number, port: number, src: number) => {
    const p = new Uint8Array(64);
    p.set([0x08, 0x00], 12);
    p[14] = 0x45;
    p[23] = protocol;
    p.set([10, 0, 0, src], 26);
    p.set([10, 0, 0, 200], 30);
    p.set([0x30, 0x39, port >> 8, port & 0xff], 34);
    return p;
  };
  const arp = new Uint8Array(60);
  arp.set([0x08, 0x06], 12);
  const bench = ["pkt_udp64.bin", "pkt_tcp1500.bin"].map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(BENCH + f))]);
  return [["tcp:22", ipv4(6, 22, 1)], ["tcp:80", ipv4(6, 80, 2)], ["udp:53", ipv4(17, 53, 3)], ["tcp:80 again", ipv4(6, 80, 2)], ["short", new Uint8Array(20)], ["arp", arp], ...bench];
}

interface AnyObject { programs: Map<string, { testRun(o: { data: Uint8Array }): { retval: number; data?: Uint8Array } }>; maps: Map<string, { typeName: string; entries(): IterableIterator<[Uint8Array, Uint8Array]>; valueSize: number }>; close(): void }

/** Maps whose values are not comparable between engines: by key only. */
const KEYS_ONLY = (object: string, map: string, type: string) =>
  type === "prog_array" || type === "array_of_maps" || (object === "maps-helpers" && map === "last_seen");

/** Every program on every packet, in order; then every map's contents. One line per fact. */
function play(name: string, o: AnyObject): string[] {
  const lines: string[] = [];
  for (const [what, data] of packets()) {
    for (const [prog, p] of o.programs) {
      const r = p.testRun({ data });
      lines.push(`${prog}(${what}) = ${r.retval} data ${hex(r.data)}`);
    }
  }
  for (const [mapName, m] of o.maps) {
    const keysOnly = KEYS_ONLY(name, mapName, m.typeName);
    // A per-CPU value: the first CPU's slot only (the runtime has one CPU).
    const entries = [...m.entries()].map(([k, v]) => `${hex(k)}=${keysOnly ? "?" : hex(v)}`).sort();
    lines.push(`map ${mapName}: ${entries.join(" ")}`);
  }
  return lines;
}

const OBJECTS: [string, string][] = [
  ["xdp_firewall", EXAMPLES + "xdp_firewall.bpf.o"],
  ["maps-helpers", FIXTURES + "maps-helpers.bpf.o"],
  ["global-data", FIXTURES + "global-data.bpf.o"],
  ["maps-advanced", FIXTURES + "maps-advanced.bpf.o"],
  ["flow_table", BENCH + "progs/flow_table.bpf.o"],
];

for (const [name, path] of OBJECTS) {
  test(`${name}: the interpreter and the kernel give the same retvals, packets and maps`, { skip }, async () => {
    const spec = loadObjectSpec(new Uint8Array(readFileSync(path)), { name: path.split("/").pop()! });
    const interp = await loadObject(spec, { engine: "interp" });
    const kernel = await loadObject(spec, { engine: "kernel" });
    try {
      assert.deepEqual(play(name, interp as unknown as AnyObject), play(name, kernel as unknown as AnyObject));
    } finally {
      interp.close();
      kernel.close();
    }
  });
}

test("maps-helpers: bpf_printk's line reaches the object's trace", async () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(FIXTURES + "maps-helpers.bpf.o")), { name: "maps-helpers.bpf.o" });
  const obj = await loadObject(spec, { engine: "interp" });
  const seen: string[] = [];
  obj.onTrace((l) => seen.push(l));
  const prog = obj.programs.get("count_packets")!;
  prog.testRun({ data: new Uint8Array(64) });
  prog.testRun({ data: new Uint8Array(64) });
  assert.deepEqual(obj.trace, ["ifindex 1 count 1", "ifindex 1 count 2"]);
  assert.deepEqual(seen, obj.trace);
  assert.equal(hex(obj.maps.get("counters")!.get(new Uint8Array(4))), "0200000000000000");
  obj.close();
});

test("global-data: .rodata is read-only to the program and frozen for userspace", async () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(FIXTURES + "global-data.bpf.o")), { name: "global-data.bpf.o" });
  const obj = await loadObject(spec, { engine: "interp" });
  const rodata = obj.maps.get("global_d.rodata")!;
  assert.equal(hex(rodata.get(new Uint8Array(4))), "64000000");
  assert.throws(() => rodata.set(new Uint8Array(4), new Uint8Array(4)), /EPERM/);
  obj.close();
});

test("an object with a map type the runtime lacks is a NotSupportedError", async () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(EXAMPLES + "xdp_firewall.bpf.o")), { name: "xdp_firewall.bpf.o" });
  spec.maps[0]!.type = "sockmap";
  await assert.rejects(loadObject(spec, { engine: "interp" }), (e: Error) => e instanceof NotSupportedError && /sockmap/.test(e.message));
});

/**
 * update(1, 10); p = lookup(1); *p += 5; update(2, 7); r6 = delete(2); r7 = delete(3);
 * return r6 + r7 (0 + -ENOENT). `map` is the register a 64-bit map load gives.
 */
function program(mapFd: number): Instruction[] {
  const ldMap = (dst: number) => insn(0x18, dst, 1, 0, BigInt(mapFd));
  const args = (key: number) => [ldMap(1), insn(0xbf, 2, 10, 0, 0), insn(0x07, 2, 0, 0, key)];
  return [
    insn(0xb7, 6, 0, 0, 0), insn(0x62, 10, 0, -4, 1), insn(0x62, 10, 0, -8, 2), insn(0x62, 10, 0, -12, 3), // keys 1, 2, 3
    insn(0x7a, 10, 0, -24, 10), // *(u64 *)(r10 - 24) = 10
    ...args(-4), insn(0xbf, 3, 10, 0, 0), insn(0x07, 3, 0, 0, -24), insn(0xb7, 4, 0, 0, 0), insn(0x85, 0, 0, 0, 2),
    ...args(-4), insn(0x85, 0, 0, 0, 1),
    insn(0x15, 0, 0, 23, 0), // if r0 == 0 goto out (23 slots on)
    insn(0x79, 1, 0, 0, 0), insn(0x07, 1, 0, 0, 5), insn(0x7b, 0, 1, 0, 0), // *p += 5
    insn(0x7a, 10, 0, -24, 7),
    ...args(-8), insn(0xbf, 3, 10, 0, 0), insn(0x07, 3, 0, 0, -24), insn(0xb7, 4, 0, 0, 1), insn(0x85, 0, 0, 0, 2),
    ...args(-8), insn(0x85, 0, 0, 0, 3), insn(0xbf, 6, 0, 0, 0),
    ...args(-12), insn(0x85, 0, 0, 0, 3),
    insn(0x0f, 0, 6, 0, 0), // out: r0 += r6
    insn(0x95, 0, 0, 0, 0),
  ];
}

test("a program that looks up, writes through the pointer, updates and deletes: same retval and map in both", { skip }, () => {
  const spec = { type: "hash", keySize: 4, valueSize: 8, maxEntries: 8, name: "t_prog" } as const;
  const km = KernelMap.create(spec);
  const kp = KernelProgram.load({ type: "xdp", instructions: program(km.fd) });
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const um = createMap(rt.space, spec);
  const up = rt.load(program(0), { type: "xdp", resolveLoad: (i) => (i.src === 1 ? um.handle : undefined) });
  try {
    const data = new Uint8Array(64);
    const k = kp.testRun({ data }), u = up.testRun({ data });
    assert.equal(u.retval, k.retval);
    assert.equal(u.retval, 0xfffffffe);
    const dump = (m: { entries(): IterableIterator<[Uint8Array, Uint8Array]> }) => [...m.entries()].map(([a, b]) => `${hex(a)}=${hex(b)}`).sort();
    assert.deepEqual(dump(um), dump(km));
    assert.deepEqual(dump(um), ["01000000=0f00000000000000"]);
  } finally {
    kp.close();
    km.close();
    um.close();
  }
});

/** push 1, 2, 3 (the third with BPF_EXIST onto a full map of 2), pop into fp-8, peek into fp-16: r0 = popped * 16 + peeked. */
function queueProgram(mapFd: number): Instruction[] {
  const ldMap = insn(0x18, 1, 1, 0, BigInt(mapFd));
  const push = (v: number, flags: number) => [insn(0x62, 10, 0, -4, v), ldMap, insn(0xbf, 2, 10, 0, 0), insn(0x07, 2, 0, 0, -4), insn(0xb7, 3, 0, 0, flags), insn(0x85, 0, 0, 0, 87)];
  const take = (id: number, off: number) => [ldMap, insn(0xbf, 2, 10, 0, 0), insn(0x07, 2, 0, 0, off), insn(0x85, 0, 0, 0, id)];
  return [
    insn(0x7a, 10, 0, -8, 0), insn(0x7a, 10, 0, -16, 0),
    ...push(1, 0), ...push(2, 0), ...push(3, 2),
    ...take(88, -8), ...take(89, -16),
    insn(0x61, 0, 10, -8, 0), insn(0x67, 0, 0, 0, 4), insn(0x61, 1, 10, -16, 0), insn(0x0f, 0, 1, 0, 0),
    insn(0x95, 0, 0, 0, 0),
  ];
}

for (const type of ["queue", "stack"] as const) {
  test(`push, pop and peek on a ${type} from a program: same retval and contents in both`, { skip }, () => {
    const spec = { type, keySize: 0, valueSize: 4, maxEntries: 2, name: `t_${type}` } as const;
    const km = KernelMap.create(spec);
    const kp = KernelProgram.load({ type: "xdp", instructions: queueProgram(km.fd) });
    const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
    const um = createMap(rt.space, spec);
    const up = rt.load(queueProgram(0), { type: "xdp", resolveLoad: (i) => (i.src === 1 ? um.handle : undefined) });
    try {
      const data = new Uint8Array(64);
      const k = kp.testRun({ data }), u = up.testRun({ data });
      assert.equal(u.retval, k.retval);
      assert.equal(u.retval, type === "queue" ? 0x23 : 0x32); // queue: pops 2, peeks 3; stack: pops 3, peeks 2
      assert.equal(hex(um.pop()), hex(km.pop()));
      assert.equal(hex(um.pop()), hex(km.pop()));
    } finally {
      kp.close();
      km.close();
      um.close();
    }
  });
}
