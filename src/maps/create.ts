/**
 * @fileoverview `createMap`: a live userspace map from its spec, through one table of
 * operations by map type, as the kernel's `bpf_map_ops` (`map_alloc_check`, `map_alloc`).
 * Each row's check refuses what the kernel's BPF_MAP_CREATE refuses, with its errno.
 * A type without a row is a NotSupportedError naming it.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import type { AddressSpace } from "../runtime/address-space.js";
import { ArrayMap, ArrayOfMapsMap, ProgArrayMap, type ProgramResolver } from "./array.js";
import { BloomFilterMap } from "./bloom-filter.js";
import { cpusOf } from "./cpus.js";
import { HashMap } from "./hash.js";
import { HashOfMapsMap } from "./hash-of-maps.js";
import { LpmTrieMap } from "./lpm-trie.js";
import {
  BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED, BpfMap, Errno, MapError, roundUp8, type UserMapSpec,
} from "./map.js";
import { CgroupArrayMap, PerfEventArrayMap } from "./perf-event-array.js";
import { QueueStackMap } from "./queue.js";
import { CpuMap, DevMap, DevMapHash, XskMap } from "./redirect.js";
import { RingBufMap, UserRingBufMap } from "./ringbuf.js";
import { StackTraceMap } from "./stack-trace.js";
import { LocalStorageMap } from "./storage.js";
import { mapTypeId, mapTypeName, type MapTypeName } from "./types.js";

/** What creating a map may need besides its spec. */
export interface CreateMapOptions {
  /** For prog_array: the program an id written into a slot names. */
  readonly programs?: ProgramResolver;
}

/** One map type's operations. */
export interface MapOps {
  /** map_alloc_check: sizes and flags; throws MapError as BPF_MAP_CREATE would fail. */
  check(spec: UserMapSpec): void;
  create(space: AddressSpace, spec: UserMapSpec, options: CreateMapOptions): BpfMap;
}

/** KMALLOC_MAX_SIZE on 4 KiB pages (order 10) */
const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value */
const PCPU_MIN_UNIT_SIZE = 32768;
/** sysctl_perf_event_max_stack's default (PERF_MAX_STACK_DEPTH) */
const PERF_MAX_STACK_DEPTH = 127;
/** BPF_LOCAL_STORAGE_MAX_VALUE_SIZE, about */
const LOCAL_STORAGE_MAX_VALUE = (1 << 16) - 64;
/** BPF_F_CLONE */
const BPF_F_CLONE = 0x200;
/** PAGE_SIZE */
const PAGE_SIZE = 4096;
/** NR_CPUS of the usual distribution kernels */
const NR_CPUS = 8192;

const fail = (errno: number) => (spec: UserMapSpec, why: string): never => {
  throw new MapError(errno, `create ${mapTypeName(mapTypeId(spec.type as MapTypeName))} map${spec.name ? ` "${spec.name}"` : ""} (${why})`);
};
const invalid = fail(Errno.EINVAL);
const tooBig = fail(Errno.E2BIG);

const flags = (s: UserMapSpec): number => s.flags ?? 0;
/** bpf_map_flags_access_ok: not both read-only and write-only for programs. */
const accessOk = (s: UserMapSpec): void => {
  if ((flags(s) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) === (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) invalid(s, "BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG");
};
const onlyFlags = (s: UserMapSpec, mask: number): void => {
  const extra = flags(s) & ~mask;
  if (extra) invalid(s, `flags 0x${extra.toString(16)} are not allowed`);
};
const need = (s: UserMapSpec, ok: boolean, why: string): void => { if (!ok) invalid(s, why); };

/** array_map_alloc_check */
const arrayCheck = (kind: "array" | "percpu" | "fd" | "perf") => (s: UserMapSpec) => {
  if (kind === "fd" || kind === "perf") {
    need(s, s.valueSize === 4, `value_size ${s.valueSize} is not 4`);
    need(s, !(flags(s) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)), "program access flags on an fd array");
  }
  need(s, s.maxEntries > 0, "max_entries is 0");
  need(s, s.keySize === 4, `key_size ${s.keySize} is not 4`);
  need(s, s.valueSize > 0, "value_size is 0");
  onlyFlags(s, BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP);
  accessOk(s);
  if (kind === "percpu" && flags(s) & BPF_F_NUMA_NODE) invalid(s, "a NUMA node for a per-CPU map");
  if (kind !== "array" && flags(s) & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) invalid(s, "BPF_F_MMAPABLE or BPF_F_INNER_MAP on a map that is not an array");
  if (kind !== "perf" && flags(s) & BPF_F_PRESERVE_ELEMS) invalid(s, "BPF_F_PRESERVE_ELEMS on a map that is not a perf_event_array");
  if (s.valueSize > 0x7fffffff) tooBig(s, "value_size is too big");
  if (kind === "percpu" && roundUp8(s.valueSize) > PCPU_MIN_UNIT_SIZE) tooBig(s, `per-CPU value_size ${s.valueSize} is over ${PCPU_MIN_UNIT_SIZE}`);
};

/** htab_map_alloc_check */
const hashCheck = (o: { percpu: boolean; lru: boolean; fd?: boolean }) => (s: UserMapSpec) => {
  if (o.fd) need(s, s.valueSize === 4, `value_size ${s.valueSize} is not 4`);
  const f = flags(s);
  onlyFlags(s, BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED);
  accessOk(s);
  if (o.lru && f & BPF_F_NO_PREALLOC) throw new MapError(Errno.ENOTSUPP, `create ${o.percpu ? "lru_percpu_hash" : "lru_hash"} map${s.name ? ` "${s.name}"` : ""} (an LRU map is always preallocated: BPF_F_NO_PREALLOC)`);
  if (!o.lru && f & BPF_F_NO_COMMON_LRU) invalid(s, "BPF_F_NO_COMMON_LRU on a map that is not an LRU");
  if (o.percpu && f & BPF_F_NUMA_NODE) invalid(s, "a NUMA node for a per-CPU map");
  need(s, s.maxEntries > 0 && s.keySize > 0 && s.valueSize > 0, s.maxEntries <= 0 ? "max_entries is 0" : s.keySize <= 0 ? "key_size is 0" : "value_size is 0");
  if (s.keySize + s.valueSize >= KMALLOC_MAX_SIZE - 64) tooBig(s, `key_size + value_size ${s.keySize + s.valueSize} is too big`);
  if (o.percpu && roundUp8(s.valueSize) > PCPU_MIN_UNIT_SIZE) tooBig(s, `per-CPU value_size ${s.valueSize} is over ${PCPU_MIN_UNIT_SIZE}`);
};

/** queue_stack_map_alloc_check */
const queueCheck = (s: UserMapSpec) => {
  need(s, s.maxEntries > 0, "max_entries is 0");
  need(s, s.keySize === 0, `key_size ${s.keySize} is not 0`);
  need(s, s.valueSize > 0, "value_size is 0");
  onlyFlags(s, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
  accessOk(s);
  if (s.valueSize > KMALLOC_MAX_SIZE) tooBig(s, "value_size is too big");
};

/** ringbuf_map_alloc: no keys or values, a page-aligned power of two of data. */
const ringCheck = (s: UserMapSpec) => {
  onlyFlags(s, BPF_F_NUMA_NODE);
  need(s, s.keySize === 0 && s.valueSize === 0, "key_size and value_size must be 0");
  const n = s.maxEntries;
  need(s, n > 0 && (n & (n - 1)) === 0 && n % PAGE_SIZE === 0, `max_entries ${n} is not a power of 2 and a multiple of the page size`);
};

/** trie_alloc */
const lpmCheck = (s: UserMapSpec) => {
  need(s, s.maxEntries > 0, "max_entries is 0");
  need(s, (flags(s) & BPF_F_NO_PREALLOC) !== 0, "an lpm_trie needs BPF_F_NO_PREALLOC");
  onlyFlags(s, BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
  accessOk(s);
  need(s, s.keySize >= 5 && s.keySize <= 4 + 256, `key_size ${s.keySize} is not 4 + 1 to 256 bytes of data`);
  need(s, s.valueSize >= 1 && s.valueSize <= KMALLOC_MAX_SIZE - 256 - 32, `value_size ${s.valueSize} is out of range`);
};

/** bloom_map_alloc */
const bloomCheck = (s: UserMapSpec) => {
  need(s, s.keySize === 0, `key_size ${s.keySize} is not 0`);
  need(s, s.valueSize > 0, "value_size is 0");
  need(s, s.maxEntries > 0, "max_entries is 0");
  onlyFlags(s, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK);
  accessOk(s);
  need(s, ((s.mapExtra ?? 0n) & ~0xfn) === 0n, "map_extra has bits beyond the hash count");
};

/** stack_map_alloc */
const stackTraceCheck = (s: UserMapSpec) => {
  onlyFlags(s, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_STACK_BUILD_ID);
  const entry = flags(s) & BPF_F_STACK_BUILD_ID ? 32 : 8;
  need(s, s.maxEntries > 0 && s.keySize === 4 && s.valueSize >= entry && s.valueSize % entry === 0, "key_size must be 4 and value_size a multiple of the entry size");
  need(s, s.valueSize / entry <= PERF_MAX_STACK_DEPTH, `value_size ${s.valueSize} holds more than ${PERF_MAX_STACK_DEPTH} frames`);
};

/** dev_map_alloc_check (devmap, devmap_hash), cpu_map_alloc, xsk_map_alloc */
const redirectCheck = (kind: "dev" | "cpu" | "xsk") => (s: UserMapSpec) => {
  need(s, s.maxEntries > 0, "max_entries is 0");
  need(s, s.keySize === 4, `key_size ${s.keySize} is not 4`);
  if (kind === "xsk") {
    need(s, s.valueSize === 4, `value_size ${s.valueSize} is not 4`);
    onlyFlags(s, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
    return;
  }
  need(s, s.valueSize === 4 || s.valueSize === 8, `value_size ${s.valueSize} is not 4 or 8`);
  onlyFlags(s, kind === "cpu" ? BPF_F_NUMA_NODE : BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
  if (kind === "cpu" && s.maxEntries > NR_CPUS) tooBig(s, `max_entries ${s.maxEntries} is over NR_CPUS`);
};

/** bpf_local_storage_map_alloc_check: max_entries 0, BPF_F_NO_PREALLOC, a 4-byte key (an fd). */
const storageCheck = (s: UserMapSpec) => {
  onlyFlags(s, BPF_F_NO_PREALLOC | BPF_F_CLONE);
  need(s, (flags(s) & BPF_F_NO_PREALLOC) !== 0, "local storage needs BPF_F_NO_PREALLOC");
  need(s, s.maxEntries === 0, `max_entries ${s.maxEntries} is not 0`);
  need(s, s.keySize === 4, `key_size ${s.keySize} is not 4`);
  need(s, s.valueSize > 0, "value_size is 0");
  if (s.valueSize > LOCAL_STORAGE_MAX_VALUE) tooBig(s, `value_size ${s.valueSize} is too big`);
};

const hash = (perCpu: boolean, lru: boolean): MapOps => ({
  check: hashCheck({ percpu: perCpu, lru }),
  create: (sp, spec) => new HashMap(sp, spec, { perCpu, lru }),
});

/** Map operations by type id, like the kernel's BPF_MAP_TYPE(_id, _ops) table. */
export const MAP_OPS: Readonly<Partial<Record<number, MapOps>>> = {
  /** BPF_MAP_TYPE_HASH */ 1: hash(false, false),
  /** BPF_MAP_TYPE_ARRAY */ 2: { check: arrayCheck("array"), create: (s, spec) => new ArrayMap(s, spec, false) },
  /** BPF_MAP_TYPE_PROG_ARRAY */ 3: { check: arrayCheck("fd"), create: (s, spec, o) => new ProgArrayMap(s, spec, o.programs) },
  /** BPF_MAP_TYPE_PERF_EVENT_ARRAY */ 4: { check: arrayCheck("perf"), create: (s, spec) => new PerfEventArrayMap(s, spec) },
  /** BPF_MAP_TYPE_PERCPU_HASH */ 5: hash(true, false),
  /** BPF_MAP_TYPE_PERCPU_ARRAY */ 6: { check: arrayCheck("percpu"), create: (s, spec) => new ArrayMap(s, spec, true) },
  /** BPF_MAP_TYPE_STACK_TRACE */ 7: { check: stackTraceCheck, create: (s, spec) => new StackTraceMap(s, spec) },
  /** BPF_MAP_TYPE_CGROUP_ARRAY */ 8: { check: arrayCheck("fd"), create: (s, spec) => new CgroupArrayMap(s, spec) },
  /** BPF_MAP_TYPE_LRU_HASH */ 9: hash(false, true),
  /** BPF_MAP_TYPE_LRU_PERCPU_HASH */ 10: hash(true, true),
  /** BPF_MAP_TYPE_LPM_TRIE */ 11: { check: lpmCheck, create: (s, spec) => new LpmTrieMap(s, spec) },
  /** BPF_MAP_TYPE_ARRAY_OF_MAPS */ 12: { check: arrayCheck("fd"), create: (s, spec) => new ArrayOfMapsMap(s, spec) },
  /** BPF_MAP_TYPE_HASH_OF_MAPS */ 13: { check: hashCheck({ percpu: false, lru: false, fd: true }), create: (s, spec) => new HashOfMapsMap(s, spec) },
  /** BPF_MAP_TYPE_DEVMAP */ 14: { check: redirectCheck("dev"), create: (s, spec) => new DevMap(s, spec) },
  /** BPF_MAP_TYPE_CPUMAP */ 16: { check: redirectCheck("cpu"), create: (s, spec) => new CpuMap(s, spec) },
  /** BPF_MAP_TYPE_XSKMAP */ 17: { check: redirectCheck("xsk"), create: (s, spec) => new XskMap(s, spec) },
  /** BPF_MAP_TYPE_QUEUE */ 22: { check: queueCheck, create: (s, spec) => new QueueStackMap(s, spec, false) },
  /** BPF_MAP_TYPE_STACK */ 23: { check: queueCheck, create: (s, spec) => new QueueStackMap(s, spec, true) },
  /** BPF_MAP_TYPE_SK_STORAGE */ 24: { check: storageCheck, create: (s, spec) => new LocalStorageMap(s, spec) },
  /** BPF_MAP_TYPE_DEVMAP_HASH */ 25: { check: redirectCheck("dev"), create: (s, spec) => new DevMapHash(s, spec) },
  /** BPF_MAP_TYPE_RINGBUF */ 27: { check: ringCheck, create: (s, spec) => new RingBufMap(s, spec) },
  /** BPF_MAP_TYPE_INODE_STORAGE */ 28: { check: storageCheck, create: (s, spec) => new LocalStorageMap(s, spec) },
  /** BPF_MAP_TYPE_TASK_STORAGE */ 29: { check: storageCheck, create: (s, spec) => new LocalStorageMap(s, spec) },
  /** BPF_MAP_TYPE_BLOOM_FILTER */ 30: { check: bloomCheck, create: (s, spec) => new BloomFilterMap(s, spec) },
  /** BPF_MAP_TYPE_USER_RINGBUF */ 31: { check: ringCheck, create: (s, spec) => new UserRingBufMap(s, spec) },
  /** BPF_MAP_TYPE_CGRP_STORAGE */ 32: { check: storageCheck, create: (s, spec) => new LocalStorageMap(s, spec) },
};

/** The generic checks of map_create, before the type's own. */
function commonCheck(id: number, spec: UserMapSpec): void {
  // union bpf_attr holds u32s: anything else cannot be asked for.
  for (const [field, name] of [["keySize", "key_size"], ["valueSize", "value_size"], ["maxEntries", "max_entries"]] as const) {
    const v = spec[field];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) invalid(spec, `${name} ${v} is not a u32`);
  }
  const f = flags(spec);
  if ((f & BPF_F_RDONLY) && (f & BPF_F_WRONLY)) invalid(spec, "BPF_F_RDONLY with BPF_F_WRONLY");
  // map_extra is only for bloom filters (hash count) and arenas.
  if (id !== 30 && id !== 33 && (spec.mapExtra ?? 0n) !== 0n) invalid(spec, "map_extra is only for bloom filters and arenas");
}

/**
 * What the kernel changes in a spec as it makes the map, and reports back: devmaps
 * get BPF_F_RDONLY_PROG; (htab_map_alloc) a per-CPU LRU has max_entries rounded up to a multiple of the CPU
 * count (down when that overflows), as the kernel reports it back.
 */
function adjust(id: number, spec: UserMapSpec, cpus: number): UserMapSpec {
  // dev_map_init_map: a lookup points at the entry itself, so programs may only read it.
  if (id === 14 || id === 25) return { ...spec, flags: flags(spec) | BPF_F_RDONLY_PROG };
  if ((id === 9 || id === 10) && flags(spec) & BPF_F_NO_COMMON_LRU) {
    let n = Math.ceil(spec.maxEntries / cpus) * cpus;
    if (n > 0xffffffff) n = Math.floor(spec.maxEntries / cpus) * cpus;
    return { ...spec, maxEntries: n };
  }
  return spec;
}

/**
 * BPF_MAP_CREATE's checks alone (map_alloc_check), making nothing: throws the MapError the
 * kernel's create would fail with. A type the runtime does not have passes unchecked.
 */
export function checkMapSpec(spec: UserMapSpec): void {
  let id: number;
  try {
    id = mapTypeId(spec.type as MapTypeName);
  } catch {
    return;
  }
  const ops = MAP_OPS[id];
  if (!ops) return;
  const copy = { ...spec, type: id };
  commonCheck(id, copy);
  ops.check(copy);
}

/** A live map in `space`, from a spec (copied). */
export function createMap(space: AddressSpace, spec: UserMapSpec, options: CreateMapOptions = {}): BpfMap {
  let id: number;
  try {
    id = mapTypeId(spec.type as MapTypeName);
  } catch (e) {
    throw new BpfError("EINVAL", `map ${spec.name ?? ""}: ${(e as Error).message}`.replace("map : ", ""), { cause: e });
  }
  const ops = MAP_OPS[id];
  if (!ops) throw new NotSupportedError(`map type ${mapTypeName(id)} in the userspace runtime${spec.name ? ` (map ${spec.name})` : ""}`);
  const copy = { ...spec, type: id };
  commonCheck(id, copy);
  ops.check(copy);
  try {
    return ops.create(space, adjust(id, copy, cpusOf(space).cpus), options);
  } catch (e) {
    if (e instanceof MapError) throw e;
    // The kernel would fail to allocate too: ENOMEM, with what did not fit.
    throw new MapError(Errno.ENOMEM, `create ${mapTypeName(id)} map${spec.name ? ` "${spec.name}"` : ""} (${spec.maxEntries} entries do not fit the runtime's memory: ${(e as Error).message})`);
  }
}
