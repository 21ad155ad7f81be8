/**
 * @fileoverview bpf_map_lookup_elem compiled inline, as the kernel's JIT inlines array
 * lookups: index arithmetic for arrays, jhash and a bucket walk in linear memory for hash
 * maps. The only file that knows the maps' layout in memory (test/jit/inline-maps.test.ts
 * compares it with the maps' own lookups, so a layout change is caught there).
 */

import { ArrayMap } from "../maps/array.js";
import { HashMap } from "../maps/hash.js";
import { type BpfMap, Errno } from "../maps/map.js";
import { type Code, O } from "./wasm.js";

/** A map whose lookup compiles inline: where its elements lie and how to find them. */
export type InlineMap =
  | {
    readonly kind: "array";
    readonly keySize: 4;
    /** Address of element 0, bytes from one element to the next, and the count. */
    readonly base: number;
    readonly elemSize: number;
    readonly maxEntries: number;
    /** Bytes an update copies, and whether the value has a bpf_spin_lock (BPF_F_LOCK allowed). */
    readonly valueSize: number;
    readonly hasLock: boolean;
    /** The value holds a bpf_timer: an update must free it (the helper's work), so it is not inlined. */
    readonly hasTimer: boolean;
    /** percpu_array: bytes of one CPU's slot (the current CPU's is at index * elemSize + cpu * slot); 0 otherwise. */
    readonly cpuSlot: number;
  }
  | {
    readonly kind: "hash";
    readonly keySize: number;
    /** Address of the bucket heads (u32 header addresses, 0 for none) and the bucket mask. */
    readonly buckets: number;
    readonly mask: number;
    /** Offsets in an element header: the next header, the hash, the value's address, the key. */
    readonly nextField: number;
    readonly hashField: number;
    readonly valueField: number;
    readonly keyOffset: number;
    /** percpu_hash: bytes of one CPU's slot after the value's address (CPU 0's); 0 otherwise. */
    readonly cpuSlot: number;
    /**
     * LRU maps: where the reference bits lie (a byte by element number, the number at
     * `numberField` in the header), set to 1 by a found lookup as bpf_lru_node_set_ref; 0 otherwise.
     */
    readonly refs: number;
    readonly numberField: number;
  };

/** The hash map types whose lookups compile inline. */
const HASH_TYPES = new Set(["hash", "percpu_hash", "lru_hash", "lru_percpu_hash"]);

/**
 * How `map`'s program lookups compile inline, or undefined where the helper must run:
 * devmap_hash and every other type. A per-CPU map's value is the current CPU's slot (the
 * global `cpu`); an LRU map's lookup also sets the element's reference bit.
 */
export function inlineMapOf(map: BpfMap): InlineMap | undefined {
  if (map.closed) return undefined;
  if (map instanceof ArrayMap && (map.typeName === "array" || map.typeName === "percpu_array") && map.keySize === 4) {
    return {
      kind: "array", keySize: 4, base: map.valueAddress(0), elemSize: map.elemSize, maxEntries: map.maxEntries,
      valueSize: map.valueSize, hasLock: map.spinLockOffset >= 0, hasTimer: map.timerOffset >= 0, cpuSlot: map.perCpu ? map.elemSize / map.cpus : 0,
    };
  }
  if (map instanceof HashMap && HASH_TYPES.has(map.typeName) && map.keySize > 0) {
    const l = map.layout;
    if (l.byIndex || (map.lru && l.refs === 0)) return undefined;
    return {
      kind: "hash", keySize: map.keySize, buckets: l.buckets, mask: l.mask,
      nextField: l.nextField, hashField: l.hashField, valueField: l.valueField, keyOffset: l.keyOffset,
      cpuSlot: map.perCpu ? l.slot : 0,
      refs: map.lru ? l.refs : 0, numberField: l.numberField,
    };
  }
  return undefined;
}

/** The i32 locals the emitted lookup may use: the key's address (set by the caller) and four temporaries. */
export interface InlineLocals {
  readonly key: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly e: number;
  /** The global holding the current CPU. */
  readonly cpu: number;
}

/** JHASH_INITVAL */
const JHASH_INITVAL = 0xdeadbeef;

/**
 * Emits the lookup of the key at local `key` in `m`, leaving the value's address (an i64,
 * 0 when absent) on the stack. The key must be readable: the caller checks that.
 */
export function emitInlineLookup(c: Code, m: InlineMap, l: InlineLocals): void {
  if (m.kind === "array") {
    // index < max_entries ? base + index * elem_size : 0
    c.i64(m.base).get(l.key).mem(O.I32Load, 0).tee(l.a).op(O.I64ExtendI32U).i64(m.elemSize).op(O.I64Mul).op(O.I64Add);
    if (m.cpuSlot) c.gget(l.cpu).op(O.I64ExtendI32U).i64(m.cpuSlot).op(O.I64Mul).op(O.I64Add);
    c.i64(0);
    c.get(l.a).i32(m.maxEntries).op(O.I32LtU);
    c.op(O.Select);
    return;
  }
  emitHtabHash(c, m.keySize, l);
  // The bucket walk: the first header whose hash and key match, else 0.
  c.get(l.c).i32(m.mask).op(O.I32And).i32(2).op(O.I32Shl).mem(O.I32Load, 2, m.buckets).set(l.e);
  c.block(0x7e); // result i64
  c.loop();
  c.i64(0).get(l.e).op(O.I32Eqz).brIf(1).op(O.Drop);
  c.get(l.e).mem(O.I32Load, 2, m.hashField).get(l.c).op(O.I32Eq);
  emitKeyEquals(c, m.keySize, m.keyOffset, l);
  c.op(O.I32And);
  c.if_();
  if (m.refs) c.get(l.e).mem(O.I32Load, 2, m.numberField).i32(1).mem(O.I32Store8, 0, m.refs);
  c.get(l.e).mem(O.I32Load, 2, m.valueField).op(O.I64ExtendI32U);
  if (m.cpuSlot) c.gget(l.cpu).op(O.I64ExtendI32U).i64(m.cpuSlot).op(O.I64Mul).op(O.I64Add);
  c.br(2);
  c.end();
  c.get(l.e).mem(O.I32Load, 2, m.nextField).set(l.e).br(0);
  c.end();
  c.op(O.Unreachable);
  c.end();
}

/** BPF_F_LOCK, BPF_NOEXIST, BPF_EXIST */
const BPF_F_LOCK = 4, BPF_NOEXIST = 1, BPF_EXIST = 2;

/**
 * Emits bpf_map_update_elem on an array map as ArrayMap.updateKey does it for a program:
 * the key at local `key`, the value at local `a`, the flags at local `b`; leaves 0 or
 * -errno (an i64) on the stack. Both pointers must be readable: the caller checks that.
 */
export function emitInlineArrayUpdate(c: Code, m: InlineMap & { kind: "array" }, l: InlineLocals): void {
  const I64 = 0x7e;
  // Flags other than BPF_ANY/NOEXIST/EXIST (and BPF_F_LOCK): EINVAL.
  c.get(l.b).i32(~BPF_F_LOCK).op(O.I32And).i32(BPF_EXIST).op(O.I32GtU);
  c.if_(I64).i64(-Errno.EINVAL).op(O.Else);
  c.get(l.key).mem(O.I32Load, 0).tee(l.c).i32(m.maxEntries).op(O.I32GeU);
  c.if_(I64).i64(-Errno.E2BIG).op(O.Else);
  // Every element exists.
  c.get(l.b).i32(~BPF_F_LOCK).op(O.I32And).i32(BPF_NOEXIST).op(O.I32Eq);
  c.if_(I64).i64(-Errno.EEXIST).op(O.Else);
  if (!m.hasLock) {
    c.get(l.b).i32(BPF_F_LOCK).op(O.I32And);
    c.if_(I64).i64(-Errno.EINVAL).op(O.Else);
  }
  // dst = base + index * elem_size (in i32: the map lies below 2^31), src, size.
  c.get(l.c).i32(m.elemSize).op(O.I32Mul).i32(m.base).op(O.I32Add);
  if (m.cpuSlot) c.gget(l.cpu).i32(m.cpuSlot).op(O.I32Mul).op(O.I32Add);
  c.get(l.a).i32(m.valueSize).memoryCopy();
  c.i64(0);
  if (!m.hasLock) c.end();
  c.end().end().end();
}

/** Pushes an i32: whether the `size` bytes at e + keyOffset equal those at key. */
function emitKeyEquals(c: Code, size: number, keyOffset: number, l: InlineLocals): void {
  let first = true;
  const and = () => { if (!first) c.op(O.I32And); first = false; };
  let j = 0;
  for (; j + 8 <= size; j += 8) { c.get(l.e).mem(O.I64Load, 0, keyOffset + j).get(l.key).mem(O.I64Load, 0, j).op(O.I64Eq); and(); }
  for (; j + 4 <= size; j += 4) { c.get(l.e).mem(O.I32Load, 0, keyOffset + j).get(l.key).mem(O.I32Load, 0, j).op(O.I32Eq); and(); }
  for (; j + 2 <= size; j += 2) { c.get(l.e).mem(O.I32Load16U, 0, keyOffset + j).get(l.key).mem(O.I32Load16U, 0, j).op(O.I32Eq); and(); }
  for (; j < size; j++) { c.get(l.e).mem(O.I32Load8U, 0, keyOffset + j).get(l.key).mem(O.I32Load8U, 0, j).op(O.I32Eq); and(); }
}

/** Pushes the little-endian value of the `n` (1 to 4) key bytes at `at`, zero-filled, as jhash reads them. */
function word(c: Code, l: InlineLocals, at: number, n: number): void {
  if (n === 4) c.get(l.key).mem(O.I32Load, 0, at);
  else if (n === 2) c.get(l.key).mem(O.I32Load16U, 0, at);
  else if (n === 1) c.get(l.key).mem(O.I32Load8U, 0, at);
  else c.get(l.key).mem(O.I32Load16U, 0, at).get(l.key).mem(O.I32Load8U, 0, at + 2).i32(16).op(O.I32Shl).op(O.I32Or);
}

/** x += the n bytes at `at`. */
function addWord(c: Code, l: InlineLocals, x: number, at: number, n: number): void {
  c.get(x);
  word(c, l, at, n);
  c.op(O.I32Add).set(x);
}

/**
 * htab_map_hash with seed 0 (jhash2 over words, or jhash, which agree on little-endian
 * hosts), unrolled for the key size: the hash ends in local `c`.
 */
function emitHtabHash(c: Code, size: number, l: InlineLocals): void {
  const { a, b } = l, cc = l.c;
  c.i32((JHASH_INITVAL + size) | 0).tee(a).tee(b).set(cc);
  // x -= z; x ^= rol(z, s); z += y  (one line of __jhash_mix)
  const mix = (x: number, z: number, y: number, s: number) => {
    c.get(x).get(z).op(O.I32Sub).get(z).i32(s).op(O.I32Rotl).op(O.I32Xor).set(x);
    c.get(z).get(y).op(O.I32Add).set(z);
  };
  // x ^= y; x -= rol(y, s)  (one line of __jhash_final)
  const fin = (x: number, y: number, s: number) => {
    c.get(x).get(y).op(O.I32Xor).get(y).i32(s).op(O.I32Rotl).op(O.I32Sub).set(x);
  };
  let k = 0, len = size;
  while (len > 12) {
    addWord(c, l, a, k, 4); addWord(c, l, b, k + 4, 4); addWord(c, l, cc, k + 8, 4);
    mix(a, cc, b, 4); mix(b, a, cc, 6); mix(cc, b, a, 8);
    mix(a, cc, b, 16); mix(b, a, cc, 19); mix(cc, b, a, 4);
    len -= 12; k += 12;
  }
  if (len > 8) addWord(c, l, cc, k + 8, len - 8);
  if (len > 4) addWord(c, l, b, k + 4, Math.min(4, len - 4));
  addWord(c, l, a, k, Math.min(4, len));
  fin(cc, b, 14); fin(a, cc, 11); fin(b, a, 25); fin(cc, b, 16); fin(a, cc, 4); fin(b, a, 14); fin(cc, b, 24);
}
