/**
 * @fileoverview bpf_timer in map values (kernel/bpf/helpers.c): init, set_callback, start,
 * cancel, driven by the host's clock (a VirtualClock fires them as a test advances it, the
 * system clock by setTimeout); the callback runs outside any run, as the kernel's softirq.
 */

import type { BpfMap } from "../maps/map.js";
import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import type { HelperDef, HelperFn } from "../runtime/helpers.js";
import { hostOf, VirtualClock, type Clock } from "./host.js";
import { mapArg } from "./map-helpers.js";
import { E } from "./util.js";

/** CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME: the clocks a bpf_timer may use. */
export const TimerClock = { Realtime: 0, Monotonic: 1, Boottime: 7 } as const;
/** MAX_CLOCKS */
const MAX_CLOCKS = 16;
/** BPF_F_TIMER_ABS: nsecs is an absolute time of the timer's clock. */
export const BPF_F_TIMER_ABS = 1;
/** BPF_F_TIMER_CPU_PIN: fire on the CPU that started it (one CPU runs everything here). */
export const BPF_F_TIMER_CPU_PIN = 2;
/** EDEADLK: a callback cancelling its own timer. */
const EDEADLK = 35;
/** TAI is 37 s ahead of the realtime clock (as host.ts keeps them). */
const TAI_OFFSET_NS = 37_000_000_000n;

/** What the callback needs to re-enter the program that set it: the engine's machine. */
interface Reentrant {
  current: { stackDepths: readonly number[] } | undefined;
  pc: number;
  depth: number;
  readonly R: Int32Array;
  readonly stackTop: number;
  callback(fn: bigint, args: readonly bigint[]): bigint;
}

/** One initialised struct bpf_timer (the kernel's bpf_hrtimer). */
interface Timer {
  readonly map: BpfMap;
  readonly clockId: number;
  readonly valueAddr: number;
  /** A read-only copy of the element's key, for the callback. */
  readonly key: Region;
  callback?: { machine: Reentrant; prog: NonNullable<Reentrant["current"]>; fn: bigint };
  /** Cancels the pending expiry; undefined when not active. */
  pending?: () => void;
}

interface TimerTable {
  readonly byAddr: Map<number, Timer>;
  /** The timer whose callback is running (bpf_timer_cancel of it is -EDEADLK). */
  running: Timer | undefined;
  /** Faults of callbacks the system clock fired (nothing waits for them). */
  readonly errors: unknown[];
}

const TABLES = new WeakMap<AddressSpace, TimerTable>();
function tableOf(space: AddressSpace): TimerTable {
  let t = TABLES.get(space);
  if (!t) TABLES.set(space, (t = { byAddr: new Map(), running: undefined, errors: [] }));
  return t;
}

/** Timers initialised in a runtime, how many of them are waiting to fire, and the faults of those the system clock fired. */
export function timersOf(space: AddressSpace): { count: number; active: number; errors: readonly unknown[] } {
  const t = TABLES.get(space);
  let active = 0;
  for (const x of t?.byAddr.values() ?? []) if (x.pending) active++;
  return { count: t?.byAddr.size ?? 0, active, errors: t?.errors ?? [] };
}

/** bpf_timer_cancel_and_free: the value holding the timer went away. */
function free(table: TimerTable, t: Timer, addr: number): void {
  t.pending?.();
  t.pending = undefined;
  t.key.free();
  table.byAddr.delete(addr);
}

/** The element whose value holds `addr`: its key and value address. */
function elementOf(map: BpfMap, addr: number): { key: Uint8Array; value: number } | undefined {
  let found: { key: Uint8Array; value: number } | undefined;
  map.forEachElem((key, value) => {
    if (addr >= value && addr + 16 <= value + map.valueSize) { found = { key: key.slice(), value }; return true; }
    return false;
  });
  return found;
}

/** bpf_timer_init(timer, map, flags): the clock is flags; -EBUSY if initialised already. */
const timerInit: HelperFn = (a, env) => {
  const addr = a.addr(1);
  env.bytes(addr, 16, "write");
  const map = mapArg(env, a, 2);
  const flags = a.u64(3), clockId = Number(flags & BigInt(MAX_CLOCKS - 1));
  if (flags >= BigInt(MAX_CLOCKS) || (clockId !== TimerClock.Monotonic && clockId !== TimerClock.Realtime && clockId !== TimerClock.Boottime)) return -E.EINVAL;
  const table = tableOf(env.space);
  if (table.byAddr.has(addr)) return -E.EBUSY;
  const el = elementOf(map, addr);
  if (!el) throw new Error(`0x${addr.toString(16)} is not a bpf_timer in a value of map "${map.name}"`);
  const key = env.space.alloc({ name: `${map.name || map.typeName} timer key`, kind: "other", size: Math.max(8, map.keySize), perm: Perm.Read });
  env.space.u8.set(el.key, key.base);
  table.byAddr.set(addr, { map, clockId, valueAddr: el.value, key });
  if (!map.valueFreed) {
    // The map's values going away free their timers (the kernel's bpf_obj_free_fields).
    map.valueFreed = (value) => {
      for (const [at, t] of table.byAddr) if (t.map === map && at >= value && at < value + map.valueSize) free(table, t, at);
    };
  }
  return 0;
};

/** bpf_timer_set_callback(timer, callback_fn): -EINVAL for a timer not initialised. */
const timerSetCallback: HelperFn = (a, env) => {
  const t = tableOf(env.space).byAddr.get(a.addr(1));
  if (!t) return -E.EINVAL;
  const machine = env as unknown as Reentrant;
  if (!machine.current || typeof machine.callback !== "function") throw new Error("this engine cannot call back into the program");
  t.callback = { machine, prog: machine.current, fn: a.u64(2) };
  return 0;
};

/** The timer's clock now, in its own terms. */
function clockNow(clock: Clock, id: number): bigint {
  if (id === TimerClock.Boottime) return clock.bootNs();
  if (id === TimerClock.Realtime) return clock.taiNs() - TAI_OFFSET_NS;
  return clock.monotonicNs();
}

/** Runs a timer's callback(map, key, value) in a frame of its own, outside any run. */
function fire(table: TimerTable, t: Timer): void {
  t.pending = undefined;
  const cb = t.callback;
  // A closed map's values are gone (bpf_map_free cancels their timers in the kernel).
  if (t.map.closed) { table.byAddr.forEach((x, at) => { if (x === t) table.byAddr.delete(at); }); return; }
  if (!cb) return;
  const m = cb.machine;
  const saved = { current: m.current, pc: m.pc, depth: m.depth, R: m.R.slice() };
  // The callback frame goes right below the top of the stack, as a fresh run's would.
  m.current = cb.prog;
  m.pc = 0;
  m.depth = 0;
  m.R[20] = m.stackTop + cb.prog.stackDepths[0]!;
  m.R[21] = 0;
  table.running = t;
  try {
    m.callback(cb.fn, [BigInt(t.map.handle), BigInt(t.key.base), BigInt(t.valueAddr), 0n, 0n]);
  } finally {
    table.running = undefined;
    m.current = saved.current;
    m.pc = saved.pc;
    m.depth = saved.depth;
    m.R.set(saved.R);
  }
}

/** bpf_timer_start(timer, nsecs, flags): (re)arms it, relative or BPF_F_TIMER_ABS; -EINVAL before set_callback. */
const timerStart: HelperFn = (a, env) => {
  if ((a.u64(3) & ~BigInt(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) !== 0n) return -E.EINVAL;
  const table = tableOf(env.space);
  const t = table.byAddr.get(a.addr(1));
  if (!t || !t.callback) return -E.EINVAL;
  const clock = hostOf(env.space).clock;
  const ns = a.u64(2);
  const mono = clock.monotonicNs();
  const due = a.u64(3) & BigInt(BPF_F_TIMER_ABS) ? mono + (ns - clockNow(clock, t.clockId)) : mono + ns;
  const at = a.addr(1);
  t.pending?.();
  t.pending = undefined;
  // A timer freed meanwhile (its value deleted) never fires: free() cancelled it.
  // A VirtualClock fires inside advance(), which sees a fault; the system clock fires from a
  // timer task, where a fault is kept in timersOf(space).errors instead of crashing the host.
  const sync = clock instanceof VirtualClock;
  if (clock.schedule) t.pending = clock.schedule(due < mono ? mono : due, () => {
    if (table.byAddr.get(at) !== t) return;
    if (sync) { fire(table, t); return; }
    try { fire(table, t); } catch (e) { table.errors.push(e); }
  });
  return 0;
};

/** bpf_timer_cancel(timer): 1 if it was armed, 0 if not; -EINVAL uninitialised, -EDEADLK from its own callback. */
const timerCancel: HelperFn = (a, env) => {
  const table = tableOf(env.space);
  const t = table.byAddr.get(a.addr(1));
  if (!t) return -E.EINVAL;
  if (table.running === t) return -EDEADLK;
  if (!t.pending) return 0;
  t.pending();
  t.pending = undefined;
  return 1;
};

/** The timer helpers, by id (enum bpf_func_id). */
export const TIMER_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_timer_init */
  { id: 169, name: "timer_init", fn: timerInit },
  /** BPF_FUNC_timer_set_callback */
  { id: 170, name: "timer_set_callback", fn: timerSetCallback },
  /** BPF_FUNC_timer_start */
  { id: 171, name: "timer_start", fn: timerStart },
  /** BPF_FUNC_timer_cancel */
  { id: 172, name: "timer_cancel", fn: timerCancel },
];
