import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble } from "../../src/isa/assembler.js";
import { encode, type Instruction } from "../../src/isa/instruction.js";
import { listInstructions, listingLines } from "../../src/isa/disassembler.js";
import { formatInstruction } from "../../src/isa/format.js";
import { ALL_SAMPLES } from "./samples.js";

const show = (i: Instruction) => JSON.stringify(i, (_, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));

/**
 * Where LLVM's own text drops a field, LLVM syntax cannot round-trip and the kernel's
 * is the lossless one: the offset of a kfunc call (a BTF fd index), the immediate of a
 * legacy indirect packet load, and the second slot of a pseudo 64-bit load.
 */
function llvmDrops(i: Instruction): boolean {
  if (i.opcode === 0x85 && i.src === 2 && i.off !== 0) return true;
  if ((i.opcode & 0xe7) === 0x40 && i.imm !== 0) return true;
  if (i.opcode === 0x18 && i.src !== 0 && (i.imm64 ?? 0n) >> 32n !== 0n) return true;
  return false;
}
const kernelDrops = (i: Instruction) => i.opcode === 0x85 && i.src === 2 && i.off !== 0;

for (const syntax of ["llvm", "kernel"] as const) {
  test(`every valid encoding assembles back from its ${syntax} disassembly`, () => {
    const samples = ALL_SAMPLES.filter(({ insn }) => !(syntax === "llvm" ? llvmDrops(insn) : kernelDrops(insn)));
    assert.ok(samples.length > 1000, `only ${samples.length} samples`);
    const bytes = encode(samples.map((s) => s.insn));
    const text = listingLines(listInstructions(bytes), { syntax }).join("\n");
    const back = assemble(text).instructions;
    assert.equal(back.length, samples.length);
    samples.forEach(({ form, insn }, k) => {
      assert.equal(show(back[k]!), show(insn), `${form.id}: '${formatInstruction(insn, syntax)}'`);
    });
  });
}

test("the assembler takes labels, comments, and both syntaxes mixed", () => {
  const { instructions, labels } = assemble(`
    ; count down from 3 in r1
    r1 = 3                    // llvm syntax
    loop: r1 += -1
    (55) if r1 != 0x0 goto loop
    call bpf_ktime_get_ns#5   ; kernel syntax
    # a whole-line comment
    call pc+1
    exit
  sub:
    r0 = 0x100000000 ll
    exit`);
  assert.deepEqual(labels, new Map([["loop", 1], ["sub", 6]]));
  assert.deepEqual(instructions.map((i) => [i.opcode, i.dst, i.src, i.off, i.imm]), [
    [0xb7, 1, 0, 0, 3], [0x07, 1, 0, 0, -1], [0x55, 1, 0, -2, 0], [0x85, 0, 0, 0, 5], [0x85, 0, 1, 0, 1], [0x95, 0, 0, 0, 0],
    [0x18, 0, 0, 0, 0], [0x95, 0, 0, 0, 0],
  ]);
  assert.equal(instructions[6]!.imm64, 0x100000000n);
});

test("labels resolve forwards and backwards, for jumps, gotol and local calls", () => {
  const { instructions, references } = assemble(`
    start:
      goto end
      gotol start
      call helper_fn
      call extern_fn
    helper_fn:
      r0 = 1
    end:
      exit`);
  assert.deepEqual(instructions.map((i) => [i.opcode, i.src, i.off, i.imm]), [
    [0x05, 0, 4, 0], [0x06, 0, 0, -2], [0x85, 1, 0, 1], [0x85, 1, 0, -1], [0xb7, 0, 0, 1], [0x95, 0, 0, 0],
  ]);
  assert.deepEqual(references, [{ index: 3, kind: "call", name: "extern_fn" }]);
});

test("symbolic map and data references become 64-bit loads with a reference", () => {
  const { instructions, references } = assemble(`
    r1 = map[counters] ll
    r2 = map[flows]
    r3 = my_data ll
    exit`);
  assert.deepEqual(instructions.map((i) => [i.opcode, i.dst, i.src]), [[0x18, 1, 1], [0x18, 2, 1], [0x18, 3, 0], [0x95, 0, 0]]);
  assert.deepEqual(references, [
    { index: 0, kind: "map", name: "counters" },
    { index: 1, kind: "map", name: "flows" },
    { index: 2, kind: "symbol", name: "my_data" },
  ]);
});

test("assembler errors say the line, the column and what is wrong", () => {
  assert.throws(() => assemble("r1 = 1\nr1 +== 2", { fileName: "x.s" }), /^AssemblerError: x\.s:2:1: cannot parse instruction 'r1 \+== 2'$/m);
  assert.throws(() => assemble("goto nowhere"), /1:1: undefined label nowhere/);
  assert.throws(() => assemble("a:\na:"), /2:1: label a is defined twice/);
  assert.throws(() => assemble("r11 = 1"), /cannot parse instruction 'r11 = 1'/);
  assert.equal(assemble("r1 = 0x100000000").instructions[0]!.opcode, 0x18);
  assert.throws(() => assemble("(b7) r1 = r2"), /cannot parse instruction 'r1 = r2' as opcode b7/);
  assert.throws(() => assemble(".weird 1"), /unknown directive \.weird/);
  assert.throws(() => assemble("r1 = 1 @"), /1:8: unexpected character '@'/);
});

test("llvm-objdump's and bpftool's listing decorations are accepted", () => {
  const { instructions } = assemble(`
prog.o:\tfile format elf64-bpf

Disassembly of section xdp:

0000000000000000 <prog>:
       0:\tr0 = 0x2
       1:\tif r1 > r2 goto +0x1 <prog+0x18>
       2:\texit
   3: (b7) r0 = 1
   4: (95) exit`);
  assert.deepEqual(instructions.map((i) => i.opcode), [0xb7, 0x2d, 0x95, 0xb7, 0x95]);
});
