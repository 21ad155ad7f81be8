/**
 * @fileoverview bpf_setsockopt / bpf_getsockopt / bpf_sock_ops_cb_flags_set in a sock_ops
 * run (the kernel has no test run for sock_ops, so these follow net/core/filter.c): options
 * set are read back (buffer sizes doubled as sk_setsockopt keeps them), unknown options and
 * lengths are -EINVAL, an unknown congestion control -ENOENT, a failed get zeroes the
 * buffer, the callback flags reach the context and unknown ones come back, and a socket
 * that is not full refuses them all.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { hostOf } from "../../src/helpers/host.js";
import { socketOptionsOf } from "../../src/helpers/sockopt-helpers.js";
import { installHelpers } from "../../src/helpers/table.js";
import { assemble } from "../../src/isa/assembler.js";
import { BPF_SOCK_OPS } from "../../src/programs/layouts.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";

/** set(level, name, value as an int of `len` bytes) then get it back: r0 = set's return << 32 | get's low 16 bits << 16 | value low 16. */
const roundTrip = (level: number, name: number, value: number, len = 4) => assemble(`
  r6 = r1
  *(u32 *)(r10 - 8) = ${value}
  r1 = r6
  r2 = ${level}
  r3 = ${name}
  r4 = r10
  r4 += -8
  r5 = ${len}
  call 49
  r7 = r0
  *(u32 *)(r10 - 16) = 0x5a5a
  r1 = r6
  r2 = ${level}
  r3 = ${name}
  r4 = r10
  r4 += -16
  r5 = ${len}
  call 57
  r0 &= 0xffff
  r0 <<= 16
  r1 = *(u32 *)(r10 - 16)
  r1 &= 0xffff
  r0 |= r1
  r7 <<= 32
  r0 |= r7
  exit`).instructions;

function run(insns: ReturnType<typeof roundTrip>, full = 1) {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const ctx = new Uint8Array(BPF_SOCK_OPS.size);
  new DataView(ctx.buffer).setUint32(BPF_SOCK_OPS.field("is_fullsock").off, full, true);
  const r = rt.load(insns, { type: "sock_ops" }).testRun({ ctx });
  const set = Number(BigInt.asIntN(32, r.r0 >> 32n)), get = (r.retval >>> 16) << 16 >> 16, value = r.retval & 0xffff;
  return { set, get, value, rt, ctx: r.ctx! };
}

test("setsockopt values read back through getsockopt; bad options, lengths and sockets fail as the kernel's", () => {
  assert.deepEqual(pick(run(roundTrip(1, 36, 77))), [0, 0, 77]); // SO_MARK
  assert.deepEqual(pick(run(roundTrip(1, 7, 10000))), [0, 0, 20000]); // SO_SNDBUF, doubled
  assert.deepEqual(pick(run(roundTrip(1, 7, 100))), [0, 0, 4608]); // ... and at least SOCK_MIN_SNDBUF
  assert.deepEqual(pick(run(roundTrip(6, 1, 1))), [0, 0, 1]); // TCP_NODELAY
  assert.deepEqual(pick(run(roundTrip(0, 1, 0x10))), [0, 0, 0x10]); // IP_TOS
  assert.deepEqual(pick(run(roundTrip(1, 99, 1))), [-22, -22, 0]); // no such option: a failed get zeroes optval
  assert.deepEqual(pick(run(roundTrip(6, 1, 1, 2))), [-22, -22, 0]); // optlen of an int option
  assert.deepEqual(pick(run(roundTrip(1, 36, 77), 0)), [-22, -22, 0]); // not a full socket
});

const pick = (r: { set: number; get: number; value: number }) => [r.set, r.get, r.value];

test("TCP_CONGESTION takes the host's algorithms, and sock_ops_cb_flags_set reaches the context", () => {
  const cc = (name: string) => assemble(`
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    ${[...name].map((c, i) => `*(u8 *)(r10 - ${16 - i}) = ${c.charCodeAt(0)}`).join("\n    ")}
    r1 = r6
    r2 = 6
    r3 = 13
    r4 = r10
    r4 += -16
    r5 = 16
    call 49
    exit`).instructions;
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const ctx = new Uint8Array(BPF_SOCK_OPS.size);
  new DataView(ctx.buffer).setUint32(BPF_SOCK_OPS.field("is_fullsock").off, 1, true);
  assert.equal(rt.load(cc("reno"), { type: "sock_ops" }).testRun({ ctx }).retval, 0);
  assert.equal(socketOptionsOf(hostOf(rt.space)).congestion, "reno");
  assert.equal(rt.load(cc("nosuch"), { type: "sock_ops" }).testRun({ ctx }).retval | 0, -2);
  const flags = assemble(`
    r6 = r1
    r2 = 0x185
    call 59
    r1 = *(u32 *)(r6 + ${BPF_SOCK_OPS.field("bpf_sock_ops_cb_flags").off})
    r0 <<= 16
    r0 |= r1
    exit`).instructions;
  const r = rt.load(flags, { type: "sock_ops" }).testRun({ ctx });
  assert.equal(r.retval >>> 16, 0x180, "the flags it does not know come back");
  assert.equal(r.retval & 0xffff, 0x05, "the context reads the flags set");
});
