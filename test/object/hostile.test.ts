import { test } from "node:test";
import assert from "node:assert/strict";
import { BpfError, ElfError } from "../../src/errors.js";
import { R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_WRITE, readElf, writeElf, STT_OBJECT, type ElfWriterSpec } from "../../src/elf/index.js";
import { encode, insn } from "../../src/isa/index.js";
import { loadObject, ObjectError } from "../../src/object/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { bytesOf, EXTERN_VALUES, fixtureObjects } from "./helpers.js";

const lddw = (dst: number, imm = 0n) => insn(0x18, dst, 0, 0, imm);
const mov = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm);
const exit = () => insn(0x95, 0, 0, 0, 0);
const callLocal = (imm: number) => insn(0x85, 0, 1, 0, imm);
const DATA = { name: ".data", flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(8) };
const LICENSE = { name: "license", flags: SHF_ALLOC | SHF_WRITE, data: new TextEncoder().encode("GPL\0") };

function object(spec: ElfWriterSpec): Uint8Array {
  return writeElf(spec);
}

/** The ObjectError loadObjectSpec throws for `bytes`; fails if it succeeds or throws anything else. */
function objectError(bytes: Uint8Array): ObjectError {
  try {
    loadObjectSpec(bytes, { name: "hostile.o" });
  } catch (e) {
    assert.ok(e instanceof ObjectError, `expected an ObjectError, got ${(e as Error)?.stack}`);
    return e;
  }
  assert.fail("loadObjectSpec accepted a malformed object");
}

test("a well-formed hand-made object opens, so the hostile variants below fail for their one flaw", () => {
  const spec = loadObjectSpec(object({
    sections: [{ name: "xdp", data: encode([lddw(1), mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: "counter", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 32 }, { name: "counter", section: ".data", value: 0, size: 8, type: STT_OBJECT }],
  }), { name: "hostile.o" });
  assert.deepEqual(spec.programs[0]!.references, [{ insnIndex: 0, kind: "data", name: "hostile.data", offset: 0 }]);
});

test("a relocation past the end of its section is an ElfError with section and offset", () => {
  const bytes = object({
    sections: [{ name: "xdp", data: encode([lddw(1), mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: "counter", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 32 }, { name: "counter", section: ".data", value: 0, size: 8, type: STT_OBJECT }],
  });
  const rel = readElf(bytes).section(".relxdp")!;
  new DataView(bytes.buffer).setBigUint64(rel.offset, 0x1000n, true); // r_offset
  assert.throws(() => loadObjectSpec(bytes), (e: unknown) => e instanceof ElfError && e.section === ".relxdp" && e.offset === rel.offset && /relocation offset 0x1000 is past the end of xdp/.test(e.message));
});

test("a relocation out of range of its data section is an error with section and offset", () => {
  // Against the section symbol, with the offset in the load's immediate, as clang emits for statics.
  const e = objectError(object({
    sections: [{ name: "xdp", data: encode([lddw(1, 64n), mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: ".data", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 32 }],
  }));
  assert.equal(e.section, "xdp");
  assert.equal(e.program, "prog");
  assert.equal(typeof e.offset, "number");
  assert.match(e.message, /program prog: insn 0: offset 64 into \.data is outside its 8 bytes/);
});

test("a relocation on an instruction that is not a 64-bit load is an error", () => {
  const e = objectError(object({
    sections: [{ name: "xdp", data: encode([mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: "counter", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 16 }, { name: "counter", section: ".data", value: 0, size: 8, type: STT_OBJECT }],
  }));
  assert.match(e.message, /insn 0: relocation against counter on opcode 0xb7, not a 64-bit load/);
});

test("a relocation inside a 64-bit load's second slot is an error", () => {
  const e = objectError(object({
    sections: [{ name: "xdp", data: encode([lddw(1), exit()]), relocations: [{ offset: 8, symbol: "counter", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 24 }, { name: "counter", section: ".data", value: 0, size: 8, type: STT_OBJECT }],
  }));
  assert.match(e.message, /inside a 64-bit load/);
  assert.equal(e.section, "xdp");
});

test("a relocation against the null symbol (a missing symbol) is an error", () => {
  const bytes = object({
    sections: [{ name: "xdp", data: encode([lddw(1), mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: "counter", type: R_BPF_64_64 }] }, DATA, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 32 }, { name: "counter", section: ".data", value: 0, size: 8, type: STT_OBJECT }],
  });
  const rel = readElf(bytes).section(".relxdp")!;
  new DataView(bytes.buffer).setUint32(rel.offset + 12, 0, true); // r_info's symbol half
  const e = objectError(bytes);
  assert.match(e.message, /program prog: insn 0: relocation against the null symbol/);
});

test("a relocation against an undefined symbol without BTF is an error naming it", () => {
  const e = objectError(object({
    sections: [{ name: "xdp", data: encode([lddw(1), mov(0, 2), exit()]), relocations: [{ offset: 0, symbol: "nowhere", type: R_BPF_64_64 }] }, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 32 }, { name: "nowhere", section: "", value: 0, type: STT_OBJECT }],
  }));
  assert.match(e.message, /extern nowhere/);
});

test("a call relocation to the middle of a .text function is an error", () => {
  const e = objectError(object({
    sections: [
      { name: "xdp", data: encode([callLocal(0), exit()]), relocations: [{ offset: 0, symbol: ".text", type: R_BPF_64_32 }] },
      { name: ".text", data: encode([mov(0, 1), mov(0, 2), exit()]) },
      LICENSE,
    ],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 16 }, { name: "sub", section: ".text", value: 0, size: 24, bind: 0 }],
  }));
  assert.match(e.message, /program prog: insn 0: call to insn 1 of \.text, which is not the start of a function/);
});

test("a function that crosses its section's end is an error", () => {
  const e = objectError(object({
    sections: [{ name: "xdp", data: encode([mov(0, 2), exit()]) }, LICENSE],
    symbols: [{ name: "prog", section: "xdp", value: 0, size: 64 }],
  }));
  assert.match(e.message, /function prog .* crosses the section's end/);
  assert.equal(e.section, "xdp");
});

test("a legacy map section with a truncated definition is an error with section and offset", () => {
  const e = objectError(object({
    sections: [{ name: "socket", data: encode([mov(0, 0), exit()]) }, { name: "maps", flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(12) }, LICENSE],
    symbols: [{ name: "prog", section: "socket", value: 0, size: 16 }, { name: "short_map", section: "maps", value: 0, size: 12, type: STT_OBJECT }],
  }));
  assert.equal(e.section, "maps");
  assert.equal(typeof e.offset, "number");
  assert.match(e.message, /map short_map: truncated definition \(12 bytes at 0x0, need 20 of struct bpf_map_def\)/);
});

test("BTF-defined maps without BTF are an error", () => {
  const e = objectError(object({
    sections: [{ name: "socket", data: encode([mov(0, 0), exit()]) }, { name: ".maps", flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(32) }, LICENSE],
    symbols: [{ name: "prog", section: "socket", value: 0, size: 16 }, { name: "m", section: ".maps", value: 0, size: 32, type: STT_OBJECT }],
  }));
  assert.match(e.message, /BTF-defined maps need the object's \.BTF/);
  assert.equal(e.section, ".maps");
});

test("a program in a section libbpf does not know is typed unspec, and loading it fails as in libbpf", async () => {
  const spec = loadObjectSpec(object({
    sections: [{ name: "mystery", data: encode([mov(0, 0), exit()]) }, LICENSE],
    symbols: [{ name: "prog", section: "mystery", value: 0, size: 16 }],
  }), { name: "hostile.o" });
  assert.equal(spec.programs[0]!.type, "unspec");
  await assert.rejects(loadObject(spec, { engine: "kernel" }), (e: unknown) => e instanceof ObjectError && /program prog: missing BPF prog type, check ELF section name 'mystery'/.test(e.message));
  await assert.rejects(loadObject(spec, { engine: "interp" }), (e: unknown) => e instanceof ObjectError && /program prog: missing BPF prog type/.test(e.message));
});

/** xorshift32: the same mutations on every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

test("a mutation fuzzer over the fixtures: every outcome is a spec or a BpfError", { timeout: 120_000 }, (t) => {
  const random = rng(0x7b9f);
  const seeds = fixtureObjects().filter((p) => !p.endsWith("core.bpf.o")).map((p) => ({ path: p, bytes: bytesOf(p) }));
  const outcomes = { spec: 0, error: 0 };
  const codes = new Map<string, number>();
  const started = performance.now();
  const rounds = 4000;
  for (let round = 0; round < rounds; round++) {
    const seed = seeds[round % seeds.length]!;
    const bytes = seed.bytes.slice();
    // Aim a few byte writes at the structures that matter: headers, tables, code.
    const elf = readElf(seed.bytes);
    const targets = elf.sections.filter((s) => s.size > 0 && s.type !== 8);
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) {
      const s = random() < 0.2 || targets.length === 0 ? undefined : targets[Math.floor(random() * targets.length)]!;
      const at = s ? s.offset + Math.floor(random() * s.size) : Math.floor(random() * bytes.length);
      const r = random();
      bytes[at] = r < 0.3 ? 0 : r < 0.5 ? 0xff : r < 0.7 ? bytes[at]! ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
    }
    try {
      loadObjectSpec(bytes, { name: seed.path, ...EXTERN_VALUES });
      outcomes.spec++;
    } catch (e) {
      if (!(e instanceof BpfError)) {
        assert.fail(`round ${round} (${seed.path}): ${(e as Error)?.stack ?? e}`);
      }
      outcomes.error++;
      codes.set(e.constructor.name, (codes.get(e.constructor.name) ?? 0) + 1);
    }
  }
  t.diagnostic(`${rounds} mutations in ${(performance.now() - started).toFixed(0)} ms: ${outcomes.spec} specs, ${outcomes.error} errors (${[...codes].map(([k, v]) => `${k} ${v}`).join(", ")})`);
  assert.equal(outcomes.spec + outcomes.error, rounds);
});
