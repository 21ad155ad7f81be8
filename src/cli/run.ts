/**
 * @fileoverview `tsbpf run`: runs a program in the interpreter or in the kernel, on one
 * packet (`--data`) or on every packet of a capture (`--pcap`, see run-capture.ts).
 * `--raw PROG.bin` runs bytecode as uBPF does (r1 = the `--mem` block, r2 its length) and
 * prints r0, all 64 bits in hex; `PROG.o` runs one program of an object as its program
 * type with `--data` as the packet, as `bpftool prog run` does; in the interpreter the
 * whole object is loaded (maps, global data, prog arrays) by loadObject's "interp" engine,
 * and what bpf_trace_printk printed follows as `trace` lines. `--json` prints one JSON
 * object: r0, retval, duration_ns, data or memory, and trace when there is any.
 */

import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { BpfError, NotSupportedError } from "../errors.js";
import { decodeRaw } from "../isa/instruction.js";
import type { Instruction } from "../isa/instruction.js";
import { loadObject, sourceLineAtSlot } from "../object/index.js";
import { tailCallTargets } from "../object/tail-calls.js";
import type { ObjectSpec, ProgramSpec } from "../object/index.js";
import { ExecutionError, RUN_TYPES, Runtime, type RunMode } from "../runtime/index.js";
import { programType } from "../programs/table.js";
import { parseArgPairs } from "../programs/trace-context.js";
import { OPEN_OPTIONS, OPEN_USAGE, openObject } from "./object.js";

export const RUN_USAGE = `usage: tsbpf run PROG.o --pcap IN [-w OUT.pcap|OUT.pcapng] [--tx-out FILE] [--prog NAME]
                 [--engine interp|jit|kernel] [--compare interp,kernel] [--json] [--fast] [--budget N]
       tsbpf run PROG.o --prog NAME [--ctx-json '{"field": 1}' | --ctx-json EVENTS.json] [--arg 1=0x10]
       tsbpf run PROG.o [--prog NAME] [--data FILE] [--ctx FILE] [--data-out FILE] [--repeat N]
                 [--engine interp|jit|kernel] [--json] [--fast] [--budget N] [--pin-root DIR]
       tsbpf run --raw PROG.bin [--mem FILE] [--engine interp|jit|kernel] [--json] [--fast] [--budget N]
  every form that opens an object also takes ${OPEN_USAGE}

  --pcap IN         run every packet of a pcap or pcapng capture, and print a summary:
                    packets by verdict, time per packet, every map, the trace_printk output
  -w OUT            write the packets that go on, as the program left them (to a .pcapng,
                    TX and redirected ones too, each with its verdict as a comment)
  --tx-out FILE     write TX and redirected packets there
  --filter EXPR     only the packets a tcpdump filter expression matches reach the program
  --compare A,B     run each packet in each engine and report where verdicts, output or maps differ
  --data FILE       one packet; --data-out FILE writes it back as the program left it
  --ctx-json JSON   tracing and syscall programs: the context's fields by name (an array: one run
                    each); kprobe arguments also as --arg 1=0x10 (or di=, ret=)
  --pin-root DIR    with --engine kernel: reuse and pin maps under DIR as loadObject's pinRoot
                    (without it, no map is pinned or reused)`;

/** bpf_trace_printk lines printed at most (a repeated run prints one set per run). */
const TRACE_LINES = 64;

const hex64 = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** What one run gave, whatever ran it. */
interface Outcome {
  /** All 64 bits of r0; for an object run in the kernel, the 32-bit retval it reports. */
  readonly r0: bigint;
  readonly retval: number;
  /** Mean per run; undefined where the engine does not time runs. */
  readonly durationNs: number | undefined;
  readonly data?: Uint8Array;
  readonly memory?: Uint8Array;
  /** The packet given, to tell whether the program changed it. */
  readonly input?: Uint8Array;
  /** What bpf_trace_printk printed (the interpreter only: the kernel's goes to trace_pipe). */
  readonly trace?: readonly string[];
}

/** What became of the packet, in one line: a 1500-byte packet in hex would fill the terminal. */
function describeChange(input: Uint8Array | undefined, data: Uint8Array, written: string | undefined): string {
  const to = written === undefined ? " (--data-out FILE writes it)" : `, written to ${written}`;
  if (!input) return `data ${data.length} bytes${to}`;
  if (input.length === data.length && input.every((b, i) => b === data[i])) return `data unchanged (${data.length} bytes)${written === undefined ? "" : `, written to ${written}`}`;
  const n = Math.min(input.length, data.length);
  let differ = Math.abs(input.length - data.length);
  for (let i = 0; i < n; i++) if (input[i] !== data[i]) differ++;
  const size = input.length === data.length ? `${data.length} bytes` : `${input.length} -> ${data.length} bytes`;
  return `data changed: ${size}, ${differ} byte${differ === 1 ? "" : "s"} differ${to}`;
}

export async function runCommand(args: string[], out: (line: string) => void, err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...OPEN_OPTIONS,
      raw: { type: "boolean", default: false },
      mem: { type: "string" },
      data: { type: "string" },
      ctx: { type: "string" },
      "data-out": { type: "string" },
      pcap: { type: "string" },
      filter: { type: "string" },
      write: { type: "string", short: "w" },
      "tx-out": { type: "string" },
      compare: { type: "string" },
      "ctx-json": { type: "string" },
      arg: { type: "string", multiple: true },
      prog: { type: "string" },
      section: { type: "string" },
      repeat: { type: "string", default: "1" },
      engine: { type: "string", default: "interp" },
      budget: { type: "string" },
      json: { type: "boolean", default: false },
      fast: { type: "boolean", default: false },
      "pin-root": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) { out(RUN_USAGE); return 0; }
  if (positionals.length !== 1) throw new BpfError("EINVAL", `expected one program file\n${RUN_USAGE}`);
  // Engine names are loadObject's to know (interp, kernel, and what other engines add); it refuses unknown ones.
  const engine = values.engine!;
  if (values.raw && engine !== "interp" && engine !== "jit" && engine !== "kernel") throw new BpfError("EINVAL", `unknown engine ${engine} for --raw (interp, jit or kernel)`);
  const path = positionals[0]!;
  const file = new Uint8Array(await readFile(path));
  const mode: RunMode = values.fast ? "fast" : "checked";
  const budget = values.budget === undefined ? undefined : Number(values.budget);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new BpfError("EINVAL", `--repeat ${values.repeat} is not a positive integer`);
  const read = async (p: string | undefined) => (p === undefined ? undefined : new Uint8Array(await readFile(p)));

  let outcome: Outcome;
  if (values.raw) {
    const memory = await read(values.mem);
    outcome = engine === "kernel" ? await rawInKernel(decodeRaw(file), memory) : rawInInterpreter(decodeRaw(file), memory, { engine: engine === "jit" ? "jit" : "interp", mode, budget, repeat });
  } else {
    const spec = openObject(file, basename(path), values);
    const wanted = values.prog ?? values.section;
    const program = wanted === undefined ? spec.programs[0] : spec.programs.find((p) => p.name === wanted) ?? spec.programs.find((p) => p.sectionName === wanted);
    if (!program) throw new BpfError("EINVAL", wanted === undefined ? `${path}: the object has no programs` : `${path}: no program or section ${wanted} (${spec.programs.map((p) => p.name).join(", ")})`);
    if (values.pcap !== undefined || values.compare !== undefined) {
      if (values.pcap === undefined) throw new BpfError("EINVAL", "--compare needs --pcap");
      const engines = values.compare?.split(",").map((e) => e.trim()).filter(Boolean) ?? [engine];
      if (values.compare !== undefined && engines.length < 2) throw new BpfError("EINVAL", `--compare ${values.compare}: name two or three engines (interp,kernel)`);
      const { runCapture } = await import("./run-capture.js");
      return runCapture({
        spec, program, capture: values.pcap, engines, compare: values.compare !== undefined, write: values.write, txOut: values["tx-out"], filter: values.filter,
        json: values.json!, mode, budget, progress: process.stderr.isTTY && !values.json ? (l) => process.stderr.write(l) : undefined,
      }, out, err);
    }
    const tracing = !programType(program.type).disposition && values.ctx === undefined;
    if (values["ctx-json"] !== undefined || values.arg?.length || tracing) {
      const { readEvents, runTrace } = await import("./run-trace.js");
      const args = parseArgPairs(values.arg ?? []);
      const events = (values["ctx-json"] === undefined ? [{}] : readEvents(values["ctx-json"])).map((e) => ({ ...e, ...args }));
      return runTrace({ spec, program, events, engine, json: values.json!, mode, budget }, out);
    }
    const data = (await read(values.data)) ?? new Uint8Array(64);
    const ctx = await read(values.ctx);
    if (engine === "kernel") {
      // The programs its prog arrays hold stay loaded (those with a type), so its tail calls go where they would.
      const targets = tailCallTargets(spec);
      const skip = spec.programs.filter((p) => p !== program && !(targets.has(p.name) && p.type !== "unspec")).map((p) => p.name);
      const object = await loadObject(spec, { engine: "kernel", skip, pinRoot: values["pin-root"] ?? false });
      try {
        const r = (object.programs.get(program.name) as import("../kernel/index.js").KernelProgram).testRun({ data, ...(ctx ? { ctx } : {}), repeat });
        outcome = { r0: BigInt(r.retval >>> 0), retval: r.retval >>> 0, durationNs: r.durationNs, input: data, ...(r.data ? { data: r.data } : {}) };
      } finally {
        object.close();
      }
    } else {
      outcome = await objectInInterpreter(spec, program, { engine, data, ctx, repeat, mode, budget });
    }
    if (values["data-out"] !== undefined && outcome.data) await writeFile(values["data-out"], outcome.data);
  }

  if (values.json) {
    out(JSON.stringify({
      r0: hex64(outcome.r0),
      retval: outcome.retval,
      duration_ns: outcome.durationNs === undefined ? null : Math.round(outcome.durationNs),
      ...(outcome.data ? { data: hexBytes(outcome.data) } : {}),
      ...(outcome.memory ? { memory: hexBytes(outcome.memory) } : {}),
      ...(outcome.trace?.length ? { trace: outcome.trace } : {}),
    }));
  } else if (values.raw) {
    out(hex64(outcome.r0));
  } else {
    out(`retval ${outcome.retval} (0x${outcome.retval.toString(16)})`);
    out(`r0 ${hex64(outcome.r0)}`);
    if (outcome.durationNs !== undefined) out(`duration ${Math.round(outcome.durationNs)} ns`);
    if (outcome.data) out(describeChange(outcome.input, outcome.data, values["data-out"]));
    const trace = outcome.trace ?? [];
    for (const line of trace.slice(0, TRACE_LINES)) out(`trace ${line}`);
    if (trace.length > TRACE_LINES) out(`trace ... ${trace.length - TRACE_LINES} more lines`);
  }
  return 0;
}

function rawInInterpreter(insns: Instruction[], memory: Uint8Array | undefined, o: { engine: "interp" | "jit"; mode: RunMode; budget: number | undefined; repeat: number }): Outcome {
  const program = new Runtime().load(insns, { engine: o.engine, mode: o.mode, budget: o.budget });
  if (memory === undefined) {
    const r = program.runRaw();
    return { r0: r.r0, retval: Number(r.r0 & 0xffffffffn), durationNs: undefined };
  }
  const r = program.testRun({ data: memory, repeat: o.repeat });
  return { r0: r.r0, retval: r.retval, durationNs: r.durationNs, memory: r.data };
}

/** The kernel oracle: a syscall program wrapping the bytecode, so r0 comes back whole. It does not time the run. */
async function rawInKernel(insns: Instruction[], memory: Uint8Array | undefined): Promise<Outcome> {
  const kernel = await import("../kernel/index.js");
  const here = kernel.kernelAvailable();
  if (!here.ok) throw new NotSupportedError("--engine kernel", here.reason);
  const r = kernel.runInKernel(insns, memory === undefined ? {} : { memory });
  return { r0: r.r0, retval: Number(r.r0 & 0xffffffffn), durationNs: undefined, ...(memory ? { memory: r.memory } : {}) };
}

/** The object in one runtime (maps, global data and prog arrays included), running the chosen program. */
async function objectInInterpreter(
  spec: ObjectSpec,
  program: ProgramSpec,
  o: { engine: string; data: Uint8Array; ctx: Uint8Array | undefined; repeat: number; mode: RunMode; budget: number | undefined },
): Promise<Outcome> {
  if (!(program.type in RUN_TYPES)) throw new NotSupportedError(`running ${program.type} programs in the interpreter`, "use --engine kernel");
  // The other programs stay loaded, as in the kernel engine's prog arrays; only types the runtime cannot run are left out.
  const skip = spec.programs.filter((p) => p !== program && !(p.type in RUN_TYPES)).map((p) => p.name);
  const object = await loadObject(spec, { engine: o.engine as "interp", skip, mode: o.mode, ...(o.budget !== undefined ? { budget: o.budget } : {}) });
  try {
    let r;
    try {
      r = object.programs.get(program.name)!.testRun({ data: o.data, ...(o.ctx ? { ctx: o.ctx } : {}), repeat: o.repeat });
    } catch (e) {
      throw withSourceLine(e, program);
    }
    return { r0: r.r0, retval: r.retval, durationNs: r.durationNs, data: r.data, input: o.data, trace: [...(object.trace ?? [])] };
  } finally {
    object.close();
  }
}

/** A fault, told with the source line of its instruction where the object has line info. */
function withSourceLine(e: unknown, program: ProgramSpec): unknown {
  if (!(e instanceof ExecutionError)) return e;
  const at = sourceLineAtSlot(program, e.pc);
  if (!at) return e;
  return new ExecutionError(e.pc, e.instruction, `${e.reason}\n  at ${at.file}:${at.line}:${at.column}: ${at.text.trim()}`, { cause: e });
}
