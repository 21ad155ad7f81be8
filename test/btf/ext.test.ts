/**
 * @fileoverview parseBtfExt on every fixture: func_info names the function symbols, line_info
 * quotes the source file's own lines, and core_relo agrees with llvm-objdump-19's CO-RE
 * annotations. Then hostile headers.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { BtfError, CORE_RELOCATION_KIND_NAMES, parseBtf, parseBtfExt } from "../../src/btf/index.js";
import { STT_FUNC, readElf } from "../../src/elf/index.js";
import { FIXTURES, objectFiles } from "./helpers.js";

for (const path of objectFiles()) {
  const elf = readElf(new Uint8Array(readFileSync(path)));
  const extSection = elf.section(".BTF.ext");
  if (!extSection) continue;
  test(`${basename(path)}: .BTF.ext func_info and line_info agree with the symbols and the source`, () => {
    const btf = parseBtf(elf.section(".BTF")!.data);
    const ext = parseBtfExt(extSection.data, btf);
    assert.ok(ext.funcInfo.size > 0);
    for (const [section, infos] of ext.funcInfo) {
      const s = elf.section(section)!;
      const funcs = elf.symbolsIn(s.index).filter((sym) => sym.type === STT_FUNC);
      assert.deepEqual(infos.map((f) => [f.insnOff, btf.type(f.typeId).name]), funcs.map((f) => [f.value / 8, f.name]), section);
      for (const f of infos) assert.equal(btf.type(f.typeId).kind, "func");
    }
    const source = join(path.endsWith(".o") ? path.replace(/[^/]*$/, "") : FIXTURES, basename(path).replace(/(\.v\d|\.bpfeb)?\.bpf\.o$/, ".bpf.c"));
    const lines = existsSync(source) ? readFileSync(source, "utf8").split("\n") : undefined;
    for (const [section, infos] of ext.lineInfo) {
      assert.ok(elf.section(section), section);
      let last = -1;
      for (const l of infos) {
        assert.ok(l.insnOff >= last, `${section}: line info sorted by instruction`);
        last = l.insnOff;
        if (lines && basename(l.fileName) === basename(source)) assert.equal(l.lineText, lines[l.line - 1], `${section} insn ${l.insnOff}: line ${l.line}`);
      }
    }
  });
}

const haveObjdump = spawnSync("llvm-objdump-19", ["--version"]).status === 0;

test("core.bpf.o: core_relo records are what llvm-objdump-19 -dr annotates", { skip: haveObjdump ? false : "llvm-objdump-19 is not on PATH" }, () => {
  const path = join(FIXTURES, "core.bpf.o");
  const elf = readElf(new Uint8Array(readFileSync(path)));
  const btf = parseBtf(elf.section(".BTF")!.data);
  const ext = parseBtfExt(elf.section(".BTF.ext")!.data, btf);
  const text = spawnSync("llvm-objdump-19", ["-dr", path], { encoding: "utf8" }).stdout;
  const want = [...text.matchAll(/^\s+([0-9a-f]+):\s+CO-RE <(\w+)> \[(\d+)\] [^\n]*?(?:\(([\d:]+)\))?$/gm)].map((m) => ({
    insnOff: parseInt(m[1]!, 16) / 8,
    kind: m[2]!,
    typeId: Number(m[3]),
    ...(m[4] ? { accessString: m[4] } : {}),
  }));
  const relos = ext.coreRelocations.get("raw_tp/sched_switch")!;
  assert.equal(relos.length, want.length);
  relos.forEach((r, i) => {
    const w = want[i]!;
    assert.deepEqual({ insnOff: r.insnOff, kind: CORE_RELOCATION_KIND_NAMES[r.kind], typeId: r.typeId }, { insnOff: w.insnOff, kind: w.kind, typeId: w.typeId }, `relo ${i}`);
    if (w.accessString && !/enumval/.test(w.kind)) assert.equal(r.accessString, w.accessString, `relo ${i}`);
  });
});

test("hostile .BTF.ext: short, bad magic, counts past the end, bad offsets", () => {
  const elf = readElf(new Uint8Array(readFileSync(join(FIXTURES, "core.bpf.o"))));
  const btf = parseBtf(elf.section(".BTF")!.data);
  const ext = elf.section(".BTF.ext")!.data;
  for (let n = 0; n < ext.length; n += 7) {
    try {
      parseBtfExt(ext.subarray(0, n), btf);
    } catch (e) {
      assert.ok(e instanceof BtfError, String(e));
    }
  }
  assert.throws(() => parseBtfExt(new Uint8Array(10), btf), /shorter than the 24-byte header/);
  const copy = new Uint8Array(ext);
  const v = new DataView(copy.buffer);
  const hdr = v.getUint32(4, true);
  const lineOff = v.getUint32(16, true);
  v.setUint32(hdr + lineOff + 8, 0x7fffffff, true); // the first line_info section's record count
  assert.throws(() => parseBtfExt(copy, btf), /line_info for section raw_tp\/sched_switch: 2147483647 records of 16 bytes overrun/);
});
