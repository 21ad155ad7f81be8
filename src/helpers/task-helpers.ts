/**
 * @fileoverview The helpers that read the current task and memory outside the program:
 * bpf_get_current_*, bpf_get_ns_current_pid_tgid, and the probe reads of kernel and user
 * memory, all answered from the runtime's host model (host.ts, kernel-memory.ts).
 */

import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { hostOf } from "./host.js";
import type { SparseMemory } from "./kernel-memory.js";
import { E, mem } from "./util.js";

/** TASK_SIZE on x86-64 (TASK_SIZE_MAX): below it an address is a user one. */
const TASK_SIZE = 0x00007ffffffff000n;

/** Where a probe read reads: the program's own memory (it is kernel memory too), or a model. */
type Source = "kernel" | "user" | "compat";

/**
 * Kernel reads below the kernel half (user and non-canonical addresses) fail with -ERANGE
 * before any access, as copy_from_kernel_nofault_allowed says on x86-64; the runtime's own
 * regions, which stand for kernel memory, are the exception.
 */
const KERNEL_HALF = 0xffff800000000000n;
function refusedRange(env: HelperEnv, source: Source, src: bigint, size: number): boolean {
  if (source === "user" || (source === "compat" && src < TASK_SIZE)) return false;
  if (src < 0x80000000n && env.space.check(Number(src), Math.max(size, 1), false) !== 0) return false;
  return src < KERNEL_HALF;
}

/** Reads `size` bytes at `src` from the source, or undefined where they are not all mapped. */
function readFrom(env: HelperEnv, source: Source, src: bigint, size: number): Uint8Array | undefined {
  const host = hostOf(env.space);
  if (source !== "user" && src < 0x80000000n && env.space.check(Number(src), Math.max(size, 1), false) !== 0) {
    return env.space.u8.slice(Number(src), Number(src) + size);
  }
  const memory: SparseMemory = source === "user" || (source === "compat" && src < TASK_SIZE) ? host.user : host.kernel;
  return memory.read(src, size);
}

function byteFrom(env: HelperEnv, source: Source, src: bigint): number {
  const b = readFrom(env, source, src, 1);
  return b ? b[0]! : -1;
}

/** bpf_probe_read_{kernel,user}(dst, size, unsafe_ptr): 0, or -EFAULT (-ERANGE, see above) with dst zeroed. */
const probeRead = (source: Source): HelperFn => (a, env) => {
  const size = a.u32(2);
  const dst = mem(env, a, 1, size, "write");
  const src = a.u64(3);
  if (refusedRange(env, source, src, size)) { dst.fill(0); return -E.ERANGE; }
  const bytes = readFrom(env, source, src, size);
  if (!bytes) { dst.fill(0); return -E.EFAULT; }
  dst.set(bytes);
  return 0;
};

/**
 * bpf_probe_read_{kernel,user}_str(dst, size, unsafe_ptr): the string's length with its
 * NUL (at most size, the last byte then forced to NUL), or -EFAULT with dst zeroed;
 * strncpy_from_kernel_nofault's rules.
 */
const probeReadStr = (source: Source): HelperFn => (a, env) => {
  const size = a.u32(2);
  if (size === 0) return 0;
  const dst = mem(env, a, 1, size, "write");
  const src = a.u64(3);
  if (refusedRange(env, source, src, 1)) { dst.fill(0); return -E.ERANGE; }
  for (let k = 0; k < size; k++) {
    const c = byteFrom(env, source, src + BigInt(k));
    if (c < 0) { dst.fill(0); return -E.EFAULT; }
    dst[k] = c;
    if (c === 0) return k + 1;
  }
  dst[size - 1] = 0;
  return size;
};

/** bpf_get_current_comm(buf, size): the comm, NUL-terminated and zero-padded (strscpy_pad). */
const currentComm: HelperFn = (a, env) => {
  const size = a.u32(2);
  const dst = mem(env, a, 1, size, "write");
  const comm = new TextEncoder().encode(hostOf(env.space).task.comm).subarray(0, 15);
  dst.fill(0);
  dst.set(comm.subarray(0, Math.max(size - 1, 0)));
  return 0;
};

/** sizeof(struct bpf_pidns_info) */
const PIDNS_INFO_SIZE = 8;

/** bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size): the ids in the pid namespace (dev, ino). */
const nsPidTgid: HelperFn = (a, env) => {
  const size = a.u32(4);
  const out = mem(env, a, 3, size, "write");
  const ns = hostOf(env.space).task.pidNs;
  // The kernel checks the size, that dev fits a dev_t (32 bits), then the namespace.
  if (size !== PIDNS_INFO_SIZE || a.hi(1) !== 0 || a.u64(1) !== ns.dev || a.u64(2) !== ns.ino) { out.fill(0); return -E.EINVAL; }
  const v = new DataView(out.buffer, out.byteOffset, size);
  v.setUint32(0, ns.pid, true);
  v.setUint32(4, ns.tgid, true);
  return 0;
};

/** bpf_get_current_ancestor_cgroup_id(level): the id of the task's cgroup's ancestor at `level`, or 0. */
const ancestorCgroup: HelperFn = (a: HelperArgs, env) => {
  const level = a.i64(1);
  const chain = hostOf(env.space).task.cgroupAncestors;
  return level < 0n || level >= BigInt(chain.length) ? 0 : chain[Number(level)]!;
};

/** The task helpers, by id (enum bpf_func_id). */
export const TASK_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_probe_read: below TASK_SIZE user memory, above it kernel memory */
  { id: 4, name: "probe_read", fn: probeRead("compat") },
  /** BPF_FUNC_get_current_pid_tgid: tgid << 32 | pid */
  { id: 14, name: "get_current_pid_tgid", fn: (_a, env) => { const t = hostOf(env.space).task; return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0); } },
  /** BPF_FUNC_get_current_uid_gid: gid << 32 | uid */
  { id: 15, name: "get_current_uid_gid", fn: (_a, env) => { const t = hostOf(env.space).task; return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0); } },
  /** BPF_FUNC_get_current_comm */
  { id: 16, name: "get_current_comm", fn: currentComm },
  /** BPF_FUNC_get_current_task: the task_struct's kernel address */
  { id: 35, name: "get_current_task", fn: (_a, env) => hostOf(env.space).task.address },
  /** BPF_FUNC_probe_read_str */
  { id: 45, name: "probe_read_str", fn: probeReadStr("compat") },
  /** BPF_FUNC_get_current_cgroup_id */
  { id: 80, name: "get_current_cgroup_id", fn: (_a, env) => hostOf(env.space).task.cgroupId },
  /** BPF_FUNC_probe_read_user */
  { id: 112, name: "probe_read_user", fn: probeRead("user") },
  /** BPF_FUNC_probe_read_kernel */
  { id: 113, name: "probe_read_kernel", fn: probeRead("kernel") },
  /** BPF_FUNC_probe_read_user_str */
  { id: 114, name: "probe_read_user_str", fn: probeReadStr("user") },
  /** BPF_FUNC_probe_read_kernel_str */
  { id: 115, name: "probe_read_kernel_str", fn: probeReadStr("kernel") },
  /** BPF_FUNC_get_ns_current_pid_tgid */
  { id: 120, name: "get_ns_current_pid_tgid", fn: nsPidTgid },
  /** BPF_FUNC_get_current_ancestor_cgroup_id */
  { id: 123, name: "get_current_ancestor_cgroup_id", fn: ancestorCgroup },
  /** BPF_FUNC_copy_from_user(dst, size, user_ptr): 0, or -EFAULT with dst zeroed */
  { id: 148, name: "copy_from_user", fn: probeRead("user") },
  /** BPF_FUNC_get_current_task_btf: the same task, as a BTF pointer */
  { id: 158, name: "get_current_task_btf", fn: (_a, env) => hostOf(env.space).task.address },
];
