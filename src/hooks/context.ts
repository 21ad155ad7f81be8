/**
 * @fileoverview A hook program's context in the runtime's linear memory: one ctx region
 * laid out as its C struct, and one 256-byte slot per bounded string, both made once at
 * attach so a hit only writes fields and calls the compiled code.
 */

import type { CtxLayout } from "../programs/layouts.js";
import { TSBPF_STR_MAX } from "../programs/hook-types.js";
import { type AddressSpace, Perm, type Region } from "../runtime/address-space.js";

const TWO32 = 0x1_0000_0000;
const encoder = new TextEncoder();

/** Field offsets of a layout by name, for the adapters' writes. */
export function offsets(l: CtxLayout): Readonly<Record<string, number>> {
  return Object.fromEntries(l.fields.map((f) => [f.name, f.off]));
}

/** The context of one attached program: fields written in place, then run. */
export class HookContext {
  readonly region: Region;
  readonly strings: Region;
  readonly #space: AddressSpace;
  readonly #size: number;
  /** The string slot of each `tsbpf_str`, by the offset of its `ptr`. */
  readonly #slot = new Map<number, number>();

  constructor(space: AddressSpace, readonly layout: CtxLayout) {
    this.#space = space;
    this.#size = layout.size;
    this.region = space.alloc({ name: `ctx ${layout.struct}`, kind: "ctx", size: layout.size, perm: Perm.Read });
    const strs = layout.fields.filter((f) => f.name.endsWith(".ptr"));
    this.strings = space.alloc({ name: `strings ${layout.struct}`, kind: "memory", size: Math.max(1, strs.length) * TSBPF_STR_MAX, perm: Perm.Read });
    strs.forEach((f, i) => this.#slot.set(f.off, this.strings.base + i * TSBPF_STR_MAX));
  }

  get base(): number {
    return this.region.base;
  }

  /** Zeroes the context (not the strings: their pointers are zero until set). */
  clear(): void {
    this.#space.u8.fill(0, this.region.base, this.region.base + this.#size);
  }

  u32(off: number, v: number): void {
    this.#space.view.setUint32(this.region.base + off, v >>> 0, true);
  }

  /** A 64-bit field from a JS integer (exact below 2^53; negative ones as two's complement). */
  u64(off: number, v: number): void {
    const view = this.#space.view;
    const at = this.region.base + off;
    view.setUint32(at, ((v % TWO32) + TWO32) % TWO32, true);
    view.setUint32(at + 4, Math.floor(v / TWO32) >>> 0, true);
  }

  f64(off: number, v: number): void {
    this.#space.view.setFloat64(this.region.base + off, v, true);
  }

  big(off: number, v: bigint): void {
    this.#space.view.setBigUint64(this.region.base + off, BigInt.asUintN(64, v), true);
  }

  /** Sets the `tsbpf_str` whose `ptr` is at `off` (its len and truncated follow it). */
  str(off: number, s: string | null | undefined): void {
    if (typeof s !== "string") return;
    const at = this.#slot.get(off);
    if (at === undefined) throw new Error(`no string at offset ${off} of ${this.layout.struct}`);
    const u8 = this.#space.u8;
    const max = TSBPF_STR_MAX - 1;
    const n = Math.min(s.length, max);
    // ASCII, the common case, byte by byte: no encoder call, no allocation.
    let len = 0;
    while (len < n) {
      const ch = s.charCodeAt(len);
      if (ch >= 0x80) break;
      u8[at + len++] = ch;
    }
    let cut = s.length > n;
    if (len < n) {
      const r = encoder.encodeInto(s, u8.subarray(at, at + max));
      len = r.written;
      cut = r.read < s.length;
    }
    u8[at + len] = 0;
    this.u64(off, at);
    this.u32(off + 8, len);
    this.u32(off + 12, cut ? 1 : 0);
  }

  /** The same with bytes: the first TSBPF_STR_MAX - 1 of them and a NUL. */
  bytes(off: number, b: Uint8Array, cut = false): void {
    const at = this.#slot.get(off);
    if (at === undefined) throw new Error(`no string at offset ${off} of ${this.layout.struct}`);
    const n = Math.min(b.length, TSBPF_STR_MAX - 1);
    const u8 = this.#space.u8;
    u8.set(n === b.length ? b : b.subarray(0, n), at);
    u8[at + n] = 0;
    this.u64(off, at);
    this.u32(off + 8, n);
    this.u32(off + 12, cut || n < b.length ? 1 : 0);
  }

  /** Now, on bpf_ktime_get_ns's clock (the host's monotonic clock: performance.now). */
  static nowNs(): number {
    return Math.round(performance.now() * 1e6);
  }

  free(): void {
    this.region.free();
    this.strings.free();
  }
}
