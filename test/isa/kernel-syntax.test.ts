/**
 * The kernel as the oracle for the kernel syntax: the verifier's log prints every
 * instruction it checks (`12: (bf) r1 = r2`); tsbpf must print the same text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { readElf } from "../../src/elf/index.js";
import { codeSections } from "../../src/object/listing.js";
import { assemble } from "../../src/isa/assembler.js";
import { decode } from "../../src/isa/validate.js";
import { formatKernelLine } from "../../src/isa/format.js";
import { slotIndices, type Instruction } from "../../src/isa/instruction.js";

const kernel = await import("../../src/kernel/index.js").catch((e: Error) => ({ load: e }));
const available = "load" in kernel ? { ok: false as const, reason: `kernel backend: ${kernel.load.message}` } : kernel.kernelAvailable();
const skip = available.ok ? false : `no bpf() here: ${available.reason}`;

/** Instruction lines of a verifier log by slot: `  12: (bf) r1 = r2`, with liveness or state stripped. */
function logLines(log: string): Map<number, string> {
  const lines = new Map<number, string>();
  for (const raw of log.split("\n")) {
    const m = /^\s*(\d+): (?:[.0-9]{10} )?(\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$/.exec(raw);
    if (m && !lines.has(Number(m[1]))) lines.set(Number(m[1]), m[2]!.trimEnd());
  }
  return lines;
}

function compareWithKernel(insns: readonly Instruction[], type: "xdp" | "socket_filter", what: string) {
  if ("load" in kernel) return;
  const program = kernel.KernelProgram.load({ type, instructions: insns, license: "GPL", logLevel: 2, logSize: 1 << 24 });
  try {
    const printed = logLines(program.log);
    const slots = slotIndices(insns);
    let compared = 0;
    insns.forEach((insn, k) => {
      const theirs = printed.get(slots[k]!);
      if (theirs === undefined) return; // dead code the verifier never visits
      // The kernel prints map pointers it resolved itself; compare only what tsbpf can know.
      if (insn.opcode === 0x18 && insn.src !== 0) return;
      assert.equal(formatKernelLine(insn), theirs, `${what}, insn ${slots[k]}`);
      compared++;
    });
    assert.ok(compared > insns.length / 2, `${what}: only ${compared} of ${insns.length} instructions were in the log`);
  } finally {
    program.close();
  }
}

const BENCH = new URL("../../bench/progs/", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

test("map-free objects print as the kernel's verifier prints them", { skip }, () => {
  const objects: [string, "xdp" | "socket_filter"][] = [
    // Not primes: its level-2 log passes 256 MiB.
    ...["parse", "alu_loop", "checksum", "state_machine"].map((n) => [`${BENCH}${n}.bpf.o`, "xdp"] as [string, "xdp"]),
    [`${FIXTURES}xdp-parser.bpf.o`, "xdp"], [`${FIXTURES}loop.bpf.o`, "xdp"], [`${FIXTURES}legacy-ld.bpf.o`, "socket_filter"],
  ];
  for (const [path, type] of objects.filter(([p]) => existsSync(p))) {
    const elf = readElf(new Uint8Array(readFileSync(path)));
    for (const section of codeSections(elf).filter((s) => s.name !== ".text")) {
      compareWithKernel(decode(section.data), type, `${path} ${section.name}`);
    }
  }
});

test("a program using most instruction kinds prints as the kernel prints it", { skip }, () => {
  // Written in the kernel's syntax, so this also assembles what the verifier prints.
  const { instructions } = assemble(`
    r6 = r1
    r0 = 7
    w1 = -3
    r2 = 0x123456789abcdef ll
    r3 = r2
    r3 += r0
    w3 -= w1
    r3 *= 3
    w3 /= 5
    r3 s/= -2
    w3 s%= 7
    r3 %= r0
    r3 |= 0x40
    w3 &= 0xff
    r3 <<= 2
    w3 >>= 1
    r3 s>>= 1
    r3 ^= r2
    r4 = (s8)r3
    w4 = (s16)w3
    r4 = (s32)r2
    r3 = -r3
    w3 = -w3
    r3 = be16 r3
    r3 = le32 r3
    r3 = bswap64 r3
    *(u64 *)(r10 -8) = r3
    *(u32 *)(r10 -12) = 99
    *(u16 *)(r10 -14) = r0
    *(u8 *)(r10 -15) = 1
    *(u8 *)(r10 -16) = 2
    r5 = *(u64 *)(r10 -8)
    r5 = *(s32 *)(r10 -12)
    r5 = *(s16 *)(r10 -14)
    r5 = *(s8 *)(r10 -15)
    r5 = *(u8 *)(r10 -16)
    lock *(u64 *)(r10 -8) += r0
    r1 = 1
    r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)
    r1 = atomic64_xchg((u64 *)(r10 -8), r1)
    r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)
    w1 = 1
    *(u32 *)(r10 -24) = 0
    lock *(u32 *)(r10 -24) |= r1
    r1 = atomic_fetch_xor((u32 *)(r10 -24), r1)
    r2 = load_acquire((u64 *)(r10 -8))
    r2 = load_acquire((u32 *)(r10 -24))
    r2 = load_acquire((u8 *)(r10 -16))
    store_release((u64 *)(r10 -8), r2)
    store_release((u16 *)(r10 -14), r2)
    if r3 == 0x5 goto pc+1
    if w3 s> w1 goto pc+0
    if r3 & r1 goto pc+0
    call bpf_get_prandom_u32#7
    call sub
    if w0 == 0x0 goto pc+1
    gotol pc+1
    r0 = 1
    may_goto pc+0
    r0 = 2
    exit
  sub:
    r0 = 3
    exit`);
  compareWithKernel(instructions, "xdp", "assembled program");
});
