/**
 * @fileoverview KernelProgram against the real kernel: loads, test runs, the
 * verifier's log, info and xlated instructions, ids, pins, BTF, and fd ownership.
 */

import assert from "node:assert/strict";
import { unlinkSync } from "node:fs";
import { test } from "node:test";
import {
  BpfSyscallError, ClosedError, ensureBpffs, KernelBtf, KernelBtfError, KernelMap, KernelProgram, KernelVerifierError,
  programIds, summarizeLog,
} from "../../src/kernel/index.js";
import {
  add64Imm, call, exit, funcBtf, jgtReg, ldMapFd, ldMapIdx, ldx, mov64Imm, mov64Reg, readU64, skip, st,
} from "./helpers.js";

const XDP_PASS = 2;

/** Writes 0xaa into the first byte of the packet when there is one, then passes it. */
const xdpMark = [
  ldx("w", 2, 1, 0), // r2 = ctx->data
  ldx("w", 3, 1, 4), // r3 = ctx->data_end
  mov64Reg(4, 2),
  add64Imm(4, 1),
  jgtReg(4, 3, 1), // if data + 1 > data_end goto out
  st("b", 2, 0, 0xaa),
  mov64Imm(0, XDP_PASS), // out:
  exit(),
];

test("an XDP program runs on a packet and changes it", { skip }, () => {
  const prog = KernelProgram.load({ type: "xdp", instructions: xdpMark, name: "mark" });
  const packet = new Uint8Array(64).fill(1);
  const r = prog.testRun({ data: packet, repeat: 10 });
  assert.equal(r.retval, XDP_PASS);
  assert.equal(r.data?.length, 64);
  assert.equal(r.data?.[0], 0xaa);
  assert.equal(r.data?.[1], 1);
  assert.equal(typeof r.durationNs, "number");
  assert.equal(packet[0], 1, "the input is not touched");
  prog.close();
});

test("a socket filter sees the packet's length in __sk_buff", { skip }, () => {
  // r0 = skb->len (offset 0 of struct __sk_buff); exit
  const prog = KernelProgram.load({ type: "socket_filter", instructions: [ldx("w", 0, 1, 0), exit()] });
  // The test run takes `data` as an Ethernet frame and pulls the 14-byte header, as a receive would.
  assert.equal(prog.testRun({ data: new Uint8Array(60) }).retval, 60 - 14);
  assert.equal(prog.testRun({ data: new Uint8Array(1514) }).retval, 1500);
  prog.close();
});

test("a syscall program writes its context back", { skip }, () => {
  // *(u64 *)(ctx + 0) = 42; r0 = 7; exit. Syscall programs are loaded sleepable by default.
  const prog = KernelProgram.load({ type: "syscall", instructions: [st("dw", 1, 0, 42), mov64Imm(0, 7), exit()] });
  const r = prog.testRun({ ctx: new Uint8Array(8) });
  assert.equal(r.retval, 7);
  assert.equal(readU64(r.ctx!), 42n);
  prog.close();
});

test("a program exiting without setting r0 is rejected with the verifier's log", { skip }, () => {
  assert.throws(() => KernelProgram.load({ type: "socket_filter", instructions: [exit()], name: "no_r0" }), (e: unknown) => {
    assert.ok(e instanceof KernelVerifierError);
    assert.equal(e.code, "EVERIFIER");
    assert.equal(e.message, 'load socket_filter program "no_r0": R0 !read_ok');
    assert.equal(e.summary, "R0 !read_ok");
    assert.match(e.log, /0: \(95\) exit\nR0 !read_ok\n/);
    assert.match(e.log, /processed 1 insns/);
    assert.equal(e.errnoName, "EACCES");
    assert.ok(e.cause instanceof BpfSyscallError);
    assert.equal((e.cause as BpfSyscallError).command, "BPF_PROG_LOAD");
    return true;
  });
});

test("an out-of-bounds packet access is rejected in the kernel's words", { skip }, () => {
  // Reading the packet without checking data_end.
  assert.throws(
    () => KernelProgram.load({ type: "xdp", instructions: [ldx("w", 2, 1, 0), ldx("b", 0, 2, 0), exit()] }),
    (e: unknown) => e instanceof KernelVerifierError && e.message === "load xdp program: R2 offset is outside of the packet",
  );
});

test("logLevel 1 keeps the log of a program that loads", { skip }, () => {
  const prog = KernelProgram.load({ type: "socket_filter", instructions: [mov64Imm(0, 0), exit()], logLevel: 1 });
  assert.match(prog.log, /processed 2 insns/);
  prog.close();
  const quiet = KernelProgram.load({ type: "socket_filter", instructions: [mov64Imm(0, 0), exit()] });
  assert.equal(quiet.log, "");
  quiet.close();
});

test("a log bigger than its first buffer grows until it fits (logLevel 2)", { skip }, () => {
  const body = Array.from({ length: 60 }, (_, i) => mov64Imm(i % 10, i));
  const prog = KernelProgram.load({ type: "socket_filter", instructions: [...body, mov64Imm(0, 0), exit()], logLevel: 2, logSize: 128 });
  assert.ok(prog.log.length > 1024, `log of ${prog.log.length} bytes`);
  assert.match(prog.log, /^func#0 @0/, "the start of the log is there");
  assert.match(prog.log, /59: .*r9 = 59/);
  assert.equal(summarizeLog(prog.log).startsWith("61:"), true);
  prog.close();
});

test("expectedAttachType is passed, by name", { skip }, () => {
  const insns = [mov64Imm(0, 1), exit()];
  assert.throws(() => KernelProgram.load({ type: "cgroup_sock_addr", instructions: insns }), (e: BpfSyscallError) => e.errnoName === "EINVAL");
  const prog = KernelProgram.load({ type: "cgroup_sock_addr", expectedAttachType: "cgroup_inet4_connect", instructions: insns });
  prog.close();
});

test("info() and xlated() show the program as the kernel keeps it", { skip }, () => {
  const map = KernelMap.create({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "counts" });
  // r1 = map; r2 = fp - 4; *(u32 *)(fp - 4) = 0; call map_lookup_elem; r0 = 0; exit
  const insns = [st("w", 10, -4, 0), ldMapFd(1, map.fd), mov64Reg(2, 10), add64Imm(2, -4), call(1), mov64Imm(0, 0), exit()];
  const prog = KernelProgram.load({ type: "socket_filter", instructions: insns, name: "lookup", license: "Dual MIT/GPL" });
  const info = prog.info();
  assert.equal(info.typeName, "socket_filter");
  assert.equal(info.name, "lookup");
  assert.match(info.tag, /^[0-9a-f]{16}$/);
  assert.deepEqual(info.mapIds, [map.info().id]);
  assert.equal(info.gplCompatible, true);
  assert.ok(info.jitedProgLen > 0, "the JIT is on");
  assert.equal(info.verifiedInsns, 7);
  const xlated = prog.xlated();
  assert.equal(info.xlatedProgLen, 8 * (xlated.length + 1));
  // The map fd becomes the map's id in the dump.
  assert.equal(xlated[1]!.opcode, 0x18);
  assert.equal(Number(xlated[1]!.imm64), map.info().id);
  // A lookup in an array map is inlined: no call is left.
  assert.ok(xlated.length > insns.length);
  assert.equal(xlated.some((i) => i.opcode === 0x85), false);
  assert.deepEqual(xlated.at(-1), exit());
  prog.close();
  map.close();

  const proprietary = KernelProgram.load({ type: "socket_filter", instructions: [mov64Imm(0, 0), exit()], license: "Proprietary" });
  assert.equal(proprietary.info().gplCompatible, false);
  proprietary.close();
});

test("fd_array lets a program name maps by index", { skip }, () => {
  const a = KernelMap.create({ type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
  const b = KernelMap.create({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 1 });
  const insns = [st("w", 10, -4, 0), ldMapIdx(1, 1), mov64Reg(2, 10), add64Imm(2, -4), call(1), mov64Imm(0, 0), exit()];
  const prog = KernelProgram.load({ type: "socket_filter", instructions: insns, fdArray: [a.fd, b.fd] });
  assert.deepEqual(prog.info().mapIds, [b.info().id]);
  prog.close();
  a.close();
  b.close();
});

test("a program id is listed, and opens the program again", { skip }, () => {
  const prog = KernelProgram.load({ type: "xdp", instructions: xdpMark, name: "listed" });
  const id = prog.info().id;
  assert.ok([...programIds()].includes(id));
  const again = KernelProgram.fromId(id);
  assert.equal(again.name, "listed");
  assert.equal(again.typeName, "xdp");
  assert.equal(again.testRun({ data: new Uint8Array(14) }).retval, XDP_PASS);
  again.close();
  prog.close();
});

test("a pinned program opens again from its path", { skip }, () => {
  ensureBpffs();
  const path = `/sys/fs/bpf/tsbpf-test-prog-${process.pid}`;
  const prog = KernelProgram.load({ type: "xdp", instructions: xdpMark, name: "pinned" });
  const id = prog.info().id;
  prog.pin(path);
  prog.close();
  try {
    const back = KernelProgram.fromPin(path);
    assert.equal(back.info().id, id);
    back.close();
  } finally {
    unlinkSync(path);
  }
});

test("BTF with func_info and line_info is attached to the program", { skip }, () => {
  const { blob, fileOff, lineOff } = funcBtf();
  const btf = KernelBtf.load(blob, { logLevel: 1 });
  assert.match(btf.log, /\[3\] FUNC main type_id=2/);
  const prog = KernelProgram.load({
    type: "socket_filter",
    instructions: [mov64Imm(0, 0), exit()],
    btfFd: btf.fd,
    funcInfo: [{ insnOff: 0, typeId: 3 }],
    lineInfo: [{ insnOff: 0, fileNameOff: fileOff, lineOff, lineCol: (7 << 10) | 3 }],
    logLevel: 2,
  });
  const info = prog.info();
  assert.equal(info.btfId, btf.info().id);
  assert.equal(info.nrFuncInfo, 1);
  assert.equal(info.nrLineInfo, 1);
  // The verifier prints the source line from BTF.
  assert.match(prog.log, /; return 0; @ prog\.c:7/);
  prog.close();
  btf.close();
});

test("a BTF blob the kernel refuses says why", { skip }, () => {
  const bad = funcBtf().blob;
  bad[0] = 0;
  assert.throws(() => KernelBtf.load(bad), (e: unknown) => {
    assert.ok(e instanceof KernelBtfError);
    assert.equal(e.message, "load btf: Invalid magic");
    assert.equal(e.errnoName, "EINVAL");
    assert.match(e.log, /magic: 0xeb00/);
    return true;
  });
});

test("close() is idempotent and a closed program says so when used", { skip }, () => {
  const prog = KernelProgram.load({ type: "socket_filter", instructions: [mov64Imm(0, 0), exit()], name: "gone" });
  prog.close();
  prog.close();
  assert.throws(() => prog.testRun({ data: new Uint8Array(14) }), (e: unknown) => e instanceof ClosedError && e.message === 'program "gone": used after close()');
  assert.throws(() => prog.info(), ClosedError);
});

test("testRun's packet room can be set, and too little is ENOSPC", { skip }, () => {
  const prog = KernelProgram.load({ type: "xdp", instructions: xdpMark });
  assert.throws(() => prog.testRun({ data: new Uint8Array(64), dataSizeOut: 16 }), (e: BpfSyscallError) => e.errnoName === "ENOSPC");
  assert.equal(prog.testRun({ data: new Uint8Array(64), dataSizeOut: 64 }).data?.length, 64);
  prog.close();
});
