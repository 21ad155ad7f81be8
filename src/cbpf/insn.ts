/**
 * @fileoverview Classic BPF instructions as the kernel's `struct sock_filter` holds them
 * (linux/filter.h, linux/bpf_common.h): the one shape every cBPF module shares.
 */

/** One classic instruction: `{ code, jt, jf, k }`, 8 bytes on the wire (u16, u8, u8, u32). */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Instruction classes, the low three bits of `code`. */
export const enum CbpfClass {
  /** BPF_LD */ Ld = 0x00,
  /** BPF_LDX */ Ldx = 0x01,
  /** BPF_ST */ St = 0x02,
  /** BPF_STX */ Stx = 0x03,
  /** BPF_ALU */ Alu = 0x04,
  /** BPF_JMP */ Jmp = 0x05,
  /** BPF_RET */ Ret = 0x06,
  /** BPF_MISC */ Misc = 0x07,
}

/** Load sizes (`code & 0x18`). */
export const enum CbpfSize {
  /** BPF_W */ W = 0x00,
  /** BPF_H */ H = 0x08,
  /** BPF_B */ B = 0x10,
}

/** Load modes (`code & 0xe0`). */
export const enum CbpfMode {
  /** BPF_IMM */ Imm = 0x00,
  /** BPF_ABS */ Abs = 0x20,
  /** BPF_IND */ Ind = 0x40,
  /** BPF_MEM */ Mem = 0x60,
  /** BPF_LEN */ Len = 0x80,
  /** BPF_MSH */ Msh = 0xa0,
}

/** ALU and jump operations (`code & 0xf0`). */
export const enum CbpfOp {
  /** BPF_ADD */ Add = 0x00,
  /** BPF_SUB */ Sub = 0x10,
  /** BPF_MUL */ Mul = 0x20,
  /** BPF_DIV */ Div = 0x30,
  /** BPF_OR */ Or = 0x40,
  /** BPF_AND */ And = 0x50,
  /** BPF_LSH */ Lsh = 0x60,
  /** BPF_RSH */ Rsh = 0x70,
  /** BPF_NEG */ Neg = 0x80,
  /** BPF_MOD */ Mod = 0x90,
  /** BPF_XOR */ Xor = 0xa0,
  /** BPF_JA */ Ja = 0x00,
  /** BPF_JEQ */ Jeq = 0x10,
  /** BPF_JGT */ Jgt = 0x20,
  /** BPF_JGE */ Jge = 0x30,
  /** BPF_JSET */ Jset = 0x40,
}

/** Operand sources (`code & 0x08`) and, for BPF_RET, `code & 0x18`. */
export const enum CbpfSrc {
  /** BPF_K */ K = 0x00,
  /** BPF_X */ X = 0x08,
  /** BPF_A (BPF_RET only) */ A = 0x10,
}

/** BPF_MISC operations (`code & 0xf8`). */
export const enum CbpfMisc {
  /** BPF_TAX */ Tax = 0x00,
  /** BPF_TXA */ Txa = 0x80,
}

/** Scratch memory words M[0..15] (BPF_MEMWORDS). */
export const CBPF_MEMWORDS = 16;
/** The kernel's limit on a classic program's length (BPF_MAXINSNS). */
export const CBPF_MAXINSNS = 4096;

/** Linux ancillary loads: `ld [SKF_AD_OFF + n]` (linux/filter.h). */
export const SKF_AD_OFF = -0x1000;
export const enum SkfAd {
  /** SKF_AD_PROTOCOL */ Protocol = 0,
  /** SKF_AD_PKTTYPE */ PktType = 4,
  /** SKF_AD_IFINDEX */ Ifindex = 8,
  /** SKF_AD_NLATTR */ Nlattr = 12,
  /** SKF_AD_NLATTR_NEST */ NlattrNest = 16,
  /** SKF_AD_MARK */ Mark = 20,
  /** SKF_AD_QUEUE */ Queue = 24,
  /** SKF_AD_HATYPE */ Hatype = 28,
  /** SKF_AD_RXHASH */ Rxhash = 32,
  /** SKF_AD_CPU */ Cpu = 36,
  /** SKF_AD_ALU_XOR_X */ AluXorX = 40,
  /** SKF_AD_VLAN_TAG */ VlanTag = 44,
  /** SKF_AD_VLAN_TAG_PRESENT */ VlanTagPresent = 48,
  /** SKF_AD_PAY_OFFSET */ PayOffset = 52,
  /** SKF_AD_RANDOM */ Random = 56,
  /** SKF_AD_VLAN_TPID */ VlanTpid = 60,
}
/** Negative offsets reaching the network header and the link-layer header. */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

export const cbpfClass = (code: number): CbpfClass => code & 0x07;
export const cbpfSize = (code: number): CbpfSize => code & 0x18;
export const cbpfMode = (code: number): CbpfMode => code & 0xe0;
export const cbpfOp = (code: number): CbpfOp => code & 0xf0;
export const cbpfSrc = (code: number): CbpfSrc => code & 0x08;

/** Makes an instruction (BPF_STMT / BPF_JUMP of linux/filter.h), `k` kept as u32. */
export function stmt(code: number, k: number): SockFilter {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}
export function jump(code: number, k: number, jt: number, jf: number): SockFilter {
  return { code, jt, jf, k: k >>> 0 };
}

/** Packs a program as the kernel reads it (`struct sock_fprog.filter`), little-endian hosts. */
export function encodeCbpf(program: readonly SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k >>> 0, true);
  });
  return bytes;
}

/** Unpacks bytes in `struct sock_filter` layout; a length that is not a multiple of 8 is refused. */
export function decodeCbpf(bytes: Uint8Array): SockFilter[] {
  if (bytes.length % 8 !== 0) throw new RangeError(`classic program of ${bytes.length} bytes: not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SockFilter[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    out.push({ code: view.getUint16(at, true), jt: view.getUint8(at + 2), jf: view.getUint8(at + 3), k: view.getUint32(at + 4, true) });
  }
  return out;
}
