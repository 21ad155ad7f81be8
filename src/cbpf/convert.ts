/**
 * @fileoverview Classic BPF to eBPF, as the kernel's bpf_convert_filter does it, so a classic
 * program runs on tsbpf's interpreter, the JIT and the kernel: A in r0, X in r7, the context in
 * r6, M[0..15] on the stack, packet loads as the legacy LD_ABS/LD_IND instructions.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import { insn, type Instruction } from "../isa/instruction.js";
import { ANCILLARY_NAMES, checkSeccompFilter, isAncillaryOffset, SECCOMP_LD_DATA, validateClassic } from "./validate.js";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, SkfAd, type SockFilter } from "./insn.js";

/** Who runs the program: a socket filter (ctx `struct __sk_buff`) or seccomp (ctx `struct seccomp_data`). */
export type ClassicKind = "socket" | "seccomp";

export interface ConvertOptions {
  /** "socket" (the default) or "seccomp". */
  readonly kind?: ClassicKind;
  /**
   * How absolute loads at SKF_NET_OFF / SKF_LL_OFF are converted: "ld_abs" (the default, as
   * the kernel does: a negative LD_ABS immediate, which the kernel's and tsbpf's LD_ABS
   * resolve from the headers) or "helper": bpf_skb_load_bytes_relative from the network or
   * MAC header. Indirect loads stay LD_IND either way.
   */
  readonly negativeOffsets?: "ld_abs" | "helper";
}

/** The registers the kernel gives the classic machine (BPF_REG_A, BPF_REG_X, BPF_REG_TMP, BPF_REG_CTX). */
const A = 0, X = 7, TMP = 2, CTX = 6, FP = 10;

/** struct __sk_buff offsets the ancillary loads read (uapi linux/bpf.h). */
const SKB = { len: 0, pktType: 4, mark: 8, queueMapping: 12, protocol: 16, vlanPresent: 20, vlanTci: 24, vlanProto: 28, ifindex: 40, hash: 68 } as const;

/** BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id */
const FUNC_GET_PRANDOM_U32 = 7, FUNC_GET_SMP_PROCESSOR_ID = 8;

const mov32Imm = (dst: number, k: number) => insn(0xb4, dst, 0, 0, k | 0);
const mov64Reg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0);
const xor32Reg = (dst: number, src: number) => insn(0xac, dst, src, 0, 0);
const ldxw = (dst: number, src: number, off: number) => insn(0x61, dst, src, off, 0);
const stxw = (dst: number, off: number, src: number) => insn(0x63, dst, src, off, 0);
const exit = () => insn(0x95, 0, 0, 0, 0);
const call = (id: number) => insn(0x85, 0, 0, 0, id);
/** BPF_ALU | BPF_END | BPF_TO_BE, 16 bits: ntohs on a little-endian host. */
const be16 = (dst: number) => insn(0xdc, dst, 0, 0, 16);
/** M[k] lives at fp - (4k + 4), as the kernel lays it out. */
const memOff = (k: number) => -(k * 4 + 4);

/** An eBPF instruction whose offset is still a classic target index. */
interface Pending { readonly insn: Instruction; readonly target?: number }

/** The ancillary load at `k`, as eBPF, or why it cannot be expressed in a verifiable program. */
function ancillary(k: number, pc: number): Instruction[] {
  const n = (k - (SKF_AD_OFF >>> 0)) >>> 0;
  switch (n) {
    case SkfAd.Protocol: return [ldxw(A, CTX, SKB.protocol), be16(A)];
    case SkfAd.PktType: return [ldxw(A, CTX, SKB.pktType)];
    // The kernel returns 0 from the program when the skb has no device; __sk_buff.ifindex is 0 then.
    case SkfAd.Ifindex: return [ldxw(A, CTX, SKB.ifindex), insn(0x55, A, 0, 1, 0), exit()];
    case SkfAd.Mark: return [ldxw(A, CTX, SKB.mark)];
    case SkfAd.Queue: return [ldxw(A, CTX, SKB.queueMapping)];
    case SkfAd.Rxhash: return [ldxw(A, CTX, SKB.hash)];
    case SkfAd.VlanTag: return [ldxw(A, CTX, SKB.vlanTci)];
    case SkfAd.VlanTagPresent: return [ldxw(A, CTX, SKB.vlanPresent)];
    case SkfAd.VlanTpid: return [ldxw(A, CTX, SKB.vlanProto), be16(A)];
    case SkfAd.AluXorX: return [xor32Reg(A, X)];
    // The kernel calls internal functions for these; a loadable program has the helpers.
    case SkfAd.Cpu: return [call(FUNC_GET_SMP_PROCESSOR_ID)];
    case SkfAd.Random: return [call(FUNC_GET_PRANDOM_U32)];
  }
  // HATYPE reads skb->dev->type and PAY_OFFSET/NLATTR(_NEST) call kernel internals:
  // __sk_buff and the helper set have no equivalent.
  throw new NotSupportedError(`insn ${pc}: ancillary load ${ANCILLARY_NAMES.get(n) ?? `SKF_AD_OFF+${n}`} in eBPF`, "no __sk_buff field or helper gives it");
}

/**
 * Converts a classic program to eBPF instructions (validating it first, as the kernel does).
 * Socket filters take r1 = `struct __sk_buff *` (load them as socket_filter programs);
 * seccomp filters take r1 = `struct seccomp_data *` (64 bytes, run raw).
 */
export function convertClassic(program: readonly SockFilter[], options: ConvertOptions = {}): Instruction[] {
  const kind = options.kind ?? "socket";
  let prog: readonly SockFilter[];
  if (kind === "seccomp") prog = checkSeccompFilter(program);
  else {
    validateClassic(program);
    prog = program;
  }
  // Classic programs may hold dead code; the eBPF verifier refuses unreachable instructions.
  const live = reachable(prog);
  const viaHelper = kind === "socket" && options.negativeOffsets === "helper";
  const blocks: Pending[][] = prog.map((f, pc) => (!live[pc] ? [] : viaHelper && isNegativeAbs(f) ? negativeAbs(f) : convertOne(f, pc)));
  // Classic index -> first eBPF slot, after the three-instruction prologue.
  const PROLOGUE = 3;
  const addrs: number[] = [];
  let at = PROLOGUE;
  for (const b of blocks) {
    addrs.push(at);
    at += b.length;
  }
  // The kernel clears A and X with xors; a verified program may not read them first, so: movs.
  const out: Instruction[] = [mov32Imm(A, 0), mov32Imm(X, 0), mov64Reg(CTX, 1)];
  blocks.forEach((b, pc) => {
    b.forEach((p, j) => {
      if (p.target === undefined) return out.push(p.insn);
      const off = addrs[p.target]! - (addrs[pc]! + j) - 1;
      if (off > 0x7fff) throw new BpfError("EINVAL", `insn ${pc}: the converted jump of ${off} does not fit a 16-bit offset`);
      out.push({ ...p.insn, off });
    });
  });
  return out;
}

/** BPF_FUNC_skb_load_bytes_relative, BPF_HDR_START_MAC, BPF_HDR_START_NET */
const FUNC_SKB_LOAD_BYTES_RELATIVE = 68, HDR_START_MAC = 0, HDR_START_NET = 1;
/** Where the helper form copies a packet word: below M[0..15]. */
const BOUNCE = -72;

const isNegativeAbs = (f: SockFilter) => (f.code === 0x20 || f.code === 0x28 || f.code === 0x30) && (f.k | 0) < 0 && !isAncillaryOffset(f.k >>> 0);

/** A load at SKF_NET_OFF + n or SKF_LL_OFF + n through bpf_skb_load_bytes_relative; 0 from the program when it fails, as LD_ABS. */
function negativeAbs(f: SockFilter): Pending[] {
  const k = f.k | 0;
  const size = f.code === 0x20 ? 4 : f.code === 0x28 ? 2 : 1;
  const fail = [mov32Imm(A, 0), exit()];
  // Below SKF_LL_OFF nothing is addressed: LD_ABS ends the program with 0 everywhere (and leaves no dead code).
  if (k < SKF_LL_OFF) return [{ insn: insn(f.code, 0, 0, 0, k) }];
  const [hdr, off] = k >= SKF_NET_OFF ? [HDR_START_NET, k - SKF_NET_OFF] : [HDR_START_MAC, k - SKF_LL_OFF];
  const load = size === 4 ? 0x61 : size === 2 ? 0x69 : 0x71;
  const out = [
    mov64Reg(1, CTX), mov32Imm(2, off), mov64Reg(3, FP), insn(0x07, 3, 0, 0, BOUNCE), mov32Imm(4, size), mov32Imm(5, hdr),
    call(FUNC_SKB_LOAD_BYTES_RELATIVE),
    insn(0x15, A, 0, 2, 0), ...fail,
    insn(load, A, FP, BOUNCE, 0),
    ...(size > 1 ? [insn(0xdc, A, 0, 0, size * 8)] : []),
  ];
  return out.map((i) => ({ insn: i }));
}

/** Which instructions some path from the first reaches (jumps are forward, so one pass). */
export function reachable(prog: readonly SockFilter[]): boolean[] {
  const live = new Array<boolean>(prog.length).fill(false);
  live[0] = true;
  prog.forEach((f, pc) => {
    if (!live[pc]) return;
    const cls = f.code & 0x07;
    if (cls === 0x06) return;
    if (f.code === 0x05) live[pc + 1 + (f.k >>> 0)] = true;
    else if (cls === 0x05) { live[pc + 1 + f.jt] = true; live[pc + 1 + f.jf] = true; }
    else live[pc + 1] = true;
  });
  return live;
}

function convertOne(f: SockFilter, pc: number): Pending[] {
  const k = f.k >>> 0;
  const plain = (...insns: Instruction[]): Pending[] => insns.map((i) => ({ insn: i }));
  switch (f.code) {
    // ALU: the classic codes are the eBPF ALU32 codes; the K forms take k, the X forms r7.
    case 0x04: case 0x14: case 0x24: case 0x34: case 0x94: case 0x54: case 0x44: case 0xa4: case 0x64: case 0x74:
      return plain(insn(f.code, A, 0, 0, k | 0));
    case 0x0c: case 0x1c: case 0x2c: case 0x5c: case 0x4c: case 0xac: case 0x6c: case 0x7c:
      return plain(insn(f.code, A, X, 0, 0));
    case 0x3c: case 0x9c:
      // Division by a zero X ends a classic program with 0 (eBPF would go on with 0 or A).
      return plain(insn(0xbc, X, X, 0, 0), insn(0x55, X, 0, 2, 0), xor32Reg(A, A), exit(), insn(f.code, A, X, 0, 0));
    case 0x84: return plain(insn(0x84, A, 0, 0, 0));
    case 0x20: case 0x28: case 0x30:
      if (isAncillaryOffset(k)) return plain(...ancillary(k, pc));
      // Negative offsets (SKF_NET_OFF, SKF_LL_OFF) stay negative immediates, as the kernel's helper reads them.
      return plain(insn(f.code, 0, 0, 0, k | 0));
    case 0x40: case 0x48: case 0x50:
      return plain(insn(f.code, 0, X, 0, k | 0));
    case 0xb1:
      // X = 4 * (pkt[k] & 0xf), keeping A: X holds A across the load, as the kernel's remapping does.
      return plain(mov64Reg(X, A), insn(0x30, 0, 0, 0, k | 0), insn(0x54, A, 0, 0, 0xf), insn(0x64, A, 0, 0, 2),
        mov64Reg(TMP, X), mov64Reg(X, A), mov64Reg(A, TMP));
    case 0x80: return plain(ldxw(A, CTX, SKB.len));
    case 0x81: return plain(ldxw(X, CTX, SKB.len));
    case SECCOMP_LD_DATA: return plain(ldxw(A, CTX, k));
    case 0x00: return plain(mov32Imm(A, k));
    case 0x01: return plain(mov32Imm(X, k));
    case 0x60: return plain(ldxw(A, FP, memOff(k)));
    case 0x61: return plain(ldxw(X, FP, memOff(k)));
    case 0x02: return plain(stxw(FP, memOff(k), A));
    case 0x03: return plain(stxw(FP, memOff(k), X));
    case 0x07: return plain(mov64Reg(X, A));
    case 0x87: return plain(mov64Reg(A, X));
    case 0x06: return plain(mov32Imm(A, k), exit());
    case 0x16: return plain(exit());
    case 0x05: return [{ insn: insn(0x05, 0, 0, 0, 0), target: pc + 1 + k }];
    case 0x15: case 0x1d: case 0x35: case 0x3d: case 0x25: case 0x2d: case 0x45: case 0x4d:
      return jump(f, pc);
  }
  throw new BpfError("EINSN", `insn ${pc}: opcode 0x${f.code.toString(16)} cannot be converted`);
}

/** Inverse conditions for a jump whose true branch falls through (JSET has none). */
const INVERSE: Partial<Record<number, number>> = { 0x10: 0x50, 0x20: 0xb0, 0x30: 0xa0 };

function jump(f: SockFilter, pc: number): Pending[] {
  const out: Pending[] = [];
  const op = f.code & 0xf0;
  let src: number, srcBit: number, imm: number;
  if ((f.code & 0x08) === 0 && (f.k | 0) < 0) {
    // eBPF immediates are sign-extended: a k with the top bit set is compared from a register.
    out.push({ insn: mov32Imm(TMP, f.k) });
    src = TMP; srcBit = 0x08; imm = 0;
  } else if (f.code & 0x08) {
    src = X; srcBit = 0x08; imm = 0;
  } else {
    src = 0; srcBit = 0; imm = f.k | 0;
  }
  const j = (code: number, target: number): Pending => ({ insn: insn(0x05 | code | srcBit, A, src, 0, imm), target });
  if (f.jf === 0) return [...out, j(op, pc + 1 + f.jt)];
  const inv = INVERSE[op];
  if (f.jt === 0 && inv !== undefined) return [...out, j(inv, pc + 1 + f.jf)];
  return [...out, j(op, pc + 1 + f.jt), { insn: insn(0x05, 0, 0, 0, 0), target: pc + 1 + f.jf }];
}
