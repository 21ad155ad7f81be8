/**
 * @fileoverview A reader of a kernel perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY), as
 * cilium/ebpf's perf.Reader: one PERF_COUNT_SW_BPF_OUTPUT event per CPU, its ring mapped
 * (the perf_event_mmap_page, then 2^n data pages), its fd written into the map's slot
 * for that CPU. Samples are PERF_RECORD_SAMPLE's raw bytes (padded by the kernel so
 * that the u32 size and the data fill whole u64s); PERF_RECORD_LOST records are counted.
 * As perf_buffer__poll, `wait(timeout)` sleeps in epoll on every CPU's event until one wakes.
 */

import { BpfError } from "../errors.js";
import { possibleCpus, type KernelMap } from "./map.js";
import { closeFd, epollWatch, mmapFd, perfEventOpen, type EpollSet, type Mapping } from "./native.js";

const PAGE_SIZE = 4096;
/** PERF_TYPE_SOFTWARE */
const PERF_TYPE_SOFTWARE = 1;
/** PERF_COUNT_SW_BPF_OUTPUT */
const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** PERF_SAMPLE_RAW */
const PERF_SAMPLE_RAW = 1 << 10;
/** PERF_FLAG_FD_CLOEXEC */
const PERF_FLAG_FD_CLOEXEC = 8;
/** PERF_RECORD_LOST */
const PERF_RECORD_LOST = 2;
/** PERF_RECORD_SAMPLE */
const PERF_RECORD_SAMPLE = 9;
/** Offsets of data_head and data_tail in struct perf_event_mmap_page. */
const DATA_HEAD = 1024, DATA_TAIL = 1032;

/** One sample and the CPU whose ring it came from (the shape of the runtime's PerfSample). */
export interface KernelPerfSample {
  readonly cpu: number;
  readonly data: Uint8Array;
}

interface Ring { readonly cpu: number; readonly fd: number; readonly mapping: Mapping; readonly meta: DataView; readonly data: Uint8Array }

export class KernelPerfReader {
  readonly #rings: Ring[] = [];
  /** Samples the kernel could not write because a ring was full. */
  lost = 0;
  #closed = false;
  #epoll: EpollSet | undefined;

  /** `pages`: data pages per CPU, a power of two. CPUs: the map's slots, at most the possible CPUs (default). */
  constructor(readonly map: KernelMap, o: { pages?: number; cpus?: number } = {}) {
    if (map.typeName !== "perf_event_array") throw new BpfError("EINVAL", `map "${map.name}" is a ${map.typeName}, not a perf_event_array`);
    const pages = o.pages ?? 8;
    if (pages < 1 || (pages & (pages - 1)) !== 0) throw new BpfError("EINVAL", `perf reader: ${pages} pages is not a power of two`);
    const attr = new Uint8Array(128);
    const a = new DataView(attr.buffer);
    a.setUint32(0, PERF_TYPE_SOFTWARE, true);
    a.setUint32(4, attr.length, true);
    a.setBigUint64(8, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
    a.setBigUint64(16, 1n, true); // sample_period
    a.setBigUint64(24, BigInt(PERF_SAMPLE_RAW), true);
    a.setUint32(48, 1, true); // wakeup_events
    // A slot per CPU that can exist: a map sized larger (max_entries 128) has slots no CPU writes.
    const n = Math.min(map.maxEntries, o.cpus ?? possibleCpus());
    try {
      for (let cpu = 0; cpu < n; cpu++) {
        const fd = perfEventOpen(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC, `perf reader for map "${map.name}", CPU ${cpu}`);
        let mapping: Mapping;
        try {
          mapping = mmapFd(fd, (1 + pages) * PAGE_SIZE, 0, true, `perf ring of CPU ${cpu}`);
        } catch (e) {
          closeFd(fd);
          throw e;
        }
        const ring = { cpu, fd, mapping, meta: new DataView(mapping.bytes.buffer, mapping.bytes.byteOffset, PAGE_SIZE), data: mapping.bytes.subarray(PAGE_SIZE) };
        this.#rings.push(ring);
        const key = new Uint8Array(4), value = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, cpu, true);
        new DataView(value.buffer).setUint32(0, fd, true);
        map.set(key, value);
      }
      this.#epoll = epollWatch(this.#rings.map((r) => r.fd), `perf reader for map "${map.name}" (epoll)`);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Every unread sample, CPU by CPU. */
  read(): KernelPerfSample[] {
    const out: KernelPerfSample[] = [];
    if (this.#closed) return out;
    for (const r of this.#rings) {
      const head = Number(r.meta.getBigUint64(DATA_HEAD, true));
      let tail = Number(r.meta.getBigUint64(DATA_TAIL, true));
      const size = r.data.length;
      const byte = (pos: number) => r.data[pos % size]!;
      const u32 = (pos: number) => (byte(pos) | (byte(pos + 1) << 8) | (byte(pos + 2) << 16) | (byte(pos + 3) << 24)) >>> 0;
      while (tail < head) {
        const type = u32(tail), len = byte(tail + 6) | (byte(tail + 7) << 8);
        if (len === 0) break;
        if (type === PERF_RECORD_SAMPLE) {
          const n = u32(tail + 8);
          const data = new Uint8Array(n);
          for (let i = 0; i < n; i++) data[i] = byte(tail + 12 + i);
          out.push({ cpu: r.cpu, data });
        } else if (type === PERF_RECORD_LOST) {
          this.lost += u32(tail + 16) + u32(tail + 20) * 2 ** 32;
        }
        tail += len;
      }
      r.meta.setBigUint64(DATA_TAIL, BigInt(tail), true);
    }
    return out;
  }

  /** As perf_buffer__poll: waits up to `timeoutMs` for a wake-up from any CPU's ring, then reads. */
  async wait(timeoutMs: number): Promise<KernelPerfSample[]> {
    const now = this.read();
    if (now.length || this.#closed) return now;
    await this.#epoll?.wait(timeoutMs);
    return this.read();
  }

  /** Samples as they come, until `close()`, sleeping in epoll (at most 100 ms at a time) between batches. */
  async *[Symbol.asyncIterator](): AsyncIterator<KernelPerfSample> {
    while (!this.#closed) {
      const batch = this.read();
      if (batch.length) { yield* batch; continue; }
      await this.#epoll?.wait(100);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoll?.close();
    for (const r of this.#rings) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, r.cpu, true);
      try { if (!this.map.closed) this.map.delete(key); } catch { /* the slot may be gone already */ }
      r.mapping.unmap();
      closeFd(r.fd);
    }
    this.#rings.length = 0;
  }
}
