/**
 * @fileoverview bpf_sk_lookup_tcp/udp against the kernel: a tc program looks up a real
 * listening TCP socket and a bound UDP socket of this process in the kernel's test run,
 * and the same sockets described to the runtime's host; the struct bpf_sock fields it
 * reads, and the misses (another port, a bad tuple size, flags), are the kernel's.
 */

import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { test } from "node:test";
import { socketsOf } from "../../src/helpers/socket-helpers.js";
import { assemble } from "../../src/isa/assembler.js";
import { skip } from "../kernel/helpers.js";
import { bothWays } from "./differential.js";

/** Looks the tuple 127.0.0.1:40000 -> 127.0.0.1:port up; the bpf_sock fields go to fp-64.. (skc: the sock_common ones), r7 = found. */
function body(helper: number, port: number, size = 12, flags = 0): ReturnType<typeof assemble>["instructions"] {
  return assemble(`
    *(u32 *)(r10 - 88) = 0x0100007f
    *(u32 *)(r10 - 84) = 0x0100007f
    *(u16 *)(r10 - 80) = ${((40000 & 0xff) << 8) | (40000 >> 8)}
    *(u16 *)(r10 - 78) = ${((port & 0xff) << 8) | (port >> 8)}
    r1 = r6
    r2 = r10
    r2 += -88
    r3 = ${size}
    r4 = -1
    r5 = ${flags}
    call ${helper}
    if r0 == 0 goto out
    r1 = *(u32 *)(r0 + 4)
    *(u32 *)(r10 - 64) = r1
    ${helper === 99 ? "" : `r1 = *(u32 *)(r0 + 8)
    *(u32 *)(r10 - 60) = r1
    r1 = *(u32 *)(r0 + 12)
    *(u32 *)(r10 - 56) = r1`}
    r1 = *(u32 *)(r0 + 24)
    *(u32 *)(r10 - 52) = r1
    r1 = *(u32 *)(r0 + 44)
    *(u32 *)(r10 - 48) = r1
    r1 = *(u16 *)(r0 + 48)
    *(u32 *)(r10 - 44) = r1
    r1 = *(u32 *)(r0 + 52)
    *(u32 *)(r10 - 40) = r1
    r1 = *(u32 *)(r0 + 72)
    *(u32 *)(r10 - 36) = r1
    r1 = r0
    call 86
    r7 = 1
  out:
    r0 = 0
`).instructions;
}

test("sk_lookup_tcp and sk_lookup_udp find this process's sockets as the kernel does", { skip }, async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const udp = createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  try {
    const tcpPort = (server.address() as { port: number }).port;
    const udpPort = udp.address().port;
    const loopback = Uint8Array.of(127, 0, 0, 1);
    const cases: [string, ReturnType<typeof body>][] = [
      ["tcp listener", body(84, tcpPort)],
      ["skc tcp listener", body(99, tcpPort)],
      ["udp bound", body(85, udpPort)],
      ["tcp on the udp port", body(84, udpPort)],
      ["a bad tuple size", body(84, tcpPort, 8)],
      ["flags", body(84, tcpPort, 12, 1)],
    ];
    // The runtime's host knows the same two sockets.
    const { nodeHost } = await import("../../src/kernel/index.js");
    const host = nodeHost();
    socketsOf(host).push({ protocol: "tcp", local: { addr: loopback, port: tcpPort } }, { protocol: "udp", local: { addr: loopback, port: udpPort } });
    const found: string[] = [];
    for (const [what, insns] of cases) {
      const { kernel, runtime } = bothWays(() => insns, { type: "sched_cls", host });
      assert.equal(runtime.retval, kernel.retval, what);
      assert.deepEqual([...runtime.out.subarray(0, 32)], [...kernel.out.subarray(0, 32)], what);
      found.push(`${what}: ${kernel.out[0] ? "found" : "none"}`);
    }
    assert.deepEqual(found, ["tcp listener: found", "skc tcp listener: found", "udp bound: found", "tcp on the udp port: none", "a bad tuple size: none", "flags: none"]);
  } finally {
    server.close();
    udp.close();
  }
});

/** r7 = gen_syncookie's return (low 32 bits), fp-64 = check_syncookie's, on the listener at `port`; `th` and `iph` bytes as given. */
function cookieBody(port: number, o: { thLen?: number; genFlags?: number; checkFlags?: number; version?: number } = {}) {
  const thLen = o.thLen ?? 20;
  return assemble(`
    *(u32 *)(r10 - 88) = 0x0100007f
    *(u32 *)(r10 - 84) = 0x0100007f
    *(u16 *)(r10 - 80) = ${((40000 & 0xff) << 8) | (40000 >> 8)}
    *(u16 *)(r10 - 78) = ${((port & 0xff) << 8) | (port >> 8)}
    r1 = 0
    ${[-128, -120, -112, -104, -96].map((o) => `*(u64 *)(r10 ${o}) = r1`).join("\n    ")}
    *(u8 *)(r10 - 128) = ${((o.version ?? 4) << 4) | 5}
    *(u8 *)(r10 - 96) = ${(5 << 4)}
    *(u8 *)(r10 - 95) = ${o.genFlags ?? 0x02}
    r1 = r6
    r2 = r10
    r2 += -88
    r3 = 12
    r4 = -1
    r5 = 0
    call 84
    if r0 == 0 goto out
    r8 = r0
    r1 = r8
    r2 = r10
    r2 += -128
    r3 = 20
    r4 = r10
    r4 += -108
    r5 = ${thLen}
    call 110
    r7 = r0
    *(u8 *)(r10 - 95) = ${o.checkFlags ?? 0x10}
    r1 = r8
    r2 = r10
    r2 += -128
    r3 = 20
    r4 = r10
    r4 += -108
    r5 = 20
    call 100
    *(u32 *)(r10 - 64) = r0
    r1 = r8
    call 86
  out:
    r0 = 0
`).instructions;
}

test("tcp_gen_syncookie and tcp_check_syncookie on a quiet listener answer as the kernel's", { skip }, async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    const { nodeHost } = await import("../../src/kernel/index.js");
    const host = nodeHost();
    socketsOf(host).push({ protocol: "tcp", local: { addr: Uint8Array.of(127, 0, 0, 1), port } });
    const got: string[] = [];
    const cases: [string, Parameters<typeof cookieBody>[1]][] = [
      ["a SYN and an ACK", {}],
      ["th_len not doff * 4", { thLen: 24 }],
      ["gen of a SYN-ACK", { genFlags: 0x12 }],
      ["check of a SYN", { checkFlags: 0x02 }],
      ["gen of IP version 5", { version: 5 }],
    ];
    for (const [what, o] of cases) {
      const { kernel, runtime } = bothWays(() => cookieBody(port, o), { type: "sched_cls", host });
      const k = kernel.retval | 0, c = new DataView(kernel.out.buffer, kernel.out.byteOffset).getInt32(0, true);
      assert.equal(runtime.retval | 0, k, `${what}: gen`);
      assert.equal(new DataView(runtime.out.buffer, runtime.out.byteOffset).getInt32(0, true), c, `${what}: check`);
      got.push(`${what}: ${k}/${c}`);
    }
    // No SYN flood: neither makes nor takes cookies (-ENOENT); bad headers are -EINVAL, an unknown IP version -EPROTONOSUPPORT.
    assert.deepEqual(got, ["a SYN and an ACK: -2/-2", "th_len not doff * 4: -22/-2", "gen of a SYN-ACK: -22/-2", "check of a SYN: -2/-2", "gen of IP version 5: -93/-2"]);
  } finally {
    server.close();
  }
});

test("under a SYN flood tcp_gen_syncookie makes a cookie with the clamp MSS", async () => {
  const { installHelpers } = await import("../../src/helpers/table.js");
  const { HelperRegistry, Runtime } = await import("../../src/runtime/index.js");
  const { fakeHost, setHost } = await import("../../src/helpers/host.js");
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const host = setHost(rt.space, fakeHost());
  socketsOf(host).push({ protocol: "tcp", local: { addr: Uint8Array.of(0, 0, 0, 0), port: 8080 }, synFlood: true });
  const insns = [...assemble("r6 = r1\nr7 = 0").instructions, ...cookieBody(8080), ...assemble("r0 = r7\nexit").instructions];
  const r = rt.load(insns, { type: "sched_cls" }).testRun({ data: new Uint8Array(64), ctx: new Uint8Array(192) });
  assert.equal(Number(r.r0 >> 32n), 536, "the MSS: IPv4's clamp, the SYN has no MSS option");
  assert.notEqual(r.retval, 0);
});

test("sk_fullsock and get_listener_sock on looked-up sockets answer as the kernel's", { skip }, async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const udp = createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  try {
    const tcpPort = (server.address() as { port: number }).port, udpPort = udp.address().port;
    const { nodeHost } = await import("../../src/kernel/index.js");
    const host = nodeHost();
    const lo = Uint8Array.of(127, 0, 0, 1);
    socketsOf(host).push({ protocol: "tcp", local: { addr: lo, port: tcpPort } }, { protocol: "udp", local: { addr: lo, port: udpPort } });
    // fp-64: sk_fullsock gave sk back; fp-60: get_listener_sock found one; fp-56: its state.
    const body = (helper: number, port: number) => assemble(`
      *(u32 *)(r10 - 88) = 0x0100007f
      *(u32 *)(r10 - 84) = 0x0100007f
      *(u16 *)(r10 - 80) = ${((40000 & 0xff) << 8) | (40000 >> 8)}
      *(u16 *)(r10 - 78) = ${((port & 0xff) << 8) | (port >> 8)}
      r1 = r6
      r2 = r10
      r2 += -88
      r3 = 12
      r4 = -1
      r5 = 0
      call ${helper}
      if r0 == 0 goto out
      r8 = r0
      r1 = r8
      call 95
      if r0 == 0 goto listener
      *(u32 *)(r10 - 64) = 1
    listener:
      r1 = r8
      call 98
      if r0 == 0 goto release
      *(u32 *)(r10 - 60) = 1
      r1 = *(u32 *)(r0 + 72)
      *(u32 *)(r10 - 56) = r1
    release:
      r1 = r8
      call 86
    out:
      r0 = 0
    `).instructions;
    const got: string[] = [];
    for (const [what, insns] of [["tcp listener", body(84, tcpPort)], ["udp socket", body(85, udpPort)]] as const) {
      const { kernel, runtime } = bothWays(() => insns, { type: "sched_cls", host });
      assert.deepEqual([...runtime.out.subarray(0, 12)], [...kernel.out.subarray(0, 12)], what);
      got.push(`${what}: ${kernel.out[0]}${kernel.out[4]}${kernel.out[8]}`);
    }
    assert.deepEqual(got, ["tcp listener: 1110", "udp socket: 100"]);
  } finally {
    server.close();
    udp.close();
  }
});
