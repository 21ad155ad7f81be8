/**
 * @fileoverview Hash maps, as kernel/bpf/hashtab.c behaves for userspace: elements by
 * key bytes, at most `max_entries` (E2BIG beyond, or for an LRU map the least recently
 * used goes), values in the address space so a program's pointer sees userspace writes.
 * Values live in slabs of slots allocated as the map fills; iteration follows insertion
 * (the kernel's order depends on a random hash seed, so no caller can rely on one).
 */

import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import { badFlags } from "./array.js";
import { BPF_EXIST, BPF_NOEXIST, BpfMap, Errno, keyString, roundUp8, type UserMapSpec } from "./map.js";

interface Entry {
  readonly key: Uint8Array;
  readonly addr: number;
  prev: Entry | undefined;
  next: Entry | undefined;
  /** When a program last looked it up or anyone wrote it (LRU order). */
  used: number;
}

/** Value slots per slab: few regions for a big map, little waste for a small one. */
const SLAB = 256;

/**
 * BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH (one CPU: the userspace value is one
 * 8-aligned slot) and BPF_MAP_TYPE_LRU_HASH. LRU eviction is exact here (the kernel's is
 * approximate, per CPU and in batches): only "the newest element stays and updates never
 * fail with E2BIG" is common to both.
 */
export class HashMap extends BpfMap {
  readonly elemSize: number;
  readonly lru: boolean;
  #entries = new Map<string, Entry>();
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #slabs: Region[] = [];
  #free: number[] = [];
  #clock = 0;

  constructor(space: AddressSpace, spec: UserMapSpec, o: { perCpu: boolean; lru: boolean }) {
    super(space, spec, o.perCpu ? roundUp8(spec.valueSize) : spec.valueSize);
    this.elemSize = roundUp8(spec.valueSize);
    this.lru = o.lru;
  }

  /** Elements in the map. */
  get size(): number { return this.#entries.size; }

  #slot(): number {
    if (this.#free.length === 0) {
      const n = Math.min(SLAB, this.maxEntries - this.#slabs.length * SLAB);
      const slab = this.space.alloc({ name: `${this.name || this.typeName} values`, kind: "map", size: n * this.elemSize, perm: Perm.ReadWrite });
      this.#slabs.push(slab);
      for (let i = n - 1; i >= 0; i--) this.#free.push(slab.base + i * this.elemSize);
    }
    return this.#free.pop()!;
  }

  #unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.#head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.#tail = e.prev;
  }

  #remove(e: Entry, k: string): void {
    this.#entries.delete(k);
    this.#unlink(e);
    this.#free.push(e.addr);
  }

  /** Drops the least recently used element to make room (an exact LRU). */
  #evict(): void {
    let oldest: Entry | undefined;
    for (let e = this.#head; e; e = e.next) if (!oldest || e.used < oldest.used) oldest = e;
    if (oldest) this.#remove(oldest, keyString(oldest.key, 0, this.keySize));
  }

  /** The helper's fast path: the key read straight from the address space, no view made. */
  override lookupElem(keyAddr: number): number {
    if (keyAddr < 0 || this.space.check(keyAddr, this.keySize, false) === 0) return 0;
    const e = this.#entries.get(keyString(this.space.u8, keyAddr, this.keySize));
    if (!e) return 0;
    if (this.lru) e.used = ++this.#clock;
    return e.addr;
  }

  protected lookupKey(key: Uint8Array, fromProgram: boolean): number {
    const e = this.#entries.get(keyString(key, 0, this.keySize));
    if (!e) return 0;
    // As the kernel, only a program's lookup counts as a use (a syscall lookup does not).
    if (fromProgram && this.lru) e.used = ++this.#clock;
    return e.addr;
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badFlags(flags)) return -Errno.EINVAL;
    const k = keyString(key, 0, this.keySize);
    const old = this.#entries.get(k);
    if (old && (flags & 3) === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && (flags & 3) === BPF_EXIST) return -Errno.ENOENT;
    if (old) {
      this.#write(old.addr, value);
      old.used = ++this.#clock;
      return 0;
    }
    if (this.#entries.size >= this.maxEntries) {
      if (!this.lru) return -Errno.E2BIG;
      this.#evict();
    }
    const addr = this.#slot();
    this.#write(addr, value);
    const e: Entry = { key: key.slice(), addr, prev: this.#tail, next: undefined, used: ++this.#clock };
    if (this.#tail) this.#tail.next = e;
    else this.#head = e;
    this.#tail = e;
    this.#entries.set(k, e);
    return 0;
  }

  #write(addr: number, value: Uint8Array): void {
    const u8 = this.space.u8;
    u8.set(value.subarray(0, this.valueSize), addr);
    u8.fill(0, addr + this.valueSize, addr + this.elemSize);
  }

  protected deleteKey(key: Uint8Array): number {
    const k = keyString(key, 0, this.keySize);
    const e = this.#entries.get(k);
    if (!e) return -Errno.ENOENT;
    this.#remove(e, k);
    return 0;
  }

  /** htab_map_get_next_key: the first key after a missing one, ENOENT after the last. */
  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    const e = key ? this.#entries.get(keyString(key, 0, this.keySize)) : undefined;
    const next = e ? e.next : this.#head;
    return next ? next.key.slice() : -Errno.ENOENT;
  }

  protected release(): void {
    for (const s of this.#slabs) s.free();
    this.#slabs = [];
    this.#free = [];
    this.#entries.clear();
    this.#head = this.#tail = undefined;
  }
}
