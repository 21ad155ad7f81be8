/**
 * @fileoverview The numbers of the eBPF encoding (RFC 9669 and the kernel's uapi
 * `linux/bpf.h`, `linux/bpf_common.h`): classes, operations, sizes, modes. Each
 * constant's doc comment gives the kernel's own name.
 */

/** The low three bits of the opcode. */
export const enum Class {
  /** BPF_LD: 64-bit immediate loads and the legacy packet loads */
  Ld = 0x00,
  /** BPF_LDX: loads into a register */
  Ldx = 0x01,
  /** BPF_ST: stores of an immediate */
  St = 0x02,
  /** BPF_STX: stores of a register, and atomics */
  Stx = 0x03,
  /** BPF_ALU: 32-bit arithmetic */
  Alu = 0x04,
  /** BPF_JMP: 64-bit jumps, calls, exit */
  Jmp = 0x05,
  /** BPF_JMP32: 32-bit jumps */
  Jmp32 = 0x06,
  /** BPF_ALU64: 64-bit arithmetic */
  Alu64 = 0x07,
}

/** Bit 3 of an arithmetic or jump opcode: the second operand. */
export const enum Source {
  /** BPF_K: the 32-bit immediate */
  K = 0x00,
  /** BPF_X: the source register */
  X = 0x08,
}

/** The high four bits of an ALU or ALU64 opcode. */
export const enum AluOp {
  /** BPF_ADD */ Add = 0x00,
  /** BPF_SUB */ Sub = 0x10,
  /** BPF_MUL */ Mul = 0x20,
  /** BPF_DIV (BPF_SDIV with offset 1) */ Div = 0x30,
  /** BPF_OR */ Or = 0x40,
  /** BPF_AND */ And = 0x50,
  /** BPF_LSH */ Lsh = 0x60,
  /** BPF_RSH */ Rsh = 0x70,
  /** BPF_NEG */ Neg = 0x80,
  /** BPF_MOD (BPF_SMOD with offset 1) */ Mod = 0x90,
  /** BPF_XOR */ Xor = 0xa0,
  /** BPF_MOV (BPF_MOVSX with offset 8, 16 or 32) */ Mov = 0xb0,
  /** BPF_ARSH */ Arsh = 0xc0,
  /** BPF_END: byte swaps */ End = 0xd0,
}

/** The high four bits of a JMP or JMP32 opcode. */
export const enum JmpOp {
  /** BPF_JA */ Ja = 0x00,
  /** BPF_JEQ */ Jeq = 0x10,
  /** BPF_JGT */ Jgt = 0x20,
  /** BPF_JGE */ Jge = 0x30,
  /** BPF_JSET */ Jset = 0x40,
  /** BPF_JNE */ Jne = 0x50,
  /** BPF_JSGT */ Jsgt = 0x60,
  /** BPF_JSGE */ Jsge = 0x70,
  /** BPF_CALL */ Call = 0x80,
  /** BPF_EXIT */ Exit = 0x90,
  /** BPF_JLT */ Jlt = 0xa0,
  /** BPF_JLE */ Jle = 0xb0,
  /** BPF_JSLT */ Jslt = 0xc0,
  /** BPF_JSLE */ Jsle = 0xd0,
  /** BPF_JCOND: may_goto */ Jcond = 0xe0,
}

/** Bits 3-4 of a load or store opcode: the access width. */
export const enum Size {
  /** BPF_W: 4 bytes */ W = 0x00,
  /** BPF_H: 2 bytes */ H = 0x08,
  /** BPF_B: 1 byte */ B = 0x10,
  /** BPF_DW: 8 bytes */ DW = 0x18,
}

/** The high three bits of a load or store opcode. */
export const enum Mode {
  /** BPF_IMM: the 64-bit immediate load */ Imm = 0x00,
  /** BPF_ABS: legacy packet load at a constant offset */ Abs = 0x20,
  /** BPF_IND: legacy packet load at a register plus a constant */ Ind = 0x40,
  /** BPF_MEM: ordinary memory access */ Mem = 0x60,
  /** BPF_MEMSX: sign-extending load */ Memsx = 0x80,
  /** BPF_ATOMIC: atomic read-modify-write, load-acquire, store-release */ Atomic = 0xc0,
}

/** The immediate of an atomic instruction. */
export const enum AtomicOp {
  /** BPF_ADD */ Add = 0x00,
  /** BPF_OR */ Or = 0x40,
  /** BPF_AND */ And = 0x50,
  /** BPF_XOR */ Xor = 0xa0,
  /** BPF_FETCH: the old value is loaded into the source register */ Fetch = 0x01,
  /** BPF_XCHG (BPF_FETCH | 0xe0) */ Xchg = 0xe1,
  /** BPF_CMPXCHG (BPF_FETCH | 0xf0) */ Cmpxchg = 0xf1,
  /** BPF_LOAD_ACQ */ LoadAcquire = 0x100,
  /** BPF_STORE_REL */ StoreRelease = 0x110,
}

/** The source field of a 64-bit immediate load: what its immediate stands for. */
export const enum PseudoLd {
  /** the immediate itself */ Imm = 0,
  /** BPF_PSEUDO_MAP_FD: a map by file descriptor */ MapFd = 1,
  /** BPF_PSEUDO_MAP_VALUE: the address of a map's value, plus the second slot's offset */ MapValue = 2,
  /** BPF_PSEUDO_BTF_ID: a kernel variable by BTF id */ BtfId = 3,
  /** BPF_PSEUDO_FUNC: the address of a subprogram, pc-relative */ Func = 4,
  /** BPF_PSEUDO_MAP_IDX: a map by index into the fd array */ MapIdx = 5,
  /** BPF_PSEUDO_MAP_IDX_VALUE: a map value by index into the fd array */ MapIdxValue = 6,
}

/** The source field of a call: what its immediate names. */
export const enum PseudoCall {
  /** a helper function by id */ Helper = 0,
  /** BPF_PSEUDO_CALL: a local subprogram, pc-relative */ Local = 1,
  /** BPF_PSEUDO_KFUNC_CALL: a kernel function by BTF id */ Kfunc = 2,
}

/** BPF_ADDR_SPACE_CAST: the offset that turns ALU64 mov into addr_space_cast. */
export const ADDR_SPACE_CAST_OFF = 1;

/** The number of general registers, r0 to r10 (MAX_BPF_REG). */
export const REGISTER_COUNT = 11;

/** r10, the read-only frame pointer (BPF_REG_FP). */
export const FRAME_POINTER = 10;

/** The size of one instruction slot in bytes. */
export const SLOT_SIZE = 8;

/** Width in bytes of each load/store size code. */
export function sizeBytes(size: Size): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.W: return 4;
    case Size.H: return 2;
    case Size.B: return 1;
    default: return 8;
  }
}

export const opClass = (opcode: number): Class => opcode & 0x07;
export const opSource = (opcode: number): Source => opcode & 0x08;
export const opCode = (opcode: number): number => opcode & 0xf0;
export const opSize = (opcode: number): Size => opcode & 0x18;
export const opMode = (opcode: number): Mode => opcode & 0xe0;
