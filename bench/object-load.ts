/**
 * @fileoverview How long opening an object takes (loadObjectSpec: ELF, BTF, relocations,
 * maps, subprograms): a synthetic 100 KB object and the largest fixture. Run alone with
 * `node --import tsx bench/object-load.ts`, or as part of `npm run bench`.
 */

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { R_BPF_64_64, SHF_ALLOC, SHF_WRITE, STT_OBJECT, writeElf, type ElfWriterSection, type ElfWriterSymbol } from "../src/elf/index.js";
import { encode, insn, type Instruction } from "../src/isa/index.js";
import { loadObjectSpec } from "../src/object/index.js";

/** A synthetic object of about 100 KB: 12 programs of 1000 instructions, a map load every 10. */
export function largeObject(): Uint8Array {
  const sections: ElfWriterSection[] = [];
  const symbols: ElfWriterSymbol[] = [];
  const maps = new Uint8Array(20 * 4);
  const mv = new DataView(maps.buffer);
  for (let m = 0; m < 4; m++) {
    [2, 4, 8, 16].forEach((v, i) => mv.setUint32(m * 20 + i * 4, v, true)); // struct bpf_map_def: an array map
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

export interface ObjectLoadResult {
  readonly object: string;
  readonly bytes: number;
  readonly ms_per_load: number;
}

/** Mean milliseconds per loadObjectSpec, after a warm-up, for each object. */
export function benchObjectLoad(): ObjectLoadResult[] {
  const inputs: [string, Uint8Array][] = [["synthetic-100k", largeObject()]];
  try {
    inputs.push(["core.bpf.o", new Uint8Array(readFileSync(new URL("../test/fixtures/core.bpf.o", import.meta.url)))]);
  } catch {
    // the fixture is optional here
  }
  return inputs.map(([object, bytes]) => {
    const spec = loadObjectSpec(bytes, { name: object });
    if (object === "synthetic-100k" && (spec.programs.length !== 12 || spec.programs[0]!.references.length !== 100)) {
      throw new Error("the synthetic object did not open as 12 programs with 100 map references each");
    }
    for (let i = 0; i < 5; i++) loadObjectSpec(bytes, { name: object });
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i++) loadObjectSpec(bytes, { name: object });
    return { object, bytes: bytes.length, ms_per_load: (performance.now() - start) / runs };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of benchObjectLoad()) {
    console.log(`${r.object.padEnd(16)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KB  loadObjectSpec ${r.ms_per_load.toFixed(2)} ms`);
  }
}
