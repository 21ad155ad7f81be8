/**
 * @fileoverview fentry, fexit, fmod_ret and lsm programs against the host's BTF: each ctx slot
 * typed by the attach function's FUNC_PROTO as btf_ctx_access types it, and the return ranges
 * check_return_code gives them. The kernel here refuses these loads (EPERM), so the expected
 * words are those of kernel/bpf/btf.c and verifier.c; tp_btf, which shares the same code, is
 * checked against the kernel in the corpus (bad-tp-btf-arg).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { test } from "node:test";
import { loadObjectSpec } from "../../src/object/index.js";
import { assemble } from "../../src/isa/assembler.js";
import { kernelBtf } from "../../src/object/host.js";
import { btfCtxOf } from "../../src/verifier/btf-ptr.js";
import { explain, verifyObject, verifyProgram } from "../../src/verifier/index.js";

const vmlinux = kernelBtf();
const skip = vmlinux ? false : "no /sys/kernel/btf/vmlinux here";
const off = (struct: string, member: string): number => {
  const s = vmlinux!.byName(struct, "struct")[0]!;
  if (s.kind !== "struct") throw new Error(struct);
  return s.members.find((m) => m.name === member)!.bitOffset / 8;
};

function verify(asm: string, type: string, attachType: string, attachTo: string) {
  return verifyProgram({ instructions: [...assemble(asm).instructions], license: "GPL", attachTo }, { type, attachType, kernelBtf: vmlinux!, logLevel: 1 });
}
const fentry = (asm: string, to = "vfs_read") => verify(asm, "tracing", "trace_fentry", to);
const fexit = (asm: string, to = "vfs_read") => verify(asm, "tracing", "trace_fexit", to);
const lsm = (asm: string, hook: string) => verify(asm, "lsm", "lsm_mac", hook);
/** The rejection's words, the lines before the message included. */
const words = (r: ReturnType<typeof verify>): string => (r.accepted ? "accepted" : [...r.error!.detail, r.error!.message].join("\n"));

test("fentry/vfs_read: the file is a BTF pointer, the user buffer and the position numbers", { skip }, () => {
  const flags = off("file", "f_flags");
  const ok = fentry(`r2 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r2 + ${flags})\nr0 = *(u32 *)(r1 + 16)\nr0 = 0\nexit`);
  assert.ok(ok.accepted, words(ok));
  assert.match(ok.log, /func 'vfs_read' arg0 has btf_id \d+ type STRUCT 'file'/);
  assert.match(words(fentry("r2 = *(u64 *)(r1 + 8)\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit")), /R2 invalid mem access 'scalar'/);
  assert.match(words(fentry("r2 = *(u64 *)(r1 + 24)\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit")), /R2 invalid mem access 'scalar'/);
});

test("fentry: slots it has not, unaligned ones, a pointer read narrow, a store", { skip }, () => {
  const nr = (btfCtxOf(vmlinux!, "trace_fentry", "vfs_read") as { nrArgs: number }).nrArgs;
  assert.equal(nr, 4);
  assert.equal(words(fentry("r0 = *(u64 *)(r1 + 32)\nr0 = 0\nexit")), "func 'vfs_read' doesn't have 5-th argument\ninvalid bpf_context access off=32 size=8");
  assert.equal(words(fentry("r0 = *(u32 *)(r1 + 4)\nr0 = 0\nexit")), "func 'vfs_read' offset 4 is not multiple of 8\ninvalid bpf_context access off=4 size=4");
  assert.equal(words(fentry("r0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit")), "func 'vfs_read' size 4 must be 8\ninvalid bpf_context access off=0 size=4");
  assert.equal(words(fentry("r2 = 0\n*(u64 *)(r1 + 16) = r2\nr0 = 0\nexit")), "invalid bpf_context access off=16 size=8");
  assert.equal(words(fentry("r0 = *(u64 *)(r1 + 96)\nr0 = 0\nexit")), "invalid bpf_context access off=96 size=8");
});

test("fentry and fexit return 0; fexit reads the return value after the arguments", { skip }, () => {
  assert.match(words(fentry("r0 = 1\nexit")), /At program exit the register R0 has smin=1 smax=1 should have been in \[0, 0\]/);
  const ret = fexit("r0 = *(u64 *)(r1 + 32)\nr0 = 0\nexit");
  assert.ok(ret.accepted, words(ret));
  assert.match(words(fexit("r0 = *(u64 *)(r1 + 40)\nr0 = 0\nexit")), /func 'vfs_read' doesn't have 6-th argument/);
  // A void function has no return slot.
  assert.match(words(fexit("r0 = *(u64 *)(r1 + 8)\nr0 = 0\nexit", "bpf_lsm_task_free")), /func 'bpf_lsm_task_free' doesn't have 3-th argument/);
});

test("fmod_ret returns what it likes", { skip }, () => {
  const r = verify("r0 = *(u64 *)(r1 + 8)\nr0 = -22\nexit", "tracing", "modify_return", "vfs_read");
  assert.ok(r.accepted, words(r));
});

test("lsm: int hooks return 0 or an errno, bool hooks 0 or 1, void hooks anything", { skip }, () => {
  assert.ok(lsm("r0 = 0\nexit", "file_open").accepted);
  assert.ok(lsm("r0 = -1\nexit", "file_open").accepted);
  assert.match(words(lsm("r0 = 1\nexit", "file_open")), /At program exit the register R0 has smin=1 smax=1 should have been in \[-4095, 0\]/);
  assert.ok(lsm("r0 = 1\nexit", "inode_xattr_skipcap").accepted);
  assert.match(words(lsm("r0 = 2\nexit", "inode_xattr_skipcap")), /should have been in \[0, 1\]/);
  assert.ok(lsm("r0 = 7\nexit", "task_free").accepted);
});

test("lsm: the hook's arguments and its return value so far; pointers to pointers are refused", { skip }, () => {
  const flags = off("file", "f_flags");
  const ok = lsm(`r2 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r2 + ${flags})\nr0 = *(u64 *)(r1 + 8)\nr0 = 0\nexit`, "file_open");
  assert.ok(ok.accepted, words(ok));
  assert.match(ok.log, /func 'bpf_lsm_file_open' arg0 has btf_id \d+ type STRUCT 'file'/);
  assert.match(words(lsm("r0 = *(u64 *)(r1 + 24)\nr0 = 0\nexit", "audit_rule_init")), /func 'bpf_lsm_audit_rule_init' arg3 type PTR is not a struct/);
});

test("an attach target the kernel's BTF does not have is refused before the walk", { skip }, () => {
  assert.match(words(fentry("r0 = 0\nexit", "no_such_function_here")), /no_such_function_here has no BTF FUNC/);
});

test("lsm: the return value so far is read within the hook's range, and may be returned", { skip }, () => {
  const ok = lsm("r0 = *(u64 *)(r1 + 8)\nexit", "file_open");
  assert.ok(ok.accepted, words(ok));
  assert.match(words(lsm("r0 = *(u64 *)(r1 + 8)\nr0 += 1\nexit", "file_open")), /At program exit the register R0 has smin=-4094 smax=1 should have been in \[-4095, 0\]/);
});

test("libbpf-tools-style trampoline programs all verify (trampoline/tracing-tools.bpf.c)", { skip }, () => {
  const path = new URL("./corpus/trampoline/tracing-tools.bpf.o", import.meta.url).pathname;
  const spec = loadObjectSpec(new Uint8Array(readFileSync(path)), { name: "tracing-tools.bpf.o", targetBtf: vmlinux! });
  const verdicts = verifyObject(spec, { kernelBtf: vmlinux! });
  assert.equal(verdicts.length, 7);
  for (const v of verdicts) assert.ok(v.accepted, `${v.name}: ${v.detail ? explain(v.detail) : ""}`);
});

const KFUNC_SETS = /kernel \(([^)]+)\)/.exec(readFileSync(new URL("../../src/verifier/kfunc-sets.ts", import.meta.url), "utf8"))?.[1];
const root = process.getuid?.() === 0;
test("the kfunc sets are what this kernel answers for every probed type", { skip: !root || !vmlinux ? "needs root and the kernel's BTF" : KFUNC_SETS !== release() ? `kfunc sets were recorded on ${KFUNC_SETS}, this is ${release()}` : false }, async () => {
  const { probeKfuncSets } = await import("../../scripts/gen-kfunc-sets.js");
  const { KFUNC_TYPES } = await import("../../src/verifier/kfunc-sets.js");
  assert.deepEqual(probeKfuncSets(), KFUNC_TYPES);
});

test("a kfunc the program type may not call is refused before its arguments", { skip }, () => {
  const id = vmlinux!.byName("bpf_task_acquire", "func")[0]!.id;
  const call = { ...assemble("call 0").instructions[0]!, src: 2, imm: id };
  const [, ...rest] = assemble("call 0\nr0 = 0\nexit").instructions;
  const r = verifyProgram({ instructions: [call, ...rest], license: "GPL" }, { type: "kprobe", kernelBtf: vmlinux! });
  assert.equal(r.error?.message, "calling kernel function bpf_task_acquire is not allowed");
  const t = verifyProgram({ instructions: [call, ...rest], license: "GPL" }, { type: "tracepoint", kernelBtf: vmlinux! });
  assert.equal(t.error?.message, "arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar");
});

// Unrelocated (the call's imm still 0, as `tsbpf verify` reads an object): the id is the one the name resolves to.
test("the log names a kfunc call and its BTF id, as print_bpf_insn does", { skip }, () => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(new URL("./corpus/tc-dynptr-parse.bpf.o", import.meta.url).pathname)), { name: "tc-dynptr-parse.bpf.o" });
  const [v] = verifyObject(spec, { kernelBtf: vmlinux!, logLevel: 1 }).filter((x) => /call bpf_dynptr_from_/.test(x.log ?? ""));
  assert.ok(v, "a program of tc-dynptr-parse calls bpf_dynptr_from_skb or _xdp");
  const m = /\(85\) call (bpf_dynptr_from_(?:skb|xdp))#(\d+)/.exec(v.log!)!;
  const func = vmlinux!.byName(m[1]!, "func")[0]!;
  assert.equal(Number(m[2]), func.id);
  assert.doesNotMatch(v.log!, /kernel-function/);
});
