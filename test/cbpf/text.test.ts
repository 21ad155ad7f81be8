/**
 * @fileoverview tcpdump's three text forms of a classic program: every opcode printed as
 * libpcap's bpf_image prints it and read back, tcpdump's own -d/-dd/-ddd output reproduced
 * byte for byte from its -ddd numbers, and bad listings refused with their line.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { test } from "node:test";
import { AssemblerError } from "../../src/errors.js";
import type { SockFilter } from "../../src/cbpf/insn.js";
import { formatC, formatDecimal, formatListing, formatProgram, imageInsn, parseProgram } from "../../src/cbpf/text.js";

const ins = (code: number, k = 0, jt = 0, jf = 0): SockFilter => ({ code, jt, jf, k: k >>> 0 });

test("each opcode prints as bpf_image prints it", () => {
  const cases: [SockFilter, string][] = [
    [ins(0x28, 12), "(000) ldh      [12]"],
    [ins(0x20, 26), "(000) ld       [26]"],
    [ins(0x30, 23), "(000) ldb      [23]"],
    [ins(0x48, 14), "(000) ldh      [x + 14]"],
    [ins(0xb1, 14), "(000) ldxb     4*([14]&0xf)"],
    [ins(0x80), "(000) ld       #pktlen"],
    [ins(0x00, 0x45), "(000) ld       #0x45"],
    [ins(0x01, 7), "(000) ldx      #0x7"],
    [ins(0x60, 3), "(000) ld       M[3]"],
    [ins(0x61, 3), "(000) ldx      M[3]"],
    [ins(0x02, 15), "(000) st       M[15]"],
    [ins(0x03, 1), "(000) stx      M[1]"],
    [ins(0x15, 0x800, 0, 3), "(000) jeq      #0x800           jt 1\tjf 4"],
    [ins(0x45, 0x1fff, 21, 0), "(000) jset     #0x1fff          jt 22\tjf 1"],
    [ins(0x2d, 0, 1, 2), "(000) jgt      x                jt 2\tjf 3"],
    [ins(0x05, 5), "(000) ja       6"],
    [ins(0x04, -1), "(000) add      #-1"],
    [ins(0x54, 0xf0), "(000) and      #0xf0"],
    [ins(0xa4, 0xff), "(000) xor      #0xff"],
    [ins(0x94, 3), "(000) mod      #3"],
    [ins(0x9c), "(000) mod      x"],
    [ins(0x84), "(000) neg      "],
    [ins(0x07), "(000) tax      "],
    [ins(0x87), "(000) txa      "],
    [ins(0x06, 262144), "(000) ret      #262144"],
    [ins(0x16), "(000) ret      "],
    [ins(0x28, -0x1000 + 4), "(000) ldh      [type]"],
    [ins(0x20, -0x1000 + 44), "(000) ld       [vlan_tci]"],
    [ins(0x20, -0x100000), "(000) ld       [-1048576]"],
    [ins(0xff), "(000) unimp    0xff"],
  ];
  for (const [insn, text] of cases) assert.equal(imageInsn(insn, 0), text);
});

test("all three forms read back to the same program", () => {
  const program: SockFilter[] = [
    ins(0x28, 12), ins(0x15, 0x86dd, 0, 9), ins(0x30, 20), ins(0x15, 6, 0, 7), ins(0xb1, 14), ins(0x48, 16),
    ins(0x00, 0), ins(0x02, 0), ins(0x61, 0), ins(0x0c), ins(0x94, 7), ins(0x45, 0x1fff, 1, 0), ins(0x05, 0),
    ins(0x20, -0x1000 + 48), ins(0x84), ins(0x16), ins(0x06, 0),
  ];
  for (const form of [1, 2, 3] as const) assert.deepEqual(parseProgram(formatProgram(program, form)), program, `form ${form}`);
});

test("bad text is refused with its line", () => {
  assert.throws(() => parseProgram("(000) ldq [12]\n"), (e: unknown) => e instanceof AssemblerError && e.line === 1 && /unknown mnemonic 'ldq'/.test(e.message));
  assert.throws(() => parseProgram("(000) ldh [12]\n(002) ret #0\n"), (e: unknown) => e instanceof AssemblerError && e.line === 2);
  assert.throws(() => parseProgram("(000) jeq #1\n"), (e: unknown) => e instanceof AssemblerError && /needs 'jt N jf M'/.test(e.message));
  assert.throws(() => parseProgram("3\n6 0 0 0\n"), (e: unknown) => e instanceof AssemblerError && /count says 3/.test(e.message));
  assert.throws(() => parseProgram("{ 0x10000, 0, 0, 0 },\n"), AssemblerError);
  assert.throws(() => parseProgram("(000) ld [x + zz]\n"), AssemblerError);
});

test("tcpdump's -d, -dd and -ddd output is reproduced from its numbers", (t) => {
  if (spawnSync("tcpdump", ["--version"]).status !== 0) { t.skip("tcpdump is not installed"); return; }
  const exprs = ["tcp port 80", "ip6 and udp", "vlan 10 and host 10.0.0.1", "tcp[tcpflags] & tcp-syn != 0", "ip[0] % 3 = 1 or len > 100", "inbound", "icmp6 or arp"];
  for (const e of exprs) {
    const tcpdump = (flag: string) => execFileSync("tcpdump", [flag, "--", e], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const program = parseProgram(tcpdump("-ddd"));
    assert.equal(formatListing(program), tcpdump("-d"), e);
    assert.equal(formatC(program), tcpdump("-dd"), e);
    assert.equal(formatDecimal(program), tcpdump("-ddd"), e);
    assert.deepEqual(parseProgram(tcpdump("-d")), program, e);
    assert.deepEqual(parseProgram(tcpdump("-dd")), program, e);
  }
});
