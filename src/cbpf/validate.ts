/**
 * @fileoverview The kernel's checks on a classic program before it runs: bpf_check_classic
 * (net/core/filter.c) for every cBPF user, and seccomp_check_filter (kernel/seccomp.c) on top.
 */

import { BpfError } from "../errors.js";
import { CBPF_MAXINSNS, CBPF_MEMWORDS, SKF_AD_OFF, SkfAd, type SockFilter } from "./insn.js";

/** A classic program the kernel would refuse (EINVAL); `index` is the instruction, -1 for the whole program. */
export class ClassicValidationError extends BpfError {
  readonly index: number;
  readonly reason: string;
  constructor(index: number, reason: string) {
    super("EINSN", index >= 0 ? `insn ${index}: ${reason}` : reason);
    this.index = index;
    this.reason = reason;
  }
}

/** The opcodes chk_code_allowed() accepts: one row each, with its tcpdump-style name for messages. */
export const CLASSIC_OPCODES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x04, "add #k"], [0x0c, "add x"], [0x14, "sub #k"], [0x1c, "sub x"], [0x24, "mul #k"], [0x2c, "mul x"],
  [0x34, "div #k"], [0x3c, "div x"], [0x94, "mod #k"], [0x9c, "mod x"], [0x54, "and #k"], [0x5c, "and x"],
  [0x44, "or #k"], [0x4c, "or x"], [0xa4, "xor #k"], [0xac, "xor x"], [0x64, "lsh #k"], [0x6c, "lsh x"],
  [0x74, "rsh #k"], [0x7c, "rsh x"], [0x84, "neg"],
  [0x20, "ld [k]"], [0x28, "ldh [k]"], [0x30, "ldb [k]"], [0x80, "ld len"], [0x40, "ld [x+k]"], [0x48, "ldh [x+k]"],
  [0x50, "ldb [x+k]"], [0x00, "ld #k"], [0x60, "ld M[k]"], [0x81, "ldx len"], [0xb1, "ldxb 4*([k]&0xf)"],
  [0x01, "ldx #k"], [0x61, "ldx M[k]"],
  [0x02, "st M[k]"], [0x03, "stx M[k]"], [0x07, "tax"], [0x87, "txa"], [0x06, "ret #k"], [0x16, "ret a"],
  [0x05, "ja"], [0x15, "jeq #k"], [0x1d, "jeq x"], [0x35, "jge #k"], [0x3d, "jge x"], [0x25, "jgt #k"], [0x2d, "jgt x"],
  [0x45, "jset #k"], [0x4d, "jset x"],
]);

/** The ancillary loads bpf_anc_helper() knows (linux/filter.h), by `k - SKF_AD_OFF`. */
export const ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [SkfAd.Protocol, "SKF_AD_PROTOCOL"], [SkfAd.PktType, "SKF_AD_PKTTYPE"], [SkfAd.Ifindex, "SKF_AD_IFINDEX"],
  [SkfAd.Nlattr, "SKF_AD_NLATTR"], [SkfAd.NlattrNest, "SKF_AD_NLATTR_NEST"], [SkfAd.Mark, "SKF_AD_MARK"],
  [SkfAd.Queue, "SKF_AD_QUEUE"], [SkfAd.Hatype, "SKF_AD_HATYPE"], [SkfAd.Rxhash, "SKF_AD_RXHASH"], [SkfAd.Cpu, "SKF_AD_CPU"],
  [SkfAd.AluXorX, "SKF_AD_ALU_XOR_X"], [SkfAd.VlanTag, "SKF_AD_VLAN_TAG"], [SkfAd.VlanTagPresent, "SKF_AD_VLAN_TAG_PRESENT"],
  [SkfAd.PayOffset, "SKF_AD_PAY_OFFSET"], [SkfAd.Random, "SKF_AD_RANDOM"], [SkfAd.VlanTpid, "SKF_AD_VLAN_TPID"],
]);

/** `k` of an absolute load at or above SKF_AD_OFF (unsigned): an ancillary load, known or not. */
export const isAncillaryOffset = (k: number): boolean => k >>> 0 >= SKF_AD_OFF >>> 0;

const u16ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
const u8ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xff;

/**
 * bpf_check_classic: known opcodes only, no division or modulo by a constant zero, shifts by
 * a constant below 32, scratch words 0-15, every jump forward and inside the program, only
 * known ancillary loads, a return last, and every M[k] written on every path before it is
 * read. Throws a ClassicValidationError naming the first offending instruction.
 */
export function validateClassic(program: readonly SockFilter[]): void {
  const n = program.length;
  if (n === 0) throw new ClassicValidationError(-1, "empty classic program");
  if (n > CBPF_MAXINSNS) throw new ClassicValidationError(-1, `classic program of ${n} instructions: more than ${CBPF_MAXINSNS}`);
  program.forEach((f, pc) => {
    if (!u16ok(f.code) || !u8ok(f.jt) || !u8ok(f.jf) || !Number.isInteger(f.k)) {
      throw new ClassicValidationError(pc, `fields out of range (code ${f.code}, jt ${f.jt}, jf ${f.jf}, k ${f.k})`);
    }
    const name = CLASSIC_OPCODES.get(f.code);
    if (name === undefined) throw new ClassicValidationError(pc, `unknown opcode 0x${f.code.toString(16).padStart(2, "0")}`);
    const k = f.k >>> 0;
    switch (f.code) {
      case 0x34: case 0x94:
        if (k === 0) throw new ClassicValidationError(pc, `${name.split(" ")[0]} by constant zero`);
        break;
      case 0x64: case 0x74:
        if (k >= 32) throw new ClassicValidationError(pc, `shift by ${k}: at most 31`);
        break;
      case 0x60: case 0x61: case 0x02: case 0x03:
        if (k >= CBPF_MEMWORDS) throw new ClassicValidationError(pc, `scratch memory M[${k}] out of range (0-${CBPF_MEMWORDS - 1})`);
        break;
      case 0x05:
        if (k >= n - pc - 1) throw new ClassicValidationError(pc, `ja +${k} jumps out of the program (${n} instructions)`);
        break;
      case 0x15: case 0x1d: case 0x35: case 0x3d: case 0x25: case 0x2d: case 0x45: case 0x4d:
        if (pc + f.jt + 1 >= n || pc + f.jf + 1 >= n) {
          throw new ClassicValidationError(pc, `jump (jt ${f.jt}, jf ${f.jf}) out of the program (${n} instructions)`);
        }
        break;
      case 0x20: case 0x28: case 0x30:
        if (isAncillaryOffset(k) && !ANCILLARY_NAMES.has((k - (SKF_AD_OFF >>> 0)) >>> 0)) {
          throw new ClassicValidationError(pc, `unknown ancillary load SKF_AD_OFF+${k - (SKF_AD_OFF >>> 0)}`);
        }
        break;
    }
  });
  const last = program[n - 1]!.code;
  if (last !== 0x06 && last !== 0x16) throw new ClassicValidationError(n - 1, "the last instruction is not a return");
  checkLoadsAndStores(program);
}

/** check_load_and_stores: a bit per scratch word written on every path that reaches each instruction. */
function checkLoadsAndStores(program: readonly SockFilter[]): void {
  const masks = new Uint16Array(program.length).fill(0xffff);
  let valid = 0;
  program.forEach((f, pc) => {
    valid &= masks[pc]!;
    switch (f.code) {
      case 0x02: case 0x03: valid |= 1 << f.k; break;
      case 0x60: case 0x61:
        if (!(valid & (1 << f.k))) throw new ClassicValidationError(pc, `M[${f.k}] read before it is written on some path`);
        break;
      case 0x05:
        masks[pc + 1 + f.k]! &= valid;
        valid = 0xffff;
        break;
      case 0x15: case 0x1d: case 0x35: case 0x3d: case 0x25: case 0x2d: case 0x45: case 0x4d:
        masks[pc + 1 + f.jt]! &= valid;
        masks[pc + 1 + f.jf]! &= valid;
        valid = 0xffff;
        break;
    }
  });
}

/** sizeof(struct seccomp_data): nr, arch, instruction_pointer, args[6]. */
export const SECCOMP_DATA_SIZE = 64;

/** The opcodes seccomp_check_filter lets through unchanged (no packet loads, no modulo). */
const SECCOMP_PLAIN = new Set([
  0x06, 0x16, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c,
  0x84, 0x00, 0x01, 0x07, 0x87, 0x60, 0x61, 0x02, 0x03, 0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,
]);

/** BPF_LDX | BPF_W | BPF_ABS: the kernel's internal "load a word of seccomp_data" opcode. */
export const SECCOMP_LD_DATA = 0x21;

/**
 * seccomp_check_filter, after validateClassic: only word loads of `struct seccomp_data`
 * (aligned, inside its 64 bytes) and no packet, MSH or modulo instructions. Returns the
 * program as the kernel rewrites it: `ld [k]` becomes SECCOMP_LD_DATA, `ld len` / `ldx len`
 * the constant 64.
 */
export function checkSeccompFilter(program: readonly SockFilter[]): SockFilter[] {
  validateClassic(program);
  return program.map((f, pc) => {
    const k = f.k >>> 0;
    if (f.code === 0x20) {
      if (k >= SECCOMP_DATA_SIZE || k & 3) throw new ClassicValidationError(pc, `seccomp: ld [${k}] is not an aligned word of struct seccomp_data`);
      return { ...f, code: SECCOMP_LD_DATA };
    }
    if (f.code === 0x80) return { ...f, code: 0x00, k: SECCOMP_DATA_SIZE };
    if (f.code === 0x81) return { ...f, code: 0x01, k: SECCOMP_DATA_SIZE };
    if (!SECCOMP_PLAIN.has(f.code)) throw new ClassicValidationError(pc, `seccomp: ${CLASSIC_OPCODES.get(f.code)} is not allowed in a seccomp filter`);
    return f;
  });
}
