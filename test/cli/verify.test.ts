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

test("tsbpf verify reports what the kernel's verifier accepted", { skip }, async () => {
  const { code, stdout } = await run("verify", FIREWALL);
  assert.equal(code, 0);
  assert.match(stdout, /^firewall: accepted by the kernel \(processed \d+ insns/m);
});

test("tsbpf verify prints the kernel's log of a rejected program and exits 1", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-verify-"));
  writeFileSync(join(dir, "bad.s"), "exit\n"); // r0 is never set
  assert.equal((await run("asm", join(dir, "bad.s"), "-o", join(dir, "bad.o"), "--section", "xdp")).code, 0);
  const { code, stdout } = await run("verify", join(dir, "bad.o"));
  assert.equal(code, 1);
  assert.match(stdout, /rejected by the kernel: .*R0 !read_ok/);
});

test("tsbpf verify --engine tsbpf says the verifier is not built yet", async () => {
  const { code, stderr } = await run("verify", FIREWALL, "--engine", "tsbpf");
  assert.equal(code, 1);
  assert.match(stderr, /not supported: verify --engine tsbpf/);
});

test("tsbpf verify rejects an unchecked packet read in the kernel's words", { skip }, async () => {
  const fault = new URL("../fixtures/fault.bpf.o", import.meta.url).pathname;
  const { code, stdout } = await run("verify", fault);
  assert.equal(code, 1);
  assert.match(stdout, /unchecked: rejected by the kernel: .*R1 offset is outside of the packet/);
  assert.match(stdout, /invalid access to packet/);
});
