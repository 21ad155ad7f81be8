/**
 * @fileoverview Test runs of compiled programs (the fixtures and the bench programs) by
 * program type, against BPF_PROG_TEST_RUN in the kernel where it works; helpers, tail
 * calls and the XDP and skb contexts.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { readElf } from "../../src/elf/index.js";
import { decodeRaw, insn, type Instruction } from "../../src/isa/instruction.js";
import { MAX_TAIL_CALL_CNT, Runtime, type RuntimeProgram } from "../../src/runtime/index.js";

/** The benchmark set, copied byte for byte into bench/. */
const BENCH = new URL("../../bench/", import.meta.url).pathname;
import { asm, hex64 } from "./util.js";

const fixture = (name: string, section: string): Instruction[] => {
  const elf = readElf(new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url))));
  return decodeRaw(elf.section(section)!.data);
};

/** Packets: the bench's two when present, and a few made here. */
function packets(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const name of ["pkt_udp64", "pkt_tcp1500"]) {
    const path = `${BENCH}${name}.bin`;
    if (existsSync(path)) out.push([name, new Uint8Array(readFileSync(path))]);
  }
  const tcp = new Uint8Array(60);
  tcp.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x50]);
  out.push(["tcp_to_80", tcp]);
  const v6 = new Uint8Array(80);
  v6.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 16, 17, 64]);
  v6.set([0x12, 0x34, 0x00, 0x35], 54);
  out.push(["udp6_to_53", v6]);
  out.push(["runt", new Uint8Array(20).fill(0xee)]);
  return out;
}

type Kernel = typeof import("../../src/kernel/index.js");
let kernel: Promise<Kernel | string> | undefined;
const loadKernel = () => (kernel ??= import("../../src/kernel/index.js").then(
  (k) => { const a = k.kernelAvailable(); return a.ok ? k : `kernel backend unavailable: ${a.reason}`; },
  (e: Error) => `src/kernel could not be loaded: ${e.message}`,
));

const PROGRAMS: { name: string; type: "xdp" | "socket_filter"; insns: () => Instruction[] }[] = [
  { name: "xdp-parser", type: "xdp", insns: () => fixture("xdp-parser.bpf.o", "xdp") },
  { name: "loop", type: "xdp", insns: () => fixture("loop.bpf.o", "xdp") },
  { name: "legacy-ld", type: "socket_filter", insns: () => fixture("legacy-ld.bpf.o", "socket") },
  ...["checksum", "parse", "state_machine", "primes", "alu_loop"]
    .filter((n) => existsSync(`${BENCH}progs/${n}.bpf.o`))
    .map((n) => ({
      name: n, type: "xdp" as const,
      insns: () => decodeRaw(readElf(new Uint8Array(readFileSync(`${BENCH}progs/${n}.bpf.o`))).section("xdp")!.data),
    })),
];

for (const p of PROGRAMS) {
  test(`${p.type} program ${p.name}: the interpreter's test runs match the kernel's`, async (t) => {
    const k = await loadKernel();
    const insns = p.insns();
    const rt = new Runtime();
    const progs = (["checked", "fast"] as const).map((mode) => rt.load(insns, { type: p.type, mode }));
    const kp = typeof k === "string" ? undefined : k.KernelProgram.load({ type: p.type, instructions: insns, name: p.name.replace(/-/g, "_") });
    try {
      for (const [name, data] of packets()) {
        const [a, b] = progs.map((x) => x.testRun({ data }));
        assert.equal(hex64(b!.r0), hex64(a!.r0), `${name}: modes disagree`);
        assert.deepEqual(b!.data, a!.data);
        if (!kp) continue;
        const want = kp.testRun({ data });
        assert.equal(a!.retval, want.retval, `${name}: retval`);
        assert.deepEqual([...a!.data], [...want.data!], `${name}: data out`);
      }
    } finally {
      kp?.close();
    }
    if (!kp) t.diagnostic(`not compared with the kernel: ${k as string}`);
  });
}

test("an XDP program sees data, data_end and data_meta as addresses of its packet", () => {
  const rt = new Runtime();
  // r0 = (data_end - data) << 16 | (data - data_meta); then writes 0xab at data[0].
  const p = rt.load(asm(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = *(u32 *)(r1 + 8)
    r0 = r3
    r0 -= r2
    r0 <<= 16
    r5 = r2
    r5 -= r4
    r0 |= r5
    r6 = r2
    r6 += 1
    if r6 > r3 goto +2
    r7 = 0xab
    *(u8 *)(r2 + 0) = r7
    exit`), { type: "xdp" });
  const data = new Uint8Array(32).fill(1);
  const plain = p.testRun({ data });
  assert.equal(plain.r0, 32n << 16n);
  assert.equal(plain.data[0], 0xab);
  assert.equal(plain.data.length, 32);
  // With 8 bytes of metadata in front, as BPF_PROG_TEST_RUN's ctx_in says.
  const ctx = new Uint8Array(24);
  new DataView(ctx.buffer).setUint32(0, 8, true);
  new DataView(ctx.buffer).setUint32(4, 32, true);
  const meta = p.testRun({ data, ctx });
  assert.equal(meta.r0, (24n << 16n) | 8n);
  assert.equal(meta.data[8], 0xab);
  const out = new DataView(meta.ctx!.buffer);
  assert.deepEqual([out.getUint32(0, true), out.getUint32(4, true), out.getUint32(8, true)], [8, 32, 0]);
});

test("repeat runs the same packet again and reports a mean duration", () => {
  const rt = new Runtime();
  const p = rt.load(asm("r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +3\nr0 = *(u8 *)(r2 + 0)\nr0 += 1\n*(u8 *)(r2 + 0) = r0\nexit"), { type: "xdp" });
  const r = p.testRun({ data: new Uint8Array(4), repeat: 10 });
  assert.equal(r.retval, 10);
  assert.equal(r.data[0], 10);
  assert.ok(r.durationNs > 0);
  assert.equal(r.instructions, 9);
});

test("helpers get r1-r5 and return r0; a number is sign-extended", () => {
  const rt = new Runtime();
  rt.helpers.define(1, "sum", (a) => a.u64(1) + a.u64(2) + a.u64(3) + a.u64(4) + a.u64(5));
  rt.helpers.define(2, "minus_one", () => -1);
  rt.helpers.define(3, "poke", (a, env) => { env.bytes(a.addr(1), 4, "write").set([1, 2, 3, 4]); return 0; });
  assert.equal(rt.load(asm("r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 0x100000000 ll\ncall 1\nexit")).runRaw().r0, 0x10000000an);
  assert.equal(rt.load(asm("call 2\nexit")).runRaw().r0, 0xffffffffffffffffn);
  const r = rt.load(asm("r6 = r1\ncall 3\nr0 = *(u32 *)(r6 + 0)\nexit")).runRaw(new Uint8Array(4));
  assert.equal(r.r0, 0x04030201n);
  // A helper given a bad pointer raises the fault of the call instruction.
  assert.throws(() => rt.load(asm("r1 = 0\ncall 3\nexit")).runRaw(), /^.*insn 1 \(call .*\): invalid write of 4 bytes at 0x0/);
});

test("tail calls replace the program and stop after 33, counted as the kernel does", () => {
  const rt = new Runtime();
  const MAP = 0x1234n;
  // Counts its runs in memory, then tail-calls slot r7 of the program array.
  const counter = (slot: number) => asm(`
    r6 = r1
    r0 = *(u64 *)(r6 + 0)
    r0 += 1
    *(u64 *)(r6 + 0) = r0
    r1 = r6
    r2 = ${MAP} ll
    r3 = ${slot}
    call 12
    r0 = 7
    exit`);
  const self = rt.load(counter(0));
  const empty = rt.load(counter(1));
  const outOfRange = rt.load(counter(5));
  const slots: (RuntimeProgram | undefined)[] = [self, undefined];
  rt.programArray = (map) => (map === MAP ? { maxEntries: 2, program: (i) => slots[i] } : undefined);
  const count = (p: RuntimeProgram) => new DataView(p.runRaw(new Uint8Array(8)).memory.buffer).getBigUint64(0, true);
  assert.equal(count(self), BigInt(1 + MAX_TAIL_CALL_CNT));
  assert.equal(count(empty), 1n);
  assert.equal(count(outOfRange), 1n);
  // An empty slot still uses up a tail call: with one failed call before each good
  // one, every run costs two of the 33, so 17 runs happen (34 if empty ones were free).
  const both = rt.load(asm(`
    r6 = r1
    r0 = *(u64 *)(r6 + 0)
    r0 += 1
    *(u64 *)(r6 + 0) = r0
    r1 = r6
    r2 = ${MAP} ll
    r3 = 1
    call 12
    r1 = r6
    r2 = ${MAP} ll
    r3 = 0
    call 12
    exit`));
  slots[0] = both;
  assert.equal(count(both), 17n);
});

test("LD_ABS and LD_IND read the packet big-endian and end the program when out of bounds", () => {
  const rt = new Runtime();
  const data = Uint8Array.from({ length: 40 }, (_, i) => i);
  const run = (src: string) => rt.load(asm(src), { type: "socket_filter" }).testRun({ data }).r0;
  // A socket filter's data starts after the Ethernet header, as in the kernel's test run.
  assert.equal(run("r6 = r1\nr0 = *(u8 *)skb[0]\nexit"), 14n);
  assert.equal(run("r6 = r1\nr0 = *(u16 *)skb[1]\nexit"), 0x0f10n);
  assert.equal(run("r6 = r1\nr0 = *(u32 *)skb[2]\nexit"), 0x10111213n);
  assert.equal(run("r6 = r1\nr1 = 4\nr0 = *(u16 *)skb[r1 + 2]\nexit"), 0x1415n);
  assert.equal(run("r6 = r1\nr0 = 5\nr0 = *(u32 *)skb[24]\nr0 = 9\nexit"), 0n);
  assert.equal(run("r6 = r1\nr1 = -1\nr0 = *(u8 *)skb[r1 + 0]\nr0 = 9\nexit"), 0n);
  assert.equal(run("r6 = r1\nr0 = *(u32 *)skb[22]\nexit"), 0x24252627n);
});

test("the raw mode gives r1 = memory and r2 = its length, or 0 and 0", () => {
  const rt = new Runtime();
  assert.equal(rt.load(asm("r0 = r1\nr0 |= r2\nexit")).runRaw().r0, 0n);
  const r = rt.load(asm("r0 = r2\n*(u8 *)(r1 + 2) = 9\nexit")).runRaw(new Uint8Array(3));
  assert.equal(r.r0, 3n);
  assert.deepEqual([...r.memory], [0, 0, 9]);
});

test("pseudo 64-bit loads go through the loader's resolver", () => {
  const rt = new Runtime();
  const value = rt.space.alloc({ name: "map.value", kind: "map", size: 8, perm: 3 });
  new DataView(value.bytes().buffer, value.base, 8).setUint32(0, 77, true);
  const prog = [insn(0x18, 1, 2, 0, 5n), insn(0x61, 0, 1, 0, 0), insn(0x95, 0, 0, 0, 0)]; // r1 = map_value(fd 5); r0 = *(u32 *)r1
  assert.throws(() => rt.load(prog).runRaw(), /unresolved 64-bit load of map value 5/);
  const p = rt.load(prog, { resolveLoad: (i) => (i.src === 2 && i.imm === 5 ? value.base : undefined) });
  assert.equal(p.runRaw().r0, 77n);
});

test("may_goto counts down per frame: a callee's exhausted count leaves the caller's", () => {
  const rt = new Runtime();
  const r = rt.load(asm(`
    call f
    r6 = r0
    r7 = 0
  again:
    may_goto +2
    r7 += 1
    if r7 < 3 goto again
    r0 = r6
    r0 <<= 8
    r0 += r7
    exit
  f:
    r0 = 0
  loop:
    may_goto +2
    r0 += 1
    goto loop
    exit`)).runRaw();
  assert.equal(r.r0, (8388608n << 8n) + 3n);
});
