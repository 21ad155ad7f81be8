/**
 * @fileoverview BPF_MAP_TYPE_STACK_TRACE as kernel/bpf/stackmap.c: bpf_get_stackid hashes
 * a stack of instruction pointers (jhash2 of its u32 words, seed 0) into one of
 * roundup_pow_of_two(max_entries) buckets and returns the bucket as the stack id;
 * userspace reads a stack by id (value_size / 8 u64s, zero padded) and may delete it.
 * The stack itself comes from the runtime's stack model (`setStackModel`).
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { htabHash } from "./jhash.js";
import { BpfMap, Errno, type UserMapSpec } from "./map.js";

/** BPF_F_SKIP_FIELD_MASK */
export const BPF_F_SKIP_FIELD_MASK = 0xff;
/** BPF_F_USER_STACK */
export const BPF_F_USER_STACK = 1 << 8;
/** BPF_F_FAST_STACK_CMP */
export const BPF_F_FAST_STACK_CMP = 1 << 9;
/** BPF_F_REUSE_STACKID */
export const BPF_F_REUSE_STACKID = 1 << 10;

/** What a stack walk finds: kernel and user instruction pointers, innermost first. */
export interface StackModel {
  kernel: bigint[];
  user: bigint[];
}

const STACKS = new WeakMap<AddressSpace, StackModel>();

/** The stacks bpf_get_stackid (and bpf_get_stack) see in `space`; empty until set. */
export function stackModelOf(space: AddressSpace): StackModel {
  let s = STACKS.get(space);
  if (!s) STACKS.set(space, (s = { kernel: [], user: [] }));
  return s;
}

/** Sets the kernel and user stacks the next runs see. */
export function setStackModel(space: AddressSpace, model: Partial<StackModel>): void {
  const s = stackModelOf(space);
  if (model.kernel) s.kernel = [...model.kernel];
  if (model.user) s.user = [...model.user];
}

const pow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export class StackTraceMap extends BpfMap {
  readonly nBuckets: number;
  readonly #stacks: (bigint[] | undefined)[];

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.nBuckets = pow2(spec.maxEntries);
    this.#stacks = new Array(this.nBuckets);
  }

  /** bpf_get_stackid: the id, or -EFAULT (no stack), -EEXIST (bucket taken), -EINVAL (bad flags). */
  stackId(flags: number): number {
    if (flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) return -Errno.EINVAL;
    const model = stackModelOf(this.space);
    const max = this.valueSize / 8;
    const ips = (flags & BPF_F_USER_STACK ? model.user : model.kernel).slice(flags & BPF_F_SKIP_FIELD_MASK, (flags & BPF_F_SKIP_FIELD_MASK) + max);
    if (ips.length === 0) return -Errno.EFAULT;
    const bytes = new Uint8Array(ips.length * 8);
    const view = new DataView(bytes.buffer);
    ips.forEach((ip, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, ip), true));
    const id = htabHash(bytes, 0, bytes.length, 0) & (this.nBuckets - 1);
    const old = this.#stacks[id];
    if (old && old.length === ips.length && old.every((x, i) => x === ips[i])) return id;
    if (old && !(flags & BPF_F_REUSE_STACKID)) return -Errno.EEXIST;
    this.#stacks[id] = ips;
    return id;
  }

  protected lookupKey(): number {
    return 0;
  }

  /** The stack with this id, value_size bytes (zero padded). */
  override get(key: Uint8Array): Uint8Array | undefined {
    const id = new DataView(this.checkKey(key).buffer, key.byteOffset).getUint32(0, true);
    const ips = id < this.nBuckets ? this.#stacks[id] : undefined;
    if (!ips) return undefined;
    const out = new Uint8Array(this.valueSize);
    const view = new DataView(out.buffer);
    ips.forEach((ip, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, ip), true));
    return out;
  }

  protected updateKey(): number {
    return -Errno.EINVAL;
  }

  protected deleteKey(key: Uint8Array): number {
    const id = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    if (id >= this.nBuckets) return -Errno.EINVAL;
    if (!this.#stacks[id]) return -Errno.ENOENT;
    this.#stacks[id] = undefined;
    return 0;
  }

  /** stack_map_get_next_key: the next bucket holding a stack; a missing or out-of-range key starts at 0. */
  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    let id = key ? new DataView(key.buffer, key.byteOffset).getUint32(0, true) : this.nBuckets;
    id = id >= this.nBuckets ? 0 : id + 1;
    for (; id < this.nBuckets; id++) {
      if (this.#stacks[id]) return Uint8Array.of(id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, id >>> 24);
    }
    return -Errno.ENOENT;
  }

  protected release(): void {
    this.#stacks.fill(undefined);
  }
}
