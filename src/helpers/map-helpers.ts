/**
 * @fileoverview The helpers that operate on maps, by id: element operations, push/pop/peek,
 * per-CPU lookups, ring buffers, perf event output, stack ids, redirects through
 * devmap/cpumap/xskmap, local storage, spin locks, and current_task_under_cgroup. A map
 * argument is the map's handle (what a BPF_PSEUDO_MAP_FD load resolves to, see
 * src/maps/map.ts); a helper maps it back with `mapAt`. Ids come from HELPER_NAMES.
 */

import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { type BpfMap, Errno, mapAt } from "../maps/map.js";
import { cpusOf } from "../maps/cpus.js";
import { CgroupArrayMap, PerfEventArrayMap } from "../maps/perf-event-array.js";
import { isRedirectMap, redirectEntry, setRedirect } from "../maps/redirect.js";
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, ringAt, RingBufMap } from "../maps/ringbuf.js";
import { StackTraceMap } from "../maps/stack-trace.js";
import { LocalStorageMap } from "../maps/storage.js";
import { copyFrags, fragsSize } from "../programs/xdp-frags.js";
import { HELPER_NAMES } from "./names.js";

/** The last map a helper resolved, by space and handle: most calls name the same map again. */
let lastSpace: HelperEnv["space"] | undefined, lastHandle = 0, lastMap: BpfMap | undefined;

export function mapArg(env: HelperEnv, args: HelperArgs, n = 1): BpfMap {
  const handle = args.addr(n);
  if (handle === lastHandle && env.space === lastSpace && lastMap && !lastMap.closed) return lastMap;
  const map = handle > 0 ? mapAt(env.space, handle) : undefined;
  if (!map) throw new Error(`r${n} = 0x${args.u64(n).toString(16)} is not a map`);
  lastSpace = env.space; lastHandle = handle; lastMap = map;
  return map;
}

/** The map argument, which must be of class `kind` (the verifier checks the map type against the helper). */
function mapOf<T extends BpfMap>(env: HelperEnv, args: HelperArgs, kind: abstract new (...a: never[]) => T, n = 1): T {
  const m = mapArg(env, args, n);
  if (!(m instanceof kind)) throw new Error(`${m.typeName} map "${m.name}" is not a map this helper takes`);
  return m;
}

/** Reads a checked pointer argument: the MemoryFault names the call when it is bad. */
export function pointer(env: HelperEnv, args: HelperArgs, n: number, size: number, access: "read" | "write"): number {
  const addr = args.addr(n);
  // The check alone on the hot path; env.bytes (which makes a view) only to raise the fault.
  if (size > 0 && (addr < 0 || env.space.check(addr, size, access === "write") === 0)) env.bytes(addr, size, access);
  return addr;
}

// Lookups and updates check their pointers themselves; a bad one is found again here to raise the fault.
const lookup: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  const r = map.lookupElem(a.addr(2));
  if (r === 0) pointer(env, a, 2, map.keySize, "read");
  return r;
};
const update: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  const r = map.updateElem(a.addr(2), a.addr(3), a.u32(4));
  if (r === -Errno.EFAULT) { pointer(env, a, 2, map.keySize, "read"); pointer(env, a, 3, map.valueSize, "read"); }
  return r;
};
const remove: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  return map.deleteElem(pointer(env, a, 2, map.keySize, "read"));
};
const push: HelperFn = (a, env) => {
  const m = mapArg(env, a);
  return m.pushElem(pointer(env, a, 2, m.valueSize, "read"), a.u32(3));
};
const popOrPeek = (take: boolean): HelperFn => (a, env) => {
  const map = mapArg(env, a);
  return map.popElem(pointer(env, a, 2, map.valueSize, take ? "write" : "read"), take);
};

/** bpf_map_lookup_percpu_elem(map, key, cpu) */
const lookupPercpu: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  return map.lookupPercpuElem(pointer(env, a, 2, map.keySize, "read"), a.u32(3));
};

/** BPF_F_INDEX_MASK */
const BPF_F_INDEX_MASK = 0xffffffffn;
/** BPF_F_CURRENT_CPU */
const BPF_F_CURRENT_CPU = 0xffffffff;
/** BPF_F_CTXLEN_MASK: bytes of the packet appended to a sample (skb and xdp programs) */
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** bpf_perf_event_output(ctx, map, flags, data, size) */
const perfEventOutput: HelperFn = (a, env) => {
  const map = mapOf(env, a, PerfEventArrayMap, 2);
  const flags = a.u64(3);
  if (flags & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) return -Errno.EINVAL;
  const cpu = cpusOf(env.space).current;
  let index = Number(flags & BPF_F_INDEX_MASK);
  if (index === BPF_F_CURRENT_CPU) index = cpu;
  if (index >= map.maxEntries) return -Errno.E2BIG;
  const buffer = map.buffer(index);
  if (!buffer) return -Errno.ENOENT;
  if (buffer.cpu !== cpu) return -Errno.EOPNOTSUPP;
  const size = a.u32(5);
  const data = env.bytes(pointer(env, a, 4, size, "read"), size, "read");
  const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
  let sample = data;
  if (ctxLen > 0) {
    // The packet's bytes after the sample: an XDP packet's fragments count (bpf_xdp_copy).
    const packet = env.run.packet;
    const frags = env.run.programType === "xdp" ? fragsSize(env.space) : 0;
    if (!packet || env.run.data + ctxLen > packet.hi + frags) return -Errno.EFAULT;
    sample = new Uint8Array(size + ctxLen);
    sample.set(data);
    const linear = Math.min(ctxLen, packet.hi - env.run.data);
    sample.set(env.space.u8.subarray(env.run.data, env.run.data + linear), size);
    if (linear < ctxLen) copyFrags(env.space, 0, sample.subarray(size + linear), false);
  }
  return buffer.write(sample) ? 0 : -Errno.ENOSPC;
};

/** bpf_get_stackid(ctx, map, flags) */
const getStackid: HelperFn = (a, env) => mapOf(env, a, StackTraceMap, 2).stackId(Number(a.u64(3) & 0xffffffffn));

/** bpf_current_task_under_cgroup(map, index) */
const taskUnderCgroup: HelperFn = (a, env) => mapOf(env, a, CgroupArrayMap).taskUnder(a.u32(2));

/** XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX: the action on a failed lookup */
const BPF_F_ACTION_MASK = 3n;
/** BPF_F_BROADCAST */
const BPF_F_BROADCAST = 1n << 3n;
/** BPF_F_EXCLUDE_INGRESS */
const BPF_F_EXCLUDE_INGRESS = 1n << 4n;
/** XDP_REDIRECT */
const XDP_REDIRECT = 4;

/** bpf_redirect_map(map, key, flags): XDP_REDIRECT with the target recorded, else the flags' fallback action. */
const redirectMap: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  if (!isRedirectMap(map)) throw new Error(`${map.typeName} map "${map.name}" is not a redirect map`);
  const flags = a.u64(3);
  const devmap = map.typeName === "devmap" || map.typeName === "devmap_hash";
  const allowed = BPF_F_ACTION_MASK | (devmap ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0n);
  if (flags & ~allowed) return 0; // XDP_ABORTED
  const key = a.u32(2);
  const value = redirectEntry(map, key);
  const broadcast = (flags & BPF_F_BROADCAST) !== 0n;
  if (!value && !broadcast) return Number(flags & BPF_F_ACTION_MASK);
  setRedirect(env.space, { map: map.name, mapType: map.typeName, key: broadcast ? undefined : key, value: broadcast ? undefined : value, flags: Number(flags) });
  return XDP_REDIRECT;
};

/** bpf_ringbuf_output(ringbuf, data, size, flags) */
const ringbufOutput: HelperFn = (a, env) => {
  const rb = mapOf(env, a, RingBufMap);
  const flags = a.u64(4);
  if (flags & ~BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -Errno.EINVAL;
  const size = a.u32(3);
  const data = env.bytes(pointer(env, a, 2, size, "read"), size, "read").slice();
  return rb.output(data, Number(flags));
};
/** bpf_ringbuf_reserve(ringbuf, size, flags): the sample's address, or NULL */
const ringbufReserve: HelperFn = (a, env) => {
  const rb = mapOf(env, a, RingBufMap);
  if (a.u64(3) !== 0n) return 0;
  return rb.reserve(a.u32(2));
};
/** bpf_ringbuf_submit / bpf_ringbuf_discard(data, flags) */
const ringbufCommit = (discard: boolean): HelperFn => (a, env) => {
  const addr = a.addr(1);
  const rb = addr > 0 ? ringAt(env.space, addr) : undefined;
  if (!rb || !rb.commit(addr, discard, Number(a.u64(2) & 0xffffffffn))) {
    throw new Error(`0x${a.u64(1).toString(16)} is not a reserved ring buffer sample`);
  }
  return 0;
};
/** bpf_ringbuf_query(ringbuf, flags) */
const ringbufQuery: HelperFn = (a, env) => mapOf(env, a, RingBufMap).query(Number(a.u64(2) & 0xffffffffn));

/** bpf_{sk,inode,task,cgrp}_storage_get(map, owner, value, flags) */
const storageGet: HelperFn = (a, env) => {
  const map = mapOf(env, a, LocalStorageMap);
  const owner = Number(a.u64(2) & 0xffffffffn);
  const init = a.u64(3) !== 0n ? env.bytes(pointer(env, a, 3, map.valueSize, "read"), map.valueSize, "read").slice() : undefined;
  return map.storageGet(owner, init, Number(a.u64(4) & 0xffffffffn));
};
/** bpf_{sk,inode,task,cgrp}_storage_delete(map, owner) */
const storageDelete: HelperFn = (a, env) => mapOf(env, a, LocalStorageMap).storageDelete(Number(a.u64(2) & 0xffffffffn));

/**
 * bpf_spin_lock / bpf_spin_unlock: a runtime runs one program at a time, so the lock
 * word only records the state (1 held, 0 free), as a reader of the value would see it.
 */
const spinLock = (value: number): HelperFn => (a, env) => {
  env.space.view.setUint32(pointer(env, a, 1, 4, "write"), value, true);
  return 0;
};

const id = (name: string): number => {
  const i = HELPER_NAMES.indexOf(name);
  if (i < 0) throw new Error(`no helper named ${name}`);
  return i;
};
const row = (name: string, fn: HelperFn): HelperDef => ({ id: id(name), name, fn });

/** The map helpers (enum bpf_func_id). */
export const MAP_HELPERS: readonly HelperDef[] = [
  row("map_lookup_elem", lookup),
  row("map_update_elem", update),
  row("map_delete_elem", remove),
  row("perf_event_output", perfEventOutput),
  // bpf_xdp_output: perf_event_output from a tracing program on XDP, the packet after the sample.
  row("xdp_output", perfEventOutput),
  row("get_stackid", getStackid),
  row("current_task_under_cgroup", taskUnderCgroup),
  row("redirect_map", redirectMap),
  row("map_push_elem", push),
  row("map_pop_elem", popOrPeek(true)),
  row("map_peek_elem", popOrPeek(false)),
  row("spin_lock", spinLock(1)),
  row("spin_unlock", spinLock(0)),
  row("sk_storage_get", storageGet),
  row("sk_storage_delete", storageDelete),
  row("ringbuf_output", ringbufOutput),
  row("ringbuf_reserve", ringbufReserve),
  row("ringbuf_submit", ringbufCommit(false)),
  row("ringbuf_discard", ringbufCommit(true)),
  row("ringbuf_query", ringbufQuery),
  row("inode_storage_get", storageGet),
  row("inode_storage_delete", storageDelete),
  row("task_storage_get", storageGet),
  row("task_storage_delete", storageDelete),
  row("map_lookup_percpu_elem", lookupPercpu),
  row("cgrp_storage_get", storageGet),
  row("cgrp_storage_delete", storageDelete),
];
