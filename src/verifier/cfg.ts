/**
 * @fileoverview The verifier's front end, as the kernel's check_subprogs and check_cfg:
 * instructions by slot, subprograms found from local calls, jumps kept in range and out of
 * the second slot of a 64-bit load, every instruction reachable, and the prune points.
 */

import { type Instruction, LDDW } from "../isa/instruction.js";
import { Class, JmpOp, Mode, opClass, opCode, opMode, PseudoCall, PseudoLd } from "../isa/opcodes.js";
import { validateInstruction } from "../isa/validate.js";
import type { InstructionForm } from "../isa/table.js";
import { InvalidInstructionError } from "../errors.js";

/** One subprogram: slots [start, end). */
export interface Subprog {
  readonly start: number;
  end: number;
  /** Set when a BPF_PSEUDO_FUNC load names it (a callback, bpf_loop's body). */
  isCallback: boolean;
}

/** The program by slot, as the kernel's verifier numbers instructions. */
export interface Cfg {
  /** insns[slot]: the instruction starting at that slot; undefined for a 64-bit load's second slot. */
  readonly insns: readonly (Instruction | undefined)[];
  readonly forms: readonly (InstructionForm | undefined)[];
  /** Number of slots. */
  readonly length: number;
  readonly subprogs: readonly Subprog[];
  /** subprogOf[slot]: the index of the subprogram the slot is in. */
  readonly subprogOf: Int32Array;
  /** Where is_state_visited is tried (mark_prune_point). */
  readonly prunePoint: Uint8Array;
  /** Where a checkpoint is always made (may_goto, iterators: mark_force_checkpoint). */
  readonly forceCheckpoint: Uint8Array;
  /** Where a path's history takes an entry (mark_jmp_point): branch targets, returns from calls. */
  readonly jmpPoint: Uint8Array;
  /** prevSlot[t]: the slot before t in straight-line order (past a 64-bit immediate load's second slot). */
  readonly prevSlot: Int32Array;
  /** packed[t]: opcode | dst << 8 | src << 12, for the hot loops that need no more of the insn. */
  readonly packed: Int32Array;
  /** scc[slot]: the loop (strongly connected component) the slot is in, 0 for none (compute_scc). */
  readonly scc: Int32Array;
  /** Slots that write r10: rejected when a path reaches them, as check_reg_arg does, not before. */
  readonly writesFp?: ReadonlySet<number>;
}

/** A rejection found before the walk, with the kernel's message. */
export class CfgError extends Error {
  constructor(readonly insn: number, message: string) {
    super(message);
  }
}

export const isJmp = (op: number): boolean => opClass(op) === Class.Jmp || opClass(op) === Class.Jmp32;
export const isPseudoCall = (i: Instruction): boolean => i.opcode === 0x85 && i.src === PseudoCall.Local;
export const isPseudoFunc = (i: Instruction): boolean => i.opcode === LDDW && i.src === PseudoLd.Func;
export const isMayGoto = (i: Instruction): boolean => i.opcode === (Class.Jmp | JmpOp.Jcond);

/** The target of a jump at `slot` (not calls or exit): off, or imm for gotol. */
export function jumpTarget(i: Instruction, slot: number): number {
  if (i.opcode === (Class.Jmp32 | JmpOp.Ja)) return slot + i.imm + 1;
  return slot + i.off + 1;
}

/** Builds the slot table and runs the kernel's structural checks. */
export function buildCfg(program: readonly Instruction[], options: { allowLoops: boolean }): Cfg {
  const insns: (Instruction | undefined)[] = [];
  const forms: (InstructionForm | undefined)[] = [];
  const writesFp = new Set<number>();
  for (const i of program) {
    const slot = insns.length;
    try {
      forms.push(validateInstruction(i, slot));
    } catch (e) {
      if (!(e instanceof InvalidInstructionError)) throw e;
      if (e.reason !== "frame pointer is read only") throw new CfgError(slot, e.reason);
      // The form does not depend on which register is written: find it with r0 in r10's place.
      forms.push(validateInstruction({ ...i, dst: i.dst === 10 ? 0 : i.dst, src: i.src === 10 ? 0 : i.src }, slot));
      writesFp.add(slot);
    }
    insns.push(i);
    if (i.opcode === LDDW) {
      insns.push(undefined);
      forms.push(undefined);
    }
  }
  const n = insns.length;
  if (n === 0) throw new CfgError(0, "empty program");

  // add_subprog_and_kfunc: every local call and BPF_PSEUDO_FUNC load starts one.
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();
  for (let t = 0; t < n; t++) {
    const i = insns[t];
    if (!i) continue;
    if (isPseudoCall(i) || isPseudoFunc(i)) {
      const target = t + i.imm + 1;
      if (target < 0 || target >= n) throw new CfgError(t, "call to invalid destination");
      starts.add(target);
      if (isPseudoFunc(i)) callbacks.add(target);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const subprogs: Subprog[] = sorted.map((start, k) => ({ start, end: sorted[k + 1] ?? n, isCallback: callbacks.has(start) }));
  const subprogOf = new Int32Array(n);
  subprogs.forEach((s, k) => subprogOf.fill(k, s.start, s.end));

  // check_subprogs: jumps stay in their subprogram, which ends in exit or a jump.
  for (const s of subprogs) {
    for (let t = s.start; t < s.end; t++) {
      const i = insns[t];
      if (!i || !isJmp(i.opcode)) continue;
      const op = opCode(i.opcode);
      if (op === JmpOp.Call || op === JmpOp.Exit) continue;
      const target = jumpTarget(i, t);
      if (target < s.start || target >= s.end) throw new CfgError(t, `jump out of range from insn ${t} to ${target}`);
    }
    let last = s.end - 1;
    if (!insns[last]) last--;
    const code = insns[last]!.opcode;
    if (code !== (Class.Jmp | JmpOp.Exit) && code !== (Class.Jmp | JmpOp.Ja) && code !== (Class.Jmp32 | JmpOp.Ja)) {
      throw new CfgError(last, "last insn is not an exit or jmp");
    }
  }

  // check_cfg: a depth-first walk marking every edge, so back-edges and unreachable insns show.
  const prunePoint = new Uint8Array(n);
  const forceCheckpoint = new Uint8Array(n);
  const jmpPoint = new Uint8Array(n);
  const state = new Uint8Array(n); // 0 undiscovered, 1 discovered (on the stack), 2 explored
  const walk = (entry: number) => {
    const stack: number[] = [entry];
    const nextEdge = new Map<number, number>();
    state[entry] = 1;
    while (stack.length) {
      const t = stack[stack.length - 1]!;
      const succ = successors(insns, t, prunePoint, forceCheckpoint, jmpPoint);
      const k = nextEdge.get(t) ?? 0;
      if (k >= succ.length) {
        state[t] = 2;
        stack.pop();
        continue;
      }
      nextEdge.set(t, k + 1);
      const w = succ[k]!;
      if (w < 0 || w >= n) throw new CfgError(t, `jump out of range from insn ${t} to ${w}`);
      if (state[w] === 0) {
        state[w] = 1;
        stack.push(w);
      } else if (state[w] === 1 && !options.allowLoops) {
        throw new CfgError(t, `back-edge from insn ${t} to ${w}`);
      }
    }
  };
  walk(0);
  // Callbacks are entered from helper calls, not by an edge: walk them as entries too.
  for (const s of subprogs) if (s.isCallback && state[s.start] === 0) walk(s.start);
  for (let t = 0; t < n; t++) {
    const i = insns[t];
    if (!i) {
      if (state[t] !== 0) throw new CfgError(t - 1, `jump into the middle of ldimm64 insn ${t - 1}`);
      continue;
    }
    if (state[t] !== 2) throw new CfgError(t, `unreachable insn ${t}`);
  }
  const prevSlot = new Int32Array(n);
  const packed = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    prevSlot[t] = t > 0 && !insns[t - 1] ? t - 2 : t - 1;
    const i = insns[t];
    if (i) packed[t] = i.opcode | (i.dst << 8) | (i.src << 12);
  }
  return { insns, forms, length: n, subprogs, subprogOf, prunePoint, forceCheckpoint, jmpPoint, prevSlot, packed, scc: loops(insns, n), writesFp };
}

/** Tarjan's strongly connected components over the slots; only loops get an id. */
function loops(insns: readonly (Instruction | undefined)[], n: number): Int32Array {
  const scc = new Int32Array(n);
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const dummy = new Uint8Array(n);
  const succ = (t: number) => successors(insns, t, dummy, dummy, dummy).filter((w) => w >= 0 && w < n);
  let counter = 0;
  let ids = 0;
  for (let root = 0; root < n; root++) {
    if (!insns[root] || index[root] !== -1) continue;
    // An explicit stack of (node, next successor) keeps deep programs off the call stack.
    const work: [number, number[], number][] = [[root, succ(root), 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length) {
      const top = work[work.length - 1]!;
      const [v, out] = top;
      if (top[2] < out.length) {
        const w = out[top[2]++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, succ(w), 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1]![0];
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      let x: number;
      do {
        x = stack.pop()!;
        onStack[x] = 0;
        members.push(x);
      } while (x !== v);
      if (members.length > 1 || out.includes(v)) {
        ids++;
        for (const m of members) scc[m] = ids;
      }
    }
  }
  return scc;
}

/** The CFG successors of slot t; marks prune points on the way, as visit_insn does. */
function successors(insns: readonly (Instruction | undefined)[], t: number, prune: Uint8Array, force: Uint8Array, jmp: Uint8Array): number[] {
  const i = insns[t];
  if (!i) return [t + 1];
  const cls = opClass(i.opcode);
  if (cls !== Class.Jmp && cls !== Class.Jmp32) {
    // Legacy packet loads end the program on a fault, which is an exit, not an edge.
    return [t + (i.opcode === LDDW ? 2 : 1)];
  }
  const op = opCode(i.opcode);
  if (op === JmpOp.Exit) return [];
  if (op === JmpOp.Call) {
    mark(prune, t + 1);
    mark(jmp, t + 1);
    if (i.src === PseudoCall.Local) {
      mark(prune, t);
      mark(prune, t + i.imm + 1);
      mark(jmp, t + i.imm + 1);
      return [t + 1, t + i.imm + 1];
    }
    if (i.src === PseudoCall.Helper && CALLBACK_HELPERS.has(i.imm)) {
      mark(prune, t);
      mark(force, t);
      mark(jmp, t);
    }
    return [t + 1];
  }
  if (op === JmpOp.Ja) {
    const target = jumpTarget(i, t);
    mark(prune, target);
    mark(jmp, target);
    return [target];
  }
  // A conditional jump is itself a prune point, and so is its branch target (push_insn), not its fall-through.
  mark(prune, t);
  if (isMayGoto(i)) mark(force, t);
  const target = jumpTarget(i, t);
  mark(prune, target);
  mark(jmp, target);
  return [t + 1, target];
}

/** Helpers that call back into the program (is_callback_calling_function): BPF_FUNC_for_each_map_elem, timer_set_callback, find_vma, loop, user_ringbuf_drain. */
export const CALLBACK_HELPERS = new Set([164, 170, 180, 181, 209]);

function mark(a: Uint8Array, at: number): void {
  if (at >= 0 && at < a.length) a[at] = 1;
}

/** Legacy packet loads (BPF_ABS, BPF_IND). */
export const isLegacyPacketLoad = (i: Instruction): boolean =>
  opClass(i.opcode) === Class.Ld && (opMode(i.opcode) === Mode.Abs || opMode(i.opcode) === Mode.Ind);
