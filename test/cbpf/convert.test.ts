/**
 * @fileoverview Classic programs converted to eBPF give one answer on tsbpf's interpreter, its
 * JIT, the kernel (BPF_PROG_TEST_RUN of the converted program) and the kernel's own classic
 * path (SO_ATTACH_FILTER on a socket): hand-written programs with known answers, then random ones.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { convertClassic } from "../../src/cbpf/convert.js";
import { jump, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, SkfAd, stmt, type SockFilter } from "../../src/cbpf/insn.js";
import { NotSupportedError } from "../../src/errors.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { attachClassicFilter, DatagramPair, loadClassicSocketFilter } from "../../src/kernel/socket-filter.js";
import { installHelpers } from "../../src/helpers/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { skip } from "../kernel/helpers.js";
import { randomProgram, rng, STABLE_ANCILLARY } from "./random.js";

const RET_A = stmt(0x16, 0);

/** An Ethernet + IPv4 + TCP frame to port `dport`. */
function tcpFrame(dport: number, payload = 10): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20 + payload);
  f.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  f.set([0x45, 0, 0, 40 + payload, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f[34] = 0x30; f[35] = 0x39; f[36] = dport >> 8; f[37] = dport & 0xff;
  return f;
}

/** With the helpers: ancillary CPU/RANDOM and the helper form of negative offsets call them. */
const runtime = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
const runOn = (prog: SockFilter[], data: Uint8Array, engine: "interp" | "jit") =>
  runtime.load(convertClassic(prog), { type: "socket_filter", engine }).testRun({ data }).retval;

/** `tcp dst port 80` as a socket filter sees it: the packet starts at the IP header (offsets as tcpdump -d with the link header off). */
const TCP_DPORT_80: SockFilter[] = [
  stmt(0x30, 9), // ldb [9]: protocol
  jump(0x15, 6, 0, 5), // tcp?
  stmt(0x28, 6), // ldh [6]: flags + fragment offset
  jump(0x45, 0x1fff, 3, 0), // fragment? drop
  stmt(0xb1, 0), // ldxb 4*([0]&0xf)
  stmt(0x48, 2), // ldh [x+2]: dport
  jump(0x15, 80, 1, 0),
  stmt(0x06, 0),
  stmt(0x06, 0xffff),
];

const HAND: [string, SockFilter[], Uint8Array, number][] = [
  ["tcp dst port 80 matches", TCP_DPORT_80, tcpFrame(80), 0xffff],
  ["tcp dst port 80 refuses 81", TCP_DPORT_80, tcpFrame(81), 0],
  ["ld len", [stmt(0x80, 0), RET_A], tcpFrame(80, 6), 46],
  ["protocol in host order", [stmt(0x20, SKF_AD_OFF + SkfAd.Protocol), RET_A], tcpFrame(80), 0x0800],
  ["division by a zero X returns 0", [stmt(0x00, 7), stmt(0x01, 0), stmt(0x3c, 0), stmt(0x06, 5)], tcpFrame(80), 0],
  ["modulo by X", [stmt(0x00, 17), stmt(0x01, 5), stmt(0x9c, 0), RET_A], tcpFrame(80), 2],
  ["a load past the end returns 0", [stmt(0x20, 1000), stmt(0x06, 9)], tcpFrame(80), 0],
  ["jeq with the top bit of k set compares unsigned", [stmt(0x00, 0xfffffff0), jump(0x25, 0x80000000, 0, 1), stmt(0x06, 1), stmt(0x06, 2)], tcpFrame(80), 1],
  ["jset falls to jt", [stmt(0x00, 6), jump(0x45, 4, 1, 0), stmt(0x06, 1), stmt(0x06, 2)], tcpFrame(80), 2],
  ["scratch memory round trip", [stmt(0x00, 41), stmt(0x02, 15), stmt(0x00, 0), stmt(0x61, 15), stmt(0x87, 0), stmt(0x04, 1), RET_A], tcpFrame(80), 42],
  ["neg and 32-bit wrap", [stmt(0x00, 1), stmt(0x84, 0), RET_A], tcpFrame(80), 0xffffffff],
  ["ldxb msh keeps A", [stmt(0x00, 9), stmt(0xb1, 0), stmt(0x0c, 0), RET_A], tcpFrame(80), 29],
  ["alu xor x ancillary", [stmt(0x00, 0xf0), stmt(0x01, 0x0f), stmt(0x20, SKF_AD_OFF + SkfAd.AluXorX), RET_A], tcpFrame(80), 0xff],
];

for (const [name, prog, data, want] of HAND) {
  test(`converted: ${name}`, () => {
    assert.equal(runOn(prog, data, "interp"), want, "interpreter");
    assert.equal(runOn(prog, data, "jit"), want, "jit");
  });
}

test("the kernel's test run of the converted programs gives the same answers", { skip }, () => {
  for (const [name, prog, data, want] of HAND) {
    const p = loadClassicSocketFilter(prog);
    try {
      assert.equal(p.testRun({ data }).retval, want, name);
    } finally {
      p.close();
    }
  }
});

test("negative offsets reach the network and link headers in the kernel", { skip }, () => {
  // The runtime's side of the LD_ABS form: test/cbpf/negative-offsets.test.ts.
  const cases: [SockFilter[], number][] = [
    [[stmt(0x30, SKF_NET_OFF + 9), RET_A], 6],
    [[stmt(0x28, SKF_LL_OFF + 12), RET_A], 0x0800],
    [[stmt(0x01, 2), stmt(0x50, SKF_NET_OFF + 7), RET_A], 6],
  ];
  for (const [prog, want] of cases) {
    const p = loadClassicSocketFilter(prog);
    try {
      assert.equal(p.testRun({ data: tcpFrame(80) }).retval, want);
    } finally {
      p.close();
    }
  }
});

test("negative offsets through bpf_skb_load_bytes_relative agree on the interpreter, the JIT and the kernel", () => {
  const cases: [SockFilter[], number][] = [
    [[stmt(0x30, SKF_NET_OFF + 9), RET_A], 6],
    [[stmt(0x28, SKF_LL_OFF + 12), RET_A], 0x0800],
    [[stmt(0x20, SKF_NET_OFF + 12), RET_A], 0x0a000001],
    [[stmt(0x20, SKF_LL_OFF + 0), RET_A], 0x00010203],
    [[stmt(0x30, SKF_NET_OFF + 2000), stmt(0x06, 7)], 0],
    [[stmt(0x30, SKF_LL_OFF - 5), stmt(0x06, 7)], 0],
    [[stmt(0x00, 3), stmt(0x02, 0), stmt(0x30, SKF_NET_OFF + 9), stmt(0x60, 0), RET_A], 3],
  ];
  for (const [prog, want] of cases) {
    const insns = convertClassic(prog, { negativeOffsets: "helper" });
    for (const engine of ["interp", "jit"] as const) {
      assert.equal(runtime.load(insns, { type: "socket_filter", engine }).testRun({ data: tcpFrame(80) }).retval, want, `${engine}: ${JSON.stringify(prog)}`);
    }
    if (skip) continue;
    const k = KernelProgram.load({ type: "socket_filter", instructions: insns });
    try {
      assert.equal(k.testRun({ data: tcpFrame(80) }).retval, want, `kernel: ${JSON.stringify(prog)}`);
    } finally {
      k.close();
    }
    const legacy = loadClassicSocketFilter(prog);
    try {
      assert.equal(legacy.testRun({ data: tcpFrame(80) }).retval, want, `kernel, LD_ABS form: ${JSON.stringify(prog)}`);
    } finally {
      legacy.close();
    }
  }
});

test("ancillary loads that have no eBPF form are refused by name", () => {
  for (const [n, name] of [[SkfAd.Hatype, "SKF_AD_HATYPE"], [SkfAd.Nlattr, "SKF_AD_NLATTR"], [SkfAd.PayOffset, "SKF_AD_PAY_OFFSET"]] as const) {
    assert.throws(() => convertClassic([stmt(0x20, SKF_AD_OFF + n), RET_A]), (e: unknown) => e instanceof NotSupportedError && e.message.includes(`insn 0: ancillary load ${name}`));
  }
});

test("seccomp conversion reads struct seccomp_data words", () => {
  const prog = [stmt(0x20, 0), stmt(0x81, 0), stmt(0x0c, 0), stmt(0x02, 0), stmt(0x20, 20), stmt(0x61, 0), stmt(0x0c, 0), RET_A];
  const data = new Uint8Array(64);
  const v = new DataView(data.buffer);
  v.setUint32(0, 39, true);
  v.setUint32(20, 1000, true);
  const p = runtime.load(convertClassic(prog, { kind: "seccomp" }), { type: "raw" });
  assert.equal(p.runRaw(data).r0, BigInt(39 + 64 + 1000));
});

test("300 random programs: interpreter, JIT, kernel test run and SO_ATTACH_FILTER agree", { skip }, () => {
  const r = rng(0xc1a55);
  let checked = 0, passed = 0;
  const pair = new DatagramPair();
  try {
    for (let i = 0; checked < 300; i++) {
      const prog = randomProgram(r, { ancillary: STABLE_ANCILLARY });
      let insns;
      try { insns = convertClassic(prog); } catch { continue; } // randomly invalid (div #0...): validation's test covers it
      const payload = new Uint8Array(20 + (i % 40)) // the kernel wants a whole IPv4 header
       .map((_, j) => (j * 73 + i * 11) & 0xff);
      const data = new Uint8Array(14 + payload.length);
      data.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
      data.set(payload, 14);
      const a = runtime.load(insns, { type: "socket_filter" }).testRun({ data }).retval;
      const b = runtime.load(insns, { type: "socket_filter", engine: "jit" }).testRun({ data }).retval;
      const k = KernelProgram.load({ type: "socket_filter", instructions: insns });
      let c: number;
      try { c = k.testRun({ data }).retval; } finally { k.close(); }
      const ctx = `program ${i}: ${JSON.stringify(prog)}`;
      assert.equal(b, a, `jit, ${ctx}`);
      assert.equal(c, a, `kernel test run, ${ctx}`);
      // On the socket the filter's answer cuts the datagram: 0 drops it, n keeps n bytes.
      attachClassicFilter(pair.receiver, prog);
      const got = pair.roundTrip(payload);
      assert.equal(got?.length, a === 0 ? undefined : Math.min(a, payload.length), `SO_ATTACH_FILTER, ${ctx}`);
      if (a !== 0) passed++;
      checked++;
    }
  } finally {
    pair.close();
  }
  assert.ok(passed > 30 && passed < 290, `a mix of verdicts (${passed} passed)`);
});

test("150 random programs with negative offsets: the helper form on interp, JIT and kernel, and the kernel's LD_ABS form, agree", { skip }, () => {
  const r = rng(0x0ff5e7);
  let checked = 0, nonzero = 0;
  for (let i = 0; checked < 150; i++) {
    const prog = randomProgram(r, { ancillary: STABLE_ANCILLARY, negative: "abs" });
    let insns, legacy;
    try {
      insns = convertClassic(prog, { negativeOffsets: "helper" });
      legacy = convertClassic(prog);
    } catch { continue; }
    const data = tcpFrame(80 + (i % 3), i % 40);
    const a = runtime.load(insns, { type: "socket_filter" }).testRun({ data }).retval;
    const b = runtime.load(insns, { type: "socket_filter", engine: "jit" }).testRun({ data }).retval;
    const answers = [insns, legacy].map((x) => {
      const k = KernelProgram.load({ type: "socket_filter", instructions: x });
      try { return k.testRun({ data }).retval; } finally { k.close(); }
    });
    const ctx = `program ${i}: ${JSON.stringify(prog)}`;
    assert.equal(b, a, `jit, ${ctx}`);
    assert.equal(answers[0], a, `kernel, helper form, ${ctx}`);
    assert.equal(answers[1], a, `kernel, LD_ABS form, ${ctx}`);
    if (a !== 0) nonzero++;
    checked++;
  }
  assert.ok(nonzero > 20, `a mix of answers (${nonzero} non-zero)`);
});
