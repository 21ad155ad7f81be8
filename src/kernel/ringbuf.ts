/**
 * @fileoverview A consumer of a kernel ring buffer (BPF_MAP_TYPE_RINGBUF), as libbpf's
 * ring_buffer: the consumer page mapped read-write, the producer page and the data
 * (mapped twice by the kernel, so records that wrap are contiguous) read-only; records
 * are taken from consumer_pos up to producer_pos, stopping at one still busy. The same
 * shape as the runtime's RingBufReader: `poll`, `read`, an async iterator, `close`; and
 * as ring_buffer__poll, `wait(timeout)` sleeps in epoll until the kernel wakes it.
 */

import { BpfError } from "../errors.js";
import type { KernelMap } from "./map.js";
import { epollWatch, mmapFd, type EpollSet, type Mapping } from "./native.js";

const PAGE_SIZE = 4096;
/** BPF_RINGBUF_BUSY_BIT */
const BUSY = 0x80000000;
/** BPF_RINGBUF_DISCARD_BIT */
const DISCARD = 0x40000000;
/** BPF_RINGBUF_HDR_SZ */
const HDR = 8;

export class KernelRingBufReader implements AsyncIterable<Uint8Array> {
  readonly #consumer: Mapping;
  readonly #producer: Mapping;
  readonly #cons: DataView;
  readonly #prod: DataView;
  readonly #data: Uint8Array;
  readonly #mask: number;
  readonly #epoll: EpollSet;
  #closed = false;

  /** `intervalMs`: the longest the async iterator and `run` sleep in epoll before looking again. */
  constructor(readonly map: KernelMap, readonly callback?: (record: Uint8Array) => void, readonly intervalMs = 100) {
    if (map.typeName !== "ringbuf") throw new BpfError("EINVAL", `map "${map.name}" is a ${map.typeName}, not a ringbuf`);
    const size = map.maxEntries;
    this.#mask = size - 1;
    this.#consumer = mmapFd(map.fd, PAGE_SIZE, 0, true, `map ring buffer "${map.name}" (consumer page)`);
    try {
      this.#producer = mmapFd(map.fd, PAGE_SIZE + 2 * size, PAGE_SIZE, false, `map ring buffer "${map.name}" (data)`);
    } catch (e) {
      this.#consumer.unmap();
      throw e;
    }
    this.#cons = new DataView(this.#consumer.bytes.buffer, this.#consumer.bytes.byteOffset, 8);
    this.#prod = new DataView(this.#producer.bytes.buffer, this.#producer.bytes.byteOffset, 8);
    this.#data = this.#producer.bytes.subarray(PAGE_SIZE);
    try {
      this.#epoll = epollWatch([map.fd], `map ring buffer "${map.name}" (epoll)`);
    } catch (e) {
      this.#consumer.unmap();
      this.#producer.unmap();
      throw e;
    }
  }

  /** Hands every committed record to `fn`; the number handed. */
  #consume(fn: (r: Uint8Array) => void): number {
    if (this.#closed) return 0;
    let cons = Number(this.#cons.getBigUint64(0, true));
    const prod = Number(this.#prod.getBigUint64(0, true));
    let n = 0;
    const view = new DataView(this.#data.buffer, this.#data.byteOffset, this.#data.length);
    while (cons < prod) {
      const at = cons & this.#mask;
      const hdr = view.getUint32(at, true);
      if (hdr & BUSY) break;
      const len = hdr & ~(BUSY | DISCARD);
      if (!(hdr & DISCARD)) {
        fn(this.#data.slice(at + HDR, at + HDR + len));
        n++;
      }
      cons += (len + HDR + 7) & ~7;
      this.#cons.setBigUint64(0, BigInt(cons), true);
    }
    return n;
  }

  /** Consumes what is there, giving each record to the callback; the count. */
  poll(): number {
    return this.#consume((r) => this.callback?.(r));
  }

  /** Every committed record, consumed. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#consume((r) => out.push(r));
    return out;
  }

  /** Records not yet consumed, in bytes (producer minus consumer position). */
  get available(): number {
    if (this.#closed) return 0;
    return Number(this.#prod.getBigUint64(0, true) - this.#cons.getBigUint64(0, true));
  }

  /**
   * As ring_buffer__poll: waits up to `timeoutMs` for the kernel's wake-up (epoll on the
   * map), then consumes what is there through the callback; the count.
   */
  async wait(timeoutMs: number): Promise<number> {
    const now = this.poll();
    if (now > 0 || this.#closed) return now;
    await this.#epoll.wait(timeoutMs);
    return this.poll();
  }

  /** Calls the callback with every record until `close()` or `signal` aborts; the total count. */
  async run(signal?: AbortSignal): Promise<number> {
    let n = 0;
    while (!this.#closed && !signal?.aborted) n += await this.wait(this.intervalMs);
    return n + this.poll();
  }

  /**
   * Records as they come, until `close()`. Between batches it sleeps in epoll; the
   * kernel wakes it on a submit (a wake-up can be skipped by the program's
   * BPF_RB_NO_WAKEUP, hence the `intervalMs` bound on each sleep).
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (!this.#closed) {
      const batch = this.read();
      if (batch.length) { yield* batch; continue; }
      await this.#epoll.wait(this.intervalMs);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoll.close();
    this.#consumer.unmap();
    this.#producer.unmap();
  }
}
