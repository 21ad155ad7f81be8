/**
 * @fileoverview Hash maps as kernel/bpf/hashtab.c keeps them, in the runtime's address
 * space: roundup_pow_of_two(max_entries) buckets of singly linked elements, the hash
 * jhash (seed 0: the kernel's order under BPF_F_ZERO_SEED, one valid order otherwise),
 * new elements at the head of their bucket, get_next_key walking buckets in order, and
 * for lru_hash the kernel's own LRU lists (lru.ts). The table (bucket heads and element
 * headers with their keys) is one kind of region the program cannot touch; values are
 * another it may read and write. Memory comes in slabs as the map fills.
 *
 * An element header: next (u32 address of the next header), hash (u32), value address
 * (u32), element number (u32), then the key, padded to 8 bytes.
 */

import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import { htabHash, htabHashWords } from "./jhash.js";
import { Lru } from "./lru.js";
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_NOEXIST, BpfMap, copyBytes, Errno, roundUp8, zeroBytes, type BatchSupport, type UserMapSpec } from "./map.js";

/** Elements per slab: few regions for a big map, little waste for a small one. */
const SLAB_SHIFT = 8;
const SLAB = 1 << SLAB_SHIFT;
const HEADER = 16;

const pow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

/** What kind of hash map: hash, percpu_hash, lru_hash or lru_percpu_hash (or devmap_hash). */
export interface HashKind {
  readonly perCpu: boolean;
  readonly lru: boolean;
  /** devmap_hash: buckets by the u32 key itself, BPF_EXIST adds a missing key, and the value is checked first. */
  readonly byIndex?: boolean;
  /** An errno (negative) for a value userspace may not store, else 0. */
  readonly checkValue?: (value: Uint8Array) => number;
}

/**
 * BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_HASH and
 * BPF_MAP_TYPE_LRU_PERCPU_HASH (with BPF_F_NO_COMMON_LRU, one LRU per CPU).
 */
export class HashMap extends BpfMap {
  readonly lru: boolean;
  readonly nBuckets: number;
  /** Bytes of one element's values: round_up(value_size, 8), once per CPU for per-CPU maps. */
  readonly valueArea: number;
  readonly headerSize: number;
  readonly buckets: Region;
  readonly #mask: number;
  readonly #slot: number;
  #slabs: Region[] = [];
  /** Header and value address of each element number; 0 until its slab exists. */
  readonly #header: Int32Array;
  readonly #value: Int32Array;
  /** Whether the element is in the table. */
  readonly #used: Uint8Array;
  /** Free element numbers (non-LRU maps), a stack, and how many exist so far. */
  readonly #free: Int32Array;
  #nfree = 0;
  #made = 0;
  #count = 0;
  readonly #lruLists: Lru | undefined;
  /** LRU maps: the elements' reference bits, a byte each by element number. */
  #refs: Region | undefined;
  readonly #byIndex: boolean;
  readonly #valueCheck: ((value: Uint8Array) => number) | undefined;
  #gen = -1;
  #u32!: Uint32Array;
  #u8!: Uint8Array;

  constructor(space: AddressSpace, spec: UserMapSpec, kind: HashKind) {
    super(space, spec);
    this.lru = kind.lru;
    this.#byIndex = kind.byIndex ?? false;
    this.#valueCheck = kind.checkValue;
    this.#slot = roundUp8(spec.valueSize);
    this.valueArea = this.perCpu ? this.#slot * this.cpus : this.#slot;
    this.headerSize = HEADER + roundUp8(spec.keySize);
    this.nBuckets = pow2(this.maxEntries);
    this.#mask = this.nBuckets - 1;
    this.buckets = space.alloc({ name: `${this.name || this.typeName} buckets`, kind: "other", size: this.nBuckets * 4, perm: Perm.None });
    const n = this.maxEntries;
    this.#header = new Int32Array(n);
    this.#value = new Int32Array(n);
    this.#used = new Uint8Array(n);
    this.#free = new Int32Array(kind.lru ? 0 : n);
    if (kind.lru) {
      // The reference bits in linear memory, a byte per element: JIT code sets them inline.
      const refs = (this.#refs = space.alloc({ name: `${this.name || this.typeName} lru refs`, kind: "other", size: n, perm: Perm.None }));
      this.#lruLists = new Lru(n, this.cpus, (this.flags & BPF_F_NO_COMMON_LRU) !== 0, (node) => this.#evict(node), {
        get: (node) => space.u8[refs.base + node]!,
        set: (node, bit) => { space.u8[refs.base + node] = bit; },
      });
    }
  }

  #hash(u8: Uint8Array, at: number): number {
    if (this.#byIndex) return (u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16) | (u8[at + 3]! << 24)) >>> 0;
    return htabHash(u8, at, this.keySize, 0);
  }

  /** Elements in the map. */
  get size(): number { return this.#count; }

  /**
   * Where the table lies, for a JIT that looks keys up itself: bucket heads (u32 header
   * addresses, 0 for none) at `buckets`, bucket = hash & `mask` with `htabHash(key, seed 0)`
   * (or the u32 key itself when `byIndex`); a header holds next at +0, hash at +4, the
   * value's address at +8 (CPU 0's slot for per-CPU maps, `slot` bytes per CPU), its
   * element number at +12 and the key at +16. LRU maps must also mark the element used
   * on a program's lookup: a byte 1 at `refs` + its element number (or `markUsed`).
   */
  get layout(): { buckets: number; mask: number; keyOffset: number; valueField: number; nextField: number; hashField: number; numberField: number; slot: number; byIndex: boolean; refs: number } {
    return {
      buckets: this.buckets.base, mask: this.#mask, keyOffset: HEADER, valueField: 8, nextField: 0, hashField: 4, numberField: 12,
      slot: this.#slot, byIndex: this.#byIndex, refs: this.#refs?.base ?? 0,
    };
  }

  /** A program looked element `i` up (LRU maps: its reference bit). */
  markUsed(i: number): void {
    this.#lruLists?.setRef(i);
  }

  #views(): void {
    if (this.#gen === this.space.generation) return;
    this.#gen = this.space.generation;
    this.#u32 = new Uint32Array(this.space.memory.buffer);
    this.#u8 = this.space.u8;
  }

  /** Makes the slab holding element `i`. */
  #ensure(i: number): void {
    if (this.#header[i] !== 0) return;
    const s = i >> SLAB_SHIFT, first = s << SLAB_SHIFT;
    const n = Math.min(SLAB, this.maxEntries - first);
    const name = this.name || this.typeName;
    const slab = this.space.alloc({
      name: `${name} elements`, kind: "map", size: n * (this.headerSize + this.valueArea), perm: Perm.ReadWrite,
      parts: [{ name: `${name} headers`, offset: 0, size: n * this.headerSize, perm: Perm.None }],
    });
    this.#slabs.push(slab);
    const values = slab.base + n * this.headerSize;
    for (let k = 0; k < n; k++) {
      this.#header[first + k] = slab.base + k * this.headerSize;
      this.#value[first + k] = values + k * this.valueArea;
    }
    this.#views();
    for (let k = 0; k < n; k++) {
      const h = this.#header[first + k]! >>> 2;
      this.#u32[h + 2] = this.#value[first + k]!;
      this.#u32[h + 3] = first + k;
    }
  }

  /** A free element number, or -1 when the map is full (non-LRU maps). */
  #alloc(): number {
    if (this.#nfree > 0) return this.#free[--this.#nfree]!;
    if (this.#made < this.maxEntries) {
      const i = this.#made++;
      this.#ensure(i);
      return i;
    }
    return -1;
  }

  #release(i: number): void {
    if (this.#lruLists) this.#lruLists.push(i);
    else this.#free[this.#nfree++] = i;
  }

  /** The header address of the element with this key (at `at` in `u8`), or 0. */
  #find(u8: Uint8Array, at: number, hash: number): number {
    const u32 = this.#u32, mem = this.#u8, size = this.keySize;
    let e = u32[(this.buckets.base >>> 2) + (hash & this.#mask)]!;
    outer: for (; e !== 0; e = u32[e >>> 2]!) {
      if (u32[(e >>> 2) + 1] !== hash) continue;
      const k = e + HEADER;
      for (let j = 0; j < size; j++) if (mem[k + j] !== u8[at + j]) continue outer;
      return e;
    }
    return 0;
  }

  #link(e: number, hash: number): void {
    const u32 = this.#u32, b = (this.buckets.base >>> 2) + (hash & this.#mask);
    u32[e >>> 2] = u32[b]!;
    u32[(e >>> 2) + 1] = hash;
    u32[b] = e;
  }

  #unlink(e: number): void {
    const u32 = this.#u32;
    const hash = u32[(e >>> 2) + 1]!;
    let p = (this.buckets.base >>> 2) + (hash & this.#mask);
    while (u32[p] !== 0 && u32[p] !== e) p = u32[p]! >>> 2;
    if (u32[p] === e) u32[p] = u32[e >>> 2]!;
  }

  /** htab_lru_map_delete_node: the LRU takes an element's node back. */
  #evict(node: number): boolean {
    if (!this.#used[node]) return false;
    this.#views();
    this.#unlink(this.#header[node]!);
    this.#used[node] = 0;
    this.#count--;
    this.valueFreed?.(this.#value[node]!);
    return true;
  }

  /** The helper's fast path: the key hashed and compared where it lies, no copy. */
  override lookupElem(keyAddr: number): number {
    const size = this.keySize;
    if (!this.canAccess(keyAddr, size, false)) return 0;
    this.#views();
    // 4- and 8-byte keys at aligned addresses (nearly every program's): compared as words.
    if ((size === 4 || size === 8) && (keyAddr & 3) === 0 && !this.#byIndex) {
      const u32 = this.#u32, k = keyAddr >>> 2;
      const w0 = u32[k]! | 0, w1 = size === 8 ? u32[k + 1]! | 0 : 0;
      const hash = htabHashWords(w0, w1, size, 0);
      let e = u32[(this.buckets.base >>> 2) + (hash & this.#mask)]!;
      for (; e !== 0; e = u32[e >>> 2]!) {
        const h = e >>> 2;
        if (u32[h + 1] === hash && (u32[h + 4]! | 0) === w0 && (size === 4 || (u32[h + 5]! | 0) === w1)) break;
      }
      if (e === 0) return 0;
      if (this.#lruLists) this.#lruLists.setRef(u32[(e >>> 2) + 3]!);
      const v = u32[(e >>> 2) + 2]!;
      return this.perCpu ? v + this.currentCpu * this.#slot : v;
    }
    const e = this.#find(this.#u8, keyAddr, this.#hash(this.#u8, keyAddr));
    if (e === 0) return 0;
    const u32 = this.#u32;
    if (this.#lruLists) this.#lruLists.setRef(u32[(e >>> 2) + 3]!);
    const v = u32[(e >>> 2) + 2]!;
    return this.perCpu ? v + this.currentCpu * this.#slot : v;
  }

  protected lookupKey(key: Uint8Array, fromProgram: boolean): number {
    this.#views();
    const e = this.#find(key, 0, this.#hash(key, 0));
    if (e === 0) return 0;
    // As the kernel, only a program's lookup counts as a use (a syscall lookup does not).
    if (fromProgram && this.#lruLists) this.#lruLists.setRef(this.#u32[(e >>> 2) + 3]!);
    return this.#u32[(e >>> 2) + 2]!;
  }

  /** Writes a new element's values: all CPUs from userspace, else the current CPU's with the others zeroed. */
  #fill(v: number, value: Uint8Array, fromProgram: boolean): void {
    const u8 = this.space.u8;
    if (!this.perCpu) {
      copyBytes(u8, v, value, 0, this.valueSize);
      zeroBytes(u8, v + this.valueSize, this.#slot - this.valueSize);
      return;
    }
    if (fromProgram) {
      zeroBytes(u8, v, this.valueArea);
      copyBytes(u8, v + this.currentCpu * this.#slot, value, 0, this.valueSize);
    } else {
      copyBytes(u8, v, value, 0, this.valueArea);
    }
  }

  /** pcpu_copy_value: an existing per-CPU element takes the new slots in place. */
  #copyInPlace(v: number, value: Uint8Array, fromProgram: boolean): void {
    const u8 = this.space.u8;
    if (fromProgram) copyBytes(u8, v + this.currentCpu * this.#slot, value, 0, this.valueSize);
    else copyBytes(u8, v, value, 0, this.valueArea);
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number, fromProgram: boolean): number {
    const mode = flags & ~BPF_F_LOCK;
    // Only the plain hash takes BPF_F_LOCK (checked against the spin lock by the caller).
    if (mode > BPF_EXIST || ((this.lru || this.perCpu) && (flags & BPF_F_LOCK)) || this.lockFlagBad(flags)) return -Errno.EINVAL;
    this.#views();
    const hash = this.#hash(key, 0);
    const lru = this.#lruLists;
    if (lru) {
      // htab_lru_map_update_elem takes a free node first, so even a failing update may evict.
      let node = -1;
      if (!(this.perCpu && (flags & BPF_EXIST))) {
        node = lru.pop(this.currentCpu);
        if (node < 0) return -Errno.ENOMEM;
        this.#ensure(node);
        this.#views();
      }
      const old = this.#find(key, 0, hash);
      const err = old && mode === BPF_NOEXIST ? -Errno.EEXIST : !old && mode === BPF_EXIST ? -Errno.ENOENT : 0;
      if (err) {
        if (node >= 0) lru.push(node);
        return err;
      }
      if (this.perCpu && old) {
        lru.setRef(this.#u32[(old >>> 2) + 3]!);
        this.#copyInPlace(this.#u32[(old >>> 2) + 2]!, value, fromProgram);
        if (node >= 0) lru.push(node);
        return 0;
      }
      this.#insert(node, key, hash, value, fromProgram);
      if (old) {
        lru.setRef(node);
        const oldNode = this.#u32[(old >>> 2) + 3]!;
        this.#unlink(old);
        this.#used[oldNode] = 0;
        this.#count--;
        this.valueFreed?.(this.#value[oldNode]!);
        lru.push(oldNode);
      }
      return 0;
    }
    if (this.#valueCheck && !fromProgram) {
      const r = this.#valueCheck(value);
      if (r) return r;
    }
    const old = this.#find(key, 0, hash);
    if (old && mode === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && mode === BPF_EXIST && !this.#byIndex) return -Errno.ENOENT;
    if (old && (this.perCpu || (flags & BPF_F_LOCK))) {
      // Per-CPU values, and values copied under their lock, are updated in place.
      this.#copyInPlace(this.#u32[(old >>> 2) + 2]!, value, fromProgram);
      return 0;
    }
    // A replaced element's successor goes to the head of the bucket (the kernel's extra element).
    const i = this.#alloc();
    if (i < 0) {
      if (!old) return -Errno.E2BIG;
    }
    const oldNode = old ? this.#u32[(old >>> 2) + 3]! : -1;
    if (old) {
      this.#unlink(old);
      this.#used[oldNode] = 0;
      this.#count--;
      this.valueFreed?.(this.#value[oldNode]!);
    }
    this.#insert(i < 0 ? oldNode : i, key, hash, value, fromProgram);
    if (old && i >= 0) this.#release(oldNode);
    return 0;
  }

  #insert(i: number, key: Uint8Array, hash: number, value: Uint8Array, fromProgram: boolean): void {
    this.#views();
    const e = this.#header[i]!;
    copyBytes(this.#u8, e + HEADER, key, 0, this.keySize);
    this.#fill(this.#value[i]!, value, fromProgram);
    this.#link(e, hash);
    this.#used[i] = 1;
    this.#count++;
  }

  protected deleteKey(key: Uint8Array): number {
    this.#views();
    const e = this.#find(key, 0, this.#hash(key, 0));
    if (e === 0) return -Errno.ENOENT;
    const i = this.#u32[(e >>> 2) + 3]!;
    this.#unlink(e);
    this.#used[i] = 0;
    this.#count--;
    this.valueFreed?.(this.#value[i]!);
    this.#release(i);
    return 0;
  }

  /**
   * bpf_for_each_hash_elem: bucket by bucket, each from its head; the next element is read
   * after the callback, which may delete the one it was given (as an RCU walk would).
   */
  override forEachElem(visit: (key: Uint8Array, valueAddr: number) => boolean): number {
    let n = 0;
    for (let b = 0; b < this.nBuckets; b++) {
      this.#views();
      for (let e = this.#u32[(this.buckets.base >>> 2) + b]!; e !== 0; e = this.#u32[e >>> 2]!) {
        n++;
        const v = this.#u32[(e >>> 2) + 2]!;
        if (visit(this.#keyOf(e), this.perCpu ? v + this.currentCpu * this.#slot : v)) return n;
        this.#views();
      }
    }
    return n;
  }

  /** htab_map_get_next_key: the next in the bucket, else the first of a later bucket; a missing key starts over. */
  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    this.#views();
    const u32 = this.#u32, base = this.buckets.base >>> 2;
    let b = 0;
    if (key) {
      const hash = this.#hash(key, 0);
      const e = this.#find(key, 0, hash);
      if (e !== 0) {
        const next = u32[e >>> 2]!;
        if (next !== 0) return this.#keyOf(next);
        b = (hash & this.#mask) + 1;
      }
    }
    for (; b < this.nBuckets; b++) {
      const first = u32[base + b]!;
      if (first !== 0) return this.#keyOf(first);
    }
    return -Errno.ENOENT;
  }

  #keyOf(e: number): Uint8Array {
    return this.#u8.slice(e + HEADER, e + HEADER + this.keySize);
  }

  protected override get batchSupport(): BatchSupport {
    return { lookup: "bucket", lookupAndDelete: true, update: true, delete: true };
  }

  /** The keys of bucket `b`, head first (the batch operations go a bucket at a time). */
  protected override bucketKeysOf(b: number): { keys: Uint8Array[]; buckets: number } {
    this.#views();
    const keys: Uint8Array[] = [];
    if (b < this.nBuckets) for (let e = this.#u32[(this.buckets.base >>> 2) + b]!; e !== 0; e = this.#u32[e >>> 2]!) keys.push(this.#keyOf(e));
    return { keys, buckets: this.nBuckets };
  }

  protected release(): void {
    for (const s of this.#slabs) s.free();
    this.#slabs = [];
    this.buckets.free();
    this.#refs?.free();
    this.#refs = undefined;
  }
}
