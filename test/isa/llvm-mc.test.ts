/**
 * llvm-mc-19 as an independent oracle for encodings: each LLVM-syntax line tsbpf prints
 * must assemble, in LLVM's own assembler, to the bytes tsbpf encodes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { encode, type Instruction } from "../../src/isa/instruction.js";
import { formatInstruction } from "../../src/isa/format.js";
import { assemble } from "../../src/isa/assembler.js";
import { ALL_SAMPLES } from "./samples.js";
import { LLVM_MC, llvmMcMissing } from "./llvm-tools.js";

/** Forms LLVM 19's assembler cannot take as printed: newer than it, or lossy in its syntax. */
function llvmCannotAssemble(id: string, i: Instruction): boolean {
  if (/^(load_acquire|store_release|lddw_)/.test(id)) return true; // ld_pseudo is print-only in LLVM
  if (id === "call_local" || id === "call_kfunc") return true; // `call IMM` always means a helper to llvm-mc
  if (/^ldind/.test(id) && i.imm !== 0) return true;
  if (id === "gotol" && (i.imm < -0x8000 || i.imm > 0x7fff)) return true; // llvm-mc-19 parses 16-bit gotol targets only
  return false;
}

const hexBytes = (b: Uint8Array) => [...b].map((x) => `0x${x.toString(16).padStart(2, "0")}`).join(",");

test("tsbpf's LLVM syntax assembles in llvm-mc-19 to tsbpf's encoding", { skip: llvmMcMissing }, () => {
  const samples = ALL_SAMPLES.filter(({ form, insn }) => !llvmCannotAssemble(form.id, insn));
  const source = samples.map(({ insn }) => formatInstruction(insn, "llvm")).join("\n") + "\n";
  const out = execFileSync(LLVM_MC, ["-triple", "bpf", "-mattr=+alu32", "-show-encoding"], { input: source, encoding: "utf8", maxBuffer: 64 << 20 });
  const encodings = [...out.matchAll(/# encoding: \[([^\]]*)\]/g)].map((m) => m[1]!);
  assert.equal(encodings.length, samples.length);
  samples.forEach(({ form, insn }, k) => {
    assert.equal(encodings[k], hexBytes(encode([insn])), `${form.id}: '${formatInstruction(insn, "llvm")}'`);
  });
});

test("llvm-mc-19 and tsbpf assemble clang's own spelling of each instruction alike", { skip: llvmMcMissing }, () => {
  // Lines as a person writes them (decimal, spaced differently), not as printed.
  const source = [
    "r1 = 5", "w2 += w3", "r1 s/= -3", "w4 s%= 7", "r1 = (s16)r2", "w1 = (s8)w2", "r1 = be16 r1", "r2 = bswap64 r2",
    "r0 = *(u16 *)(r1 + 14)", "r0 = *(s8 *)(r1 - 2)", "*(u64 *)(r10 - 8) = r1", "*(u32 *)(r10 - 4) = 77",
    "lock *(u64 *)(r1 + 0) += r2", "w3 = atomic_fetch_xor((u32 *)(r4 + 8), w3)", "r0 = cmpxchg_64(r1 + 0, r0, r2)",
    "if r1 s> r2 goto +3", "if w1 == 5 goto -1", "goto +0", "gotol -2", "call 12", "exit", "r1 = 0x123456789 ll",
    "r0 = *(u8 *)skb[23]", "may_goto +4", "r1 = addr_space_cast(r2, 0, 1)", "r1 = -r1",
  ];
  const out = execFileSync(LLVM_MC, ["-triple", "bpf", "-mattr=+alu32", "-show-encoding"], { input: source.join("\n") + "\n", encoding: "utf8" });
  const encodings = [...out.matchAll(/# encoding: \[([^\]]*)\]/g)].map((m) => m[1]!);
  const ours = assemble(source.join("\n")).instructions.map((i) => hexBytes(encode([i])));
  assert.deepEqual(ours, encodings);
});
