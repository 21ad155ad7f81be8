/**
 * @fileoverview The helpers the userspace runtime implements: one row per helper (id,
 * name, function), as the kernel's `bpf_func_proto`s. `installHelpers` fills a runtime's
 * HelperRegistry from it. The map helpers live in map-helpers.ts.
 * bpf_trace_printk writes to the space's trace sink (`traceOf`, `onTrace`).
 */

import type { AddressSpace } from "../runtime/address-space.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn, HelperRegistry } from "../runtime/helpers.js";
import { Errno } from "../maps/map.js";
import { MAP_HELPERS } from "./map-helpers.js";
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

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

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

/** One row per helper, by id (enum bpf_func_id): the map helpers, then the others. */
export const HELPERS: readonly HelperDef[] = [
  ...MAP_HELPERS,
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
];

/** Defines every helper of the table in `registry`; returns it. */
export function installHelpers(registry: HelperRegistry): HelperRegistry {
  for (const h of HELPERS) registry.define(h.id, h.name, h.fn);
  return registry;
}
