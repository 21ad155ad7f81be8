/**
 * @fileoverview seccomp for real: a policy evaluated in tsbpf and installed in a child
 * (tsbpf seccomp run's path) agree on every syscall the child tries; a killing rule kills;
 * Docker's default profile runs a shell.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkSeccompFilter } from "../../src/cbpf/validate.js";
import { runSeccomp } from "../../src/kernel/seccomp.js";
import { Act, arg, compilePolicy, parsePolicyText, SeccompBuilder, SeccompEvaluator, syscallNumber, auditArch } from "../../src/seccomp/index.js";

const ARCH = process.arch === "arm64" ? "aarch64" : "x86_64";
const work = mkdtempSync(join(tmpdir(), "tsbpf-seccomp-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The prober, built with the C compiler; undefined (and a reason) when there is none. */
function buildProber(): string | undefined {
  try {
    const out = join(work, "prober");
    execFileSync("cc", ["-O1", "-o", out, fileURLToPath(new URL("./prober.c", import.meta.url))], { stdio: "pipe" });
    return out;
  } catch {
    return undefined;
  }
}
const prober = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64") ? buildProber() : undefined;
const skip = prober ? false : "needs Linux on x86_64 or arm64 and a C compiler (cc)";

/** Harmless calls to try, whatever the arguments: the policy below decides on these. */
const TRIES: [string, bigint[]][] = [];
const r = ((s) => () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32))(7);
for (let i = 0; i < 60; i++) {
  const pick = (xs: number[]) => BigInt(xs[Math.floor(r() * xs.length)]!);
  const name = ["getpid", "getppid", "getuid", "getpriority", "umask", "dup", "lseek", "getrlimit", "personality", "sched_yield"][i % 10]!;
  TRIES.push([name, [pick([0, 1, 2, 18, 100, 150, 200, 255, 256, 0x7fff]), pick([0, 1, 7, 0x10, 0x100, 0xffff]), pick([0, 1, 2]), 0n, 0n, 0n]]);
}
TRIES.push(["personality", [0xffffffffn, 0n, 0n, 0n, 0n, 0n]]);

/** Distinct errnos per rule, so the child's errno names the rule that decided. */
const policy = new SeccompBuilder(Act.allow)
  .rule(Act.errno(201), "getppid")
  .rule(Act.errno(202), "getpriority", arg(0).eq(1))
  .rule(Act.errno(203), "getpriority", arg(1).gt(100), arg(1).le(0x7fff))
  .rule(Act.errno(204), "dup", arg(0).ge(150))
  .rule(Act.errno(205), "lseek", arg(0).lt(200), arg(2).ne(1))
  .rule(Act.errno(206), "getrlimit", arg(0).maskedEq(0xf0, 0x10))
  .rule(Act.errno(207), "umask", arg(0).eq(0x100))
  .rule(Act.allow, "personality", arg(0).eq(0xffffffff))
  .rule(Act.errno(208), "personality");

test("a policy installed in a child decides every syscall as tsbpf's evaluation of it", { skip }, async () => {
  const { filter } = policy.compile(ARCH);
  const ev = new SeccompEvaluator(filter);
  const audit = auditArch(ARCH)!;
  const argv = TRIES.flatMap(([name, args]) => [String(syscallNumber(name, ARCH)), ...args.map(String)]);
  const res = await runSeccomp(filter, prober!, argv, { stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout!.trim().split("\n");
  assert.equal(lines.length, TRIES.length);
  let denied = 0;
  TRIES.forEach(([name, args], i) => {
    const a = ev.action({ nr: syscallNumber(name, ARCH)!, arch: audit, args });
    const got = lines[i]!;
    if (a.kind === "errno") {
      denied++;
      assert.equal(got, `errno ${a.data}`, `${name}(${args.join(", ")})`);
    } else {
      assert.equal(a.kind, "allow");
      assert.ok(!/errno 20\d/.test(got), `${name}(${args.join(", ")}) allowed by tsbpf, but the kernel said ${got}`);
    }
  });
  assert.ok(denied > 10 && denied < TRIES.length - 10, `a mix of verdicts (${denied} denied)`);
});

test("a KILL_PROCESS rule ends the child with SIGSYS at that call, not before", { skip }, async () => {
  const { filter } = new SeccompBuilder(Act.allow).rule(Act.killProcess, "getppid").compile(ARCH);
  const nr = (n: string) => String(syscallNumber(n, ARCH));
  const res = await runSeccomp(filter, prober!, [nr("getpid"), "0", "0", "0", "0", "0", "0", nr("getppid"), "0", "0", "0", "0", "0", "0", nr("getpid"), "0", "0", "0", "0", "0", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(res.signal, "SIGSYS");
  assert.equal(res.stdout, "ok\n");
});

test("Docker's default profile runs a shell session", { skip: process.platform === "linux" ? false : "Linux only" }, async () => {
  const text = readFileSync(new URL("../fixtures/seccomp/docker-default.json", import.meta.url), "utf8");
  const { filter } = compilePolicy(parsePolicyText(text, { arch: ARCH }));
  const session = ["-c", "ls; echo hi; cat /etc/hostname"];
  const free = execFileSync("sh", session, { cwd: work }).toString();
  const res = await runSeccomp(filter, "sh", session, { stdio: ["ignore", "pipe", "pipe"], cwd: work });
  assert.equal(res.stderr, "");
  assert.equal(res.code, 0);
  assert.equal(res.stdout, free, "the same output as without the filter");
  assert.match(res.stdout!, /^hi$/m);
  // And it does sandbox: unshare (CAP_SYS_ADMIN only) fails inside.
  const denied = await runSeccomp(filter, "sh", ["-c", "unshare -U true 2>/dev/null; echo $?"], { stdio: ["ignore", "pipe", "pipe"] });
  assert.notEqual(denied.stdout!.trim(), "0");
});

test("Docker's default profile in a child decides the calls tried as tsbpf's evaluation", { skip }, async () => {
  const text = readFileSync(new URL("../fixtures/seccomp/docker-default.json", import.meta.url), "utf8");
  const { filter } = compilePolicy(parsePolicyText(text, { arch: ARCH }));
  const ev = new SeccompEvaluator(filter);
  // Calls whose natural result is never EPERM for root, so an EPERM can only be the filter's.
  const tries: [string, bigint[]][] = [
    ["getpid", []], ["personality", [0xffffffffn]], ["personality", [0x0040000n]], ["socket", [1n, 1n, 0n]], ["socket", [40n, 1n, 0n]],
    ["unshare", [0x10000000n]], ["clone3", [0n, 0n]], ["mount", [0n, 0n, 0n, 0n, 0n]], ["umask", [0o22n]], ["setns", [1000n, 0n]],
    ["reboot", [0n, 0n, 0n]], ["sched_yield", []], ["kexec_load", [0n, 0n, 0n, 0n]], ["bpf", [1000n, 0n, 0n]],
  ];
  const audit = auditArch(ARCH)!;
  const argv = tries.flatMap(([name, args]) => [String(syscallNumber(name, ARCH)), ...[...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6).map(String)]);
  const res = await runSeccomp(filter, prober!, argv, { stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout!.trim().split("\n");
  tries.forEach(([name, args], i) => {
    const a = ev.action({ nr: syscallNumber(name, ARCH)!, arch: audit, args });
    if (a.kind === "errno") assert.equal(lines[i], `errno ${a.data}`, `${name}(${args.join(", ")})`);
    else assert.notEqual(lines[i], "errno 1", `${name}(${args.join(", ")}) is allowed by tsbpf`);
  });
  assert.deepEqual(tries.map(([name, args]) => ev.action({ nr: syscallNumber(name, ARCH)!, arch: audit, args }).kind).filter((k) => k === "errno").length, 9);
});

test("the kernel refuses the seccomp filters tsbpf refuses, and takes the others", { skip: process.platform === "linux" ? false : "Linux only" }, async () => {
  const ALLOW = { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 };
  const cases: [string, { code: number; jt: number; jf: number; k: number }[], boolean][] = [
    ["allow", [ALLOW], true],
    ["nr then allow", [{ code: 0x20, jt: 0, jf: 0, k: 0 }, ALLOW], true],
    ["ld len", [{ code: 0x80, jt: 0, jf: 0, k: 0 }, { code: 0x15, jt: 0, jf: 1, k: 64 }, ALLOW, { code: 0x06, jt: 0, jf: 0, k: 0 }], true],
    ["unaligned load", [{ code: 0x20, jt: 0, jf: 0, k: 2 }, ALLOW], false],
    ["load past seccomp_data", [{ code: 0x20, jt: 0, jf: 0, k: 64 }, ALLOW], false],
    ["halfword load", [{ code: 0x28, jt: 0, jf: 0, k: 0 }, ALLOW], false],
    ["modulo", [{ code: 0x94, jt: 0, jf: 0, k: 3 }, ALLOW], false],
    ["no return last", [{ code: 0x00, jt: 0, jf: 0, k: 0 }], false],
  ];
  for (const [name, filter, ok] of cases) {
    let ours = true;
    try { checkSeccompFilter(filter); } catch { ours = false; }
    assert.equal(ours, ok, `tsbpf on ${name}`);
    const res = await runSeccomp(filter, "true", [], { stdio: ["ignore", "pipe", "pipe"], check: false });
    assert.equal(res.code, ok ? 0 : 126, `the kernel on ${name}: ${res.stderr}`);
    if (!ok) assert.match(res.stderr!, /seccomp: EINVAL/);
  }
});
