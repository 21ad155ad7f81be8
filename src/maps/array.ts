/**
 * @fileoverview Array maps, as kernel/bpf/arraymap.c keeps them: every element exists,
 * zeroed at creation, in one region of `max_entries` slots of round_up(value_size, 8)
 * bytes, so a lookup is address arithmetic. The fd arrays (prog_array, array_of_maps)
 * hold references instead of bytes: program and map ids stand in for fds.
 */

import { BpfError } from "../errors.js";
import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import type { ProgramArray, ProgramArrayResolver, TailCallTarget } from "../runtime/interpreter.js";
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_NOEXIST, BpfMap, copyBytes, Errno, mapAt, mapById, roundUp8, type BatchSupport, type UserMapSpec,
} from "./map.js";

const indexOf = (key: Uint8Array): number => (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
const keyOf = (i: number): Uint8Array => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24);

/** array_map_get_next_key: 0 after a missing or out-of-range key, ENOENT after the last. */
function nextIndex(key: Uint8Array | undefined, maxEntries: number): Uint8Array | number {
  const i = key ? indexOf(key) : maxEntries;
  if (i >= maxEntries) return keyOf(0);
  if (i === maxEntries - 1) return -Errno.ENOENT;
  return keyOf(i + 1);
}

/** Flags other than BPF_ANY/NOEXIST/EXIST (and BPF_F_LOCK) are EINVAL. */
export const badFlags = (flags: number): boolean => (flags & ~BPF_F_LOCK) > BPF_EXIST;

/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (a per-CPU element is one 8-aligned
 * slot per CPU, CPU 0's first). Global data maps are arrays of one element;
 * BPF_F_RDONLY_PROG makes the region read-only to programs.
 */
export class ArrayMap extends BpfMap {
  /** Bytes from one element to the next. */
  readonly elemSize: number;
  readonly values: Region;
  readonly #slot: number;

  /** Per-CPU or not follows the spec's type (`perCpu` says which the caller meant). */
  constructor(space: AddressSpace, spec: UserMapSpec, perCpu: boolean) {
    super(space, spec);
    if (perCpu !== this.perCpu) throw new BpfError("EINVAL", `an ArrayMap of type ${this.typeName} cannot be ${perCpu ? "" : "not "}per-CPU`);
    this.#slot = roundUp8(spec.valueSize);
    this.elemSize = this.perCpu ? this.#slot * this.cpus : this.#slot;
    const readOnly = ((spec.flags ?? 0) & BPF_F_RDONLY_PROG) !== 0;
    this.values = space.alloc({ name: this.name || this.typeName, kind: "map", size: this.elemSize * spec.maxEntries, perm: readOnly ? Perm.Read : Perm.ReadWrite });
  }

  protected override get batchSupport(): BatchSupport {
    return { lookup: "generic", update: true };
  }

  /** The address of element `index` (a global data map's value is element 0). */
  valueAddress(index = 0): number {
    return this.values.base + index * this.elemSize;
  }

  /** The values as one view (BPF_F_MMAPABLE maps are read this way); views die when the memory grows. */
  mmap(): Uint8Array {
    this.live();
    return this.values.bytes();
  }

  /** The helper's fast path: the index read straight from the address space. */
  override lookupElem(keyAddr: number): number {
    if (!this.canAccess(keyAddr, 4, false)) return 0;
    const i = this.space.view.getUint32(keyAddr, true);
    if (i >= this.maxEntries) return 0;
    const at = this.values.base + i * this.elemSize;
    return this.perCpu ? at + this.currentCpu * this.#slot : at;
  }

  protected lookupKey(key: Uint8Array): number {
    const i = indexOf(key);
    return i < this.maxEntries ? this.values.base + i * this.elemSize : 0;
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number, fromProgram: boolean): number {
    // bpf_percpu_array_update (userspace) refuses BPF_F_LOCK at once; a program's update checks it last, as for an array.
    if (badFlags(flags) || (this.perCpu && !fromProgram && (flags & BPF_F_LOCK))) return -Errno.EINVAL;
    const i = indexOf(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if ((flags & ~BPF_F_LOCK) === BPF_NOEXIST) return -Errno.EEXIST; // every element exists
    if (this.lockFlagBad(flags)) return -Errno.EINVAL;
    const at = this.values.base + i * this.elemSize;
    // array_map_update_elem frees the old value's special fields (its timer) after the copy.
    if (!this.perCpu) { copyBytes(this.space.u8, at, value, 0, this.valueSize); this.valueFreed?.(at); }
    else if (fromProgram) copyBytes(this.space.u8, at + this.currentCpu * this.#slot, value, 0, this.valueSize);
    else copyBytes(this.space.u8, at, value, 0, this.elemSize);
    return 0;
  }

  protected deleteKey(): number {
    return -Errno.EINVAL;
  }

  /** bpf_for_each_array_elem: every index in order; a per-CPU element's current-CPU slot. */
  override forEachElem(visit: (key: Uint8Array, valueAddr: number) => boolean): number {
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      n++;
      const at = this.values.base + i * this.elemSize;
      if (visit(keyOf(i), this.perCpu ? at + this.currentCpu * this.#slot : at)) break;
    }
    return n;
  }

  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    return nextIndex(key, this.maxEntries);
  }

  protected release(): void {
    this.values.free();
  }
}

/**
 * The fd arrays: a slot holds a reference, which userspace sets and reads as a u32 id
 * (the kernel takes an fd and gives back an id; the runtime has no fds). Only BPF_ANY,
 * as in fd_array_map_update_elem.
 */
abstract class RefArrayMap<T> extends BpfMap {
  protected readonly slots: (T | undefined)[];
  protected readonly ids: number[];

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.slots = new Array(spec.maxEntries);
    this.ids = new Array(spec.maxEntries).fill(0);
  }

  protected abstract resolve(id: number): T | undefined;

  protected lookupKey(key: Uint8Array, fromProgram: boolean): number {
    const i = indexOf(key);
    if (i >= this.maxEntries || this.slots[i] === undefined) return 0;
    return fromProgram ? this.programValue(this.slots[i]!) : 1;
  }

  /** What a program's lookup returns for a filled slot (0: programs may not look up). */
  protected programValue(_ref: T): number {
    return 0;
  }

  /** The slot's id as a u32, for userspace. */
  override get(key: Uint8Array): Uint8Array | undefined {
    const i = indexOf(this.checkKey(key));
    if (i >= this.maxEntries || this.slots[i] === undefined) return undefined;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.ids[i]!, true);
    return out;
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    const i = indexOf(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const id = indexOf(value);
    const ref = this.resolve(id);
    if (ref === undefined) return -Errno.EBADF;
    this.slots[i] = ref;
    this.ids[i] = id;
    return 0;
  }

  protected deleteKey(key: Uint8Array): number {
    const i = indexOf(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.slots[i] === undefined) return -Errno.ENOENT;
    this.slots[i] = undefined;
    this.ids[i] = 0;
    return 0;
  }

  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    return nextIndex(key, this.maxEntries);
  }

  protected release(): void {
    this.slots.fill(undefined);
  }
}

/** Finds a program by the id userspace writes into a prog_array. */
export type ProgramResolver = (id: number) => TailCallTarget | undefined;

/** BPF_MAP_TYPE_PROG_ARRAY: the programs `bpf_tail_call` jumps to; the runtime's `programArray` resolver returns it. */
export class ProgArrayMap extends RefArrayMap<TailCallTarget> implements ProgramArray {
  constructor(space: AddressSpace, spec: UserMapSpec, private readonly programs: ProgramResolver | undefined) {
    super(space, spec);
  }

  protected resolve(id: number): TailCallTarget | undefined {
    return this.programs?.(id);
  }

  /** The program in slot `index`, for tail calls. */
  program(index: number): TailCallTarget | undefined {
    return this.slots[index];
  }
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS: a program's lookup gives the inner map's handle, which helpers take as a map. */
export class ArrayOfMapsMap extends RefArrayMap<BpfMap> {
  protected resolve(id: number): BpfMap | undefined {
    return mapById(this.space, id);
  }

  protected override programValue(inner: BpfMap): number {
    return inner.handle;
  }
}

/** The `programArray` resolver of a runtime whose maps live in `space`: a tail call's r2 is a prog_array's handle. */
export function programArrays(space: AddressSpace): ProgramArrayResolver {
  return (handle) => {
    const m = handle > 0n && handle < 0x80000000n ? mapAt(space, Number(handle)) : undefined;
    return m instanceof ProgArrayMap ? m : undefined;
  };
}
