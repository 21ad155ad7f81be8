/**
 * @fileoverview do_check: the depth-first walk of abstract states over the program, one
 * instruction at a time, with a stack of branches still to explore, as the kernel's
 * verifier walks it. ALU and jump semantics live here; memory, calls and pruning in
 * their own modules.
 */

import type { Instruction } from "../isa/instruction.js";
import { LDDW } from "../isa/instruction.js";
import { AluOp, Class, JmpOp, Mode, opClass, opCode, opMode, opSize, opSource, PseudoCall, PseudoLd, sizeBytes, Source } from "../isa/opcodes.js";
import { formatKernelLine } from "../isa/format.js";
import { sourceLineAtSlot } from "../object/source.js";
import type { LineInfo } from "../object/types.js";
import { type Cfg, isMayGoto, jumpTarget } from "./cfg.js";
import { JMP_SEQ_LIMIT, LD_ABS_TYPES, MAX_VAR_OFF, Reject, type VerifierEnv } from "./env.js";
import { formatReg, formatSlot, formatState, typeName } from "./log.js";
import { checkMemAccess, checkAtomic } from "./memory.js";
import { checkHelperCall, checkSubprogCall, returnFromCall } from "./calls.js";
import { checkKfuncCall, kfuncCallText } from "./kfuncs.js";
import { sanitizeAfter, sanitizeBefore, sanitizeScalarAlu } from "./sanitize.js";
import type { GlobalFunc } from "./globals.js";
import { StackLiveness } from "./stack-liveness.js";
import { isStateVisited, linkedEntry, markPrecise, propagateBackedges, type Explored } from "./prune.js";
import { branchTaken, constSmall, constValue, fitsU32, foldConst, isConst, refineBranch, type Scalar, scalarAlu, scalarConst, scalarEqual, scalarLoad, scalarUnknown } from "./scalar.js";
import { assignReg, BTF_PTR_TRUSTED, BTF_PTR_UNTRUSTED, copyState, histPush, type Frame, type SccVisit, isPacketPtr, isPointer, newFrame, type Reg, SCALAR_UNKNOWN, setNotInit, setPointer, setScalar, type State } from "./state.js";

type AluName = Parameters<typeof scalarAlu>[0];
type CmpName = Parameters<typeof branchTaken>[0];

const ALU_NAMES: Record<number, AluName> = {
  [AluOp.Add]: "add", [AluOp.Sub]: "sub", [AluOp.Mul]: "mul", [AluOp.Div]: "div", [AluOp.Or]: "or", [AluOp.And]: "and",
  [AluOp.Lsh]: "lsh", [AluOp.Rsh]: "rsh", [AluOp.Neg]: "neg", [AluOp.Mod]: "mod", [AluOp.Xor]: "xor", [AluOp.Mov]: "mov", [AluOp.Arsh]: "arsh",
};
/** The operator as the kernel's messages spell it (bpf_alu_string). */
const ALU_TEXT: Record<number, string> = {
  [AluOp.Add]: "+=", [AluOp.Sub]: "-=", [AluOp.Mul]: "*=", [AluOp.Div]: "/=", [AluOp.Or]: "|=", [AluOp.And]: "&=",
  [AluOp.Lsh]: "<<=", [AluOp.Rsh]: ">>=", [AluOp.Neg]: "neg", [AluOp.Mod]: "%=", [AluOp.Xor]: "^=", [AluOp.Mov]: "=", [AluOp.Arsh]: "s>>=", [AluOp.End]: "endian",
};
const CMP_NAMES: Record<number, CmpName> = {
  [JmpOp.Jeq]: "jeq", [JmpOp.Jne]: "jne", [JmpOp.Jgt]: "jgt", [JmpOp.Jge]: "jge", [JmpOp.Jlt]: "jlt", [JmpOp.Jle]: "jle",
  [JmpOp.Jsgt]: "jsgt", [JmpOp.Jsge]: "jsge", [JmpOp.Jslt]: "jslt", [JmpOp.Jsle]: "jsle", [JmpOp.Jset]: "jset",
};
/** The comparison seen from the other operand: a > b is b < a. */
const FLIP: Record<CmpName, CmpName> = {
  jeq: "jeq", jne: "jne", jgt: "jlt", jge: "jle", jlt: "jgt", jle: "jge", jsgt: "jslt", jsge: "jsle", jslt: "jsgt", jsle: "jsge", jset: "jset",
};

/** A branch still to explore (bpf_verifier_stack_elem). */
interface Pending {
  readonly state: State;
  readonly insn: number;
  readonly from: number;
  /** The log's length when the branch was pushed: at level 1 a path that succeeds is dropped from the log. */
  readonly logPos: number;
}

export interface WalkStats {
  processed: number;
  totalStates: number;
  peakStates: number;
  curStates: number;
  maxStatesPerInsn: number;
}

// Opcode fields as module constants, read once: under tsx's CommonJS transform every imported
// binding is read through a getter, and step/alu/jmp run per insn (tsc inlines const enums anyway).
const CLS_ALU = Class.Alu, CLS_ALU64 = Class.Alu64, CLS_LDX = Class.Ldx, CLS_ST = Class.St, CLS_STX = Class.Stx, CLS_LD = Class.Ld, CLS_JMP32 = Class.Jmp32;
const MODE_ATOMIC = Mode.Atomic, SRC_X = Source.X, CALL_LOCAL = PseudoCall.Local, CALL_KFUNC = PseudoCall.Kfunc;
const OP_END = AluOp.End, OP_NEG = AluOp.Neg, OP_MOV = AluOp.Mov, OP_DIV = AluOp.Div, OP_MOD = AluOp.Mod, OP_ADD = AluOp.Add;
const OP_LSH = AluOp.Lsh, OP_RSH = AluOp.Rsh, OP_ARSH = AluOp.Arsh, J_JA = JmpOp.Ja, J_EXIT = JmpOp.Exit, J_CALL = JmpOp.Call;

export class Walker {
  readonly cfg: Cfg;
  readonly env: VerifierEnv;
  readonly live: Int32Array;
  readonly lineInfo: readonly LineInfo[];
  cur: State;
  insn = 0;
  prevInsn = -1;
  /** Where the walk began: the main program's first insn, or the global function's. */
  startInsn = 0;
  idGen = 0;
  readonly stack: Pending[] = [];
  readonly explored = new Map<number, Explored[]>();
  /** Loop visits in progress, by call chain and loop. */
  readonly visits = new Map<string, SccVisit>();
  /** Visits in `visits` with a back-edge, so that pruning looks them up only when one has. */
  liveBackedges = 0;
  readonly stats: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, curStates: 0, maxStatesPerInsn: 0 };
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  /** Deepest stack use of each subprogram (for the combined stack check). */
  readonly stackDepth: number[];
  /** The log, line by line, bounded as the kernel's rotating log is. */
  readonly log: string[] = [];
  /** The branches the current path took, oldest first, as "from->to" slots. */
  get path(): string[] {
    const out: string[] = [];
    for (let t = this.cur.trail; t && out.length < 64; t = t.prev) out.push(`${t.from}->${t.to}`);
    return out.reverse();
  }
  /** Per-instruction states for --json (only with logLevel 2). */
  readonly states: { insn: number; state: string }[] = [];
  lastLine = -1;
  /** Global functions this walk called (each is verified alone afterwards). */
  readonly calledGlobals = new Set<number>();
  /** The global function this walk verifies alone, if not the main program. */
  global: GlobalFunc | undefined;
  /**
   * Per load instruction: whether every time the walk checked it, it read a packet pointer
   * (PTR_TO_PACKET) within its proven range. An output only: nothing in the walk reads it.
   */
  readonly packetLoads = new Map<number, boolean>();
  /** A branch was just resumed: its first line says where from (do_print_state). */
  popped = false;
  /** The pointer type each load or store was first seen with, on any path (insn_aux_data[].ptr_type). */
  readonly ptrTypeAt = new Map<number, string>();
  /** The local struct each bpf_obj_drop or bpf_refcount_acquire call was first given (insn_aux_data[].kptr_struct_meta). */
  readonly localTypeAt = new Map<number, string>();
  /** Each add/sub's Spectre masking window for an unprivileged loader (bpf_insn_aux_data alu_state, alu_limit). */
  readonly aluSanitation = new Map<number, { readonly state: number; readonly limit: number }>();
  /** The prog array each tail call was given, for an unprivileged loader (bpf_map_ptr_store). */
  readonly tailCallMap = new Map<number, object>();
  /** Stack slots each insn may read, per call chain (the kernel's liveness.c). */
  readonly stackLive: StackLiveness;

  constructor(cfg: Cfg, env: VerifierEnv, live: Int32Array, lineInfo: readonly LineInfo[]) {
    this.cfg = cfg;
    this.env = env;
    this.live = live;
    this.lineInfo = lineInfo;
    this.stackDepth = cfg.subprogs.map(() => 0);
    this.stackLive = new StackLiveness(cfg);
    const f = newFrame(-1, 0, 0);
    setPointer(f.regs[1]!, "ctx");
    setPointer(f.regs[10]!, "fp");
    this.cur = { frames: [f], refs: [], activeLock: 0, rcuLock: 0, preemptLock: 0, parent: undefined, branches: 1, insn: 0, history: undefined, lastInsn: -1, mayGotoDepth: 0, callbackDepth: 0, scc: undefined, trail: undefined };
  }

  /** do_check_common for a global function: frame 0 is the function, its registers from its BTF signature. */
  startGlobal(g: GlobalFunc): void {
    this.global = g;
    const f = newFrame(-1, g.subprog, 0);
    setPointer(f.regs[10]!, "fp");
    g.args.forEach((a, k) => {
      const r = f.regs[k + 1]!;
      if (a.kind === "scalar") setScalar(r, scalarUnknown());
      else if (a.kind === "ctx") setPointer(r, "ctx");
      else if (a.kind === "arena") setPointer(r, "arena");
      else if (a.kind === "dynptr") {
        // do_check_common: taken for a local dynptr, read-only (CONST_PTR_TO_DYNPTR).
        setPointer(r, "dynptr_ptr");
        r.btfType = "local";
        r.id = this.newId();
      }
      else if (a.kind === "trusted") {
        setPointer(r, "ptr_");
        r.btfType = a.struct!;
        r.range = BTF_PTR_TRUSTED;
        if (a.nullable) { r.maybeNull = true; r.id = this.newId(); }
      } else {
        setPointer(r, "mem");
        r.memSize = a.size;
        r.maybeNull = a.nullable;
        r.id = this.newId();
      }
    });
    this.cur = { ...this.cur, frames: [f] };
    this.insn = this.startInsn = this.cfg.subprogs[g.subprog]!.start;
  }

  get frame(): Frame {
    return this.cur.frames[this.cur.frames.length - 1]!;
  }

  reg(n: number): Reg {
    return this.frame.regs[n]!;
  }

  newId(): number {
    return ++this.idGen;
  }

  say(line: string): void {
    if (this.env.logLevel === 0) return;
    this.log.push(line);
    if (this.log.length > 400_000) this.log.splice(0, 200_000);
  }

  reject(message: string, insn = this.insn, detail: readonly string[] = []): never {
    throw new Reject(insn, message, detail);
  }

  /**
   * check_resource_leak: what a way out of the program (`prefix`) may not leave held, in the
   * kernel's order: a lock, references (each printed by check_reference_leak), an RCU section,
   * preemption disabled.
   */
  checkResourceLeak(prefix: string, checkLock: boolean): void {
    if (checkLock && this.cur.activeLock) this.reject(`${prefix} cannot be used inside bpf_spin_lock-ed region`);
    if (this.cur.refs.length) {
      this.reject(`${prefix} would lead to reference leak`, this.insn, this.cur.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`));
    }
    if (checkLock && this.cur.rcuLock) this.reject(`${prefix} cannot be used inside bpf_rcu_read_lock-ed region`);
    if (checkLock && this.cur.preemptLock) this.reject(`${prefix} cannot be used inside bpf_preempt_disable-ed region`);
  }

  /** A rejection whose log has a line before the message, as the kernel prints some. */
  reject2(first: string, message: string): never {
    throw new Reject(this.insn, message, [first]);
  }

  /** check_reg_arg for a source: the register must hold a value. */
  readReg(n: number): Reg {
    const r = this.reg(n);
    if (r.type === "?") this.reject(`R${n} !read_ok`);
    return r;
  }

  /** The walk; returns normally when every path is safe, throws Reject otherwise. */
  run(): void {
    const { cfg } = this;
    // do_check at level 2: a path's whole state where it starts (the walk's first insn, each popped branch).
    let printState = this.env.logLevel > 1;
    for (;;) {
      const t = this.insn;
      if (++this.stats.processed > this.env.complexityLimit) {
        this.reject(`BPF program is too large. Processed ${this.stats.processed} insn`);
      }
      if (cfg.prunePoint[t]) {
        if (isStateVisited(this, t)) {
          if (this.env.logLevel > 0) this.say(this.popped ? `\nfrom ${this.prevInsn} to ${t}: safe` : `${t}: safe`);
          this.popped = false;
          if (!this.popBranch()) return;
          continue;
        }
      }
      if (this.popped) {
        if (this.env.logLevel > 0) this.say(`\nfrom ${this.prevInsn} to ${t}: ${formatState(this.cur)}`);
        this.popped = false;
        printState = this.env.logLevel > 1;
      }
      if (printState) {
        this.say(`${t}: ${formatState(this.cur)}`);
        printState = false;
      }
      // An entry where the path jumped (or could have: a jump point); elsewhere the slot before is implied.
      const jmpPoint = cfg.jmpPoint[t] === 1;
      this.histAt = -1;
      if (jmpPoint || t !== this.fallsTo(this.prevInsn)) this.pushHist(t * 1024, jmpPoint);
      const i = cfg.insns[t]!;
      if (this.env.logLevel > 0) this.logInsn(t, i);
      const insnLine = this.log.length;
      if (cfg.writesFp?.has(t)) this.reject("frame pointer is read only");
      const slot = this.env.logLevel > 1 ? this.stackSlotOf(i) : -1;
      this.stackLive.begin(this.cur, t);
      const next = this.step(t, i);
      this.stackLive.commit(this.cur);
      if (this.env.logLevel > 1 && next >= 0) {
        // print_insn_state: what it touched goes on the insn's line unless something was printed since.
        let regs = [this.scratched(i, cfg.forms[t]), slot >= 0 ? formatSlot(this.frame, slot) : ""].filter(Boolean).join(" ");
        if (regs && this.cur.refs.length) regs += ` refs=${this.cur.refs.map((r) => r.id).join(",")}`;
        const line = this.log[insnLine - 1];
        if (this.log.length === insnLine && line !== undefined) this.log[insnLine - 1] = insnStateLine(line, regs);
        // On a line of its own it is numbered by the kernel's insn_idx: still the branch's own
        // (check_cond_jmp_op prints it), else already the next insn's.
        else if (regs) this.say(`${isCondJump(i) ? t : next}: ${regs}`);
        this.states.push({ insn: t, state: formatState(this.cur) });
      }
      if (next < 0) {
        if (!this.popBranch()) return;
        continue;
      }
      this.prevInsn = t;
      this.insn = next;
    }
  }

  /** The slot after `t` in straight-line order (past both slots of a 64-bit immediate load). */
  private fallsTo(t: number): number {
    return t < 0 ? -1 : t + (this.cfg.insns[t + 1] ? 1 : 2);
  }

  /** Set while the insn being checked has its own history entry (histAt is its slot). */
  histAt = -1;

  /** Records the insn being checked in the path's history, once (the kernel merges an insn's flags into one entry). */
  pushHist(e: number, counts: boolean): void {
    const t = this.insn;
    if (this.histAt === t) {
      // Already recorded: the new entry replaces it, keeping where the path came from.
      const h = this.cur.history!;
      this.cur.history = histPush(h.prev, e, h.from, counts || h.j !== (h.prev ? h.prev.j : 0));
      return;
    }
    this.cur.history = histPush(this.cur.history, e, this.prevInsn, counts);
    this.histAt = t;
  }

  private logInsn(t: number, i: Instruction): void {
    const l = sourceLineAtSlot({ lineInfo: this.lineInfo as LineInfo[] }, t);
    if (l && l.line !== this.lastLine) {
      this.lastLine = l.line;
      this.say(`; ${l.text.trim()} @ ${l.file.split("/").pop()}:${l.line}`);
    }
    this.say(`${t}: ${kfuncCallText(this.env, i, t) ?? formatKernelLine(i, this.cfg.forms[t])}`);
  }

  /** The current frame's stack slot a load or store through the frame pointer touches (mark_stack_slot_scratched), or -1. */
  private stackSlotOf(i: Instruction): number {
    const cls = opClass(i.opcode);
    if (cls !== Class.Ldx && cls !== Class.Stx && cls !== Class.St) return -1;
    const base = this.frame.regs[cls === Class.Ldx ? i.src : i.dst]!;
    if (base.type !== "fp" || base.frameno !== this.frame.frameno || !isConst(base.s)) return -1;
    const o = base.off + i.off + Number(BigInt.asIntN(64, constValue(base.s)!));
    return o < 0 && o >= -512 ? Math.floor((-o - 1) / 8) : -1;
  }

  /** The registers an instruction touched, as the kernel prints them after it (scratched registers). */
  private scratched(i: Instruction, form: Cfg["forms"][number]): string {
    const f = this.frame;
    const regs = new Set<number>();
    if (form?.dst) regs.add(i.dst);
    if (form?.src) regs.add(i.src);
    if (form?.writesR0 || opClass(i.opcode) === Class.Jmp && opCode(i.opcode) === JmpOp.Call) regs.add(0);
    const out: string[] = [];
    for (const r of [...regs].sort((a, b) => a - b)) {
      const reg = f.regs[r];
      if (reg && reg.type !== "?") out.push(`R${r}=${formatReg(reg)}`);
    }
    return out.join(" ");
  }

  /** Ends the current path; resumes the next pending branch. False when none is left. */
  popBranch(): boolean {
    // update_branch_counts: this path no longer keeps its checkpoints open.
    for (let s = this.cur.parent; s; s = s.parent) {
      if (--s.branches > 0) break;
      // maybe_exit_scc: the loop visit this state entered is complete.
      if (s.scc) {
        if (s.scc.backedges > 0) this.liveBackedges--;
        this.visits.delete(s.scc.key);
        propagateBackedges(this, s.scc);
      }
    }
    const p = this.stack.pop();
    if (!p) return false;
    this.cur = p.state;
    this.insn = p.insn;
    this.prevInsn = p.from;
    // pop_stack at log level 1: only the path that fails stays in the log.
    if (this.env.logLevel === 1 && p.logPos <= this.log.length) this.log.length = p.logPos;
    this.popped = true;
    return true;
  }

  /** push_stack: explore `insn` later from a copy of the current state. */
  pushBranch(insn: number, from: number): State {
    if (this.stack.length >= JMP_SEQ_LIMIT) this.reject(`The sequence of ${this.stack.length + 1} jumps is too complex.`);
    const s = copyState(this.cur);
    s.trail = { from, to: insn, prev: this.cur.trail };
    if (s.parent) s.parent.branches++;
    this.stack.push({ state: s, insn, from, logPos: this.log.length });
    return s;
  }

  /** One instruction; returns the next slot, or -1 when the path ends. */
  private step(t: number, i: Instruction): number {
    const cls = i.opcode & 0x07;
    switch (cls) {
      case CLS_ALU:
      case CLS_ALU64:
        this.alu(i, cls === CLS_ALU64);
        return t + 1;
      case CLS_LDX:
      case CLS_ST:
      case CLS_STX:
        if (cls === CLS_STX && (i.opcode & 0xe0) === MODE_ATOMIC) checkAtomic(this, i);
        else checkMemAccess(this, i, cls);
        return t + 1;
      case CLS_LD:
        if (i.opcode === LDDW) {
          this.ldImm64(i, t);
          return t + 2;
        }
        return this.ldAbs(i, t);
      default:
        this.jmpsProcessed++;
        return this.jmp(i, t, cls === CLS_JMP32);
    }
  }

  private ldImm64(i: Instruction, t: number): void {
    const dst = this.reg(i.dst);
    const v = i.imm64 ?? 0n;
    switch (i.src) {
      case PseudoLd.Imm:
        setScalar(dst, constScalar(v));
        return;
      case PseudoLd.Func: {
        setPointer(dst, "func");
        dst.subprog = t + i.imm + 1;
        return;
      }
      case PseudoLd.BtfId:
        setPointer(dst, "ptr_");
        dst.btfType = "ksym";
        return;
    }
    const map = this.env.mapAt.get(t);
    if (!map) this.reject(`fd ${i.imm} is not pointing to valid bpf_map`);
    if (i.src === PseudoLd.MapFd || i.src === PseudoLd.MapIdx) {
      setPointer(dst, "map_ptr");
      dst.map = map;
      return;
    }
    // check_ld_imm: an address in an arena (its __arena globals) is a user-space number.
    if (map.type === "arena") {
      setScalar(dst, SCALAR_UNKNOWN);
      return;
    }
    const off = Number(v >> 32n);
    if (off >= map.valueSize) this.reject(`invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
    setPointer(dst, "map_value");
    dst.map = map;
    dst.off = off;
  }

  /** BPF_LD_[ABS|IND]: skb loads that end the program on a fault. */
  private ldAbs(i: Instruction, t: number): number {
    if (!LD_ABS_TYPES.has(this.env.type)) this.reject("BPF_LD_[ABS|IND] instructions not allowed for this program type");
    // A callback's own frame may not take the hidden exit (6.18 refuses it; a subprogram it calls may).
    if (this.frame.inCallback) this.reject("cannot use BPF_LD_[ABS|IND] within callback");
    const r6 = this.readReg(6);
    if (r6.type !== "ctx") this.reject("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
    if (opMode(i.opcode) === Mode.Ind) {
      const s = this.readReg(i.src);
      if (s.type !== "scalar") this.reject(`R${i.src} invalid mem access '${typeName(s)}'`);
    }
    // The load may end the program, so nothing may be held.
    this.checkResourceLeak("BPF_LD_[ABS|IND]", true);
    for (let r = 1; r <= 5; r++) setNotInit(this.reg(r));
    setScalar(this.reg(0), scalarLoad(sizeBytes(opSize(i.opcode)), false));
    if (this.cur.frames.length === 1) return t + 1;
    // In a subprogram a failed load returns from it with r0 = 0 (bpf_gen_ld_abs's hidden exit):
    // the loaded path waits on the stack while this one takes that exit.
    this.pushBranch(t + 1, t);
    setScalar(this.reg(0), scalarConst(0n));
    return returnFromCall(this, t);
  }

  // ---- ALU ----

  private alu(i: Instruction, is64: boolean): void {
    const op = i.opcode & 0xf0;
    const x = (i.opcode & 0x08) === SRC_X;
    const dst = this.reg(i.dst);
    if (op === OP_END || op === OP_NEG) {
      this.readReg(i.dst);
      if (dst.type !== "scalar") {
        if (!this.env.privileged) this.reject(`R${i.dst} pointer arithmetic prohibited`);
        setScalar(dst, SCALAR_UNKNOWN);
        return;
      }
      const name = op === OP_NEG ? "neg" : endName(i, is64);
      setScalar(dst, scalarAlu(name, dst.s, dst.s, op === OP_NEG ? is64 : true));
      return;
    }
    if (op === OP_MOV) {
      this.mov(i, is64, x);
      return;
    }
    const src: Reg | undefined = x ? this.readReg(i.src) : undefined;
    this.readReg(i.dst);
    if (!x && (op === OP_DIV || op === OP_MOD) && i.imm === 0) this.reject("div by zero");
    if ((op === OP_LSH || op === OP_RSH || op === OP_ARSH) && !x && (i.imm < 0 || i.imm >= (is64 ? 64 : 32))) {
      this.reject(`invalid shift ${i.imm}`);
    }
    // adjust_reg_min_max_vals: any arithmetic is allowed on an arena pointer, either side, and
    // gives one (the JIT keeps it within the arena's 4 GB).
    if (dst.type === "arena" || src?.type === "arena") {
      if (dst.type !== "arena") assignReg(dst, src!);
      return;
    }
    const srcVal: Scalar = src ? src.s : this.imm(i, is64);
    const srcIsPtr = !!src && isPointer(src);
    if (isPointer(dst) || srcIsPtr) {
      this.pointerAlu(i, dst, src, srcVal, is64, op);
      return;
    }
    if (op === OP_ADD || op === AluOp.Sub) sanitizeScalarAlu(this, i);
    const name = ALU_NAMES[op]!;
    const signed = i.off === 1 && (op === OP_DIV || op === OP_MOD);
    const fast = isConst(dst.s) && isConst(srcVal) ? foldConst(name, dst.s, srcVal, is64) ?? constAlu(op, dst.s.varOff.value, srcVal.varOff.value, is64) : undefined;
    const { id, off } = dst;
    setScalar(dst, fast ?? scalarAlu(signed ? (op === OP_DIV ? "sdiv" : "smod") : name, dst.s, srcVal, is64));
    // rX += K keeps rX linked to its copies, K apart (BPF_ADD_CONST), once and for K within S32_MAX.
    if (this.env.privileged && op === OP_ADD && is64 && id && off === 0 && isConst(srcVal)) {
      const k = constSmall(srcVal);
      if (k !== undefined && k >= 0) {
        dst.id = id;
        dst.off = k;
      }
    }
  }

  private mov(i: Instruction, is64: boolean, x: boolean): void {
    const dst = this.reg(i.dst);
    if (!x) {
      setScalar(dst, this.imm(i, is64));
      return;
    }
    if (is64 && i.off === 1) {
      // addr_space_cast (check_alu_op): from the arena's user addresses (1) to the kernel's (0)
      // gives an arena pointer; the other way, a number.
      if (i.imm !== 1 && i.imm !== 1 << 16) this.reject("addr_space_cast insn can only convert between address space 1 and 0");
      if (!this.env.arena) this.reject("addr_space_cast insn can only be used in a program that has an associated arena");
      this.readReg(i.src);
      setScalar(dst, SCALAR_UNKNOWN);
      if (i.imm === 1) setPointer(dst, "arena");
      return;
    }
    const src = this.readReg(i.src);
    const sx = i.off === 8 || i.off === 16 || i.off === 32;
    if (sx) {
      if (src.type !== "scalar") {
        // is_pointer_value: a privileged loader may sign-extend part of a pointer into a number.
        if (!this.env.privileged) this.reject(`R${i.src} sign-extension part of pointer`);
        setScalar(dst, is64 ? SCALAR_UNKNOWN : scalarAlu("mov", scalarUnknown(), scalarUnknown(), false));
        if (!is64 && src.type === "arena") setPointer(dst, "arena");
        return;
      }
      setScalar(dst, scalarAlu(`movsx${i.off}` as AluName, src.s, src.s, is64));
      return;
    }
    if (is64) {
      // Linked copies: a later bound on one is a bound on the other (find_equal_scalars).
      if (src.type === "scalar") this.idBeforeMov(src);
      assignReg(dst, src);
      return;
    }
    if (src.type !== "scalar") {
      if (!this.env.privileged) this.reject(`R${i.src} partial copy of pointer`);
      setScalar(dst, scalarAlu("mov", scalarUnknown(), scalarUnknown(), false));
      // An arena pointer is 32 bits: its low half is still one.
      if (src.type === "arena") setPointer(dst, "arena");
      return;
    }
    if (fitsU32(src.s)) {
      // A value within 32 bits is copied whole, and linked as a 64-bit copy is (get_reg_width <= 32).
      this.idBeforeMov(src);
      assignReg(dst, src);
      return;
    }
    setScalar(dst, scalarAlu("mov", src.s, src.s, false));
  }

  /** assign_scalar_id_before_mov: a copy of rX+K (BPF_ADD_CONST) starts a new link, as one add is all a link holds. */
  private idBeforeMov(src: Reg): void {
    if (src.id && src.off !== 0) {
      src.id = 0;
      src.off = 0;
    }
    if (!src.id && !isConst(src.s)) src.id = this.newId();
  }

  /** adjust_ptr_min_max_vals and its guards. */
  private pointerAlu(i: Instruction, dst: Reg, src: Reg | undefined, srcVal: Scalar, is64: boolean, op: number): void {
    const dstIsPtr = isPointer(dst);
    const srcIsPtr = !!src && isPointer(src);
    if (dstIsPtr && srcIsPtr) {
      if (op === AluOp.Sub && this.env.privileged) {
        setScalar(dst, SCALAR_UNKNOWN);
        return;
      }
      this.reject(`R${i.dst} pointer ${ALU_TEXT[op]} pointer prohibited`);
    }
    // adjust_ptr_min_max_vals: a 32-bit op on a pointer, either side, is refused first; a
    // privileged 32-bit subtraction gives an unknown scalar (`w1 = w_end - w_ptr`).
    if (!is64 && op === AluOp.Sub && this.env.privileged) {
      if (!dstIsPtr) markPrecise(this, i.dst);
      setScalar(dst, SCALAR_UNKNOWN);
      return;
    }
    if (!dstIsPtr) {
      // scalar op pointer: only scalar += pointer, which makes the destination the pointer.
      // adjust_ptr_min_max_vals with the pointer as the base and the destination as the offset.
      if (!is64) this.reject(`R${i.dst} 32-bit pointer arithmetic prohibited`);
      if (op !== AluOp.Add) {
        this.ptrBaseChecks(i, src!);
        if (op === AluOp.Sub) {
          // sanitize_ptr_alu runs before the operator's switch: an unprivileged load hears its objection first.
          sanitizeBefore(this, i, src!, dst.s, "sub", true);
          this.reject(`R${i.dst} tried to subtract pointer from scalar`);
        }
        this.rejectPtrOperator(i, op);
      }
      markPrecise(this, i.dst);
      const scalar = dst.s;
      assignReg(dst, src!);
      this.addToPointer(i, dst, scalar, "add", true);
      return;
    }
    if (!is64) this.reject(`R${i.dst} 32-bit pointer arithmetic prohibited`);
    if (op !== AluOp.Add && op !== AluOp.Sub) {
      this.ptrBaseChecks(i, dst);
      this.rejectPtrOperator(i, op);
    }
    if (src) markPrecise(this, i.src);
    this.addToPointer(i, dst, srcVal, op === AluOp.Add ? "add" : "sub", false);
  }

  /**
   * What adjust_ptr_min_max_vals refuses about the pointer itself before it looks at an
   * operator other than add or sub (which addToPointer checks in full).
   */
  private ptrBaseChecks(i: Instruction, ptr: Reg): void {
    const t = typeName(ptr);
    if (ptr.maybeNull) this.reject(`R${i.dst} pointer arithmetic on ${t} prohibited, null-check it first`);
    switch (ptr.type) {
      case "map_ptr":
      case "pkt_end":
      case "sock":
      case "sock_common":
      case "tcp_sock":
      case "func":
        this.reject(`R${i.dst} pointer arithmetic on ${t} prohibited`);
    }
  }

  /** adjust_ptr_min_max_vals' operator switch: only add and sub keep a pointer. */
  private rejectPtrOperator(i: Instruction, op: number): never {
    if (op === AluOp.And || op === AluOp.Or || op === AluOp.Xor) this.reject(`R${i.dst} bitwise operator ${ALU_TEXT[op]} on pointer prohibited`);
    this.reject(`R${i.dst} pointer arithmetic with ${ALU_TEXT[op]} operator prohibited`);
  }

  private addToPointer(i: Instruction, ptr: Reg, off: Scalar, op: "add" | "sub", offInDst: boolean): void {
    const dstNo = i.dst;
    const t = typeName(ptr);
    if (ptr.maybeNull) this.reject(`R${dstNo} pointer arithmetic on ${t} prohibited, null-check it first`);
    switch (ptr.type) {
      case "map_ptr":
        if (constSmall(off) === 0 && op === "add") {
          sanitizeBefore(this, i, ptr, off, op, offInDst);
          return;
        }
        this.reject(`R${dstNo} pointer arithmetic on ${t} prohibited`);
        break;
      case "flow_keys":
        // Flow keys take a constant offset only.
        if (!isConst(off)) this.reject(`R${dstNo} pointer arithmetic on ${t} prohibited`);
        break;
      case "pkt_end":
      case "sock":
      case "sock_common":
      case "tcp_sock":
      case "func":
        this.reject(`R${dstNo} pointer arithmetic on ${t} prohibited`);
    }
    // check_reg_sane_offset
    const small = constSmall(off);
    if (isConst(off)) {
      if (small === undefined || small >= MAX_VAR_OFF || small <= -MAX_VAR_OFF) this.reject(`math between ${t} pointer and ${BigInt.asIntN(64, constValue(off)!)} is not allowed`);
    } else if (off.smin === -(1n << 63n)) {
      this.reject(`math between ${t} pointer and register with unbounded min value is not allowed`);
    } else if (off.smin >= BigInt(MAX_VAR_OFF) || off.smin <= -BigInt(MAX_VAR_OFF)) {
      this.reject(`value ${off.smin} makes ${t} pointer be out of bounds`);
    }
    const masking = sanitizeBefore(this, i, ptr, off, op, offInDst);
    // JITs may not cope with a frame pointer moved down by a subtraction (adjust_ptr_min_max_vals).
    if (op === "sub" && ptr.type === "fp") this.reject(`R${dstNo} subtraction from stack pointer prohibited`);
    // A ctx pointer may take a variable offset (an ARG_ANYTHING helper argument, a tracepoint's
    // __data_loc string); only loads, stores and ctx arguments refuse it (__check_ptr_off_reg).
    if (small !== undefined) {
      const v = small;
      const n = op === "add" ? ptr.off + v : ptr.off - v;
      if (n >= MAX_VAR_OFF || n <= -MAX_VAR_OFF) this.reject(`${t} pointer offset ${n} is not allowed`);
      ptr.off = n;
    } else {
      ptr.s = scalarAlu(op, ptr.s, off, true);
      if (isPacketPtr(ptr)) {
        // A variable offset starts a new packet pointer whose range must be proven again.
        ptr.id = this.newId();
        ptr.range = 0;
      }
    }
    sanitizeAfter(this, i, ptr, masking, op, offInDst);
  }

  // ---- jumps ----

  private jmp(i: Instruction, t: number, is32: boolean): number {
    const op = i.opcode & 0xf0;
    switch (op) {
      case J_JA:
        return jumpTarget(i, t);
      case J_EXIT:
        return this.exit(t);
      case J_CALL:
        if (i.src === CALL_LOCAL) return checkSubprogCall(this, i, t);
        if (i.src === CALL_KFUNC) return checkKfuncCall(this, i, t);
        return checkHelperCall(this, i, t);
    }
    if (isMayGoto(i)) {
      // The jump (the loop's way out) first; the fall-through one budget step deeper.
      const q = this.pushBranch(t + 1, t);
      q.mayGotoDepth++;
      const prev = this.explored.get(t)?.find((e) => e.state.branches > 0 && e.state.frames.length === q.frames.length)?.state;
      if (prev) widenImprecise(prev, q);
      return jumpTarget(i, t);
    }
    const cmp = CMP_NAMES[op];
    if (!cmp) this.reject(`invalid BPF_JMP/JMP32 opcode ${i.opcode.toString(16)}`);
    const x = (i.opcode & 0x08) === SRC_X;
    const dst = this.readReg(i.dst);
    const src = x ? this.readReg(i.src) : undefined;
    const target = jumpTarget(i, t);
    const k = this.imm(i, !is32);
    const dstPtr = isPointer(dst);
    const srcPtr = !!src && isPointer(src);

    if (dstPtr || srcPtr) {
      const to = this.pointerJmp(i, t, cmp, dst, src, is32, target);
      this.cur.trail = { from: t, to, prev: this.cur.trail };
      return to;
    }

    const b = src ? src.s : k;
    const pred = branchTaken(cmp, dst.s, b, is32);
    if (pred >= 0) {
      markPrecise(this, i.dst);
      if (src) markPrecise(this, i.src);
      const to = pred === 1 ? target : t + 1;
      this.cur.trail = { from: t, to, prev: this.cur.trail };
      return to;
    }
    // Scalars linked to the compared ones take the refinement too, so precision needs them all (collect_linked_regs).
    // Recorded before the other branch is made, so that both paths share it.
    this.recordLinked(dst, src);
    const taken = refineBranch(cmp, dst.s, b, is32, true);
    const fall = refineBranch(cmp, dst.s, b, is32, false);
    if (taken) {
      const other = this.pushBranch(target, t);
      this.applyRefine(other, i, taken, !!src);
    }
    if (!fall) {
      // Only the jump is possible after all: take it now rather than later.
      const p = this.stack.pop()!;
      if (p.state.parent) p.state.parent.branches--;
      this.cur = p.state;
      return target;
    }
    this.applyRefine(this.cur, i, fall, !!src);
    this.cur.trail = { from: t, to: t + 1, prev: this.cur.trail };
    return t + 1;
  }

  /** The current insn's immediate as a scalar, sign-extended to 64 bits or zero-extended from 32; cached per slot. */
  private imm(i: Instruction, signExtend: boolean): Scalar {
    const key = this.insn * 2 + (signExtend ? 1 : 0);
    let s = this.immCache[key];
    if (!s) this.immCache[key] = s = constScalar(BigInt(signExtend ? i.imm : i.imm >>> 0));
    return s;
  }

  private readonly immCache: (Scalar | undefined)[] = [];

  /** Pushes the registers and spilled slots sharing an id with the compared scalars into the history (linkedEntry). */
  private recordLinked(dst: Reg, src: Reg | undefined): void {
    const ids: number[] = [];
    if (src && src.type === "scalar" && src.id) ids.push(src.id);
    if (dst.type === "scalar" && dst.id && dst.id !== src?.id) ids.push(dst.id);
    if (!ids.length) return;
    const found: number[] = [];
    this.cur.frames.forEach((fr, k) => {
      fr.regs.forEach((q, n) => { if (n < 10 && q.type === "scalar" && ids.includes(q.id)) found.push(linkedEntry(k, n, true)); });
      fr.stack.forEach((sl, n) => { if (sl.spilled?.type === "scalar" && ids.includes(sl.spilled.id)) found.push(linkedEntry(k, n, false)); });
    });
    if (found.length > 1) {
      // The kernel keeps them in the jump's own entry, which the backtracking finds right under them.
      this.pushHist(this.insn * 1024, true);
      for (const e of found) this.cur.history = histPush(this.cur.history, e, -1, false);
    }
  }

  /** Writes refined bounds into a state, and into every register linked to them by id. */
  private applyRefine(s: State, i: Instruction, [a, b]: readonly [Scalar, Scalar], x: boolean): void {
    const f = s.frames[s.frames.length - 1]!;
    setLinked(s, f.regs[i.dst]!, a);
    if (x) setLinked(s, f.regs[i.src]!, b);
  }

  /** Comparisons with pointers: null checks and packet bounds (mark_ptr_or_null_regs, find_good_pkt_pointers). */
  private pointerJmp(i: Instruction, t: number, cmp: CmpName, dst: Reg, src: Reg | undefined, is32: boolean, target: number): number {
    const x = !!src;
    const zero = !x ? i.imm === 0 : src!.type === "scalar" && isConst(src!.s) && constValue(src!.s)! === 0n;
    if (!this.env.privileged) {
      // check_cond_jmp_op: a pointer source first, then a pointer destination unless the
      // comparison is decided (a non-NULL pointer against 0), a NULL check or a packet pair.
      const pktAny = (r: Reg) => r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end";
      if (x && isPointer(src!) && !(pktAny(dst) && pktAny(src!))) this.reject(`R${i.src} pointer comparison prohibited`);
      const decided = !is32 && zero && (cmp === "jeq" || cmp === "jne") && !dst.maybeNull && NOT_NULL.has(dst.type);
      const nullCheck = !x && i.imm === 0 && dst.maybeNull && (cmp === "jeq" || cmp === "jne");
      if (!decided && !nullCheck && !(x && isPacketCmp(dst, src!))) this.reject(`R${i.dst} pointer comparison prohibited`);
    }
    const ptr = isPointer(dst) ? dst : src!;
    const ptrNo = isPointer(dst) ? i.dst : i.src;
    if (!is32 && zero && (cmp === "jeq" || cmp === "jne")) {
      if (!ptr.maybeNull) {
        // A pointer known non-NULL (reg_not_null): the comparison is decided (is_branch_taken).
        // Others (ctx, stack, packet) are not assumed so: both edges are walked.
        if (NOT_NULL.has(ptr.type) || trustedBtfPtr(ptr)) return cmp === "jne" ? target : t + 1;
      } else {
        const other = this.pushBranch(target, t);
        // jeq 0: the jump is the NULL edge.
        this.markPtrOrNull(other, ptr.id, cmp === "jeq");
        this.markPtrOrNull(this.cur, ptr.id, cmp !== "jeq");
        void ptrNo;
        return t + 1;
      }
    }
    if (x && isPacketCmp(dst, src!) && !is32) {
      const other = this.pushBranch(target, t);
      this.packetRange(other, dst, src!, cmp, true, i);
      this.packetRange(this.cur, dst, src!, cmp, false, i);
      return t + 1;
    }
    const other = this.pushBranch(target, t);
    // rX == rY with one of them known non-NULL: the other is non-NULL where they are equal (check_cond_jmp_op).
    if (x && !is32 && (cmp === "jeq" || cmp === "jne") && isPointer(dst) && isPointer(src!) && dst.maybeNull !== src!.maybeNull && dst.type !== "ptr_" && src!.type !== "ptr_") {
      const eq = cmp === "jeq" ? other : this.cur;
      const regs = eq.frames[eq.frames.length - 1]!.regs;
      markNotNull(regs[dst.maybeNull ? i.dst : i.src]!);
    }
    return t + 1;
  }

  /** mark_ptr_or_null_regs: every copy of a maybe-NULL pointer becomes NULL or non-NULL. */
  markPtrOrNull(s: State, id: number, isNull: boolean): void {
    if (!id) return;
    let ref = 0;
    for (const f of s.frames) {
      const regs = [...f.regs, ...f.stack.map((sl) => sl.spilled).filter((r): r is Reg => !!r)];
      for (const r of regs) {
        if (r.id !== id || !r.maybeNull) continue;
        if (isNull) {
          // Only the acquired pointer's NULL ends its reference (ref_obj_id == id), not a cast of it.
          if (r.refObjId === id) ref = id;
          setScalar(r, scalarConst(0n));
        } else markNotNull(r, !!(r.map && this.env.valueFields?.(r.map).spinLockOffset !== undefined));
      }
    }
    if (isNull && ref) s.refs = s.refs.filter((r) => r.id !== ref);
  }

  /** find_good_pkt_pointers on one edge of `dst <cmp> src` where one is pkt_end. */
  private packetRange(s: State, dst: Reg, src: Reg, cmp: CmpName, taken: boolean, i: Instruction): void {
    const f = s.frames[s.frames.length - 1]!;
    // Normalise to "pkt <op> pkt_end".
    let op = cmp;
    let pkt = f.regs[i.dst]!;
    if (dst.type === "pkt_end" || (dst.type === "pkt" && src.type === "pkt_meta")) {
      op = FLIP[cmp];
      pkt = f.regs[i.src]!;
    }
    if (!isPacketPtr(pkt)) return;
    // pkt > end or pkt >= end: the fall-through knows pkt <= end (or < end).
    let good: boolean;
    let open: boolean;
    switch (op) {
      case "jgt": good = !taken; open = false; break; // pkt <= end: bytes below pkt.off readable
      case "jge": good = !taken; open = true; break; // pkt < end
      case "jlt": good = taken; open = true; break;
      case "jle": good = taken; open = false; break;
      default: return;
    }
    if (!good) return;
    if (pkt.s.umax > 0n && !isConst(pkt.s)) {
      // Variable-offset packet pointers prove their own range.
    }
    // find_good_pkt_pointers: past 64 KiB the offset could overflow the range, so nothing is learnt.
    if (pkt.off < 0 || (pkt.off === 0 && open)) return;
    if (pkt.s.umax > BigInt(MAX_PACKET_OFF_RANGE) || pkt.s.umax + BigInt(pkt.off) > BigInt(MAX_PACKET_OFF_RANGE)) return;
    const range = pkt.off + (open ? 1 : 0);
    const type = pkt.type;
    const id = pkt.id;
    for (const fr of s.frames) {
      for (const r of fr.regs) if (r.type === type && r.id === id && r.range < range) r.range = range;
      for (const sl of fr.stack) if (sl.spilled && sl.spilled.type === type && sl.spilled.id === id && sl.spilled.range < range) sl.spilled.range = range;
    }
  }

  // ---- exit ----

  private exit(t: number): number {
    const f = this.frame;
    const r0 = this.reg(0);
    // A static subprogram hands r0 back unread (prepare_func_exit): the caller may never use it.
    if (this.cur.frames.length > 1) return returnFromCall(this, t);
    // check_return_code: an lsm or struct_ops program whose hook returns void need not set r0.
    const voidHook = !this.global && !!this.env.btfCtx?.returnsVoid && (this.env.type === "struct_ops" || this.env.attachType === "lsm_mac");
    // process_bpf_exit_full: leaks first, then check_return_code reads r0.
    this.checkResourceLeak("BPF_EXIT instruction in main prog", true);
    if (r0.type === "?" && !voidHook) this.reject("R0 !read_ok");
    void f;
    if (this.global) {
      // A global function returns a scalar whatever the program type (check_return_code).
      if (r0.type !== "scalar") this.reject(`At subprogram exit the register R0 is not a scalar value (${typeName(r0)})`);
      return -1;
    }
    if (!voidHook) this.checkReturnCode(r0);
    return -1;
  }

  private checkReturnCode(r0: Reg): void {
    const range = this.env.returnRange !== undefined ? this.env.returnRange : this.env.ops?.returnRange(this.env.attachType);
    if (isPointer(r0)) {
      if (!this.env.privileged) this.reject("R0 leaks addr as return value");
      if (range) this.reject(`At program exit the register R0 is not a known value (${typeName(r0)})`);
      return;
    }
    if (!range) return;
    markPrecise(this, 0);
    const s = r0.s;
    const lo = BigInt(range.min);
    const hi = BigInt(range.max);
    if (s.s32min >= lo && s.s32max <= hi && (s.smin >= lo && s.smax <= hi || this.env.returnRange?.only32)) return;
    if (s.s32min >= lo && s.s32max <= hi && s.umax <= 0xffffffffn) return;
    let m = "At program exit the register R0 has";
    let unknown = true;
    if (s.smin > -(1n << 63n)) { m += ` smin=${s.smin}`; unknown = false; }
    if (s.smax < (1n << 63n) - 1n) { m += ` smax=${s.smax}`; unknown = false; }
    if (unknown) m += " unknown scalar value";
    this.reject(`${m} should have been in [${range.min}, ${range.max}]`);
  }
}

const MAX_PACKET_OFF_RANGE = 0xffff;

/** reg_not_null's types: a comparison of one of them with 0 is decided. */
const NOT_NULL = new Set(["sock", "tcp_sock", "map_value", "map_key", "sock_common", "mem", "map_ptr"]);

/** PTR_TO_BTF_ID && is_trusted_reg: a referenced or trusted kernel pointer is not NULL either. */
const trustedBtfPtr = (r: Reg): boolean => r.type === "ptr_" && !(r.range & BTF_PTR_UNTRUSTED) && (r.refObjId !== 0 || (r.range & BTF_PTR_TRUSTED) !== 0);

/** An instruction and the registers it touched, aligned as the kernel's log aligns them (vlog_alignment). */
export function insnStateLine(insn: string, regs: string): string {
  if (!regs) return insn;
  const col = Math.ceil(Math.max(insn.length + 4, 40) / 8) * 8 - 2;
  return `${insn.padEnd(col)}; ${regs}`;
}

function isCondJump(i: Instruction): boolean {
  const cls = opClass(i.opcode);
  const op = opCode(i.opcode);
  return (cls === Class.Jmp || cls === Class.Jmp32) && op !== JmpOp.Call && op !== JmpOp.Exit && op !== JmpOp.Ja;
}

/** widen_imprecise_scalars: scalars no decision needed that changed since the last iteration become unknown. */
export function widenImprecise(prev: State, cur: State): void {
  // maybe_widen_reg: a scalar equal in both (regs_exact: bounds, offset, ids mapped one to one
  // over the whole state) stays as it is.
  const oldToCur = new Map<number, number>(), curToOld = new Map<number, number>();
  const sameIds = (o: number, c: number): boolean => {
    if (!o && !c) return true;
    if (!o || !c) return false;
    if (oldToCur.has(o) || curToOld.has(c)) return oldToCur.get(o) === c && curToOld.get(c) === o;
    oldToCur.set(o, c);
    curToOld.set(c, o);
    return true;
  };
  const widen = (o: Reg | undefined, c: Reg | undefined) => {
    if (!o || !c || o.type !== "scalar" || c.type !== "scalar" || o.precise || c.precise) return;
    if ((o.s === c.s || scalarEqual(o.s, c.s)) && o.off === c.off && sameIds(o.id, c.id)) return;
    setScalar(c, SCALAR_UNKNOWN);
  };
  prev.frames.forEach((f, k) => {
    const g = cur.frames[k]!;
    for (let r = 0; r < 10; r++) widen(f.regs[r], g.regs[r]);
    f.stack.forEach((sl, n) => widen(sl.spilled, g.stack[n]?.spilled));
  });
}

const CONSTS = new Map<bigint, Scalar>();
/** scalarConst, shared: programs compute the same few constants over and over. */
export function constScalar(v: bigint): Scalar {
  let s = CONSTS.get(v);
  if (!s) {
    if (CONSTS.size > 65536) CONSTS.clear();
    CONSTS.set(v, (s = scalarConst(v)));
  }
  return s;
}

/**
 * Constant operands of the operations the kernel folds exactly (add, sub, mul, the
 * bitwise ones and shifts in range): the result without the bounds machinery.
 */
function constAlu(op: number, a: bigint, b: bigint, is64: boolean): Scalar | undefined {
  const bits = is64 ? 64 : 32;
  const w = is64 ? (x: bigint) => BigInt.asUintN(64, x) : (x: bigint) => BigInt.asUintN(32, x);
  const x = w(a);
  const y = w(b);
  let r: bigint;
  switch (op) {
    case AluOp.Add: r = x + y; break;
    case AluOp.Sub: r = x - y; break;
    case AluOp.Mul: r = x * y; break;
    case AluOp.Or: r = x | y; break;
    case AluOp.And: r = x & y; break;
    case AluOp.Xor: r = x ^ y; break;
    case AluOp.Lsh: if (y >= BigInt(bits)) return undefined; r = x << y; break;
    case AluOp.Rsh: if (y >= BigInt(bits)) return undefined; r = x >> y; break;
    case AluOp.Arsh: if (y >= BigInt(bits)) return undefined; r = BigInt.asIntN(bits, x) >> y; break;
    default: return undefined;
  }
  return constScalar(w(r));
}

/** try_match_pkt_pointers: data against data_end, or data_meta against data itself (unmoved). */
function isPacketCmp(a: Reg, b: Reg): boolean {
  return (a.type === "pkt" && b.type === "pkt_end") || (a.type === "pkt_end" && b.type === "pkt") ||
    (a.type === "pkt_meta" && isInitPkt(b)) || (isInitPkt(a) && b.type === "pkt_meta");
}

/** reg_is_init_pkt_pointer: data as the context gave it, no offset added. */
function isInitPkt(r: Reg): boolean {
  return r.type === "pkt" && r.id === 0 && r.off === 0 && isConst(r.s) && constValue(r.s)! === 0n;
}

function endName(i: Instruction, is64: boolean): AluName {
  const bits = i.imm;
  if (is64) return `bswap${bits}` as AluName;
  return (opSource(i.opcode) === Source.X ? `be${bits}` : `le${bits}`) as AluName;
}

/** Sets a register's scalar, and that of every register and spill linked to it by id. */
function setLinked(s: State, r: Reg, v: Scalar): void {
  const id = r.id;
  r.s = v;
  if (!id) return;
  // A copy `off` apart (rX += K after the copy) holds v plus the difference (sync_linked_regs).
  const at = (q: Reg): Scalar => (q.off === r.off ? v : scalarAlu("add", v, constScalar(BigInt(q.off - r.off)), true));
  for (const fr of s.frames) {
    for (const q of fr.regs) if (q !== r && q.type === "scalar" && q.id === id) q.s = at(q);
    for (const sl of fr.stack) if (sl.spilled && sl.spilled.type === "scalar" && sl.spilled.id === id) sl.spilled.s = at(sl.spilled);
  }
}

/** mark_ptr_not_null_reg: a maybe-NULL pointer known non-NULL. */
function markNotNull(r: Reg, keepsLock = false): void {
  r.maybeNull = false;
  if (r.type === "map_value" && (r.map?.type === "sockmap" || r.map?.type === "sockhash")) r.type = "sock";
  else if (r.type === "map_value" && r.map?.innerMap && (r.map.type === "array_of_maps" || r.map.type === "hash_of_maps")) {
    r.type = "map_ptr";
    r.map = r.map.innerMap;
  }
  // The id linked the copies for the NULL check only (unless it holds a reference, or names
  // the value whose bpf_spin_lock is taken: reg_may_point_to_spin_lock).
  if ((r.type === "map_value" || r.type === "mem") && !r.refObjId && !keepsLock) r.id = 0;
}
