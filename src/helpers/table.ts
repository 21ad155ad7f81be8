/**
 * @fileoverview The helpers the userspace runtime implements: one row per helper (id,
 * name, function), as the kernel's `bpf_func_proto`s. `installHelpers` fills a runtime's
 * HelperRegistry from it. The map helpers live in map-helpers.ts.
 * bpf_trace_printk writes to the space's trace sink (`traceOf`, `onTrace`); what helpers
 * know of the current task and the clock comes from the host model (`setHost`, host.ts).
 */

import type { HelperDef, HelperRegistry } from "../runtime/helpers.js";
import { CALLBACK_HELPERS } from "./callback-helpers.js";
import { FIB_HELPERS } from "./fib.js";
import { KERNEL_ONLY } from "./kernel-only.js";
import { MAP_HELPERS } from "./map-helpers.js";
import { MISC_HELPERS } from "./misc-helpers.js";
import { HELPER_PROTOS } from "./protos.js";
import { SKB_HELPERS } from "./skb-helpers.js";
import { SOCKET_HELPERS } from "./socket-helpers.js";
import { SOCKOPT_HELPERS } from "./sockopt-helpers.js";
import { STACK_HELPERS } from "./stack-helpers.js";
import { STRING_HELPERS } from "./string-helpers.js";
import { SYNCOOKIE_HELPERS } from "./syncookie-helpers.js";
import { TASK_HELPERS } from "./task-helpers.js";
import { TCP_OPT_HELPERS } from "./tcp-opt-helpers.js";
import { TIMER_HELPERS } from "./timer-helpers.js";
import { TUNNEL_HELPERS } from "./tunnel-helpers.js";
import { XDP_HELPERS } from "./xdp-helpers.js";

export { onTrace, seqOutput, traceOf } from "./string-helpers.js";
export { redirectOf, type Redirect } from "./xdp-helpers.js";

/** One row per helper, by id (enum bpf_func_id): each family's file adds its rows. */
export const HELPERS: readonly HelperDef[] = [
  ...MAP_HELPERS,
  ...MISC_HELPERS,
  ...STRING_HELPERS,
  ...TASK_HELPERS,
  ...CALLBACK_HELPERS,
  ...TIMER_HELPERS,
  ...SOCKET_HELPERS,
  ...SOCKOPT_HELPERS,
  ...STACK_HELPERS,
  ...TCP_OPT_HELPERS,
  ...XDP_HELPERS,
  ...SKB_HELPERS,
  ...FIB_HELPERS,
  ...TUNNEL_HELPERS,
  ...SYNCOOKIE_HELPERS,
  /** BPF_FUNC_tail_call: the interpreter makes the jump itself (through `programArray`), never calling this */
  { id: 12, name: "tail_call", fn: () => { throw new Error("bpf_tail_call is made by the interpreter"); } },
];

/**
 * Defines every helper of the table in `registry`, and refuses the kernel's other helpers
 * (a program calling one is refused at load, naming it); returns the registry.
 */
export function installHelpers(registry: HelperRegistry): HelperRegistry {
  for (const h of HELPERS) registry.define(h.id, h.name, h.fn);
  for (const p of HELPER_PROTOS) {
    if (p && !registry.has(p.id)) registry.refuse(p.id, p.name, KERNEL_ONLY.get(p.id) ?? "not implemented in the userspace runtime");
  }
  return registry;
}
