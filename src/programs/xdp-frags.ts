/**
 * @fileoverview XDP multi-buffer packets as bpf_prog_test_run_xdp builds them: what does not
 * fit the linear buffer (a page less headroom and skb_shared_info) goes to fragments of a
 * page each, at most MAX_SKB_FRAGS, which only the frags-aware helpers reach.
 */

import { BpfError } from "../errors.js";
import type { AddressSpace } from "../runtime/address-space.js";

/** PAGE_SIZE: each fragment's page. */
export const FRAG_SIZE = 4096;
/** MAX_SKB_FRAGS */
export const MAX_SKB_FRAGS = 17;

/** The fragments of the current run's packet, per space (empty: a linear packet). */
const FRAGS = new WeakMap<AddressSpace, Uint8Array[]>();

/** The fragments of the run's packet, in order; each its bytes (at most a page). The array is the live one. */
export function xdpFragsOf(space: AddressSpace): Uint8Array[] {
  let f = FRAGS.get(space);
  if (!f) FRAGS.set(space, (f = []));
  return f;
}

/** Bytes in the fragments (sinfo->xdp_frags_size). */
export function fragsSize(space: AddressSpace): number {
  let n = 0;
  for (const f of FRAGS.get(space) ?? []) n += f.length;
  return n;
}

/** Splits `rest` into page-sized fragments (ENOMEM past MAX_SKB_FRAGS, as the kernel) and makes them the run's. */
export function setXdpFrags(space: AddressSpace, rest: Uint8Array): void {
  const frags: Uint8Array[] = [];
  for (let at = 0; at < rest.length; at += FRAG_SIZE) {
    if (frags.length === MAX_SKB_FRAGS) throw new BpfError("EINVAL", `xdp test run (the kernel: ENOMEM): ${rest.length} bytes past the linear buffer need more than ${MAX_SKB_FRAGS} fragments`);
    frags.push(rest.slice(at, Math.min(rest.length, at + FRAG_SIZE)));
  }
  FRAGS.set(space, frags);
}

/** Copies `len` bytes at `off` of the fragments (offsets counted from the first fragment's start) to or from `buf`. */
export function copyFrags(space: AddressSpace, off: number, buf: Uint8Array, write: boolean): void {
  let pos = 0, done = 0;
  for (const f of xdpFragsOf(space)) {
    if (done === buf.length) return;
    const from = off + done - pos;
    if (from < f.length && from >= 0) {
      const n = Math.min(f.length - from, buf.length - done);
      if (write) f.set(buf.subarray(done, done + n), from);
      else buf.set(f.subarray(from, from + n), done);
      done += n;
    }
    pos += f.length;
  }
}
