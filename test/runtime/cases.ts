/**
 * @fileoverview Per-instruction cases in the manner of uBPF's data tests: a program, its
 * memory, and the r0 RFC 9669 says it returns. Each runs in both interpreter modes and,
 * where the kernel backend works, against the kernel too (`kernel: false` marks the
 * cases its verifier rejects or whose semantics differ there by design).
 */

export interface Case {
  readonly name: string;
  readonly asm: string;
  readonly r0: bigint;
  readonly mem?: readonly number[];
  /** The memory after the run, when the case checks it. */
  readonly memOut?: readonly number[];
  /** Why the kernel cannot check this case; undefined means it can. */
  readonly noKernel?: string;
}

const U64 = (n: bigint) => BigInt.asUintN(64, n);

export const CASES: readonly Case[] = [
  // ---- ALU64 and ALU arithmetic ----
  { name: "add64 wraps", asm: "r0 = -1\nr0 += 1\nexit", r0: 0n },
  { name: "add64 carries into the high half", asm: "r0 = 0xffffffff ll\nr0 += 1\nexit", r0: 0x100000000n },
  { name: "add64 register carry", asm: "r0 = 0xffffffff ll\nr1 = 0xffffffff ll\nr0 += r1\nexit", r0: 0x1fffffffen },
  { name: "sub64 borrows from the high half", asm: "r0 = 0x100000000 ll\nr0 -= 1\nexit", r0: 0xffffffffn },
  { name: "sub64 register below zero", asm: "r0 = 1\nr1 = 2\nr0 -= r1\nexit", r0: U64(-1n) },
  { name: "mul64 full width", asm: "r0 = 0x123456789 ll\nr1 = 0x987654321 ll\nr0 *= r1\nexit", r0: 0xd77d742cce1833a9n },
  { name: "mul64 high bits both sides", asm: "r0 = 0xfedcba9876543210 ll\nr1 = 0x0123456789abcdef ll\nr0 *= r1\nexit", r0: 0x2236d88fe5618cf0n },
  { name: "mul64 by a negative immediate", asm: "r0 = 3\nr0 *= -2\nexit", r0: U64(-6n) },
  { name: "mul32 truncates", asm: "w0 = 0x10000\nw0 *= w0\nexit", r0: 0n },
  { name: "mul32 zero-extends", asm: "r0 = -1\nw0 *= 1\nexit", r0: 0xffffffffn },
  { name: "alu32 results are zero-extended", asm: "r0 = -1\nw0 += 0\nexit", r0: 0xffffffffn },
  { name: "mov32 zero-extends", asm: "r0 = -1\nw0 = w0\nexit", r0: 0xffffffffn },
  { name: "mov64 immediate sign-extends", asm: "r0 = -2\nexit", r0: U64(-2n) },
  { name: "mov32 immediate does not", asm: "w0 = -2\nexit", r0: 0xfffffffen },
  { name: "or64 immediate sign-extends", asm: "r0 = 0\nr0 |= -1\nexit", r0: U64(-1n) },
  { name: "and64 immediate sign-extends", asm: "r0 = 0x100000000 ll\nr0 &= -1\nexit", r0: 0x100000000n },
  { name: "and64 positive immediate clears the high half", asm: "r0 = 0x1ffffffff ll\nr0 &= 0x7fffffff\nexit", r0: 0x7fffffffn },
  { name: "xor64", asm: "r0 = 0xff00ff00ff00ff00 ll\nr1 = 0x0ff00ff00ff00ff0 ll\nr0 ^= r1\nexit", r0: 0xf0f0f0f0f0f0f0f0n },
  { name: "neg64", asm: "r0 = 1\nr0 = -r0\nexit", r0: U64(-1n) },
  { name: "neg64 of zero", asm: "r0 = 0\nr0 = -r0\nexit", r0: 0n },
  { name: "neg64 of a high value", asm: "r0 = 0x100000000 ll\nr0 = -r0\nexit", r0: 0xffffffff00000000n },
  { name: "neg32", asm: "r0 = 0x100000001 ll\nw0 = -w0\nexit", r0: 0xffffffffn },

  // ---- division and modulo ----
  { name: "div64 by zero is zero", asm: "r0 = 10\nr1 = 0\nr0 /= r1\nexit", r0: 0n },
  { name: "mod64 by zero keeps the dividend", asm: "r0 = 10\nr1 = 0\nr0 %= r1\nexit", r0: 10n },
  { name: "mod64 by zero keeps a 64-bit dividend", asm: "r0 = 0x123456789 ll\nr1 = 0\nr0 %= r1\nexit", r0: 0x123456789n },
  { name: "div32 by zero is zero", asm: "r0 = -1\nw1 = 0\nw0 /= w1\nexit", r0: 0n },
  { name: "mod32 by zero truncates the dividend", asm: "r0 = 0x100000007 ll\nw1 = 0\nw0 %= w1\nexit", r0: 7n },
  { name: "div64 unsigned of -1", asm: "r0 = -1\nr0 /= 3\nexit", r0: 0x5555555555555555n },
  { name: "div64 by immediate -1 divides by 2^64-1", asm: "r0 = -1\nr0 /= -1\nexit", r0: 1n },
  { name: "div64 64-bit operands", asm: "r0 = 0xfedcba9876543210 ll\nr1 = 0x123456789 ll\nr0 /= r1\nexit", r0: 0xfedcba9876543210n / 0x123456789n },
  { name: "mod64 64-bit operands", asm: "r0 = 0xfedcba9876543210 ll\nr1 = 0x123456789 ll\nr0 %= r1\nexit", r0: 0xfedcba9876543210n % 0x123456789n },
  { name: "div32 immediate is unsigned", asm: "w0 = -1\nw0 /= -1\nexit", r0: 1n },
  { name: "mod32", asm: "w0 = 100\nw1 = 7\nw0 %= w1\nexit", r0: 2n },
  { name: "sdiv64 INT64_MIN / -1", asm: "r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit", r0: 0x8000000000000000n },
  { name: "smod64 INT64_MIN % -1", asm: "r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit", r0: 0n },
  { name: "sdiv32 INT_MIN / -1", asm: "w0 = 0x80000000\nw1 = -1\nw0 s/= w1\nexit", r0: 0x80000000n },
  { name: "smod32 INT_MIN % -1", asm: "w0 = 0x80000000\nw1 = -1\nw0 s%= w1\nexit", r0: 0n },
  { name: "sdiv64 truncates toward zero", asm: "r0 = -7\nr0 s/= 2\nexit", r0: U64(-3n) },
  { name: "smod64 takes the dividend's sign", asm: "r0 = -7\nr1 = 2\nr0 s%= r1\nexit", r0: U64(-1n) },
  { name: "smod64 negative divisor", asm: "r0 = 7\nr1 = -2\nr0 s%= r1\nexit", r0: 1n },
  { name: "sdiv64 by zero is zero", asm: "r0 = -7\nr1 = 0\nr0 s/= r1\nexit", r0: 0n },
  { name: "smod64 by zero keeps the dividend", asm: "r0 = -7\nr1 = 0\nr0 s%= r1\nexit", r0: U64(-7n) },
  { name: "sdiv32", asm: "w0 = -8\nw0 s/= 3\nexit", r0: 0xfffffffen },
  { name: "smod32 negative", asm: "w0 = -7\nw1 = 2\nw0 s%= w1\nexit", r0: 0xffffffffn },
  { name: "smod32 by zero truncates and zero-extends", asm: "r0 = -7\nw1 = 0\nw0 s%= w1\nexit", r0: 0xfffffff9n },
  { name: "sdiv64 large operands", asm: "r0 = 0x8000000000000001 ll\nr1 = 0x100000000 ll\nr0 s/= r1\nexit", r0: U64(-0x7fffffffn) },
  { name: "sdiv64 by immediate -1", asm: "r0 = 5\nr0 s/= -1\nexit", r0: U64(-5n) },

  // ---- shifts ----
  { name: "lsh64 register count is masked to 63", asm: "r0 = 1\nr1 = 65\nr0 <<= r1\nexit", r0: 2n },
  { name: "lsh32 register count is masked to 31", asm: "w0 = 1\nw1 = 33\nw0 <<= w1\nexit", r0: 2n },
  { name: "rsh64 register count masked", asm: "r0 = 0x80\nr1 = 68\nr0 >>= r1\nexit", r0: 8n },
  { name: "lsh64 across the halves", asm: "r0 = 0x12345\nr0 <<= 40\nexit", r0: 0x123450000000000n },
  { name: "lsh64 by 31", asm: "r0 = 3\nr0 <<= 31\nexit", r0: 0x180000000n },
  { name: "rsh64 across the halves", asm: "r0 = 0x8000000000000000 ll\nr0 >>= 33\nexit", r0: 0x40000000n },
  { name: "rsh64 by 1 across", asm: "r0 = 0x100000000 ll\nr0 >>= 1\nexit", r0: 0x80000000n },
  { name: "arsh64 keeps the sign", asm: "r0 = -16\nr0 s>>= 2\nexit", r0: U64(-4n) },
  { name: "arsh64 by 40", asm: "r0 = 0x8000000000000000 ll\nr0 s>>= 40\nexit", r0: 0xffffffffff800000n },
  { name: "arsh32 is 32-bit and zero-extends", asm: "w0 = 0x80000000\nw0 s>>= 4\nexit", r0: 0xf8000000n },
  { name: "arsh64 by register zero", asm: "r0 = -1\nr1 = 64\nr0 s>>= r1\nexit", r0: U64(-1n) },
  { name: "rsh32 ignores the high half", asm: "r0 = 0xffffffff00000010 ll\nw0 >>= 4\nexit", r0: 1n },

  // ---- sign extension ----
  { name: "movsx64 s8", asm: "r1 = 0x80\nr0 = (s8)r1\nexit", r0: 0xffffffffffffff80n },
  { name: "movsx64 s16", asm: "r1 = 0x8000\nr0 = (s16)r1\nexit", r0: 0xffffffffffff8000n },
  { name: "movsx64 s32", asm: "r1 = 0x80000000 ll\nr0 = (s32)r1\nexit", r0: 0xffffffff80000000n },
  { name: "movsx64 s8 positive", asm: "r1 = 0x17f\nr0 = (s8)r1\nexit", r0: 0x7fn },
  { name: "movsx32 s8 zero-extends", asm: "r1 = 0x80\nw0 = (s8)w1\nexit", r0: 0xffffff80n },
  { name: "movsx32 s16 zero-extends", asm: "r1 = 0x8000\nw0 = (s16)w1\nexit", r0: 0xffff8000n },

  // ---- byte swaps (little-endian target) ----
  { name: "be16", asm: "r0 = 0x0123456789abcdef ll\nr0 = be16 r0\nexit", r0: 0xefcdn },
  { name: "be32", asm: "r0 = 0x0123456789abcdef ll\nr0 = be32 r0\nexit", r0: 0xefcdab89n },
  { name: "be64", asm: "r0 = 0x0123456789abcdef ll\nr0 = be64 r0\nexit", r0: 0xefcdab8967452301n },
  { name: "le16 truncates", asm: "r0 = 0x0123456789abcdef ll\nr0 = le16 r0\nexit", r0: 0xcdefn },
  { name: "le32 truncates", asm: "r0 = 0x0123456789abcdef ll\nr0 = le32 r0\nexit", r0: 0x89abcdefn },
  { name: "le64 is a no-op", asm: "r0 = 0x0123456789abcdef ll\nr0 = le64 r0\nexit", r0: 0x0123456789abcdefn },
  { name: "bswap16", asm: "r0 = 0x0123456789abcdef ll\nr0 = bswap16 r0\nexit", r0: 0xefcdn },
  { name: "bswap32", asm: "r0 = 0x0123456789abcdef ll\nr0 = bswap32 r0\nexit", r0: 0xefcdab89n },
  { name: "bswap64", asm: "r0 = 0x0123456789abcdef ll\nr0 = bswap64 r0\nexit", r0: 0xefcdab8967452301n },

  // ---- jumps ----
  { name: "jsgt is signed", asm: "r0 = 1\nr1 = -1\nif r1 s> 0 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jgt is unsigned", asm: "r0 = 1\nr1 = -1\nif r1 > 0 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jeq64 immediate sign-extends", asm: "r0 = 1\nr1 = 0xffffffff ll\nif r1 == -1 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jeq32 compares low halves", asm: "r0 = 1\nr1 = 0xffffffff ll\nif w1 == -1 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jmp32 ignores the high half", asm: "r0 = 1\nr1 = 0x100000000 ll\nif w1 == 0 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jset64 on the high half", asm: "r0 = 1\nr1 = 0x100000000 ll\nr2 = 0x300000000 ll\nif r1 & r2 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jset32 ignores the high half", asm: "r0 = 1\nr1 = 0x100000000 ll\nr2 = 0x300000000 ll\nif w1 & w2 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jslt64 high halves", asm: "r0 = 1\nr1 = 0x8000000000000000 ll\nr2 = 0x7fffffffffffffff ll\nif r1 s< r2 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jlt64 high halves", asm: "r0 = 1\nr1 = 0x8000000000000000 ll\nr2 = 0x7fffffffffffffff ll\nif r1 < r2 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jsle32", asm: "r0 = 1\nw1 = -5\nif w1 s<= -5 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jsge32 with an unsigned-large value", asm: "r0 = 1\nw1 = 0x80000000\nif w1 s>= 0 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jge equal", asm: "r0 = 1\nr1 = 5\nif r1 >= 5 goto +1\nr0 = 2\nexit", r0: 1n },
  { name: "jle32 unsigned", asm: "r0 = 1\nw1 = -1\nif w1 <= 5 goto +1\nr0 = 2\nexit", r0: 2n },
  { name: "jne64 high differs", asm: "r0 = 1\nr1 = 0x100000005 ll\nif r1 != 5 goto +1\nr0 = 2\nexit", r0: 1n },
  // The kernel rejects unreachable code, so the skipped insn is also a branch target.
  { name: "gotol", asm: "r0 = 1\nr2 = 5\nif r2 == 0 goto +1\ngotol +1\nr0 = 2\nexit", r0: 1n },
  { name: "a backward loop", asm: "r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit", r0: 55n },
  {
    name: "may_goto takes the jump after 8M iterations",
    asm: "r0 = 0\nloop:\nmay_goto +2\nr0 += 1\ngoto loop\nexit",
    r0: 8388608n,
    noKernel: "the x86 JIT's may_goto is timed, not counted",
  },

  // ---- memory ----
  { name: "stack stores and loads of every width", asm: "r1 = 0x0123456789abcdef ll\n*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nr2 = *(u16 *)(r10 - 4)\nr0 += r2\nr2 = *(u8 *)(r10 - 1)\nr0 += r2\nexit", r0: 0x89abcdefn + 0x4567n + 0x01n },
  { name: "st dw sign-extends its immediate", asm: "*(u64 *)(r10 - 8) = -1\nr0 = *(u64 *)(r10 - 8)\nexit", r0: U64(-1n) },
  { name: "st w, h, b", asm: "*(u32 *)(r10 - 8) = 0x11223344\n*(u16 *)(r10 - 4) = 0x5566\n*(u8 *)(r10 - 2) = 0x77\n*(u8 *)(r10 - 1) = 0\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 0x0077556611223344n },
  { name: "ldsx b", asm: "*(u8 *)(r10 - 1) = 0x80\nr0 = *(s8 *)(r10 - 1)\nexit", r0: 0xffffffffffffff80n },
  { name: "ldsx h", asm: "*(u16 *)(r10 - 2) = 0x8001\nr0 = *(s16 *)(r10 - 2)\nexit", r0: 0xffffffffffff8001n },
  { name: "ldsx w", asm: "*(u32 *)(r10 - 4) = 0x80000001\nr0 = *(s32 *)(r10 - 4)\nexit", r0: 0xffffffff80000001n },
  { name: "memory loads are little-endian", asm: "r0 = *(u32 *)(r1 + 0)\nexit", mem: [0x11, 0x22, 0x33, 0x44], r0: 0x44332211n },
  { name: "memory stores", asm: "r2 = 0x0102030405060708 ll\n*(u64 *)(r1 + 0) = r2\n*(u16 *)(r1 + 8) = 0xaabb\nr0 = 0\nexit", mem: new Array(10).fill(0), r0: 0n, memOut: [8, 7, 6, 5, 4, 3, 2, 1, 0xbb, 0xaa] },
  { name: "unaligned memory load", asm: "r0 = *(u32 *)(r1 + 1)\nexit", mem: [0, 1, 2, 3, 4], r0: 0x04030201n },
  { name: "r2 holds the memory length", asm: "r0 = r2\nexit", mem: [1, 2, 3], r0: 3n },

  // ---- atomics ----
  { name: "atomic add64", asm: "*(u64 *)(r10 - 8) = 40\nr1 = 2\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 42n },
  { name: "atomic add64 carries", asm: "r1 = 0xffffffff ll\n*(u64 *)(r10 - 8) = r1\nr1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 0x100000000n },
  { name: "atomic fetch_add64 returns the old value", asm: "*(u64 *)(r10 - 8) = 40\nr1 = 2\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 += r1\nexit", r0: (42n << 8n) + 40n },
  { name: "atomic or, and, xor 64", asm: "*(u64 *)(r10 - 8) = 0x0f\nr1 = 0xf0\nlock *(u64 *)(r10 - 8) |= r1\nr1 = 0x3c\nlock *(u64 *)(r10 - 8) &= r1\nr1 = 0xff\nlock *(u64 *)(r10 - 8) ^= r1\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 0xc3n },
  { name: "atomic fetch_or32 zero-extends the old value", asm: "*(u32 *)(r10 - 4) = -1\nr1 = -1\nw1 = atomic_fetch_or((u32 *)(r10 - 4), w1)\nr0 = r1\nexit", r0: 0xffffffffn },
  { name: "atomic fetch_and, fetch_xor 64", asm: "*(u64 *)(r10 - 8) = 0xff\nr1 = 0x0f\nr1 = atomic_fetch_and((u64 *)(r10 - 8), r1)\nr2 = 0x01\nr2 = atomic_fetch_xor((u64 *)(r10 - 8), r2)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 16\nr1 <<= 8\nr0 |= r1\nr0 |= r2\nexit", r0: (0x0en << 16n) | (0xffn << 8n) | 0x0fn },
  { name: "atomic add32 wraps in 32 bits", asm: "r1 = -1\n*(u64 *)(r10 - 8) = r1\nw1 = 1\nlock *(u32 *)(r10 - 8) += w1\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 0xffffffff00000000n },
  { name: "xchg64", asm: "*(u64 *)(r10 - 8) = 7\nr1 = 9\nr1 = xchg_64(r10 - 8, r1)\nr0 = *(u64 *)(r10 - 8)\nr0 *= 10\nr0 += r1\nexit", r0: 97n },
  { name: "xchg32 zero-extends", asm: "*(u32 *)(r10 - 4) = -2\nr1 = -1\nw1 = xchg32_32(r10 - 4, w1)\nr0 = r1\nexit", r0: 0xfffffffen },
  { name: "cmpxchg64 succeeds when r0 matches", asm: "*(u64 *)(r10 - 8) = 5\nr0 = 5\nr1 = 6\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr2 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r2\nexit", r0: (5n << 8n) | 6n },
  { name: "cmpxchg64 fails otherwise and loads the old value", asm: "*(u64 *)(r10 - 8) = 5\nr0 = 4\nr1 = 6\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr2 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r2\nexit", r0: (5n << 8n) | 5n },
  { name: "cmpxchg32 compares the low half of r0", asm: "*(u32 *)(r10 - 4) = 5\nr0 = 0x100000005 ll\nr1 = 6\nw0 = cmpxchg32_32(r10 - 4, w0, w1)\nr2 = *(u32 *)(r10 - 4)\nr0 <<= 8\nr0 |= r2\nexit", r0: (5n << 8n) | 6n },
  { name: "load_acquire and store_release", asm: "r1 = 0x1122334455667788 ll\nr2 = r10\nr2 += -8\nstore_release((u64 *)(r2 + 0), r1)\nw0 = load_acquire((u8 *)(r2 + 0))\nr3 = load_acquire((u64 *)(r2 + 0))\nr3 >>= 56\nr0 += r3\nexit", r0: 0x88n + 0x11n },
  { name: "store_release of 16 bits", asm: "*(u64 *)(r10 - 8) = 0\nr1 = 0xabcdef\nr2 = r10\nr2 += -8\nstore_release((u16 *)(r2 + 0), w1)\nr0 = *(u64 *)(r10 - 8)\nexit", r0: 0xcdefn },

  // ---- the sequences the interpreter fuses (mov, add, compare-and-jump) ----
  { name: "fused mov+add carries", asm: "r1 = 0xffffffff ll\nr0 = r1\nr0 += 1\nexit", r0: 0x100000000n },
  { name: "fused mov+add with a negative immediate", asm: "r1 = 1\nr0 = r1\nr0 += -2\nexit", r0: U64(-1n) },
  { name: "fused bounds check, not taken", asm: "r1 = 10\nr2 = 12\nr0 = r1\nr0 += 2\nif r0 > r2 goto +1\nr0 = 99\nexit", r0: 99n },
  { name: "fused bounds check, taken", asm: "r1 = 10\nr2 = 11\nr0 = r1\nr0 += 2\nif r0 > r2 goto +1\nr0 = 99\nexit", r0: 12n },
  { name: "fused >= compares unsigned", asm: "r1 = -1\nr2 = 5\nr0 = r1\nr0 += 0\nif r0 >= r2 goto +1\nr0 = 99\nexit", r0: U64(-1n) },
  { name: "fused < against itself", asm: "r1 = 3\nr0 = r1\nr0 += 1\nif r0 < r0 goto +1\nr0 = 99\nexit", r0: 99n },
  { name: "fused <= with the high half", asm: "r1 = 0xffffffff ll\nr2 = 0x100000000 ll\nr0 = r1\nr0 += 1\nif r0 <= r2 goto +1\nr0 = 99\nexit", r0: 0x100000000n },
  { name: "fused mov+add of registers", asm: "r1 = 0xffffffff ll\nr2 = 0x100000001 ll\nr0 = r1\nr0 += r2\nexit", r0: 0x200000000n },
  { name: "fused mov+add of the destination itself", asm: "r1 = 5\nr0 = r1\nr0 += r0\nexit", r0: 10n },
  { name: "fused source is the destination", asm: "r0 = 5\nr0 = r0\nr0 += 1\nexit", r0: 6n },
  { name: "a jump into the middle of a fusable sequence", asm: "r1 = 1\nr0 = 0\nif r1 == 1 goto +1\nr0 = r1\nr0 += 5\nexit", r0: 5n },

  // ---- bpf-to-bpf calls ----
  {
    name: "local calls keep r6-r9 and give the callee its own frame",
    asm: `r6 = 6
r7 = 7
r8 = 8
r9 = 9
*(u64 *)(r10 - 8) = 100
r1 = 5
call f
r0 += r6
r0 += r7
r0 += r8
r0 += r9
r1 = *(u64 *)(r10 - 8)
r0 += r1
exit
f:
r6 = 1000
r7 = 1000
r8 = 1000
r9 = 1000
*(u64 *)(r10 - 8) = 1000
r0 = r1
r0 *= 2
exit`,
    r0: 10n + 6n + 7n + 8n + 9n + 100n,
  },
  {
    name: "nested local calls",
    asm: "r1 = 1\ncall a\nexit\na:\nr6 = r1\nr1 += 1\ncall b\nr0 += r6\nexit\nb:\nr0 = r1\nr0 *= 10\nexit",
    r0: 21n,
  },
];
