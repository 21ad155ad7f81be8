/**
 * @fileoverview writeElf: objects that readElf reads back as written, and that
 * llvm-objdump-19 and llvm-readelf-19 accept as BPF objects.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfError } from "../../src/errors.js";
import {
  EM_BPF, ET_REL, R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS,
  SHT_REL, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, readElf, writeElf,
  type ElfWriterSpec,
} from "../../src/elf/index.js";
import { hasTool, objdump, readelf } from "./llvm.js";

/** One little-endian instruction: opcode, dst, src, off, imm. */
function insn(opcode: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, opcode);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

const code = (...insns: number[][]) => Uint8Array.from(insns.flat());

/** A .text subprogram, an xdp program calling it and using a map, a map, .bss and a license. */
function sample(littleEndian = true): ElfWriterSpec {
  return {
    littleEndian,
    sections: [
      { name: ".text", data: code(insn(0xbf, 0, 1, 0, 0) /* r0 = r1 */, insn(0x07, 0, 0, 0, 1) /* r0 += 1 */, insn(0x95, 0, 0, 0, 0)) },
      {
        name: "xdp",
        data: code(
          insn(0x18, 1, 0, 0, 0), insn(0, 0, 0, 0, 0), // r1 = map ll
          insn(0xb7, 1, 0, 0, 2), // r1 = 2
          insn(0x85, 0, 1, 0, -1), // call .text + 0
          insn(0x95, 0, 0, 0, 0),
        ),
        relocations: [
          { offset: 0, symbol: "counters", type: R_BPF_64_64 },
          { offset: 24, symbol: ".text", type: R_BPF_64_32 },
        ],
      },
      { name: ".maps", flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(32) },
      { name: ".bss", type: SHT_NOBITS, data: new Uint8Array(16) },
      { name: "license", flags: SHF_ALLOC | SHF_WRITE, data: new TextEncoder().encode("GPL\0"), addralign: 1 },
    ],
    symbols: [
      { name: "prog", section: "xdp", value: 0, size: 40 },
      { name: "counters", section: ".maps", value: 0, size: 32, type: STT_OBJECT },
      { name: "add_one", section: ".text", value: 0, size: 24, bind: STB_LOCAL },
      { name: "scratch", section: ".bss", value: 8, size: 8, type: STT_OBJECT, bind: STB_LOCAL },
      { name: "LICENSE", section: "license", value: 0, size: 4, type: STT_OBJECT },
    ],
  };
}

test("what writeElf writes, readElf reads back", () => {
  for (const le of [true, false]) {
    const spec = sample(le);
    const elf = readElf(writeElf(spec));
    assert.equal(elf.littleEndian, le);
    assert.equal(elf.machine, EM_BPF);
    assert.equal(elf.type, ET_REL);
    // The caller's sections keep their order, from index 1.
    assert.deepEqual(elf.sections.slice(1, 6).map((s) => [s.index, s.name, s.type]), [
      [1, ".text", SHT_PROGBITS], [2, "xdp", SHT_PROGBITS], [3, ".maps", SHT_PROGBITS], [4, ".bss", SHT_NOBITS], [5, "license", SHT_PROGBITS],
    ]);
    for (const s of spec.sections) {
      const got = elf.section(s.name)!;
      assert.deepEqual(got.data, s.type === SHT_NOBITS ? new Uint8Array(0) : s.data, s.name);
      assert.equal(got.size, s.data.length);
      assert.equal(got.offset % got.addralign, 0, `${s.name} is aligned in the file`);
    }
    assert.equal(elf.section(".text")!.flags, SHF_ALLOC | SHF_EXECINSTR);
    assert.equal(elf.section(".bss")!.flags, SHF_ALLOC | SHF_WRITE);
    assert.equal(elf.section("license")!.addralign, 1);

    const rel = elf.section(".relxdp")!;
    assert.deepEqual([rel.type, rel.info, rel.link, rel.entsize], [SHT_REL, 2, elf.sections.find((s) => s.type === SHT_SYMTAB)!.index, 16]);
    const rels = elf.relocationsFor(2);
    assert.deepEqual(rels.map((r) => [r.offset, r.type, r.addend]), [[0, R_BPF_64_64, 0n], [24, R_BPF_64_32, 0n]]);
    assert.equal(elf.symbols[rels[0]!.symbolIndex]!.name, "counters");
    const textSym = elf.symbols[rels[1]!.symbolIndex]!;
    assert.deepEqual([textSym.type, textSym.sectionIndex], [STT_SECTION, 1]);

    // Locals first (the null symbol, section symbols, then the caller's locals), and sh_info past them.
    const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB)!;
    const firstGlobal = elf.symbols.findIndex((s) => s.bind !== STB_LOCAL);
    assert.equal(symtab.info, firstGlobal);
    assert.ok(elf.symbols.slice(firstGlobal).every((s) => s.bind !== STB_LOCAL));
    assert.deepEqual(elf.symbols.slice(1 + 5).map((s) => [s.name, s.bind, s.type, s.value, s.size]), [
      ["add_one", STB_LOCAL, STT_FUNC, 0, 24],
      ["scratch", STB_LOCAL, STT_OBJECT, 8, 8],
      ["prog", STB_GLOBAL, STT_FUNC, 0, 40],
      ["counters", STB_GLOBAL, STT_OBJECT, 0, 32],
      ["LICENSE", STB_GLOBAL, STT_OBJECT, 0, 4],
    ]);
    assert.deepEqual(elf.symbolsIn(1).map((s) => s.name), ["", "add_one"]);
  }
});

test("an undefined symbol (section \"\") can be the target of a relocation", () => {
  const elf = readElf(writeElf({
    sections: [{ name: "xdp", data: code(insn(0x85, 0, 2, 0, -1), insn(0x95, 0, 0, 0, 0)), relocations: [{ offset: 0, symbol: "bpf_kfunc", type: R_BPF_64_32 }] }],
    symbols: [{ name: "bpf_kfunc", section: "", value: 0, type: STT_NOTYPE }],
  }));
  const sym = elf.symbols[elf.relocationsFor(1)[0]!.symbolIndex]!;
  assert.deepEqual([sym.name, sym.sectionIndex, sym.bind], ["bpf_kfunc", 0, STB_GLOBAL]);
});

test("an empty spec is still a valid object", () => {
  const elf = readElf(writeElf({ sections: [] }));
  assert.deepEqual(elf.sections.map((s) => s.name), ["", ".symtab", ".strtab", ".shstrtab"]);
  assert.equal(elf.symbols.length, 1);
});

test("a spec that cannot be written is an ElfError", () => {
  const data = code(insn(0x95, 0, 0, 0, 0));
  const bad: [ElfWriterSpec, RegExp][] = [
    [{ sections: [{ name: "xdp", data }, { name: "xdp", data }] }, /section xdp: section defined twice/],
    [{ sections: [{ name: "xdp", data, relocations: [{ offset: 0, symbol: "nope", type: 1 }] }] }, /unknown symbol nope/],
    [{ sections: [{ name: "xdp", data, relocations: [{ offset: 8, symbol: "xdp", type: 1 }] }] }, /relocation offset 8 is outside the section/],
    [{ sections: [{ name: "xdp", data }], symbols: [{ name: "f", section: "tc", value: 0 }] }, /in unknown section tc/],
    [{ sections: [{ name: "xdp", data }], symbols: [{ name: "f", section: "xdp", value: 16 }] }, /value 16 is outside the section/],
    [{ sections: [{ name: "xdp", data }], symbols: [{ name: "f", section: "xdp", value: 0 }, { name: "f", section: "xdp", value: 0 }] }, /symbol f defined twice/],
    [{ sections: [{ name: "xdp", data, addralign: 3 }] }, /addralign 3 is not a power of two/],
  ];
  for (const [spec, message] of bad) assert.throws(() => writeElf(spec), (err: unknown) => err instanceof ElfError && message.test(err.message));
});

const haveObjdump = hasTool("llvm-objdump-19");

test("llvm-objdump-19 disassembles a written object", { skip: haveObjdump ? false : "llvm-objdump-19 is not on PATH" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-elf-"));
  try {
    const path = join(dir, "sample.o");
    writeFileSync(path, writeElf(sample()));
    const out = objdump(path, "-d", "-r");
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr, "");
    assert.match(out.stdout, /file format elf64-bpf/);
    assert.match(out.stdout, /Disassembly of section \.text:\n\n0000000000000000 <add_one>:\n\s+0:\s+bf 10 00 00 00 00 00 00\s+r0 = r1\n\s+1:.*r0 \+= 0x1\n\s+2:.*exit/);
    assert.match(out.stdout, /Disassembly of section xdp:\n\n0000000000000000 <prog>:\n\s+0:\s+18 01 .*r1 = 0x0 ll\n\s+0000000000000000:\s+R_BPF_64_64\s+counters/);
    assert.match(out.stdout, /call -0x1\n\s+0000000000000018:\s+R_BPF_64_32\s+\.text/);

    const be = join(dir, "sample-be.o");
    writeFileSync(be, writeElf(sample(false)));
    const beOut = objdump(be, "-d");
    assert.equal(beOut.status, 0, beOut.stderr);
    assert.match(beOut.stdout, /file format elf64-bpf/);
    assert.match(beOut.stdout, /<prog>:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const haveReadelf = hasTool("llvm-readelf-19");

test("llvm-readelf-19 reads a written object as readElf does", { skip: haveReadelf ? false : "llvm-readelf-19 is not on PATH" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-elf-"));
  try {
    const path = join(dir, "sample.o");
    const bytes = writeElf(sample());
    writeFileSync(path, bytes);
    const want = readelf(path);
    const elf = readElf(bytes);
    assert.deepEqual(elf.sections.map((s) => [s.name, s.type, s.offset, s.size, s.link, s.info]), want.sections.map((s) => [s.name, s.type, s.offset, s.size, s.link, s.info]));
    assert.deepEqual(
      elf.symbols.map((s) => [s.type === STT_SECTION ? elf.sections[s.sectionIndex]!.name : s.name, s.value, s.size, s.type, s.bind, s.sectionIndex]),
      want.symbols.map((s) => [s.name, s.value, s.size, s.type, s.bind, s.section]),
    );
    assert.deepEqual(want.relocations.get(elf.section(".relxdp")!.index)!.map((r) => [r.offset, r.type, r.symbolName]), [[0, R_BPF_64_64, "counters"], [24, R_BPF_64_32, ".text"]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
