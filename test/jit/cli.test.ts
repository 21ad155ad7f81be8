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
