/**
 * @fileoverview Shared by the kernel tests: whether to skip (and why), a handful of
 * instruction builders, and small byte helpers. Programs are built with `insn`
 * directly so these tests do not depend on the assembler.
 */

import { readdirSync } from "node:fs";
import { BTF_KIND, buildBtf, INT32_TYPE } from "../../src/btf/build.js";
import { insn, type Instruction } from "../../src/isa/instruction.js";
import { kernelAvailable } from "../../src/kernel/index.js";

const available = kernelAvailable();

/** `false` where bpf() works, else the reason, for `test(name, { skip }, fn)`. */
export const skip: false | string = available.ok ? false : `no kernel backend here: ${available.reason}`;

export const mov64Imm = (dst: number, imm: number): Instruction => insn(0xb7, dst, 0, 0, imm);
export const mov64Reg = (dst: number, src: number): Instruction => insn(0xbf, dst, src, 0, 0);
export const mov32Reg = (dst: number, src: number): Instruction => insn(0xbc, dst, src, 0, 0);
export const lddw = (dst: number, imm: bigint): Instruction => insn(0x18, dst, 0, 0, imm);
/** r<dst> = map by fd (BPF_PSEUDO_MAP_FD). */
export const ldMapFd = (dst: number, fd: number): Instruction => insn(0x18, dst, 1, 0, BigInt(fd));
/** r<dst> = map by index into fd_array (BPF_PSEUDO_MAP_IDX). */
export const ldMapIdx = (dst: number, idx: number): Instruction => insn(0x18, dst, 5, 0, BigInt(idx));
export const add64Imm = (dst: number, imm: number): Instruction => insn(0x07, dst, 0, 0, imm);
export const add64Reg = (dst: number, src: number): Instruction => insn(0x0f, dst, src, 0, 0);
export const add32Imm = (dst: number, imm: number): Instruction => insn(0x04, dst, 0, 0, imm);
export const mul64Imm = (dst: number, imm: number): Instruction => insn(0x27, dst, 0, 0, imm);
export const div64Reg = (dst: number, src: number): Instruction => insn(0x3f, dst, src, 0, 0);
export const or64Imm = (dst: number, imm: number): Instruction => insn(0x47, dst, 0, 0, imm);
export const lsh64Imm = (dst: number, imm: number): Instruction => insn(0x67, dst, 0, 0, imm);
export const and64Imm = (dst: number, imm: number): Instruction => insn(0x57, dst, 0, 0, imm);
export const neg64 = (dst: number): Instruction => insn(0x87, dst, 0, 0, 0);

const SIZE = { b: 0x10, h: 0x08, w: 0x00, dw: 0x18 } as const;
type Width = keyof typeof SIZE;
/** r<dst> = *(<w> *)(r<src> + off) */
export const ldx = (w: Width, dst: number, src: number, off: number): Instruction => insn(0x61 | SIZE[w], dst, src, off, 0);
/** *(<w> *)(r<dst> + off) = r<src> */
export const stx = (w: Width, dst: number, off: number, src: number): Instruction => insn(0x63 | SIZE[w], dst, src, off, 0);
/** *(<w> *)(r<dst> + off) = imm */
export const st = (w: Width, dst: number, off: number, imm: number): Instruction => insn(0x62 | SIZE[w], dst, 0, off, imm);

/** if r<dst> > r<src> goto +off */
export const jgtReg = (dst: number, src: number, off: number): Instruction => insn(0x2d, dst, src, off, 0);
/** if r<dst> != imm goto +off */
export const jneImm = (dst: number, imm: number, off: number): Instruction => insn(0x55, dst, 0, off, imm);
/** call helper `id` */
export const call = (id: number): Instruction => insn(0x85, 0, 0, 0, id);
/** call the subprogram `off` instructions after the next (BPF_PSEUDO_CALL). */
export const callLocal = (off: number): Instruction => insn(0x85, 0, 1, 0, off);
export const exit = (): Instruction => insn(0x95, 0, 0, 0, 0);

/** A little-endian u32. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A little-endian u64. */
export function u64(n: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export const readU32 = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
export const readU64 = (b: Uint8Array, at = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);

/** How many file descriptors this process has open. */
export const openFds = (): number => readdirSync("/proc/self/fd").length;

/**
 * A BTF blob: [1] int, [2] func_proto returning int with no parameters, [3] func
 * "main" of that proto; and strings for a source file and a line, for func_info
 * and line_info tests. Offsets of the strings are returned with it.
 */
export function funcBtf(): { blob: Uint8Array; fileOff: number; lineOff: number } {
  const { bytes, stringOffsets } = buildBtf([
    INT32_TYPE, // [1]
    { kind: BTF_KIND.FUNC_PROTO, sizeOrType: 1 }, // [2] int (void)
    { name: "main", kind: BTF_KIND.FUNC, sizeOrType: 2 }, // [3] static int main(void)
  ], { strings: ["prog.c", "return 0;"] });
  return { blob: bytes, fileOff: stringOffsets.get("prog.c")!, lineOff: stringOffsets.get("return 0;")! };
}
