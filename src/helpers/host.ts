/**
 * @fileoverview The host model: what helpers answer about "the current task", the clock,
 * the CPU and the memory outside the runtime (kernel and user address spaces). One host per
 * runtime (keyed by its address space); a fake, deterministic one unless a test or the CLI
 * sets another (the real Node process's comes from tsbpf/kernel's `nodeHost`).
 */

import type { AddressSpace } from "../runtime/address-space.js";
import type { Btf } from "../btf/types.js";
import { BpfError } from "../errors.js";
import { cpusOf, setCpus } from "../maps/cpus.js";
import { KernelStruct, SparseMemory } from "./kernel-memory.js";

/** The current task, as bpf_get_current_* and task_struct readers see it. */
export interface TaskModel {
  /** The thread id (the kernel's task->pid): the low half of bpf_get_current_pid_tgid. */
  pid: number;
  /** The process id (task->tgid): the high half. */
  tgid: number;
  uid: number;
  gid: number;
  /** TASK_COMM_LEN (16) bytes at most, NUL included. */
  comm: string;
  /** The cgroup v2 id of the task's cgroup (bpf_get_current_cgroup_id). */
  cgroupId: bigint;
  /** Cgroup ids from the root (level 0) down to the task's own, for bpf_get_current_ancestor_cgroup_id. */
  cgroupAncestors: readonly bigint[];
  /** The pid namespace (its device and inode numbers) and the ids in it, for bpf_get_ns_current_pid_tgid. */
  pidNs: { dev: bigint; ino: bigint; pid: number; tgid: number };
  /** The address of its struct task_struct in the kernel-memory model (bpf_get_current_task). */
  address: bigint;
}

/** Clocks in nanoseconds, as the kernel's ktime accessors give them. */
export interface Clock {
  /** ktime_get_ns: CLOCK_MONOTONIC */
  monotonicNs(): bigint;
  /** ktime_get_boot_ns: CLOCK_BOOTTIME (monotonic plus time suspended) */
  bootNs(): bigint;
  /** ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE, as of the last tick */
  coarseNs(): bigint;
  /** ktime_get_tai_ns: CLOCK_TAI */
  taiNs(): bigint;
  /** jiffies_64 */
  jiffies(): bigint;
  /**
   * Calls `fn` once the monotonic clock reaches `dueNs` (bpf_timer's hrtimer); returns
   * what cancels it. A VirtualClock fires in `advance`, the system clock by setTimeout.
   */
  schedule?(dueNs: bigint, fn: () => void): () => void;
}

/** What a run's helpers know of the world outside the program. */
export interface Host {
  task: TaskModel;
  clock: Clock;
  /**
   * bpf_get_smp_processor_id. Once the host is set on a space (setHost, hostOf) this is the
   * space's CPU model's `current` (maps/cpus.ts), which the per-CPU maps use: one notion.
   */
  cpu: number;
  /** bpf_get_numa_node_id */
  numaNode: number;
  /** Kernel memory, for bpf_probe_read_kernel and task_struct walks. */
  readonly kernel: SparseMemory;
  /** The current task's user memory, for bpf_probe_read_user and bpf_copy_from_user. */
  readonly user: SparseMemory;
  /** bpf_get_prandom_u32: a uniform u32. */
  random(): number;
  /** bpf_get_func_ip: the traced function's address. */
  funcIp: bigint;
  /** bpf_get_attach_cookie: the cookie the attachment was made with. */
  attachCookie: bigint;
  /** bpf_get_socket_cookie: the cookie of the socket a packet belongs to (0: none). */
  socketCookie: bigint;
  /**
   * bpf_get_func_arg_cnt: how many arguments the traced function has, when the context
   * (an fentry/fexit program's array of u64 arguments) does not say so in the u64 before it.
   */
  funcArgCount?: number;
}

/** CONFIG_HZ of a common distribution kernel: a jiffy is 4 ms. */
export const HZ = 250;
/** INITIAL_JIFFIES: jiffies start 5 minutes before wrapping 32 bits, as the kernel's do. */
export const INITIAL_JIFFIES = BigInt.asUintN(64, BigInt((-300 * HZ) >>> 0));
/** TAI is ahead of UTC by 37 leap seconds since 2017. */
const TAI_OFFSET_NS = 37_000_000_000n;

/**
 * A clock that moves only when told: `advance(ns)`. Jiffies and the coarse clock follow
 * the monotonic time at HZ; boot time adds `suspendedNs`; TAI is `realtimeNs` + 37 s.
 */
export class VirtualClock implements Clock {
  /** Timers waiting for the clock, in the order they were scheduled. */
  #due: { at: bigint; seq: number; fn: () => void }[] = [];
  #seq = 0;

  constructor(public nowNs = 1_000_000_000n, public suspendedNs = 0n, public realtimeNs = 1_700_000_000_000_000_000n) {}

  /**
   * Moves every clock on by `ns`, firing the timers due on the way at their own time
   * (earliest first; one a callback schedules within the step fires in it too).
   */
  advance(ns: bigint | number): this {
    const target = this.nowNs + BigInt(ns);
    for (;;) {
      let next: { at: bigint; seq: number; fn: () => void } | undefined;
      for (const d of this.#due) if (d.at <= target && (!next || d.at < next.at || (d.at === next.at && d.seq < next.seq))) next = d;
      if (!next) break;
      this.#due.splice(this.#due.indexOf(next), 1);
      if (next.at > this.nowNs) this.#step(next.at - this.nowNs);
      next.fn();
    }
    this.#step(target - this.nowNs);
    return this;
  }

  #step(ns: bigint): void {
    this.nowNs += ns;
    this.realtimeNs += ns;
  }

  /** Timers not yet fired. */
  get pending(): number { return this.#due.length; }

  schedule(dueNs: bigint, fn: () => void): () => void {
    const entry = { at: dueNs, seq: this.#seq++, fn };
    this.#due.push(entry);
    return () => { const i = this.#due.indexOf(entry); if (i >= 0) this.#due.splice(i, 1); };
  }
  monotonicNs(): bigint { return this.nowNs; }
  bootNs(): bigint { return this.nowNs + this.suspendedNs; }
  coarseNs(): bigint { const tick = 1_000_000_000n / BigInt(HZ); return (this.nowNs / tick) * tick; }
  taiNs(): bigint { return this.realtimeNs + TAI_OFFSET_NS; }
  jiffies(): bigint { return BigInt.asUintN(64, INITIAL_JIFFIES + (this.nowNs * BigInt(HZ)) / 1_000_000_000n); }
}

const perfNow: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/** The host's own clocks: monotonic from `performance.now`, real time from `Date.now`. */
export class SystemClock implements Clock {
  monotonicNs(): bigint { return BigInt(Math.round(perfNow() * 1e6)); }
  bootNs(): bigint { return this.monotonicNs(); }
  coarseNs(): bigint { const tick = 1_000_000_000n / BigInt(HZ); return (this.monotonicNs() / tick) * tick; }
  taiNs(): bigint { return BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS; }
  jiffies(): bigint { return BigInt.asUintN(64, INITIAL_JIFFIES + (this.monotonicNs() * BigInt(HZ)) / 1_000_000_000n); }
  schedule(dueNs: bigint, fn: () => void): () => void {
    const ms = Math.max(0, Number(dueNs - this.monotonicNs()) / 1e6);
    const t = setTimeout(fn, ms) as unknown as { unref?: () => void };
    // As the kernel's timers, they never keep a process alive on their own.
    t.unref?.();
    return () => clearTimeout(t as unknown as number);
  }
}

/** Where a fake task's task_struct lies: a direct-map address, as the kernel's would. */
export const FAKE_TASK_ADDRESS = 0xffff888004a00000n;
/** PROC_PID_INIT_INO: the initial pid namespace's inode number. */
const PROC_PID_INIT_INO = 0xeffffffcn;

/** A fake host: a task "tsbpf" (pid 4242) in cgroup 1, CPU 0, the system clock, empty memories. */
export function fakeHost(task: Partial<TaskModel> = {}, rest: Partial<Omit<Host, "task">> = {}): Host {
  const pid = task.pid ?? 4242;
  const tgid = task.tgid ?? pid;
  const cgroupId = task.cgroupId ?? 1n;
  return {
    task: {
      pid, tgid, uid: 0, gid: 0, comm: "tsbpf", cgroupId,
      cgroupAncestors: task.cgroupAncestors ?? [cgroupId],
      pidNs: task.pidNs ?? { dev: 4n, ino: PROC_PID_INIT_INO, pid, tgid },
      address: FAKE_TASK_ADDRESS,
      ...task,
    },
    clock: rest.clock ?? new SystemClock(),
    // -1: whatever CPU the space is on (setHost keeps it); a number moves the space there.
    cpu: rest.cpu ?? -1,
    numaNode: rest.numaNode ?? 0,
    kernel: rest.kernel ?? new SparseMemory("kernel"),
    user: rest.user ?? new SparseMemory("user"),
    random: rest.random ?? (() => (Math.random() * 0x100000000) >>> 0),
    funcIp: rest.funcIp ?? 0n,
    attachCookie: rest.attachCookie ?? 0n,
    socketCookie: rest.socketCookie ?? 0x1000n,
    ...(rest.funcArgCount !== undefined ? { funcArgCount: rest.funcArgCount } : {}),
  };
}

const HOSTS = new WeakMap<AddressSpace, Host>();

/** The host of a runtime (by its `space`); a fake one is made on first use. */
export function hostOf(space: AddressSpace): Host {
  let h = HOSTS.get(space);
  if (!h) h = setHost(space, fakeHost());
  return h;
}

/**
 * Sets the host a runtime's helpers see (`setHost(runtime.space, fakeHost({ pid: 1 }))`).
 * Its `cpu` becomes the space's current CPU (the CPU count grows to hold it: set it before
 * making per-CPU maps), and from then on reads and sets that one setting.
 */
export function setHost(space: AddressSpace, host: Host): Host {
  const cpu = host.cpu;
  const model = cpusOf(space);
  if (Number.isInteger(cpu) && cpu >= 0) setCpus(space, { cpus: Math.max(model.cpus, cpu + 1), current: cpu });
  Object.defineProperty(host, "cpu", {
    get: () => cpusOf(space).current,
    set: (v: number) => { setCpus(space, { current: v }); },
    enumerable: true, configurable: true,
  });
  HOSTS.set(space, host);
  return host;
}

/**
 * Lays the host's current task out in its kernel memory as the BTF's struct task_struct
 * (at `task.address`): pid, tgid, comm, and a struct cred (cred and real_cred) with its
 * uid and gid. Returns the struct, for the fields a test sets besides those.
 */
export function writeTaskStruct(host: Host, btf: Btf): KernelStruct {
  const t = host.task;
  const type = btf.byName("task_struct", "struct")[0];
  if (!type) throw new BpfError("EINVAL", "btf: no struct task_struct");
  if (host.kernel.read(t.address, 1) === undefined) host.kernel.map(t.address, new Uint8Array(btf.sizeof(type.id)));
  const task = new KernelStruct(host.kernel, btf, type.id, t.address);
  task.set("pid", t.pid).set("tgid", t.tgid).set("comm", t.comm.slice(0, 15));
  if (btf.byName("cred", "struct").length > 0) {
    const cred = KernelStruct.create(host.kernel, btf, "cred").set("uid.val", t.uid).set("gid.val", t.gid).set("euid.val", t.uid).set("egid.val", t.gid);
    task.set("cred", cred).set("real_cred", cred);
  }
  return task;
}
