/**
 * @fileoverview The local storage maps (sk_storage, task_storage, inode_storage,
 * cgrp_storage): a value per owner object, made by a program's bpf_*_storage_get with
 * BPF_LOCAL_STORAGE_GET_F_CREATE. The owner is the pointer the program passes (a
 * socket, task, inode or cgroup of the runtime's host model); userspace keys are that
 * pointer as a u32, where the kernel takes an fd. No get_next_key, as the kernel.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, BpfMap, Errno, roundUp8, type UserMapSpec } from "./map.js";
import { ValueSlots } from "./slots.js";

/** BPF_LOCAL_STORAGE_GET_F_CREATE */
export const BPF_LOCAL_STORAGE_GET_F_CREATE = 1;

export class LocalStorageMap extends BpfMap {
  readonly #values = new Map<number, number>();
  readonly #slots: ValueSlots;

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.#slots = new ValueSlots(space, `${this.name || this.typeName} values`, roundUp8(spec.valueSize), Infinity);
  }

  get size(): number { return this.#values.size; }

  #owner(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  protected lookupKey(key: Uint8Array): number {
    return this.#values.get(this.#owner(key)) ?? 0;
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    const owner = this.#owner(key);
    if (owner === 0) return -Errno.EBADF;
    let at = this.#values.get(owner);
    if (at && (flags & 3) === BPF_NOEXIST) return -Errno.EEXIST;
    if (!at && (flags & 3) === BPF_EXIST) return -Errno.ENOENT;
    if (!at) {
      at = this.#slots.alloc();
      this.#values.set(owner, at);
    }
    this.space.u8.set(value.subarray(0, this.valueSize), at);
    return 0;
  }

  protected deleteKey(key: Uint8Array): number {
    const owner = this.#owner(key);
    const at = this.#values.get(owner);
    if (!at) return -Errno.ENOENT;
    this.#values.delete(owner);
    this.#slots.free(at);
    return 0;
  }

  protected nextKeyOf(): number {
    return -Errno.ENOTSUPP;
  }

  /** bpf_*_storage_get: the owner's value (made from `init`, or zeroed, with F_CREATE), or 0. */
  storageGet(owner: number, init: Uint8Array | undefined, flags: number): number {
    if (owner <= 0 || (flags & ~BPF_LOCAL_STORAGE_GET_F_CREATE)) return 0;
    const at = this.#values.get(owner);
    if (at || !(flags & BPF_LOCAL_STORAGE_GET_F_CREATE)) return at ?? 0;
    const fresh = this.#slots.alloc();
    if (init) this.space.u8.set(init.subarray(0, this.valueSize), fresh);
    this.#values.set(owner, fresh);
    return fresh;
  }

  /** bpf_*_storage_delete: 0 or -ENOENT. */
  storageDelete(owner: number): number {
    const at = this.#values.get(owner);
    if (!at) return -Errno.ENOENT;
    this.#values.delete(owner);
    this.#slots.free(at);
    return 0;
  }

  protected release(): void {
    this.#slots.release();
    this.#values.clear();
  }
}
