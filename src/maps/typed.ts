/**
 * @fileoverview A map seen through BTF: keys and values as plain JS data (numbers, bigints
 * from 64 bits up, strings for char arrays, objects for structs) instead of bytes, over
 * any map with the userspace API (a runtime BpfMap or a KernelMap), as cilium/ebpf's
 * Map.Lookup into a Go struct. Per-CPU maps give one value per CPU.
 */

import { encodeValue, formatValue } from "../btf/format.js";
import type { Btf } from "../btf/types.js";
import { BpfError } from "../errors.js";
import type { UpdateFlag } from "./map.js";
import { mapTypeInfo } from "./types.js";

/** The byte-level API both BpfMap and KernelMap have. */
export interface ByteMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  get(key: Uint8Array): Uint8Array | undefined;
  getPerCpu(key: Uint8Array): Uint8Array[] | undefined;
  set(key: Uint8Array, value: Uint8Array, flags?: UpdateFlag): void;
  delete(key: Uint8Array): boolean;
  keys(): IterableIterator<Uint8Array>;
}

export class TypedMap<K = unknown, V = unknown> {
  readonly perCpu: boolean;

  constructor(readonly map: ByteMap, readonly btf: Btf, readonly keyType: number, readonly valueType: number) {
    this.perCpu = mapTypeInfo(map.type)?.perCpu ?? false;
    if (btf.sizeof(keyType) !== map.keySize) throw new BpfError("EINVAL", `typed map: the key type is ${btf.sizeof(keyType)} bytes, the map's keys ${map.keySize}`);
    if (btf.sizeof(valueType) !== map.valueSize) throw new BpfError("EINVAL", `typed map: the value type is ${btf.sizeof(valueType)} bytes, the map's values ${map.valueSize}`);
  }

  #key(k: K): Uint8Array { return encodeValue(this.btf, this.keyType, k); }
  #value(b: Uint8Array): V { return formatValue(this.btf, this.valueType, b.subarray(0, this.map.valueSize)) as V; }

  /** The value of `key` (a per-CPU map's CPU 0 value; see getPerCpu), or undefined. */
  get(key: K): V | undefined {
    const b = this.map.get(this.#key(key));
    return b ? this.#value(b) : undefined;
  }

  /** Each CPU's value of `key`. */
  getPerCpu(key: K): V[] | undefined {
    return this.map.getPerCpu(this.#key(key))?.map((b) => this.#value(b));
  }

  /** Sets `key` to `value` (every CPU's slot of a per-CPU map). */
  set(key: K, value: V, flags?: UpdateFlag): void {
    this.map.set(this.#key(key), encodeValue(this.btf, this.valueType, value), flags);
  }

  delete(key: K): boolean {
    return this.map.delete(this.#key(key));
  }

  *keys(): IterableIterator<K> {
    for (const k of this.map.keys()) yield formatValue(this.btf, this.keyType, k) as K;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const k of this.map.keys()) {
      const v = this.map.get(k);
      if (v) yield [formatValue(this.btf, this.keyType, k) as K, this.#value(v)];
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
