/**
 * @fileoverview Test helpers: the fixture paths, and what llvm-readelf-19 and
 * llvm-objdump-19 say about an object, for differential tests (absent tools mean skip).
 */

import { existsSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const BENCH_PROGS = fileURLToPath(new URL("../../bench/progs/", import.meta.url));

/** Every committed fixture object, then the bench objects if that directory exists. */
export function objectFiles(): string[] {
  const list = readdirSync(FIXTURES).filter((f) => f.endsWith(".o")).sort().map((f) => join(FIXTURES, f));
  if (existsSync(BENCH_PROGS)) {
    list.push(...readdirSync(BENCH_PROGS).filter((f) => f.endsWith(".o")).sort().map((f) => join(BENCH_PROGS, f)));
  }
  return list;
}

/** Whether a tool runs at all; `skip` messages name it when it does not. */
export function hasTool(name: string): boolean {
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  return r.status === 0;
}

export interface ReadelfSection { index: number; name: string; type: number; flags: number; address: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number }
export interface ReadelfSymbol { name: string; value: number; size: number; bind: number; type: number; other: number; section: number }
export interface ReadelfRelocation { offset: number; type: number; symbolName: string; symbolIndex: number }
export interface ReadelfDump {
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  /** keyed by the index of the SHT_REL/SHT_RELA section */
  relocations: Map<number, ReadelfRelocation[]>;
}

/** `llvm-readelf-19 -S -s -r` of a file, in its JSON output style. */
export function readelf(path: string): ReadelfDump {
  const r = spawnSync("llvm-readelf-19", ["--elf-output-style=JSON", "-S", "-s", "-r", path], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`llvm-readelf-19 failed on ${path}: ${r.stderr}`);
  const [dump] = JSON.parse(r.stdout) as any[];
  const sections = (dump.Sections ?? []).map(({ Section: s }: any) => ({
    index: s.Index, name: s.Name.Name, type: s.Type.Value, flags: s.Flags.Value, address: s.Address,
    offset: s.Offset, size: s.Size, link: s.Link, info: s.Info, addralign: s.AddressAlignment, entsize: s.EntrySize,
  }));
  const symbols = (dump.Symbols ?? []).map(({ Symbol: s }: any) => ({
    name: s.Name.Name, value: s.Value, size: s.Size, bind: s.Binding.Value, type: s.Type.Value, other: s.Other.Value, section: s.Section.Value,
  }));
  const relocations = new Map<number, ReadelfRelocation[]>();
  for (const group of dump.Relocations ?? []) {
    relocations.set(group.SectionIndex, group.Relocs.map(({ Relocation: r }: any) => ({
      offset: r.Offset, type: r.Type.Value, symbolName: r.Symbol.Name, symbolIndex: r.Symbol.Value,
    })));
  }
  return { sections, symbols, relocations };
}

/** `llvm-objdump-19` with these flags, stdout and stderr. */
export function objdump(path: string, ...flags: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync("llvm-objdump-19", [...flags, path], { encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
