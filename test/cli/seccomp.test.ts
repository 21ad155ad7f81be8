/**
 * @fileoverview `tsbpf seccomp compile|eval|run` on Docker's default profile and small ones.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeCbpf } from "../../src/cbpf/insn.js";
import { parseProgram } from "../../src/cbpf/text.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

const DOCKER = new URL("../fixtures/seccomp/docker-default.json", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-cli-seccomp-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const linux = process.platform === "linux" ? false : "Linux only";

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, ...io };
}

function profile(name: string, json: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(json));
  return p;
}

test("compile prints the filter as C array lines, -d as a listing, -o as raw bytes", async () => {
  const c = await run("seccomp", "compile", DOCKER, "--arch", "x86_64");
  assert.equal(c.code, 0);
  const lines = c.stdout.trim().split("\n");
  assert.equal(lines[0], "{ 0x20, 0, 0, 0x00000004 },", "the architecture is loaded first");
  assert.match(lines[1]!, /^\{ 0x15, 0, 1, 0xc000003e \},$/);
  const d = await run("seccomp", "compile", DOCKER, "--arch", "x86_64", "-d");
  assert.match(d.stdout, /^\(000\) ld {7}\[4\]\n\(001\) jeq {6}#0xc000003e {6}jt 2\tjf 3\n/);
  // Both forms read back (tcpdump's -d and -dd syntax) to the same program.
  assert.deepEqual(parseProgram(d.stdout), parseProgram(c.stdout));
  assert.equal(d.stdout.trim().split("\n").length, lines.length);
  const out = join(dir, "docker.bin");
  assert.equal((await run("seccomp", "compile", DOCKER, "-o", out, "--arch", "x86_64")).code, 0);
  assert.deepEqual(decodeCbpf(new Uint8Array(readFileSync(out))), parseProgram(c.stdout));
});

test("eval names the action for one syscall and its arguments", async () => {
  assert.equal((await run("seccomp", "eval", DOCKER, "--syscall", "mount", "--arch", "x86_64")).stdout, "mount: SCMP_ACT_ERRNO(1) (0x00050001)\n");
  assert.equal((await run("seccomp", "eval", DOCKER, "--syscall", "socket", "--arg", "40", "--arch", "x86_64")).stdout, "socket: SCMP_ACT_ERRNO(1) (0x00050001)\n");
  assert.equal((await run("seccomp", "eval", DOCKER, "--syscall", "socket", "--arg", "0=2", "--arch", "x86_64", "--engine", "jit")).stdout, "socket: SCMP_ACT_ALLOW (0x7fff0000)\n");
  assert.equal((await run("seccomp", "eval", DOCKER, "--syscall", "clone3", "--arch", "aarch64")).stdout, "clone3: SCMP_ACT_ERRNO(38) (0x00050026)\n");
  const bad = await run("seccomp", "eval", DOCKER, "--syscall", "frobnicate", "--arch", "x86_64");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--syscall: frobnicate is not a syscall of SCMP_ARCH_X86_64/);
});

test("a malformed profile is refused with the field that is wrong", async () => {
  const p = profile("bad.json", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["a"], action: "SCMP_ACT_ALLOW" }, { names: ["b"], action: "SCMP_ACT_ALLOW" }, { names: ["mkdir"], action: "SCMP_ACT_FOO" }] });
  const r = await run("seccomp", "compile", p);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'tsbpf seccomp: syscalls[3].action: unknown action "SCMP_ACT_FOO"\n');
});

test("run passes the command's exit status on, and 128+SIGSYS when a rule kills it", { skip: linux }, async () => {
  const p = profile("kill-sync.json", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["sync"], action: "SCMP_ACT_KILL_PROCESS" }] });
  assert.equal((await run("seccomp", "run", "--policy", p, "--", "sh", "-c", "exit 3")).code, 3);
  const killed = await run("seccomp", "run", "--policy", p, "--", "sync");
  assert.equal(killed.code, 128 + 31);
  assert.match(killed.stderr, /sync killed by SIGSYS/);
});
