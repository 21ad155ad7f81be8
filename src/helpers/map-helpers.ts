/**
 * @fileoverview The helpers that operate on maps (lookup, update, delete, push, pop, peek),
 * by id. A map argument is the map's handle (what a BPF_PSEUDO_MAP_FD load resolves to,
 * see src/maps/map.ts); a helper maps it back with `mapAt`.
 */

import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { type BpfMap, mapAt } from "../maps/map.js";

export function mapArg(env: HelperEnv, args: HelperArgs, n = 1): BpfMap {
  const handle = args.addr(n);
  const map = handle > 0 ? mapAt(env.space, handle) : undefined;
  if (!map) throw new Error(`r${n} = 0x${args.u64(n).toString(16)} is not a map`);
  return map;
}

/** Reads a checked pointer argument: the MemoryFault names the call when it is bad. */
export function pointer(env: HelperEnv, args: HelperArgs, n: number, size: number, access: "read" | "write"): number {
  const addr = args.addr(n);
  // The check alone on the hot path; env.bytes (which makes a view) only to raise the fault.
  if (size > 0 && (addr < 0 || env.space.check(addr, size, access === "write") === 0)) env.bytes(addr, size, access);
  return addr;
}

const lookup: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  return map.lookupElem(pointer(env, a, 2, map.keySize, "read"));
};
const update: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  return map.updateElem(pointer(env, a, 2, map.keySize, "read"), pointer(env, a, 3, map.valueSize, "read"), a.u32(4));
};
const remove: HelperFn = (a, env) => {
  const map = mapArg(env, a);
  return map.deleteElem(pointer(env, a, 2, map.keySize, "read"));
};

const popOrPeek = (remove: boolean): HelperFn => (a, env) => {
  const map = mapArg(env, a);
  return map.popElem(pointer(env, a, 2, map.valueSize, "write"), remove);
};

/** The map helpers, by id (enum bpf_func_id). */
export const MAP_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_map_lookup_elem: the value's address, or 0 */
  { id: 1, name: "map_lookup_elem", fn: lookup },
  /** BPF_FUNC_map_update_elem: 0 or -errno */
  { id: 2, name: "map_update_elem", fn: update },
  /** BPF_FUNC_map_delete_elem: 0 or -errno */
  { id: 3, name: "map_delete_elem", fn: remove },
  /** BPF_FUNC_map_push_elem(map, value, flags) */
  { id: 87, name: "map_push_elem", fn: (a, env) => { const m = mapArg(env, a); return m.pushElem(pointer(env, a, 2, m.valueSize, "read"), a.u32(3)); } },
  /** BPF_FUNC_map_pop_elem(map, value) */
  { id: 88, name: "map_pop_elem", fn: popOrPeek(true) },
  /** BPF_FUNC_map_peek_elem(map, value) */
  { id: 89, name: "map_peek_elem", fn: popOrPeek(false) },
];
