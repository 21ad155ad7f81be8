/**
 * @fileoverview tsbpf's own program types, for the in-process hooks of src/hooks: one row
 * per hook family with its context struct (as include/tsbpf/hooks.h declares it), the
 * context access rule, the helpers and the return range. Not kernel types: no kernel id.
 */

import { HELPER_NAMES } from "../helpers/names.js";
import type { CtxAccess, CtxAccessVerdict, ProgramTypeVerifierOps, ReturnRange } from "./access.js";
import { type CtxField, type CtxLayout, layout } from "./layouts.js";

type Def = readonly [name: string, kind: "u32" | "u64" | "s32", count?: number];

/** The fields of a `struct tsbpf_str` named `n`, flattened ("path.ptr"...). */
const str = (n: string): Def[] => [[`${n}.ptr`, "u64"], [`${n}.len`, "u32"], [`${n}.truncated`, "u32"]];
/** The fields of a `struct tsbpf_arg` named `n`. */
const arg = (n: string): Def[] => [[`${n}.type`, "u32"], [`${n}.len`, "u32"], [`${n}.num`, "u64"], [`${n}.bits`, "u64"], ...str(`${n}.str`)];

/** TSBPF_STR_MAX: a bounded string's bytes, NUL included. */
export const TSBPF_STR_MAX = 256;
/** TSBPF_MAX_ARGS: argument slots of a function probe. */
export const TSBPF_MAX_ARGS = 6;

/** struct tsbpf_dc_ctx */
export const TSBPF_DC_CTX: CtxLayout = layout("tsbpf_dc_ctx", [
  ["ts_ns", "u64"], ["start_ns", "u64"], ["id", "u64"], ["channel", "u32"], ["status", "u32"], ["port", "u32"], ["pid", "u32"],
  ["bytes", "u64"], ...str("method"), ...str("path"), ...str("host"),
]);

/** struct tsbpf_fn_ctx */
export const TSBPF_FN_CTX: CtxLayout = layout("tsbpf_fn_ctx", [
  ["ts_ns", "u64"], ["duration_ns", "u64"], ["id", "u64"], ["nargs", "u32"], ["is_return", "u32"], ["threw", "u32"], ["_pad", "u32"],
  ...str("name"), ...Array.from({ length: TSBPF_MAX_ARGS }, (_, i) => arg(`args[${i}]`)).flat(), ...arg("ret"),
]);

/** struct tsbpf_policy_ctx */
export const TSBPF_POLICY_CTX: CtxLayout = layout("tsbpf_policy_ctx", [
  ["ts_ns", "u64"], ["op", "u32"], ["flags", "u32"], ["port", "u32"], ["_pad", "u32"], ...str("path"), ...str("fn"),
]);

/** struct tsbpf_rt_ctx */
export const TSBPF_RT_CTX: CtxLayout = layout("tsbpf_rt_ctx", [
  ["ts_ns", "u64"], ["duration_ns", "u64"], ["value", "u64"], ["event", "u32"], ["kind", "u32"], ...str("name"),
]);

/** struct tsbpf_perf_ctx */
export const TSBPF_PERF_CTX: CtxLayout = layout("tsbpf_perf_ctx", [["ts_ns", "u64"], ["period_ns", "u64"], ["depth", "u32"], ["_pad", "u32"]]);

/** One hook program type. */
export interface HookTypeRow {
  /** The type's name: "tsbpf_dc". */
  readonly name: string;
  /** Its section prefix: a program in SEC("tsbpf/dc/http.server.request.start") is of this type. */
  readonly section: string;
  readonly ctx: CtxLayout;
  /** Helper names it may call. */
  readonly helpers: readonly string[];
  /** The range r0 must lie in, if any. */
  readonly returnRange?: ReturnRange;
  /** What the return value means. */
  readonly returns: string;
}

/** What every hook may call: maps, clocks, probe reads, ring buffers, printk. */
const HOOK_HELPERS = [
  "map_lookup_elem", "map_update_elem", "map_delete_elem", "map_push_elem", "map_pop_elem", "map_peek_elem",
  "map_lookup_percpu_elem", "ktime_get_ns", "ktime_get_boot_ns", "ktime_get_coarse_ns", "ktime_get_tai_ns", "jiffies64",
  "get_prandom_u32", "get_smp_processor_id", "get_numa_node_id", "get_current_pid_tgid", "get_current_uid_gid",
  "get_current_comm", "trace_printk", "trace_vprintk", "snprintf", "strncmp", "strtol", "strtoul",
  "probe_read", "probe_read_str", "probe_read_user", "probe_read_kernel", "probe_read_user_str", "probe_read_kernel_str",
  "ringbuf_output", "ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "perf_event_output",
  "spin_lock", "spin_unlock", "loop", "tail_call",
];

/** Every hook type: one row per family. */
export const HOOK_TYPE_TABLE: readonly HookTypeRow[] = [
  { name: "tsbpf_dc", section: "tsbpf/dc", ctx: TSBPF_DC_CTX, helpers: HOOK_HELPERS, returns: "ignored" },
  { name: "tsbpf_fentry", section: "tsbpf/fentry", ctx: TSBPF_FN_CTX, helpers: HOOK_HELPERS, returns: "ignored" },
  { name: "tsbpf_fexit", section: "tsbpf/fexit", ctx: TSBPF_FN_CTX, helpers: HOOK_HELPERS, returns: "ignored" },
  { name: "tsbpf_policy", section: "tsbpf/policy", ctx: TSBPF_POLICY_CTX, helpers: HOOK_HELPERS, returns: "0 allows the operation, anything else denies it (EPERM)" },
  { name: "tsbpf_runtime", section: "tsbpf/runtime", ctx: TSBPF_RT_CTX, helpers: HOOK_HELPERS, returns: "ignored" },
  { name: "tsbpf_perf", section: "tsbpf/perf", ctx: TSBPF_PERF_CTX, helpers: [...HOOK_HELPERS, "get_stackid"], returns: "ignored" },
];

/** The hook type a section name means, and the part after its prefix ("http.server.request.start"). */
export function hookTypeOfSection(section: string): { row: HookTypeRow; target: string } | undefined {
  for (const row of HOOK_TYPE_TABLE) {
    if (section.startsWith(row.section + "/")) return { row, target: section.slice(row.section.length + 1) };
  }
  return undefined;
}

/**
 * The access rule of every hook context: read only, inside the struct, aligned, inside one
 * field (narrower loads of a field are fine). Pointers in it (`tsbpf_str.ptr`) are numbers
 * for the probe-read helpers, never dereferenced directly.
 */
export function hookAccess(ctx: CtxLayout, a: CtxAccess): CtxAccessVerdict {
  if (a.write) return { ok: false, reason: "the hook context is read only" };
  if (a.off < 0 || a.off + a.size > ctx.size) return { ok: false, reason: "outside the context" };
  if (a.off % a.size !== 0) return { ok: false, reason: "misaligned" };
  const f = ctx.fields.find((x: CtxField) => a.off >= x.off && a.off < x.off + x.size);
  if (!f) return { ok: false, reason: "padding" };
  if (a.off + a.size > f.off + f.size) return { ok: false, reason: `access across field ${f.name}` };
  return a.size === f.elemSize ? { ok: true, type: "scalar" } : { ok: true, type: "scalar", fieldSize: f.elemSize };
}

const OPS = new Map<string, ProgramTypeVerifierOps>();

/** The verifier's view of a hook type. */
export function hookVerifierOps(row: HookTypeRow): ProgramTypeVerifierOps {
  let ops = OPS.get(row.name);
  if (ops) return ops;
  const allowed = new Set(row.helpers);
  ops = {
    name: row.name,
    ctxSize: row.ctx.size,
    isValidAccess: (a) => ([1, 2, 4, 8].includes(a.size) ? hookAccess(row.ctx, a) : { ok: false, reason: "bad size" }),
    helperAllowed: (id) => id !== 0 && allowed.has(HELPER_NAMES[id] ?? ""),
    returnRange: () => row.returnRange,
  };
  OPS.set(row.name, ops);
  return ops;
}
