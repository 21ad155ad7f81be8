import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { conformanceCommand, runTest } from "../../src/cli/conformance.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { AssemblerError } from "../../src/errors.js";
import { helperId } from "../../src/helpers/names.js";
import { assemble } from "../../src/isa/assembler.js";
import { assembleConformance } from "../../src/isa/conformance-asm.js";
import { parseConformanceTest } from "../../src/isa/conformance-data.js";
import { encode } from "../../src/isa/instruction.js";
import { kernelAvailable } from "../../src/kernel/index.js";

const DIR = new URL("./conformance/", import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".data")).sort();
const here = kernelAvailable();

test("the suite's dialect encodes as the same instructions in LLVM syntax", () => {
  const pairs: [string, string][] = [
    ["mov32 %r0, 1", "w0 = 1"], ["mov %r1, -1", "r1 = -1"], ["add %r1, %r2", "r1 += r2"], ["sub32 %r3, 7", "w3 -= 7"],
    ["sdiv %r1, 3", "r1 s/= 3"], ["smod32 %r1, %r2", "w1 s%= w2"], ["neg %r4", "r4 = -r4"], ["arsh32 %r1, 3", "w1 s>>= 3"],
    ["be16 %r1", "r1 = be16 r1"], ["le64 %r1", "r1 = le64 r1"], ["swap32 %r1", "r1 = bswap32 r1"],
    ["movsx832 %r1, %r2", "w1 = (s8)w2"], ["movsx3264 %r1, %r2", "r1 = (s32)r2"],
    ["ldxw %r0, [%r1+4]", "r0 = *(u32 *)(r1 + 4)"], ["ldxsh %r0, [%r1-2]", "r0 = *(s16 *)(r1 - 2)"],
    ["stxdw [%r10-8], %r1", "*(u64 *)(r10 - 8) = r1"], ["stb [%r1], 0xff", "*(u8 *)(r1 + 0) = 255"],
    ["lddw %r1, 0x1122334455667788", "r1 = 0x1122334455667788 ll"],
    ["lock add32 [%r1+0], %r2", "lock *(u32 *)(r1 + 0) += w2"],
    ["lock fetch xor [%r1+8], %r2", "r2 = atomic_fetch_xor((u64 *)(r1 + 8), r2)"],
    ["lock xchg [%r1+0], %r2", "r2 = xchg_64(r1 + 0, r2)"],
    ["lock cmpxchg32 [%r1+0], %r2", "w0 = cmpxchg32_32(r1 + 0, w0, w2)"],
    ["jsge32 %r1, -1, +2", "if w1 s>= -1 goto +2"], ["jne %r1, %r2, -1", "if r1 != r2 goto -1"],
    ["call 7", "call 7"], ["call bpf_ktime_get_ns", "call 5"], ["exit", "exit"],
  ];
  for (const [dialect, llvm] of pairs) {
    const ours = assembleConformance(dialect, { helperId }).instructions;
    assert.deepEqual(encode(ours), encode(assemble(llvm).instructions), dialect);
  }
});

test("labels resolve forwards and backwards, for jumps, ja32 and local calls", () => {
  const { instructions: i } = assembleConformance("ja32 end\nback:\nexit\nend:\ncall local back\njeq %r0, 0, back\nlddw %r1, 1\nexit");
  assert.equal(i[0]!.imm, 1); // gotol: over `exit` to `end`
  assert.equal(i[2]!.imm, -2);
  assert.equal(i[3]!.off, -3);
});

test("a listing it cannot encode is refused with the line", () => {
  assert.throws(() => assembleConformance("mov %r0, 1\nfrob %r0\nexit", { fileName: "x.data" }),
    (e: unknown) => e instanceof AssemblerError && /x\.data:2.*unknown mnemonic frob/.test(e.message));
  assert.throws(() => assembleConformance("ja nowhere"), /unknown label nowhere/);
  assert.throws(() => assembleConformance("ldxw %r0, %r1"), /not a memory operand/);
});

for (const engine of ["interp", "jit", "kernel"] as const) {
  const skip = engine === "kernel" && !here.ok ? `no bpf() here: ${here.reason}` : false;
  test(`every conformance-format test passes on the ${engine} engine`, { skip }, async () => {
    const io = memoryIo();
    const code = await conformanceCommand([DIR.pathname, "--engine", engine], io);
    assert.equal(code, 0, io.stdout);
    assert.match(io.stdout, new RegExp(`Passed ${FILES.length} out of ${FILES.length} tests\\.`));
  });
}

test("a test whose program returns something else fails, saying both values", () => {
  const text = readFileSync(new URL("memory.data", DIR), "utf8").replace("0x10c", "0x10d");
  const t = parseConformanceTest(text, "memory.data");
  for (const engine of ["interp", "jit"] as const) {
    const r = runTest(t, engine, "checked");
    assert.equal(r.result, "fail");
    assert.match(r.message, /returned incorrect return value 0x10c expected 0x10d/);
  }
  const wantsError = parseConformanceTest("-- asm\nmov %r0, 1\nexit\n-- error\nsome error", "e.data");
  assert.equal(runTest(wantsError, "interp", "checked").result, "fail");
});

test("as the suite's plugin: program in hex on stdin, memory as the argument, r0 in hex", async () => {
  const load = "61 10 00 00 00 00 00 00  95 00 00 00 00 00 00 00"; // r0 = *(u32 *)(r1 + 0); exit
  const io = memoryIo();
  assert.equal(await conformanceCommand(["--plugin", "01  02  03  04", ""], io, () => load), 0);
  assert.equal(io.stdout, "4030201\n");
  const past = memoryIo();
  const code = await conformanceCommand(["--plugin", "01 02", "--engine", "interp"], past, () => load);
  assert.equal(code, 1);
  assert.match(past.stdout, /invalid read of 4 bytes/);
});

test("tsbpf conformance --json lists a result for each test and engine", async () => {
  const io = memoryIo();
  assert.equal(await main(["conformance", new URL("raw.data", DIR).pathname, "--engine", "interp", "--json"], io), 0);
  const out = JSON.parse(io.stdout);
  assert.equal(out.passed, 1);
  assert.equal(out.results[0].engine, "interp");
  assert.equal(out.results[0].result, "pass");
});
