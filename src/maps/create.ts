/**
 * @fileoverview `createMap`: a live userspace map from its spec, through one table of
 * operations by map type, as the kernel's `bpf_map_ops` (`map_alloc_check`, `map_alloc`).
 * A type without a row is a NotSupportedError naming it.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import type { AddressSpace } from "../runtime/address-space.js";
import { ArrayMap, ArrayOfMapsMap, ProgArrayMap, type ProgramResolver } from "./array.js";
import { HashMap } from "./hash.js";
import { BpfMap, Errno, MapError, type UserMapSpec } from "./map.js";
import { QueueStackMap } from "./queue.js";
import { mapTypeId, mapTypeName, type MapTypeName } from "./types.js";

/** What creating a map may need besides its spec. */
export interface CreateMapOptions {
  /** For prog_array: the program an id written into a slot names. */
  readonly programs?: ProgramResolver;
}

/** One map type's operations. */
export interface MapOps {
  /** map_alloc_check: sizes and flags; throws MapError (EINVAL) as BPF_MAP_CREATE would fail. */
  check(spec: UserMapSpec): void;
  create(space: AddressSpace, spec: UserMapSpec, options: CreateMapOptions): BpfMap;
}

const invalid = (spec: UserMapSpec, why: string): never => {
  throw new MapError(Errno.EINVAL, `create ${mapTypeName(mapTypeId(spec.type as MapTypeName))} map${spec.name ? ` "${spec.name}"` : ""} (${why})`);
};
const positive = (spec: UserMapSpec) => {
  if (!(spec.maxEntries > 0)) invalid(spec, "max_entries is 0");
  if (!(spec.valueSize > 0)) invalid(spec, "value_size is 0");
};
/** array_map_alloc_check and fd_array_map_alloc_check: 4-byte keys. */
const arrayCheck = (valueSize?: number) => (spec: UserMapSpec) => {
  positive(spec);
  if (spec.keySize !== 4) invalid(spec, `key_size ${spec.keySize} is not 4`);
  if (valueSize !== undefined && spec.valueSize !== valueSize) invalid(spec, `value_size ${spec.valueSize} is not ${valueSize}`);
};
/** htab_map_alloc_check */
const hashCheck = (spec: UserMapSpec) => {
  positive(spec);
  if (!(spec.keySize > 0)) invalid(spec, "key_size is 0");
};
/** queue_stack_map_alloc_check: no keys. */
const queueCheck = (spec: UserMapSpec) => {
  positive(spec);
  if (spec.keySize !== 0) invalid(spec, `key_size ${spec.keySize} is not 0`);
};

/** Map operations by type id, like the kernel's BPF_MAP_TYPE(_id, _ops) table. */
export const MAP_OPS: Readonly<Partial<Record<number, MapOps>>> = {
  /** BPF_MAP_TYPE_HASH */
  1: { check: hashCheck, create: (s, spec) => new HashMap(s, spec, { perCpu: false, lru: false }) },
  /** BPF_MAP_TYPE_ARRAY */
  2: { check: arrayCheck(), create: (s, spec) => new ArrayMap(s, spec, false) },
  /** BPF_MAP_TYPE_PROG_ARRAY */
  3: { check: arrayCheck(4), create: (s, spec, o) => new ProgArrayMap(s, spec, o.programs) },
  /** BPF_MAP_TYPE_PERCPU_HASH */
  5: { check: hashCheck, create: (s, spec) => new HashMap(s, spec, { perCpu: true, lru: false }) },
  /** BPF_MAP_TYPE_PERCPU_ARRAY */
  6: { check: arrayCheck(), create: (s, spec) => new ArrayMap(s, spec, true) },
  /** BPF_MAP_TYPE_LRU_HASH */
  9: { check: hashCheck, create: (s, spec) => new HashMap(s, spec, { perCpu: false, lru: true }) },
  /** BPF_MAP_TYPE_ARRAY_OF_MAPS */
  12: { check: arrayCheck(4), create: (s, spec) => new ArrayOfMapsMap(s, spec) },
  /** BPF_MAP_TYPE_QUEUE */
  22: { check: queueCheck, create: (s, spec) => new QueueStackMap(s, spec, false) },
  /** BPF_MAP_TYPE_STACK */
  23: { check: queueCheck, create: (s, spec) => new QueueStackMap(s, spec, true) },
};

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
  ops.check(copy);
  return ops.create(space, copy, options);
}
