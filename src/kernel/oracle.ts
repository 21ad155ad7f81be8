/**
 * @fileoverview The kernel as a test oracle: runs a program the way uBPF's raw mode
 * does (r1 = a memory block, r2 = its length) and returns the full 64-bit r0 and the
 * memory after the run, so tsbpf's verifier, interpreter and JIT can be compared
 * against the real thing.
 *
 * How: the memory is the value of a one-entry array map, and a small BPF_PROG_TYPE_SYSCALL
 * wrapper points r1 at it with a direct map-value load, sets r2, calls the user program
 * as a bpf-to-bpf subprogram, and stores the returned r0 into its own 8-byte context,
 * which BPF_PROG_TEST_RUN copies back (its retval alone would keep only 32 bits).
 * A map value, unlike the context, lets the program move r1, index it by registers
 * and access it unaligned, as raw-mode programs do.
 */

import { insn, slotsOf, type Instruction } from "../isa/instruction.js";
import { mapTypeId } from "../maps/types.js";
import { programTypeId } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { HOST_LITTLE_ENDIAN } from "./layout.js";
import { closeFd } from "./native.js";
import { ProgFlags, PSEUDO_CALL, PSEUDO_MAP_VALUE } from "./uapi.js";

export interface OracleRun {
  /** r0 at the user program's exit, all 64 bits, unsigned. */
  r0: bigint;
  /** The memory after the run. */
  memory: Uint8Array;
}

const ARRAY = mapTypeId("array");
const SYSCALL = programTypeId("syscall");
const ZERO_KEY = new Uint8Array(4);

// The few instructions of the wrapper, spelled out.
const movReg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0); // BPF_ALU64 | BPF_MOV | BPF_X
const movImm = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm); // BPF_ALU64 | BPF_MOV | BPF_K
const ldMapValue = (dst: number, fd: number) => insn(0x18, dst, PSEUDO_MAP_VALUE, 0, BigInt(fd)); // value offset 0 in the high half
const callLocal = (slots: number) => insn(0x85, 0, PSEUDO_CALL, 0, slots); // BPF_JMP | BPF_CALL, pc-relative
const stxDw = (dst: number, off: number, src: number) => insn(0x7b, dst, src, off, 0); // BPF_STX | BPF_MEM | BPF_DW
const exit = insn(0x95, 0, 0, 0, 0);

/**
 * Slots of the wrapper in front of the user program: the user's instruction at slot
 * `i` is insn `i + ORACLE_PROLOGUE_SLOTS` in the kernel's log.
 */
export const ORACLE_PROLOGUE_SLOTS = 8;

function wrapper(memoryFd: number | undefined, length: number): Instruction[] {
  const head = [
    movReg(6, 1), // r6 = ctx, kept across the call (callee-saved)
    // r1 = the memory, or NULL when empty; both two slots, so the wrapper's size is fixed.
    memoryFd === undefined ? insn(0x18, 1, 0, 0, 0n) : ldMapValue(1, memoryFd),
    movImm(2, length), // r2 = its length
  ];
  const tail = [stxDw(6, 0, 0), movImm(0, 0), exit]; // *(u64 *)(ctx + 0) = r0; return 0
  const slots = [...head, callLocal(0), ...tail].reduce((n, i) => n + slotsOf(i), 0);
  const callSlot = head.reduce((n, i) => n + slotsOf(i), 0);
  // The call lands on the first slot after the wrapper: pc + 1 + imm.
  return [...head, callLocal(slots - callSlot - 1), ...tail];
}

/**
 * Runs `program` in the kernel with r1 pointing at a copy of `options.memory` (or
 * NULL when there is none) and r2 holding its length; returns r0 and the memory
 * afterwards. A program the kernel rejects throws KernelVerifierError with the log.
 * Every file descriptor is closed before it returns.
 *
 * The program runs as a subprogram, so the verifier checks it as one: r3-r5 are
 * uninitialised, and memory accesses must stay inside the block.
 */
export function runInKernel(program: readonly Instruction[], options: { memory?: Uint8Array } = {}): OracleRun {
  const memory = options.memory ?? new Uint8Array(0);
  let mapFd: number | undefined;
  let progFd: number | undefined;
  try {
    if (memory.length > 0) {
      mapFd = bpf.mapCreate({ mapType: ARRAY, keySize: 4, valueSize: memory.length, maxEntries: 1, name: "oracle_mem" }, "create oracle memory");
      bpf.mapUpdateElem(mapFd, ZERO_KEY, memory, 0, "fill oracle memory");
    }
    progFd = bpf.progLoad({
      progType: SYSCALL,
      insns: [...wrapper(mapFd, memory.length), ...program],
      license: "GPL",
      progFlags: ProgFlags.Sleepable,
      name: "oracle",
    }, "load oracle program").fd;
    const run = bpf.progTestRun({ progFd, ctxIn: new Uint8Array(8), ctxSizeOut: 0 }, "run oracle program");
    const ctx = run.ctxInAfter!;
    const r0 = new DataView(ctx.buffer, ctx.byteOffset, 8).getBigUint64(0, HOST_LITTLE_ENDIAN);
    const after = mapFd === undefined ? new Uint8Array(0) : bpf.mapLookupElem(mapFd, ZERO_KEY, memory.length, 0, "read oracle memory")!;
    return { r0, memory: after };
  } finally {
    if (progFd !== undefined) closeFd(progFd);
    if (mapFd !== undefined) closeFd(mapFd);
  }
}
