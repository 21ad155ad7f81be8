/**
 * @fileoverview bpf_fib_lookup against a routing table the test configures: longest prefix,
 * gateways written back as the destination, route types, the neighbour table, MTU and
 * source-address outputs, and the argument checks, as the kernel documents them.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { FibResult, netOf, parseIp } from "../../src/helpers/fib.js";
import { hostOf } from "../../src/helpers/host.js";
import { installHelpers } from "../../src/helpers/table.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { add64Imm, call, exit, mov64Imm, mov64Reg } from "../kernel/helpers.js";

/** Runs bpf_fib_lookup from XDP on `params` (64 bytes, copied into the stack); returns r0 and params after. */
function lookup(rt: Runtime, params: Uint8Array, flags = 0, plen = 64): { r0: number; params: Uint8Array } {
  const stores: Instruction[] = [];
  const v = new DataView(params.buffer, params.byteOffset, 64);
  for (let k = 0; k < 64; k += 4) stores.push({ opcode: 0x62, dst: 10, src: 0, off: -64 + k, imm: v.getInt32(k, true) });
  // r8 = ctx, r7 = ctx->data; the lookup on fp-64; then the params copied over the packet.
  const copyOut = Array.from({ length: 8 }, (_, k): Instruction[] => [
    { opcode: 0x79, dst: 3, src: 10, off: -64 + 8 * k, imm: 0 },
    { opcode: 0x7b, dst: 7, src: 3, off: 8 * k, imm: 0 },
  ]).flat();
  const prog: Instruction[] = [
    mov64Reg(8, 1), { opcode: 0x61, dst: 7, src: 1, off: 0, imm: 0 },
    ...stores,
    mov64Reg(1, 8), mov64Reg(2, 10), add64Imm(2, -64), mov64Imm(3, plen), mov64Imm(4, flags), call(69), mov64Reg(6, 0),
    ...copyOut,
    mov64Reg(0, 6), exit(),
  ];
  const r = rt.load(prog, { type: "xdp" }).testRun({ data: new Uint8Array(64) });
  return { r0: r.retval | 0, params: r.data.subarray(0, 64) };
}

function params4(dst: string, o: { ifindex?: number; totLen?: number; src?: string } = {}): Uint8Array {
  const p = new Uint8Array(64);
  const v = new DataView(p.buffer);
  p[0] = 2; // AF_INET
  p[1] = 6;
  v.setUint16(6, o.totLen ?? 100, true);
  v.setUint32(8, o.ifindex ?? 1, true);
  p.set(parseIp(o.src ?? "10.0.0.9"), 16);
  p.set(parseIp(dst), 32);
  return p;
}

function setup(): Runtime {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const net = netOf(hostOf(rt.space));
  net.devices.push({ ifindex: 2, mac: "02:00:00:00:00:02", mtu: 1500 }, { ifindex: 3, mac: "02:00:00:00:00:03", mtu: 9000 });
  net.routes.push(
    { dst: "0.0.0.0/0", ifindex: 2, gateway: "192.168.0.1", src: "192.168.0.10" },
    { dst: "10.0.0.0/8", ifindex: 3 },
    { dst: "10.1.0.0/16", type: "blackhole" },
    { dst: "10.2.0.0/16", type: "prohibit" },
    { dst: "127.0.0.0/8", type: "local" },
    { dst: "2001:db8::/32", ifindex: 3 },
  );
  net.neighbours.push({ ip: "192.168.0.1", mac: "aa:bb:cc:dd:ee:01" }, { ip: "10.9.9.9", mac: "aa:bb:cc:dd:ee:02", ifindex: 3 }, { ip: "2001:db8::5", mac: "aa:bb:cc:dd:ee:06" });
  return rt;
}

test("the longest prefix wins; the route's device, the neighbour's MAC and the gateway come back", () => {
  const rt = setup();
  const direct = lookup(rt, params4("10.9.9.9"));
  assert.equal(direct.r0, FibResult.Success);
  assert.equal(new DataView(direct.params.buffer, direct.params.byteOffset).getUint32(8, true), 3);
  assert.deepEqual([...direct.params.subarray(52, 58)], [2, 0, 0, 0, 0, 3]);
  assert.deepEqual([...direct.params.subarray(58, 64)], [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 2]);
  assert.equal(new DataView(direct.params.buffer, direct.params.byteOffset).getUint16(6, true), 9000, "mtu_result");
  const viaGw = lookup(rt, params4("8.8.8.8"));
  assert.equal(viaGw.r0, FibResult.Success);
  assert.deepEqual([...viaGw.params.subarray(32, 36)], [192, 168, 0, 1], "the gateway replaces the destination");
  assert.deepEqual([...viaGw.params.subarray(58, 64)], [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 1]);
});

test("route types, missing neighbours, MTU and source address give the kernel's verdicts", () => {
  const rt = setup();
  assert.equal(lookup(rt, params4("10.1.2.3")).r0, FibResult.Blackhole);
  assert.equal(lookup(rt, params4("10.2.2.3")).r0, FibResult.Prohibit);
  assert.equal(lookup(rt, params4("127.0.0.1")).r0, FibResult.NotForwarded);
  assert.equal(lookup(rt, params4("10.3.3.3")).r0, FibResult.NoNeighbour);
  assert.equal(lookup(rt, params4("10.3.3.3"), 4).r0, FibResult.Success, "BPF_FIB_LOOKUP_SKIP_NEIGH");
  const big = lookup(rt, params4("8.8.8.8", { totLen: 1600 }));
  assert.equal(big.r0, FibResult.FragNeeded);
  assert.equal(new DataView(big.params.buffer, big.params.byteOffset).getUint16(6, true), 1500);
  const src = lookup(rt, params4("8.8.4.4"), 16);
  assert.deepEqual([...src.params.subarray(16, 20)], [192, 168, 0, 10]);
  assert.equal(lookup(rt, params4("10.9.9.9"), 16).r0, FibResult.NoSrcAddr);
  const v6 = new Uint8Array(64);
  v6[0] = 10;
  v6.set(parseIp("2001:db8::5"), 32);
  assert.equal(lookup(rt, v6).r0, FibResult.Success);
  assert.equal(lookup(new Runtime({ helpers: installHelpers(new HelperRegistry()) }), params4("1.1.1.1")).r0, FibResult.Unreachable, "an empty table");
});

test("bad sizes, flags and families are refused", () => {
  const rt = setup();
  assert.equal(lookup(rt, params4("10.9.9.9"), 0, 32).r0, -22);
  assert.equal(lookup(rt, params4("10.9.9.9"), 64).r0, -22);
  assert.equal(lookup(rt, params4("10.9.9.9"), 8 | 32).r0, -22);
  const bad = params4("10.9.9.9");
  bad[0] = 7;
  assert.equal(lookup(rt, bad).r0, -97);
});
