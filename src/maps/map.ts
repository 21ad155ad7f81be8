/**
 * @fileoverview The live userspace map: `BpfMap`, whose userspace API mirrors `KernelMap`
 * (get/set/delete/nextKey/keys/entries on bytes, `MapError`s with the kernel's errnos),
 * plus the program-side operations the helpers call on addresses of the runtime's space.
 * Each map owns a small descriptor region whose address is its handle: what a
 * BPF_PSEUDO_MAP_FD load gives the program, and what helpers map back to the map.
 */

import { BpfError } from "../errors.js";
import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import { cpusOf, type CpuModel } from "./cpus.js";
import { mapTypeId, mapTypeInfo, mapTypeName, type MapTypeName } from "./types.js";

/** What a map is made from: the shape of `MapSpec`/`KernelMapSpec`, copied at creation. */
export interface UserMapSpec {
  /** A map type id, or its short name ("hash", "array", "lru_hash"). */
  readonly type: number | MapTypeName | string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** BPF_F_* map flags. */
  readonly flags?: number;
  readonly name?: string;
  /** map_extra: a bloom filter's hash count (low 4 bits), an arena's user address. */
  readonly mapExtra?: bigint;
  /** Where the value's `struct bpf_spin_lock` is (from BTF); BPF_F_LOCK needs one. */
  readonly spinLockOffset?: number;
  /** Where the value's `struct bpf_timer` is (from BTF). */
  readonly timerOffset?: number;
}

/** BPF_ANY */
export const BPF_ANY = 0;
/** BPF_NOEXIST */
export const BPF_NOEXIST = 1;
/** BPF_EXIST */
export const BPF_EXIST = 2;
/** BPF_F_LOCK: copy the value under its spin lock (a runtime has one thread: only checked). */
export const BPF_F_LOCK = 4;
/** BPF_F_NO_PREALLOC */
export const BPF_F_NO_PREALLOC = 0x1;
/** BPF_F_NO_COMMON_LRU: one LRU per CPU */
export const BPF_F_NO_COMMON_LRU = 0x2;
/** BPF_F_NUMA_NODE */
export const BPF_F_NUMA_NODE = 0x4;
/** BPF_F_RDONLY: userspace may only read */
export const BPF_F_RDONLY = 0x8;
/** BPF_F_WRONLY: userspace may only write */
export const BPF_F_WRONLY = 0x10;
/** BPF_F_STACK_BUILD_ID */
export const BPF_F_STACK_BUILD_ID = 0x20;
/** BPF_F_ZERO_SEED: hash with seed 0, so the order of keys is the same every time */
export const BPF_F_ZERO_SEED = 0x40;
/** BPF_F_RDONLY_PROG: the program may only read the values. */
export const BPF_F_RDONLY_PROG = 0x80;
/** BPF_F_WRONLY_PROG: the program may only write the values. */
export const BPF_F_WRONLY_PROG = 0x100;
/** BPF_F_MMAPABLE: userspace may map the values (`mmap()` gives a view of them). */
export const BPF_F_MMAPABLE = 0x400;
/** BPF_F_PRESERVE_ELEMS: perf_event_array entries outlive the fd that set them */
export const BPF_F_PRESERVE_ELEMS = 0x800;
/** BPF_F_INNER_MAP: an inner map whose max_entries may differ between slots */
export const BPF_F_INNER_MAP = 0x1000;
/** BPF_F_ACCESS_MASK: the four access flags */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

/** BPF_ANY, BPF_NOEXIST or BPF_EXIST by name, or the flags as a number. */
export type UpdateFlag = "any" | "noexist" | "exist" | number;
const UPDATE_FLAGS: Record<string, number> = { any: BPF_ANY, noexist: BPF_NOEXIST, exist: BPF_EXIST };
export const flagValue = (f: UpdateFlag | undefined): number => (typeof f === "number" ? f : UPDATE_FLAGS[f ?? "any"]!);

/** The errnos map operations return, with the kernel's names. */
export const Errno = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28,
  ENODEV: 19, EDEADLK: 35, EOVERFLOW: 75, EOPNOTSUPP: 95, ENOTSUPP: 524,
} as const;
const ERRNO_NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));
export const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `errno ${errno}`;

/**
 * A map operation refused, as bpf(2) would refuse it: `errno` (7) and `errnoName`
 * ("E2BIG") match `BpfSyscallError`'s, so tests can compare the two.
 */
export class MapError extends BpfError {
  readonly errno: number;
  readonly errnoName: string;
  constructor(errno: number, context: string) {
    super("EINVAL", `${context}: ${errnoName(errno)}`);
    this.errno = errno;
    this.errnoName = errnoName(errno);
  }
}

export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Copies `n` bytes: a loop for the few bytes of a key or value (faster in V8 than
 * `set(subarray())`, which allocates), `copyWithin`/`set` for more.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  } else if (dst === src) {
    dst.copyWithin(at, from, from + n);
  } else {
    dst.set(src.subarray(from, from + n), at);
  }
}

/** Zeroes `n` bytes from `at`. */
export function zeroBytes(dst: Uint8Array, at: number, n: number): void {
  if (n <= 64) for (let i = 0; i < n; i++) dst[at + i] = 0;
  else dst.fill(0, at, at + n);
}

/** One call's worth of a batch walk; pass `cursor` back to continue, undefined means the end (as KernelMap's). */
export interface BatchResult {
  readonly keys: Uint8Array[];
  readonly values: Uint8Array[];
  readonly cursor: Uint8Array | undefined;
}

export interface BatchOptions {
  /** Elements per call; default 64. */
  readonly count?: number;
  /** Where the previous call stopped. */
  readonly cursor?: Uint8Array;
  /** BPF_F_LOCK for values with a spin lock. */
  readonly elemFlags?: number;
}

/** Which batch commands a map type has, and how its lookups walk: by key (generic_map_*) or by bucket (htab). */
export interface BatchSupport {
  readonly lookup?: "generic" | "bucket";
  readonly lookupAndDelete?: boolean;
  readonly update?: boolean;
  readonly delete?: boolean;
}

/** Maps of one address space by handle, and the counter of their ids. */
interface SpaceMaps { readonly byHandle: Map<number, BpfMap>; readonly byId: Map<number, BpfMap>; nextId: number }
const SPACES = new WeakMap<AddressSpace, SpaceMaps>();
function spaceMaps(space: AddressSpace): SpaceMaps {
  let s = SPACES.get(space);
  if (!s) SPACES.set(space, (s = { byHandle: new Map(), byId: new Map(), nextId: 1 }));
  return s;
}

/** The map a program's map pointer (its handle) names, if any. */
export function mapAt(space: AddressSpace, handle: number): BpfMap | undefined {
  return SPACES.get(space)?.byHandle.get(handle);
}

/** The map with this id in the space (ids stand in for fds in map-in-map values). */
export function mapById(space: AddressSpace, id: number): BpfMap | undefined {
  return SPACES.get(space)?.byId.get(id);
}

/**
 * A map in a runtime's address space. Made by `createMap`; `close()` frees its memory.
 * Userspace methods take and return copies; program-side methods (`lookupElem`...) take
 * addresses and return what the helper returns (an address or 0, 0 or -errno).
 */
export abstract class BpfMap {
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Bytes of a value as userspace sees it (for per-CPU maps, one 8-aligned slot per CPU, as KernelMap's). */
  readonly valueBytes: number;
  /** Values are kept once per CPU. */
  readonly perCpu: boolean;
  /** CPUs of the space when the map was made: the per-CPU slot count. */
  readonly cpus: number;
  readonly mapExtra: bigint;
  /** The value's bpf_spin_lock offset, or -1. */
  readonly spinLockOffset: number;
  /** The value's bpf_timer offset, or -1. */
  readonly timerOffset: number;
  /** The program's map pointer: the address of the map's descriptor region. */
  readonly handle: number;
  /** Stands in for a kernel map id (the value of a map-in-map slot). */
  readonly id: number;
  readonly space: AddressSpace;
  #desc: Region;
  /** Where a program's key and value are copied for an update (outside the memory, which an update may grow). */
  #keyScratch: Uint8Array;
  #valueScratch: Uint8Array;
  #closed = false;
  #frozen = false;
  readonly #cpuModel: CpuModel;
  /** The region a program's pointer last fell in: most calls pass a stack slot of the same frame. */
  #hit = 0;

  constructor(space: AddressSpace, spec: UserMapSpec, valueBytes?: number) {
    this.space = space;
    this.type = mapTypeId(spec.type as MapTypeName);
    this.typeName = mapTypeName(this.type);
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags ?? 0;
    this.name = spec.name ?? "";
    this.mapExtra = spec.mapExtra ?? 0n;
    this.spinLockOffset = spec.spinLockOffset ?? -1;
    this.timerOffset = spec.timerOffset ?? -1;
    this.perCpu = mapTypeInfo(this.type)?.perCpu ?? false;
    this.#cpuModel = cpusOf(space);
    this.cpus = this.#cpuModel.cpus;
    this.valueBytes = valueBytes ?? (this.perCpu ? roundUp8(spec.valueSize) * this.cpus : spec.valueSize);
    this.#keyScratch = new Uint8Array(Math.max(0, spec.keySize));
    this.#valueScratch = new Uint8Array(Math.max(0, spec.valueSize));
    // No rights: the program may pass the handle to helpers but never read through it.
    this.#desc = space.alloc({ name: `map ${this.name || this.typeName}`, kind: "other", size: 8, perm: Perm.None });
    this.handle = this.#desc.base;
    const s = spaceMaps(space);
    this.id = s.nextId++;
    s.byHandle.set(this.handle, this);
    s.byId.set(this.id, this);
  }

  get closed(): boolean { return this.#closed; }
  get frozen(): boolean { return this.#frozen; }

  protected describe(): string {
    return this.name ? `map "${this.name}"` : `${this.typeName} map`;
  }

  protected live(): void {
    if (this.#closed) throw new BpfError("EINVAL", `${this.describe()}: used after close()`);
  }

  protected checkKey(key: Uint8Array | undefined): Uint8Array {
    this.live();
    if (this.keySize === 0) {
      if (key && key.length) throw new BpfError("EINVAL", `${this.describe()}: has no keys, got a ${key.length}-byte key`);
      return new Uint8Array(0);
    }
    if (!key || key.length !== this.keySize) throw new BpfError("EINVAL", `${this.describe()}: key is ${key?.length ?? 0} bytes, key size is ${this.keySize}`);
    return key;
  }

  /** A value as the type's updateKey takes it from userspace: valueBytes long (one value is copied to every CPU). */
  protected checkValue(value: Uint8Array): Uint8Array {
    if (value.length === this.valueBytes) return value;
    if (this.perCpu && value.length === this.valueSize) {
      const slot = roundUp8(this.valueSize), all = new Uint8Array(this.valueBytes);
      for (let at = 0; at < all.length; at += slot) all.set(value, at);
      return all;
    }
    throw new BpfError("EINVAL", `${this.describe()}: value is ${value.length} bytes, value size is ${this.valueBytes}`);
  }

  /** The CPU the current run is on (the space's model is one object, updated in place by setCpus). */
  protected get currentCpu(): number {
    return this.#cpuModel.current;
  }

  protected fail(errno: number, what: string): never {
    throw new MapError(errno, `${what} ${this.describe()}`);
  }

  // ---- the type's operations, on key bytes (like the kernel's bpf_map_ops) ----

  /** map_lookup_elem: the value's address (a per-CPU map's CPU 0 slot), or 0. `fromProgram` marks LRU elements used. */
  protected abstract lookupKey(key: Uint8Array, fromProgram: boolean): number;
  /**
   * map_update_elem: 0 or -errno. From userspace `value` is valueBytes long (every CPU's
   * slot of a per-CPU map); from a program (`fromProgram`) it is valueSize long, the
   * current CPU's.
   */
  protected abstract updateKey(key: Uint8Array, value: Uint8Array, flags: number, fromProgram: boolean): number;
  /** map_delete_elem: 0 or -errno. */
  protected abstract deleteKey(key: Uint8Array): number;
  /** map_get_next_key: the next key, or -errno (ENOENT at the end). */
  protected abstract nextKeyOf(key: Uint8Array | undefined): Uint8Array | number;

  /** The value as userspace reads it, from its address (a per-CPU map's slots lie one after another from CPU 0's). */
  protected readValue(addr: number): Uint8Array {
    return this.space.u8.slice(addr, addr + this.valueBytes);
  }

  /** The value's address for userspace: for per-CPU maps, CPU 0's slot. */
  protected userAddress(key: Uint8Array): number {
    return this.lookupKey(key, false);
  }

  /** F_LOCK without a spin lock in the value is EINVAL, as the kernel checks. */
  protected lockFlagBad(flags: number): boolean {
    return (flags & BPF_F_LOCK) !== 0 && this.spinLockOffset < 0;
  }

  // ---- userspace, as KernelMap ----

  /** map_get_sys_perms: BPF_F_WRONLY maps cannot be read from userspace, BPF_F_RDONLY and frozen ones not written. */
  protected userAccess(write: boolean, what: string): void {
    if (write ? (this.flags & BPF_F_RDONLY) !== 0 || this.#frozen : (this.flags & BPF_F_WRONLY) !== 0) this.fail(Errno.EPERM, what);
  }

  /** The value of `key` (BPF_MAP_LOOKUP_ELEM), or undefined when there is none. */
  get(key: Uint8Array, flags = 0): Uint8Array | undefined {
    const k = this.checkKey(key);
    this.userAccess(false, "look up in");
    if (this.lockFlagBad(flags) || (flags & ~BPF_F_LOCK) !== 0) this.fail(Errno.EINVAL, "look up in");
    const addr = this.userAddress(k);
    return addr > 0 ? this.readValue(addr) : undefined;
  }

  /** Each CPU's value of `key` in a per-CPU map (one value for other maps). */
  getPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.get(key);
    if (!all) return undefined;
    if (!this.perCpu) return [all];
    const slot = roundUp8(this.valueSize);
    return Array.from({ length: this.cpus }, (_, i) => all.slice(i * slot, i * slot + this.valueSize));
  }

  /** Removes `key` and returns its value (BPF_MAP_LOOKUP_AND_DELETE_ELEM). */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    const k = this.checkKey(key);
    this.userAccess(false, "look up and delete in");
    this.userAccess(true, "look up and delete in");
    if (this.keySize === 0) return this.pop();
    const addr = this.userAddress(k);
    if (addr <= 0) return undefined;
    const v = this.readValue(addr);
    const r = this.deleteKey(k);
    if (r < 0) this.fail(-r, "look up and delete in");
    return v;
  }

  /** Sets `key` to `value` (BPF_MAP_UPDATE_ELEM); flags BPF_ANY (default), NOEXIST or EXIST. */
  set(key: Uint8Array, value: Uint8Array, flags?: UpdateFlag): void {
    const k = this.checkKey(key), v = this.checkValue(value);
    this.userAccess(true, "update");
    const f = flagValue(flags);
    const r = this.lockFlagBad(f) ? -Errno.EINVAL : this.updateKey(k, v, f, false);
    if (r < 0) this.fail(-r, "update");
  }

  /** Deletes `key` (BPF_MAP_DELETE_ELEM); false when it was not there. */
  delete(key: Uint8Array): boolean {
    const k = this.checkKey(key);
    this.userAccess(true, "delete from");
    const r = this.deleteKey(k);
    if (r === -Errno.ENOENT) return false;
    if (r < 0) this.fail(-r, "delete from");
    return true;
  }

  /** The key after `key` (BPF_MAP_GET_NEXT_KEY); the first key when `key` is undefined. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const k = key === undefined ? (this.live(), undefined) : this.checkKey(key);
    this.userAccess(false, "next key in");
    const r = this.nextKeyOf(k);
    if (typeof r !== "number") return r;
    if (r === -Errno.ENOENT) return undefined;
    return this.fail(-r, "next key in");
  }

  /** Every key, by nextKey, as KernelMap iterates. */
  *keys(): IterableIterator<Uint8Array> {
    for (let key = this.nextKey(); key; key = this.nextKey(key)) yield key;
  }

  /** `for (const [key, value] of map)`: every key with its value. */
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  /** Every key with its value. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value) yield [key, value];
    }
  }

  // ---- batches, as BPF_MAP_*_BATCH ----

  /** The batch commands of this type (none by default: ENOTSUPP). */
  protected get batchSupport(): BatchSupport { return {}; }

  /** The keys of bucket `b` and the bucket count, for bucket-walking types. */
  protected bucketKeysOf(_b: number): { keys: Uint8Array[]; buckets: number } { return { keys: [], buckets: 0 }; }

  #batchFlags(elemFlags: number, what: string): void {
    if ((elemFlags & ~BPF_F_LOCK) || this.lockFlagBad(elemFlags)) this.fail(Errno.EINVAL, what);
  }

  /** Up to `count` elements from `cursor` on (BPF_MAP_LOOKUP_BATCH). */
  lookupBatch(o: BatchOptions = {}): BatchResult {
    return this.#lookupBatch(o, false);
  }

  /** Up to `count` elements from `cursor` on, removed from the map (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
  lookupAndDeleteBatch(o: BatchOptions = {}): BatchResult {
    return this.#lookupBatch(o, true);
  }

  #lookupBatch(o: BatchOptions, andDelete: boolean): BatchResult {
    this.live();
    const what = andDelete ? "look up and delete batch in" : "look up batch in";
    const support = this.batchSupport;
    if (!support.lookup || (andDelete && !support.lookupAndDelete)) this.fail(Errno.ENOTSUPP, what);
    this.userAccess(false, what);
    if (andDelete) this.userAccess(true, what);
    this.#batchFlags(o.elemFlags ?? 0, what);
    const count = o.count ?? 64;
    const keys: Uint8Array[] = [], values: Uint8Array[] = [];
    const token = (bytes: Uint8Array) => { const t = new Uint8Array(Math.max(this.keySize, 8)); t.set(bytes); return t; };
    if (count === 0) return { keys, values, cursor: o.cursor };
    if (support.lookup === "bucket") {
      // htab: the cursor is a bucket number; a bucket is taken whole or not at all.
      let b = o.cursor ? new DataView(o.cursor.buffer, o.cursor.byteOffset).getUint32(0, true) : 0;
      const { buckets } = this.bucketKeysOf(0);
      if (b >= buckets) return { keys, values, cursor: undefined };
      for (;;) {
        const bucket = this.bucketKeysOf(b).keys;
        if (bucket.length > count - keys.length) {
          if (keys.length === 0) this.fail(Errno.ENOSPC, what);
          break;
        }
        for (const k of bucket) {
          keys.push(k);
          values.push(this.readValue(this.userAddress(k)));
          if (andDelete) this.deleteKey(k);
        }
        if (++b >= buckets) return { keys, values, cursor: undefined };
      }
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, b, true);
      return { keys, values, cursor: token(c) };
    }
    // generic_map_lookup_batch: get_next_key from the cursor key; the last key is the next cursor.
    let prev = o.cursor ? o.cursor.subarray(0, this.keySize) : undefined;
    let ended = false;
    while (keys.length < count) {
      const next = this.nextKeyOf(prev);
      if (typeof next === "number") { ended = true; break; }
      const at = this.userAddress(next);
      if (at > 0) { keys.push(next); values.push(this.readValue(at)); }
      prev = next;
    }
    return { keys, values, cursor: ended ? undefined : prev && token(prev) };
  }

  /** Every element, fetched `count` at a time with lookupBatch. */
  *batchEntries(count = 64): IterableIterator<[Uint8Array, Uint8Array]> {
    let cursor: Uint8Array | undefined;
    do {
      const r = this.lookupBatch({ count, cursor });
      for (let i = 0; i < r.keys.length; i++) yield [r.keys[i]!, r.values[i]!];
      cursor = r.cursor;
    } while (cursor);
  }

  /** Writes many elements (BPF_MAP_UPDATE_BATCH, elem_flags as the update flags); stops at the first error. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], o: { elemFlags?: number } = {}): number {
    this.live();
    if (keys.length !== values.length) throw new BpfError("EINVAL", `${this.describe()}: ${keys.length} keys but ${values.length} values`);
    if (!this.batchSupport.update) this.fail(Errno.ENOTSUPP, "update batch in");
    this.userAccess(true, "update batch in");
    const flags = o.elemFlags ?? 0;
    // generic_map_update_batch: elem_flags may only be BPF_F_LOCK; each element is written with BPF_ANY.
    this.#batchFlags(flags, "update batch in");
    for (let i = 0; i < keys.length; i++) {
      const r = this.#frozen ? -Errno.EPERM : this.updateKey(this.checkKey(keys[i]), this.checkValue(values[i]!), flags, false);
      if (r < 0) throw new MapError(-r, `update batch in ${this.describe()}: after ${i} of ${keys.length} elements`);
    }
    return keys.length;
  }

  /** Deletes many keys (BPF_MAP_DELETE_BATCH); stops at the first error (ENOENT for a missing key). */
  deleteBatch(keys: readonly Uint8Array[], o: { elemFlags?: number } = {}): number {
    this.live();
    if (!this.batchSupport.delete) this.fail(Errno.ENOTSUPP, "delete batch in");
    this.userAccess(true, "delete batch in");
    this.#batchFlags(o.elemFlags ?? 0, "delete batch in");
    for (let i = 0; i < keys.length; i++) {
      const r = this.#frozen ? -Errno.EPERM : this.deleteKey(this.checkKey(keys[i]));
      if (r < 0) throw new MapError(-r, `delete batch in ${this.describe()}: after ${i} of ${keys.length} elements`);
    }
    return keys.length;
  }

  /** Pushes onto a queue or stack. */
  push(value: Uint8Array, flags?: UpdateFlag): void {
    this.set(new Uint8Array(0), value, flags);
  }
  /** Takes the next value off a queue or stack, or undefined when it is empty. */
  pop(): Uint8Array | undefined {
    return this.fail(Errno.EINVAL, "pop from");
  }
  /** The next value of a queue or stack, left in place. */
  peek(): Uint8Array | undefined {
    return this.fail(Errno.EINVAL, "peek at");
  }

  /** Makes the map read-only for userspace (BPF_MAP_FREEZE); programs keep their rights. */
  freeze(): void {
    this.live();
    // map_freeze: EBUSY when frozen already, EPERM without write access.
    if (this.#frozen) this.fail(Errno.EBUSY, "freeze");
    if (this.flags & BPF_F_RDONLY) this.fail(Errno.EPERM, "freeze");
    this.#frozen = true;
  }

  /** Shape and flags, as KernelMap.info() gives them. */
  info(): { type: number; typeName: string; id: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string } {
    this.live();
    // bpf_map_flags_retain_permanent: BPF_F_RDONLY and BPF_F_WRONLY belong to the fd, not the map.
    const flags = this.flags & ~(BPF_F_RDONLY | BPF_F_WRONLY);
    return { type: this.type, typeName: this.typeName, id: this.id, keySize: this.keySize, valueSize: this.valueSize, maxEntries: this.maxEntries, flags, name: this.name };
  }

  /** Frees the map's memory; harmless twice. Pointers a program kept into it then fault. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = spaceMaps(this.space);
    s.byHandle.delete(this.handle);
    s.byId.delete(this.id);
    this.#desc.free();
    this.release();
  }

  /** Frees the type's regions. */
  protected abstract release(): void;

  // ---- program side, what the helpers call ----

  /** Whether a program may read (or write) `size` bytes at `addr`: the region of the last hit first, else the space's search. */
  protected canAccess(addr: number, size: number, write: boolean): boolean {
    const space = this.space, id = this.#hit;
    const lo = write ? space.writeLo : space.readLo, hi = write ? space.writeHi : space.readHi;
    if (id !== 0 && id < lo.length && addr >= lo[id]! && addr + size <= hi[id]! && lo[id] !== 0) return true;
    if (size === 0) return true;
    const found = addr >= 0 ? space.check(addr, size, write) : 0;
    if (found !== 0) this.#hit = found;
    return found !== 0;
  }

  /** Reads `size` bytes at `addr` if the program may read them, else undefined. */
  protected readAt(addr: number, size: number): Uint8Array | undefined {
    if (size === 0) return new Uint8Array(0);
    if (!this.canAccess(addr, size, false)) return undefined;
    return this.space.u8.subarray(addr, addr + size);
  }

  /** bpf_map_lookup_elem: the address of the value of the key at `keyAddr`, or 0. */
  lookupElem(keyAddr: number): number {
    const key = this.readAt(keyAddr, this.keySize);
    if (!key) return 0;
    const addr = this.lookupKey(key, true);
    return addr > 0 && this.perCpu ? addr + this.currentCpu * roundUp8(this.valueSize) : addr;
  }

  /** bpf_map_update_elem: 0 or -errno. */
  updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    // Copies: an update may grow the memory, which detaches views of it. The type's
    // updateKey must not keep them (they are reused).
    const space = this.space, ks = this.keySize, vs = this.valueSize;
    if (!this.canAccess(keyAddr, ks, false) || !this.canAccess(valueAddr, vs, false)) return -Errno.EFAULT;
    const key = this.#keyScratch, value = this.#valueScratch;
    copyBytes(key, 0, space.u8, keyAddr, ks);
    copyBytes(value, 0, space.u8, valueAddr, vs);
    // Each type checks BPF_F_LOCK where its map_update_elem does (the syscall checks it first).
    return this.updateKey(key, value, flags, true);
  }

  /** bpf_map_lookup_percpu_elem: the value's address on `cpu`, or 0. */
  lookupPercpuElem(keyAddr: number, cpu: number): number {
    if (!this.perCpu || cpu >= this.cpus) return 0;
    const key = this.readAt(keyAddr, this.keySize);
    if (!key) return 0;
    const addr = this.lookupKey(key, true);
    return addr > 0 ? addr + cpu * roundUp8(this.valueSize) : 0;
  }

  /** bpf_map_delete_elem: 0 or -errno. */
  deleteElem(keyAddr: number): number {
    const key = this.readAt(keyAddr, this.keySize);
    return key ? this.deleteKey(key) : -Errno.EFAULT;
  }

  /**
   * Called with a value's address when the map lets that value go (a hash element deleted,
   * replaced or evicted, an array element overwritten), as the kernel's bpf_obj_free_fields:
   * the timer helpers set it to cancel the value's bpf_timer.
   */
  valueFreed: ((valueAddr: number) => void) | undefined;

  /**
   * bpf_for_each_map_elem's walk (the map's map_for_each_callback): `visit(key, value)` for
   * each element in the kernel's order, with the value's address (the current CPU's slot for
   * per-CPU maps), until it returns true. Returns the elements visited, or -1 where the
   * kernel's map type has no such walk.
   */
  forEachElem(_visit: (key: Uint8Array, valueAddr: number) => boolean): number {
    return -1;
  }

  /** bpf_map_push_elem: 0 or -errno. */
  pushElem(valueAddr: number, flags: number): number {
    const value = this.readAt(valueAddr, this.valueSize)?.slice();
    return value ? this.updateKey(new Uint8Array(0), value, flags, true) : -Errno.EFAULT;
  }

  /** bpf_map_pop_elem / bpf_map_peek_elem: writes the value at `valueAddr`; 0 or -errno. */
  popElem(_valueAddr: number, _remove: boolean): number {
    return -Errno.EINVAL;
  }
}
