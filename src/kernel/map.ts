/**
 * @fileoverview A live kernel map: made from a plain spec, owning its file descriptor,
 * with element, iteration and batch operations on bytes.
 */

import { readFileSync } from "node:fs";
import { BpfError } from "../errors.js";
import { flagValue, type BatchOptions, type BatchResult, type UpdateFlag } from "../maps/map.js";
import { mapTypeId, mapTypeInfo, mapTypeName, type MapTypeName } from "../maps/types.js";
import * as bpf from "./bpf.js";
import { OwnedFd } from "./fd.js";
import { mapInfo, type MapInfo } from "./info.js";
import { StructWriter } from "./layout.js";
import { bpfCall, closeFd, mmapPlaced, type PlacedMapping, withScratch } from "./native.js";
import { Cmd, MAP_ELEM } from "./uapi.js";

/** What a map is made from: plain data, copied at creation. */
export interface KernelMapSpec {
  /** A map type id, or its short name: "hash", "array", "lru_hash", "ringbuf". */
  readonly type: number | MapTypeName;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** BPF_F_* map flags (`MapFlags`). */
  readonly flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  readonly name?: string;
  readonly innerMapFd?: number;
  readonly numaNode?: number;
  readonly mapExtra?: bigint;
  readonly ifindex?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
}

/** The same update flags and batch shapes as the userspace maps take, so code moves between engines unchanged. */
export type { BatchOptions, BatchResult, UpdateFlag };

let cpus: number | undefined;

/** The number of possible CPUs, which sizes every per-CPU value. */
export function possibleCpus(): number {
  if (cpus !== undefined) return cpus;
  // "0-3" or "0,2-5": ranges of CPU numbers; the count is the highest plus one.
  const text = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim();
  let max = 0;
  for (const part of text.split(",")) max = Math.max(max, Number(part.split("-").at(-1)));
  return (cpus = max + 1);
}

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

function split(packed: Uint8Array, size: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => packed.slice(i * size, (i + 1) * size));
}

function pack(items: readonly Uint8Array[], size: number, what: string): Uint8Array {
  const out = new Uint8Array(items.length * size);
  items.forEach((item, i) => {
    if (item.length !== size) throw new BpfError("EINVAL", `${what} ${i} is ${item.length} bytes, not ${size}`);
    out.set(item, i * size);
  });
  return out;
}

/** A map in the kernel. Make one with `KernelMap.create(spec)`; `close()` when done. */
export class KernelMap {
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Bytes of a value as userspace reads and writes it: `valueSize`, or for a per-CPU map one 8-aligned slot per possible CPU. */
  readonly valueBytes: number;
  readonly #fd: OwnedFd;
  /** An arena's user-space mapping (mapArena), unmapped at close. */
  #arena: PlacedMapping | undefined;

  private constructor(fd: number, s: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string }) {
    this.type = s.type;
    this.typeName = mapTypeName(s.type);
    this.keySize = s.keySize;
    this.valueSize = s.valueSize;
    this.maxEntries = s.maxEntries;
    this.flags = s.flags;
    this.name = s.name;
    this.valueBytes = mapTypeInfo(s.type)?.perCpu ? roundUp8(s.valueSize) * possibleCpus() : s.valueSize;
    this.#fd = new OwnedFd(fd, this.describe());
  }

  /** Creates a map (BPF_MAP_CREATE). */
  static create(spec: KernelMapSpec): KernelMap {
    const type = mapTypeId(spec.type);
    const what = spec.name ? `create ${mapTypeName(type)} map "${spec.name}"` : `create ${mapTypeName(type)} map`;
    const fd = bpf.mapCreate({
      mapType: type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.maxEntries,
      mapFlags: spec.flags,
      name: spec.name,
      innerMapFd: spec.innerMapFd,
      numaNode: spec.numaNode,
      mapExtra: spec.mapExtra,
      ifindex: spec.ifindex,
      btfFd: spec.btfFd,
      btfKeyTypeId: spec.btfKeyTypeId,
      btfValueTypeId: spec.btfValueTypeId,
      btfVmlinuxValueTypeId: spec.btfVmlinuxValueTypeId,
    }, what);
    return new KernelMap(fd, { ...spec, type, flags: spec.flags ?? 0, name: spec.name ?? "" });
  }

  /** Takes ownership of a map file descriptor; its shape comes from the kernel. */
  static fromFd(fd: number): KernelMap {
    let info: MapInfo;
    try {
      info = mapInfo(fd);
    } catch (e) {
      // The caller gave the fd away; it is ours to close even when it is not a map.
      closeFd(fd);
      throw e;
    }
    return new KernelMap(fd, info);
  }

  /** Opens the map with a kernel id (BPF_MAP_GET_FD_BY_ID). */
  static fromId(id: number, openFlags = 0): KernelMap {
    return KernelMap.fromFd(bpf.mapGetFdById(id, openFlags));
  }

  /** Opens a pinned map (BPF_OBJ_GET). */
  static fromPin(path: string, fileFlags = 0): KernelMap {
    return KernelMap.fromFd(bpf.objGet(path, fileFlags));
  }

  /** The file descriptor; throws after `close()`. */
  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  private describe(): string {
    return this.name ? `map "${this.name}"` : `${this.typeName} map`;
  }

  private checkKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (this.keySize === 0) {
      if (key && key.length) throw new BpfError("EINVAL", `${this.describe()}: has no keys, got a ${key.length}-byte key`);
      return undefined;
    }
    if (!key || key.length !== this.keySize) {
      throw new BpfError("EINVAL", `${this.describe()}: key is ${key?.length ?? 0} bytes, key size is ${this.keySize}`);
    }
    return key;
  }

  private checkValue(value: Uint8Array): Uint8Array {
    if (value.length === this.valueBytes) return value;
    // A per-CPU map given one value gets it on every CPU.
    if (this.valueBytes !== this.valueSize && value.length === this.valueSize) {
      const slot = roundUp8(this.valueSize);
      const all = new Uint8Array(this.valueBytes);
      for (let at = 0; at < all.length; at += slot) all.set(value, at);
      return all;
    }
    throw new BpfError("EINVAL", `${this.describe()}: value is ${value.length} bytes, value size is ${this.valueBytes}`);
  }

  /** The value of `key` (BPF_MAP_LOOKUP_ELEM), or undefined when there is none. Per-CPU maps give every CPU's slot. */
  get(key: Uint8Array, flags = 0): Uint8Array | undefined {
    return bpf.mapLookupElem(this.fd, this.checkKey(key), this.valueBytes, flags, `look up in ${this.describe()}`);
  }

  /** Each CPU's value of `key` in a per-CPU map. */
  getPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.get(key);
    if (!all) return undefined;
    const slot = this.valueBytes === this.valueSize ? this.valueSize : roundUp8(this.valueSize);
    return Array.from({ length: all.length / slot }, (_, i) => all.slice(i * slot, i * slot + this.valueSize));
  }

  /** Sets `key` to `value` (BPF_MAP_UPDATE_ELEM); `flags` BPF_ANY (default), NOEXIST or EXIST. */
  set(key: Uint8Array, value: Uint8Array, flags?: UpdateFlag): void {
    bpf.mapUpdateElem(this.fd, this.checkKey(key), this.checkValue(value), flagValue(flags), `update ${this.describe()}`);
  }

  /** Deletes `key` (BPF_MAP_DELETE_ELEM); false when it was not there. */
  delete(key: Uint8Array): boolean {
    return bpf.mapDeleteElem(this.fd, this.checkKey(key)!, `delete from ${this.describe()}`);
  }

  /** Removes `key` and returns its value (BPF_MAP_LOOKUP_AND_DELETE_ELEM). */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    return bpf.mapLookupAndDeleteElem(this.fd, this.checkKey(key), this.valueBytes, 0, `look up and delete in ${this.describe()}`);
  }

  /** Pushes onto a queue or stack (or bloom filter). */
  push(value: Uint8Array, flags?: UpdateFlag): void {
    bpf.mapUpdateElem(this.fd, undefined, this.checkValue(value), flagValue(flags), `push to ${this.describe()}`);
  }

  /** Takes the next value off a queue or stack, or undefined when it is empty. */
  pop(): Uint8Array | undefined {
    return bpf.mapLookupAndDeleteElem(this.fd, undefined, this.valueBytes, 0, `pop from ${this.describe()}`);
  }

  /** The next value of a queue or stack, left in place. */
  peek(): Uint8Array | undefined {
    return bpf.mapLookupElem(this.fd, undefined, this.valueBytes, 0, `peek at ${this.describe()}`);
  }

  /** The key after `key` (BPF_MAP_GET_NEXT_KEY); the first key when `key` is undefined. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    return bpf.mapGetNextKey(this.fd, key && this.checkKey(key), this.keySize, `next key in ${this.describe()}`);
  }

  /**
   * Every key, by BPF_MAP_GET_NEXT_KEY. Deleting the current key while iterating
   * makes a hash map start over, as the kernel does.
   */
  *keys(): IterableIterator<Uint8Array> {
    for (let key = this.nextKey(); key; key = this.nextKey(key)) yield key;
  }

  /** `for (const [key, value] of map)`: every key with its value. */
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  /** Every key with its value; a key deleted between the two calls is skipped. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value) yield [key, value];
    }
  }

  /** Up to `count` elements from `cursor` on (BPF_MAP_LOOKUP_BATCH). */
  lookupBatch(o: BatchOptions = {}): BatchResult {
    return this.batch(o, false);
  }

  /** Up to `count` elements from `cursor` on, removed from the map (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
  lookupAndDeleteBatch(o: BatchOptions = {}): BatchResult {
    return this.batch(o, true);
  }

  private batch(o: BatchOptions, andDelete: boolean): BatchResult {
    const count = o.count ?? 64;
    const r = bpf.mapLookupBatch(
      this.fd,
      { keySize: this.keySize, valueSize: this.valueBytes, count, inBatch: o.cursor, elemFlags: o.elemFlags, andDelete },
      `${andDelete ? "look up and delete" : "look up"} batch in ${this.describe()}`,
    );
    return { keys: split(r.keys, this.keySize, r.count), values: split(r.values, this.valueBytes, r.count), cursor: r.next };
  }

  /** Every element, fetched `count` at a time with BPF_MAP_LOOKUP_BATCH. */
  *batchEntries(count = 64): IterableIterator<[Uint8Array, Uint8Array]> {
    let cursor: Uint8Array | undefined;
    do {
      const r = this.lookupBatch({ count, cursor });
      for (let i = 0; i < r.keys.length; i++) yield [r.keys[i]!, r.values[i]!];
      cursor = r.cursor;
    } while (cursor);
  }

  /** Writes many elements in one call (BPF_MAP_UPDATE_BATCH); the number written. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], o: { elemFlags?: number } = {}): number {
    if (keys.length !== values.length) throw new BpfError("EINVAL", `${this.describe()}: ${keys.length} keys but ${values.length} values`);
    const packedKeys = pack(keys, this.keySize, "key");
    const packedValues = pack(values.map((v) => this.checkValue(v)), this.valueBytes, "value");
    return bpf.mapUpdateBatch(this.fd, packedKeys, packedValues, keys.length, o, `update batch in ${this.describe()}`);
  }

  /** Deletes many keys in one call (BPF_MAP_DELETE_BATCH); the number deleted. */
  deleteBatch(keys: readonly Uint8Array[], o: { elemFlags?: number } = {}): number {
    return bpf.mapDeleteBatch(this.fd, pack(keys, this.keySize, "key"), keys.length, o, `delete batch in ${this.describe()}`);
  }

  /** Makes the map read-only for userspace from now on (BPF_MAP_FREEZE). */
  freeze(): void {
    withScratch((s) => {
      const chunk = s.alloc(MAP_ELEM.size);
      new StructWriter(MAP_ELEM, chunk.bytes).set("map_fd", this.fd);
      bpfCall(Cmd.MapFreeze, chunk, MAP_ELEM.size, `freeze ${this.describe()}`);
    });
  }

  /** Pins the map at `path` in a bpffs (BPF_OBJ_PIN); see `ensureBpffs`. */
  pin(path: string): void {
    bpf.objPin(this.fd, path, `pin ${this.describe()} at ${path}`);
  }

  /** What the kernel says about the map (BPF_OBJ_GET_INFO_BY_FD). */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /**
   * Maps an arena into this process, as libbpf does after creating one: at `at` (its
   * map_extra) when set, else where the kernel chooses, which fixes the arena's user address
   * (the verifier refuses programs using an arena without one). `length` is its pages' bytes
   * (max_entries pages). Writes `data` at its offset.
   */
  mapArena(length: number, at: bigint | undefined, data?: { readonly offset: number; readonly bytes: Uint8Array }): bigint {
    this.#arena ??= mmapPlaced(this.fd, length, at || undefined, `mmap ${this.describe()}`);
    if (data) this.#arena.write(data.offset, data.bytes);
    return this.#arena.address;
  }

  /** Closes the file descriptor; the map lives on while pins or programs hold it. Closing twice is harmless. */
  close(): void {
    this.#arena?.unmap();
    this.#arena = undefined;
    this.#fd.close();
  }
}
