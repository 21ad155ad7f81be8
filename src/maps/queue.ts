/**
 * @fileoverview BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK, as kernel/bpf/queue_stack_maps.c:
 * no keys, push/pop/peek, E2BIG when full unless BPF_EXIST overwrites the oldest. Values
 * are copied in and out, never pointed at, so they live outside the address space.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { BPF_EXIST, BPF_NOEXIST, BpfMap, Errno, type UserMapSpec } from "./map.js";

export class QueueStackMap extends BpfMap {
  /** Oldest first. */
  #items: Uint8Array[] = [];

  constructor(space: AddressSpace, spec: UserMapSpec, readonly lifo: boolean) {
    super(space, spec);
  }

  get size(): number { return this.#items.length; }

  protected lookupKey(): number {
    return 0;
  }

  protected updateKey(_key: Uint8Array, value: Uint8Array, flags: number): number {
    // BPF_EXIST makes room when full; BPF_NOEXIST means nothing here and is refused.
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -Errno.EINVAL;
    if (this.#items.length >= this.maxEntries) {
      if (!(flags & BPF_EXIST)) return -Errno.E2BIG;
      this.#items.shift(); // both kinds overwrite the oldest element
    }
    this.#items.push(value.slice(0, this.valueSize));
    return 0;
  }

  protected deleteKey(): number {
    return -Errno.EINVAL;
  }

  protected nextKeyOf(): number {
    return -Errno.EINVAL;
  }

  #take(remove: boolean): Uint8Array | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    if (!remove) return items[this.lifo ? items.length - 1 : 0];
    return this.lifo ? items.pop() : items.shift();
  }

  /** A queue's head or a stack's top (BPF_MAP_LOOKUP_ELEM with no key peeks). */
  override get(key?: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    return this.#take(false)?.slice();
  }

  override pop(): Uint8Array | undefined {
    this.live();
    return this.#take(true)?.slice();
  }

  override peek(): Uint8Array | undefined {
    this.live();
    return this.#take(false)?.slice();
  }

  override popElem(valueAddr: number, remove: boolean): number {
    if (!this.canAccess(valueAddr, this.valueSize, true)) return -Errno.EFAULT;
    const v = this.#take(remove);
    if (!v) return -Errno.ENOENT;
    this.space.u8.set(v, valueAddr);
    return 0;
  }

  protected release(): void {
    this.#items = [];
  }
}
