/**
 * @fileoverview The helpers the userspace runtime implements: one row per helper (id,
 * name, function), as the kernel's `bpf_func_proto`s. `installHelpers` fills a runtime's
 * HelperRegistry from it. A map argument is the map's handle (what a BPF_PSEUDO_MAP_FD
 * load resolves to, see src/maps/map.ts); a helper maps it back with `mapAt`.
 * bpf_trace_printk writes to the space's trace sink (`traceOf`, `onTrace`).
 */

import type { AddressSpace } from "../runtime/address-space.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn, HelperRegistry } from "../runtime/helpers.js";
import { type BpfMap, Errno, mapAt } from "../maps/map.js";
import { formatPrintk } from "./printk.js";

/** What bpf_trace_printk printed in one address space, and who is told. */
interface TraceSink { readonly lines: string[]; listener: ((line: string) => void) | undefined }
const SINKS = new WeakMap<AddressSpace, TraceSink>();
function sink(space: AddressSpace): TraceSink {
  let s = SINKS.get(space);
  if (!s) SINKS.set(space, (s = { lines: [], listener: undefined }));
  return s;
}

/** The lines bpf_trace_printk printed in this space (a runtime's `space`), oldest first; clear it freely. */
export function traceOf(space: AddressSpace): string[] {
  return sink(space).lines;
}

/** Calls `fn` with each line printed from now on (undefined stops). */
export function onTrace(space: AddressSpace, fn: ((line: string) => void) | undefined): void {
  sink(space).listener = fn;
}

function mapArg(env: HelperEnv, args: HelperArgs, n = 1): BpfMap {
  const handle = args.addr(n);
  const map = handle > 0 ? mapAt(env.space, handle) : undefined;
  if (!map) throw new Error(`r${n} = 0x${args.u64(n).toString(16)} is not a map`);
  return map;
}

/** Reads a checked pointer argument: the MemoryFault names the call when it is bad. */
function pointer(env: HelperEnv, args: HelperArgs, n: number, size: number, access: "read" | "write"): number {
  const addr = args.addr(n);
  // The check alone on the hot path; env.bytes (which makes a view) only to raise the fault.
  if (size > 0 && (addr < 0 || env.space.check(addr, size, access === "write") === 0)) env.bytes(addr, size, access);
  return addr;
}

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

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

/** bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): the text's length, or -EINVAL. */
const tracePrintk: HelperFn = (a, env) => {
  const size = a.u32(2);
  if (size === 0) return -Errno.EINVAL;
  const bytes = env.bytes(a.addr(1), size, "read");
  const nul = bytes.indexOf(0);
  if (nul < 0) return -Errno.EINVAL; // the format must end within fmt_size
  const fmt = String.fromCharCode(...bytes.subarray(0, nul));
  const text = formatPrintk(fmt, {
    arg: (i) => a.u64(3 + i),
    string: (addr, max) => {
      const at = Number(addr);
      if (addr > 0x7fffffffn) return undefined;
      let s = "";
      for (let k = 0; k < max; k++) {
        if (env.space.check(at + k, 1, false) === 0) return k === 0 ? undefined : s;
        const c = env.space.u8[at + k]!;
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s;
    },
  });
  if (text === undefined) return -Errno.EINVAL;
  const s = sink(env.space);
  // trace_pipe shows one line per call: a trailing newline of the format ends it.
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  s.lines.push(line);
  s.listener?.(line);
  return text.length;
};

const popOrPeek = (remove: boolean): HelperFn => (a, env) => {
  const map = mapArg(env, a);
  return map.popElem(pointer(env, a, 2, map.valueSize, "write"), remove);
};

/** One row per helper, by id (enum bpf_func_id). */
export const HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_map_lookup_elem: the value's address, or 0 */
  { id: 1, name: "map_lookup_elem", fn: lookup },
  /** BPF_FUNC_map_update_elem: 0 or -errno */
  { id: 2, name: "map_update_elem", fn: update },
  /** BPF_FUNC_map_delete_elem: 0 or -errno */
  { id: 3, name: "map_delete_elem", fn: remove },
  /** BPF_FUNC_ktime_get_ns: monotonic nanoseconds (performance.now) */
  { id: 5, name: "ktime_get_ns", fn: () => BigInt(Math.round(now() * 1e6)) },
  /** BPF_FUNC_trace_printk */
  { id: 6, name: "trace_printk", fn: tracePrintk },
  /** BPF_FUNC_get_prandom_u32 */
  { id: 7, name: "get_prandom_u32", fn: () => (Math.random() * 0x100000000) >>> 0 },
  /** BPF_FUNC_get_smp_processor_id: the runtime has one CPU, 0 */
  { id: 8, name: "get_smp_processor_id", fn: () => 0 },
  /** BPF_FUNC_tail_call: the interpreter makes the jump itself (through `programArray`), never calling this */
  { id: 12, name: "tail_call", fn: () => { throw new Error("bpf_tail_call is made by the interpreter"); } },
  /** BPF_FUNC_map_push_elem(map, value, flags) */
  { id: 87, name: "map_push_elem", fn: (a, env) => { const m = mapArg(env, a); return m.pushElem(pointer(env, a, 2, m.valueSize, "read"), a.u32(3)); } },
  /** BPF_FUNC_map_pop_elem(map, value) */
  { id: 88, name: "map_pop_elem", fn: popOrPeek(true) },
  /** BPF_FUNC_map_peek_elem(map, value) */
  { id: 89, name: "map_peek_elem", fn: popOrPeek(false) },
];

/** Defines every helper of the table in `registry`; returns it. */
export function installHelpers(registry: HelperRegistry): HelperRegistry {
  for (const h of HELPERS) registry.define(h.id, h.name, h.fn);
  return registry;
}
