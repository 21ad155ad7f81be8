/**
 * @fileoverview Memory outside the runtime's address space: a sparse model of kernel (or
 * user) memory at 64-bit addresses, and kernel structs laid out by BTF and written field by
 * field (`KernelStruct.create(memory, vmlinux, "task_struct").set("pid", 42)`), so that
 * bpf_probe_read_kernel walks the objects a test chose.
 */

import type { Btf, BtfMember, BtfType } from "../btf/types.js";
import { BpfError } from "../errors.js";

interface Chunk { readonly base: bigint; readonly bytes: Uint8Array }

/** Chunks of bytes at 64-bit addresses; reads of unmapped bytes fail, as a faulting probe read does. */
export class SparseMemory {
  readonly #chunks: Chunk[] = [];
  #next: bigint;

  /** `name` is for messages; allocations start at `allocBase` (a direct-map address for kernel memory). */
  constructor(readonly name: string, allocBase: bigint = name === "user" ? 0x7f0000000000n : 0xffff888010000000n) {
    this.#next = allocBase;
  }

  /** Maps `size` zeroed bytes at a fresh address, aligned to `align`; returns the address. */
  alloc(size: number, align = 64): bigint {
    const a = BigInt(align);
    const base = ((this.#next + a - 1n) / a) * a;
    this.#next = base + BigInt(Math.max(size, 1)) + 64n; // a gap, so an overrun reads unmapped bytes
    this.map(base, new Uint8Array(size));
    return base;
  }

  /** Maps `bytes` (kept, not copied) at `address`; they must not overlap a mapped chunk. */
  map(address: bigint, bytes: Uint8Array): void {
    const end = address + BigInt(bytes.length);
    for (const c of this.#chunks) {
      if (address < c.base + BigInt(c.bytes.length) && c.base < end) throw new BpfError("EINVAL", `${this.name} memory: 0x${address.toString(16)} overlaps a mapped range`);
    }
    this.#chunks.push({ base: address, bytes });
    this.#chunks.sort((x, y) => (x.base < y.base ? -1 : 1));
  }

  #at(address: bigint): { chunk: Chunk; off: number } | undefined {
    for (const c of this.#chunks) {
      if (address >= c.base && address < c.base + BigInt(c.bytes.length)) return { chunk: c, off: Number(address - c.base) };
    }
    return undefined;
  }

  /** `size` bytes from `address` (a copy), or undefined if any of them is unmapped. */
  read(address: bigint, size: number): Uint8Array | undefined {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const at = this.#at(address + BigInt(done));
      if (!at) return undefined;
      const n = Math.min(size - done, at.chunk.bytes.length - at.off);
      out.set(at.chunk.bytes.subarray(at.off, at.off + n), done);
      done += n;
    }
    return out;
  }

  /** One byte, or -1 where nothing is mapped. */
  byte(address: bigint): number {
    const at = this.#at(address);
    return at ? at.chunk.bytes[at.off]! : -1;
  }

  /** Writes `bytes` at `address`; false (and nothing written) if any byte is unmapped. */
  write(address: bigint, bytes: Uint8Array): boolean {
    if (!this.read(address, bytes.length)) return false;
    let done = 0;
    while (done < bytes.length) {
      const at = this.#at(address + BigInt(done))!;
      const n = Math.min(bytes.length - done, at.chunk.bytes.length - at.off);
      at.chunk.bytes.set(bytes.subarray(done, done + n), at.off);
      done += n;
    }
    return true;
  }

  /** Maps a NUL-terminated copy of `text` and returns its address. */
  string(text: string): bigint {
    const bytes = new TextEncoder().encode(text);
    const a = this.alloc(bytes.length + 1, 8);
    this.write(a, bytes);
    return a;
  }
}

/** Where a field lies in a struct: byte offset, bit position for bitfields, and its type. */
export interface FieldPlace {
  readonly offset: number;
  /** For bitfields: the bit offset within the byte at `offset`'s containing unit, and the width. */
  readonly bitOffset: number;
  readonly bitSize: number;
  readonly typeId: number;
  readonly type: BtfType;
  readonly size: number;
}

/** A struct (or union) of a BTF type at an address of a SparseMemory, read and written by field name. */
export class KernelStruct {
  constructor(readonly memory: SparseMemory, readonly btf: Btf, readonly typeId: number, readonly address: bigint) {}

  /** Allocates a zeroed struct of the named type (a struct or union of `btf`). */
  static create(memory: SparseMemory, btf: Btf, typeName: string): KernelStruct {
    const t = btf.byName(typeName).find((x) => x.kind === "struct" || x.kind === "union");
    if (!t) throw new BpfError("EINVAL", `btf: no struct ${typeName}`);
    return new KernelStruct(memory, btf, t.id, memory.alloc(btf.sizeof(t.id)));
  }

  /** The struct at `address`, whose bytes are already mapped. */
  static at(memory: SparseMemory, btf: Btf, typeName: string, address: bigint): KernelStruct {
    const t = btf.byName(typeName).find((x) => x.kind === "struct" || x.kind === "union");
    if (!t) throw new BpfError("EINVAL", `btf: no struct ${typeName}`);
    return new KernelStruct(memory, btf, t.id, address);
  }

  get typeName(): string { return this.btf.type(this.typeId).name; }

  /**
   * Finds a field by a path of member names through embedded structs and unions
   * ("pid", "thread_info.flags", "comm[0]"); members of anonymous structs and unions are
   * found by their own names, as C finds them.
   */
  field(path: string): FieldPlace {
    let typeId = this.typeId, offset = 0, bitOffset = 0, bitSize = 0;
    for (const part of path.split(".")) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(part);
      if (!m) throw new BpfError("EINVAL", `${this.typeName}: bad field path ${path}`);
      const t = this.btf.resolve(typeId);
      if (t.kind !== "struct" && t.kind !== "union") throw new BpfError("EINVAL", `${this.typeName}.${path}: ${m[1]} is not in a struct`);
      const found = findMember(this.btf, t.members, m[1]!);
      if (!found) throw new BpfError("EINVAL", `${this.typeName}: no field ${path}`);
      offset += Math.floor(found.bitOffset / 8);
      bitOffset = found.bitSize ? found.bitOffset % 8 : 0;
      bitSize = found.bitSize;
      typeId = found.type;
      for (const idx of m[2]!.match(/\d+/g) ?? []) {
        const arr = this.btf.resolve(typeId);
        if (arr.kind !== "array") throw new BpfError("EINVAL", `${this.typeName}.${path}: not an array`);
        const i = Number(idx);
        if (i >= arr.nelems) throw new BpfError("EINVAL", `${this.typeName}.${path}: index ${i} is past ${arr.nelems} elements`);
        offset += i * this.btf.sizeof(arr.type);
        typeId = arr.type;
      }
    }
    const type = this.btf.resolve(typeId);
    return { offset, bitOffset, bitSize, typeId, type, size: this.btf.sizeof(typeId) };
  }

  /** The address of a field. */
  addressOf(path: string): bigint {
    return this.address + BigInt(this.field(path).offset);
  }

  /**
   * Writes a field: a number or bigint (integers, enums, pointers, bitfields), a string (a
   * char array, NUL-padded), bytes, or another KernelStruct (a pointer field gets its address).
   */
  set(path: string, value: number | bigint | string | Uint8Array | KernelStruct): this {
    const f = this.field(path);
    const at = this.address + BigInt(f.offset);
    const fail = () => { throw new BpfError("EINVAL", `${this.typeName}.${path}: ${this.memory.name} memory at 0x${at.toString(16)} is not mapped`); };
    if (typeof value === "string" || value instanceof Uint8Array) {
      const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
      if (bytes.length > f.size || (typeof value === "string" && bytes.length >= f.size)) throw new BpfError("EINVAL", `${this.typeName}.${path}: ${bytes.length} bytes do not fit ${f.size}`);
      const out = new Uint8Array(f.size);
      out.set(bytes);
      if (!this.memory.write(at, out)) fail();
      return this;
    }
    const v = BigInt.asUintN(64, value instanceof KernelStruct ? value.address : BigInt(value));
    if (f.bitSize) {
      const span = Math.ceil((f.bitOffset + f.bitSize) / 8);
      const old = this.memory.read(at, span) ?? fail();
      let word = 0n;
      for (let k = span - 1; k >= 0; k--) word = (word << 8n) | BigInt(old[k]!);
      const mask = ((1n << BigInt(f.bitSize)) - 1n) << BigInt(f.bitOffset);
      word = (word & ~mask) | ((v << BigInt(f.bitOffset)) & mask);
      for (let k = 0; k < span; k++) old[k] = Number((word >> BigInt(8 * k)) & 0xffn);
      if (!this.memory.write(at, old)) fail();
      return this;
    }
    if (f.size > 8) throw new BpfError("EINVAL", `${this.typeName}.${path}: a ${f.size}-byte field takes bytes or a string`);
    const out = new Uint8Array(f.size);
    for (let k = 0; k < f.size; k++) out[this.btf.littleEndian ? k : f.size - 1 - k] = Number((v >> BigInt(8 * k)) & 0xffn);
    if (!this.memory.write(at, out)) fail();
    return this;
  }

  /** Reads an integer or pointer field (unsigned). */
  get(path: string): bigint {
    const f = this.field(path);
    const span = f.bitSize ? Math.ceil((f.bitOffset + f.bitSize) / 8) : f.size;
    const b = this.memory.read(this.address + BigInt(f.offset), span);
    if (!b) throw new BpfError("EINVAL", `${this.typeName}.${path}: not mapped`);
    let v = 0n;
    for (let k = span - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[this.btf.littleEndian || f.bitSize ? k : span - 1 - k]!);
    return f.bitSize ? (v >> BigInt(f.bitOffset)) & ((1n << BigInt(f.bitSize)) - 1n) : v;
  }
}

function findMember(btf: Btf, members: readonly BtfMember[], name: string): BtfMember | undefined {
  for (const m of members) {
    if (m.name === name) return m;
    if (m.name === "") {
      const t = btf.resolve(m.type);
      if (t.kind === "struct" || t.kind === "union") {
        const inner = findMember(btf, t.members, name);
        if (inner) return { ...inner, bitOffset: inner.bitOffset + m.bitOffset };
      }
    }
  }
  return undefined;
}
