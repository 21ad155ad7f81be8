/**
 * @fileoverview bpf_get_stack and bpf_get_task_stack (kernel/bpf/stackmap.c's
 * __bpf_get_stack): the stack model's kernel or user instruction pointers (the same model
 * bpf_get_stackid reads) copied into the program's buffer, skip and size as the kernel
 * counts them; with BPF_F_USER_BUILD_ID, entries of struct bpf_stack_build_id.
 */

import { BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK, stackModelOf } from "../maps/stack-trace.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { E, mem } from "./util.js";

/** BPF_F_USER_BUILD_ID */
export const BPF_F_USER_BUILD_ID = 1 << 11;
/** sizeof(struct bpf_stack_build_id) */
const BUILD_ID_ENTRY = 32;
/** BPF_STACK_BUILD_ID_IP: no build id known, the entry holds the ip */
const BPF_STACK_BUILD_ID_IP = 2;
/** sysctl_perf_event_max_stack's default */
const PERF_MAX_STACK_DEPTH = 127;

function getStack(env: HelperEnv, a: HelperArgs): number {
  const size = a.u32(3), flags = Number(a.u64(4) & 0xffffffffn), high = a.u64(4) >> 32n;
  const buf = mem(env, a, 2, size, "write");
  const clear = (err: number) => { buf.fill(0); return -err; };
  if (high !== 0n || flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) return clear(E.EINVAL);
  const user = (flags & BPF_F_USER_STACK) !== 0, buildId = (flags & BPF_F_USER_BUILD_ID) !== 0;
  if (!user && buildId) return clear(E.EINVAL);
  const elem = buildId ? BUILD_ID_ENTRY : 8;
  if (size % elem) return clear(E.EINVAL);
  const skip = flags & BPF_F_SKIP_FIELD_MASK;
  const model = stackModelOf(env.space);
  const stack = (user ? model.user : model.kernel).slice(0, Math.min(PERF_MAX_STACK_DEPTH, size / elem + skip));
  if (stack.length < skip) return clear(E.EFAULT);
  const ips = stack.slice(skip, skip + size / elem);
  buf.fill(0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  ips.forEach((ip, i) => {
    if (!buildId) { view.setBigUint64(i * 8, BigInt.asUintN(64, ip), true); return; }
    view.setInt32(i * elem, BPF_STACK_BUILD_ID_IP, true);
    view.setBigUint64(i * elem + 24, BigInt.asUintN(64, ip), true);
  });
  return ips.length * elem;
}

/** bpf_get_stack(ctx, buf, size, flags) */
const stack: HelperFn = (a, env) => getStack(env, a);

/** The stack helpers, by id (enum bpf_func_id). */
export const STACK_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_get_stack */
  { id: 67, name: "get_stack", fn: stack },
  /** BPF_FUNC_get_task_stack: the model has one task's stacks, whichever task is named */
  { id: 141, name: "get_task_stack", fn: stack },
];
