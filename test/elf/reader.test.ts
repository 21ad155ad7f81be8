/**
 * @fileoverview readElf against llvm-readelf-19 on every fixture and bench object, and
 * the facts of clang's BPF output the loader relies on.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  EM_BPF, ET_REL, R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS,
  SHT_NOBITS, SHT_PROGBITS, SHT_REL, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STT_FILE, STT_FUNC,
  STT_OBJECT, STT_SECTION, readElf, type ElfFile,
} from "../../src/elf/index.js";
import { FIXTURES, hasTool, objectFiles, readelf } from "./llvm.js";

const load = (name: string): ElfFile => readElf(readFileSync(join(FIXTURES, name)));
const haveReadelf = hasTool("llvm-readelf-19");

for (const path of objectFiles()) {
  test(`${basename(path)} reads as llvm-readelf-19 -S -s -r does`, { skip: haveReadelf ? false : "llvm-readelf-19 is not on PATH" }, () => {
    const elf = readElf(readFileSync(path));
    const want = readelf(path);

    assert.deepEqual(
      elf.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, flags: Number(s.flags), address: Number(s.addr), offset: s.offset, size: s.size, link: s.link, info: s.info, addralign: s.addralign, entsize: s.entsize })),
      want.sections,
    );
    for (const s of elf.sections) assert.equal(s.data.length, s.type === SHT_NOBITS || s.index === 0 ? 0 : s.size, s.name);

    assert.deepEqual(
      elf.symbols.map((s) => ({
        // llvm-readelf shows a section symbol under its section's name; ELF gives it none.
        name: s.type === STT_SECTION ? elf.sections[s.sectionIndex]!.name : s.name,
        value: s.value, size: s.size, bind: s.bind, type: s.type, other: s.visibility, section: s.sectionIndex,
      })),
      want.symbols,
    );

    const got = new Map<number, unknown[]>();
    for (const rel of elf.sections.filter((s) => s.type === SHT_REL)) {
      // relocationsFor gathers by target; readelf lists by relocation section. One per target here.
      got.set(rel.index, elf.relocationsFor(rel.info).map((r) => {
        const sym = elf.symbols[r.symbolIndex]!;
        return { offset: r.offset, type: r.type, symbolName: sym.type === STT_SECTION ? elf.sections[sym.sectionIndex]!.name : sym.name, symbolIndex: r.symbolIndex };
      }));
    }
    assert.deepEqual(got, want.relocations);
  });
}

test("every object is an ELF64 relocatable BPF object with one .symtab", () => {
  for (const path of objectFiles()) {
    const elf = readElf(readFileSync(path));
    assert.equal(elf.machine, EM_BPF, path);
    assert.equal(elf.type, ET_REL, path);
    assert.equal(elf.sections[0]!.type, 0);
    assert.equal(elf.sections.filter((s) => s.type === SHT_SYMTAB).length, 1);
    assert.deepEqual({ ...elf.symbols[0], index: 0 }, { index: 0, name: "", value: 0, size: 0, type: 0, bind: 0, visibility: 0, sectionIndex: 0 });
    assert.equal(elf.littleEndian, !path.includes(".bpfeb."), path);
  }
});

test("section data is a view into the input, not a copy", () => {
  const bytes = readFileSync(join(FIXTURES, "xdp-parser.bpf.o"));
  const xdp = readElf(bytes).section("xdp")!;
  assert.equal(xdp.data.buffer, bytes.buffer);
  assert.equal(xdp.data.byteOffset, bytes.byteOffset + xdp.offset);
  assert.equal(xdp.data[0], bytes[xdp.offset]);
});

test("an object embedded at an odd offset in a larger buffer reads the same", () => {
  const bytes = readFileSync(join(FIXTURES, "maps-helpers.bpf.o"));
  const big = new Uint8Array(bytes.length + 13);
  big.set(bytes, 5);
  const a = readElf(bytes);
  const b = readElf(big.subarray(5, 5 + bytes.length));
  assert.deepEqual(b.symbols, a.symbols);
  assert.deepEqual(b.relocationsFor(a.section("xdp")!.index), a.relocationsFor(a.section("xdp")!.index));
});

test("maps-helpers: BTF maps are OBJECT symbols in .maps, ld_imm64 relocations name them", () => {
  const elf = load("maps-helpers.bpf.o");
  const maps = elf.section(".maps")!;
  assert.equal(maps.flags, SHF_ALLOC | SHF_WRITE);
  const mapSyms = elf.symbolsIn(maps.index).filter((s) => s.type !== STT_SECTION);
  assert.deepEqual(mapSyms.map((s) => [s.name, s.value, s.size, s.type, s.bind]), [
    ["last_seen", 0, 32, STT_OBJECT, STB_GLOBAL],
    ["counters", 32, 32, STT_OBJECT, STB_GLOBAL],
  ]);
  const xdp = elf.section("xdp")!;
  assert.equal(xdp.flags, SHF_ALLOC | SHF_EXECINSTR);
  const rels = elf.relocationsFor(xdp.index);
  assert.deepEqual(rels.map((r) => [elf.symbols[r.symbolIndex]!.name || elf.sections[elf.symbols[r.symbolIndex]!.sectionIndex]!.name, r.type]), [
    ["last_seen", R_BPF_64_64],
    ["counters", R_BPF_64_64],
    [".rodata", R_BPF_64_64], // the bpf_printk format, through the section symbol
  ]);
  for (const r of rels) {
    assert.equal(r.offset % 8, 0);
    assert.equal(xdp.data[r.offset], 0x18, "relocated at an ld_imm64"); // BPF_LD | BPF_IMM | BPF_DW
  }
  const fmt = elf.symbols.find((s) => s.name === "count_packets.____fmt")!;
  assert.equal(fmt.bind, STB_LOCAL);
  assert.equal(elf.sections[fmt.sectionIndex]!.name, ".rodata");
});

test("subprogs: calls into .text are R_BPF_64_32 against the .text section symbol", () => {
  const elf = load("subprogs.bpf.o");
  const text = elf.section(".text")!;
  const funcs = elf.symbolsIn(text.index).filter((s) => s.type === STT_FUNC);
  assert.deepEqual(funcs.map((s) => [s.name, s.value, s.bind]), [["fold", 0, STB_LOCAL], ["mix", 64, STB_LOCAL]]);
  // Sorted by value then index: the section symbol (value 0, lower index) comes before fold.
  assert.deepEqual(elf.symbolsIn(text.index).map((s) => s.type), [STT_SECTION, STT_FUNC, STT_FUNC]);
  for (const name of ["xdp", "socket"]) {
    const sec = elf.section(name)!;
    const rels = elf.relocationsFor(sec.index);
    assert.ok(rels.length > 0, name);
    for (const r of rels) {
      const sym = elf.symbols[r.symbolIndex]!;
      assert.equal(r.type, R_BPF_64_32);
      assert.equal(sym.type, STT_SECTION);
      assert.equal(sym.sectionIndex, text.index);
      assert.equal(sec.data[r.offset], 0x85, "a call"); // BPF_JMP | BPF_CALL
      assert.equal(sec.data[r.offset + 1]! >> 4, 1, "src_reg BPF_PSEUDO_CALL");
    }
  }
  // Within .text the call is resolved by clang: no relocation section for it.
  assert.equal(elf.relocationsFor(text.index).length, 0);
});

test("global-data: .data, .rodata, .bss, and a static reached through its section symbol", () => {
  const elf = load("global-data.bpf.o");
  const bss = elf.section(".bss")!;
  assert.equal(bss.type, SHT_NOBITS);
  assert.equal(bss.data.length, 0);
  assert.equal(bss.size, 8);
  assert.equal(elf.section(".data")!.type, SHT_PROGBITS);
  const byName = (n: string) => elf.symbols.find((s) => s.name === n)!;
  assert.equal(elf.sections[byName("packets").sectionIndex]!.name, ".data");
  assert.equal(elf.sections[byName("threshold").sectionIndex]!.name, ".rodata");
  assert.equal(elf.sections[byName("dropped").sectionIndex]!.name, ".bss");
  assert.equal(elf.sections[byName("weights").sectionIndex]!.name, ".rodata.cst16");
  const seen = byName("seen");
  assert.deepEqual([seen.bind, seen.value, elf.sections[seen.sectionIndex]!.name], [STB_LOCAL, 8, ".data"]);
  const file = elf.symbols.find((s) => s.type === STT_FILE)!;
  assert.deepEqual([file.name, file.sectionIndex], ["global-data.bpf.c", SHN_ABS]);

  const xdp = elf.section("xdp")!;
  const targets = elf.relocationsFor(xdp.index).map((r) => {
    const sym = elf.symbols[r.symbolIndex]!;
    return sym.type === STT_SECTION ? `section ${elf.sections[sym.sectionIndex]!.name}` : sym.name;
  });
  assert.deepEqual(targets, ["packets", "section .data", "threshold", "section .rodata.cst16", "dropped"]);
});

test("multi-prog: one section per program, named as libbpf expects", () => {
  const elf = load("multi-prog.bpf.o");
  const progs = elf.sections.filter((s) => s.flags & SHF_EXECINSTR && s.size > 0).map((s) => [s.name, elf.symbolsIn(s.index).find((x) => x.type === STT_FUNC)!.name]);
  assert.deepEqual(progs, [
    ["xdp", "on_xdp"],
    ["tc", "on_tc"],
    ["socket", "on_socket"],
    ["tracepoint/syscalls/sys_enter_openat", "on_openat"],
    ["kprobe/do_sys_open", "on_open"],
    ["raw_tp/sched_switch", "on_switch"],
  ]);
});

test("clang puts no local label symbols (LBB0_1) in .symtab", () => {
  for (const path of objectFiles()) {
    const elf = readElf(readFileSync(path));
    assert.deepEqual(elf.symbols.slice(1).filter((s) => s.name.startsWith("LBB") || s.name.startsWith(".L")).map((s) => s.name), [], path);
  }
});

test("alu: the -mcpu variants differ in the instructions clang may use", () => {
  const opcodes = (name: string) => {
    const code = load(name).section("socket")!.data;
    const set = new Set<number>();
    for (let i = 0; i < code.length; i += 8) set.add(code[i]!);
    return set;
  };
  const v1 = opcodes("alu.v1.bpf.o"), v3 = opcodes("alu.v3.bpf.o"), v4 = opcodes("alu.v4.bpf.o");
  assert.ok(v4.has(0xd7), "v4 has BPF_ALU64 | BPF_END (bswap)");
  assert.ok(!v1.has(0xd7) && !v3.has(0xd7), "bswap is v4 only");
  assert.ok(v4.has(0x91) || v4.has(0x89) || v4.has(0x81), "v4 has sign-extending loads (BPF_MEMSX)");
  assert.ok(v1.has(0xdb) && v3.has(0xdb) && v4.has(0xdb), "all have BPF_STX | BPF_ATOMIC | BPF_DW");
  assert.ok([...v3].some((op) => (op & 7) === 4), "v3 uses 32-bit ALU (alu32)");
  assert.deepEqual(readFileSync(join(FIXTURES, "alu.bpf.o")), readFileSync(join(FIXTURES, "alu.v1.bpf.o")), "clang-19's default is v1");
});

test("big-endian objects have the same layout as their little-endian twins", () => {
  const le = load("maps-helpers.bpf.o");
  const be = load("maps-helpers.bpfeb.bpf.o");
  assert.equal(be.littleEndian, false);
  assert.deepEqual(be.sections.map((s) => [s.name, s.type, s.size]), le.sections.map((s) => [s.name, s.type, s.size]));
  assert.deepEqual(be.symbols, le.symbols);
  const xdp = le.section("xdp")!.index;
  assert.deepEqual(be.relocationsFor(xdp), le.relocationsFor(xdp));
  // In bpfeb the register byte is dst << 4 | src; the first insn is r2 = *(u32 *)(r1 + 16) or alike.
  const first = be.section("xdp")!.data;
  assert.equal(first[1]! >> 4, le.section("xdp")!.data[1]! & 0xf);
});
