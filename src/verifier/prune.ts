/**
 * @fileoverview State pruning, as the kernel's is_state_visited: checkpoints at prune
 * points, equivalence of a new state with an explored one (states_equal, regsafe,
 * stacksafe) over live registers and precise scalars, and precision marking by
 * backtracking the path (mark_chain_precision), so that imprecise counters do not keep
 * states apart.
 */

import { Class, JmpOp, Mode, opClass, opCode, opMode, opSource, PseudoCall, Source, AtomicOp } from "../isa/opcodes.js";
import { CALLBACK_HELPERS, isMayGoto } from "./cfg.js";
import { formatState } from "./log.js";
import { type Scalar, scalarEqual, scalarWithin } from "./scalar.js";
import { copyReg, copyState, type Frame, type Reg, SCALAR_UNKNOWN, SCALAR_ZERO, type State } from "./state.js";
import type { Walker } from "./walker.js";

/** One explored state at an instruction (bpf_verifier_state_list). */
export interface Explored {
  readonly state: State;
  hit: number;
  miss: number;
}

const enum Mode3 { NotExact, RangeWithin, Exact }

/** Returns true when the current state is covered by an explored one (prune this path). */
export function isStateVisited(w: Walker, insn: number): boolean {
  const cur = w.cur;
  // A long path since the last checkpoint forces one (the kernel's jmp_history_cnt > 40, counted here as insns / 8).
  const force = w.cfg.forceCheckpoint[insn] === 1 || (cur.history?.n ?? 0) > 320;
  // 2 jumps or 8 insns since the last checkpoint: more often than the kernel (2 jumps and 8 insns), which
  // makes up for the stack liveness it has and we do not (state_machine: 1.26x its insns instead of 1.52x).
  let addNew = force || w.jmpsProcessed - w.prevJmpsProcessed >= 2 || w.stats.processed - w.prevInsnProcessed >= 8;
  let list = w.explored.get(insn);
  const i = w.cfg.insns[insn]!;
  if (list) {
    for (let k = 0; k < list.length; k++) {
      const e = list[k]!;
      const old = e.state;
      if (!sameCallsites(old, cur)) continue;
      if (old.branches > 0) {
        if ((isMayGoto(i) && old.mayGotoDepth !== cur.mayGotoDepth) || isCallbackCall(i)) {
          if (statesEqual(w, old, cur, Mode3.RangeWithin)) return loopHit(w, e);
        }
        if (maybeLooping(old, cur) && old.mayGotoDepth === cur.mayGotoDepth && old.callbackDepth === cur.callbackDepth && statesEqual(w, old, cur, Mode3.Exact)) {
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
        list.splice(k--, 1);
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
  list.push({ state: s, hit: 0, miss: 0 });
  w.stats.totalStates++;
  w.stats.curStates++;
  if (w.stats.curStates > w.stats.peakStates) w.stats.peakStates = w.stats.curStates;
  if (list.length > w.stats.maxStatesPerInsn) w.stats.maxStatesPerInsn = list.length;
  return false;
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

function hit(w: Walker, e: Explored): true {
  e.hit++;
  propagatePrecision(w, e.state);
  return true;
}

const isCallbackCall = (i: { opcode: number; src: number; imm: number }): boolean =>
  i.opcode === 0x85 && i.src === PseudoCall.Helper && CALLBACK_HELPERS.has(i.imm);

function sameCallsites(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let k = 0; k < a.frames.length; k++) if (a.frames[k]!.callsite !== b.frames[k]!.callsite) return false;
  return true;
}

/** states_maybe_looping: a quick exact look at the innermost frame's registers. */
function maybeLooping(old: State, cur: State): boolean {
  const fo = old.frames[old.frames.length - 1]!;
  const fc = cur.frames[cur.frames.length - 1]!;
  for (let r = 0; r < 10; r++) {
    const a = fo.regs[r]!;
    const b = fc.regs[r]!;
    if (a.type !== b.type || a.off !== b.off || !sameScalar(a.s, b.s)) return false;
  }
  return true;
}

function sameScalar(a: Scalar, b: Scalar): boolean {
  return a === b || scalarEqual(a, b);
}

/** check_ids: old ids must map to current ids one to one. */
class IdMap {
  readonly map = new Map<number, number>();
  readonly back = new Map<number, number>();
  reset(): void {
    if (this.map.size) { this.map.clear(); this.back.clear(); }
  }
  check(o: number, c: number): boolean {
    if (!o && !c) return true;
    if (!o || !c) return false;
    const m = this.map.get(o);
    if (m !== undefined) return m === c;
    if (this.back.has(c)) return false;
    this.map.set(o, c);
    this.back.set(c, o);
    return true;
  }
}

/** One map for every comparison (statesEqual does not nest), cleared on each. */
const IDS = new IdMap();

function statesEqual(w: Walker, old: State, cur: State, mode: Mode3): boolean {
  if (old.activeLock !== 0 !== (cur.activeLock !== 0)) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (mode !== Mode3.Exact && old.mayGotoDepth !== cur.mayGotoDepth && false) return false;
  const ids = IDS;
  ids.reset();
  const last = old.frames.length - 1;
  for (let k = 0; k <= last; k++) {
    // Liveness: the innermost frame at this insn, callers at their return points.
    const at = k === last ? old.insn : old.frames[k + 1]!.callsite + 1;
    const live = w.live[at] ?? 0x3ff;
    if (!frameEqual(w, old.frames[k]!, cur.frames[k]!, ids, mode, k === last ? live : live & ~0x3e)) return false;
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
    if (o.id && (!ids.check(o.id, c.id || -1) || o.off !== c.off)) return false;
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
      if (o.off !== c.off || o.map !== c.map || o.memSize !== c.memSize) return false;
      if (!ids.check(o.id, c.id) || !ids.check(o.refObjId, c.refObjId)) return false;
      return scalarWithin(o.s, c.s);
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
class Backtrack {
  regs: number[] = [];
  slots: Set<number>[] = [];
  frame: number;
  constructor(frames: number) {
    this.frame = frames - 1;
    for (let k = 0; k < frames; k++) { this.regs.push(0); this.slots.push(new Set()); }
  }
  empty(): boolean {
    return this.regs.every((m) => m === 0) && this.slots.every((s) => s.size === 0);
  }
  has(r: number): boolean { return (this.regs[this.frame]! & (1 << r)) !== 0; }
  set(r: number): void { this.regs[this.frame]! |= 1 << r; }
  clear(r: number): void { this.regs[this.frame]! &= ~(1 << r); }
}

/** mark_chain_precision(regno) in the current frame. */
export function markPrecise(w: Walker, regno: number): void {
  const cur = w.cur;
  const f = cur.frames[cur.frames.length - 1]!;
  const r = f.regs[regno]!;
  if (r.type !== "scalar" || r.precise || !w.env.privileged) return;
  const bt = new Backtrack(cur.frames.length);
  bt.set(regno);
  backtrack(w, bt, true);
}

/** propagate_precision: what was precise in the state that covered us must be precise on our path. */
function propagatePrecision(w: Walker, old: State): void {
  if (!w.env.privileged) return;
  const cur = w.cur;
  const bt = new Backtrack(cur.frames.length);
  old.frames.forEach((f, k) => {
    f.regs.forEach((r, n) => { if (r.type === "scalar" && r.precise && cur.frames[k]!.regs[n]!.type === "scalar") bt.regs[k]! |= 1 << n; });
    f.stack.forEach((s, n) => { if (s.spilled?.type === "scalar" && s.spilled.precise && cur.frames[k]!.stack[n]?.spilled?.type === "scalar") bt.slots[k]!.add(n); });
  });
  if (!bt.empty()) backtrack(w, bt);
}

/**
 * After a hit on a state whose marks may be incomplete, every live scalar it holds is made
 * precise on our path (the kernel propagates the marks later, over the loop's back-edges).
 */
function markLivePrecise(w: Walker, old: State): void {
  const cur = w.cur;
  const bt = new Backtrack(cur.frames.length);
  const last = old.frames.length - 1;
  old.frames.forEach((f, k) => {
    const live = w.live[k === last ? old.insn : old.frames[k + 1]!.callsite + 1] ?? 0x3ff;
    f.regs.forEach((r, n) => { if (n < 10 && live & (1 << n) && r.type === "scalar" && cur.frames[k]!.regs[n]!.type === "scalar") bt.regs[k]! |= 1 << n; });
    f.stack.forEach((s, n) => { if (s.spilled?.type === "scalar" && cur.frames[k]!.stack[n]?.spilled?.type === "scalar") bt.slots[k]!.add(n); });
  });
  if (!bt.empty()) backtrack(w, bt);
}

/** `skipFirst`: the path's last insn is the one being checked, whose inputs are what bt holds (skip_first). */
function backtrack(w: Walker, bt: Backtrack, skipFirst = false): void {
  let st: State | undefined = w.cur;
  // The slot backtracked just before (the next one on the path), as the kernel's subseq_idx.
  let next = -1;
  markIn(st, bt, false);
  while (st) {
    let linked: number[] | undefined;
    for (let h = st.history; h; h = h.prev) {
      const e = h.e;
      if (e < 0) {
        // The scalars linked at the jump just before (bt_sync_linked_regs).
        (linked ??= []).push(e);
        continue;
      }
      if (skipFirst) {
        skipFirst = false;
        next = Math.floor(e / 1024);
        continue;
      }
      if (linked) syncLinked(bt, linked);
      if (bt.empty()) return;
      if (!backtrackInsn(w, e, bt, next)) {
        markAllPrecise(w);
        return;
      }
      next = Math.floor(e / 1024);
      if (linked) syncLinked(bt, linked);
      linked = undefined;
    }
    st = st.parent;
    if (!st) break;
    if (bt.frame !== st.frames.length - 1) {
      markAllPrecise(w);
      return;
    }
    markIn(st, bt, true);
    if (bt.empty()) return;
  }
}

/** A history entry naming a register or spilled slot linked (by scalar id) to a compared one; always negative. */
export function linkedEntry(frame: number, n: number, isReg: boolean): number {
  return -(1 + frame * 1024 + (isReg ? n : 512 + n));
}

/** When one of the linked scalars needs precision, they all do. */
function syncLinked(bt: Backtrack, linked: readonly number[]): void {
  const members = linked.map((e) => {
    const v = -e - 1;
    return { frame: v >> 10, isReg: (v & 512) === 0, n: v & 511 };
  });
  const any = members.some((m) => m.frame < bt.regs.length && (m.isReg ? (bt.regs[m.frame]! & (1 << m.n)) !== 0 : bt.slots[m.frame]!.has(m.n)));
  if (!any) return;
  for (const m of members) {
    if (m.frame >= bt.regs.length) continue;
    if (m.isReg) bt.regs[m.frame]! |= 1 << m.n;
    else bt.slots[m.frame]!.add(m.n);
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
function backtrackInsn(w: Walker, entry: number, bt: Backtrack, next: number): boolean {
  const slot = Math.floor(entry / 1024);
  const stackAcc = entry & 512 ? { frame: (entry >> 6) & 7, spi: entry & 63 } : undefined;
  const i = w.cfg.insns[slot]!;
  const cls = opClass(i.opcode);
  const op = opCode(i.opcode);
  const d = i.dst;
  const s = i.src;
  if (cls === Class.Alu || cls === Class.Alu64) {
    if (!bt.has(d)) return true;
    if (op === 0xb0) {
      bt.clear(d);
      if (opSource(i.opcode) === Source.X) bt.set(s);
    } else if (opSource(i.opcode) === Source.X && op !== 0x80 && op !== 0xd0) bt.set(s);
    return true;
  }
  if (cls === Class.Ldx || (cls === Class.Stx && opMode(i.opcode) === Mode.Atomic && i.imm === AtomicOp.LoadAcquire)) {
    if (!bt.has(d)) return true;
    bt.clear(d);
    if (stackAcc) {
      if (stackAcc.frame >= bt.slots.length) return false;
      bt.slots[stackAcc.frame]!.add(stackAcc.spi);
    }
    return true;
  }
  if (cls === Class.Stx || cls === Class.St) {
    if (opMode(i.opcode) === Mode.Atomic) {
      if (i.imm & AtomicOp.Fetch) { bt.clear(i.imm === AtomicOp.Cmpxchg ? 0 : s); }
      if (stackAcc && bt.slots[stackAcc.frame]?.has(stackAcc.spi)) return false;
      return true;
    }
    if (!stackAcc) return true;
    const set = bt.slots[stackAcc.frame];
    if (!set || !set.has(stackAcc.spi)) return true;
    set.delete(stackAcc.spi);
    if (cls === Class.Stx) {
      const save = bt.frame;
      bt.frame = Math.min(bt.frame, bt.regs.length - 1);
      bt.set(s);
      bt.frame = save;
    }
    return true;
  }
  if (cls === Class.Ld) {
    if (bt.has(d)) bt.clear(d);
    if (opMode(i.opcode) !== Mode.Imm) for (let r = 0; r <= 5; r++) bt.clear(r);
    return true;
  }
  // jumps
  if (op === JmpOp.Exit) {
    // Going back into the callee that returned here: the caller's r0 was its r0.
    const r0 = bt.has(0);
    bt.clear(0);
    if (bt.frame + 1 >= bt.regs.length) { bt.regs.push(0); bt.slots.push(new Set()); }
    bt.frame++;
    bt.regs[bt.frame] = r0 ? 1 : 0;
    bt.slots[bt.frame] = new Set();
    return true;
  }
  if (op === JmpOp.Call) {
    if (i.src === PseudoCall.Local && w.env.globals.has(w.cfg.subprogOf[slot + i.imm + 1]!)) {
      // A global function is not entered: r0 is its unknown result, r1-r5 died at the call.
      if (bt.regs[bt.frame]! & 0x3e) return false;
      bt.clear(0);
      return true;
    }
    if (i.src === PseudoCall.Local) {
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
    if (CALLBACK_HELPERS.has(i.imm) && next >= 0 && next !== slot + 1) {
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
  if (op === JmpOp.Ja || op === JmpOp.Jcond) return true;
  if (opSource(i.opcode) === Source.X && (bt.has(d) || bt.has(s))) {
    bt.set(d);
    bt.set(s);
  }
  return true;
}

export { SCALAR_UNKNOWN };
