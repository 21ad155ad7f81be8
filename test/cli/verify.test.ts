import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";
import { kernelAvailable } from "../../src/kernel/index.js";

const here = kernelAvailable();
const skip = here.ok ? false : `no bpf() here: ${here.reason}`;
const FIREWALL = new URL("../../examples/xdp_firewall.bpf.o", import.meta.url).pathname;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, ...io };
}

test("tsbpf verify --engine kernel reports what the kernel's verifier accepted", { skip }, async () => {
  const { code, stdout } = await run("verify", FIREWALL, "--engine", "kernel");
  assert.equal(code, 0);
  assert.match(stdout, /^firewall: accepted by the kernel \(processed \d+ insns/m);
});

test("tsbpf verify prints the kernel's log of a rejected program and exits 1", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-verify-"));
  writeFileSync(join(dir, "bad.s"), "exit\n"); // r0 is never set
  assert.equal((await run("asm", join(dir, "bad.s"), "-o", join(dir, "bad.o"), "--section", "xdp")).code, 0);
  const { code, stdout } = await run("verify", join(dir, "bad.o"), "--engine", "kernel");
  assert.equal(code, 1);
  assert.match(stdout, /rejected by the kernel: .*R0 !read_ok/);
  // tsbpf's own verifier, the default engine, says the same without a kernel.
  const ours = await run("verify", join(dir, "bad.o"));
  assert.equal(ours.code, 1);
  assert.match(ours.stdout, /rejected by tsbpf's verifier: R0 !read_ok/);
});

test("tsbpf verify judges with tsbpf's own verifier by default, no kernel needed", async () => {
  const { code, stdout } = await run("verify", FIREWALL);
  assert.equal(code, 0);
  assert.match(stdout, /^firewall: accepted by tsbpf's verifier \(processed \d+ insns/m);
});

test("tsbpf verify names the source line and a fix for an unchecked packet read", async () => {
  const fault = new URL("../fixtures/fault.bpf.o", import.meta.url).pathname;
  const { code, stdout } = await run("verify", fault);
  assert.equal(code, 1);
  assert.match(stdout, /unchecked: rejected by tsbpf's verifier: R1 offset is outside of the packet/);
  assert.match(stdout, /at \.\/fault\.bpf\.c:11:9: return data\[2000\]/);
  assert.match(stdout, /hint: compare data \+ offset \+ size with data_end before line 11/);
});

test("tsbpf verify --compare finds no difference on an object both verifiers judge alike", { skip }, async () => {
  const fault = new URL("../fixtures/fault.bpf.o", import.meta.url).pathname;
  for (const path of [FIREWALL, fault]) {
    const { code, stdout } = await run("verify", path, "--compare");
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^no differences \(1 programs\)$/m);
  }
});

test("tsbpf verify rejects an unchecked packet read in the kernel's words", { skip }, async () => {
  const fault = new URL("../fixtures/fault.bpf.o", import.meta.url).pathname;
  const { code, stdout } = await run("verify", fault, "--engine", "kernel");
  assert.equal(code, 1);
  assert.match(stdout, /unchecked: rejected by the kernel: .*R1 offset is outside of the packet/);
  assert.match(stdout, /invalid access to packet/);
});
