/**
 * @fileoverview Maps: the kernel's map types, and live userspace maps in a runtime's
 * address space. Runs anywhere: no Node-only imports here.
 */

export { MAP_TYPES, mapTypeId, mapTypeInfo, mapTypeName, type MapTypeInfo, type MapTypeName } from "./types.js";
export {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_NOEXIST,
  BpfMap, Errno, MapError, errnoName, mapAt, mapById, type UpdateFlag, type UserMapSpec,
} from "./map.js";
export { ArrayMap, ArrayOfMapsMap, ProgArrayMap, programArrays, type ProgramResolver } from "./array.js";
export { HashMap } from "./hash.js";
export { QueueStackMap } from "./queue.js";
export { createMap, MAP_OPS, type CreateMapOptions, type MapOps } from "./create.js";
export { cpusOf, setCpus, type CpuModel } from "./cpus.js";
export { htabHash } from "./jhash.js";
