import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { R_BPF_64_64, SHF_ALLOC, SHF_WRITE, STT_OBJECT, writeElf, type ElfWriterSection, type ElfWriterSymbol } from "../../src/elf/index.js";
import { encode, insn, type Instruction } from "../../src/isa/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { bytesOf, FIXTURES } from "./helpers.js";

/** A synthetic object of about 100 KB: 12 programs of 1000 instructions, a map load every 10. */
function largeObject(): Uint8Array {
  const sections: ElfWriterSection[] = [];
  const symbols: ElfWriterSymbol[] = [];
  const maps = new Uint8Array(20 * 4);
  const mv = new DataView(maps.buffer);
  for (let m = 0; m < 4; m++) {
    [2, 4, 8, 16].forEach((v, i) => mv.setUint32(m * 20 + i * 4, i === 0 ? 2 : v, true)); // array, 4-byte keys...
    symbols.push({ name: `map${m}`, section: "maps", value: m * 20, size: 20, type: STT_OBJECT });
  }
  for (let p = 0; p < 12; p++) {
    const insns: Instruction[] = [];
    const relocations: { offset: number; symbol: string; type: number }[] = [];
    let slot = 0;
    for (let i = 0; i < 1000; i++) {
      if (i % 10 === 0) {
        relocations.push({ offset: slot * 8, symbol: `map${i % 4}`, type: R_BPF_64_64 });
        insns.push(insn(0x18, 1, 0, 0, 0n));
        slot += 2;
      } else {
        insns.push(insn(0x07, 0, 0, 0, i)); // r0 += i
        slot += 1;
      }
    }
    insns.push(insn(0x95, 0, 0, 0, 0));
    const name = `xdp/p${p}`;
    sections.push({ name, data: encode(insns), relocations });
    symbols.push({ name: `prog${p}`, section: name, value: 0, size: (slot + 1) * 8 });
  }
  sections.push({ name: "maps", flags: SHF_ALLOC | SHF_WRITE, data: maps });
  sections.push({ name: "license", flags: SHF_ALLOC | SHF_WRITE, data: new TextEncoder().encode("GPL\0") });
  return writeElf({ sections, symbols });
}

test("opening a 100 KB object takes well under 50 ms (measured, not asserted)", (t) => {
  const bytes = largeObject();
  assert.ok(bytes.length >= 100_000, `${bytes.length} bytes`);
  loadObjectSpec(bytes); // warm up the JIT
  const runs = 10;
  const start = performance.now();
  let spec;
  for (let i = 0; i < runs; i++) spec = loadObjectSpec(bytes);
  const ms = (performance.now() - start) / runs;
  assert.equal(spec!.programs.length, 12);
  assert.equal(spec!.programs[0]!.references.length, 100);
  t.diagnostic(`${(bytes.length / 1024).toFixed(0)} KB synthetic object: ${ms.toFixed(2)} ms per loadObjectSpec`);
  const core = join(FIXTURES, "core.bpf.o");
  if (existsSync(core)) {
    const b = bytesOf(core);
    loadObjectSpec(b);
    const s = performance.now();
    for (let i = 0; i < runs; i++) loadObjectSpec(b);
    t.diagnostic(`core.bpf.o (${(b.length / 1024).toFixed(0)} KB, mostly BTF): ${((performance.now() - s) / runs).toFixed(2)} ms per loadObjectSpec`);
  }
});
