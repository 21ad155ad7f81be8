/**
 * @fileoverview tsbpf's verifier: `verifyProgram` judges one program as the kernel's
 * verifier would (privileged or not), with the kernel's log and statistics, plus the
 * source line, the branches taken and a hint when it rejects; `verifyObject` judges
 * every program of an object for `tsbpf verify`.
 */

import { HELPER_NAMES } from "../helpers/names.js";
import { helperProto, helperProtoFor } from "../helpers/protos.js";
import { programType, verifierOpsFor } from "../programs/table.js";
import type { HelperProto } from "../helpers/proto.js";
import { formatKernelLine } from "../isa/format.js";
import type { Instruction } from "../isa/instruction.js";
import { slotIndices } from "../isa/instruction.js";
import { sourceLineAtSlot } from "../object/source.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "../object/types.js";
import type { ProgramTypeVerifierOps } from "../programs/access.js";
import { buildCfg, CfgError, isPseudoCall, isPseudoFunc } from "./cfg.js";
import { Fastcall } from "./fastcall.js";
import { COMPLEXITY_LIMIT, MAX_FRAMES, MAX_STACK, Reject, type VerifierEnv } from "./env.js";
import { liveRegisters } from "./liveness.js";
import { fixHint, formatState, statsLine } from "./log.js";
import { globalFuncs } from "./globals.js";
import { btfCtxOf, iteratorArgs, lsmReturnRange, structOpsCtxOf } from "./btf-ptr.js";

/** Attach types whose ctx is the attach function's arguments (btf_ctx_access). */
const BTF_CTX_ATTACH = new Set(["trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "lsm_cgroup"]);
import { Walker } from "./walker.js";
import { isIterNextCall } from "./kfuncs.js";
import type { Btf } from "../btf/types.js";
import { valueFields, type ValueFields } from "../maps/dump.js";

export interface VerifyOptions {
  /** The maps references name (by name), or a map from map-load slot to its map. */
  readonly maps?: readonly MapSpec[] | ReadonlyMap<number, MapSpec>;
  /** The program type's short name; default the spec's. */
  readonly type?: string;
  readonly attachType?: string;
  /** Root's rules (bpf_capable and perfmon): default true. */
  readonly privileged?: boolean;
  /** 0: no log; 1: every processed instruction; 2: and the state after each; | 4 (BPF_LOG_STATS): the time and stack depth lines. */
  readonly logLevel?: number;
  /** The program type's rules; by default from the program-type table. */
  readonly ops?: ProgramTypeVerifierOps;
  /** Helper prototypes by id; by default from the helper table. */
  readonly helperProto?: (id: number) => HelperProto | undefined;
  /** BPF_F_SLEEPABLE */
  readonly sleepable?: boolean;
  /** Processed instructions before giving up (the kernel's 1,000,000); lower only rejects sooner. */
  readonly complexityLimit?: number;
  /** The object's BTF, for func_info: global functions are verified alone from their signature. */
  readonly btf?: Btf;
  /** The kernel's BTF (/sys/kernel/btf/vmlinux), for BTF-typed pointers (tp_btf arguments, loads through them). */
  readonly kernelBtf?: Btf;
  /** The kernel modules' BTF (split over kernelBtf), asked for an attach target or kfunc vmlinux lacks. */
  readonly moduleBtfs?: () => Iterable<Btf>;
}

export interface VerifyError {
  readonly message: string;
  /** Lines the kernel's log has just before the message. */
  readonly detail: readonly string[];
  /** The slot of the rejected instruction, as the kernel counts (`insn 12`). */
  readonly insn: number;
  /** The instruction, as the kernel's log prints it. */
  readonly text?: string;
  readonly source?: { readonly file: string; readonly line: number; readonly column: number; readonly text: string };
  /** The branches the failing path took: "from->to" slots. */
  readonly path: readonly string[];
  /** The registers at the rejection. */
  readonly state?: string;
  readonly hint?: string;
}

export interface VerifyResult {
  readonly accepted: boolean;
  readonly error?: VerifyError;
  readonly insnsProcessed: number;
  readonly verificationMs: number;
  readonly log: string;
  readonly stats: { readonly maxStatesPerInsn: number; readonly totalStates: number; readonly peakStates: number; readonly stackDepth: readonly number[] };
  /** With logLevel 2: the state after every processed instruction. */
  readonly states?: readonly { readonly insn: number; readonly state: string }[];
  /**
   * Accepted programs: the slots of the loads that, on every path the walks checked, read
   * through a packet pointer within its proven range, so inside [data, data_end). The JIT
   * compiles them without a bounds check.
   */
  readonly packetLoads?: ReadonlySet<number>;
}

let defaults: { ops?: (type: string) => ProgramTypeVerifierOps | undefined; proto?: (id: number) => HelperProto | undefined } = {
  ops: (type) => {
    try {
      programType(type);
    } catch {
      return undefined;
    }
    return verifierOpsFor(type as Parameters<typeof verifierOpsFor>[0]);
  },
  proto: helperProto,
};

/** Replaces the tables the verifier uses when options do not give them (by default the program-type and helper tables). */
export function setVerifierTables(t: typeof defaults): void {
  defaults = { ...defaults, ...t };
}

/** The prog flags the verifier reads (uapi bpf.h). */
const BPF_F_STRICT_ALIGNMENT = 1 << 0;
const BPF_F_ANY_ALIGNMENT = 1 << 1;
const BPF_F_SLEEPABLE = 1 << 4;

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

type Verifiable = Pick<ProgramSpec, "instructions"> & Partial<Pick<ProgramSpec, "name" | "type" | "references" | "lineInfo" | "funcInfo" | "license" | "expectedAttachType" | "flags" | "attachTo" | "pendingCore">>;

/** Verifies one program. Never throws for a bad program: the verdict says why. */
export function verifyProgram(program: Verifiable, options: VerifyOptions = {}): VerifyResult {
  const start = now();
  const type = options.type ?? program.type ?? "socket_filter";
  // BPF_LOG_LEVEL1/2 in the low bits, BPF_LOG_STATS (4) apart, as the kernel reads log_level.
  const logLevel = (options.logLevel ?? 0) & 3;
  const logStats = ((options.logLevel ?? 0) & 4) !== 0;
  const privileged = options.privileged ?? true;
  const env: VerifierEnv = {
    type,
    attachType: options.attachType ?? program.expectedAttachType,
    ops: options.ops ?? defaults.ops?.(type),
    // The default table knows the program type's variants (bpf_get_socket_cookie in tracing programs...).
    proto: options.helperProto ?? (defaults.proto === helperProto ? (id: number) => helperProtoFor(type, id) : defaults.proto) ?? (() => undefined),
    mapAt: mapsBySlot(program, options.maps),
    privileged,
    logLevel,
    gpl: isGpl(program.license ?? "GPL"),
    sleepable: options.sleepable ?? ((program.flags ?? 0) & BPF_F_SLEEPABLE) !== 0,
    valueFields: mapValueFields(options.btf),
    strictAlignment: ((program.flags ?? 0) & (BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT)) === BPF_F_STRICT_ALIGNMENT,
    complexityLimit: options.complexityLimit ?? COMPLEXITY_LIMIT,
    globals: new Map(),
  };
  const arenas = new Set([...env.mapAt.values()].filter((m) => m.type === "arena"));
  const lineInfo = program.lineInfo ?? [];
  let walker: Walker | undefined;
  // The main walk, then one per global function it (or another global) called.
  const walks: Walker[] = [];
  const finish = (error?: VerifyError): VerifyResult => {
    const w = walker;
    const lines = walks.flatMap((x) => x.log);
    const depth = w ? w.stackDepth.map((_, k) => subprogDepth(w, walks, k)) : [];
    const depthLine = `stack depth ${depth.map((d) => roundDepth(d)).join("+")}`;
    if (error) lines.push(...error.detail, error.message);
    // print_verification_stats: BPF_LOG_STATS adds the time and each subprogram's depth, verdict or not.
    if (logStats) lines.push(`verification time ${Math.round((now() - start) * 1000)} usec`, ...(w ? [depthLine] : []));
    else if (!error && w) lines.push(depthLine);
    const sum = (f: (x: Walker) => number) => walks.reduce((n, x) => n + f(x), 0);
    const stats = { processed: sum((x) => x.stats.processed), maxStatesPerInsn: Math.max(0, ...walks.map((x) => x.stats.maxStatesPerInsn)), totalStates: sum((x) => x.stats.totalStates), peakStates: Math.max(0, ...walks.map((x) => x.stats.peakStates)), markRead: 0 };
    lines.push(statsLine(stats));
    return {
      accepted: !error,
      ...(error ? { error } : {}),
      insnsProcessed: stats.processed,
      verificationMs: now() - start,
      log: logLevel > 0 || logStats || error ? lines.join("\n") + "\n" : "",
      stats: { maxStatesPerInsn: stats.maxStatesPerInsn, totalStates: stats.totalStates, peakStates: stats.peakStates, stackDepth: depth },
      ...(w && logLevel > 1 ? { states: walks.flatMap((x) => x.states) } : {}),
      ...(!error && w ? { packetLoads: provenPacketLoads(walks) } : {}),
    };
  };
  const callAt = privileged ? -1 : firstCallOrFunc(program.instructions);
  if (callAt >= 0) return finish(describe(program.instructions, lineInfo, callAt, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN", undefined, []));
  const clash = mapProgClash(env);
  if (clash) return finish(describe(program.instructions, lineInfo, clash.slot, clash.message, undefined, []));
  let cfg;
  try {
    cfg = buildCfg(program.instructions, { allowLoops: privileged });
  } catch (e) {
    if (!(e instanceof CfgError)) throw e;
    return finish(describe(program.instructions, lineInfo, e.insn, e.message, undefined, []));
  }
  // resolve_pseudo_ldimm64: at most one arena, only for a loader with CAP_BPF and CAP_PERFMON.
  if (arenas.size > 1) return finish(describe(program.instructions, lineInfo, 0, "Only one arena per program", undefined, []));
  if (arenas.size && !privileged) return finish(describe(program.instructions, lineInfo, 0, "CAP_BPF and CAP_PERFMON are required to use arena", undefined, []));
  // check_btf_func: without func_info a subprogram cannot tail call (its stack could not be unwound).
  if (cfg.subprogs.length > 1 && !program.funcInfo?.length) {
    for (let t = cfg.subprogs[1]!.start; t < cfg.length; t++) {
      const i = cfg.insns[t];
      if (i && i.opcode === 0x85 && i.src === 0 && i.imm === 12) return finish(describe(program.instructions, lineInfo, t, "tail_call is not allowed in subprogs without BTF", undefined, []));
      // Their hidden exit returns from the subprogram, which needs its BTF return type.
      if (i && (i.opcode & 0x07) === 0 && ((i.opcode & 0xe0) === 0x20 || (i.opcode & 0xe0) === 0x40)) return finish(describe(program.instructions, lineInfo, t, "LD_ABS is not allowed in subprogs without BTF", undefined, []));
    }
  }
  const ldAbsIn = ldAbsInVoidSubprog(cfg, program.funcInfo ?? [], options.btf);
  if (ldAbsIn >= 0) return finish(describe(program.instructions, lineInfo, ldAbsIn, "LD_ABS is only allowed in functions that return 'int'.", undefined, []));
  const starts = new Map(cfg.subprogs.map((sp, k) => [sp.start, k]));
  const globals = globalFuncs(program.funcInfo ?? [], options.btf, (slot) => starts.get(slot), type);
  const kb = (type === "tracing" || type === "lsm") && program.attachTo ? options.kernelBtf : undefined;
  const ctxArgs = kb && env.attachType === "trace_iter" ? iteratorArgs(kb, program.attachTo!) : undefined;
  // A struct_ops program is typed by the member of the struct_ops map that points at it.
  const opsMap = type === "struct_ops" ? [...(options.maps ? options.maps.values() : [])].find((m) => m.structOps && Object.values(m.structOps.programs).includes(program.name ?? "")) : undefined;
  const opsMember = opsMap ? Object.entries(opsMap.structOps!.programs).find(([, p]) => p === program.name)![0] : undefined;
  const btfCtx = kb && env.attachType && BTF_CTX_ATTACH.has(env.attachType) ? btfCtxOf(kb, env.attachType, program.attachTo!, options.moduleBtfs)
    : opsMap && opsMember && options.kernelBtf ? structOpsCtxOf(options.kernelBtf, opsMap.structOps!.typeName, opsMember) : undefined;
  // bpf_check_attach_target: no BTF for the target, no load (libbpf stops before the kernel sees it).
  if (typeof btfCtx === "string") return finish(describe(program.instructions, lineInfo, 0, btfCtx, undefined, []));
  const kfuncEnv = { ...env, kernelBtf: options.kernelBtf, moduleBtfs: options.moduleBtfs, objectBtf: options.btf, kfuncAt: kfuncsBySlot(program), pendingTypeIds: pendingTypeIds(program, options.btf) };
  const iterNextAt = iterNextCalls(cfg, kfuncEnv);
  const verifyEnv: VerifierEnv = {
    ...kfuncEnv,
    globals,
    btfCtxArgs: ctxArgs,
    btfCtx,
    returnRange: btfCtx && type === "lsm" ? lsmReturnRange(btfCtx, env.attachType ?? "lsm_mac") : undefined,
    iterNextAt,
    arena: [...arenas][0],
    fastcall: new Fastcall(cfg, kfuncEnv.kfuncAt),
  };
  const live = liveRegisters(cfg, (id) => env.proto(id)?.args.filter((a) => a.kind !== "dontcare").length ?? 5);
  walker = new Walker(cfg, verifyEnv, live, lineInfo);
  walks.push(walker);
  try {
    walker.run();
    // do_check_subprogs: every global function called, alone, until no new one is called.
    const verified = new Set<number>();
    for (let again = true; again; ) {
      again = false;
      for (const [k, g] of globals) {
        if (verified.has(k) || !walks.some((x) => x.calledGlobals.has(k))) continue;
        verified.add(k);
        again = true;
        const used = walks.reduce((n, x) => n + x.stats.processed, 0);
        walker = new Walker(cfg, { ...verifyEnv, complexityLimit: verifyEnv.complexityLimit - used }, live, lineInfo);
        walks.push(walker);
        walker.say(`Validating ${g.name}() func#${k}...`);
        walker.startGlobal(g);
        walker.run();
        walker.say(`Func#${k} ('${g.name}') is safe for any args that match its prototype`);
      }
    }
    walker = walks[0]!;
    checkStackDepth(walker, walks);
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    return finish(describe(program.instructions, lineInfo, e.insn, e.message, walker, e.detail));
  }
  return finish();
}

/**
 * add_subprog_and_kfunc, the first pass over the program: without bpf_capable no bpf-to-bpf
 * call, kfunc call or function address (BPF_PSEUDO_CALL/KFUNC_CALL/FUNC). Its slot, or -1.
 */
function firstCallOrFunc(insns: readonly Instruction[]): number {
  const slots = slotIndices(insns);
  const k = insns.findIndex((i) => (i.opcode === 0x85 && (i.src === 1 || i.src === 2)) || (i.opcode === 0x18 && i.src === 4));
  return k < 0 ? -1 : slots[k]!;
}

/** check_btf_func: a subprogram with LD_ABS/IND returns its hidden exit's 0, so it must return int. The slot, or -1. */
function ldAbsInVoidSubprog(cfg: ReturnType<typeof buildCfg>, funcInfo: readonly { insnOff: number; typeId: number }[], btf: Btf | undefined): number {
  if (!btf) return -1;
  for (const fi of funcInfo) {
    if (fi.insnOff === 0) continue;
    const sp = cfg.subprogs.find((s) => s.start === fi.insnOff);
    if (!sp) continue;
    const func = btf.type(fi.typeId);
    const proto = func.kind === "func" ? btf.type(func.type) : undefined;
    if (proto?.kind !== "func_proto" || (proto.returnType !== 0 && btf.resolve(proto.returnType).kind === "int")) continue;
    for (let t = sp.start; t < sp.end; t++) {
      const i = cfg.insns[t];
      // BPF_LD | BPF_ABS or BPF_IND
      if (i && (i.opcode & 0x07) === 0 && ((i.opcode & 0xe0) === 0x20 || (i.opcode & 0xe0) === 0x40)) return t;
    }
  }
  return -1;
}

/** is_tracing_prog_type */
const TRACING_TYPES = new Set(["kprobe", "tracepoint", "perf_event", "raw_tracepoint", "raw_tracepoint_writable"]);

/**
 * check_map_prog_compatibility, for every map a 64-bit load names (resolve_pseudo_ldimm64,
 * before the walk, in the order of the loads): tracing programs may not use maps whose values
 * hold graph roots, spin locks or timers, socket filters not those with spin locks.
 */
function mapProgClash(env: VerifierEnv): { slot: number; message: string } | undefined {
  for (const [slot, m] of [...env.mapAt].sort((a, b) => a[0] - b[0])) {
    const f = env.valueFields?.(m);
    if (!f) continue;
    const graph = f.special?.some((x) => x.name === "bpf_list_head" || x.name === "bpf_rb_root");
    if (graph && TRACING_TYPES.has(env.type)) return { slot, message: "tracing progs cannot use bpf_{list_head,rb_root} yet" };
    if (f.spinLockOffset !== undefined) {
      if (env.type === "socket_filter") return { slot, message: "socket filter progs cannot use bpf_spin_lock yet" };
      if (TRACING_TYPES.has(env.type)) return { slot, message: "tracing progs cannot use bpf_spin_lock yet" };
    }
    if (f.timerOffset !== undefined && TRACING_TYPES.has(env.type)) return { slot, message: "tracing progs cannot use bpf_timer yet" };
  }
  return undefined;
}

/** The special fields of each map's value, found once per map in the object's BTF. */
function mapValueFields(btf: Btf | undefined): (m: MapSpec) => ValueFields {
  const seen = new Map<MapSpec, ValueFields>();
  return (m) => {
    let f = seen.get(m);
    if (!f) {
      f = btf && m.valueType ? valueFields(btf, m.valueType) : {};
      seen.set(m, f);
    }
    return f;
  };
}

/** The loads every walk that checked them found a proven packet read. */
function provenPacketLoads(walks: readonly Walker[]): Set<number> {
  const out = new Set<number>();
  for (const x of walks) for (const [slot, ok] of x.packetLoads) if (ok) out.add(slot);
  for (const x of walks) for (const [slot, ok] of x.packetLoads) if (!ok) out.delete(slot);
  return out;
}

/** A subprogram's stack depth over every walk, less the bpf_fastcall slots the kernel removes. */
const subprogDepth = (w: Walker, walks: readonly Walker[], k: number): number => {
  const d = Math.max(...walks.map((x) => x.stackDepth[k]!));
  return w.env.fastcall ? w.env.fastcall.depth(k, d) : d;
};

const roundDepth = (d: number): number => (d === 0 ? 0 : Math.ceil(d / 8) * 8);

/** check_max_stack_depth: the deepest chain of frames may use 512 bytes in all (16-byte rounded frames). */
function checkStackDepth(w: Walker, walks: readonly Walker[]): void {
  const { cfg } = w;
  const depth = (k: number) => Math.ceil(subprogDepth(w, walks, k) / 16) * 16;
  const calls: number[][] = cfg.subprogs.map(() => []);
  for (let t = 0; t < cfg.length; t++) {
    const i = cfg.insns[t];
    // A callback's address counts as a call of it, as the kernel's walk of the call graph counts it.
    if (i && (isPseudoCall(i) || isPseudoFunc(i))) calls[cfg.subprogOf[t]!]!.push(cfg.subprogOf[t + i.imm + 1]!);
  }
  // Every chain of calls, recursive ones too (which end at the frame limit), from the main program.
  const walk = (k: number, total: number, frame: number) => {
    const d = total + depth(k);
    if (d > MAX_STACK) throw new Reject(cfg.subprogs[k]!.start, `combined stack size of ${frame + 1} calls is ${d}. Too large`);
    for (const c of calls[k]!) {
      if (frame + 1 >= MAX_FRAMES) throw new Reject(cfg.subprogs[c]!.start, `the call stack of ${frame + 1} frames is too deep !`);
      walk(c, d, frame + 1);
    }
  };
  walk(0, 0, 0);
}

function describe(insns: readonly Instruction[], lineInfo: ProgramSpec["lineInfo"], insn: number, message: string, w: Walker | undefined, detail: readonly string[]): VerifyError {
  const slots = slotIndices(insns);
  const k = slots.indexOf(insn);
  const src = sourceLineAtSlot({ lineInfo: lineInfo as ProgramSpec["lineInfo"] }, insn);
  const text = k >= 0 ? `${insn}: ${formatKernelLine(insns[k]!)}` : undefined;
  const hint = fixHint([...detail, message].join("\n"), src?.line);
  return {
    message,
    detail,
    insn,
    ...(text ? { text } : {}),
    ...(src ? { source: { file: src.file, line: src.line, column: src.column, text: src.text } } : {}),
    path: w?.path ?? [],
    ...(w ? { state: formatState(w.cur) } : {}),
    ...(hint ? { hint } : {}),
  };
}

function mapsBySlot(program: Verifiable, maps: VerifyOptions["maps"]): ReadonlyMap<number, MapSpec> {
  if (maps instanceof Map) return maps;
  const out = new Map<number, MapSpec>();
  const list = (maps ?? []) as readonly MapSpec[];
  const slots = slotIndices(program.instructions);
  for (const r of program.references ?? []) {
    if (r.kind !== "map" && r.kind !== "data" && r.kind !== "kconfig") continue;
    const name = r.kind === "kconfig" ? r.map ?? "" : r.name;
    const m = list.find((x) => x.name === name);
    if (m && slots[r.insnIndex] !== undefined) out.set(slots[r.insnIndex]!, m);
  }
  return out;
}

/** The kfunc each BPF_PSEUDO_KFUNC_CALL names, by slot. */
function kfuncsBySlot(program: Verifiable): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  const slots = slotIndices(program.instructions);
  for (const r of program.references ?? []) if (r.kind === "kfunc" && slots[r.insnIndex] !== undefined) out.set(slots[r.insnIndex]!, r.name);
  return out;
}

/**
 * The local type ids of unresolved `bpf_core_type_id_kernel` relocations, by the name libbpf
 * would find in the kernel's BTF (for bpf_rdonly_cast in an object opened without it).
 */
function pendingTypeIds(program: Verifiable, btf: Btf | undefined): ReadonlyMap<number, string> | undefined {
  const out = new Map<number, string>();
  for (const r of program.pendingCore ?? []) {
    if (r.kind !== "target_type_id" || !btf || r.typeId >= btf.types.length) continue;
    const t = btf.resolve(r.typeId);
    if ((t.kind === "struct" || t.kind === "union") && t.name) out.set(r.typeId, t.name);
  }
  return out.size ? out : undefined;
}

/** visit_insn: a call of an iterator's next is a prune point and a forced checkpoint. */
function iterNextCalls(cfg: ReturnType<typeof buildCfg>, env: VerifierEnv): ReadonlySet<number> {
  const out = new Set<number>();
  for (let t = 0; t < cfg.length; t++) {
    const i = cfg.insns[t];
    if (!i || i.opcode !== 0x85 || i.src !== 2 || !isIterNextCall(env, i, t)) continue;
    out.add(t);
    cfg.prunePoint[t] = 1;
    cfg.forceCheckpoint[t] = 1;
  }
  return out;
}

/** license_is_gpl_compatible */
function isGpl(license: string): boolean {
  return ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"].includes(license);
}

/** One program's verdict, in the shape `tsbpf verify` prints. */
export interface ProgramVerdict {
  readonly name: string;
  readonly section: string;
  readonly accepted: boolean;
  readonly error?: string;
  readonly insnsProcessed?: number;
  readonly verificationMs: number;
  readonly log?: string;
  readonly detail?: VerifyError;
}

/** Judges every program of an object (or those named), one at a time, as libbpf would load them. */
export function verifyObject(spec: ObjectSpec, options: Omit<VerifyOptions, "maps" | "type"> & { readonly programs?: readonly string[] } = {}): ProgramVerdict[] {
  const out: ProgramVerdict[] = [];
  for (const p of spec.programs) {
    if (options.programs && !options.programs.includes(p.name)) continue;
    const r = verifyProgram(p, { ...options, maps: spec.maps, ...(spec.btf ? { btf: spec.btf } : {}), ...(p.expectedAttachType ? { attachType: p.expectedAttachType } : {}) });
    out.push({
      name: p.name,
      section: p.sectionName,
      accepted: r.accepted,
      ...(r.error ? { error: r.error.message, detail: r.error } : {}),
      insnsProcessed: r.insnsProcessed,
      verificationMs: r.verificationMs,
      ...(r.log ? { log: r.log } : {}),
    });
  }
  return out;
}

/** The report of a rejection as tsbpf prints it: the kernel's line, then what the kernel does not say. */
export function explain(e: VerifyError): string {
  const lines = [e.text ? `${e.text}: ${e.message}` : e.message, ...e.detail.map((d) => `  ${d}`)];
  if (e.source) lines.push(`  at ${e.source.file}:${e.source.line}:${e.source.column}: ${e.source.text.trim()}`);
  if (e.path.length) lines.push(`  path: ${e.path.slice(-12).join(" ")}`);
  if (e.state) lines.push(`  state: ${e.state}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  return lines.join("\n");
}

export { HELPER_NAMES };
