/**
 * @fileoverview Random token soup and random classic programs: the compiler either compiles
 * or raises a FilterError, the interpreter either returns or raises a CbpfExecutionError, and
 * neither takes long; compiled programs run to a verdict on random packets.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { CbpfExecutionError, runCbpf } from "../../src/cbpf/interpreter.js";
import { compileFilter, FilterError } from "../../src/cbpf/pcap/index.js";

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WORDS = ["host", "net", "port", "portrange", "src", "dst", "or", "and", "not", "!", "(", ")", "[", "]", ":", "=", "!=", "<", ">",
  "<=", ">=", "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp", "ether", "vlan",
  "mpls", "pppoes", "geneve", "protochain", "proto", "len", "less", "greater", "broadcast", "multicast", "10.0.0.1", "10.0/8",
  "::1", "fe80::/10", "00:11:22:33:44:55", "80", "0", "4", "0x1fff", "1-1024", "tcpflags", "tcp-syn", "icmptype", "\\tcp", "mask",
  "255.0.0.0", "gateway", "byte", "inbound", "ifindex", "http", "&&", "||"];

test("random expressions compile or are refused with a FilterError, quickly", () => {
  const r = rng(7);
  const packets = Array.from({ length: 20 }, () => Uint8Array.from({ length: Math.floor(r() * 120) }, () => Math.floor(r() * 256)));
  let compiled = 0;
  const start = performance.now();
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(r() * 9);
    const expr = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
    for (const optimize of [false, true]) {
      try {
        const { program } = compileFilter(expr, { optimize, linkType: ["EN10MB", "RAW", "LINUX_SLL2", "NULL"][i % 4] });
        compiled++;
        for (const p of packets) assert.equal(typeof runCbpf(program, p), "number", expr);
      } catch (e) {
        if (!(e instanceof FilterError)) throw new Error(`'${expr}': ${String(e)}`);
      }
    }
  }
  assert.ok(compiled > 100, `${compiled} compiled`);
  assert.ok(performance.now() - start < 60_000);
});

test("random classic programs return a length or raise a CbpfExecutionError", () => {
  const r = rng(11);
  const CODES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1d, 0x20, 0x25, 0x28, 0x30, 0x35, 0x3c,
    0x40, 0x45, 0x48, 0x50, 0x54, 0x60, 0x61, 0x64, 0x74, 0x80, 0x84, 0x87, 0x94, 0x9c, 0xa4, 0xb1, 0xff];
  const pkt = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
  for (let i = 0; i < 5000; i++) {
    const len = 1 + Math.floor(r() * 12);
    const prog = Array.from({ length: len }, () => ({
      code: CODES[Math.floor(r() * CODES.length)]!, jt: Math.floor(r() * 4), jf: Math.floor(r() * 4),
      k: r() < 0.5 ? Math.floor(r() * 80) : Math.floor(r() * 2 ** 32),
    }));
    try {
      const v = runCbpf(prog, pkt, { random: 4 });
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    } catch (e) {
      if (!(e instanceof CbpfExecutionError)) throw e;
    }
  }
});
