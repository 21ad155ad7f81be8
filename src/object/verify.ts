/**
 * @fileoverview `verifyObject`: a verdict for every program of an object, each program
 * judged alone, so one program's failure (a missing kfunc, an attach target this kernel
 * lacks, a map it cannot make) hides nothing about the others. The judge is pluggable:
 * the kernel's verifier today, tsbpf's own verifier when it lands; engines are a table.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import type { Btf } from "../btf/index.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./types.js";
import { BPF_F_LINK } from "./struct-ops.js";

/** What a judge says about one program; `tsbpf verify --json` prints these. */
export interface ProgramVerdict {
  readonly name: string;
  readonly section: string;
  readonly accepted: boolean;
  /** Why not: the verifier's last meaningful line, or the loader's error. */
  readonly error?: string;
  /** Who refused: the verifier, or the loader before the program reached it (a missing kfunc, map or type). */
  readonly refusedBy?: "verifier" | "loader";
  /** The verifier's "processed N insns", where it says. */
  readonly insnsProcessed?: number;
  /** The verifier's own time when it reports one, else the wall time of the judgement. */
  readonly verificationMs: number;
  /** The verifier's log, when asked for (or on a rejection, when there is one). */
  readonly log?: string;
  /** What the loader did differently from what the object asked (func and line info refused...). */
  readonly warnings?: readonly string[];
}

export interface JudgeOptions {
  /**
   * The verifier's log level: 1 (each instruction walked), 2 (every state); by default only
   * statistics and the reason for a rejection. The log comes back in the verdict.
   */
  readonly logLevel?: number;
  /** Keep the log of accepted programs too. */
  readonly log?: boolean;
  /** The target kernel's BTF, for attach targets and kfuncs (default: the running kernel's). */
  readonly targetBtf?: Btf;
  /** Its modules' BTF, for attach targets and kfuncs vmlinux lacks (asked for only then). */
  readonly moduleBtfs?: () => Iterable<Btf>;
  /** Pin and reuse maps under this directory, as loadObject's `pinRoot` (by default no map is pinned or reused). */
  readonly pinRoot?: string;
  /**
   * Judge as for a loader without CAP_BPF/CAP_SYS_ADMIN/CAP_PERFMON (the kernel's
   * `!env->bpf_capable`, `!allow_ptr_leaks`): tsbpf's verifier in its unprivileged mode.
   * The kernel engine cannot drop privileges for one call: run it as such a user.
   */
  readonly privileged?: boolean;
}

/** A judge: one program of an object (given alone by `programAlone`) to its verdict. */
export type ProgramJudge = (spec: ObjectSpec, program: ProgramSpec, options: JudgeOptions) => ProgramVerdict | Promise<ProgramVerdict>;

/**
 * The engines `verifyObject` knows by name; each is imported when asked for, so a Node-only
 * engine stays out of a browser's bundle. Adding an engine is adding a row.
 */
export const VERIFY_ENGINES: Record<string, { readonly describe: string; readonly judge: () => Promise<ProgramJudge> }> = {
  tsbpf: { describe: "tsbpf's own verifier, no kernel needed", judge: async () => (await import("../verifier/judge.js")).tsbpfJudge },
  kernel: { describe: "the running kernel's verifier (BPF_PROG_LOAD)", judge: async () => (await import("./kernel-engine.js")).kernelJudge },
};

export interface VerifyObjectOptions extends JudgeOptions {
  /** An engine of VERIFY_ENGINES by name, or a judge of your own. */
  readonly engine: string | ProgramJudge;
  /** Program names to judge (default: every program, autoload or not). */
  readonly programs?: readonly string[];
}

/** A verdict for each program of the object (or of `options.programs`), in the object's order. */
export async function verifyObject(spec: ObjectSpec, options: VerifyObjectOptions): Promise<ProgramVerdict[]> {
  const judge = await judgeFor(options.engine);
  let programs = spec.programs;
  if (options.programs) {
    const missing = options.programs.filter((n) => !spec.programs.some((p) => p.name === n));
    if (missing.length) throw new BpfError("EINVAL", `no program ${missing.join(", ")} in the object (${spec.programs.map((p) => p.name).join(", ") || "none"})`);
    programs = spec.programs.filter((p) => options.programs!.includes(p.name));
  }
  const verdicts: ProgramVerdict[] = [];
  for (const p of programs) {
    const alone = programAlone(spec, p);
    const started = Date.now();
    try {
      verdicts.push(await judge(alone, alone.programs[0]!, options));
    } catch (e) {
      // A judge's own failure to make what the program needs is that program's verdict.
      if (!(e instanceof BpfError)) throw e;
      verdicts.push({ name: p.name, section: p.sectionName, accepted: false, error: e.message, refusedBy: "loader", verificationMs: Date.now() - started });
    }
  }
  return verdicts;
}

async function judgeFor(engine: string | ProgramJudge): Promise<ProgramJudge> {
  if (typeof engine === "function") return engine;
  const row = VERIFY_ENGINES[engine];
  if (!row) throw new NotSupportedError(`verify --engine ${engine}`, `the engines are ${Object.keys(VERIFY_ENGINES).join(", ")}`);
  return row.judge();
}

/**
 * The object as it is for one program loaded alone: that program (autoload, whatever its
 * section says), and only the maps it references (with the maps their map-in-map slots
 * name); prog-array slots of other programs are left empty, since those are not loaded.
 */
export function programAlone(spec: ObjectSpec, program: ProgramSpec): ObjectSpec {
  const byName = new Map(spec.maps.map((m) => [m.name, m]));
  const wanted = new Set<string>();
  const want = (name: string | undefined) => {
    if (name === undefined || wanted.has(name) || !byName.has(name)) return;
    wanted.add(name);
    for (const e of byName.get(name)!.contents ?? []) want(e.map);
  };
  for (const r of program.references) {
    if (r.kind === "map" || r.kind === "data") want(r.name);
    if (r.kind === "kconfig") want(r.map);
  }
  // A struct_ops program attaches to a member of the struct_ops map that points at it.
  for (const m of spec.maps) if (m.structOps && Object.values(m.structOps.programs).includes(program.name)) want(m.name);
  const maps: MapSpec[] = spec.maps
    .filter((m) => wanted.has(m.name))
    .map((m) => (m.contents?.some((e) => e.program !== undefined && e.program !== program.name)
      ? { ...m, contents: m.contents.filter((e) => e.program === undefined || e.program === program.name) }
      : m))
    // The other members' programs are not loaded, so the struct cannot be filled: only the map is made.
    .map((m) => (m.structOps ? { ...m, flags: m.flags & ~BPF_F_LINK } : m));
  return { ...spec, programs: [{ ...program, autoload: true }], maps };
}
