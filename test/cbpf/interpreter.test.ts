/**
 * @fileoverview The classic machine: every ALU and jump operation, scratch memory, the IP
 * header length load, loads past the packet and division by zero ending the run with 0 (as
 * the kernel does), ancillary loads from the context, negative offsets, `ret a`.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { CbpfExecutionError, runCbpf } from "../../src/cbpf/interpreter.js";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, SkfAd, type SockFilter } from "../../src/cbpf/insn.js";
import { parseProgram } from "../../src/cbpf/text.js";

const ins = (code: number, k = 0, jt = 0, jf = 0): SockFilter => ({ code, jt, jf, k: k >>> 0 });
const RET_A = ins(0x16);
/** ld #a; ldx #x; OP; ret a */
const alu = (a: number, x: number, op: SockFilter) => runCbpf([ins(0x00, a), ins(0x01, x), op, RET_A], new Uint8Array(0));

test("ALU operations with K and X", () => {
  assert.equal(alu(7, 5, ins(0x0c)), 12);
  assert.equal(alu(7, 5, ins(0x1c)), 2);
  assert.equal(alu(5, 7, ins(0x1c)), 0xfffffffe);
  assert.equal(alu(0x10000, 0x10000, ins(0x2c)), 0);
  assert.equal(alu(0xffffffff, 3, ins(0x3c)), 0x55555555);
  assert.equal(alu(17, 5, ins(0x9c)), 2);
  assert.equal(alu(0xf0, 0x0f, ins(0x4c)), 0xff);
  assert.equal(alu(0xf0, 0x3c, ins(0x5c)), 0x30);
  assert.equal(alu(0xf0, 0x3c, ins(0xac)), 0xcc);
  assert.equal(alu(1, 31, ins(0x6c)), 0x80000000);
  assert.equal(alu(0x80000000, 31, ins(0x7c)), 1);
  assert.equal(alu(5, 0, ins(0x84)), 0xfffffffb);
  assert.equal(alu(7, 0, ins(0x04, 0xffffffff)), 6);
  assert.equal(alu(100, 0, ins(0x34, 7)), 14);
  assert.equal(alu(100, 0, ins(0x94, 7)), 2);
  assert.equal(alu(3, 9, ins(0x87)), 9); // txa
});

test("division or modulus by X = 0 ends the program with 0", () => {
  assert.equal(alu(7, 0, ins(0x3c)), 0);
  assert.equal(alu(7, 0, ins(0x9c)), 0);
});

test("jumps: jeq, jgt, jge, jset with K and X, and ja", () => {
  const prog = (j: SockFilter) => [ins(0x00, 5), ins(0x01, 5), j, ins(0x06, 1), ins(0x06, 2)];
  const run = (j: SockFilter) => runCbpf(prog(j), new Uint8Array(0));
  assert.equal(run(ins(0x15, 5, 0, 1)), 1);
  assert.equal(run(ins(0x15, 6, 0, 1)), 2);
  assert.equal(run(ins(0x25, 4, 0, 1)), 1);
  assert.equal(run(ins(0x25, 5, 0, 1)), 2);
  assert.equal(run(ins(0x35, 5, 0, 1)), 1);
  assert.equal(run(ins(0x45, 4, 0, 1)), 1);
  assert.equal(run(ins(0x45, 2, 0, 1)), 2);
  assert.equal(run(ins(0x1d, 0, 0, 1)), 1);
  assert.equal(run(ins(0x2d, 0, 0, 1)), 2);
  assert.equal(run(ins(0x3d, 0, 0, 1)), 1);
  assert.equal(run(ins(0x05, 1)), 2);
});

test("packet loads: absolute, indirect, the IP header length, length and scratch memory", () => {
  const pkt = Uint8Array.from([0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x99]);
  assert.equal(runCbpf([ins(0x20, 4), RET_A], pkt), 0xdeadbeef);
  assert.equal(runCbpf([ins(0x28, 2), RET_A], pkt), 0x1234);
  assert.equal(runCbpf([ins(0x30, 8), RET_A], pkt), 0x99);
  assert.equal(runCbpf([ins(0x01, 2), ins(0x48, 0), RET_A], pkt), 0x1234);
  assert.equal(runCbpf([ins(0xb1, 0), ins(0x87), RET_A], pkt), 20);
  assert.equal(runCbpf([ins(0x80), RET_A], pkt), 9);
  assert.equal(runCbpf([ins(0x80), RET_A], pkt, { length: 1500 }), 1500);
  assert.equal(runCbpf([ins(0x00, 42), ins(0x02, 15), ins(0x00, 0), ins(0x61, 15), ins(0x87), RET_A], pkt), 42);
  assert.equal(runCbpf(parseProgram("(000) ldx      #0x7\n(001) stx      M[3]\n(002) ld       M[3]\n(003) ret      \n"), pkt), 7);
});

test("a load past the packet ends the program with 0, as the kernel's does", () => {
  const pkt = new Uint8Array(10);
  assert.equal(runCbpf([ins(0x20, 7), ins(0x06, 99)], pkt), 0);
  assert.equal(runCbpf([ins(0x28, 9), ins(0x06, 99)], pkt), 0);
  assert.equal(runCbpf([ins(0x30, 10), ins(0x06, 99)], pkt), 0);
  assert.equal(runCbpf([ins(0x01, 0xffffffff), ins(0x50, 2), ins(0x06, 99)], pkt), 0);
  assert.equal(runCbpf([ins(0xb1, 10), ins(0x06, 99)], pkt), 0);
  assert.equal(runCbpf([ins(0x20, 6), ins(0x06, 99)], pkt), 99);
});

test("ancillary loads read the context; negative offsets reach the network and link headers", () => {
  const ctx = { protocol: 0x86dd, pkttype: 4, ifindex: 3, mark: 0x55, queue: 2, hatype: 1, rxhash: 0xabcd, cpu: 1, vlan_tci: 100, vlan_present: 1, vlan_tpid: 0x88a8, random: 1234 };
  const ad = (n: number) => runCbpf([ins(0x20, SKF_AD_OFF + n), RET_A], new Uint8Array(0), ctx);
  assert.equal(ad(SkfAd.Protocol), 0x86dd);
  assert.equal(ad(SkfAd.PktType), 4);
  assert.equal(ad(SkfAd.Ifindex), 3);
  assert.equal(ad(SkfAd.Mark), 0x55);
  assert.equal(ad(SkfAd.Queue), 2);
  assert.equal(ad(SkfAd.Hatype), 1);
  assert.equal(ad(SkfAd.Rxhash), 0xabcd);
  assert.equal(ad(SkfAd.Cpu), 1);
  assert.equal(ad(SkfAd.VlanTag), 100);
  assert.equal(ad(SkfAd.VlanTagPresent), 1);
  assert.equal(ad(SkfAd.VlanTpid), 0x88a8);
  assert.equal(ad(SkfAd.Random), 1234);
  assert.equal(runCbpf([ins(0x00, 0xf0), ins(0x01, 0x0f), ins(0x20, SKF_AD_OFF + SkfAd.AluXorX), RET_A], new Uint8Array(0)), 0xff);
  assert.equal(runCbpf([ins(0x28, SKF_AD_OFF + SkfAd.PktType), RET_A], new Uint8Array(0), ctx), 4);
  const frame = new Uint8Array(34);
  frame[14] = 0x45;
  frame[6] = 0x02;
  assert.equal(runCbpf([ins(0x30, SKF_NET_OFF), RET_A], frame), 0x45);
  assert.equal(runCbpf([ins(0x30, SKF_LL_OFF + 6), RET_A], frame), 2);
  assert.equal(runCbpf([ins(0x30, SKF_NET_OFF), RET_A], frame, { networkOffset: 6 }), 2);
  assert.equal(runCbpf([ins(0x30, -5), ins(0x06, 1)], frame), 0);
});

test("a program that runs off its end or uses no opcode is an execution error", () => {
  assert.throws(() => runCbpf([ins(0x00, 1)], new Uint8Array(0)), CbpfExecutionError);
  assert.throws(() => runCbpf([ins(0xff), ins(0x06, 0)], new Uint8Array(0)), (e: unknown) => e instanceof CbpfExecutionError && e.pc === 0);
});
