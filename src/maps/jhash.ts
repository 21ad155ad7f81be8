/**
 * @fileoverview Bob Jenkins' lookup3 hash as include/linux/jhash.h has it (jhash, jhash2),
 * and the choice hashtab.c makes between them: with BPF_F_ZERO_SEED a map hashes as the
 * kernel's does, so its buckets, and so its get_next_key order, are the kernel's.
 */

/** JHASH_INITVAL */
const JHASH_INITVAL = 0xdeadbeef;

const rol = (w: number, s: number): number => (w << s) | (w >>> (32 - s));

/** A little-endian u32 of `u8` at `i`. */
function word(u8: Uint8Array, i: number): number {
  return u8[i]! | (u8[i + 1]! << 8) | (u8[i + 2]! << 16) | (u8[i + 3]! << 24);
}

/** The last `len` (1 to 4) bytes of a word at `i`, zero-filled, as jhash's tail switch adds them. */
function tail(u8: Uint8Array, i: number, len: number): number {
  let w = 0;
  for (let j = len - 1; j >= 0; j--) w = (w << 8) | u8[i + j]!;
  return w;
}

/**
 * The hash of `size` bytes of `u8` at `at`, as htab_map_hash: jhash2 over words when the
 * size is a multiple of 4, else jhash (the two agree on little-endian hosts). No closures:
 * this runs on every lookup.
 */
export function htabHash(u8: Uint8Array, at: number, size: number, seed: number): number {
  let a: number, b: number, c: number;
  a = b = c = (JHASH_INITVAL + size + seed) | 0;
  let k = at, len = size;
  while (len > 12) {
    a = (a + word(u8, k)) | 0; b = (b + word(u8, k + 4)) | 0; c = (c + word(u8, k + 8)) | 0;
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
  if (len > 8) c = (c + tail(u8, k + 8, len - 8)) | 0;
  if (len > 4) b = (b + (len >= 8 ? word(u8, k + 4) : tail(u8, k + 4, len - 4))) | 0;
  a = (a + (len >= 4 ? word(u8, k) : tail(u8, k, len))) | 0;
  return jhashFinal(a, b, c);
}

/**
 * htabHash of a 4-byte key given as its little-endian word (jhash_1word's arithmetic), or of
 * an 8-byte key as two (jhash_2words'): the common key sizes, without reading bytes.
 */
export function htabHashWords(w0: number, w1: number, size: 4 | 8, seed: number): number {
  let a: number, b: number, c: number;
  a = b = c = (JHASH_INITVAL + size + seed) | 0;
  a = (a + w0) | 0;
  if (size === 8) b = (b + w1) | 0;
  return jhashFinal(a, b, c);
}

/** __jhash_final: the last mix of the three words, whose `c` is the hash. */
function jhashFinal(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}
