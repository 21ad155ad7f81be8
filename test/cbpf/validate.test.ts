/**
 * @fileoverview bpf_check_classic and seccomp_check_filter: each rule by hand, then against
 * the kernel, which must refuse (SO_ATTACH_FILTER, EINVAL) exactly the programs tsbpf refuses.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { jump, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, stmt, type SockFilter } from "../../src/cbpf/insn.js";
import { checkSeccompFilter, ClassicValidationError, validateClassic } from "../../src/cbpf/validate.js";
import { attachClassicFilter, DatagramPair, SyscallError } from "../../src/kernel/socket-filter.js";
import { skip } from "../kernel/helpers.js";
import { randomProgram, rng } from "./random.js";

const RET_A = stmt(0x16, 0);
const ret = (k: number) => stmt(0x06, k);

/** Programs the kernel refuses, with the words of tsbpf's error. */
const REFUSED: [string, SockFilter[], RegExp][] = [
  ["empty", [], /^empty classic program$/],
  ["too long", new Array<SockFilter>(4097).fill(ret(0)), /4097 instructions: more than 4096/],
  ["unknown opcode", [stmt(0x68, 0), RET_A], /^insn 0: unknown opcode 0x68$/],
  ["ret x", [stmt(0x0e, 0)], /^insn 0: unknown opcode 0x0e$/],
  ["div by constant zero", [stmt(0x00, 1), stmt(0x34, 0), RET_A], /^insn 1: div by constant zero$/],
  ["mod by constant zero", [stmt(0x94, 0), RET_A], /^insn 0: mod by constant zero$/],
  ["shift by 32", [stmt(0x64, 32), RET_A], /^insn 0: shift by 32: at most 31$/],
  ["rsh by 40", [stmt(0x74, 40), RET_A], /^insn 0: shift by 40/],
  ["scratch word 16", [stmt(0x02, 16), RET_A], /^insn 0: scratch memory M\[16\] out of range/],
  ["ja out of the program", [stmt(0x05, 1), RET_A], /^insn 0: ja \+1 jumps out/],
  ["jeq out of the program", [jump(0x15, 0, 0, 1), RET_A], /^insn 0: jump \(jt 0, jf 1\) out/],
  ["unknown ancillary", [stmt(0x20, SKF_AD_OFF + 64), RET_A], /^insn 0: unknown ancillary load SKF_AD_OFF\+64$/],
  ["last not a return", [stmt(0x00, 1)], /^insn 0: the last instruction is not a return$/],
  ["M read before write", [stmt(0x60, 3), RET_A], /^insn 0: M\[3\] read before it is written/],
  ["M written on one path only", [jump(0x15, 1, 0, 1), stmt(0x02, 2), stmt(0x60, 2), RET_A], /^insn 2: M\[2\] read before/],
];

/** Programs the kernel accepts although they look odd. */
const ACCEPTED: [string, SockFilter[]][] = [
  ["ret only", [ret(0xffff)]],
  ["dead code after a return", [ret(1), stmt(0x00, 5), ret(2)]],
  ["M written on both paths", [jump(0x15, 1, 0, 1), stmt(0x02, 2), stmt(0x02, 2), stmt(0x60, 2), RET_A]],
  ["jeq to the last", [jump(0x15, 1, 0, 0), RET_A]],
  ["negative offsets", [stmt(0x30, SKF_NET_OFF + 9), stmt(0x28, SKF_LL_OFF + 12), RET_A]],
  ["every known ancillary", [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60].map((n) => stmt(0x20, SKF_AD_OFF + n)).concat([RET_A])],
  ["shift by 31", [stmt(0x64, 31), RET_A]],
  ["4096 instructions", new Array<SockFilter>(4096).fill(ret(0))],
];

for (const [name, prog, message] of REFUSED) {
  test(`refused: ${name}`, () => {
    assert.throws(() => validateClassic(prog), (e: unknown) => e instanceof ClassicValidationError && message.test(e.message));
  });
}
for (const [name, prog] of ACCEPTED) {
  test(`accepted: ${name}`, () => validateClassic(prog));
}

test("the error carries the instruction index", () => {
  try {
    validateClassic([stmt(0x00, 0), stmt(0x00, 0), stmt(0x34, 0), RET_A]);
    assert.fail("accepted");
  } catch (e) {
    assert.ok(e instanceof ClassicValidationError);
    assert.equal(e.index, 2);
    assert.equal(e.code, "EINSN");
  }
});

test("seccomp_check_filter: only aligned word loads of seccomp_data, no packet or mod instructions", () => {
  const bad: [SockFilter[], RegExp][] = [
    [[stmt(0x20, 64), RET_A], /insn 0: seccomp: ld \[64\] is not an aligned word/],
    [[stmt(0x20, 2), RET_A], /insn 0: seccomp: ld \[2\] is not an aligned word/],
    [[stmt(0x28, 0), RET_A], /insn 0: seccomp: ldh \[k\] is not allowed/],
    [[stmt(0x40, 0), RET_A], /insn 0: seccomp: ld \[x\+k\] is not allowed/],
    [[stmt(0x94, 3), RET_A], /insn 0: seccomp: mod #k is not allowed/],
    [[stmt(0xb1, 0), RET_A], /insn 0: seccomp: ldxb/],
    [[stmt(0x20, SKF_AD_OFF), RET_A], /insn 0: seccomp: ld \[4294963200\]/],
  ];
  for (const [prog, message] of bad) assert.throws(() => checkSeccompFilter(prog), message);
  const ok = checkSeccompFilter([stmt(0x20, 60), stmt(0x80, 0), stmt(0x81, 0), RET_A]);
  assert.deepEqual(ok.map((f) => [f.code, f.k]), [[0x21, 60], [0x00, 64], [0x01, 64], [0x16, 0]]);
});

/** The kernel's verdict: true when SO_ATTACH_FILTER takes the program. */
function kernelAccepts(pair: DatagramPair, prog: SockFilter[]): boolean {
  try {
    attachClassicFilter(pair.receiver, prog);
    return true;
  } catch (e) {
    if (e instanceof SyscallError && e.errno === 22) return false;
    throw e;
  }
}

test("the kernel refuses and accepts the same hand-written programs", { skip }, () => {
  const pair = new DatagramPair();
  try {
    for (const [name, prog] of REFUSED) if (prog.length > 0) assert.equal(kernelAccepts(pair, prog), false, name);
    for (const [name, prog] of ACCEPTED) assert.equal(kernelAccepts(pair, prog), true, name);
  } finally {
    pair.close();
  }
});

test("the kernel agrees on 400 random programs, a third of them broken", { skip }, () => {
  const r = rng(0x5eed);
  const pair = new DatagramPair();
  let refused = 0;
  try {
    for (let i = 0; i < 400; i++) {
      const prog = randomProgram(r, { invalid: i % 3 === 0 ? 0.08 : 0, negative: true, ancillary: [0, 4, 8, 20, 40, 44, 48, 60] });
      let ours = true;
      try { validateClassic(prog); } catch (e) {
        assert.ok(e instanceof ClassicValidationError);
        ours = false;
        refused++;
      }
      assert.equal(kernelAccepts(pair, prog), ours, `program ${i}: ${JSON.stringify(prog)}`);
    }
  } finally {
    pair.close();
  }
  assert.ok(refused > 40 && refused < 360, `a mix of verdicts (${refused} refused)`);
});
