/**
 * @fileoverview bpf_get_stack over the runtime's stack model, as __bpf_get_stack counts:
 * the bytes copied (skip applied, the rest of the buffer zeroed), user stacks, build-id
 * entries, and -EINVAL / -EFAULT with a cleared buffer for bad flags, sizes and skips.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { installHelpers } from "../../src/helpers/table.js";
import { assemble } from "../../src/isa/assembler.js";
import { setStackModel } from "../../src/maps/stack-trace.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";

/** get_stack(ctx, fp-64, size, flags); r0 = its return; the 64 bytes come back in the memory block after. */
function run(size: number, flags: number): { ret: number; words: bigint[] } {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  setStackModel(rt.space, { kernel: [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n], user: [0x401000n, 0x402000n] });
  const { instructions } = assemble(`
    r6 = r1
    r1 = -1
    ${Array.from({ length: 8 }, (_, i) => `*(u64 *)(r10 - ${64 - 8 * i}) = r1`).join("\n    ")}
    r1 = r6
    r2 = r10
    r2 += -64
    r3 = ${size}
    r4 = ${flags}
    call 67
    r7 = r0
    ${Array.from({ length: 8 }, (_, i) => `r1 = *(u64 *)(r10 - ${64 - 8 * i})\n    *(u64 *)(r6 + ${8 * i}) = r1`).join("\n    ")}
    r0 = r7
    exit`);
  const r = rt.load(instructions).runRaw(new Uint8Array(64));
  const v = new DataView(r.memory.buffer, r.memory.byteOffset);
  return { ret: Number(BigInt.asIntN(64, r.r0)), words: Array.from({ length: 8 }, (_, i) => v.getBigUint64(i * 8, true)) };
}

const ALL = 0xffffffffffffffffn;

test("get_stack copies the model's stack as the kernel counts it", () => {
  assert.deepEqual(run(64, 0), { ret: 24, words: [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n, 0n, 0n, 0n, 0n, 0n] });
  assert.deepEqual(run(16, 1), { ret: 16, words: [0xffffffff81000020n, 0xffffffff81000030n, ALL, ALL, ALL, ALL, ALL, ALL] }); // skip 1, two slots
  assert.deepEqual(run(64, 0x100).words.slice(0, 3), [0x401000n, 0x402000n, 0n]); // BPF_F_USER_STACK
  const b = run(64, 0x100 | 0x800); // BPF_F_USER_BUILD_ID: { status 2 (ip), build_id, ip }
  assert.equal(b.ret, 64);
  assert.deepEqual([b.words[0]! & 0xffffffffn, b.words[3], b.words[7]], [2n, 0x401000n, 0x402000n]);
});

test("get_stack clears the buffer and fails for bad flags, sizes and skips", () => {
  const cleared = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  assert.deepEqual(run(64, 0x1000), { ret: -22, words: cleared }); // unknown flag
  assert.deepEqual(run(60, 0), { ret: -22, words: [...cleared.slice(0, 7), 0xffffffff00000000n] }); // not a multiple of 8: the 60 bytes cleared
  assert.deepEqual(run(64, 0x800), { ret: -22, words: cleared }); // build ids of a kernel stack
  assert.deepEqual(run(64, 5), { ret: -14, words: cleared }); // skipping past the stack
});
