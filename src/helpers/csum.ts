/**
 * @fileoverview The Internet checksum as the kernel computes it (include/net/checksum.h,
 * lib/checksum.c): 32-bit partial sums with end-around carry, folded to 16 bits. Values
 * are as they lie in memory read little-endian, so the arithmetic matches the kernel's
 * on a little-endian host whatever the fields' byte order.
 */

/** csum_add: 32-bit ones' complement addition. */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s + (s > 0xffffffff ? 1 : 0)) >>> 0;
}

/** csum_sub */
export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/** csum_fold: the 16-bit checksum (inverted) of a 32-bit partial sum. */
export function csumFold(sum: number): number {
  let s = sum >>> 0;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum16_add: 16-bit ones' complement addition. */
export function csum16Add(a: number, b: number): number {
  const r = ((a & 0xffff) + (b & 0xffff)) & 0xffff;
  return (r + (r < (b & 0xffff) ? 1 : 0)) & 0xffff;
}

/** csum16_sub */
export const csum16Sub = (a: number, b: number): number => csum16Add(a, ~b & 0xffff);

/** csum_partial: the 32-bit ones' complement sum of `bytes` (16-bit little-endian words) plus `seed`. */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let s = 0;
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) s += bytes[i]! | (bytes[i + 1]! << 8);
  if (i < bytes.length) s += bytes[i]!;
  // Fold the wide sum to 32 bits, then add the seed with end-around carry.
  while (s > 0xffffffff) s = (s % 0x100000000) + Math.floor(s / 0x100000000);
  return csumAdd(s, seed);
}

/** csum_from32to16: the 32-bit sum folded to 16 bits (not inverted), as bpf_csum_diff returns it. */
export function csumFrom32to16(sum: number): number {
  const s = ((sum >>> 0) + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0;
  return s >>> 16;
}

/** csum_replace4(sum, from, to): the new checksum after a 32-bit field changed (~csum_unfold is 32 bits wide). */
export const csumReplace4 = (sum: number, from: number, to: number): number => csumFold(csumAdd(csumSub(~(sum & 0xffff) >>> 0, from), to));

/** csum_replace2(sum, old, new) */
export const csumReplace2 = (sum: number, from: number, to: number): number => ~csum16Add(csum16Sub(~sum & 0xffff, from), to) & 0xffff;

/** csum_replace_by_diff(sum, diff) */
export const csumReplaceByDiff = (sum: number, diff: number): number => csumFold(csumAdd(diff, ~(sum & 0xffff) >>> 0));
