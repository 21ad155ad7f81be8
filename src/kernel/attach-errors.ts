/**
 * @fileoverview Why an attach failed, in words: the kernel's errno read for the hook
 * it came from (EEXIST on XDP is "a program is already attached"), and the facts of
 * this kernel that make a whole kind of attach impossible (kprobes compiled out).
 */

import { existsSync } from "node:fs";
import { BpfError } from "../errors.js";
import { errnoName, errnoText } from "./errno.js";
import { BpfSyscallError } from "./errors.js";

/** What kind of hook an attach was for, which decides how its errno reads. */
export type HookKind = "xdp" | "tcx" | "cgroup" | "raw_tp" | "tp_btf" | "tracing" | "tracepoint" | "uprobe" | "kprobe" | "socket" | "perf_event" | "sockmap";

/** An attach the kernel refused: `errno` and `errnoName` as the kernel said it, `hook` where. */
export class AttachError extends BpfError {
  readonly errno: number;
  readonly errnoName: string;
  readonly hook: string;
  constructor(hook: string, errno: number, reason: string, options?: { cause?: unknown; verb?: string }) {
    super("ESYSCALL", `${options?.verb ?? "attach"} ${hook}: ${reason} (${errnoName(errno)})`, options);
    this.errno = errno;
    this.errnoName = errnoName(errno);
    this.hook = hook;
  }
}

/** One reading of an errno per hook kind; "*" applies to every kind. */
const REASONS: Record<string, Partial<Record<HookKind | "*", string>>> = {
  EEXIST: {
    xdp: "a program is already attached to this interface (detach it, or update its link)",
    tcx: "this program is already attached to this interface and direction",
    cgroup: "a program is already attached to this cgroup hook and it does not allow more",
    "*": "already attached",
  },
  EOPNOTSUPP: {
    xdp: "the driver does not support native XDP in this mode; try generic (skb) mode",
    "*": "the hook does not support this attach",
  },
  ENODEV: { "*": "no such network interface" },
  EBUSY: { xdp: "another XDP program was attached without a link (through netlink); detach it first", "*": "the hook is busy" },
  EPERM: {
    tracing: "the kernel refuses fentry/fexit/fmod_ret attachment here (lockdown or a missing BTF trampoline)",
    "*": "not permitted (needs root or CAP_BPF with CAP_NET_ADMIN / CAP_PERFMON)",
  },
  EACCES: { "*": "permission denied" },
  ENOENT: {
    tracepoint: "no such tracepoint in tracefs",
    raw_tp: "no such raw tracepoint",
    uprobe: "no such file or symbol",
    "*": "no such hook",
  },
  EINVAL: {
    xdp: "the program's type or expected attach type does not fit XDP",
    tcx: "the program is not a sched_cls program, or the relative program is not attached here",
    cgroup: "the program's type or expected attach type does not fit this cgroup hook",
    raw_tp: "the program is not a raw_tracepoint program, or reads past the tracepoint's arguments",
    tp_btf: "the program was not loaded for a BTF tracepoint",
    tracepoint: "the program is not a tracepoint program, or the perf event does not take BPF",
    uprobe: "the program is not a kprobe program, or the offset is not an instruction",
    sockmap: "the map is not a sockmap or sockhash, or the program's type does not fit the attach type",
    "*": "invalid argument",
  },
  E2BIG: { cgroup: "too many programs on this cgroup hook", "*": "too many programs on this hook" },
  ERANGE: { tcx: "the expected revision no longer matches", "*": "out of range" },
  ENOTSOCK: { socket: "the fd is not a socket" },
  EBADF: { "*": "bad file descriptor" },
};

/** The words for `errno` from a `kind` attach. */
export function attachReason(kind: HookKind, errno: number): string {
  const row = REASONS[errnoName(errno)];
  return row?.[kind] ?? row?.["*"] ?? errnoText(errno);
}

/** Rethrows a failed bpf()/perf_event_open as an AttachError that says why; other errors as they are. */
export function explain(kind: HookKind, hook: string, e: unknown): never {
  if (e instanceof BpfSyscallError) throw new AttachError(hook, e.errno, attachReason(kind, e.errno), { cause: e });
  throw e;
}

/** Why a kind of attach cannot work on this kernel at all, or undefined when it may. */
export function kindUnavailable(kind: HookKind): string | undefined {
  if (kind === "kprobe" && !existsSync("/sys/bus/event_source/devices/kprobe")) {
    return "kprobes are not available on this kernel: CONFIG_KPROBE_EVENTS is off";
  }
  if (kind === "uprobe" && !existsSync("/sys/bus/event_source/devices/uprobe")) {
    return "uprobes are not available on this kernel: CONFIG_UPROBE_EVENTS is off";
  }
  return undefined;
}
