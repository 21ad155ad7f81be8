/**
 * @fileoverview XDP multi-buffer packets against the kernel's test run: a packet past the
 * linear buffer (a page less headroom and skb_shared_info) is split into page fragments
 * as bpf_prog_test_run_xdp splits it, and bpf_xdp_get_buff_len, xdp_load/store_bytes
 * across the boundaries and xdp_adjust_tail growing and shrinking the fragments give the
 * kernel's return values and packet.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { installHelpers } from "../../src/helpers/table.js";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { skip } from "../kernel/helpers.js";

/** BPF_F_XDP_HAS_FRAGS: what an xdp.frags section loads with. */
const BPF_F_XDP_HAS_FRAGS = 32;

/** retval = what `body` leaves in r8 (its low 16 bits) << 16 | bpf_xdp_get_buff_len afterwards (its low 16 bits). */
const program = (body: string) => assemble(`
  r6 = r1
  r8 = 0
  ${body}
  r1 = r6
  call 188
  r0 &= 0xffff
  r8 <<= 16
  r0 |= r8
  exit`).instructions;

const CASES: Record<string, string> = {
  "linear length": "r2 = *(u32 *)(r6 + 0)\n  r3 = *(u32 *)(r6 + 4)\n  r3 -= r2\n  r8 = r3",
  "store and load across the linear end and a fragment boundary": `
  r1 = 0x1122334455667788 ll
  *(u64 *)(r10 - 8) = r1
  r1 = 0
  *(u64 *)(r10 - 16) = r1
  r1 = r6
  r2 = 3516
  r3 = r10
  r3 += -8
  r4 = 8
  call 190
  r8 = r0
  r1 = r6
  r2 = 7612
  r3 = r10
  r3 += -8
  r4 = 8
  call 190
  r8 += r0
  r1 = r6
  r2 = 3512
  r3 = r10
  r3 += -16
  r4 = 16
  call 189
  r8 += r0
  r1 = *(u8 *)(r10 - 16)
  r8 += r1
  r1 = *(u8 *)(r10 - 3)
  r8 += r1
  r1 = r6
  r2 = 8990
  r3 = r10
  r3 += -16
  r4 = 16
  call 189
  r8 += r0`,
  "adjust_tail grows the last fragment": "r1 = r6\n  r2 = 100\n  call 65\n  r8 = r0",
  "adjust_tail past the last fragment's page": "r1 = r6\n  r2 = 4000\n  call 65\n  r8 = r0",
  "adjust_tail shrinks fragments": "r1 = r6\n  r2 = -5000\n  call 65\n  r8 = r0",
  "adjust_tail shrinks into the linear part": "r1 = r6\n  r2 = -5600\n  call 65\n  r8 = r0\n  r2 = *(u32 *)(r6 + 0)\n  r3 = *(u32 *)(r6 + 4)\n  r3 -= r2\n  r8 += r3",
  "adjust_tail shrinks too far": "r1 = r6\n  r2 = -9000\n  call 65\n  r8 = r0",
};

test("multi-buffer XDP packets: the kernel's fragments, helpers and output", { skip }, () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const diffs: string[] = [];
  for (const [name, body] of Object.entries(CASES)) {
    const insns = program(body);
    for (const n of [3000, 5000, 9000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
      const k = KernelProgram.load({ type: "xdp", instructions: insns, flags: BPF_F_XDP_HAS_FRAGS } as never);
      let kr;
      try { kr = k.testRun({ data, dataSizeOut: n + 8192 } as never); } finally { k.close(); }
      for (const engine of ["interp", "jit"] as const) {
        const ur = rt.load(insns, { type: "xdp", engine }).testRun({ data });
        if (ur.retval !== kr.retval) diffs.push(`${name}, ${n} bytes, ${engine}: retval kernel ${kr.retval.toString(16)}, runtime ${ur.retval.toString(16)}`);
        if (Buffer.compare(Buffer.from(ur.data), Buffer.from(kr.data!)) !== 0) diffs.push(`${name}, ${n} bytes, ${engine}: output ${kr.data!.length} bytes in the kernel, ${ur.data.length} here, or different bytes`);
      }
    }
  }
  assert.deepEqual(diffs, []);
});
