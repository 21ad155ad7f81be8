import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble } from "../../src/isa/assembler.js";
import { groupOf, groupsNeeded, supports } from "../../src/isa/conformance.js";

const groups = (src: string) => groupsNeeded(assemble(src).instructions);

test("each instruction is in its RFC 9669 conformance group", () => {
  const cases: [string, string][] = [
    ["w1 += 2", "base32"], ["r1 += 2", "base64"], ["w1 *= w2", "divmul32"], ["r1 s/= r2", "divmul64"],
    ["if w1 > 3 goto +0", "base32"], ["if r1 > 3 goto +0", "base64"], ["goto +0", "base32"], ["call 1", "base32"],
    ["r1 = 0x1 ll", "base64"], ["r1 = *(u64 *)(r2 + 0)", "base64"], ["r1 = *(u32 *)(r2 + 0)", "base32"],
    ["lock *(u32 *)(r1 + 0) += r2", "atomic32"], ["r2 = xchg_64(r1 + 0, r2)", "atomic64"],
    ["r0 = *(u8 *)skb[12]", "packet"], ["may_goto +1", "kernel"], ["r1 = bswap64 r1", "base64"], ["r1 = le16 r1", "base32"],
  ];
  for (const [text, group] of cases) assert.equal(groupOf(assemble(text).instructions[0]!), group, text);
});

test("a program needs its groups and the groups they include", () => {
  assert.deepEqual(groups("w0 = 1\nexit"), ["base32"]);
  assert.deepEqual(groups("r0 = 1\nr0 *= 3\nexit"), ["base32", "base64", "divmul32", "divmul64"]);
  assert.deepEqual(groups("r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)\nexit"), ["atomic32", "atomic64", "base32"]);
});

test("a runtime supports a program when its groups cover the program's", () => {
  assert.ok(supports(["base64", "divmul64"], ["base32", "divmul32"]));
  assert.ok(!supports(["base32"], ["base64"]));
  assert.ok(!supports(["base64", "atomic32"], ["atomic64"]));
});
