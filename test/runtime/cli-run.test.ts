/**
 * @fileoverview `tsbpf run` (src/cli/run.ts): raw bytecode with and without memory, an
 * object's section with a packet, and the JSON shape.
 */

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCommand } from "../../src/cli/run.js";
import { encode } from "../../src/isa/instruction.js";
import { asm } from "./util.js";

const dir = mkdtempSync(join(tmpdir(), "tsbpf-run-"));
const write = (name: string, bytes: Uint8Array) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  assert.equal(await runCommand(args, (l) => lines.push(l)), 0);
  return lines;
}

test("run --raw prints all 64 bits of r0 in hex", async () => {
  const prog = write("neg.bin", encode(asm("r0 = -2\nexit")));
  assert.deepEqual(await run(["--raw", prog]), ["0xfffffffffffffffe"]);
});

test("run --raw --mem gives r1 the memory and r2 its length; --json shows it after", async () => {
  const prog = write("mem.bin", encode(asm("r0 = r2\n*(u8 *)(r1 + 0) = 0x7f\nexit")));
  const mem = write("mem.dat", Uint8Array.from([1, 2, 3]));
  assert.deepEqual(await run(["--raw", prog, "--mem", mem]), ["0x0000000000000003"]);
  const j = JSON.parse((await run(["--raw", prog, "--mem", mem, "--json"]))[0]!);
  assert.equal(j.r0, "0x0000000000000003");
  assert.equal(j.retval, 3);
  assert.equal(j.memory, "7f0203");
  assert.equal(typeof j.duration_ns, "number");
});

test("run of an object runs its section as its program type", async () => {
  const obj = new URL("../fixtures/xdp-parser.bpf.o", import.meta.url).pathname;
  const lines = await run([obj, "--json"]);
  const j = JSON.parse(lines[0]!);
  assert.equal(j.retval, 2); // XDP_PASS for 64 zero bytes: not IPv4 or IPv6
  assert.equal(j.data.length, 128);
});

test("a faulting program is an error with the fault's message", async () => {
  const prog = write("bad.bin", encode(asm("r0 = *(u64 *)(r1 + 0)\nexit")));
  await assert.rejects(runCommand(["--raw", prog], () => {}), /insn 0 .*invalid read of 8 bytes at 0x0/);
});
