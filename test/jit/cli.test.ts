/**
 * @fileoverview `tsbpf jit`: the summary, --json and --wat of an object's programs, and a
 * typed error for a program the object does not have.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";

const FLOW_TABLE = new URL("../../bench/progs/flow_table.bpf.o", import.meta.url).pathname;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["jit", ...argv], io);
  return { code, ...io };
}

test("tsbpf jit says how each program compiled: module size, inlined map lookups", async () => {
  const r = await run(FLOW_TABLE, "--fast", "--json");
  assert.equal(r.code, 0, r.stderr);
  const [p] = JSON.parse(r.stdout).programs;
  assert.equal(p.program, "flow_table");
  assert.equal(p.compiled, true);
  assert.equal(p.budgeted, false);
  // Every bpf_map_lookup_elem of the program (the hash lookup and the inlined count()s).
  assert.ok(p.inlined_calls >= 2, `inlined ${p.inlined_calls}`);
  assert.ok(p.module_bytes > 100);
  const text = await run(FLOW_TABLE);
  assert.match(text.stdout, /^flow_table: 95 slots, \d+ bytes of WebAssembly in [\d.]+ ms, \d+ calls inlined, budgeted$/m);
});

test("tsbpf jit --wat prints the module text: its exports and the inlined hash lookup", async () => {
  const r = await run(FLOW_TABLE, "--prog", "flow_table", "--wat");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\(module\n/);
  assert.match(r.stdout, /\(export "run" \(func \d+\)\)/);
  // The inlined hash lookup: jhash's rotations and the bucket walk's loads.
  assert.match(r.stdout, /i32\.rotl/);
  assert.equal(r.stdout.split("(").length, r.stdout.split(")").length, "balanced parentheses");
});

test("tsbpf jit --prog with a name the object lacks is an error naming the programs", async () => {
  const r = await run(FLOW_TABLE, "--prog", "nope");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no program named nope in flow_table\.bpf\.o \(flow_table\)/);
});

test("tsbpf jit --raw compiles bare bytecode; a program the JIT declines says why", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const { assemble } = await import("../../src/isa/assembler.js");
  const { encode } = await import("../../src/isa/instruction.js");
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-jit-"));
  const ok = join(dir, "ok.bin"), jumps = join(dir, "jumps.bin");
  writeFileSync(ok, encode(assemble("r0 = 7\nexit").instructions));
  // A jump from the main function into the subprogram's body: the interpreter runs it.
  const body = assemble("r0 = 0\nif r0 == 0 goto +2\nexit\nr0 = 1\nexit").instructions;
  // Slot 0 a local call of slot 3 (BPF_PSEUDO_CALL), so the goto lands inside the callee.
  writeFileSync(jumps, encode([{ opcode: 0x85, dst: 0, src: 1, off: 0, imm: 2 }, ...body.slice(1)]));
  const a = await run("--raw", ok, "--fast");
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /^ok\.bin: 2 slots, \d+ bytes of WebAssembly in [\d.]+ ms, 0 calls inlined$/m);
  const b = await run("--raw", jumps, "--json");
  assert.equal(b.code, 0, b.stderr);
  const [p] = JSON.parse(b.stdout).programs;
  assert.equal(p.compiled, false);
  assert.match(p.fallback, /leaves its function|falls through/);
});
