/**
 * @fileoverview Maps: the kernel's map types, and live userspace maps in a runtime's
 * address space. Runs anywhere: no Node-only imports here.
 */

export { MAP_TYPES, mapTypeId, mapTypeInfo, mapTypeName, type MapTypeInfo, type MapTypeName } from "./types.js";
export {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST,
  type BatchOptions, type BatchResult,
  BpfMap, Errno, MapError, errnoName, mapAt, mapById, type UpdateFlag, type UserMapSpec,
} from "./map.js";
export { ArrayMap, ArrayOfMapsMap, ProgArrayMap, programArrays, type ProgramResolver } from "./array.js";
export { HashMap } from "./hash.js";
export { QueueStackMap } from "./queue.js";
export { createMap, MAP_OPS, type CreateMapOptions, type MapOps } from "./create.js";
export { cpusOf, setCpus, setDefaultCpus, type CpuModel } from "./cpus.js";
export { htabHash } from "./jhash.js";
export { dumpMap, formatMapDump, toJson, valueFields, type DumpableMap, type DumpEntry, type JsonValue, type MapBtf, type ValueFields } from "./dump.js";
export { BloomFilterMap } from "./bloom-filter.js";
export { HashOfMapsMap } from "./hash-of-maps.js";
export { LpmTrieMap } from "./lpm-trie.js";
export { CgroupArrayMap, cgroupsOf, PerfBuffer, PerfEventArrayMap, PerfReader, setCgroups, type PerfSample } from "./perf-event-array.js";
export { CpuMap, DevMap, DevMapHash, interfacesOf, takeRedirect, XskMap, type RedirectTarget } from "./redirect.js";
export { RingBufMap, RingBufReader, RingQuery, UserRingBufMap } from "./ringbuf.js";
export { setStackModel, stackModelOf, StackTraceMap, type StackModel } from "./stack-trace.js";
export { BPF_LOCAL_STORAGE_GET_F_CREATE, LocalStorageMap } from "./storage.js";
export { TypedMap, type ByteMap } from "./typed.js";
export { runtimeMapSpec, type ObjectMapShape } from "./spec.js";
