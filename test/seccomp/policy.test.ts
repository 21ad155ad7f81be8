/**
 * @fileoverview seccomp profiles: malformed ones refused naming the field, Docker's default
 * profile read as Docker reads it (archMap, includes/excludes), runc's rules for arguments.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parsePolicy, parsePolicyText, SeccompPolicyError } from "../../src/seccomp/index.js";

const DOCKER = readFileSync(new URL("../fixtures/seccomp/docker-default.json", import.meta.url), "utf8");
const base = { defaultAction: "SCMP_ACT_ALLOW" };

const MALFORMED: [string, unknown, string][] = [
  ["not an object", [], "a seccomp profile is a JSON object, got an array"],
  ["no default action", { syscalls: [] }, "defaultAction: missing"],
  ["unknown default action", { defaultAction: "SCMP_ACT_NOPE" }, 'defaultAction: unknown action "SCMP_ACT_NOPE"'],
  ["default errno not a number", { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: "1" }, 'defaultErrnoRet: expected an integer 0-65535, got "1"'],
  ["unknown architecture", { ...base, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"] }, 'architectures[1]: unknown architecture "SCMP_ARCH_VAX"'],
  ["archMap sub-architecture", { ...base, archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: ["x"] }] }, 'archMap[0].subArchitectures[0]: unknown architecture "x"'],
  ["syscalls not an array", { ...base, syscalls: {} }, "syscalls: expected an array, got an object"],
  ["unknown action", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["a"], action: "SCMP_ACT_ALLOW" }, { names: ["b"], action: "SCMP_ACT_ALLOW" }, { names: ["mkdir"], action: "SCMP_ACT_FOO" }] }, 'syscalls[3].action: unknown action "SCMP_ACT_FOO"'],
  ["missing action", { ...base, syscalls: [{ names: ["read"] }] }, "syscalls[0].action: missing"],
  ["names not strings", { ...base, syscalls: [{ names: ["read", 3], action: "SCMP_ACT_ALLOW" }] }, "syscalls[0].names[1]: expected a string, got 3"],
  ["a name that is no syscall name", { ...base, syscalls: [{ names: ["Read Me"], action: "SCMP_ACT_ALLOW" }] }, 'syscalls[0].names[0]: not a syscall name: "Read Me"'],
  ["no names", { ...base, syscalls: [{ action: "SCMP_ACT_ALLOW" }] }, "syscalls[0].names: missing"],
  ["errnoRet out of range", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }] }, "syscalls[0].errnoRet: expected an integer 0-65535, got 70000"],
  ["argument index 6", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }, "syscalls[0].args[0].index: expected an argument index 0-5, got 6"],
  ["unknown comparison", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_SORTA" }] }] }, 'syscalls[0].args[0].op: unknown comparison "SCMP_CMP_SORTA"'],
  ["negative value", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }] }, "syscalls[0].args[0].value: expected an unsigned 64-bit integer, got -1"],
  ["bad minKernel", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", includes: { minKernel: "new" } }] }, 'syscalls[0].includes.minKernel: expected a kernel version like "4.8", got "new"'],
  ["includes caps not strings", { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", excludes: { caps: [1] } }] }, "syscalls[0].excludes.caps[0]: expected a string, got 1"],
];

for (const [name, json, message] of MALFORMED) {
  test(`malformed profile refused: ${name}`, () => {
    assert.throws(() => parsePolicy(json), (e: unknown) => e instanceof SeccompPolicyError && e.message === message);
  });
}

test("text that is not JSON is refused", () => {
  assert.throws(() => parsePolicyText("{ defaultAction: "), /not JSON: /);
});

test("64-bit argument values are kept exact", () => {
  const spec = parsePolicyText(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"}]}]}`);
  assert.equal(spec.rules[0]!.args[0]!.value, 0xffffffffffffffffn);
  assert.equal(spec.rules[0]!.args[0]!.valueTwo, 9007199254740993n);
  assert.throws(() => parsePolicyText(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}`), /args\[0\]\.value: expected an unsigned 64-bit integer, got "18446744073709551616"/);
});

test("Docker's default profile: archMap gives the architectures, includes and excludes pick the rules", () => {
  const spec = parsePolicyText(DOCKER, { arch: "x86_64" });
  assert.deepEqual(spec.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  assert.deepEqual(spec.defaultAction, { kind: "errno", data: 1 });
  const names = (a: string) => spec.rules.filter((r) => r.syscall === a);
  assert.equal(names("arch_prctl").length, 1, "amd64 only");
  assert.equal(names("set_tls").length, 0, "arm only");
  assert.equal(names("mount").length, 0, "needs CAP_SYS_ADMIN");
  assert.equal(names("clone").length, 1, "the masked clone, since CAP_SYS_ADMIN is not held");
  assert.deepEqual(names("clone3")[0]!.action, { kind: "errno", data: 38 });
  assert.equal(names("personality").length, 5);
  const arm = parsePolicyText(DOCKER, { arch: "aarch64" });
  assert.deepEqual(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  assert.equal(arm.rules.filter((r) => r.syscall === "set_tls").length, 1);
  const admin = parsePolicyText(DOCKER, { capabilities: ["CAP_SYS_ADMIN"] });
  assert.equal(admin.rules.filter((r) => r.syscall === "mount").length, 1);
  assert.equal(admin.rules.filter((r) => r.syscall === "clone3" && r.action.kind === "errno").length, 0);
  const old = parsePolicyText(DOCKER, { kernel: "4.4.0" });
  assert.equal(old.rules.filter((r) => r.syscall === "ptrace").length, 0, "minKernel 4.8");
});

test("several comparisons of one argument become separate rules, as runc adds them", () => {
  const spec = parsePolicy({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a", "b"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 0, value: 2, op: "SCMP_CMP_EQ" }] }, { names: ["c"], action: "SCMP_ACT_KILL", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 2, op: "SCMP_CMP_EQ" }] }] });
  assert.deepEqual(spec.rules.map((r) => [r.syscall, r.args.length]), [["a", 1], ["a", 1], ["b", 1], ["b", 1], ["c", 2]]);
  assert.deepEqual(spec.rules[4]!.action, { kind: "kill_thread" }, "SCMP_ACT_KILL is KILL_THREAD");
  assert.deepEqual(spec.rules[0]!.action, { kind: "errno", data: 1 }, "errno defaults to EPERM");
});
