/**
 * @fileoverview Compiled seccomp filters evaluated in tsbpf (converted to eBPF, on the
 * interpreter and the JIT) against a plain model of the policy, on inputs near every
 * comparison's edges; the architecture check; Docker's default profile.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { validateClassic } from "../../src/cbpf/validate.js";
import {
  Act, actionName, actionRet, arg, compilePolicy, parsePolicyText, SeccompBuilder, SeccompEvaluator, SeccompPolicyError, syscallNumber,
  type ArgCondition, type SeccompAction,
} from "../../src/seccomp/index.js";
import { rng } from "../cbpf/random.js";

const X86_64 = 0xc000003e, AARCH64 = 0xc00000b7, I386 = 0x40000003;

function holds(c: ArgCondition, v: bigint): boolean {
  switch (c.op) {
    case "eq": return v === c.value;
    case "ne": return v !== c.value;
    case "lt": return v < c.value;
    case "le": return v <= c.value;
    case "gt": return v > c.value;
    case "ge": return v >= c.value;
    case "masked_eq": return (v & c.value) === c.valueTwo;
  }
}

test("every comparison on 64-bit arguments matches a model of the policy, on the interpreter and the JIT", () => {
  const r = rng(0x5ecc);
  const u64 = () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const near = (v: bigint) => BigInt.asUintN(64, v + BigInt(Math.floor(r() * 5) - 2) + (r() < 0.2 ? (r() < 0.5 ? 1n << 32n : -(1n << 32n)) : 0n));
  const ops = ["eq", "ne", "lt", "le", "gt", "ge", "maskedEq"] as const;
  const names = ["read", "write", "openat", "close", "mmap", "ioctl"];
  for (let round = 0; round < 20; round++) {
    const b = new SeccompBuilder(Act.errno(1));
    const rules: { syscall: string; action: SeccompAction; args: ArgCondition[] }[] = [];
    for (let i = 0; i < 12; i++) {
      const syscall = names[Math.floor(r() * names.length)]!;
      const conds: ArgCondition[] = [];
      const n = Math.floor(r() * 3);
      for (let j = 0; j < n; j++) {
        const op = ops[Math.floor(r() * ops.length)]!;
        const value = r() < 0.3 ? BigInt(Math.floor(r() * 10)) : u64();
        conds.push(op === "maskedEq" ? arg(j * 2 % 6).maskedEq(value, value & u64()) : arg(Math.floor(r() * 6))[op](value));
      }
      const action = r() < 0.2 ? Act.allow : Act.errno(100 + i);
      b.rule(action, syscall, ...conds);
      rules.push({ syscall, action, args: conds });
    }
    const { filter } = b.compile();
    validateClassic(filter);
    const interp = new SeccompEvaluator(filter), jit = new SeccompEvaluator(filter, "jit");
    const interesting = rules.flatMap((x) => x.args.map((c) => c.value));
    for (let t = 0; t < 150; t++) {
      const syscall = names[Math.floor(r() * names.length)]!;
      const args = Array.from({ length: 6 }, () => (r() < 0.7 && interesting.length ? near(interesting[Math.floor(r() * interesting.length)]!) : u64()));
      const own = rules.filter((x) => x.syscall === syscall && actionRet(x.action) !== actionRet(Act.errno(1)));
      const hit = own.filter((x) => x.args.length > 0).find((x) => x.args.every((c) => holds(c, args[c.index]!))) ?? own.find((x) => x.args.length === 0);
      const want = actionRet(hit?.action ?? Act.errno(1));
      const data = { nr: syscallNumber(syscall)!, arch: X86_64, args };
      assert.equal(interp.run(data), want, `round ${round}, ${syscall}(${args.join(", ")})`);
      assert.equal(jit.run(data), want, `jit, round ${round}`);
    }
  }
});

test("the architecture is checked first: another one gets the bad-arch action, x32 numbers too", () => {
  const f = new SeccompBuilder(Act.allow).rule(Act.errno(5), "getpid").filter();
  const ev = new SeccompEvaluator(f);
  assert.deepEqual(ev.action({ nr: 39, arch: X86_64 }), { kind: "errno", data: 5 });
  assert.deepEqual(ev.action({ nr: 39, arch: AARCH64 }), { kind: "kill_process" });
  assert.deepEqual(ev.action({ nr: 39, arch: I386 }), { kind: "kill_process" });
  assert.deepEqual(ev.action({ nr: 39 | 0x40000000, arch: X86_64 }), { kind: "kill_process" });
  const both = new SeccompBuilder(Act.allow).arch("x86_64").arch("aarch64").rule(Act.errno(5), "getpid").badArch(Act.trap).filter();
  const ev2 = new SeccompEvaluator(both);
  assert.deepEqual(ev2.action({ nr: syscallNumber("getpid", "aarch64")!, arch: AARCH64 }), { kind: "errno", data: 5 });
  assert.deepEqual(ev2.action({ nr: 39, arch: AARCH64 }), { kind: "allow" }, "39 is not getpid on aarch64");
  assert.deepEqual(ev2.action({ nr: 39, arch: I386 }), { kind: "trap" });
});

test("every action keeps its return value", () => {
  const acts = [Act.killProcess, Act.killThread, Act.trap, Act.errno(13), Act.trace(7), Act.log, Act.notify];
  const b = new SeccompBuilder(Act.allow);
  acts.forEach((a, i) => b.rule(a, ["read", "write", "open", "close", "stat", "fstat", "lstat"][i]!));
  const ev = new SeccompEvaluator(b.filter());
  acts.forEach((a, i) => assert.equal(ev.run({ nr: i, arch: X86_64 }), actionRet(a), actionName(a)));
  assert.equal(ev.run({ nr: 200, arch: X86_64 }), 0x7fff0000);
});

test("a policy that allows by default on an architecture without a syscall table is refused", () => {
  assert.throws(() => compilePolicy({ defaultAction: Act.allow, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_PPC64"], rules: [{ syscall: "read", action: Act.killProcess, args: [] }] }),
    (e: unknown) => e instanceof SeccompPolicyError && /architectures\[1\]: tsbpf has no syscall table for SCMP_ARCH_PPC64/.test(e.message));
  assert.throws(() => compilePolicy({ defaultAction: Act.log, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], rules: [{ syscall: "read", action: Act.killProcess, args: [] }] }),
    /architectures\[1\]: tsbpf has no syscall table for SCMP_ARCH_X32/);
  // A default that denies is safe there: those calls get it.
  const { filter } = compilePolicy({ defaultAction: Act.errno(1), architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"], rules: [{ syscall: "read", action: Act.allow, args: [] }] });
  const ev = new SeccompEvaluator(filter);
  assert.deepEqual(ev.action({ nr: 0, arch: X86_64 }), { kind: "allow" });
  assert.deepEqual(ev.action({ nr: 0x40000000, arch: X86_64 }), { kind: "errno", data: 1 });
  assert.deepEqual(ev.action({ nr: 3, arch: I386 }), { kind: "errno", data: 1 });
});

test("Docker's default profile compiles, and decides as Docker's documentation says", () => {
  const text = readFileSync(new URL("../fixtures/seccomp/docker-default.json", import.meta.url), "utf8");
  const { filter } = compilePolicy(parsePolicyText(text, { arch: "x86_64" }));
  const ev = new SeccompEvaluator(filter);
  const act = (name: string, ...args: number[]) => actionName(ev.action({ nr: syscallNumber(name)!, arch: X86_64, args }));
  assert.equal(act("read"), "SCMP_ACT_ALLOW");
  assert.equal(act("execve"), "SCMP_ACT_ALLOW");
  assert.equal(act("mount"), "SCMP_ACT_ERRNO(1)");
  assert.equal(act("reboot"), "SCMP_ACT_ERRNO(1)");
  assert.equal(act("kexec_load"), "SCMP_ACT_ERRNO(1)");
  assert.equal(act("clone3"), "SCMP_ACT_ERRNO(38)");
  assert.equal(act("clone", 0x01200011), "SCMP_ACT_ALLOW", "fork's flags");
  assert.equal(act("clone", 0x10000000), "SCMP_ACT_ERRNO(1)", "CLONE_NEWUSER");
  assert.equal(act("socket", 2), "SCMP_ACT_ALLOW");
  assert.equal(act("socket", 40), "SCMP_ACT_ERRNO(1)", "AF_VSOCK");
  assert.equal(act("personality", 0xffffffff), "SCMP_ACT_ALLOW");
  assert.equal(act("personality", 0x0040000), "SCMP_ACT_ERRNO(1)");
  const arm = compilePolicy(parsePolicyText(text, { arch: "aarch64" })).filter;
  const evArm = new SeccompEvaluator(arm);
  assert.equal(actionName(evArm.action({ nr: syscallNumber("mount", "aarch64")!, arch: AARCH64 })), "SCMP_ACT_ERRNO(1)");
  assert.equal(actionName(evArm.action({ nr: syscallNumber("openat", "aarch64")!, arch: AARCH64 })), "SCMP_ACT_ALLOW");
});
