/**
 * @fileoverview The TCP header-option helpers in sock_ops runs over a TCP header (the
 * kernel cannot test-run sock_ops; these follow net/core/filter.c): load by kind and by
 * experimental magic, the option's length or -ENOSPC for a short buffer, -ENOMSG for an
 * absent one; reserve only in HDR_OPT_LEN_CB within the space left; store only in
 * WRITE_HDR_OPT_CB, appending after the options and refusing duplicates.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { installHelpers } from "../../src/helpers/table.js";
import { assemble } from "../../src/isa/assembler.js";
import { BPF_SOCK_OPS } from "../../src/programs/layouts.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";

/** A TCP header with options: MSS 1460, NOP, NOP, SACK permitted, experimental 254 (magic eb9f, 2 bytes). */
const HEADER = Uint8Array.of(
  0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, (9 << 4), 0x02, 0xff, 0xff, 0, 0, 0, 0,
  2, 4, 0x05, 0xb4, 1, 1, 4, 2, 254, 6, 0xeb, 0x9f, 0xaa, 0xbb,
  0, 0, // EOL, padding
);

/** Writes `search` at fp-16 and calls `helper` with (ctx, fp-16, len, 0) (reserve: (ctx, len, 0)); r0 = its return << 32 | the first 4 bytes at fp-16 after. */
function call(helper: number, search: number[], len: number): ReturnType<typeof assemble>["instructions"] {
  return assemble(`
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    ${search.map((b, i) => `*(u8 *)(r10 - ${16 - i}) = ${b}`).join("\n    ")}
    r1 = r6
    ${helper === 144 ? `r2 = ${len}\n    r3 = 0` : `r2 = r10\n    r2 += -16\n    r3 = ${len}\n    r4 = 0`}
    call ${helper}
    r7 = r0
    r1 = *(u64 *)(r10 - 16)
    r7 <<= 32
    r1 <<= 32
    r1 >>= 32
    r0 = r7
    r0 |= r1
    exit`).instructions;
}

function run(op: number, insns: ReturnType<typeof call>, data = HEADER) {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const ctx = new Uint8Array(BPF_SOCK_OPS.size);
  const v = new DataView(ctx.buffer);
  v.setUint32(BPF_SOCK_OPS.field("op").off, op, true);
  v.setUint32(BPF_SOCK_OPS.field("is_fullsock").off, 1, true);
  const r = rt.load(insns, { type: "sock_ops" }).testRun({ ctx, data });
  const out = new DataView(r.ctx!.buffer, r.ctx!.byteOffset);
  return { ret: Number(BigInt.asIntN(32, r.r0 >> 32n)), first4: Number(r.r0 & 0xffffffffn), data: r.data, end: out.getBigUint64(BPF_SOCK_OPS.field("skb_data_end").off, true) - out.getBigUint64(BPF_SOCK_OPS.field("skb_data").off, true) };
}

const le = (b: number[]) => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

test("load_hdr_opt finds options by kind and by magic", () => {
  assert.deepEqual([run(13, call(142, [2, 0], 8)).ret, run(13, call(142, [2, 0], 8)).first4], [4, le([2, 4, 0x05, 0xb4])]);
  assert.deepEqual([run(13, call(142, [254, 4, 0xeb, 0x9f], 8)).ret, run(13, call(142, [254, 4, 0xeb, 0x9f], 8)).first4], [6, le([254, 6, 0xeb, 0x9f])]);
  assert.equal(run(13, call(142, [254, 4, 0x12, 0x34], 8)).ret, -42, "another magic: -ENOMSG");
  assert.equal(run(13, call(142, [8, 0], 10)).ret, -42, "no timestamps option: -ENOMSG (the EOL ends the search)");
  assert.deepEqual([run(13, call(142, [2, 0], 3)).ret, run(13, call(142, [2, 0], 3)).first4 & 0xffffff], [-28, le([2, 4, 0x05, 0])], "a short buffer: -ENOSPC, what fits copied");
  assert.equal(run(13, call(142, [1, 0], 4)).ret, -22, "NOP cannot be searched");
  assert.equal(run(13, call(142, [2, 4], 4)).ret, -22, "a kind length for a kind with no magic");
  assert.equal(run(14, call(142, [2, 0], 4)).ret, -1, "not in HDR_OPT_LEN_CB: -EPERM");
  assert.equal(run(13, call(142, [2, 0], 4), new Uint8Array(0)).ret, -1, "no skb: -EPERM");
});

test("reserve_hdr_opt and store_hdr_opt follow the option space and refuse duplicates", () => {
  assert.equal(run(14, call(144, [], 12)).ret, 0);
  assert.equal(run(14, call(144, [], 25)).ret, -28, "16 bytes of options already: 24 left");
  assert.equal(run(13, call(144, [], 4)).ret, -1, "reserve outside HDR_OPT_LEN_CB: -EPERM");
  const noEol = HEADER.slice(0, 34); // the options end at the header's end, no EOL
  const stored = run(15, call(143, [253, 4, 0x12, 0x34], 4), noEol);
  assert.equal(stored.ret, 0);
  assert.equal(stored.end, 38n, "skb_data_end moved past the new option");
  assert.equal(run(15, call(143, [2, 4, 0x05, 0xb4], 4), noEol).ret, -17, "an MSS option is there: -EEXIST");
  assert.equal(run(15, call(143, [254, 4, 0xeb, 0x9f], 4), noEol).ret, -17, "the same experimental magic: -EEXIST");
  assert.equal(run(15, call(143, [253, 4, 0x12, 0x34], 4)).ret, -28, "after an EOL nothing more is written: -ENOSPC");
  assert.equal(run(13, call(143, [253, 4, 0x12, 0x34], 4), noEol).ret, -1, "store outside WRITE_HDR_OPT_CB: -EPERM");
});
