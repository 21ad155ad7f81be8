/**
 * @fileoverview CO-RE against the running kernel, with libbpf as the oracle: bpftool loads
 * core.bpf.o (libbpf relocates it, the kernel verifies it) and its debug log says what
 * libbpf patched; tsbpf must patch the same instructions to the same values. Then the
 * relocation rules on hand-made BTF: flavors, missing fields, bitfields, enum64, resizing.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import {
  BtfError, CoreRelocationKind, POISON_CALL_IMM, applyCoreRelocation, computeCoreRelocation, parseBtf, parseBtfExt,
  type Btf, type CoreRelocation,
} from "../../src/btf/index.js";
import { applyCoreRelocationSlots, essentialName } from "../../src/btf/core.js";
import { readElf } from "../../src/elf/index.js";
import { decodeRaw, slotIndices, type Instruction } from "../../src/isa/index.js";
import { INT32, KIND, VMLINUX, buildBtf, haveBpftool, haveVmlinux, vmlinuxBtf } from "./helpers.js";

const CORE_O = new URL("../fixtures/core.bpf.o", import.meta.url).pathname;
const SECTION = "raw_tp/sched_switch";

interface Patched { relo: number; insn: number; poisoned: boolean; from?: bigint; to?: bigint; what?: string }

/** What libbpf did, from `bpftool -d prog loadall`: one entry per relocation it patched. */
function libbpfRelocations(): { patched: Patched[] } | string {
  if (!haveBpftool) return "bpftool is not on PATH";
  if (process.getuid?.() !== 0) return "loading needs root";
  if (!existsSync("/sys/fs/bpf")) return "no bpffs at /sys/fs/bpf";
  const pin = `/sys/fs/bpf/tsbpf-btf-core-${process.pid}`;
  try {
    const r = spawnSync("bpftool", ["-d", "prog", "loadall", CORE_O, pin], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) return `bpftool could not load core.bpf.o here: ${r.stderr.split("\n").filter((l) => /error|failed|invalid/i.test(l)).slice(0, 3).join("; ")}`;
    const patched: Patched[] = [];
    for (const line of r.stderr.split("\n")) {
      let m = /relo #(\d+): patched insn #(\d+) \(([A-Z0-9/]+)\) (imm64|imm|off) (\d+) -> (\d+)/.exec(line);
      if (m) {
        patched.push({ relo: Number(m[1]), insn: Number(m[2]), poisoned: false, what: m[4]!, from: BigInt(m[5]!), to: BigInt(m[6]!) });
        continue;
      }
      m = /relo #(\d+): substituting insn #(\d+) w\/ invalid insn/.exec(line);
      if (m) patched.push({ relo: Number(m[1]), insn: Number(m[2]), poisoned: true });
    }
    return { patched };
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

function loadCoreObject(): { btf: Btf; relos: CoreRelocation[]; insns: Map<number, Instruction> } {
  const elf = readElf(new Uint8Array(readFileSync(CORE_O)));
  const btf = parseBtf(elf.section(".BTF")!.data);
  const ext = parseBtfExt(elf.section(".BTF.ext")!.data, btf);
  const code = decodeRaw(elf.section(SECTION)!.data, { littleEndian: elf.littleEndian });
  const starts = slotIndices(code);
  return { btf, relos: ext.coreRelocations.get(SECTION)!, insns: new Map(code.map((insn, i) => [starts[i]!, insn])) };
}

const oracle = haveVmlinux ? libbpfRelocations() : `${VMLINUX} is missing`;

test("core.bpf.o relocated against vmlinux patches exactly what libbpf patches", { skip: typeof oracle === "string" ? oracle : false }, (t) => {
  const { patched } = oracle as { patched: Patched[] };
  const { btf, relos, insns } = loadCoreObject();
  const target = vmlinuxBtf();
  assert.equal(patched.length, relos.length, "libbpf reported every relocation");
  const kinds = new Set<number>();
  relos.forEach((relo, i) => {
    const want = patched.find((p) => p.relo === i)!;
    const res = computeCoreRelocation(btf, target, relo);
    kinds.add(relo.kind);
    const where = `relo #${i} at insn ${relo.insnOff}: ${res.explanation}`;
    assert.equal(want.insn, relo.insnOff, where);
    assert.equal(res.poisoned, want.poisoned, where);
    const insn = insns.get(relo.insnOff)!;
    const after = applyCoreRelocationSlots(insn, res);
    if (want.poisoned) {
      assert.equal(after[0]!.imm, POISON_CALL_IMM, where);
      return;
    }
    // libbpf logs the instruction's own value before the patch, which for bitfields (not
    // validated) may differ from what the local BTF gives.
    const field = (x: Instruction): bigint => (want.what === "off" ? BigInt(x.off) : want.what === "imm64" ? x.imm64! : BigInt(x.imm >>> 0));
    assert.equal(field(insn), want.from, `${where}: original ${want.what}`);
    if (res.validate) assert.equal(res.localValue64, want.from, `${where}: local value`);
    assert.equal(res.targetValue64, want.to, `${where}: target value`);
    assert.equal(field(after[0]!), want.to, `${where}: patched ${want.what}`);
    t.diagnostic(`#${i} insn ${relo.insnOff} ${want.what} ${want.from} -> ${want.to}: ${res.explanation}`);
  });
  assert.equal(kinds.size, 13, "every relocation kind is covered");
});

test("without the oracle, core.bpf.o relocates against vmlinux to the kernel's own offsets", { skip: haveVmlinux ? false : `${VMLINUX} is missing` }, () => {
  const { btf, relos } = loadCoreObject();
  const target = vmlinuxBtf();
  const task = target.byName("task_struct", "struct")[0]!;
  const pidOffset = task.kind === "struct" ? task.members.find((m) => m.name === "pid")!.bitOffset / 8 : -1;
  const pid = relos.find((r) => r.kind === CoreRelocationKind.FieldByteOffset && btf.type(r.typeId).name === "task_struct")!;
  const res = computeCoreRelocation(btf, target, pid);
  assert.equal(res.targetValue, pidOffset);
  assert.equal(res.explanation, `struct task_struct.pid: field byte offset ${pidOffset}`);
});

/** Local and target BTF that disagree on the layout of `struct task` (a flavor on the local side). */
function pair(): { local: Btf; target: Btf } {
  const local = parseBtf(buildBtf([
    INT32, // 1
    { name: "task___v1", kind: KIND.STRUCT, vlen: 3, kflag: true, sizeOrType: 16, extra: ["pid", 1, 0, "flags", 1, (3 << 24) | 35, "gone", 1, 64] }, // 2
    { name: "state", kind: KIND.ENUM, vlen: 2, sizeOrType: 4, extra: ["RUNNING", 0, "SLEEPING", 1] }, // 3
    { name: "big", kind: KIND.ENUM64, vlen: 1, sizeOrType: 8, extra: ["HUGE", 1, 0] }, // 4
    { name: "u8", kind: KIND.INT, sizeOrType: 1, extra: [8] }, // 5
    { name: "small", kind: KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["v", 1, 0] }, // 6
  ]));
  const target = parseBtf(buildBtf([
    INT32, // 1
    { name: "u64", kind: KIND.INT, sizeOrType: 8, extra: [64] }, // 2
    { kind: KIND.UNION, vlen: 2, sizeOrType: 8, extra: ["pid", 1, 0, "other", 2, 0] }, // 3: anonymous union holding pid
    { name: "task", kind: KIND.STRUCT, vlen: 3, kflag: true, sizeOrType: 32, extra: ["x", 2, 0, "", 3, 64, "flags", 1, (3 << 24) | 133] }, // 4
    { name: "state", kind: KIND.ENUM, vlen: 2, sizeOrType: 4, extra: ["SLEEPING", 5, "RUNNING", 9] }, // 5
    { name: "big", kind: KIND.ENUM64, vlen: 1, sizeOrType: 8, extra: ["HUGE", 2, 0x80000000] }, // 6
    { name: "small", kind: KIND.STRUCT, vlen: 1, sizeOrType: 1, extra: ["v", 7, 0] }, // 7 (v is u8 here)
    { name: "u8", kind: KIND.INT, sizeOrType: 1, extra: [8] }, // 8
  ].map((t, i) => (i === 6 ? { ...t, extra: ["v", 8, 0] } : t))));
  return { local, target };
}

const relo = (typeId: number, accessString: string, kind: CoreRelocationKind, insnOff = 0): CoreRelocation => ({ insnOff, typeId, accessString, kind });

test("fields match by name through anonymous members, flavors by essential name", () => {
  const { local, target } = pair();
  assert.equal(essentialName("task___v1"), "task");
  assert.equal(essentialName("a___b___c"), "a___b");
  assert.equal(essentialName("___x"), "___x");
  const off = computeCoreRelocation(local, target, relo(2, "0:0", CoreRelocationKind.FieldByteOffset));
  assert.deepEqual([off.localValue, off.targetValue, off.poisoned], [0, 8, false]);
  assert.equal(off.explanation, "struct task.pid: field byte offset 8");
  const exists = computeCoreRelocation(local, target, relo(2, "0:2", CoreRelocationKind.FieldExists));
  assert.deepEqual([exists.localValue, exists.targetValue, exists.poisoned], [1, 0, false]);
  const gone = computeCoreRelocation(local, target, relo(2, "0:2", CoreRelocationKind.FieldByteOffset));
  assert.equal(gone.poisoned, true);
  assert.equal(gone.explanation, "struct task___v1.gone: field byte offset: no match in [4] struct task; instruction poisoned");
  const second = computeCoreRelocation(local, target, relo(2, "1:0", CoreRelocationKind.FieldByteOffset));
  assert.equal(second.targetValue, 32 + 8, "the first index steps over whole structs");
});

test("bitfields: byte offset, size, shifts and signedness as libbpf computes them", () => {
  const { local, target } = pair();
  const v = (k: CoreRelocationKind) => computeCoreRelocation(local, target, relo(2, "0:1", k)).targetValue;
  // target flags: 3 bits at bit 133 of an int: the 4-byte word at 16 holds it
  assert.equal(v(CoreRelocationKind.FieldByteOffset), 16);
  assert.equal(v(CoreRelocationKind.FieldByteSize), 4);
  assert.equal(v(CoreRelocationKind.FieldLshiftU64), 64 - (133 + 3 - 128));
  assert.equal(v(CoreRelocationKind.FieldRshiftU64), 61);
  assert.equal(v(CoreRelocationKind.FieldSigned), 1);
});

test("enumerators and types: values, existence, sizes, ids, matches", () => {
  const { local, target } = pair();
  assert.equal(computeCoreRelocation(local, target, relo(3, "1", CoreRelocationKind.EnumvalValue)).targetValue, 5);
  assert.equal(computeCoreRelocation(local, target, relo(3, "0", CoreRelocationKind.EnumvalExists)).targetValue, 1);
  const huge = computeCoreRelocation(local, target, relo(4, "0", CoreRelocationKind.EnumvalValue));
  assert.equal(huge.targetValue64, 0x8000000000000002n);
  assert.equal(computeCoreRelocation(local, target, relo(2, "0", CoreRelocationKind.TypeSize)).targetValue, 32);
  assert.equal(computeCoreRelocation(local, target, relo(2, "0", CoreRelocationKind.TypeIdTarget)).targetValue, 4);
  assert.equal(computeCoreRelocation(local, target, relo(2, "0", CoreRelocationKind.TypeIdLocal)).targetValue, 2);
  assert.equal(computeCoreRelocation(local, target, relo(2, "0", CoreRelocationKind.TypeExists)).targetValue, 1);
  assert.equal(computeCoreRelocation(local, target, relo(6, "0", CoreRelocationKind.TypeMatches)).targetValue, 0, "int v against u8 v does not match");
  assert.equal(computeCoreRelocation(local, target, relo(3, "0", CoreRelocationKind.TypeMatches)).targetValue, 1, "enumerators match by name, not value");
  assert.throws(() => computeCoreRelocation(local, target, relo(2, "0:1", CoreRelocationKind.TypeSize)), /access string "0:1" for a type relocation must be "0"/);
  assert.throws(() => computeCoreRelocation(local, target, relo(2, "0:9", CoreRelocationKind.FieldByteOffset)), (e: unknown) => e instanceof BtfError && /has no member 9/.test(e.message));
});

test("patching: ALU imm, LDX offset and size, 64-bit loads, poison", () => {
  const { local, target } = pair();
  const off = computeCoreRelocation(local, target, relo(2, "0:0", CoreRelocationKind.FieldByteOffset));
  const ldx: Instruction = { opcode: 0x61, dst: 0, src: 1, off: 0, imm: 0 }; // r0 = *(u32 *)(r1 + 0)
  assert.deepEqual(applyCoreRelocation(ldx, off), { ...ldx, off: 8 });
  assert.deepEqual(applyCoreRelocation({ opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 0 }, off), { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 8 });
  assert.throws(() => applyCoreRelocation({ ...ldx, off: 4 }, off), /unexpected memory offset 4, expected 0/);
  // small.v: int locally, u8 in the target: an unsigned load can shrink, a signed one cannot
  const v = computeCoreRelocation(local, target, relo(6, "0:0", CoreRelocationKind.FieldByteOffset));
  assert.equal(v.failMemSizeAdjust, true);
  assert.equal(applyCoreRelocation(ldx, v).imm, POISON_CALL_IMM);
  const huge = computeCoreRelocation(local, target, relo(4, "0", CoreRelocationKind.EnumvalValue));
  const lddw: Instruction = { opcode: 0x18, dst: 1, src: 0, off: 0, imm: 1, imm64: 1n };
  assert.deepEqual(applyCoreRelocation(lddw, huge), { ...lddw, imm: 2, imm64: 0x8000000000000002n });
  const gone = computeCoreRelocation(local, target, relo(2, "0:2", CoreRelocationKind.FieldByteOffset));
  assert.deepEqual(applyCoreRelocation(ldx, gone), { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 195896080 });
  assert.equal(applyCoreRelocationSlots(lddw, gone).length, 2, "a poisoned 64-bit load keeps both slots");
});
