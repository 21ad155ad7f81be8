/**
 * @fileoverview The kernel's map types (`enum bpf_map_type` in `linux/bpf.h`), one row
 * per type in the kernel's order, named as bpftool prints them. Pure data: the kernel
 * backend and the userspace runtime share it.
 */

import { BpfError } from "../errors.js";

/** What tsbpf knows about one map type. */
export interface MapTypeInfo {
  /** The kernel's number for it, its index in `enum bpf_map_type`. */
  readonly id: number;
  /** The short name bpftool prints: "hash", "lru_hash", "ringbuf". */
  readonly name: string;
  /** Values are kept once per possible CPU, so userspace reads and writes all of them. */
  readonly perCpu: boolean;
}

const row = <const N extends string>(id: number, name: N, perCpu = false) => ({ id, name, perCpu }) as const;

/** Every map type, indexed by id. */
export const MAP_TYPES = [
  /** BPF_MAP_TYPE_UNSPEC */ row(0, "unspec"),
  /** BPF_MAP_TYPE_HASH */ row(1, "hash"),
  /** BPF_MAP_TYPE_ARRAY */ row(2, "array"),
  /** BPF_MAP_TYPE_PROG_ARRAY */ row(3, "prog_array"),
  /** BPF_MAP_TYPE_PERF_EVENT_ARRAY */ row(4, "perf_event_array"),
  /** BPF_MAP_TYPE_PERCPU_HASH */ row(5, "percpu_hash", true),
  /** BPF_MAP_TYPE_PERCPU_ARRAY */ row(6, "percpu_array", true),
  /** BPF_MAP_TYPE_STACK_TRACE */ row(7, "stack_trace"),
  /** BPF_MAP_TYPE_CGROUP_ARRAY */ row(8, "cgroup_array"),
  /** BPF_MAP_TYPE_LRU_HASH */ row(9, "lru_hash"),
  /** BPF_MAP_TYPE_LRU_PERCPU_HASH */ row(10, "lru_percpu_hash", true),
  /** BPF_MAP_TYPE_LPM_TRIE */ row(11, "lpm_trie"),
  /** BPF_MAP_TYPE_ARRAY_OF_MAPS */ row(12, "array_of_maps"),
  /** BPF_MAP_TYPE_HASH_OF_MAPS */ row(13, "hash_of_maps"),
  /** BPF_MAP_TYPE_DEVMAP */ row(14, "devmap"),
  /** BPF_MAP_TYPE_SOCKMAP */ row(15, "sockmap"),
  /** BPF_MAP_TYPE_CPUMAP */ row(16, "cpumap"),
  /** BPF_MAP_TYPE_XSKMAP */ row(17, "xskmap"),
  /** BPF_MAP_TYPE_SOCKHASH */ row(18, "sockhash"),
  /** BPF_MAP_TYPE_CGROUP_STORAGE */ row(19, "cgroup_storage"),
  /** BPF_MAP_TYPE_REUSEPORT_SOCKARRAY */ row(20, "reuseport_sockarray"),
  /** BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE */ row(21, "percpu_cgroup_storage", true),
  /** BPF_MAP_TYPE_QUEUE */ row(22, "queue"),
  /** BPF_MAP_TYPE_STACK */ row(23, "stack"),
  /** BPF_MAP_TYPE_SK_STORAGE */ row(24, "sk_storage"),
  /** BPF_MAP_TYPE_DEVMAP_HASH */ row(25, "devmap_hash"),
  /** BPF_MAP_TYPE_STRUCT_OPS */ row(26, "struct_ops"),
  /** BPF_MAP_TYPE_RINGBUF */ row(27, "ringbuf"),
  /** BPF_MAP_TYPE_INODE_STORAGE */ row(28, "inode_storage"),
  /** BPF_MAP_TYPE_TASK_STORAGE */ row(29, "task_storage"),
  /** BPF_MAP_TYPE_BLOOM_FILTER */ row(30, "bloom_filter"),
  /** BPF_MAP_TYPE_USER_RINGBUF */ row(31, "user_ringbuf"),
  /** BPF_MAP_TYPE_CGRP_STORAGE */ row(32, "cgrp_storage"),
  /** BPF_MAP_TYPE_ARENA */ row(33, "arena"),
] as const satisfies readonly MapTypeInfo[];

/** A map type's short name, as a spec may give it. */
export type MapTypeName = (typeof MAP_TYPES)[number]["name"];

const BY_NAME = new Map<string, MapTypeInfo>(MAP_TYPES.map((t): [string, MapTypeInfo] => [t.name, t]));

/** The row for a map type given by id or name; undefined for one this table lacks. */
export function mapTypeInfo(type: number | string): MapTypeInfo | undefined {
  return typeof type === "number" ? (MAP_TYPES as readonly MapTypeInfo[])[type] : BY_NAME.get(type);
}

/** The id of a map type given by id or name; throws on an unknown name. */
export function mapTypeId(type: number | MapTypeName): number {
  if (typeof type === "number") return type;
  const info = BY_NAME.get(type);
  if (!info) throw new BpfError("EINVAL", `unknown map type "${type}"`);
  return info.id;
}

/** The short name of a map type, or `type <id>` for one newer than this table. */
export function mapTypeName(id: number): string {
  return (MAP_TYPES as readonly MapTypeInfo[])[id]?.name ?? `type ${id}`;
}
