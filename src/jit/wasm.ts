/**
 * @fileoverview A small WebAssembly binary emitter: a growable byte buffer with LEB128,
 * the opcodes the JIT uses (one table, named as the spec's text format names them), and
 * a module builder for types, imports, functions, globals and exports. No dependency.
 */

/** Value types. */
export const enum T {
  I32 = 0x7f,
  I64 = 0x7e,
  F64 = 0x7c,
  FuncRef = 0x70,
}

/** Block types: empty, or one result. */
export const VOID = 0x40;

/** The opcodes the JIT emits (single-byte ones; prefixed ones are in `FC` and `FE`). */
export const enum O {
  Unreachable = 0x00, Nop = 0x01, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0b,
  Br = 0x0c, BrIf = 0x0d, BrTable = 0x0e, Return = 0x0f, Call = 0x10, CallIndirect = 0x11,
  Drop = 0x1a, Select = 0x1b,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, GlobalGet = 0x23, GlobalSet = 0x24,
  I32Load = 0x28, I64Load = 0x29, I32Load8S = 0x2c, I32Load8U = 0x2d, I32Load16S = 0x2e, I32Load16U = 0x2f,
  I64Load8S = 0x30, I64Load8U = 0x31, I64Load16S = 0x32, I64Load16U = 0x33, I64Load32S = 0x34, I64Load32U = 0x35,
  I32Store = 0x36, I64Store = 0x37, I32Store8 = 0x3a, I32Store16 = 0x3b, I64Store8 = 0x3c, I64Store16 = 0x3d, I64Store32 = 0x3e,
  I32Const = 0x41, I64Const = 0x42,
  I32Eqz = 0x45, I32Eq = 0x46, I32Ne = 0x47, I32LtS = 0x48, I32LtU = 0x49, I32GtS = 0x4a, I32GtU = 0x4b,
  I32LeS = 0x4c, I32LeU = 0x4d, I32GeS = 0x4e, I32GeU = 0x4f,
  I64Eqz = 0x50, I64Eq = 0x51, I64Ne = 0x52, I64LtS = 0x53, I64LtU = 0x54, I64GtS = 0x55, I64GtU = 0x56,
  I64LeS = 0x57, I64LeU = 0x58, I64GeS = 0x59, I64GeU = 0x5a,
  I32Add = 0x6a, I32Sub = 0x6b, I32Mul = 0x6c, I32DivS = 0x6d, I32DivU = 0x6e, I32RemS = 0x6f, I32RemU = 0x70,
  I32And = 0x71, I32Or = 0x72, I32Xor = 0x73, I32Shl = 0x74, I32ShrS = 0x75, I32ShrU = 0x76, I32Rotl = 0x77, I32Rotr = 0x78,
  I64Add = 0x7c, I64Sub = 0x7d, I64Mul = 0x7e, I64DivS = 0x7f, I64DivU = 0x80, I64RemS = 0x81, I64RemU = 0x82,
  I64And = 0x83, I64Or = 0x84, I64Xor = 0x85, I64Shl = 0x86, I64ShrS = 0x87, I64ShrU = 0x88, I64Rotl = 0x89, I64Rotr = 0x8a,
  I32WrapI64 = 0xa7, I64ExtendI32S = 0xac, I64ExtendI32U = 0xad,
  I32Extend8S = 0xc0, I32Extend16S = 0xc1, I64Extend8S = 0xc2, I64Extend16S = 0xc3, I64Extend32S = 0xc4,
}

/** 0xFC-prefixed (bulk memory). */
export const enum FC { MemoryCopy = 0x0a, MemoryFill = 0x0b }

/** 0xFE-prefixed (threads: atomics). */
export const enum FE {
  I32AtomicLoad = 0x10, I64AtomicLoad = 0x11, I32AtomicLoad8U = 0x12, I32AtomicLoad16U = 0x13,
  I64AtomicLoad8U = 0x14, I64AtomicLoad16U = 0x15, I64AtomicLoad32U = 0x16,
  I32AtomicStore = 0x17, I64AtomicStore = 0x18, I32AtomicStore8 = 0x19, I32AtomicStore16 = 0x1a,
  I64AtomicStore8 = 0x1b, I64AtomicStore16 = 0x1c, I64AtomicStore32 = 0x1d,
  I32RmwAdd = 0x1e, I64RmwAdd = 0x1f, I32RmwAnd = 0x2c, I64RmwAnd = 0x2d, I32RmwOr = 0x33, I64RmwOr = 0x34,
  I32RmwXor = 0x3a, I64RmwXor = 0x3b, I32RmwXchg = 0x41, I64RmwXchg = 0x42, I32RmwCmpxchg = 0x48, I64RmwCmpxchg = 0x49,
}

/** A growable byte buffer with the encodings of the binary format. */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2);
      n.set(this.buf);
      this.buf = n;
    }
    this.buf[this.length++] = b;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    if (this.length + bs.length > this.buf.length) {
      const n = new Uint8Array(Math.max(this.buf.length * 2, this.length + bs.length));
      n.set(this.buf);
      this.buf = n;
    }
    if (bs instanceof Uint8Array) this.buf.set(bs, this.length);
    else for (let i = 0; i < bs.length; i++) this.buf[this.length + i] = bs[i]!;
    this.length += bs.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  u32(n: number): this {
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      this.byte(b);
    } while (n > 0);
    return this;
  }

  /** Signed LEB128 of an int32. */
  s32(n: number): this {
    n |= 0;
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of a 64-bit value (taken modulo 2^64, as signed). */
  s64(v: bigint): this {
    let n = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(n & 0x7fn);
      n >>= 7n;
      if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** Appends another buffer prefixed by its length (a section or function body). */
  sized(b: Bytes): this {
    this.u32(b.length);
    return this.bytes(b.buf.subarray(0, b.length));
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A function body under construction: instructions with their immediates. */
/** How a module calls the host's function `f`, its arguments on the stack. */
export interface HostCalls { emit(c: Code, f: number): void }

export class Code extends Bytes {
  op(o: O): this { return this.byte(o); }
  i32(n: number): this { return this.byte(O.I32Const).s32(n); }
  i64(v: bigint | number): this {
    if (typeof v === "number" && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) return this.byte(O.I64Const).s32(v);
    return this.byte(O.I64Const).s64(BigInt(v));
  }
  get(l: number): this { return this.byte(O.LocalGet).u32(l); }
  set(l: number): this { return this.byte(O.LocalSet).u32(l); }
  tee(l: number): this { return this.byte(O.LocalTee).u32(l); }
  gget(g: number): this { return this.byte(O.GlobalGet).u32(g); }
  gset(g: number): this { return this.byte(O.GlobalSet).u32(g); }
  call(f: number): this { return this.byte(O.Call).u32(f); }
  /** Calls host function `f`, its arguments pushed, as `h` does it. */
  callHost(h: HostCalls, f: number): this { h.emit(this, f); return this; }
  br(depth: number): this { return this.byte(O.Br).u32(depth); }
  brIf(depth: number): this { return this.byte(O.BrIf).u32(depth); }
  block(type: number = VOID): this { return this.byte(O.Block).byte(type); }
  loop(type: number = VOID): this { return this.byte(O.Loop).byte(type); }
  if_(type: number = VOID): this { return this.byte(O.If).byte(type); }
  end(): this { return this.byte(O.End); }
  /** A load or store with alignment hint log2 `align` and a constant offset. */
  mem(o: O, align: number, offset = 0): this { return this.byte(o).u32(align).u32(offset); }
  atomic(o: FE, align: number, offset = 0): this { return this.byte(0xfe).u32(o).u32(align).u32(offset); }
  memoryFill(): this { return this.byte(0xfc).u32(FC.MemoryFill).byte(0); }
  memoryCopy(): this { return this.byte(0xfc).u32(FC.MemoryCopy).byte(0).byte(0); }
}

export interface FuncType { readonly params: readonly T[]; readonly results: readonly T[] }

interface Import { module: string; name: string; kind: number; desc: (b: Bytes) => void }
interface GlobalDef { type: T; mutable: boolean; init: bigint | number }
interface FuncDef { type: number; locals: readonly T[]; code: Code }

/**
 * A module: imports come first in each index space, as the format numbers them, so add
 * every import before any function or global of the module's own.
 */
export class ModuleBuilder {
  readonly #types: string[] = [];
  readonly #typeDefs: FuncType[] = [];
  readonly #imports: Import[] = [];
  readonly #funcs: FuncDef[] = [];
  readonly #globals: GlobalDef[] = [];
  readonly #exports: { name: string; kind: number; index: number }[] = [];
  #importedFuncs = 0;
  #importedGlobals = 0;

  type(params: readonly T[], results: readonly T[]): number {
    const key = `${params.join(",")}>${results.join(",")}`;
    let i = this.#types.indexOf(key);
    if (i < 0) {
      i = this.#types.length;
      this.#types.push(key);
      this.#typeDefs.push({ params, results });
    }
    return i;
  }

  importFunc(module: string, name: string, params: readonly T[], results: readonly T[]): number {
    const t = this.type(params, results);
    this.#imports.push({ module, name, kind: 0, desc: (b) => b.u32(t) });
    return this.#importedFuncs++;
  }

  importTable(module: string, name: string, min: number): void {
    this.#imports.push({ module, name, kind: 1, desc: (b) => b.byte(T.FuncRef).byte(0).u32(min) });
  }

  /** A memory of at least `min` pages, with no maximum (the importer's is any). */
  importMemory(module: string, name: string, min: number): void {
    this.#imports.push({ module, name, kind: 2, desc: (b) => b.byte(0).u32(min) });
  }

  importGlobal(module: string, name: string, type: T, mutable: boolean): number {
    this.#imports.push({ module, name, kind: 3, desc: (b) => b.byte(type).byte(mutable ? 1 : 0) });
    return this.#importedGlobals++;
  }

  global(type: T, mutable: boolean, init: bigint | number): number {
    this.#globals.push({ type, mutable, init });
    return this.#importedGlobals + this.#globals.length - 1;
  }

  /** Reserves a function index; its body is given later with `define`. */
  declare(params: readonly T[], results: readonly T[]): number {
    this.#funcs.push({ type: this.type(params, results), locals: [], code: new Code() });
    return this.#importedFuncs + this.#funcs.length - 1;
  }

  define(index: number, locals: readonly T[], code: Code): void {
    const f = this.#funcs[index - this.#importedFuncs]!;
    f.locals = locals;
    f.code = code;
  }

  exportFunc(name: string, index: number): void {
    this.#exports.push({ name, kind: 0, index });
  }

  encode(): Uint8Array {
    const out = new Bytes().bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const section = (id: number, fill: (b: Bytes) => void) => {
      const b = new Bytes();
      fill(b);
      out.byte(id).sized(b);
    };
    section(1, (b) => {
      b.u32(this.#typeDefs.length);
      for (const t of this.#typeDefs) {
        b.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
      }
    });
    section(2, (b) => {
      b.u32(this.#imports.length);
      for (const i of this.#imports) { b.str(i.module).str(i.name).byte(i.kind); i.desc(b); }
    });
    section(3, (b) => {
      b.u32(this.#funcs.length);
      for (const f of this.#funcs) b.u32(f.type);
    });
    if (this.#globals.length > 0) {
      section(6, (b) => {
        b.u32(this.#globals.length);
        for (const g of this.#globals) {
          b.byte(g.type).byte(g.mutable ? 1 : 0);
          if (g.type === T.I64) b.byte(O.I64Const).s64(BigInt(g.init));
          else b.byte(O.I32Const).s32(Number(g.init));
          b.byte(O.End);
        }
      });
    }
    section(7, (b) => {
      b.u32(this.#exports.length);
      for (const e of this.#exports) b.str(e.name).byte(e.kind).u32(e.index);
    });
    section(10, (b) => {
      b.u32(this.#funcs.length);
      for (const f of this.#funcs) {
        const body = new Bytes();
        // Locals, run-length encoded by type.
        const runs: [number, T][] = [];
        for (const t of f.locals) {
          const last = runs[runs.length - 1];
          if (last && last[1] === t) last[0]++;
          else runs.push([1, t]);
        }
        body.u32(runs.length);
        for (const [n, t] of runs) body.u32(n).byte(t);
        body.bytes(f.code.buf.subarray(0, f.code.length)).byte(O.End);
        b.sized(body);
      }
    });
    return out.result();
  }
}
