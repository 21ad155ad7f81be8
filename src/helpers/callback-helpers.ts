/**
 * @fileoverview Helpers that call back into the program through the engine's re-entry
 * point (`HelperEnv.callback`): bpf_loop, bpf_for_each_map_elem, bpf_user_ringbuf_drain
 * (whose callback reads each sample through a bpf_dynptr, with the dynptr helpers here).
 */

import { NotSupportedError } from "../errors.js";
import type { BpfMap } from "../maps/map.js";
import { UserRingBufMap } from "../maps/ringbuf.js";
import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { mapArg } from "./map-helpers.js";
import { E } from "./util.js";

/** BPF_MAX_LOOPS: the most iterations bpf_loop makes. */
export const BPF_MAX_LOOPS = 1 << 23;

function reenter(env: HelperEnv, name: string): NonNullable<HelperEnv["callback"]> {
  if (!env.callback) throw new NotSupportedError(`helper ${name}`, "this engine cannot call back into the program");
  return env.callback.bind(env);
}

/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags): calls callback(i, ctx) for i from 0
 * until it returns non-zero (then i + 1 is returned) or nr_loops calls were made
 * (nr_loops returned); -EINVAL for flags, -E2BIG past BPF_MAX_LOOPS.
 */
const loop: HelperFn = (a, env) => {
  if (a.u64(4) !== 0n) return -E.EINVAL;
  const n = a.u32(1);
  if (n > BPF_MAX_LOOPS) return -E.E2BIG;
  const call = reenter(env, "bpf_loop");
  const fn = a.u64(2), ctx = a.u64(3);
  for (let i = 0; i < n; i++) {
    if (call(fn, [BigInt(i), ctx]) !== 0n) return i + 1;
  }
  return n;
};

/** A read-only scratch region per map (keys handed to callbacks) or per space (dynptrs). */
const SCRATCH = new WeakMap<object, Region>();
function scratch(space: AddressSpace, owner: object, size: number, name: string): Region {
  let r = SCRATCH.get(owner);
  if (!r || r.size < size) {
    r?.free();
    r = space.alloc({ name, kind: "other", size: Math.max(8, size), perm: Perm.Read });
    SCRATCH.set(owner, r);
  }
  return r;
}

/**
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): callback(map, key, value,
 * ctx) on each element in the map's own order (arrays by index, hashes bucket by bucket)
 * until it returns 1; the elements visited, the one that stopped it included. -EINVAL for
 * flags. The key is a read-only copy; the value is the element's own (this CPU's).
 */
const forEachMapElem: HelperFn = (a, env) => {
  const map: BpfMap = mapArg(env, a);
  if (a.u64(4) !== 0n) return -E.EINVAL;
  const call = reenter(env, "bpf_for_each_map_elem");
  const fn = a.u64(2), ctx = a.u64(3), handle = a.u64(1);
  const key = scratch(env.space, map, map.keySize, `${map.name || map.typeName} callback key`);
  const n = map.forEachElem((k, value) => {
    env.space.u8.set(k, key.base);
    return call(fn, [handle, BigInt(key.base), BigInt(value), ctx, 0n]) !== 0n;
  });
  if (n < 0) throw new Error(`${map.typeName} map "${map.name}" has no bpf_for_each_map_elem walk`);
  return n;
};

/** BPF_MAX_USER_RINGBUF_SAMPLES: the most samples one drain hands out. */
export const BPF_MAX_USER_RINGBUF_SAMPLES = 128 * 1024;
/** BPF_DYNPTR_TYPE_LOCAL, _RINGBUF, _SKB, _XDP (enum bpf_dynptr_type), in bits 28-30 of the size word. */
export const DynptrType = { Invalid: 0, Local: 1, Ringbuf: 2, Skb: 3, Xdp: 4 } as const;
/** DYNPTR_RDONLY_BIT, DYNPTR_TYPE_SHIFT, DYNPTR_SIZE_MASK (kernel/bpf/helpers.c). */
const DYNPTR_RDONLY_BIT = 0x80000000, DYNPTR_TYPE_SHIFT = 28, DYNPTR_SIZE_MASK = 0xffffff;
/** DYNPTR_MAX_SIZE */
const DYNPTR_MAX_SIZE = DYNPTR_SIZE_MASK;

/**
 * struct bpf_dynptr_kern as the kernel lays it out in the program's 16 bytes: the data's
 * address (u64), the size with the type and read-only bits above it (u32), the offset (u32).
 */
function writeDynptr(space: AddressSpace, at: number, data: number, size: number, type: number, rdonly = false): void {
  space.view.setBigUint64(at, BigInt(data), true);
  space.view.setUint32(at + 8, (size | (type << DYNPTR_TYPE_SHIFT) | (rdonly ? DYNPTR_RDONLY_BIT : 0)) >>> 0, true);
  space.view.setUint32(at + 12, 0, true);
}

function readDynptr(env: HelperEnv, a: HelperArgs, n: number): { data: number; size: number; offset: number; type: number; rdonly: boolean } {
  const at = a.addr(n);
  const b = env.bytes(at, 16, "read");
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const word = dv.getUint32(8, true);
  return { data: Number(dv.getBigUint64(0, true)), size: word & DYNPTR_SIZE_MASK, offset: dv.getUint32(12, true), type: (word >>> DYNPTR_TYPE_SHIFT) & 7, rdonly: (word & DYNPTR_RDONLY_BIT) !== 0 };
}

/**
 * bpf_user_ringbuf_drain(map, callback_fn, ctx, flags): callback(dynptr, ctx) on each
 * sample userspace submitted, consuming it, until the ring is empty, the callback returns
 * 1 or BPF_MAX_USER_RINGBUF_SAMPLES were drained; the samples drained (discarded ones
 * skipped, not counted). -EINVAL for flags other than BPF_RB_NO_WAKEUP/FORCE_WAKEUP.
 */
const userRingbufDrain: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  if (!(map instanceof UserRingBufMap)) throw new Error(`${map.typeName} map "${map.name}" is not a user_ringbuf`);
  if ((a.u64(4) & ~3n) !== 0n) return -E.EINVAL;
  const call = reenter(env, "bpf_user_ringbuf_drain");
  const fn = a.u64(2), ctx = a.u64(3);
  const dyn = scratch(env.space, env.space, 16, "user_ringbuf dynptr");
  let drained = 0;
  while (drained < BPF_MAX_USER_RINGBUF_SAMPLES) {
    const [s] = map.drainRecords(1);
    if (!s) break;
    drained++;
    writeDynptr(env.space, dyn.base, s.addr, s.size, DynptrType.Local);
    if (call(fn, [BigInt(dyn.base), ctx]) !== 0n) break;
  }
  if (drained > 0 && !(a.u64(4) & 1n)) map.notify();
  return drained;
};

/** bpf_dynptr_from_mem(data, size, flags, ptr): a local dynptr over program memory; -EINVAL (and a null dynptr) for flags or a size past DYNPTR_MAX_SIZE. */
const dynptrFromMem: HelperFn = (a, env) => {
  const size = a.u32(2), out = a.addr(4);
  env.bytes(out, 16, "write");
  if (a.u64(3) !== 0n || size > DYNPTR_MAX_SIZE) { env.bytes(out, 16, "write").fill(0); return -E.EINVAL; }
  if (size > 0) env.bytes(a.addr(1), size, "read");
  writeDynptr(env.space, out, a.addr(1), size, DynptrType.Local);
  return 0;
};

/** bpf_dynptr_read(dst, len, src, offset, flags): -EINVAL for a null dynptr or flags, -E2BIG past its end. */
const dynptrRead: HelperFn = (a, env) => {
  const len = a.u32(2), d = readDynptr(env, a, 3), off = a.u32(4);
  if (d.data === 0 && d.type === 0) return -E.EINVAL;
  if (a.u64(5) !== 0n) return -E.EINVAL;
  if (off > d.size || len > d.size - off) return -E.E2BIG;
  const dst = env.bytes(a.addr(1), len, "write");
  dst.set(env.bytes(d.data + d.offset + off, len, "read"));
  return 0;
};

/** bpf_dynptr_write(dst, offset, src, len, flags): -EINVAL for a null or read-only dynptr, -E2BIG past its end. */
const dynptrWrite: HelperFn = (a, env) => {
  const d = readDynptr(env, a, 1), off = a.u32(2), len = a.u32(4);
  if ((d.data === 0 && d.type === 0) || d.rdonly) return -E.EINVAL;
  if (off > d.size || len > d.size - off) return -E.E2BIG;
  if (a.u64(5) !== 0n) return -E.EINVAL;
  const src = env.bytes(a.addr(3), len, "read").slice();
  env.bytes(d.data + d.offset + off, len, "write").set(src);
  return 0;
};

/** bpf_dynptr_data(ptr, offset, len): the address of those bytes, or 0 (null or read-only dynptr, out of range). */
const dynptrData: HelperFn = (a, env) => {
  const d = readDynptr(env, a, 1), off = a.u32(2), len = a.u32(3);
  if ((d.data === 0 && d.type === 0) || d.rdonly) return 0;
  if (off > d.size || len > d.size - off) return 0;
  return d.data + d.offset + off;
};

/** The callback helpers, by id (enum bpf_func_id). */
export const CALLBACK_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_for_each_map_elem */
  { id: 164, name: "for_each_map_elem", fn: forEachMapElem },
  /** BPF_FUNC_loop */
  { id: 181, name: "loop", fn: loop },
  /** BPF_FUNC_dynptr_from_mem */
  { id: 197, name: "dynptr_from_mem", fn: dynptrFromMem },
  /** BPF_FUNC_dynptr_read */
  { id: 201, name: "dynptr_read", fn: dynptrRead },
  /** BPF_FUNC_dynptr_write */
  { id: 202, name: "dynptr_write", fn: dynptrWrite },
  /** BPF_FUNC_dynptr_data */
  { id: 203, name: "dynptr_data", fn: dynptrData },
  /** BPF_FUNC_user_ringbuf_drain */
  { id: 209, name: "user_ringbuf_drain", fn: userRingbufDrain },
];
