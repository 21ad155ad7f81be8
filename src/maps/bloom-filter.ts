/**
 * @fileoverview BPF_MAP_TYPE_BLOOM_FILTER as kernel/bpf/bloom_filter.c: values pushed,
 * peeked (0: maybe there, -ENOENT: surely not), never popped or deleted. The bit array
 * size and the hashes (jhash with seed 0 + the hash's index) are the kernel's, so with
 * BPF_F_ZERO_SEED even false positives agree.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { htabHash } from "./jhash.js";
import { BpfMap, Errno, type UserMapSpec } from "./map.js";

const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(n));

export class BloomFilterMap extends BpfMap {
  readonly hashes: number;
  readonly bits: Uint8Array;
  readonly #mask: number;

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    const k = Number((spec.mapExtra ?? 0n) & 0xfn) || 5;
    this.hashes = k;
    // n * k / ln 2 bits, with 7/5 for 1/ln 2, at least a long, a power of two, at most 2^31.
    let nbits = Math.floor((spec.maxEntries * k) / 5) * 7;
    if (spec.maxEntries * k > 0xffffffff || nbits > 2 ** 31) nbits = 2 ** 31;
    else if (nbits <= 64) nbits = 64;
    else nbits = pow2(nbits);
    this.#mask = nbits - 1;
    this.bits = new Uint8Array(nbits / 8);
  }

  #bit(value: Uint8Array, i: number): number {
    return (htabHash(value, 0, this.valueSize, i) & this.#mask) >>> 0;
  }

  protected lookupKey(): number {
    return 0;
  }

  /** bloom_map_peek_elem */
  #has(value: Uint8Array): boolean {
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(value, i);
      if (!(this.bits[b >>> 3]! & (1 << (b & 7)))) return false;
    }
    return true;
  }

  /** bloom_map_push_elem: BPF_ANY only. */
  protected updateKey(_key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(value, i);
      this.bits[b >>> 3]! |= 1 << (b & 7);
    }
    return 0;
  }

  protected deleteKey(): number {
    return -Errno.EOPNOTSUPP;
  }

  protected nextKeyOf(): number {
    return -Errno.EOPNOTSUPP;
  }

  /** Whether `value` may be in the filter (userspace's peek: BPF_MAP_LOOKUP_ELEM with the value). */
  has(value: Uint8Array): boolean {
    this.live();
    if (value.length !== this.valueSize) this.fail(Errno.EINVAL, "look up in");
    return this.#has(value);
  }

  /** Lookups go by value: `get` cannot be answered with no key. */
  override get(): Uint8Array | undefined {
    return this.fail(Errno.EINVAL, "look up in");
  }

  override pop(): Uint8Array | undefined {
    return this.fail(Errno.EOPNOTSUPP, "pop from");
  }

  override peek(): Uint8Array | undefined {
    return this.fail(Errno.EINVAL, "peek at");
  }

  override popElem(valueAddr: number, remove: boolean): number {
    if (remove) return -Errno.EOPNOTSUPP;
    if (!this.canAccess(valueAddr, this.valueSize, false)) return -Errno.EFAULT;
    return this.#has(this.space.u8.slice(valueAddr, valueAddr + this.valueSize)) ? 0 : -Errno.ENOENT;
  }

  protected release(): void {
    this.bits.fill(0);
  }
}
