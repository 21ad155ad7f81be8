/**
 * Differential tests against llvm-objdump-19: `tsbpf disasm` must print the same lines
 * for every fixture, every bench object and an object holding every valid encoding.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { readElf, writeElf } from "../../src/elf/index.js";
import { SHF_ALLOC, SHF_EXECINSTR } from "../../src/elf/constants.js";
import { listObject } from "../../src/object/listing.js";
import { encode, type Instruction } from "../../src/isa/instruction.js";
import { formatInstruction } from "../../src/isa/format.js";
import { ALL_SAMPLES } from "./samples.js";
import { objdump, objdumpMissing, withoutAnnotation } from "./llvm-tools.js";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const BENCH = new URL("../../bench/progs/", import.meta.url).pathname;

function objects(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".o")).sort().map((f) => join(dir, f)) : [];
}

/**
 * 32-bit atomics other than a plain add are decoded by llvm-objdump-19 only with the
 * alu32 feature (without it, it shows `<unknown>`, or a fetch-add as a plain add);
 * tsbpf always prints what LLVM prints with alu32 for those.
 */
const needsAlu32 = (i: Instruction) => i.opcode === 0xc3 && i.imm !== 0;

function compareListing(path: string, relocations = false) {
  const ours = listObject(readElf(new Uint8Array(readFileSync(path))), { fileName: path, relocations }).split("\n");
  const flags = relocations ? ["-r"] : [];
  const plain = objdump(path, flags).split("\n");
  const alu32 = objdump(path, [...flags, "--mattr=+alu32"]).split("\n");
  assert.equal(ours.length, plain.length, `${path}: ${ours.length} lines, llvm-objdump printed ${plain.length}`);
  ours.forEach((line, k) => {
    const theirs = / atomic_fetch_| = xchg32_32\(| = cmpxchg32_32\(|^\s+\d+:\tlock \*\(u32 \*\)\(r\d+ [+-] 0x[0-9a-f]+\) [|&^]= w/.test(line) ? alu32[k]! : plain[k]!;
    assert.equal(withoutAnnotation(line), withoutAnnotation(theirs), `${path}, line ${k + 1}`);
  });
}

for (const [what, dir] of [["fixture", FIXTURES], ["bench object", BENCH]] as const) {
  const files = objects(dir);
  const skip = objdumpMissing || (files.length === 0 && `no objects in ${dir}`);
  test(`every ${what} disassembles as llvm-objdump-19 prints it`, { skip }, () => {
    for (const f of files) compareListing(f);
  });
  test(`every ${what}'s relocations, CO-RE ones included, show as llvm-objdump-19 -dr shows them`, { skip }, () => {
    for (const f of files) compareListing(f, true);
  });
}

test("every valid encoding disassembles as llvm-objdump-19 prints it", { skip: objdumpMissing }, () => {
  // LLVM 19 predates load-acquire and store-release (LLVM 21 prints them as tsbpf does).
  const samples = ALL_SAMPLES.filter(({ form }) => !/^(load_acquire|store_release)/.test(form.id));
  const code = encode(samples.map((s) => s.insn));
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-objdump-"));
  const path = join(dir, "every-opcode.o");
  writeFileSync(path, writeElf({ sections: [{ name: "text", flags: SHF_ALLOC | SHF_EXECINSTR, data: code, addralign: 8 }], symbols: [{ name: "all", section: "text", value: 0, size: code.length }] }));
  const plain = objdump(path).split("\n").filter((l) => /^\s+\d+:\t/.test(l));
  const alu32 = objdump(path, ["--mattr=+alu32"]).split("\n").filter((l) => /^\s+\d+:\t/.test(l));
  assert.equal(plain.length, samples.length);
  samples.forEach(({ form, insn }, k) => {
    const theirs = (needsAlu32(insn) ? alu32[k]! : plain[k]!).replace(/^\s+\d+:\t/, "");
    assert.equal(formatInstruction(insn, "llvm"), withoutAnnotation(theirs), `${form.id} (sample ${k})`);
  });
  // And the whole listing, headings included, as an object.
  compareListing(path);
});
