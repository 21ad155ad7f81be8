/**
 * @fileoverview Bob Jenkins' lookup3 hash as include/linux/jhash.h has it (jhash, jhash2),
 * and the choice hashtab.c makes between them: with BPF_F_ZERO_SEED a map hashes as the
 * kernel's does, so its buckets, and so its get_next_key order, are the kernel's.
 */

/** JHASH_INITVAL */
const JHASH_INITVAL = 0xdeadbeef;

const rol = (w: number, s: number): number => (w << s) | (w >>> (32 - s));

/** The hash of `size` bytes of `u8` at `at`, as htab_map_hash: jhash2 over words when the size is a multiple of 4, else jhash. */
export function htabHash(u8: Uint8Array, at: number, size: number, seed: number): number {
  let a: number, b: number, c: number;
  a = b = c = (JHASH_INITVAL + size + seed) | 0;
  const word = (i: number) => u8[i]! | (u8[i + 1]! << 8) | (u8[i + 2]! << 16) | (u8[i + 3]! << 24);
  let k = at, len = size;
  while (len > 12) {
    a = (a + word(k)) | 0; b = (b + word(k + 4)) | 0; c = (c + word(k + 8)) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    len -= 12; k += 12;
  }
  if (len === 0) return c >>> 0;
  // The last 1 to 12 bytes, as jhash's switch adds them (jhash2's whole words agree).
  const byte = (j: number) => (j < len ? u8[k + j]! : 0);
  if (len > 8) c = (c + (byte(8) | (byte(9) << 8) | (byte(10) << 16) | (byte(11) << 24))) | 0;
  if (len > 4) b = (b + (byte(4) | (byte(5) << 8) | (byte(6) << 16) | (byte(7) << 24))) | 0;
  a = (a + (byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24))) | 0;
  // __jhash_final
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}
