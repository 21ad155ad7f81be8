/**
 * @fileoverview The task and probe-read helpers: against the kernel (a socket filter's test
 * run happens in this process, so the runtime with `nodeHost()` must answer the same), and
 * a tracing-style walk of a task_struct the test lays out through vmlinux BTF.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/index.js";
import { fakeHost, setHost, writeTaskStruct } from "../../src/helpers/host.js";
import { KernelStruct } from "../../src/helpers/kernel-memory.js";
import { installHelpers } from "../../src/helpers/table.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { add64Imm, call, lddw, ldx, mov64Imm, mov64Reg, readU32, readU64, skip, st, stx } from "../kernel/helpers.js";
import { bothWays } from "./differential.js";

/** r<dst> = fp + off */
const fp = (dst: number, off: number): Instruction[] => [mov64Reg(dst, 10), add64Imm(dst, off)];
/** Byte stores of `text` at fp+off. */
const stackString = (off: number, text: string): Instruction[] => [...text].map((c, k) => st("b", 10, off + k, c.charCodeAt(0)));
const pkt = new Uint8Array(64);

test("pid, tgid, uid, gid, comm and cgroup are the calling process's, as in the kernel", { skip }, () => {
  const { kernel, runtime } = bothWays(() => [
    call(14), stx("dw", 10, -64, 0),
    call(15), stx("dw", 10, -56, 0),
    ...fp(1, -48), mov64Imm(2, 16), call(16), mov64Reg(7, 0),
    call(80), stx("dw", 10, -32, 0),
    mov64Imm(1, 0), call(123), stx("dw", 10, -24, 0),
  ], { type: "socket_filter", data: pkt });
  assert.equal(readU64(runtime.out, 0), readU64(kernel.out, 0), "pid_tgid");
  assert.equal(Number(readU64(kernel.out, 0) >> 32n), process.pid);
  assert.equal(readU64(runtime.out, 8), readU64(kernel.out, 8), "uid_gid");
  assert.deepEqual(runtime.out.subarray(16, 32), kernel.out.subarray(16, 32), "comm");
  assert.equal(runtime.retval, kernel.retval);
  assert.equal(readU64(runtime.out, 32), readU64(kernel.out, 32), "cgroup id");
  assert.equal(readU64(runtime.out, 40), readU64(kernel.out, 40), "ancestor cgroup id at level 0");
});

test("get_current_comm pads with zeros and truncates to the buffer, as the kernel's strscpy_pad", { skip }, () => {
  const { kernel, runtime } = bothWays(() => [
    st("dw", 10, -64, -1), st("dw", 10, -56, -1),
    ...fp(1, -64), mov64Imm(2, 3), call(16), mov64Reg(7, 0),
    ...fp(1, -48), mov64Imm(2, 1), call(16),
  ], { type: "socket_filter", data: pkt });
  assert.deepEqual(runtime.out, kernel.out);
  assert.equal(runtime.retval, kernel.retval);
});

test("get_ns_current_pid_tgid matches the kernel for the right namespace and refuses a wrong one", { skip }, () => {
  const ns = statSync("/proc/self/ns/pid", { bigint: true });
  const { kernel, runtime } = bothWays(() => [
    lddw(1, ns.dev), lddw(2, ns.ino), ...fp(3, -64), mov64Imm(4, 8), call(120), mov64Reg(7, 0),
    lddw(1, ns.dev), lddw(2, ns.ino + 1n), st("dw", 10, -56, -1), ...fp(3, -56), mov64Imm(4, 8), call(120), stx("dw", 10, -48, 0),
    lddw(1, ns.dev), lddw(2, ns.ino), ...fp(3, -40), mov64Imm(4, 4), call(120), stx("dw", 10, -32, 0),
  ], { type: "socket_filter", data: pkt });
  assert.equal(kernel.retval, 0);
  assert.equal(runtime.retval, kernel.retval);
  assert.deepEqual(runtime.out, kernel.out);
  assert.equal(readU32(kernel.out, 0), process.pid);
});

test("probe reads of kernel memory: lengths, truncation and faults as the kernel's", { skip }, () => {
  const { kernel, runtime } = bothWays(() => [
    ...stackString(-16, "hello"),
    // A whole string, a truncated one, a zero-sized one, and reads of address 0.
    ...fp(1, -64), mov64Imm(2, 8), ...fp(3, -16), call(115), stx("dw", 10, -56, 0),
    ...fp(1, -48), mov64Imm(2, 3), ...fp(3, -16), call(115), stx("dw", 10, -40, 0),
    st("dw", 10, -32, -1), ...fp(1, -32), mov64Imm(2, 8), mov64Imm(3, 0), call(113), stx("dw", 10, -24, 0),
    // A kernel address with nothing mapped: -EFAULT.
    ...fp(1, -32), mov64Imm(2, 8), lddw(3, 0xffffffffff600000n - 0x100000000n), call(113), stx("b", 10, -40, 0),
    ...fp(1, -64), mov64Imm(2, 0), ...fp(3, -16), call(115), mov64Reg(7, 0),
  ], { type: "socket_filter", data: pkt });
  assert.equal(readU64(kernel.out, 8), 6n, "the kernel counts the NUL");
  assert.deepEqual(runtime.out, kernel.out);
  assert.equal(runtime.retval, kernel.retval);
});

test("a fake host answers what the test configured", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  setHost(rt.space, fakeHost({ pid: 7, tgid: 5, uid: 1000, gid: 100, comm: "nginx", cgroupId: 99n, cgroupAncestors: [1n, 42n, 99n] }, { cpu: 3 }));
  const run = (insns: Instruction[]) => rt.load([...insns, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw().r0;
  assert.equal(run([call(14)]), (5n << 32n) | 7n);
  assert.equal(run([call(15)]), (100n << 32n) | 1000n);
  assert.equal(run([call(80)]), 99n);
  assert.equal(run([mov64Imm(1, 1), call(123)]), 42n);
  assert.equal(run([mov64Imm(1, 3), call(123)]), 0n);
  assert.equal(run([call(8)]), 3n);
  assert.equal(run([...fp(1, -16), mov64Imm(2, 16), call(16), ldx("dw", 0, 10, -16)]), 0x786e69676en); // "nginx"
});

const VMLINUX = "/sys/kernel/btf/vmlinux";

test("a tracing program walks a task_struct laid out through vmlinux BTF", { skip: existsSync(VMLINUX) ? false : "no vmlinux BTF here" }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const host = setHost(rt.space, fakeHost({ pid: 300, tgid: 300, comm: "child" }));
  const task = writeTaskStruct(host, btf);
  const parent = KernelStruct.create(host.kernel, btf, "task_struct").set("tgid", 1).set("pid", 1).set("comm", "init");
  task.set("real_parent", parent);
  const off = (path: string) => task.field(path).offset;
  // parent = task->real_parent; return parent->tgid << 32 | task->cred->uid, and copy parent->comm.
  const prog: Instruction[] = [
    call(35), mov64Reg(6, 0),
    ...fp(1, -8), mov64Imm(2, 8), mov64Reg(3, 6), add64Imm(3, off("real_parent")), call(113),
    ...fp(1, -12), mov64Imm(2, 4), ldx("dw", 3, 10, -8), add64Imm(3, off("tgid")), call(113),
    ...fp(1, -32), mov64Imm(2, 16), ldx("dw", 3, 10, -8), add64Imm(3, off("comm")), call(115), mov64Reg(8, 0),
    ...fp(1, -40), mov64Imm(2, 8), mov64Reg(3, 6), add64Imm(3, off("cred")), call(113),
    ...fp(1, -44), mov64Imm(2, 4), ldx("dw", 3, 10, -40), add64Imm(3, new KernelStruct(host.kernel, btf, btf.byName("cred", "struct")[0]!.id, 0n).field("uid").offset), call(113),
    ldx("w", 0, 10, -12), { opcode: 0x67, dst: 0, src: 0, off: 0, imm: 32 }, ldx("w", 1, 10, -44), { opcode: 0x4f, dst: 0, src: 1, off: 0, imm: 0 },
    ldx("dw", 1, 10, -32), { opcode: 0x7b, dst: 10, src: 1, off: -56, imm: 0 },
    { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  host.task.uid = 0;
  assert.equal(rt.load(prog).runRaw().r0, 1n << 32n);
  // The comm read returned "init" and its NUL; a fault (an unmapped parent) reads as -EFAULT and zeros.
  task.set("real_parent", 0xffff888000000000n);
  assert.equal(rt.load(prog).runRaw().r0, 0n);
  task.set("real_parent", parent).set("comm", "renamed");
  assert.equal(task.get("pid"), 300n);
  assert.equal(parent.get("tgid"), 1n);
});

test("get_func_arg, get_func_ret and get_func_arg_cnt read an fentry/fexit context of u64 arguments", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const host = setHost(rt.space, fakeHost({}, { funcArgCount: 2, funcIp: 0xffffffff81000000n, attachCookie: 7n }));
  // The context: two arguments, then the return value.
  const ctx = new Uint8Array(24);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(0, 11n, true); v.setBigUint64(8, 22n, true); v.setBigUint64(16, 0xfffffffffffffffen, true);
  const run = (insns: Instruction[]) => rt.load([mov64Reg(6, 1), ...insns, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw(ctx).r0;
  const arg = (n: number) => [mov64Reg(1, 6), mov64Imm(2, n), ...fp(3, -8), call(183), mov64Reg(7, 0), ldx("dw", 0, 10, -8)];
  assert.equal(run(arg(1)), 22n);
  assert.equal(run([...arg(2), mov64Reg(0, 7)]), BigInt.asUintN(64, -22n));
  assert.equal(run([mov64Reg(1, 6), ...fp(2, -8), call(184), ldx("dw", 0, 10, -8)]), 0xfffffffffffffffen);
  assert.equal(run([mov64Reg(1, 6), call(185)]), 2n);
  assert.equal(run([mov64Reg(1, 6), call(173)]), 0xffffffff81000000n);
  assert.equal(run([mov64Reg(1, 6), call(174)]), 7n);
  // Without a count from the host, the u64 before the arguments is it, as the trampoline lays it out.
  host.funcArgCount = undefined;
  const framed = new Uint8Array(32);
  framed.set(ctx, 8);
  new DataView(framed.buffer).setBigUint64(0, 1n, true);
  const r0 = rt.load([add64Imm(1, 8), call(185), { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw(framed).r0;
  assert.equal(r0, 1n);
});

test("user memory: probe_read_user, copy_from_user and probe_read below TASK_SIZE read the task's user memory", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const host = setHost(rt.space, fakeHost());
  const at = host.user.string("/etc/passwd");
  const read = (id: number, size: number, addr: bigint) =>
    BigInt.asIntN(64, rt.load([...fp(1, -16), mov64Imm(2, size), lddw(3, addr), call(id), { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw().r0);
  const text = (id: number, size: number, addr: bigint) =>
    rt.load([...fp(1, -16), mov64Imm(2, size), lddw(3, addr), call(id), ldx("dw", 0, 10, -16), { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]).runRaw().r0;
  assert.equal(read(114, 16, at), 12n, "probe_read_user_str counts the NUL");
  assert.equal(text(114, 16, at), 0x7361702f6374652fn, "the first 8 bytes: /etc/pas");
  assert.equal(read(112, 8, at), 0n);
  assert.equal(read(148, 8, at), 0n, "copy_from_user");
  assert.equal(read(45, 16, at), 12n, "probe_read_str of a user address");
  assert.equal(read(113, 8, at), -34n, "a kernel read of a user address is -ERANGE");
  assert.equal(read(112, 8, at + 0x100000n), -14n, "unmapped user memory is -EFAULT");
  assert.equal(read(112, 8, 0xffff888000000000n), -14n);
});
