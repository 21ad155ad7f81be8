/**
 * @fileoverview readElf on malformed input: every failure must be an ElfError that says
 * where, never a RangeError from a DataView or a huge allocation.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ElfError } from "../../src/errors.js";
import { SHN_XINDEX, SHT_REL, SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX, STT_OBJECT, readElf, writeElf, type ElfFile } from "../../src/elf/index.js";
import { FIXTURES } from "./llvm.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** Parses, and if it throws, insists on an ElfError; returns the error or the file. */
function attempt(bytes: Uint8Array, what: string): ElfError | ElfFile {
  try {
    return readElf(bytes);
  } catch (err) {
    if (!(err instanceof ElfError)) assert.fail(`${what}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err;
  }
}

/** Expects an ElfError whose message matches, with a file offset. */
function rejects(bytes: Uint8Array, message: RegExp): ElfError {
  const got = attempt(bytes, message.source);
  assert.ok(got instanceof ElfError, `expected an error matching ${message}`);
  assert.match(got.message, message);
  assert.equal(got.code, "EELF");
  assert.notEqual(got.offset, undefined, `no offset in: ${got.message}`);
  return got;
}

/** A copy with some header fields rewritten, in the file's byte order. */
function patch(bytes: Uint8Array, edit: (v: DataView, le: boolean) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy[5] === 1);
  return copy;
}

const shoffOf = (v: DataView, le: boolean) => Number(v.getBigUint64(40, le));
/** File offset of section i's header. */
const shdr = (v: DataView, le: boolean, i: number) => shoffOf(v, le) + i * 64;

/** The object rewritten with its section header table first, so truncations cut into contents too. */
function headersFirst(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(v.getBigUint64(40, true));
  const shnum = v.getUint16(60, true);
  const table = shnum * 64;
  const out = new Uint8Array(bytes.length);
  out.set(bytes.subarray(0, 64));
  out.set(bytes.subarray(shoff, shoff + table), 64);
  out.set(bytes.subarray(64, shoff), 64 + table);
  const o = new DataView(out.buffer);
  o.setBigUint64(40, 64n, true);
  for (let i = 1; i < shnum; i++) {
    const at = 64 + i * 64;
    if (o.getUint32(at + 4, true) !== 8 /* SHT_NOBITS */) o.setBigUint64(at + 24, o.getBigUint64(at + 24, true) + BigInt(table), true);
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("a fixture truncated at every length is an ElfError or a valid file", () => {
  for (const bytes of [fixture("maps-helpers.bpf.o"), headersFirst(fixture("maps-helpers.bpf.o"))]) {
    assert.ok(!(attempt(bytes, "whole") instanceof ElfError), "the untruncated object reads");
    for (let n = 0; n < bytes.length; n++) attempt(bytes.subarray(0, n), `truncated to ${n}`);
  }
});

test("the headers-first rewrite still reads as the original", () => {
  const a = readElf(fixture("maps-helpers.bpf.o"));
  const b = readElf(headersFirst(fixture("maps-helpers.bpf.o")));
  assert.deepEqual(b.symbols, a.symbols);
  assert.deepEqual(b.sections.map((s) => [s.name, s.data]), a.sections.map((s) => [s.name, s.data]));
});

test("every byte of the ELF header and section headers, flipped, is an ElfError or a valid file", () => {
  for (const name of ["subprogs.bpf.o", "maps-helpers.bpfeb.bpf.o"]) {
    const bytes = fixture(name);
    const v = new DataView(bytes.buffer);
    const le = bytes[5] === 1;
    const shnum = v.getUint16(60, le);
    const positions = [...Array(64).keys()];
    for (let i = 0; i < shnum * 64; i++) positions.push(shoffOf(v, le) + i);
    for (const at of positions) {
      for (const x of [0xff, 0x80, 0x01, 0x10]) {
        bytes[at]! ^= x;
        attempt(bytes, `${name}: byte 0x${at.toString(16)} ^ 0x${x.toString(16)}`);
        bytes[at]! ^= x;
      }
    }
  }
});

test("random bytes written into the symbol table and relocations are an ElfError or a valid file", () => {
  const bytes = fixture("global-data.bpf.o");
  const elf = readElf(bytes);
  const regions = elf.sections.filter((s) => s.type === SHT_SYMTAB || s.type === SHT_REL || s.type === SHT_STRTAB).map((s) => [s.offset, s.size] as const);
  const rand = rng(1);
  for (let round = 0; round < 3000; round++) {
    const copy = bytes.slice();
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      const [start, size] = regions[Math.floor(rand() * regions.length)]!;
      copy[start + Math.floor(rand() * size)] = rand() < 0.5 ? 0xff : Math.floor(rand() * 256);
    }
    attempt(copy, `round ${round}`);
  }
});

test("not an ELF file", () => {
  rejects(new Uint8Array(0), /not an ELF file/);
  rejects(new TextEncoder().encode("#!/bin/sh\necho hi\n"), /not an ELF file \(bad magic\)/);
  rejects(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1), /truncated e_ident/);
  assert.throws(() => readElf("\x7fELF" as unknown as Uint8Array), ElfError);
});

test("ELFCLASS32 is refused by name; other e_ident values are invalid", () => {
  const bytes = fixture("loop.bpf.o");
  rejects(patch(bytes, (v) => v.setUint8(4, 1)), /ELFCLASS32 objects are not supported/);
  rejects(patch(bytes, (v) => v.setUint8(4, 3)), /invalid EI_CLASS 3/);
  rejects(patch(bytes, (v) => v.setUint8(5, 0)), /invalid EI_DATA 0/);
  rejects(patch(bytes, (v) => v.setUint8(6, 2)), /EI_VERSION 2/);
  rejects(bytes.subarray(0, 63), /truncated ELF header: 63 bytes, need 64/);
});

test("header sizes must be ELF64's", () => {
  const bytes = fixture("loop.bpf.o");
  rejects(patch(bytes, (v, le) => v.setUint16(52, 52, le)), /e_ehsize 52 is not 64/);
  rejects(patch(bytes, (v, le) => v.setUint16(58, 40, le)), /e_shentsize 40 is not 64/);
  rejects(patch(bytes, (v, le) => v.setUint32(20, 0, le)), /e_version 0/);
  rejects(patch(bytes, (v, le) => { v.setUint16(56, 1, le); v.setUint16(54, 32, le); }), /e_phentsize 32 is not 56/);
  rejects(patch(bytes, (v, le) => { v.setUint16(56, 3, le); v.setUint16(54, 56, le); v.setBigUint64(32, BigInt(bytes.length - 8), le); }), /program header table/);
});

test("a count of 65535 sections in a 100-byte file fails at once", () => {
  const bytes = new Uint8Array(100);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const v = new DataView(bytes.buffer);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, 64n, true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 65535, true);
  const start = performance.now();
  const err = rejects(bytes, /section header table \(65535 entries at 0x40\) is past the end of the file \(0x64 bytes\)/);
  assert.ok(performance.now() - start < 50);
  assert.equal(err.offset, 60);
});

test("extended section numbering: a huge count in section 0's sh_size fails at once", () => {
  const bytes = fixture("loop.bpf.o");
  const bad = patch(bytes, (v, le) => { v.setUint16(60, 0, le); v.setBigUint64(shdr(v, le, 0) + 32, 1n << 40n, le); });
  rejects(bad, /section header table \(1099511627776 entries/);
  const huge = patch(bytes, (v, le) => { v.setUint16(60, 0, le); v.setBigUint64(shdr(v, le, 0) + 32, 1n << 62n, le); });
  rejects(huge, /extended section count .* is too large/);
  const none = patch(bytes, (v, le) => v.setUint16(60, 0, le));
  rejects(none, /no entries/);
});

test("extended section numbering done right reads the same", () => {
  const bytes = fixture("loop.bpf.o");
  const plain = readElf(bytes);
  const ext = readElf(patch(bytes, (v, le) => {
    const shnum = v.getUint16(60, le);
    const shstrndx = v.getUint16(62, le);
    v.setUint16(60, 0, le);
    v.setUint16(62, SHN_XINDEX, le);
    v.setBigUint64(shdr(v, le, 0) + 32, BigInt(shnum), le);
    v.setUint32(shdr(v, le, 0) + 40, shstrndx, le);
  }));
  assert.deepEqual(ext.sections.map((s) => s.name), plain.sections.map((s) => s.name));
  assert.deepEqual(ext.symbols, plain.symbols);
});

test("section bounds and sizes", () => {
  const bytes = fixture("loop.bpf.o");
  const elf = readElf(bytes);
  const xdp = elf.section("xdp")!.index;
  const e1 = rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, xdp) + 32, 1n << 20n, le)), /contents .* are past the end of the file/);
  assert.equal(e1.section, "xdp");
  rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, xdp) + 24, 1n << 63n, le)), /sh_offset 0x8000000000000000 is too large/);
  rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, xdp) + 24, BigInt(bytes.length), le)), /past the end of the file/);
  rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, xdp) + 48, 12n, le)), /sh_addralign 12 is not a power of two/);
  rejects(patch(bytes, (v, le) => v.setBigUint64(40, BigInt(bytes.length - 10), le)), /section header table \(\d+ entries at 0x[0-9a-f]+\) is past the end/);
  rejects(patch(bytes, (v, le) => { v.setUint16(60, 0, le); v.setBigUint64(40, BigInt(bytes.length - 10), le); }), /section header table at 0x[0-9a-f]+ is past the end/);
  // A NOBITS section may claim any size: it has no bytes in the file.
  const nobits = readElf(patch(bytes, (v, le) => { v.setUint32(shdr(v, le, xdp) + 4, 8, le); v.setBigUint64(shdr(v, le, xdp) + 32, 1n << 40n, le); }));
  assert.equal(nobits.sections[xdp]!.size, 2 ** 40);
  assert.equal(nobits.sections[xdp]!.data.length, 0);
});

test("section names: e_shstrndx and name offsets", () => {
  const bytes = fixture("loop.bpf.o");
  const elf = readElf(bytes);
  const count = elf.sections.length;
  const shstrndx = elf.sections.findIndex((s) => s.name === ".strtab");
  rejects(patch(bytes, (v, le) => v.setUint16(62, count, le)), new RegExp(`section name table index ${count} is out of range`));
  rejects(patch(bytes, (v, le) => v.setUint16(62, elf.section("xdp")!.index, le)), /is not SHT_STRTAB/);
  rejects(patch(bytes, (v, le) => { v.setUint16(62, SHN_XINDEX, le); v.setUint32(shdr(v, le, 0) + 40, 300, le); }), /section name table index 300 is out of range/);
  const strtabSize = elf.sections[shstrndx]!.size;
  const e = rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, 3), strtabSize + 5, le)), /name offset \d+ is past the end of the section name table/);
  assert.equal(e.section, "#3");
  // The last byte of the table made non-NUL: the last name no longer ends.
  const strtab = elf.sections[shstrndx]!;
  const unterminated = patch(bytes, () => {});
  unterminated[strtab.offset + strtab.size - 1] = 0x41;
  rejects(unterminated, /is not NUL-terminated/);
  // No name table at all is allowed: every name is "".
  const nameless = readElf(patch(bytes, (v, le) => v.setUint16(62, 0, le)));
  assert.ok(nameless.sections.every((s) => s.name === ""));
});

test("symbol table: entsize, size, links, names and section indices", () => {
  const bytes = fixture("global-data.bpf.o");
  const elf = readElf(bytes);
  const st = elf.sections.find((s) => s.type === SHT_SYMTAB)!;
  const e = rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, st.index) + 56, 0n, le)), /sh_entsize 0 is not 24/);
  assert.equal(e.section, ".symtab");
  rejects(patch(bytes, (v, le) => v.setBigUint64(shdr(v, le, st.index) + 32, BigInt(st.size - 4), le)), /is not a multiple of 24/);
  rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, st.index) + 40, 9999, le)), /sh_link 9999 is not a section/);
  rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, st.index) + 40, elf.section("xdp")!.index, le)), /is not SHT_STRTAB/);
  rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, st.index) + 44, 9999, le)), /sh_info 9999 \(first non-local symbol\)/);
  rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, elf.section("xdp")!.index) + 4, SHT_SYMTAB, le)), /a second SHT_SYMTAB/);

  const sym = (i: number) => st.offset + i * 24;
  const packets = elf.symbols.find((s) => s.name === "packets")!.index;
  const e2 = rejects(patch(bytes, (v, le) => v.setUint32(sym(packets), 0x7fffffff, le)), /name offset 2147483647 is past the end of the string table .strtab/);
  assert.equal(e2.offset, sym(packets));
  rejects(patch(bytes, (v, le) => v.setUint16(sym(packets) + 6, 500, le)), /symbol \d+: section index 500 is out of range/);
  rejects(patch(bytes, (v, le) => v.setUint16(sym(packets) + 6, SHN_XINDEX, le)), /SHN_XINDEX but there is no SHT_SYMTAB_SHNDX/);
  rejects(patch(bytes, (v, le) => v.setBigUint64(sym(packets) + 8, 1n << 60n, le)), /st_value 0x1000000000000000 is too large/);
});

test("relocations: entsize, links, symbol indices and offsets", () => {
  const bytes = fixture("global-data.bpf.o");
  const elf = readElf(bytes);
  const rel = elf.sections.find((s) => s.name === ".relxdp")!;
  const st = elf.sections.find((s) => s.type === SHT_SYMTAB)!;
  const h = (v: DataView, le: boolean) => shdr(v, le, rel.index);
  const e = rejects(patch(bytes, (v, le) => v.setBigUint64(h(v, le) + 56, 24n, le)), /sh_entsize 24 is not 16/);
  assert.equal(e.section, ".relxdp");
  rejects(patch(bytes, (v, le) => v.setUint32(h(v, le) + 4, 4 /* SHT_RELA */, le)), /sh_entsize 16 is not 24/);
  rejects(patch(bytes, (v, le) => v.setBigUint64(h(v, le) + 32, BigInt(rel.size - 8), le)), /is not a multiple of 16/);
  rejects(patch(bytes, (v, le) => v.setUint32(h(v, le) + 40, 1, le)), new RegExp(`sh_link 1 is not the symbol table \\(${st.index}\\)`));
  rejects(patch(bytes, (v, le) => v.setUint32(h(v, le) + 44, 0, le)), /sh_info 0 is not a section relocations can apply to/);
  rejects(patch(bytes, (v, le) => v.setUint32(h(v, le) + 44, 4000, le)), /sh_info 4000/);
  rejects(patch(bytes, (v, le) => v.setUint32(h(v, le) + 44, rel.index, le)), /sh_info \d+ is not a section/);
  const e2 = rejects(patch(bytes, (v, le) => v.setUint32(rel.offset + 16 + 12, 10_000, le)), /relocation symbol 10000 is out of range \(20 symbols\)/);
  assert.equal(e2.offset, rel.offset + 16 + 8);
  rejects(patch(bytes, (v, le) => v.setBigUint64(rel.offset, 0x10000n, le)), /relocation offset 0x10000 is past the end of xdp/);
  // Without a symbol table, relocations cannot name anything.
  rejects(patch(bytes, (v, le) => v.setUint32(shdr(v, le, st.index) + 4, 1, le)), /is not the symbol table \(there is none\)/);
});

test("SHN_XINDEX symbols resolve through SHT_SYMTAB_SHNDX", () => {
  // The writer makes the object; the test then points one symbol at its section through the extended table.
  const bytes = writeElf({
    sections: [
      { name: ".data", data: new Uint8Array(16), flags: 3n },
      { name: ".symtab_shndx", type: SHT_SYMTAB_SHNDX, flags: 0n, data: new Uint8Array(4 * 4), addralign: 4 },
    ],
    symbols: [{ name: "counter", section: ".data", value: 8, size: 8, type: STT_OBJECT }],
  });
  const elf = readElf(bytes);
  const st = elf.sections.find((s) => s.type === SHT_SYMTAB)!;
  const shndx = elf.section(".symtab_shndx")!;
  const counter = elf.symbols.find((s) => s.name === "counter")!;
  const fixed = patch(bytes, (v, le) => {
    v.setUint32(shdr(v, le, shndx.index) + 40, st.index, le);
    v.setUint16(st.offset + counter.index * 24 + 6, SHN_XINDEX, le);
    v.setUint32(shndx.offset + counter.index * 4, elf.section(".data")!.index, le);
  });
  const got = readElf(fixed);
  assert.equal(got.symbols[counter.index]!.sectionIndex, elf.section(".data")!.index);
  assert.deepEqual(got.symbolsIn(elf.section(".data")!.index).map((s) => s.name), ["", "counter"]);
  const bad = patch(fixed, (v, le) => v.setUint32(shndx.offset + counter.index * 4, 77, le));
  rejects(bad, /extended section index 77 is out of range/);
  const short = patch(fixed, (v, le) => v.setBigUint64(shdr(v, le, shndx.index) + 32, 4n, le));
  rejects(short, /hold fewer than the 4 section indices/);
});
