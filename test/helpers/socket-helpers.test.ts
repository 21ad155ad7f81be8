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
