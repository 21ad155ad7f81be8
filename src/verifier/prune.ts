/**
 * @fileoverview State pruning, as the kernel's is_state_visited: checkpoints at prune
 * points, equivalence of a new state with an explored one (states_equal, regsafe,
 * stacksafe) over live registers and precise scalars, and precision marking by
 * backtracking the path (mark_chain_precision), so that imprecise counters do not keep
 * states apart.
 */

import { Class, JmpOp, Mode, PseudoCall, Source, AtomicOp } from "../isa/opcodes.js";
import { CALLBACK_HELPERS, isMayGoto } from "./cfg.js";
import { formatFrame, formatState } from "./log.js";
import { formatKernelLine } from "../isa/format.js";
import { type Scalar, scalarEqual, scalarWithin } from "./scalar.js";
import { copyReg, copyState, setNotInit, type Frame, type Reg, SCALAR_UNKNOWN, SCALAR_ZERO, type SccVisit, type State } from "./state.js";
import type { Walker } from "./walker.js";
import { ITER_ACTIVE, iterAtR1, iterSafe } from "./iterators.js";
import { dynptrSafe } from "./dynptr.js";

/** One explored state at an instruction (bpf_verifier_state_list). */
export interface Explored {
  readonly state: State;
  /** The state's call sites, as callsKey makes them: compared before the state itself is touched. */
  readonly calls: string;
  hit: number;
  miss: number;
  /** Its dead registers and stack slots forgotten (bpf_verifier_state.cleaned). */
  cleaned: boolean;
}

/** The call chain of a state (its frames' call sites), as one string; "" for the main program alone. */
function callsKey(s: State): string {
  if (s.frames.length === 1) return "";
  let key = "";
  for (let k = 1; k < s.frames.length; k++) key += `${s.frames[k]!.callsite},`;
  return key;
}

const enum Mode3 { NotExact, RangeWithin, Exact }

/** Returns true when the current state is covered by an explored one (prune this path). */
export function isStateVisited(w: Walker, insn: number): boolean {
  const cur = w.cur;
  // A long path since the last checkpoint forces one (jmp_history_cnt > 40).
  const force = w.cfg.forceCheckpoint[insn] === 1 || (cur.history?.j ?? 0) > 40;
  // 2 jumps or 8 insns since the last checkpoint: more often than the kernel (2 jumps and 8 insns), which
  // makes up for the stack liveness it has and we do not (state_machine: 1.26x its insns instead of 1.52x).
  let addNew = force || (w.jmpsProcessed - w.prevJmpsProcessed >= 2 && w.stats.processed - w.prevInsnProcessed >= 8);
  let list = w.explored.get(insn);
  const i = w.cfg.insns[insn]!;
  const calls = callsKey(cur);
  if (list) {
    cleanLiveStates(w, list, calls);
    // Newest first, as the kernel's list (list_add at the head): the first hit decides which marks propagate.
    for (let k = list.length - 1; k >= 0; k--) {
      const e = list[k]!;
      if (e.calls !== calls) continue;
      const old = e.state;
      if (old.branches > 0) {
        if ((isMayGoto(i) && old.mayGotoDepth !== cur.mayGotoDepth) || isCallbackCall(i)) {
          if (statesEqual(w, old, cur, Mode3.RangeWithin)) return loopHit(w, e);
        }
        if (w.env.iterNextAt?.has(insn)) {
          // An iterator's next call: a state of the loop still being explored covers us when
          // equal but for the iterator's depth, while the iterator is still active (is_iter_next_insn).
          if (statesEqual(w, old, cur, Mode3.RangeWithin) && iterAtR1(cur)?.memSize === ITER_ACTIVE) return backedgeHit(w, e);
        } else if (maybeLooping(old, cur) && old.mayGotoDepth === cur.mayGotoDepth && old.callbackDepth === cur.callbackDepth && statesEqual(w, old, cur, Mode3.Exact)) {
          w.say(`infinite loop detected at insn ${insn}`);
          w.say(`cur state: ${formatState(cur)}`);
          w.say(`old state: ${formatState(old)}`);
          w.reject(`infinite loop detected at insn ${insn}`);
        }
        if (!force && w.jmpsProcessed - w.prevJmpsProcessed < 20 && w.stats.processed - w.prevInsnProcessed < 100) addNew = false;
      } else {
        // Marks of a loop's states are complete only once no hit went back into the loop (incomplete_read_marks).
        const visit = w.liveBackedges > 0 && w.cfg.scc[old.insn] ? w.visits.get(sccKey(w, old)) : undefined;
        const incomplete = !!visit && visit.backedges > 0;
        if (statesEqual(w, old, cur, incomplete ? Mode3.RangeWithin : Mode3.NotExact)) return incomplete ? loopHit(w, e) : hit(w, e);
      }
      // A state that keeps missing is dropped from the list (a parent still holds it while in progress).
      if (addNew) e.miss++;
      const n = force && old.branches > 0 ? 64 : 3;
      if (e.miss > e.hit * n + n) {
        list.splice(k, 1);
        w.stats.curStates--;
      }
    }
  }
  if (!addNew) return false;
  w.prevJmpsProcessed = w.jmpsProcessed;
  w.prevInsnProcessed = w.stats.processed;
  const s = copyState(cur);
  s.branches = 1;
  s.insn = insn;
  s.history = cur.history;
  s.lastInsn = w.prevInsn;
  // maybe_enter_scc: a checkpoint inside a loop with no visit in progress starts one.
  if (w.cfg.scc[insn]) {
    const key = sccKey(w, s);
    if (!w.visits.has(key)) {
      s.scc = { key, entry: s, backedges: 0 };
      w.visits.set(key, s.scc);
    }
  }
  // The copy keeps the marks; the path goes on without the ones it inherited (mark_all_scalars_imprecise).
  forgetPrecision(cur);
  cur.parent = s;
  cur.history = undefined;
  if (!list) w.explored.set(insn, (list = []));
  list.push({ state: s, calls, hit: 0, miss: 0, cleaned: false });
  w.stats.totalStates++;
  w.stats.curStates++;
  if (w.stats.curStates > w.stats.peakStates) w.stats.peakStates = w.stats.curStates;
  if (list.length > w.stats.maxStatesPerInsn) w.stats.maxStatesPerInsn = list.length;
  return false;
}

/**
 * clean_live_states: an explored state with no path left in progress (and no loop whose
 * marks may still grow) forgets its dead registers and stack slots, once, so that it also
 * covers states that differ from it only there.
 */
function cleanLiveStates(w: Walker, list: Explored[], calls: string): void {
  for (const e of list) {
    const s = e.state;
    if (e.cleaned || s.branches > 0 || e.calls !== calls) continue;
    if (w.liveBackedges > 0 && w.cfg.scc[s.insn] && (w.visits.get(sccKey(w, s))?.backedges ?? 0) > 0) continue;
    e.cleaned = true;
    w.stackLive.cleanStack(s);
    // clean_func_state: dead registers are not-init (so their precision is not propagated either).
    const last = s.frames.length - 1;
    for (let k = 0; k <= last; k++) {
      const live = liveRegs(w, s, k);
      const regs = s.frames[k]!.regs;
      for (let r = 0; r < 10; r++) if (!(live & (1 << r)) && regs[r]!.type !== "?") setNotInit(regs[r]!);
    }
  }
}

/** The registers of frame k that the state's paths may read: at its insn, or a caller's after its call (r0-r5 are the call's). */
function liveRegs(w: Walker, s: State, k: number): number {
  const last = s.frames.length - 1;
  if (k === last) return w.live[s.insn] ?? 0x3ff;
  return (w.live[s.frames[k + 1]!.callsite + 1] ?? 0x3ff) & ~0x3f;
}

/** compute_scc_callchain, simplified: the call sites and the loop of the innermost frame. */
function sccKey(w: Walker, s: State): string {
  let key = "";
  for (let k = 1; k < s.frames.length; k++) key += `${s.frames[k]!.callsite},`;
  return key + w.cfg.scc[s.insn];
}

function forgetPrecision(s: State): void {
  for (const f of s.frames) {
    for (const r of f.regs) r.precise = false;
    for (const sl of f.stack) if (sl.spilled) sl.spilled.precise = false;
  }
}

/** A hit on a state of a loop still being explored: its marks may grow, so ours take every live scalar. */
function loopHit(w: Walker, e: Explored): true {
  e.hit++;
  const visit = w.visits.get(sccKey(w, e.state));
  if (visit && visit.backedges++ === 0) w.liveBackedges++;
  markLivePrecise(w, e.state);
  return true;
}

/** A hit over a loop's back-edge whose precision is settled when the loop's visit completes. */
interface Backedge {
  readonly state: State;
  readonly old: State;
}
const BACKEDGES = new WeakMap<SccVisit, Backedge[]>();

/**
 * A hit on an iterator loop's state still being explored (add_scc_backedge): the marks the
 * old state has now are propagated, and again over every such back-edge once the loop's
 * visit is complete (propagate_backedges). Marking every live scalar precise instead, as
 * loopHit does, would keep the loop's counters from being widened, and it would not converge.
 */
function backedgeHit(w: Walker, e: Explored): true {
  const visit = w.visits.get(sccKey(w, e.state));
  if (!visit) return loopHit(w, e);
  e.hit++;
  if (visit.backedges++ === 0) w.liveBackedges++;
  propagatePrecision(w, e.state);
  let list = BACKEDGES.get(visit);
  if (!list) BACKEDGES.set(visit, (list = []));
  list.push({ state: copyState(w.cur), old: e.state });
  return true;
}

/** propagate_backedges: each back-edge's old state's marks onto its path, until none grows. */
export function propagateBackedges(w: Walker, visit: SccVisit): void {
  const list = BACKEDGES.get(visit);
  if (!list) return;
  BACKEDGES.delete(visit);
  const saved = w.cur;
  const marks = () => list.reduce((n, b) => n + countPrecise(b.old), 0);
  try {
    for (let before = -1, now = marks(); before !== now; before = now, now = marks()) {
      for (const b of list) {
        w.cur = b.state;
        propagatePrecision(w, b.old);
      }
    }
  } finally {
    w.cur = saved;
  }
}

function countPrecise(s: State): number {
  let n = 0;
  for (const f of s.frames) {
    for (const r of f.regs) if (r.precise) n++;
    for (const sl of f.stack) if (sl.spilled?.precise) n++;
  }
  return n;
}

function hit(w: Walker, e: Explored): true {
  e.hit++;
  propagatePrecision(w, e.state);
  return true;
}

const isCallbackCall = (i: { opcode: number; src: number; imm: number }): boolean =>
  i.opcode === 0x85 && i.src === PseudoCall.Helper && CALLBACK_HELPERS.has(i.imm);

/** states_maybe_looping: a quick exact look at the innermost frame's registers. */
/**
 * states_maybe_looping: the current frame's registers are byte for byte the old ones up to
 * their parentage, ids included as they are (not mapped): a loop that gives a value a fresh
 * id each time round is never taken for an infinite one (it runs into the complexity limit).
 */
function maybeLooping(old: State, cur: State): boolean {
  const fo = old.frames[old.frames.length - 1]!;
  const fc = cur.frames[cur.frames.length - 1]!;
  for (let r = 0; r < 10; r++) {
    const a = fo.regs[r]!;
    const b = fc.regs[r]!;
    if (a.type !== b.type || a.off !== b.off || !sameScalar(a.s, b.s)) return false;
    if (a.id !== b.id || a.refObjId !== b.refObjId || a.maybeNull !== b.maybeNull || a.rdonly !== b.rdonly || a.ringbuf !== b.ringbuf) return false;
    if (a.range !== b.range || a.map !== b.map || a.memSize !== b.memSize || a.btfType !== b.btfType) return false;
  }
  return true;
}

function sameScalar(a: Scalar, b: Scalar): boolean {
  return a === b || scalarEqual(a, b);
}

/** check_ids: old ids must map to current ids one to one. */
class IdMap {
  /** Pairs old[k] -> cur[k]; a state holds few ids, so a scan beats a hash map. */
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  private n = 0;
  private tmp = 0;
  reset(): void {
    this.n = 0;
    this.tmp = 0;
  }
  /** A temporary id no state uses (check_scalar_ids' tmp_id_gen), negative so it never meets a real one. */
  fresh(): number {
    return -++this.tmp;
  }
  check(o: number, c: number): boolean {
    if (!o && !c) return true;
    if (!o || !c) return false;
    const { olds, curs } = this;
    for (let k = 0; k < this.n; k++) {
      if (olds[k] === o) return curs[k] === c;
      if (curs[k] === c) return false;
    }
    olds[this.n] = o;
    curs[this.n++] = c;
    return true;
  }
}

/** One map for every comparison (statesEqual does not nest), cleared on each. */
const IDS = new IdMap();

function statesEqual(w: Walker, old: State, cur: State, mode: Mode3): boolean {
  if (old.activeLock !== 0 !== (cur.activeLock !== 0)) return false;
  if (old.rcuLock !== cur.rcuLock) return false;
  if (old.preemptLock !== cur.preemptLock) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (mode !== Mode3.Exact && old.mayGotoDepth !== cur.mayGotoDepth && false) return false;
  const ids = IDS;
  ids.reset();
  const last = old.frames.length - 1;
  for (let k = 0; k <= last; k++) {
    // Liveness: the innermost frame at this insn, callers at their return points.
    // func_states_equal: a path that has run a bpf_loop callback fewer times may run it more.
    if (old.frames[k]!.callbackDepth > cur.frames[k]!.callbackDepth) return false;
    if (!frameEqual(w, old.frames[k]!, cur.frames[k]!, ids, mode, liveRegs(w, old, k))) return false;
  }
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id, cur.refs[k]!.id)) return false;
  // refsafe: the lock held is the same lock, under the ids mapped so far.
  if (old.activeLock && !ids.check(old.activeLock, cur.activeLock)) return false;
  return true;
}

function frameEqual(w: Walker, fo: Frame, fc: Frame, ids: IdMap, mode: Mode3, live: number): boolean {
  for (let r = 0; r < 10; r++) {
    if (!(live & (1 << r))) continue;
    if (!regsafe(w, fo.regs[r]!, fc.regs[r]!, ids, mode)) return false;
  }
  return stacksafe(w, fo, fc, ids, mode);
}

function regsafe(w: Walker, o: Reg, c: Reg, ids: IdMap, mode: Mode3): boolean {
  if (o.type === "?") return mode !== Mode3.Exact || c.type === "?";
  if (mode === Mode3.Exact) return regsExact(o, c, ids);
  if (o.type === "scalar") {
    if (c.type !== "scalar") return false;
    if (!o.precise && w.env.privileged && mode === Mode3.NotExact) return true;
    if (o.id && (!ids.check(o.id, c.id || ids.fresh()) || o.off !== c.off)) return false;
    return scalarWithin(o.s, c.s);
  }
  if (o.type !== c.type || o.maybeNull !== c.maybeNull || o.rdonly !== c.rdonly || o.ringbuf !== c.ringbuf) return false;
  switch (o.type) {
    case "pkt":
    case "pkt_meta":
      if (o.range > c.range || o.off !== c.off || !ids.check(o.id, c.id)) return false;
      return scalarWithin(o.s, c.s);
    case "map_value":
    case "map_key":
    case "mem":
      if (o.off !== c.off || o.map !== c.map || o.memSize !== c.memSize || o.btfType !== c.btfType) return false;
      if (o.type === "mem" && !ids.check(o.range, c.range)) return false;
      if (!ids.check(o.id, c.id) || !ids.check(o.refObjId, c.refObjId)) return false;
      return scalarWithin(o.s, c.s);
    case "arena":
      // Any arena pointer is as good as another: accesses through one are not checked.
      return true;
    default:
      return regsExact(o, c, ids);
  }
}

function regsExact(o: Reg, c: Reg, ids: IdMap): boolean {
  return o.type === c.type && o.off === c.off && o.maybeNull === c.maybeNull && o.map === c.map && o.range === c.range &&
    o.frameno === c.frameno && o.btfType === c.btfType && o.subprog === c.subprog && o.memSize === c.memSize &&
    sameScalar(o.s, c.s) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
}

function stacksafe(w: Walker, fo: Frame, fc: Frame, ids: IdMap, mode: Mode3): boolean {
  for (let k = 0; k < fo.stack.length; k++) {
    const so = fo.stack[k]!;
    const sc = fc.stack[k];
    const to = so.types;
    const tc = sc ? sc.types : "????????";
    if (mode !== Mode3.Exact && to === "????????") continue;
    if (to === "iiiiiiii") {
      // STACK_ITER: type, state and reference compared, not the depth (except for Exact, as iter_active_depths_differ).
      if (tc !== to || !iterSafe(so.spilled, sc?.spilled, (a, b) => ids.check(a, b))) return false;
      if (mode === Mode3.Exact && so.spilled?.off !== sc?.spilled?.off) return false;
      continue;
    }
    if (to === "dddddddd") {
      // STACK_DYNPTR: type, slot and reference compared.
      if (tc !== to || !dynptrSafe(so.spilled, sc?.spilled, (a, b) => ids.check(a, b))) return false;
      continue;
    }
    if (mode === Mode3.Exact) {
      if (to !== tc) return false;
      if (so.spilled && !regsExact(so.spilled, sc!.spilled!, ids)) return false;
      continue;
    }
    if (so.spilled && to === "rrrrrrrr") {
      if (sc?.spilled && tc === "rrrrrrrr") {
        if (!regsafe(w, so.spilled, sc.spilled, ids, mode)) return false;
        continue;
      }
      if (so.spilled.type === "scalar" && tc === "00000000") {
        if (!so.spilled.precise && w.env.privileged && mode === Mode3.NotExact) continue;
        const z = copyReg(so.spilled);
        z.s = SCALAR_ZERO;
        z.id = 0;
        if (!regsafe(w, so.spilled, z, ids, mode)) return false;
        continue;
      }
      if (so.spilled.type === "scalar" && !so.spilled.precise && w.env.privileged && mode === Mode3.NotExact && /^[m0]+$/.test(tc)) continue;
      return false;
    }
    for (let b = 0; b < 8; b++) {
      const a = to[b]!;
      const c = tc[b]!;
      if (a === "?") continue;
      if (a === "m" && (w.env.privileged || c !== "?")) continue;
      if (a === "m" && c === "0") continue;
      if (a !== c) return false;
      if (a === "r") {
        // A partial spill: compare the registers once.
        if (b === 0 && (!sc?.spilled || !so.spilled || !regsafe(w, so.spilled, sc.spilled, ids, mode))) return false;
      }
    }
  }
  return true;
}

// ---- precision ----

/** Registers and stack slots still to mark, per frame (backtrack_state). */
/** A set of stack slots (spi 0..63: a frame has 512 bytes) as two 32-bit masks: no hashing, one small object. */
class SlotSet {
  private lo = 0;
  private hi = 0;
  add(n: number): void {
    if (n < 32) this.lo |= 1 << n;
    else this.hi |= 1 << (n - 32);
  }
  has(n: number): boolean {
    return n < 32 ? (this.lo & (1 << n)) !== 0 : n < 64 && (this.hi & (1 << (n - 32))) !== 0;
  }
  delete(n: number): void {
    if (n < 32) this.lo &= ~(1 << n);
    else this.hi &= ~(1 << (n - 32));
  }
  clear(): void {
    this.lo = this.hi = 0;
  }
  isEmpty(): boolean {
    return this.lo === 0 && this.hi === 0;
  }
  get size(): number {
    return popcount(this.lo) + popcount(this.hi);
  }
  *[Symbol.iterator](): IterableIterator<number> {
    for (let n = 0; n < 64; n++) if (this.has(n)) yield n;
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

class Backtrack {
  regs: number[] = [];
  slots: SlotSet[] = [];
  frame: number;
  constructor(frames: number) {
    this.frame = frames - 1;
    for (let k = 0; k < frames; k++) { this.regs.push(0); this.slots.push(new SlotSet()); }
  }
  /** Empty again, for `frames` frames: one Backtrack serves every walk back (they never nest). */
  reset(frames: number): this {
    this.frame = frames - 1;
    if (this.regs.length !== frames) this.regs.length = frames;
    this.regs.fill(0);
    for (let k = 0; k < frames; k++) {
      const set = this.slots[k];
      if (set) set.clear();
      else this.slots[k] = new SlotSet();
    }
    if (this.slots.length !== frames) this.slots.length = frames;
    return this;
  }
  empty(): boolean {
    for (let k = 0; k < this.regs.length; k++) if (this.regs[k] !== 0 || !this.slots[k]!.isEmpty()) return false;
    return true;
  }
  has(r: number): boolean { return (this.regs[this.frame]! & (1 << r)) !== 0; }
  set(r: number): void { this.regs[this.frame]! |= 1 << r; }
  clear(r: number): void { this.regs[this.frame]! &= ~(1 << r); }
}

const BT = new Backtrack(1);

/** mark_chain_precision(regno) in the current frame. */
export function markPrecise(w: Walker, regno: number): void {
  const cur = w.cur;
  const f = cur.frames[cur.frames.length - 1]!;
  const r = f.regs[regno]!;
  // The current state itself is not marked (its marks die at its next checkpoint), so nothing short-cuts the walk back.
  if (r.type !== "scalar" || !w.env.privileged) return;
  const bt = BT.reset(cur.frames.length);
  bt.set(regno);
  backtrack(w, bt, true);
}

/** mark_chain_precision of stack slot `spi` of frame `frameno` (bt_set_frame_slot), from the insn being checked. */
export function markSlotPrecise(w: Walker, frameno: number, spi: number): void {
  if (!w.env.privileged) return;
  const bt = BT.reset(w.cur.frames.length);
  bt.slots[frameno]!.add(spi);
  backtrack(w, bt, true);
}

/** propagate_precision: what was precise in the state that covered us must be precise on our path. */
function propagatePrecision(w: Walker, old: State): void {
  if (!w.env.privileged) return;
  const cur = w.cur;
  const bt = BT.reset(cur.frames.length);
  for (let k = 0; k < old.frames.length; k++) {
    const f = old.frames[k]!, c = cur.frames[k]!;
    for (let n = 0; n < f.regs.length; n++) {
      const r = f.regs[n]!;
      if (r.precise && r.type === "scalar" && c.regs[n]!.type === "scalar") bt.regs[k]! |= 1 << n;
    }
    for (let n = 0; n < f.stack.length; n++) {
      const s = f.stack[n]!.spilled;
      if (s && s.precise && s.type === "scalar" && c.stack[n]?.spilled?.type === "scalar") bt.slots[k]!.add(n);
    }
  }
  if (w.env.logLevel > 1) {
    // propagate_precision's line per frame, innermost first: `frame 0: propagating r3,r4,fp-8`.
    for (let k = old.frames.length - 1; k >= 0; k--) {
      const names = [...regNames(bt.regs[k] ?? 0), ...slotNames(bt.slots[k])];
      if (names.length) w.say(`frame ${k}: propagating ${names.join(",")}`);
    }
  }
  if (!bt.empty()) backtrack(w, bt);
}

/**
 * After a hit on a state whose marks may be incomplete, every live scalar it holds is made
 * precise on our path (the kernel propagates the marks later, over the loop's back-edges).
 */
function markLivePrecise(w: Walker, old: State): void {
  const cur = w.cur;
  const bt = BT.reset(cur.frames.length);
  const last = old.frames.length - 1;
  old.frames.forEach((f, k) => {
    const live = w.live[k === last ? old.insn : old.frames[k + 1]!.callsite + 1] ?? 0x3ff;
    f.regs.forEach((r, n) => { if (n < 10 && live & (1 << n) && r.type === "scalar" && cur.frames[k]!.regs[n]!.type === "scalar") bt.regs[k]! |= 1 << n; });
    f.stack.forEach((s, n) => { if (s.spilled?.type === "scalar" && cur.frames[k]!.stack[n]?.spilled?.type === "scalar") bt.slots[k]!.add(n); });
  });
  if (!bt.empty()) backtrack(w, bt);
}

/**
 * `skipFirst`: the path's last insn is the one being checked, whose inputs are what bt holds
 * (skip_first); otherwise the path ends with the insn before it (a hit at a prune point).
 * Each state's part of the path is walked back from its last insn to the insn its parent
 * checkpoint was taken at, by the history's entries where the path jumped, else slot by slot.
 */
function backtrack(w: Walker, bt: Backtrack, skipFirst = false): void {
  let st: State = w.cur;
  let i = skipFirst ? w.insn : w.prevInsn;
  let h = st.history;
  // The slot backtracked just before (the next one on the path), as the kernel's subseq_idx.
  let next = -1;
  const { packed, prevSlot } = w.cfg;
  const trace = w.env.logLevel > 1;
  // The kernel's last_idx is the insn being checked (skipped), also for a hit at a prune point.
  let last = skipFirst ? i : w.insn;
  for (;;) {
    const first = st.parent ? st.parent.insn : w.startInsn;
    if (trace) w.say(`mark_precise: frame${bt.frame}: last_idx ${last} first_idx ${first} subseq_idx ${next} `);
    while (i >= 0) {
      let linked: number[] | undefined;
      // The scalars linked at this insn's jump lie right above its entry (bt_sync_linked_regs).
      while (h && h.e < 0) {
        (linked ??= []).push(h.e);
        h = h.prev;
      }
      let e = i * 1024;
      let from = -1;
      const own = !!h && Math.floor(h.e / 1024) === i;
      if (own) {
        e = h!.e;
        from = h!.from;
        h = h!.prev;
      }
      if (skipFirst) skipFirst = false;
      else {
        if (linked) syncLinked(bt, linked);
        if (bt.empty()) return;
        if (trace) w.say(`mark_precise: frame${bt.frame}: regs=${regMask(bt)} stack=${stackMask(bt)} before ${i}: ${formatKernelLine(w.cfg.insns[i]!, w.cfg.forms[i])}`);
        // The ALU case, the commonest, here (as backtrackInsn has it): no call per insn walked back.
        const code = packed[i]!, cls = code & 0x07;
        if (cls === CLS_ALU || cls === CLS_ALU64) {
          const d = (code >> 8) & 15, f = bt.frame, m = bt.regs[f]!;
          if (m & (1 << d)) {
            const op = code & 0xf0, srcX = (code & 0x08) === SRC_X;
            if (op === 0xb0) bt.regs[f] = srcX ? (m & ~(1 << d)) | (1 << ((code >> 12) & 15)) : m & ~(1 << d);
            else if (srcX && op !== 0x80 && op !== 0xd0) bt.regs[f] = m | (1 << ((code >> 12) & 15));
          }
        } else if (!backtrackInsn(w, e, bt, next)) {
          markAllPrecise(w);
          return;
        }
        if (linked) syncLinked(bt, linked);
      }
      next = i;
      // get_prev_insn_idx: the segment's first insn ends it unless the path came back to it.
      if (i === first && !h) break;
      i = own ? from : prevSlot[i]!;
    }
    const parent = st.parent;
    if (!parent) break;
    st = parent;
    if (bt.frame !== st.frames.length - 1) {
      markAllPrecise(w);
      return;
    }
    markIn(st, bt, true);
    if (trace) w.say(`mark_precise: frame${bt.frame}: parent state regs=${regMask(bt)} stack=${stackMask(bt)}:  ${formatFrame(st.frames[bt.frame]!)}`);
    if (bt.empty()) return;
    i = last = st.lastInsn;
    h = st.history;
  }
}

/** fmt_reg_mask and fmt_stack_mask: `r1,r6` and `-8,-16` of the frame being walked back. */
const regMask = (bt: Backtrack): string => regNames(bt.regs[bt.frame]!).join(",");
const stackMask = (bt: Backtrack): string => slotNames(bt.slots[bt.frame]).map((s) => s.slice(2)).join(",");
function regNames(mask: number): string[] {
  const out: string[] = [];
  for (let n = 0; n < 10; n++) if (mask & (1 << n)) out.push(`r${n}`);
  return out;
}
function slotNames(slots: SlotSet | undefined): string[] {
  const out: string[] = [];
  for (let n = 0; slots && n < 64; n++) if (slots.has(n)) out.push(`fp-${(n + 1) * 8}`);
  return out;
}

/** A history entry naming a register or spilled slot linked (by scalar id) to a compared one; always negative. */
export function linkedEntry(frame: number, n: number, isReg: boolean): number {
  return -(1 + frame * 1024 + (isReg ? n : 512 + n));
}

/** When one of the linked scalars needs precision, they all do. */
function syncLinked(bt: Backtrack, linked: readonly number[]): void {
  let any = false;
  for (let k = 0; k < linked.length && !any; k++) {
    const v = -linked[k]! - 1, frame = v >> 10, n = v & 511;
    if (frame < bt.regs.length) any = (v & 512) === 0 ? (bt.regs[frame]! & (1 << n)) !== 0 : bt.slots[frame]!.has(n);
  }
  if (!any) return;
  for (let k = 0; k < linked.length; k++) {
    const v = -linked[k]! - 1, frame = v >> 10, n = v & 511;
    if (frame >= bt.regs.length) continue;
    if ((v & 512) === 0) bt.regs[frame]! |= 1 << n;
    else bt.slots[frame]!.add(n);
  }
}

/** Marks what bt holds precise in st; with `stop`, what already was precise leaves bt. */
function markIn(st: State, bt: Backtrack, stop: boolean): void {
  const frames = st.frames;
  for (let k = 0; k < frames.length; k++) {
    const f = frames[k]!;
    let mask = bt.regs[k] ?? 0;
    for (let n = 0; mask && n < 10; n++) {
      if (!(mask & (1 << n))) continue;
      const r = f.regs[n]!;
      if (r.type !== "scalar" || (r.precise && stop)) mask &= ~(1 << n);
      else r.precise = true;
    }
    if (k < bt.regs.length) bt.regs[k] = mask;
    const slots = bt.slots[k];
    if (!slots || slots.size === 0) continue;
    for (const n of [...slots]) {
      const s = f.stack[n]?.spilled;
      if (!s || s.type !== "scalar" || (s.precise && stop)) slots.delete(n);
      else s.precise = true;
    }
  }
}

/** The fallback when the path is too tangled to follow: every scalar on the chain is precise. */
function markAllPrecise(w: Walker): void {
  for (let st: State | undefined = w.cur; st; st = st.parent) {
    for (const f of st.frames) {
      for (const r of f.regs) if (r.type === "scalar") r.precise = true;
      for (const s of f.stack) if (s.spilled?.type === "scalar") s.spilled.precise = true;
    }
  }
}

/** backtrack_insn: what bt needs before the instruction, given what it needs after. False: give up. */
// Opcode fields as module constants, read once: under tsx's CommonJS transform every imported
// binding is read through a getter, and backtrackInsn runs for every insn walked back (tsc
// inlines the const enums anyway).
const CLS_ALU = Class.Alu, CLS_ALU64 = Class.Alu64, CLS_LDX = Class.Ldx, CLS_STX = Class.Stx, CLS_ST = Class.St, CLS_LD = Class.Ld;
const SRC_X = Source.X, MODE_ATOMIC = Mode.Atomic, MODE_IMM = Mode.Imm, CALL_LOCAL = PseudoCall.Local;
const OP_EXIT = JmpOp.Exit, OP_CALL = JmpOp.Call, OP_JA = JmpOp.Ja, OP_JCOND = JmpOp.Jcond;
const ATOMIC_LOAD_ACQUIRE = AtomicOp.LoadAcquire, ATOMIC_FETCH = AtomicOp.Fetch, ATOMIC_CMPXCHG = AtomicOp.Cmpxchg;

function backtrackInsn(w: Walker, entry: number, bt: Backtrack, next: number): boolean {
  const slot = Math.floor(entry / 1024);
  // The ALU case, the commonest, from the packed opcode and registers alone.
  const code = w.cfg.packed[slot]!;
  const opcode = code & 0xff, d = (code >> 8) & 15, s = (code >> 12) & 15;
  const cls = opcode & 0x07, op = opcode & 0xf0, srcX = (opcode & 0x08) === SRC_X, mode = opcode & 0xe0;
  if (cls === CLS_ALU || cls === CLS_ALU64) {
    if (!bt.has(d)) return true;
    if (op === 0xb0) {
      bt.clear(d);
      if (srcX) bt.set(s);
    } else if (srcX && op !== 0x80 && op !== 0xd0) bt.set(s);
    return true;
  }
  // The stack slot the insn accessed, if the history entry names one (stackEntry).
  const stackAcc = (entry & 512) !== 0, accFrame = (entry >> 6) & 7, accSpi = entry & 63;
  const i = w.cfg.insns[slot]!;
  if (cls === CLS_LDX || (cls === CLS_STX && mode === MODE_ATOMIC && i.imm === ATOMIC_LOAD_ACQUIRE)) {
    if (!bt.has(d)) return true;
    bt.clear(d);
    if (stackAcc) {
      if (accFrame >= bt.slots.length) return false;
      bt.slots[accFrame]!.add(accSpi);
    }
    return true;
  }
  if (cls === CLS_STX || cls === CLS_ST) {
    if (mode === MODE_ATOMIC) {
      if (i.imm & ATOMIC_FETCH) { bt.clear(i.imm === ATOMIC_CMPXCHG ? 0 : s); }
      if (stackAcc && bt.slots[accFrame]?.has(accSpi)) return false;
      return true;
    }
    if (!stackAcc) return true;
    const set = bt.slots[accFrame];
    if (!set || !set.has(accSpi)) return true;
    set.delete(accSpi);
    if (cls === CLS_STX) {
      const save = bt.frame;
      bt.frame = Math.min(bt.frame, bt.regs.length - 1);
      bt.set(s);
      bt.frame = save;
    }
    return true;
  }
  if (cls === CLS_LD) {
    if (bt.has(d)) bt.clear(d);
    if (mode !== MODE_IMM) for (let r = 0; r <= 5; r++) bt.clear(r);
    return true;
  }
  // jumps
  if (op === OP_EXIT) {
    // Going back into the callee that returned here: the caller's r0 was its r0.
    const r0 = bt.has(0);
    bt.clear(0);
    if (bt.frame + 1 >= bt.regs.length) { bt.regs.push(0); bt.slots.push(new SlotSet()); }
    bt.frame++;
    bt.regs[bt.frame] = r0 ? 1 : 0;
    bt.slots[bt.frame] = new SlotSet();
    return true;
  }
  if (op === OP_CALL) {
    if (i.src === CALL_LOCAL && w.env.globals.has(w.cfg.subprogOf[slot + i.imm + 1]!)) {
      // A global function is not entered: r0 is its unknown result, r1-r5 died at the call.
      if (bt.regs[bt.frame]! & 0x3e) return false;
      bt.clear(0);
      return true;
    }
    if (i.src === CALL_LOCAL) {
      // Leaving the callee backwards: its r1-r5 were the caller's.
      if (bt.frame === 0) return false;
      const args = bt.regs[bt.frame]! & 0x3e;
      if (bt.regs[bt.frame]! & ~0x3e || bt.slots[bt.frame]!.size) return false;
      bt.regs[bt.frame] = 0;
      bt.frame--;
      bt.regs[bt.frame]! |= args;
      bt.regs.length = bt.frame + 1;
      bt.slots.length = bt.frame + 1;
      return true;
    }
    if (i.src === PseudoCall.Helper && CALLBACK_HELPERS.has(i.imm) && next >= 0 && next !== slot + 1) {
      // Leaving a callback backwards, to the helper that called it: its r1-r5 were the helper's.
      if (bt.frame === 0) return false;
      bt.regs[bt.frame]! &= ~0x3e;
      if (bt.regs[bt.frame] || bt.slots[bt.frame]!.size) return false;
      bt.frame--;
      bt.regs.length = bt.frame + 1;
      bt.slots.length = bt.frame + 1;
      return true;
    }
    bt.clear(0);
    for (let r = 1; r <= 5; r++) bt.clear(r);
    return true;
  }
  if (op === OP_JA || op === OP_JCOND) return true;
  if (srcX && (bt.has(d) || bt.has(s))) {
    bt.set(d);
    bt.set(s);
  }
  return true;
}

export { SCALAR_UNKNOWN };
