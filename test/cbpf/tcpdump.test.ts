/**
 * @fileoverview tcpdump's own compiled filters (`tcpdump -dd`), converted by tsbpf, count the
 * same packets of the bundled captures as `tcpdump --count` does, on the interpreter, the JIT
 * and the kernel (as sched_cls programs, which see the frame from its Ethernet header, as a
 * filter on an Ethernet capture does).
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { convertClassic } from "../../src/cbpf/convert.js";
import type { SockFilter } from "../../src/cbpf/insn.js";
import { readCapture } from "../../src/capture/index.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { Runtime } from "../../src/runtime/index.js";
import { skip as noKernel } from "../kernel/helpers.js";

function tcpdumpWorks(): string | false {
  try {
    execFileSync("tcpdump", ["--version"], { stdio: "pipe" });
    return false;
  } catch {
    return "needs tcpdump";
  }
}
const skip = tcpdumpWorks();

const CAPTURES = ["traffic.pcap", "lb.pcap", "dns.pcapng"].map((f) => new URL(`../../examples/${f}`, import.meta.url).pathname);
const EXPRESSIONS = [
  "tcp port 80", "udp", "host 10.0.0.1 and not port 22", "icmp", "tcp[tcpflags] & tcp-syn != 0", "ip6", "vlan", "greater 100",
  "less 80", "ether broadcast", "port 53", "arp", "net 10.0.0.0/8", "tcp dst portrange 1-1024", "ip[8] < 64",
  "udp and ip[6:2] & 0x1fff = 0", "ether multicast", "ip proto 4", "tcp[13] = 0x12", "ip and len >= 60 and not udp",
];

/** `tcpdump -dd` lines, `{ 0x28, 0, 0, 0x0000000c },`, as instructions. */
const programs = new Map<string, SockFilter[]>();
function tcpdumpProgram(expr: string): SockFilter[] {
  const known = programs.get(expr);
  if (known) return known;
  const text = execFileSync("tcpdump", ["-y", "EN10MB", "-dd", expr], { stdio: ["ignore", "pipe", "pipe"] }).toString();
  const prog = [...text.matchAll(/\{ (0x[0-9a-f]+), (\d+), (\d+), (0x[0-9a-f]+) \}/g)].map((m) => ({ code: Number(m[1]), jt: Number(m[2]), jf: Number(m[3]), k: Number(m[4]) >>> 0 }));
  programs.set(expr, prog);
  return prog;
}

const tcpdumpCount = (file: string, expr: string) =>
  Number(/^(\d+) packets?/m.exec(execFileSync("tcpdump", ["-r", file, "--count", expr], { stdio: ["ignore", "pipe", "pipe"] }).toString())![1]);

test("tcpdump's filters, converted, count what tcpdump counts on the interpreter and the JIT", { skip }, () => {
  const runtime = new Runtime();
  let matched = 0;
  for (const file of CAPTURES) {
    const packets = readCapture(new Uint8Array(readFileSync(file))).packets;
    for (const expr of EXPRESSIONS) {
      const insns = convertClassic(tcpdumpProgram(expr));
      const want = tcpdumpCount(file, expr);
      for (const engine of ["interp", "jit"] as const) {
        const p = runtime.load(insns, { type: "sched_cls", engine });
        const got = packets.filter((pkt) => p.testRun({ data: pkt.data }).retval !== 0).length;
        assert.equal(got, want, `${engine}: '${expr}' on ${file}`);
      }
      matched += want;
    }
  }
  assert.ok(matched > 300, `the expressions match something (${matched})`);
});

test("... and in the kernel, packet by packet", { skip: skip || noKernel }, () => {
  const runtime = new Runtime();
  for (const file of CAPTURES) {
    const packets = readCapture(new Uint8Array(readFileSync(file))).packets;
    for (const expr of EXPRESSIONS) {
      const insns = convertClassic(tcpdumpProgram(expr));
      const ours = runtime.load(insns, { type: "sched_cls" });
      const k = KernelProgram.load({ type: "sched_cls", instructions: insns });
      try {
        packets.forEach((pkt, i) => assert.equal(k.testRun({ data: pkt.data }).retval, ours.testRun({ data: pkt.data }).retval, `'${expr}' on ${file}, packet ${i}`));
      } finally {
        k.close();
      }
    }
  }
});
