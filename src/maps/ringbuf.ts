/**
 * @fileoverview BPF_MAP_TYPE_RINGBUF and BPF_MAP_TYPE_USER_RINGBUF as kernel/bpf/ringbuf.c
 * lays them out: a consumer and a producer position (u64 each), then `max_entries` bytes
 * of records, each an 8-byte header (u32 length with the BUSY and DISCARD bits, u32
 * page offset) and the sample, padded to 8. The kernel maps the data pages twice so a
 * record that wraps stays contiguous; here the data region is twice the ring for the
 * same reason. `RingBufReader` consumes it as libbpf's ring_buffer and cilium's ringbuf
 * do: by callback, by polling, or as an async iterator.
 */

import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import { BpfMap, Errno, type UserMapSpec } from "./map.js";

/** BPF_RINGBUF_BUSY_BIT */
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
/** BPF_RINGBUF_DISCARD_BIT */
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** BPF_RINGBUF_HDR_SZ */
export const BPF_RINGBUF_HDR_SZ = 8;
/** BPF_RB_NO_WAKEUP */
export const BPF_RB_NO_WAKEUP = 1;
/** BPF_RB_FORCE_WAKEUP */
export const BPF_RB_FORCE_WAKEUP = 2;

/** bpf_ringbuf_query's flags: BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS. */
export const RingQuery = { AvailData: 0, RingSize: 1, ConsPos: 2, ProdPos: 3 } as const;

const round8 = (n: number): number => (n + 7) & ~7;

const RINGS = new WeakMap<AddressSpace, Set<RingBufMap>>();
/** The ring buffer whose data holds `addr` (bpf_ringbuf_submit gets only the sample's address). */
export function ringAt(space: AddressSpace, addr: number): RingBufMap | undefined {
  for (const r of RINGS.get(space) ?? []) if (addr >= r.data.base && addr < r.data.end) return r;
  return undefined;
}

/** The ring both kinds share: positions, records, and who waits for data. */
abstract class Ring extends BpfMap {
  /** consumer_pos at +0, producer_pos at +8 (u64s; the runtime keeps them below 2^53). */
  readonly positions: Region;
  readonly data: Region;
  readonly mask: number;
  #waiters: (() => void)[] = [];

  constructor(space: AddressSpace, spec: UserMapSpec, dataPerm: Perm) {
    super(space, spec);
    this.mask = spec.maxEntries - 1;
    const name = this.name || this.typeName;
    this.positions = space.alloc({ name: `${name} positions`, kind: "ringbuf", size: 16, perm: Perm.Read });
    this.data = space.alloc({ name, kind: "ringbuf", size: 2 * spec.maxEntries, perm: dataPerm });
  }

  get consumerPos(): number { return Number(this.space.view.getBigUint64(this.positions.base, true)); }
  set consumerPos(v: number) { this.space.view.setBigUint64(this.positions.base, BigInt(v), true); }
  get producerPos(): number { return Number(this.space.view.getBigUint64(this.positions.base + 8, true)); }
  set producerPos(v: number) { this.space.view.setBigUint64(this.positions.base + 8, BigInt(v), true); }

  /** The address of the record at ring position `pos`. */
  recordAt(pos: number): number { return this.data.base + (pos & this.mask); }

  // Ring buffers have no elements: every element operation is ENOTSUPP, as in the kernel.
  protected lookupKey(): number { return 0; }
  override get(): Uint8Array | undefined { return this.fail(Errno.ENOTSUPP, "look up in"); }
  protected updateKey(): number { return -Errno.ENOTSUPP; }
  protected deleteKey(): number { return -Errno.ENOTSUPP; }
  protected nextKeyOf(): number { return -Errno.ENOTSUPP; }

  /** Wakes whoever waits for data. */
  notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next wakeup (or at once when `closed`). */
  waitForData(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  /** bpf_ringbuf_query */
  query(flags: number): bigint {
    switch (flags) {
      case RingQuery.AvailData: return BigInt(this.producerPos - this.consumerPos);
      case RingQuery.RingSize: return BigInt(this.maxEntries);
      case RingQuery.ConsPos: return BigInt(this.consumerPos);
      case RingQuery.ProdPos: return BigInt(this.producerPos);
      default: return 0n;
    }
  }

  /** Reads the committed records from the consumer position on, advancing it; stops at a busy one. */
  consume(fn: (record: Uint8Array) => void, max = Infinity): number {
    this.live();
    let n = 0;
    const view = this.space.view;
    let cons = this.consumerPos;
    while (n < max && cons < this.producerPos) {
      const at = this.recordAt(cons);
      const hdr = view.getUint32(at, true);
      if (hdr & BPF_RINGBUF_BUSY_BIT) break;
      const len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const record = hdr & BPF_RINGBUF_DISCARD_BIT ? undefined : this.space.u8.slice(at + BPF_RINGBUF_HDR_SZ, at + BPF_RINGBUF_HDR_SZ + len);
      cons += round8(len + BPF_RINGBUF_HDR_SZ);
      this.consumerPos = cons;
      if (record) { n++; fn(record); }
    }
    return n;
  }

  protected release(): void {
    this.positions.free();
    this.data.free();
    this.notify();
  }
}

/** BPF_MAP_TYPE_RINGBUF: programs produce (reserve/submit, output), userspace consumes. */
export class RingBufMap extends Ring {
  /** Positions of records reserved and not yet submitted or discarded, oldest first. */
  #busy: number[] = [];

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec, Perm.ReadWrite);
    let set = RINGS.get(space);
    if (!set) RINGS.set(space, (set = new Set()));
    set.add(this);
  }

  protected override release(): void {
    RINGS.get(this.space)?.delete(this);
    super.release();
  }

  /** __bpf_ringbuf_reserve: the sample's address, or 0 when the ring has no room. */
  reserve(size: number): number {
    if (size > 0x3fffffff) return 0;
    const len = round8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.maxEntries) return 0;
    const prod = this.producerPos, next = prod + len;
    const pending = this.#busy.length ? this.#busy[0]! : prod;
    if (next - this.consumerPos > this.mask || next - pending > this.mask) return 0;
    const at = this.recordAt(prod);
    this.space.view.setUint32(at, size | BPF_RINGBUF_BUSY_BIT, true);
    this.space.view.setUint32(at + 4, 0, true);
    this.#busy.push(prod);
    this.producerPos = next;
    return at + BPF_RINGBUF_HDR_SZ;
  }

  /** bpf_ringbuf_submit / bpf_ringbuf_discard of the sample at `sample`; false for an address that is no reserved sample. */
  commit(sample: number, discard: boolean, flags = 0): boolean {
    const at = sample - BPF_RINGBUF_HDR_SZ;
    const pos = this.#busy.findIndex((p) => this.recordAt(p) === at);
    if (pos < 0) return false;
    this.#busy.splice(pos, 1);
    const hdr = this.space.view.getUint32(at, true) & ~BPF_RINGBUF_BUSY_BIT;
    this.space.view.setUint32(at, discard ? hdr | BPF_RINGBUF_DISCARD_BIT : hdr, true);
    if (!(flags & BPF_RB_NO_WAKEUP)) this.notify();
    return true;
  }

  /** bpf_ringbuf_output: 0, or -EAGAIN when there is no room. */
  output(bytes: Uint8Array, flags = 0): number {
    const at = this.reserve(bytes.length);
    if (at === 0) return -Errno.EAGAIN;
    this.space.u8.set(bytes, at);
    this.commit(at, false, flags);
    return 0;
  }
}

/** BPF_MAP_TYPE_USER_RINGBUF: userspace produces with `submit`, programs drain (bpf_user_ringbuf_drain). */
export class UserRingBufMap extends Ring {
  constructor(space: AddressSpace, spec: UserMapSpec) {
    // Programs read samples only through the drain callback's dynptr.
    super(space, spec, Perm.Read);
  }

  /** Writes one sample (user_ring_buffer__reserve + submit); false when the ring has no room. */
  submit(bytes: Uint8Array): boolean {
    this.live();
    const len = round8(bytes.length + BPF_RINGBUF_HDR_SZ);
    const prod = this.producerPos;
    if (len > this.maxEntries || prod + len - this.consumerPos > this.maxEntries) return false;
    const at = this.recordAt(prod);
    this.space.view.setUint32(at, bytes.length, true);
    this.space.view.setUint32(at + 4, 0, true);
    this.space.u8.set(bytes, at + BPF_RINGBUF_HDR_SZ);
    this.producerPos = prod + len;
    return true;
  }

  /** The samples a drain would hand a program, at most `max`, as (address, size) in the space. */
  drainRecords(max: number): { addr: number; size: number }[] {
    const out: { addr: number; size: number }[] = [];
    let cons = this.consumerPos;
    const view = this.space.view;
    while (out.length < max && cons < this.producerPos) {
      const at = this.recordAt(cons);
      const hdr = view.getUint32(at, true);
      const len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if (!(hdr & BPF_RINGBUF_DISCARD_BIT)) out.push({ addr: at + BPF_RINGBUF_HDR_SZ, size: len });
      cons += round8(len + BPF_RINGBUF_HDR_SZ);
    }
    this.consumerPos = cons;
    return out;
  }
}

/**
 * A ring buffer consumer for a runtime's ring buffer: `poll()` hands every committed
 * record to the callback; `for await (const r of reader)` yields records as programs
 * submit them, until `close()`.
 */
export class RingBufReader implements AsyncIterable<Uint8Array> {
  #closed = false;

  constructor(readonly map: RingBufMap, readonly callback?: (record: Uint8Array) => void) {}

  /** Consumes what is there: records given to the callback (or returned); the count. */
  poll(): number {
    return this.map.consume((r) => this.callback?.(r));
  }

  /** Every committed record, consumed. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.map.consume((r) => out.push(r));
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (!this.#closed && !this.map.closed) {
      const batch = this.read();
      if (batch.length) { yield* batch; continue; }
      await this.map.waitForData();
    }
  }

  /** Ends the async iteration. */
  close(): void {
    this.#closed = true;
    this.map.notify();
  }
}
