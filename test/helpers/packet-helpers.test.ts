/**
 * @fileoverview The packet helpers against the kernel's BPF_PROG_TEST_RUN: each case calls
 * a helper on a real frame (Ethernet, IPv4 or IPv6, UDP) in XDP or tc, and tsbpf must give
 * the same return value, the same bytes out of the helper and the same packet after the run.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Instruction } from "../../src/isa/instruction.js";
import { add64Imm, call, lddw, ldx, mov64Imm, mov64Reg, skip, st, stx } from "../kernel/helpers.js";
import { type Body, bothWays } from "./differential.js";

const fp = (dst: number, off: number): Instruction[] => [mov64Reg(dst, 10), add64Imm(dst, off)];
const imm = (dst: number, v: number | bigint): Instruction => (typeof v === "bigint" || v > 0x7fffffff || v < -0x80000000 ? lddw(dst, BigInt(v)) : mov64Imm(dst, v));
/** r1 = ctx, r2..r5 = the values, call, r7 = r0 */
const helper = (id: number, ...args: (number | bigint | Instruction[])[]): Instruction[] => {
  const out: Instruction[] = [mov64Reg(1, 6)];
  args.forEach((v, k) => out.push(...(Array.isArray(v) ? v : [imm(k + 2, v)])));
  return [...out, call(id), mov64Reg(7, 0)];
};
/** r1..r5 = the values (no context), call, r7 = r0 */
const plain = (id: number, ...args: (number | bigint | Instruction[])[]): Instruction[] => [
  ...args.flatMap((v, k) => (Array.isArray(v) ? v : [imm(k + 1, v)])), call(id), mov64Reg(7, 0),
];
/** Also keep r0 of this call in the output at fp-64 + 8 * slot. */
const keep = (slot: number): Instruction => stx("dw", 10, -64 + 8 * slot, 0);

function ipv4Udp(opts: { tos?: number; vlan?: boolean; payload?: number } = {}): Uint8Array {
  const payload = opts.payload ?? 18;
  const ip = new Uint8Array(20 + 8 + payload);
  const v = new DataView(ip.buffer);
  v.setUint8(0, 0x45); v.setUint8(1, opts.tos ?? 0); v.setUint16(2, ip.length); v.setUint16(4, 0x1234); v.setUint8(8, 64); v.setUint8(9, 17);
  v.setUint32(12, 0x0a000001); v.setUint32(16, 0x0a000002);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, 1234); v.setUint16(22, 53); v.setUint16(24, 8 + payload); v.setUint16(26, 0xbeef);
  for (let i = 0; i < payload; i++) ip[28 + i] = i * 7;
  const l2 = opts.vlan ? [0x81, 0x00, 0x00, 0x05, 0x08, 0x00] : [0x08, 0x00];
  const frame = new Uint8Array(12 + l2.length + ip.length);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  frame.set(l2, 12);
  frame.set(ip, 12 + l2.length);
  return frame;
}

function ipv6Udp(tclass = 0): Uint8Array {
  const frame = new Uint8Array(14 + 40 + 8 + 16);
  const v = new DataView(frame.buffer);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);
  v.setUint32(14, (6 << 28) | (tclass << 20) | 0x12345);
  v.setUint16(18, 24); v.setUint8(20, 17); v.setUint8(21, 64);
  frame[22 + 15] = 1; frame[38 + 15] = 2;
  v.setUint16(54, 1234); v.setUint16(56, 53); v.setUint16(58, 24);
  return frame;
}

function same(name: string, body: Body, type: "xdp" | "sched_cls" | "socket_filter", data: Uint8Array): void {
  const { kernel, runtime } = bothWays(body, { type, data });
  assert.equal(runtime.retval, kernel.retval, `${name}: return value`);
  assert.deepEqual(runtime.out, kernel.out, `${name}: helper output`);
  assert.deepEqual(runtime.data, kernel.data, `${name}: packet`);
}

test("xdp_adjust_head, _tail and _meta move the buffer's ends as the kernel's", { skip }, () => {
  const pkt = ipv4Udp();
  for (const d of [-14, 14, 0, -216, -217, -300, 60, pkt.length - 14, pkt.length - 13]) same(`xdp_adjust_head(${d})`, () => helper(44, d), "xdp", pkt);
  for (const d of [100, -20, 0, -(pkt.length - 14), -(pkt.length - 13), 3520 - pkt.length, 3521 - pkt.length]) same(`xdp_adjust_tail(${d})`, () => helper(65, d), "xdp", pkt);
  for (const d of [-8, -32, -36, -6, 4, -216]) same(`xdp_adjust_meta(${d})`, () => helper(54, d), "xdp", pkt);
  // Metadata moves with the head; the buffer length follows.
  same("meta then head", () => [...helper(54, -8), keep(0), ...helper(44, -20), keep(1), ...helper(44, 30), keep(2), ...helper(188), keep(3), ...helper(65, 7), ...helper(188)], "xdp", pkt);
});

test("xdp_load_bytes and xdp_store_bytes copy within the buffer, and refuse what the kernel refuses", { skip }, () => {
  const pkt = ipv4Udp();
  for (const [off, len] of [[0, 8], [40, 12], [pkt.length - 4, 4], [pkt.length - 3, 4], [0x10000, 4]] as const) {
    same(`xdp_load_bytes(${off}, ${len})`, () => [...helper(189, off, fp(3, -64), len)], "xdp", pkt);
  }
  same("xdp_store_bytes", () => [st("dw", 10, -16, 0x11223344), ...helper(190, 6, fp(3, -16), 6), keep(0), ...helper(190, pkt.length - 2, fp(3, -16), 4)], "xdp", pkt);
});

test("skb_load_bytes, _relative and skb_store_bytes as the kernel's", { skip }, () => {
  const pkt = ipv4Udp();
  for (const [off, len] of [[0, 14], [26, 8], [pkt.length - 8, 8], [pkt.length - 7, 8]] as const) {
    same(`skb_load_bytes(${off}, ${len})`, () => helper(26, off, fp(3, -64), len), "sched_cls", pkt);
  }
  for (const [off, len, start] of [[0, 8, 0], [12, 8, 1], [0, 4, 1], [40, 16, 1], [0, 8, 2]] as const) {
    same(`skb_load_bytes_relative(${off}, ${len}, ${start})`, () => helper(68, off, fp(3, -64), len, start), "socket_filter", pkt);
    same(`tc skb_load_bytes_relative(${off}, ${len}, ${start})`, () => helper(68, off, fp(3, -64), len, start), "sched_cls", pkt);
  }
  same("skb_store_bytes", () => [st("dw", 10, -16, 0x55667788), ...helper(9, 30, fp(3, -16), 4, 0), keep(0), ...helper(9, pkt.length - 2, fp(3, -16), 4, 0), keep(1), ...helper(9, 0, fp(3, -16), 2, 4)], "sched_cls", pkt);
});

test("l3_csum_replace, l4_csum_replace and csum_diff fix checksums as the kernel's", { skip }, () => {
  const pkt = ipv4Udp();
  const ipCsum = 14 + 10, udpCsum = 14 + 20 + 6;
  // Change the source address 10.0.0.1 to 192.168.1.77 and fix both checksums.
  const from = 0x0100000a, to = 0x4d01a8c0;
  same("rewrite with l3 and l4 (pseudo header) replace", () => [
    st("w", 10, -16, to), ...helper(9, 14 + 12, fp(3, -16), 4, 0),
    ...helper(10, ipCsum, from, to, 4), keep(0),
    ...helper(11, udpCsum, from, to, 0x10 | 4), keep(1),
    ...helper(10, ipCsum, 0x4000, 0x0000, 2), keep(2),
    ...helper(10, ipCsum, 1, 5, 0), keep(3),
    ...helper(10, ipCsum + 1, 0, 5, 2), keep(4),
    ...helper(10, ipCsum, 0, 5, 3), keep(5),
  ], "sched_cls", pkt);
  same("l4 replace of a zero UDP checksum, with and without BPF_F_MARK_MANGLED_0", () => [
    st("w", 10, -16, 0), ...helper(9, udpCsum, fp(3, -16), 2, 0),
    ...helper(11, udpCsum, from, to, 0x20 | 0x10 | 4), keep(0),
    ...helper(11, udpCsum, 0, 0xffff, 0x20 | 0x40 | 0), keep(1),
    ...helper(11, udpCsum, 0x1234, 0x1234, 0x200 | 2), keep(2),
  ], "sched_cls", pkt);
  same("csum_diff", () => [
    st("dw", 10, -24, 0x01020304), st("dw", 10, -16, 0x7f000001),
    ...plain(28, fp(1, -24), 8, fp(3, -16), 8, 0), keep(0),
    ...plain(28, fp(1, -24), 0, fp(3, -16), 8, 0x1234), keep(1),
    ...plain(28, fp(1, -24), 8, fp(3, -16), 0, 0xffff), keep(2),
    ...plain(28, fp(1, -24), 0, fp(3, -16), 0, 77), keep(3),
    ...plain(28, fp(1, -24), 6, fp(3, -16), 8, 0), keep(4),
    ...plain(28, fp(1, -24), 4, fp(3, -16), 4, -1), keep(5),
  ], "sched_cls", pkt);
});

test("skb_pull_data, skb_change_proto and skb_adjust_room reshape the packet as the kernel's", { skip }, () => {
  const v4 = ipv4Udp(), v6 = ipv6Udp();
  for (const len of [0, 14, v4.length, v4.length + 1]) same(`skb_pull_data(${len})`, () => helper(39, len), "sched_cls", v4);
  same("skb_change_proto(ipv6)", () => helper(31, 0xdd86, 0), "sched_cls", v4);
  same("skb_change_proto(ipv4) of ipv6", () => helper(31, 0x0008, 0), "sched_cls", v6);
  same("skb_change_proto(ipv4) of ipv4", () => helper(31, 0x0008, 0), "sched_cls", v4);
  same("skb_change_proto flags", () => helper(31, 0xdd86, 1), "sched_cls", v4);
  for (const [diff, mode, flags] of [[8, 0, 0], [-8, 0, 0], [16, 1, 0], [-4, 1, 0], [20, 0, 0x20], [-30, 0, 0], [0x1000, 0, 0], [8, 2, 0], [8, 0, 0x200]] as const) {
    same(`skb_adjust_room(${diff}, ${mode}, ${flags})`, () => helper(50, diff, mode, flags), "sched_cls", v4);
  }
  same("skb_adjust_room on ipv6", () => [...helper(50, 24, 0, 0), keep(0), ...helper(50, -24, 0, 0)], "sched_cls", v6);
});

test("VLAN tags, ECN marking and redirects as the kernel's", { skip }, () => {
  const ctxVlan: Instruction[] = [ldx("w", 1, 6, 20), stx("dw", 10, -32, 1), ldx("w", 1, 6, 24), stx("dw", 10, -24, 1), ldx("w", 1, 6, 28), stx("dw", 10, -16, 1), ldx("w", 1, 6, 16), stx("dw", 10, -8, 1)];
  same("vlan push, push, pop", () => [...helper(18, 0x0081, 7), keep(0), ...helper(18, 0xa888, 9), keep(1), ...helper(19), keep(2), ...ctxVlan], "sched_cls", ipv4Udp());
  same("vlan pop of a tagged frame", () => [...helper(19), keep(0), ...ctxVlan], "sched_cls", ipv4Udp({ vlan: true }));
  same("vlan push of an odd protocol", () => [...helper(18, 0x1234, 3), ...ctxVlan], "sched_cls", ipv4Udp());
  for (const tos of [0, 1, 2, 3, 0xfe]) same(`skb_ecn_set_ce tos ${tos}`, () => helper(97), "sched_cls", ipv4Udp({ tos }));
  for (const tclass of [0, 1, 2, 3]) same(`skb_ecn_set_ce ipv6 tclass ${tclass}`, () => helper(97), "sched_cls", ipv6Udp(tclass));
  for (const flags of [0, 1, 2]) {
    same(`tc redirect flags ${flags}`, () => plain(23, 1, flags), "sched_cls", ipv4Udp());
    same(`xdp redirect flags ${flags}`, () => plain(23, 1, flags), "xdp", ipv4Udp());
  }
});

test("skb_change_tail, skb_change_head, skb_change_type, csum_update and csum_level as the kernel's", { skip }, () => {
  const pkt = ipv4Udp();
  for (const len of [pkt.length + 40, pkt.length - 10, 14, 13, 0, pkt.length]) same(`skb_change_tail(${len})`, () => helper(38, len, 0), "sched_cls", pkt);
  same("skb_change_tail flags", () => helper(38, 20, 1), "sched_cls", pkt);
  for (const room of [0, 4, 14, 100]) same(`skb_change_head(${room})`, () => helper(43, room, 0), "sched_cls", pkt);
  same("skb_change_head flags", () => helper(43, 4, 2), "sched_cls", pkt);
  const pktType: Instruction[] = [ldx("w", 1, 6, 4), stx("dw", 10, -8, 1)];
  for (const t of [0, 3]) same(`skb_change_type(${t})`, () => [...helper(32, t), ...pktType], "sched_cls", pkt);
  same("skb_change_type(4)", () => helper(32, 4), "sched_cls", pkt);
  same("csum_update", () => helper(40, 0x1234), "sched_cls", pkt);
  same("csum_level", () => [
    ...helper(135, 0), keep(0), ...helper(135, 1), keep(1), ...helper(135, 0), keep(2), ...helper(135, 1), ...helper(135, 1), ...helper(135, 1), ...helper(135, 1),
    ...helper(135, 0), keep(3), ...helper(135, 2), ...helper(135, 0), keep(4), ...helper(135, 3), ...helper(135, 0), keep(5), ...helper(135, 9), keep(6),
  ], "sched_cls", pkt);
});

test("skb_set_tunnel_key and skb_get_tunnel_key keep and give back the tunnel metadata as the kernel's", { skip }, () => {
  const pkt = ipv4Udp();
  // A key at fp-48 (44 bytes): id 42, remote 10.1.1.1, tos 3, ttl 64, local 10.2.2.2; read back at fp-64... (overlapping the output on purpose: it is the output).
  const key: Instruction[] = [
    st("w", 10, -48, 42), st("w", 10, -44, 0x0a010101), st("w", 10, -40, 0), st("w", 10, -36, 0), st("w", 10, -32, 0),
    st("h", 10, -28, 0x4003), st("h", 10, -26, 0), st("w", 10, -24, 0), st("w", 10, -20, 0x0a020202), st("w", 10, -16, 0), st("w", 10, -12, 0), st("w", 10, -8, 0),
  ];
  same("get without a key", () => helper(20, fp(2, -64), 44, 0), "sched_cls", pkt);
  for (const [size, flags] of [[44, 0], [28, 0], [24, 2], [22, 4 | 8], [8, 16], [20, 0], [44, 32]] as const) {
    same(`set(${size}, ${flags}) then get`, () => [...key, ...helper(21, fp(2, -48), size, flags), keep(0), ...helper(20, fp(2, -48), 44, 0x10), ...helper(20, fp(2, -64), 8, 0), keep(1)], "sched_cls", pkt);
  }
  same("set ipv6, get as ipv4 and ipv6", () => [...key, ...helper(21, fp(2, -48), 44, 1), keep(0), ...helper(20, fp(2, -64), 24, 0), keep(1), ...helper(20, fp(2, -48), 44, 1)], "sched_cls", pkt);
  same("a label without ipv6", () => [...key, st("w", 10, -24, 5), ...helper(21, fp(2, -48), 44, 0)], "sched_cls", pkt);
});

test("set_hash, set_hash_invalid and get_hash_recalc keep skb->hash as the kernel's", { skip }, () => {
  const hash: Instruction[] = [ldx("w", 1, 6, 68), stx("dw", 10, -8, 1)];
  same("set_hash then recalc", () => [...helper(48, 0x1234), keep(0), ...helper(34), keep(1), ldx("w", 1, 6, 68), stx("dw", 10, -48, 1)], "sched_cls", ipv4Udp());
  same("set_hash then invalid", () => [...helper(48, 0x99), ...helper(41), keep(0), ...hash], "sched_cls", ipv4Udp());
});

test("redirect_neigh, redirect_peer and clone_redirect return what the kernel's do", { skip }, () => {
  const pkt = ipv4Udp();
  for (const [ifindex, flags] of [[1, 0], [1, 1], [999, 0]] as const) {
    same(`redirect_neigh(${ifindex}, NULL, 0, ${flags})`, () => plain(152, ifindex, 0, 0, flags), "sched_cls", pkt);
    same(`redirect_peer(${ifindex}, ${flags})`, () => plain(155, ifindex, flags), "sched_cls", pkt);
    same(`clone_redirect(${ifindex}, ${flags})`, () => helper(13, ifindex, flags), "sched_cls", pkt);
  }
  same("redirect_neigh with a bad params size", () => [st("w", 10, -24, 2), st("w", 10, -20, 0x0100007f), ...plain(152, 1, fp(2, -24), 8, 0)], "sched_cls", pkt);
});

test("skb_cgroup_id and skb_ancestor_cgroup_id are the calling task's cgroups, as in the kernel's test run", { skip }, () => {
  same("cgroup ids", () => [...helper(79), keep(0), ...helper(83, 0), keep(1), ...helper(83, 1), keep(2), ...helper(83, 50), keep(3)], "sched_cls", ipv4Udp());
});
