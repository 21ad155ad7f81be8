import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/main.js";
import { readElf } from "../../src/elf/index.js";
import { R_BPF_64_32, R_BPF_64_64 } from "../../src/elf/constants.js";
import { memoryIo } from "../../src/cli/io.js";
import { objdump, objdumpMissing, withoutAnnotation } from "../isa/llvm-tools.js";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const EXAMPLE = new URL("../../examples/xdp_firewall.bpf.o", import.meta.url).pathname;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, ...io };
}

test("tsbpf disasm prints what llvm-objdump-19 -d --no-show-raw-insn prints", { skip: objdumpMissing }, async () => {
  for (const f of [EXAMPLE, ...readdirSync(FIXTURES).filter((n) => n.endsWith(".o") && !n.includes("v3") && !n.includes("v4") && !n.includes("bpfeb")).map((n) => join(FIXTURES, n))]) {
    const ours = await run("disasm", f);
    assert.equal(ours.code, 0);
    const theirs = objdump(f);
    assert.deepEqual(ours.stdout.split("\n").map(withoutAnnotation), theirs.split("\n").map(withoutAnnotation), f);
  }
});

test("tsbpf disasm --section shows one section; an unknown one is an error", async () => {
  const one = await run("disasm", join(FIXTURES, "multi-prog.bpf.o"), "--section", "tc");
  assert.equal(one.code, 0);
  assert.match(one.stdout, /Disassembly of section tc:/);
  assert.doesNotMatch(one.stdout, /Disassembly of section xdp:/);
  const bad = await run("disasm", join(FIXTURES, "multi-prog.bpf.o"), "--section", "nope");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no program section nope/);
});

test("tsbpf disasm --syntax kernel prints bpftool's lines", async () => {
  const { code, stdout } = await run("disasm", EXAMPLE, "--syntax", "kernel");
  assert.equal(code, 0);
  assert.match(stdout, /^ {3}0: \(61\) r7 = \*\(u32 \*\)\(r1 \+4\)$/m);
  assert.match(stdout, /^ {3}1: \(61\) r6 = \*\(u32 \*\)\(r1 \+0\)$/m);
  assert.match(stdout, /\(85\) call bpf_map_lookup_elem#1$/m);
  assert.match(stdout, /\(db\) lock \*\(u64 \*\)\(r0 \+0\) \+= r1$/m);
});

test("tsbpf asm writes bytecode that tsbpf disasm --raw reads back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cli-"));
  const src = join(dir, "prog.s");
  writeFileSync(src, "r0 = 7 ; answer\nr0 += r1\nif r0 > 8 goto out\nr0 = 0x100000000 ll\nout:\nexit\n");
  assert.equal((await run("asm", src, "-o", join(dir, "prog.bin"))).code, 0);
  const bin = readFileSync(join(dir, "prog.bin"));
  assert.equal(bin.length, 6 * 8);
  const listing = await run("disasm", "--raw", join(dir, "prog.bin"));
  assert.equal(listing.stdout, "       0:\tr0 = 0x7\n       1:\tr0 += r1\n       2:\tif r0 > 0x8 goto +0x2\n       3:\tr0 = 0x100000000 ll\n       5:\texit\n");
  const kernel = await run("disasm", "--raw", join(dir, "prog.bin"), "--syntax", "kernel");
  assert.equal(kernel.stdout, "   0: (b7) r0 = 7\n   1: (0f) r0 += r1\n   2: (25) if r0 > 0x8 goto pc+2\n   3: (18) r0 = 0x100000000\n   5: (95) exit\n");
});

test("tsbpf asm -o x.o writes an object that llvm-objdump-19 reads", { skip: objdumpMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cli-"));
  writeFileSync(join(dir, "p.s"), "entry:\n  r0 = 1\n  exit\n");
  assert.equal((await run("asm", join(dir, "p.s"), "-o", join(dir, "p.o"), "--section", "xdp")).code, 0);
  assert.match(objdump(join(dir, "p.o")), /Disassembly of section xdp:\n\n0000000000000000 <entry>:\n {7}0:\tr0 = 0x1\n {7}1:\texit/);
});

test("bad input is one line on stderr and a non-zero exit, never a stack trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cli-"));
  writeFileSync(join(dir, "bad.s"), "r0 = 1\nr0 +== 1\n");
  const asm = await run("asm", join(dir, "bad.s"), "-o", join(dir, "bad.bin"));
  assert.equal(asm.code, 1);
  assert.match(asm.stderr, /^tsbpf asm: .*bad\.s:2:1: cannot parse instruction 'r0 \+== 1'\n$/);
  writeFileSync(join(dir, "junk.o"), "not an elf at all");
  const elf = await run("disasm", join(dir, "junk.o"));
  assert.equal(elf.code, 1);
  assert.match(elf.stderr, /^tsbpf disasm: /);
  const missing = await run("disasm", join(dir, "none.o"));
  assert.equal(missing.code, 1);
  writeFileSync(join(dir, "odd.bin"), new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0]));
  const raw = await run("disasm", "--raw", join(dir, "odd.bin"));
  assert.equal(raw.stdout, "       0:\t<unknown>\n");
  assert.match(raw.stderr, /warning: .*insn 0: unknown opcode ff/);
  assert.equal((await run("frobnicate")).code, 2);
});

test("tsbpf asm -o x.o keeps map and call references as relocations against undefined symbols", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cli-"));
  writeFileSync(join(dir, "m.s"), "r1 = map[counters] ll\ncall helper_fn\nr0 = 0\nexit\n");
  assert.equal((await run("asm", join(dir, "m.s"), "-o", join(dir, "m.o"), "--section", "xdp")).code, 0);
  const elf = readElf(new Uint8Array(readFileSync(join(dir, "m.o"))));
  const xdp = elf.section("xdp")!;
  const relocs = elf.relocationsFor(xdp.index).map((r) => [r.offset, r.type, elf.symbols[r.symbolIndex]!.name, elf.symbols[r.symbolIndex]!.sectionIndex]);
  assert.deepEqual(relocs, [[0, R_BPF_64_64, "counters", 0], [16, R_BPF_64_32, "helper_fn", 0]]);
});
