/**
 * @fileoverview Stack liveness in pruning (the kernel's liveness.c): a chain of diamonds whose
 * two sides leave different things in a slot of their own (a stack pointer, a number) that
 * nothing reads afterwards. The kernel forgets dead slots in its finished checkpoints and walks
 * the chain once per side; comparing every slot walks every combination of sides (2^8). When
 * the end reads every slot, they are live and the combinations are walked by both.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";

const DIAMONDS = 8;

/** Diamond k: slot fp-8(k+1) gets the frame pointer on one side, the number k on the other. */
function diamond(k: number): string {
  const slot = `*(u64 *)(r10 - ${8 * (k + 1)})`;
  return `r0 = *(u32 *)(r6 + 12)\nif r0 == ${k} goto a${k}\n${slot} = r10\nr3 = 0\nr3 = 0\nr3 = 0\nr3 = 0\ngoto j${k}\na${k}:\nr2 = ${k}\n${slot} = r2\nr3 = 0\nr3 = 0\nj${k}:\nr3 = 0`;
}

/** The chain, then (`read`) a load of every slot. */
const chain = (read: boolean): string => {
  const reads = read ? Array.from({ length: DIAMONDS }, (_, k) => `r3 = *(u64 *)(r10 - ${8 * (k + 1)})`).join("\n") + "\n" : "";
  return `r6 = r1\n${Array.from({ length: DIAMONDS }, (_, k) => diamond(k)).join("\n")}\n${reads}r0 = 0\nexit`;
};

const processed = (asm: string): number => {
  const r = verifyProgram({ instructions: assemble(asm).instructions, license: "GPL" }, { type: "xdp" });
  assert.ok(r.accepted, r.error?.message);
  return r.insnsProcessed;
};

test("slots never read again are forgotten: the chain is walked once per side", () => {
  // About 10 insns per side per diamond; every combination would be 2^8 paths.
  assert.ok(processed(chain(false)) < 20 * DIAMONDS * 2, `${processed(chain(false))} insns`);
});

test("slots read at the end are compared: every combination is walked", () => {
  // A stack pointer and a number are not equal, so no side covers the other.
  assert.ok(processed(chain(true)) > 2 ** (DIAMONDS - 1), `${processed(chain(true))} insns`);
});

test("the kernel processes as many insns on the chain", { skip }, () => {
  for (const read of [false, true]) {
    const { instructions } = assemble(chain(read));
    const p = KernelProgram.load({ type: "xdp", instructions, license: "GPL", logLevel: 1 });
    const theirs = Number(/processed (\d+) insns/.exec(p.log ?? "")?.[1]);
    p.close();
    const ours = processed(chain(read));
    assert.ok(ours <= theirs * 1.5 + 20, `read=${read}: tsbpf ${ours} insns, the kernel ${theirs}`);
  }
});
