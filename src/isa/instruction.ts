/**
 * @fileoverview The readable form of an instruction, and its byte encoding. A 64-bit
 * immediate load is one `Instruction` here although it fills two 8-byte slots.
 */

import { InvalidInstructionError } from "../errors.js";
import { SLOT_SIZE } from "./opcodes.js";

/** One decoded instruction, as RFC 9669 lays out its fields. */
export interface Instruction {
  /** The 8-bit opcode: class, source or size, operation or mode. */
  readonly opcode: number;
  /** Destination register, 0 to 10 for a valid instruction. */
  readonly dst: number;
  /** Source register, or the pseudo kind of a call or 64-bit load. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate; for a 64-bit load, its low half (`imm64` rules). */
  readonly imm: number;
  /** The 64-bit immediate load only (opcode 0x18): the value of both slots, unsigned. */
  readonly imm64?: bigint;
}

/** BPF_LD | BPF_IMM | BPF_DW, the only instruction that takes two slots. */
export const LDDW = 0x18;

/** Slots an instruction fills: 2 for the 64-bit immediate load, 1 otherwise. */
export const slotsOf = (insn: Pick<Instruction, "opcode">): 1 | 2 => (insn.opcode === LDDW ? 2 : 1);

/** The slot index each instruction starts at, as tools and jump offsets count. */
export function slotIndices(insns: readonly Instruction[]): number[] {
  const starts: number[] = [];
  let slot = 0;
  for (const insn of insns) {
    starts.push(slot);
    slot += slotsOf(insn);
  }
  return starts;
}

/** The low and high 32-bit halves of a 64-bit load, each as the signed slot immediate. */
export function splitImm64(imm64: bigint): [number, number] {
  const u = BigInt.asUintN(64, imm64);
  return [Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n))];
}

/** Joins a 64-bit load's two slot immediates into its unsigned value. */
export function joinImm64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Makes an instruction, normalising a 64-bit load so that `imm` and `imm64` agree. */
export function insn(opcode: number, dst: number, src: number, off: number, imm: number | bigint): Instruction {
  if (opcode === LDDW) {
    const imm64 = BigInt.asUintN(64, BigInt(imm));
    return { opcode, dst, src, off, imm: splitImm64(imm64)[0], imm64 };
  }
  return { opcode, dst, src, off, imm: Number(imm) | 0 };
}

export interface DecodeOptions {
  /** Byte order of the object: eBPF is little-endian on x86, big-endian on s390x. */
  readonly littleEndian?: boolean;
}

/**
 * Splits bytecode into instructions without judging them (see `validate`). Throws only
 * when the bytes cannot be instructions at all: a length that is not whole slots, or a
 * 64-bit load cut off by the end.
 */
export function decodeRaw(bytes: Uint8Array, options: DecodeOptions = {}): Instruction[] {
  const le = options.littleEndian ?? true;
  if (bytes.length % SLOT_SIZE !== 0) {
    throw new InvalidInstructionError(Math.floor(bytes.length / SLOT_SIZE), `bytecode length ${bytes.length} is not a multiple of ${SLOT_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.length / SLOT_SIZE;
  const out: Instruction[] = [];
  for (let i = 0; i < slots; i++) {
    const at = i * SLOT_SIZE;
    const opcode = view.getUint8(at);
    const regs = view.getUint8(at + 1);
    const dst = le ? regs & 0x0f : regs >> 4;
    const src = le ? regs >> 4 : regs & 0x0f;
    const off = view.getInt16(at + 2, le);
    const imm = view.getInt32(at + 4, le);
    if (opcode !== LDDW) {
      out.push({ opcode, dst, src, off, imm });
      continue;
    }
    if (i + 1 >= slots) throw new InvalidInstructionError(i, "invalid bpf_ld_imm64 insn: the second slot is missing");
    const next = at + SLOT_SIZE;
    const nextRegs = view.getUint8(next + 1);
    if (view.getUint8(next) !== 0 || nextRegs !== 0 || view.getInt16(next + 2, le) !== 0) {
      throw new InvalidInstructionError(i, "invalid bpf_ld_imm64 insn: the second slot must have opcode, registers and offset zero");
    }
    out.push({ opcode, dst, src, off, imm, imm64: joinImm64(imm, view.getInt32(next + 4, le)) });
    i++;
  }
  return out;
}

/** Encodes instructions to bytecode; a 64-bit load takes its value from `imm64`. */
export function encode(insns: readonly Instruction[], options: DecodeOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  let slots = 0;
  for (const i of insns) slots += slotsOf(i);
  const bytes = new Uint8Array(slots * SLOT_SIZE);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const put = (opcode: number, dst: number, src: number, off: number, imm: number) => {
    view.setUint8(at, opcode);
    view.setUint8(at + 1, le ? ((src & 0xf) << 4) | (dst & 0xf) : ((dst & 0xf) << 4) | (src & 0xf));
    view.setInt16(at + 2, off, le);
    view.setInt32(at + 4, imm, le);
    at += SLOT_SIZE;
  };
  for (const i of insns) {
    if (i.opcode === LDDW) {
      const [lo, hi] = i.imm64 !== undefined ? splitImm64(i.imm64) : [i.imm, 0];
      put(i.opcode, i.dst, i.src, i.off, lo);
      put(0, 0, 0, 0, hi);
    } else {
      put(i.opcode, i.dst, i.src, i.off, i.imm);
    }
  }
  return bytes;
}
