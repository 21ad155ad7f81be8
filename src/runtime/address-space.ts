/**
 * @fileoverview The one address space of a runtime: a `WebAssembly.Memory` holding every
 * region a program can point into (stack, context, packet, map values, ring buffers,
 * global data), each with its bounds and permissions. Addresses are plain numbers below
 * 2^31, so a 64-bit register holding a pointer has a zero high half; the first 64 KiB are
 * never handed out, so null and small offsets from it always fault. The JIT shares this
 * model: it compiles loads and stores to the same linear memory.
 */

import { BpfError } from "../errors.js";

/** Access rights of a region. */
export const enum Perm {
  None = 0,
  /** the program may load from it */
  Read = 1,
  /** the program may store to it (always together with Read) */
  Write = 2,
  ReadWrite = 3,
}

/** What a region holds: for messages, and for helpers that accept only some kinds. */
export type RegionKind = "stack" | "ctx" | "packet" | "map" | "ringbuf" | "rodata" | "data" | "bss" | "memory" | "other";

/** The first valid address: one WebAssembly page of guard, so that null + off always faults. */
export const GUARD_SIZE = 0x10000;
/** Unowned bytes kept between two allocations, so a small overrun lands outside every region. */
export const GAP = 16;
const WASM_PAGE = 0x10000;
/** 2^31 bytes: every address fits a non-negative int32. */
const MAX_PAGES = 0x8000;
const ALIGN = 16;

export interface RegionOptions {
  readonly name: string;
  readonly kind: RegionKind;
  readonly size: number;
  readonly perm: Perm;
  /**
   * Sub-ranges with their own permission (ctx fields a program may write, say). Parts are
   * separate regions for access checks, so one access must fall within one part.
   */
  readonly parts?: readonly { readonly name?: string; readonly offset: number; readonly size: number; readonly perm: Perm }[];
}

/**
 * A range of the address space a program may access. `base`/`size` is the allocation;
 * the accessible window `[lo, hi)` lies within it (a packet's headroom and tailroom are
 * allocated but outside the window until a helper moves `data` or `data_end`).
 */
export class Region {
  /** The slot in the space's bounds tables; interpreters cache it per instruction. */
  readonly id: number;
  readonly name: string;
  readonly kind: RegionKind;
  readonly base: number;
  readonly size: number;
  #perm: Perm;
  #lo: number;
  #hi: number;
  /** The allocation this region was carved from (itself, for a whole allocation). */
  readonly block: Region;
  /** Sub-regions with their own permissions, in address order; empty for most regions. */
  readonly parts: Region[] = [];
  #space: AddressSpace;
  #freed = false;

  /** @internal regions are made by `AddressSpace.alloc` only */
  constructor(space: AddressSpace, id: number, o: { name: string; kind: RegionKind; base: number; size: number; perm: Perm; block?: Region }) {
    this.#space = space;
    this.id = id;
    this.name = o.name;
    this.kind = o.kind;
    this.base = o.base;
    this.size = o.size;
    this.#perm = o.perm;
    this.#lo = o.base;
    this.#hi = o.base + o.size;
    this.block = o.block ?? this;
  }

  get perm(): Perm { return this.#perm; }
  /** First accessible address. */
  get lo(): number { return this.#lo; }
  /** One past the last accessible address. */
  get hi(): number { return this.#hi; }
  get end(): number { return this.base + this.size; }
  get freed(): boolean { return this.#freed; }

  /** Moves the accessible window; it must stay inside the allocation. */
  setWindow(lo: number, hi: number): void {
    if (lo < this.base || hi > this.end || lo > hi) {
      throw new BpfError("EINVAL", `region ${this.name}: window [${hex(lo)}, ${hex(hi)}) is outside [${hex(this.base)}, ${hex(this.end)})`);
    }
    this.#lo = lo;
    this.#hi = hi;
    this.#space._publish(this);
  }

  setPerm(perm: Perm): void {
    this.#perm = perm;
    this.#space._publish(this);
  }

  /** A fresh view of the whole allocation (views die when the memory grows). */
  bytes(): Uint8Array {
    return new Uint8Array(this.#space.memory.buffer, this.base, this.size);
  }

  /** A fresh view of the accessible window. */
  windowBytes(): Uint8Array {
    return new Uint8Array(this.#space.memory.buffer, this.#lo, this.#hi - this.#lo);
  }

  /** Returns the allocation to the space; the region and its parts stop being valid. */
  free(): void {
    this.#space.free(this);
  }

  /** @internal */
  _kill(): void {
    this.#freed = true;
    this.#lo = this.#hi = 0;
    this.#perm = Perm.None;
  }

  /** `ctx [0x10000, 0x10018) r-` */
  describe(): string {
    const p = `${this.#perm & Perm.Read ? "r" : "-"}${this.#perm & Perm.Write ? "w" : "-"}`;
    return `${this.name} [${hex(this.#lo)}, ${hex(this.#hi)}) ${p}`;
  }
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/**
 * The linear memory and its regions. Bounds live in typed arrays indexed by region id
 * (`readLo`/`readHi` for loads, `writeLo`/`writeHi` for stores, empty for regions that
 * forbid the access), so the interpreter checks an access with two compares against the
 * region it last hit. Id 0 is a region that contains nothing.
 */
export class AddressSpace {
  readonly memory: LinearMemory;
  /** Views over `memory.buffer`; replaced whenever the memory grows (see `generation`). */
  u8!: Uint8Array;
  view!: DataView;
  /** Bumped whenever the views are replaced. */
  generation = 0;
  readLo = new Int32Array(64);
  readHi = new Int32Array(64);
  writeLo = new Int32Array(64);
  writeHi = new Int32Array(64);
  /** Bumped whenever the bounds tables are replaced (grown). */
  tablesGeneration = 0;
  /** Bumped whenever a region's bounds or rights change, so caches of them (the JIT's) know. */
  layoutVersion = 0;

  #regions: (Region | undefined)[] = [undefined];
  #freeIds: number[] = [];
  /** Live regions that take accesses (parts, or blocks without parts), by base address. */
  #sorted: Region[] = [];
  #top = GUARD_SIZE;
  /** Free blocks [base, size], by address, merged when adjacent. */
  #holes: [number, number][] = [];

  constructor(options: { initialPages?: number; maximumPages?: number } = {}) {
    const maximum = Math.min(options.maximumPages ?? MAX_PAGES, MAX_PAGES);
    this.memory = newMemory(Math.max(options.initialPages ?? 4, 2), maximum);
    this.#refresh();
  }

  #refresh(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.view = new DataView(this.memory.buffer);
    this.generation++;
  }

  /** Allocates a zeroed region. */
  alloc(o: RegionOptions): Region {
    if (!Number.isInteger(o.size) || o.size < 0) throw new BpfError("EINVAL", `region ${o.name}: size ${o.size} is not a byte count`);
    const need = roundUp(Math.max(o.size, 1), ALIGN) + GAP;
    let base = -1;
    for (let i = 0; i < this.#holes.length; i++) {
      const [b, s] = this.#holes[i]!;
      if (s >= need) {
        base = b;
        if (s === need) this.#holes.splice(i, 1);
        else this.#holes[i] = [b + need, s - need];
        break;
      }
    }
    if (base < 0) {
      base = this.#top;
      this.#ensure(base + need);
      this.#top += need;
    }
    this.u8.fill(0, base, base + need);
    const block = this.#make({ name: o.name, kind: o.kind, base, size: o.size, perm: o.perm });
    if (o.parts && o.parts.length > 0) this.#carve(block, o);
    else this.#insert(block);
    this.#publishAll(block);
    return block;
  }

  /** Splits a block into parts covering it: the given ones, and the block's perm elsewhere. */
  #carve(block: Region, o: RegionOptions): void {
    const parts = [...o.parts!].sort((a, b) => a.offset - b.offset);
    let at = 0;
    const add = (offset: number, size: number, perm: Perm, name: string) => {
      if (size <= 0) return;
      const part = this.#make({ name, kind: o.kind, base: block.base + offset, size, perm, block });
      block.parts.push(part);
      this.#insert(part);
    };
    for (const p of parts) {
      if (p.offset < at || p.offset + p.size > o.size) throw new BpfError("EINVAL", `region ${o.name}: parts overlap or overrun`);
      add(at, p.offset - at, o.perm, o.name);
      add(p.offset, p.size, p.perm, p.name ?? `${o.name}+${p.offset}`);
      at = p.offset + p.size;
    }
    add(at, o.size - at, o.perm, o.name);
    // The block itself takes no accesses when it has parts.
    this.readLo[block.id] = this.readHi[block.id] = this.writeLo[block.id] = this.writeHi[block.id] = 0;
  }

  #make(o: { name: string; kind: RegionKind; base: number; size: number; perm: Perm; block?: Region }): Region {
    const id = this.#freeIds.pop() ?? this.#regions.length;
    if (id >= this.readLo.length) this.#growTables(id + 1);
    const r = new Region(this, id, o);
    this.#regions[id] = r;
    return r;
  }

  #growTables(min: number): void {
    const n = Math.max(min, this.readLo.length * 2);
    const grow = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    this.readLo = grow(this.readLo);
    this.readHi = grow(this.readHi);
    this.writeLo = grow(this.writeLo);
    this.writeHi = grow(this.writeHi);
    this.tablesGeneration++;
  }

  #insert(r: Region): void {
    const i = this.#lowerBound(r.base);
    this.#sorted.splice(i, 0, r);
  }

  #lowerBound(addr: number): number {
    let lo = 0, hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#sorted[mid]!.base < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #publishAll(block: Region): void {
    if (block.parts.length === 0) this._publish(block);
    for (const p of block.parts) this._publish(p);
  }

  /** @internal copies a region's window and rights into the bounds tables */
  _publish(r: Region): void {
    this.layoutVersion++;
    if (r.block === r && r.parts.length > 0) return;
    const readable = (r.perm & Perm.Read) !== 0;
    const writable = (r.perm & Perm.Write) !== 0;
    this.readLo[r.id] = readable ? r.lo : 0;
    this.readHi[r.id] = readable ? r.hi : 0;
    this.writeLo[r.id] = writable ? r.lo : 0;
    this.writeHi[r.id] = writable ? r.hi : 0;
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / WASM_PAGE);
    try {
      this.memory.grow(Math.max(pages, Math.ceil(have / WASM_PAGE / 2)));
    } catch {
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new BpfError("EINVAL", `address space: cannot grow to ${end} bytes`, { cause: e });
      }
    }
    this.#refresh();
  }

  free(r: Region): void {
    const block = r.block;
    if (block.freed) return;
    for (const p of [block, ...block.parts]) {
      const i = this.#sorted.indexOf(p);
      if (i >= 0) this.#sorted.splice(i, 1);
      p._kill();
      this._publish(p);
      this.readLo[p.id] = this.readHi[p.id] = this.writeLo[p.id] = this.writeHi[p.id] = 0;
      this.#regions[p.id] = undefined;
      this.#freeIds.push(p.id);
    }
    this.#release(block.base, roundUp(Math.max(block.size, 1), ALIGN) + GAP);
  }

  #release(base: number, size: number): void {
    const holes = this.#holes;
    let i = 0;
    while (i < holes.length && holes[i]![0] < base) i++;
    holes.splice(i, 0, [base, size]);
    // Merge with the next, then the previous; a hole at the top returns to the bump pointer.
    if (i + 1 < holes.length && holes[i]![0] + holes[i]![1] === holes[i + 1]![0]) {
      holes[i]![1] += holes[i + 1]![1];
      holes.splice(i + 1, 1);
    }
    if (i > 0 && holes[i - 1]![0] + holes[i - 1]![1] === holes[i]![0]) {
      holes[i - 1]![1] += holes[i]![1];
      holes.splice(i, 1);
      i--;
    }
    const last = holes[holes.length - 1];
    if (last && last[0] + last[1] === this.#top) {
      this.#top = last[0];
      holes.pop();
    }
  }

  /** The region with this id, if live. */
  region(id: number): Region | undefined {
    return this.#regions[id];
  }

  /** Live regions that take accesses, by address. */
  regions(): readonly Region[] {
    return this.#sorted;
  }

  /** The accessible region holding all of `[addr, addr + size)`, whatever its rights. */
  find(addr: number, size: number): Region | undefined {
    const i = this.#lowerBound(addr + 1) - 1;
    const r = this.#sorted[i];
    if (r && addr >= r.lo && addr + size <= r.hi) return r;
    return undefined;
  }

  /** The region whose allocation is nearest to `addr`, to explain a fault. */
  nearest(addr: number): Region | undefined {
    let best: Region | undefined, dist = Infinity;
    for (const r of this.#sorted) {
      const d = addr < r.lo ? r.lo - addr : addr >= r.hi ? addr - r.hi + 1 : 0;
      if (d < dist) { dist = d; best = r; }
    }
    return best;
  }

  /**
   * The id of a region allowing the access, or 0. `addr` is a full 64-bit address as
   * a number (it may exceed 2^32 or be negative: nothing is there).
   */
  check(addr: number, size: number, write: boolean): number {
    if (addr < GUARD_SIZE || addr + size > 0x80000000) return 0;
    const r = this.find(addr, size);
    if (!r) return 0;
    const lo = write ? this.writeLo : this.readLo, hi = write ? this.writeHi : this.readHi;
    return addr >= lo[r.id]! && addr + size <= hi[r.id]! ? r.id : 0;
  }

  /** Bytes used by allocations, for tests of the allocator. */
  get top(): number { return this.#top; }
}

/** The part of `WebAssembly.Memory` used here (the project's lib settings lack its types). */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

type MemoryConstructor = new (d: { initial: number; maximum?: number }) => LinearMemory;

function newMemory(initial: number, maximum: number): LinearMemory {
  const Memory = (globalThis as unknown as { WebAssembly?: { Memory: MemoryConstructor } }).WebAssembly?.Memory;
  if (!Memory) throw new BpfError("ENOTSUP", "not supported: WebAssembly.Memory (this host has no WebAssembly)");
  return new Memory({ initial, maximum });
}

export const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;
