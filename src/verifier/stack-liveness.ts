/**
 * @fileoverview Live stack slots, as the kernel's kernel/bpf/liveness.c (6.18) computes them:
 * while the walk goes on, every instruction's stack reads ("may_read") and full-slot writes
 * ("must_write", intersected over every visit) are recorded per call chain and per frame; a
 * backward dataflow over the subprogram's instructions then gives the slots that may be read
 * at or after each instruction ("live_before"). A checkpoint whose paths are all explored
 * (no branches left) forgets its dead slots before it is compared (clean_verifier_state), so
 * that states differing only in what is never read again are equal. Reads and writes seen
 * so far are all a finished checkpoint's paths did, which is why only those are cleaned.
 */

import type { Cfg } from "./cfg.js";
import type { State } from "./state.js";

/** A 64-bit slot mask per (frame, insn), as two 32-bit halves at 2*k and 2*k+1. */
type Masks = Int32Array;

/** per_frame_masks of one frame, for every insn of the instance's subprogram. */
interface FrameMasks {
  mayRead: Masks;
  mustWrite: Masks;
  mustWriteAcc: Masks;
  liveBefore: Masks;
}

/** func_instance: one subprogram under one call chain. */
interface Instance {
  readonly key: string;
  /** The call instruction of each frame below this one (callchain.callsites). */
  readonly callsites: readonly number[];
  readonly depth: number;
  readonly start: number;
  readonly end: number;
  readonly frames: (FrameMasks | undefined)[];
  /** Per insn: 0 not seen yet, 1 seen, 2 seen and its must_write empty. */
  readonly mustWriteSet: Uint8Array;
  updated: boolean;
  mustWriteDropped: boolean;
}

/** Instruction successors inside a subprogram (bpf_insn_successors), -1 for none. */
function successors(cfg: Cfg, t: number, out: Int32Array): number {
  const i = cfg.insns[t]!;
  const cls = i.opcode & 7;
  if (cls === 5 || cls === 6) {
    const op = i.opcode & 0xf0;
    if (op === 0x90) return 0; // exit
    if (op === 0x80) { out[0] = t + 1; return 1; } // call: falls through
    const target = t + 1 + (cls === 6 && op === 0x00 ? i.imm : i.off);
    if (op === 0x00) { out[0] = target; return 1; } // ja
    out[0] = t + 1;
    out[1] = target;
    return 2;
  }
  out[0] = t + (cfg.insns[t + 1] ? 1 : 2);
  return 1;
}

const SUCC = new Int32Array(2);

export class StackLiveness {
  private readonly instances = new Map<string, Instance>();
  /** The instance the current insn runs in, and the full-slot writes it made (write_masks_acc). */
  private cur: Instance | undefined;
  private curState: State | undefined;
  private curDepth = -1;
  private writeInst: Instance | undefined;
  private writeInsn = -1;
  private readonly writeLo = new Int32Array(8);
  private readonly writeHi = new Int32Array(8);
  private dirty = false;

  constructor(private readonly cfg: Cfg) {}

  /** The instance for frames 0..frame of `s` (compute_callchain, __lookup_instance). */
  private instance(s: State, frame: number): Instance {
    const key = this.keyOf(s, frame);
    const subprog = s.frames[frame]!.subprog;
    let inst = this.instances.get(key);
    if (!inst) {
      const sp = this.cfg.subprogs[subprog]!;
      const n = sp.end - sp.start;
      const callsites: number[] = [];
      for (let k = 1; k <= frame; k++) callsites.push(s.frames[k]!.callsite);
      inst = { key, callsites, depth: frame, start: sp.start, end: sp.end, frames: [], mustWriteSet: new Uint8Array(n), updated: false, mustWriteDropped: false };
      this.instances.set(key, inst);
    }
    return inst;
  }

  private current(s: State): Instance {
    const depth = s.frames.length - 1;
    if (this.cur && this.curState === s && this.curDepth === depth) return this.cur;
    this.curState = s;
    this.curDepth = depth;
    return (this.cur = this.instance(s, depth));
  }

  private masks(inst: Instance, frame: number): FrameMasks {
    let m = inst.frames[frame];
    if (!m) {
      const n = 2 * (inst.end - inst.start);
      m = { mayRead: new Int32Array(n), mustWrite: new Int32Array(n), mustWriteAcc: new Int32Array(n), liveBefore: new Int32Array(n) };
      inst.frames[frame] = m;
    }
    return m;
  }

  /** bpf_mark_stack_read: slot `spi` of frame `frame` may be read at `insn` (the current state's chain). */
  read(s: State, frame: number, insn: number, spi: number): void {
    if (spi < 0 || spi >= 64) return;
    const inst = this.current(s);
    this.orRead(inst, frame, insn, spi < 32 ? 1 << spi : 0, spi < 32 ? 0 : 1 << (spi - 32));
  }

  private orRead(inst: Instance, frame: number, insn: number, lo: number, hi: number): void {
    const m = this.masks(inst, frame);
    const k = 2 * (insn - inst.start);
    const nlo = m.mayRead[k]! | lo, nhi = m.mayRead[k + 1]! | hi;
    if ((nlo !== m.mayRead[k] || nhi !== m.mayRead[k + 1]) && ((nlo | m.liveBefore[k]!) !== m.liveBefore[k] || (nhi | m.liveBefore[k + 1]!) !== m.liveBefore[k + 1])) {
      inst.updated = true;
      this.dirty = true;
    }
    m.mayRead[k] = nlo;
    m.mayRead[k + 1] = nhi;
  }

  /** bpf_reset_stack_write_marks: the insn about to be checked starts with no writes. */
  begin(s: State, insn: number): void {
    this.writeInst = this.current(s);
    this.writeInsn = insn;
    if (this.wrote) {
      this.writeLo.fill(0);
      this.writeHi.fill(0);
      this.wrote = false;
    }
  }

  /** Whether write() was called since the masks were last cleared. */
  private wrote = false;

  /** bpf_mark_stack_write: the insn writes all 8 bytes of slot `spi` of frame `frame`. */
  write(frame: number, spi: number): void {
    if (spi < 0 || spi >= 64) return;
    this.wrote = true;
    if (spi < 32) this.writeLo[frame]! |= 1 << spi;
    else this.writeHi[frame]! |= 1 << (spi - 32);
  }

  /**
   * bpf_commit_stack_write_marks: the insn's writes, intersected with those of its earlier
   * visits. Skipped when the insn entered or left a subprogram (the kernel resets its
   * instance there, so nothing is committed).
   */
  commit(s: State): void {
    const inst = this.writeInst;
    this.writeInst = undefined;
    if (!inst || inst.depth !== s.frames.length - 1 || this.writeInsn < 0) return;
    // Seen before with no writes, and none now: the intersection stays empty.
    const idx = this.writeInsn - inst.start;
    if (!this.wrote && inst.mustWriteSet[idx] === 2) return;
    this.commitTo(inst, this.writeInsn);
  }

  private commitTo(inst: Instance, insn: number): void {
    const idx = insn - inst.start;
    const seen = inst.mustWriteSet[idx] !== 0;
    let none = true;
    for (let f = 0; f <= inst.depth; f++) {
      let lo = this.writeLo[f]!, hi = this.writeHi[f]!;
      if (lo === 0 && hi === 0 && !seen) continue;
      const m = this.masks(inst, f);
      const k = 2 * idx;
      const olo = m.mustWrite[k]!, ohi = m.mustWrite[k + 1]!;
      if (seen) { lo &= olo; hi &= ohi; }
      if (lo !== olo || hi !== ohi) {
        m.mustWrite[k] = lo;
        m.mustWrite[k + 1] = hi;
        inst.updated = true;
        this.dirty = true;
      }
      if ((olo & ~lo) !== 0 || (ohi & ~hi) !== 0) inst.mustWriteDropped = true;
      if (lo !== 0 || hi !== 0) none = false;
    }
    // 1: seen, 2: seen and writing nothing on some visit (so never will: an intersection).
    inst.mustWriteSet[idx] = none ? 2 : 1;
    this.writeInsn = -1;
  }

  /** bpf_update_live_stack for every instance with new marks, callees before their callers. */
  private update(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const todo = [...this.instances.values()].filter((i) => i.updated).sort((a, b) => b.depth - a.depth);
    for (let n = 0; n < todo.length; n++) {
      const inst = todo[n]!;
      if (!inst.updated) continue;
      inst.updated = false;
      this.fixpoint(inst);
      inst.mustWriteDropped = false;
      if (inst.depth > 0) {
        const outer = this.propagateOut(inst);
        if (outer.updated && !todo.includes(outer)) {
          // Keep callees first: the outer one is shallower than everything left after n.
          let at = n + 1;
          while (at < todo.length && todo[at]!.depth > outer.depth) at++;
          todo.splice(at, 0, outer);
        }
      }
    }
    this.dirty = false;
  }

  /** update_instance: live_before and must_write_acc to a fixed point, in reverse insn order. */
  private fixpoint(inst: Instance): void {
    const { cfg } = this;
    if (inst.mustWriteDropped) for (const m of inst.frames) m?.mustWriteAcc.fill(0);
    for (let changed = true; changed; ) {
      changed = false;
      for (let f = 0; f <= inst.depth; f++) {
        const m = inst.frames[f];
        if (!m) continue;
        for (let t = inst.end - 1; t >= inst.start; t--) {
          if (!cfg.insns[t]) continue;
          const n = successors(cfg, t, SUCC);
          if (n === 0) continue;
          let alo = 0, ahi = 0, wlo = -1, whi = -1;
          for (let j = 0; j < n; j++) {
            const s = SUCC[j]!;
            if (s < inst.start || s >= inst.end) continue;
            const q = 2 * (s - inst.start);
            alo |= m.liveBefore[q]!; ahi |= m.liveBefore[q + 1]!;
            wlo &= m.mustWriteAcc[q]!; whi &= m.mustWriteAcc[q + 1]!;
          }
          const k = 2 * (t - inst.start);
          wlo |= m.mustWrite[k]!; whi |= m.mustWrite[k + 1]!;
          const blo = (alo & ~m.mustWrite[k]!) | m.mayRead[k]!, bhi = (ahi & ~m.mustWrite[k + 1]!) | m.mayRead[k + 1]!;
          if (blo !== m.liveBefore[k] || bhi !== m.liveBefore[k + 1] || wlo !== m.mustWriteAcc[k] || whi !== m.mustWriteAcc[k + 1]) {
            changed = true;
            m.liveBefore[k] = blo; m.liveBefore[k + 1] = bhi;
            m.mustWriteAcc[k] = wlo; m.mustWriteAcc[k + 1] = whi;
          }
        }
      }
    }
  }

  /** propagate_to_outer_instance: the subprogram's entry marks become its call insn's, for the caller's frames. */
  private propagateOut(inst: Instance): Instance {
    const callsite = inst.callsites[inst.depth - 1]!;
    const subprog = this.cfg.subprogOf[callsite]!;
    let key = "";
    for (let k = 0; k < inst.depth - 1; k++) key += `${inst.callsites[k]},`;
    key += subprog;
    let outer = this.instances.get(key);
    if (!outer) {
      const sp = this.cfg.subprogs[subprog]!;
      outer = { key, callsites: inst.callsites.slice(0, -1), depth: inst.depth - 1, start: sp.start, end: sp.end, frames: [], mustWriteSet: new Uint8Array(sp.end - sp.start), updated: false, mustWriteDropped: false };
      this.instances.set(key, outer);
    }
    this.writeLo.fill(0);
    this.writeHi.fill(0);
    const e = 2 * 0; // the subprogram's first insn
    for (let f = 0; f < inst.depth; f++) {
      const m = inst.frames[f];
      if (!m) continue;
      this.writeLo[f] = m.mustWriteAcc[e]!;
      this.writeHi[f] = m.mustWriteAcc[e + 1]!;
      this.orRead(outer, f, callsite, m.liveBefore[e]!, m.liveBefore[e + 1]!);
    }
    this.commitTo(outer, callsite);
    return outer;
  }

  private liveAt(inst: Instance | undefined, frame: number, insn: number, spi: number): boolean {
    const m = inst?.frames[frame];
    if (!m || insn < inst!.start || insn >= inst!.end) return false;
    const v = m.liveBefore[2 * (insn - inst!.start) + (spi < 32 ? 0 : 1)]!;
    return (v & (1 << (spi & 31))) !== 0;
  }

  /**
   * Forgets the stack slots of a finished checkpoint that no path from it reads
   * (clean_func_state with bpf_stack_slot_alive): read before the state's insn in its own
   * subprogram, or after (for a callback: at) the call insn of a caller's.
   */
  cleanStack(s: State): void {
    this.update();
    const last = s.frames.length - 1;
    const insts: (Instance | undefined)[] = [];
    for (let k = 0; k <= last; k++) insts.push(this.instances.get(this.keyOf(s, k)));
    for (let k = 0; k <= last; k++) {
      const stack = s.frames[k]!.stack;
      for (let spi = 0; spi < stack.length; spi++) {
        const slot = stack[spi]!;
        if (slot.types === "????????") continue;
        let alive = this.liveAt(insts[last], k, s.insn, spi);
        for (let i = k; !alive && i < last; i++) {
          const callsite = s.frames[i + 1]!.callsite;
          alive = this.liveAt(insts[i], k, s.frames[i + 1]!.inCallback ? callsite : callsite + 1, spi);
        }
        if (!alive) stack[spi] = { types: "????????", spilled: undefined };
      }
    }
  }

  private keyOf(s: State, frame: number): string {
    let key = "";
    for (let k = 1; k <= frame; k++) key += `${s.frames[k]!.callsite},`;
    return key + s.frames[frame]!.subprog;
  }
}
