/**
 * @fileoverview Helpers that call back into the program through the engine's re-entry
 * point (`HelperEnv.callback`): bpf_loop.
 */

import { NotSupportedError } from "../errors.js";
import type { HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { E } from "./util.js";

/** BPF_MAX_LOOPS: the most iterations bpf_loop makes. */
export const BPF_MAX_LOOPS = 1 << 23;

function reenter(env: HelperEnv, name: string): NonNullable<HelperEnv["callback"]> {
  if (!env.callback) throw new NotSupportedError(`helper ${name}`, "this engine cannot call back into the program");
  return env.callback.bind(env);
}

/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags): calls callback(i, ctx) for i from 0
 * until it returns non-zero (then i + 1 is returned) or nr_loops calls were made
 * (nr_loops returned); -EINVAL for flags, -E2BIG past BPF_MAX_LOOPS.
 */
const loop: HelperFn = (a, env) => {
  if (a.u64(4) !== 0n) return -E.EINVAL;
  const n = a.u32(1);
  if (n > BPF_MAX_LOOPS) return -E.E2BIG;
  const call = reenter(env, "bpf_loop");
  const fn = a.u64(2), ctx = a.u64(3);
  for (let i = 0; i < n; i++) {
    if (call(fn, [BigInt(i), ctx]) !== 0n) return i + 1;
  }
  return n;
};

/** The callback helpers, by id (enum bpf_func_id). */
export const CALLBACK_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_loop */
  { id: 181, name: "loop", fn: loop },
];
