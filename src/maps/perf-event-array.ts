/**
 * @fileoverview BPF_MAP_TYPE_PERF_EVENT_ARRAY and BPF_MAP_TYPE_CGROUP_ARRAY: arrays of
 * references to kernel objects (perf events, cgroups), set from userspace by fd. Here a
 * slot holds an id: for a perf event array, the id of a `PerfBuffer` (the userspace end
 * that bpf_perf_event_output writes to, one per CPU as the kernel's per-CPU rings); for a
 * cgroup array, a cgroup id that current_task_under_cgroup checks against `cgroupsOf`.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { BpfMap, Errno, type UserMapSpec } from "./map.js";

const u32At = (b: Uint8Array, at = 0): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const keyOf = (i: number): Uint8Array => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24);

/** An array of u32 ids with fd_array semantics: BPF_ANY only, ENOENT deleting an empty slot, no userspace lookups. */
abstract class IdArrayMap extends BpfMap {
  protected readonly ids: Uint32Array;

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.ids = new Uint32Array(spec.maxEntries);
  }

  protected lookupKey(): number {
    return 0;
  }

  /** fd_array_map_lookup_elem: userspace cannot read the objects back. */
  override get(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    return this.fail(Errno.EOPNOTSUPP, "look up in");
  }

  /** Whether an id names an object this array may hold. */
  protected abstract valid(id: number): boolean;

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    const i = u32At(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const id = u32At(value);
    if (!this.valid(id)) return -Errno.EBADF;
    this.ids[i] = id;
    return 0;
  }

  protected deleteKey(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.ids[i] === 0) return -Errno.ENOENT;
    this.ids[i] = 0;
    return 0;
  }

  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    const i = key ? u32At(key) : this.maxEntries;
    if (i >= this.maxEntries) return keyOf(0);
    if (i === this.maxEntries - 1) return -Errno.ENOENT;
    return keyOf(i + 1);
  }

  /** The id in slot `i`, 0 for none. */
  slot(i: number): number {
    return i < this.maxEntries ? this.ids[i]! : 0;
  }

  protected release(): void {
    this.ids.fill(0);
  }
}

/** One sample bpf_perf_event_output wrote: the CPU's ring it went to, and its bytes. */
export interface PerfSample {
  readonly cpu: number;
  readonly data: Uint8Array;
}

const BUFFERS = new Map<number, PerfBuffer>();
let nextBufferId = 1;

/**
 * The userspace end of one perf event ring (what perf_event_open gives the kernel's
 * perf buffer readers). Samples queue here until read; beyond `capacity` bytes unread,
 * new samples are lost and counted, as a full perf ring drops them.
 */
export class PerfBuffer {
  readonly id = nextBufferId++;
  readonly samples: PerfSample[] = [];
  lost = 0;
  /** Called after each sample is queued (a reader waiting for data). */
  onWrite: (() => void) | undefined;
  #bytes = 0;
  #listener: ((s: PerfSample) => void) | undefined;

  constructor(readonly cpu: number, readonly capacity = 64 * 4096) {
    BUFFERS.set(this.id, this);
  }

  /** Called by bpf_perf_event_output: false when the ring is full (the sample is lost). */
  write(data: Uint8Array): boolean {
    // perf_event_output's record: a perf_event_header (8) and a u32 size before the raw bytes.
    const need = 8 + 4 + data.length;
    if (this.#bytes + need > this.capacity) {
      this.lost++;
      return false;
    }
    // The kernel pads a raw sample so its u32 size and the data fill whole u64s: readers see the padding.
    const padded = new Uint8Array(((data.length + 4 + 7) & ~7) - 4);
    padded.set(data);
    const s = { cpu: this.cpu, data: padded };
    if (this.#listener) this.#listener(s);
    else {
      this.samples.push(s);
      this.#bytes += need;
      this.onWrite?.();
    }
    return true;
  }

  /** Takes every unread sample. */
  read(): PerfSample[] {
    const out = this.samples.splice(0);
    this.#bytes = 0;
    return out;
  }

  /** Calls `fn` for each sample from now on, instead of queueing it (undefined queues again). */
  onSample(fn: ((s: PerfSample) => void) | undefined): void {
    this.#listener = fn;
    if (fn) for (const s of this.read()) fn(s);
  }

  close(): void {
    BUFFERS.delete(this.id);
  }
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY: slot i (usually a CPU number) holds a PerfBuffer's id. */
export class PerfEventArrayMap extends IdArrayMap {
  protected valid(id: number): boolean {
    return BUFFERS.has(id);
  }

  /** The buffer in slot `i`, if any. */
  buffer(i: number): PerfBuffer | undefined {
    return BUFFERS.get(this.slot(i));
  }
}

/**
 * Reads every CPU's samples of a perf event array, as cilium/ebpf's perf.Reader: opens a
 * PerfBuffer per CPU (slot = CPU) and reads them in CPU order.
 */
export class PerfReader implements AsyncIterable<PerfSample> {
  readonly buffers: PerfBuffer[];
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(readonly map: PerfEventArrayMap, o: { capacity?: number } = {}) {
    const n = Math.min(map.maxEntries, map.cpus);
    this.buffers = Array.from({ length: n }, (_, cpu) => {
      const b = new PerfBuffer(cpu, o.capacity);
      b.onWrite = () => this.#wake();
      map.set(keyOf(cpu), keyOf(b.id));
      return b;
    });
  }

  /** Every unread sample, CPU by CPU. */
  read(): PerfSample[] {
    return this.buffers.flatMap((b) => b.read());
  }

  /** Samples lost because a ring was full. */
  get lost(): number {
    return this.buffers.reduce((n, b) => n + b.lost, 0);
  }

  /** Calls `fn` with each sample as it is written. */
  onSample(fn: ((s: PerfSample) => void) | undefined): void {
    for (const b of this.buffers) b.onSample(fn);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Samples as programs write them, until `close()`. */
  async *[Symbol.asyncIterator](): AsyncIterator<PerfSample> {
    while (!this.#closed) {
      const batch = this.read();
      if (batch.length) { yield* batch; continue; }
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    for (let cpu = 0; cpu < this.buffers.length; cpu++) {
      if (!this.map.closed) this.map.delete(keyOf(cpu));
      this.buffers[cpu]!.close();
    }
  }
}

/** The cgroup hierarchy of the current task: its cgroup id and its ancestors' (root first). */
const CGROUPS = new WeakMap<AddressSpace, { ancestors: readonly number[] }>();

/** The current task's cgroup and its ancestors, root first (default: only the root, id 1). */
export function cgroupsOf(space: AddressSpace): readonly number[] {
  return CGROUPS.get(space)?.ancestors ?? [1];
}

/** Sets the current task's cgroup path as ids, root first and the task's own cgroup last. */
export function setCgroups(space: AddressSpace, ancestors: readonly number[]): void {
  CGROUPS.set(space, { ancestors: [...ancestors] });
}

/** BPF_MAP_TYPE_CGROUP_ARRAY: slots hold cgroup ids (any id but 0 is a cgroup). */
export class CgroupArrayMap extends IdArrayMap {
  protected valid(id: number): boolean {
    return id !== 0;
  }

  /** bpf_current_task_under_cgroup: 1 under the slot's cgroup, 0 not, -E2BIG out of range, -EAGAIN for an empty slot. */
  taskUnder(index: number): number {
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const id = this.ids[index]!;
    if (id === 0) return -Errno.EAGAIN;
    return cgroupsOf(this.space).includes(id) ? 1 : 0;
  }
}
