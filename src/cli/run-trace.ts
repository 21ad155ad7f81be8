/**
 * @fileoverview `tsbpf run FILE.o --prog NAME --ctx-json '{...}'` (or `--arg 1=0x10`):
 * a tracing program (kprobe, tracepoint, raw tracepoint, tp_btf/fentry, perf_event) or a
 * syscall program on made-up events. The context's fields come from the program's own BTF,
 * the tracepoint's format file, or vmlinux BTF; each event is one run; then the maps and
 * the trace_printk output, as after a capture.
 */

import { existsSync, readFileSync } from "node:fs";
import { parseBtf, type Btf } from "../btf/index.js";
import { BpfError, NotSupportedError } from "../errors.js";
import { loadObject, type ObjectSpec, type ProgramSpec } from "../object/index.js";
import { BPF_PERF_EVENT_DATA } from "../programs/layouts.js";
import { programType, RUN_TYPES } from "../programs/table.js";
import {
  argsShape, type ContextShape, encodeContext, KPROBE_SHAPE, parseTracepointFormat, RAW_ARGS_SHAPE, shapeOfLayout,
  shapeOfStruct, syscallTracepointShape, tracedArgs,
} from "../programs/trace-context.js";
import type { RunMode } from "../runtime/index.js";
import { hostOf } from "../helpers/host.js";
import type { AddressSpace } from "../runtime/address-space.js";
import { dumpMap, mapToJson, type DumpableMap } from "./map-dump.js";
import { dumpsAsElements, recordLines, recordReaders, recordsToJson } from "./run-records.js";

/** Where --ctx-json strings for pointer fields go in the task's user memory (a user-space address, as a syscall's argument). */
export const CTX_STRINGS_BASE = 0x7ffd_5000_0000n;

/** Puts strings in the user memory of a runtime's host, one page apart, and gives their addresses. */
function stringPlacer(space: AddressSpace): (bytes: Uint8Array) => bigint {
  let next = CTX_STRINGS_BASE;
  return (bytes) => {
    const at = next;
    hostOf(space).user.map(at, bytes);
    next += BigInt((bytes.length + 0xfff) & ~0xfff);
    return at;
  };
}

const VMLINUX = "/sys/kernel/btf/vmlinux";
const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

let vmlinux: Btf | undefined;
function kernelBtf(): Btf | undefined {
  if (!vmlinux && existsSync(VMLINUX)) vmlinux = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  return vmlinux;
}

/** The struct the program's first parameter points to, from the object's own BTF. */
function ownContextStruct(spec: ObjectSpec, program: ProgramSpec): ContextShape | undefined {
  const btf = spec.btf;
  const fi = program.funcInfo.find((f) => f.insnOff === 0);
  if (!btf || !fi) return undefined;
  const fn = btf.type(fi.typeId);
  if (fn.kind !== "func") return undefined;
  const proto = btf.type(fn.type);
  if (proto.kind !== "func_proto" || !proto.params[0]) return undefined;
  const ptr = btf.resolve(proto.params[0].type);
  if (ptr.kind !== "ptr") return undefined;
  const to = btf.resolve(ptr.type);
  // A forward declaration or void says nothing; a trace_event_raw_ struct from vmlinux.h is as good as the kernel's.
  return to.kind === "struct" && to.members.length ? shapeOfStruct(btf, to.id) : undefined;
}

/** The shape of `program`'s context, from the best source there is, and where it came from. */
export function contextShape(spec: ObjectSpec, program: ProgramSpec): { shape: ContextShape; from: string } {
  const target = program.attachTo ?? "";
  switch (program.type) {
    case "kprobe":
      return { shape: KPROBE_SHAPE, from: "struct pt_regs (x86-64); arguments 1-6 and ret name its registers" };
    case "perf_event":
      return { shape: shapeOfLayout(BPF_PERF_EVENT_DATA), from: "struct bpf_perf_event_data" };
    case "tracepoint": {
      const own = ownContextStruct(spec, program);
      if (own) return { shape: own, from: `struct ${own.struct} of the program's BTF` };
      for (const root of TRACEFS) {
        const path = `${root}/events/${target}/format`;
        if (existsSync(path)) return { shape: parseTracepointFormat(readFileSync(path, "utf8"), target), from: path };
      }
      const name = target.split("/").pop()!;
      const sys = target.startsWith("syscalls/") ? syscallTracepointShape(name) : undefined;
      if (sys) return { shape: sys, from: "struct syscall_trace_enter/exit (no format file to name the arguments: arg0..arg5)" };
      const btf = kernelBtf();
      const raw = btf?.byName(`trace_event_raw_${name}`, "struct")[0] ?? btf?.byName(`trace_event_raw_${name.replace(/^sys_(enter|exit)_.*/, "sys_$1")}`, "struct")[0];
      if (btf && raw) return { shape: shapeOfStruct(btf, raw.id), from: `struct ${raw.name} of vmlinux BTF` };
      throw new BpfError("EINVAL", `tracepoint ${target}: no format file and no BTF trace_event_raw_ struct to build its context from`);
    }
    case "raw_tracepoint":
    case "raw_tracepoint_writable":
    case "tracing":
    case "lsm": {
      const btf = kernelBtf();
      const isTp = program.type !== "tracing" && program.type !== "lsm" ? true : program.expectedAttachType === "trace_raw_tp";
      const name = isTp ? target : target.replace(/^bpf_lsm_/, "");
      if (btf && name) {
        try {
          const args = tracedArgs(btf, program.type === "lsm" ? `bpf_lsm_${name}` : name, isTp ? "tracepoint" : "function");
          const withRet = program.expectedAttachType === "trace_fexit" ? [...args, { name: "ret", pointer: false, size: 8, signed: true }] : args;
          return { shape: argsShape(withRet, target), from: `the BTF prototype of ${target}` };
        } catch { /* fall through to untyped slots */ }
      }
      return { shape: RAW_ARGS_SHAPE, from: "u64 argument slots arg0..arg11" };
    }
    case "syscall": {
      const own = ownContextStruct(spec, program);
      if (own) return { shape: own, from: `struct ${own.struct} of the program's BTF` };
      throw new BpfError("EINVAL", `${program.name}: its BTF names no context struct; give the bytes with --ctx FILE`);
    }
    default: {
      const layout = programType(program.type).ctx;
      if (layout) return { shape: shapeOfLayout(layout), from: `struct ${layout.struct}` };
      throw new NotSupportedError(`--ctx-json for ${program.type} programs`, "give the context bytes with --ctx FILE");
    }
  }
}

/** What `--ctx-json` gives: inline JSON, or the path of a JSON file; an object is one event, an array many. */
export function readEvents(arg: string): Record<string, unknown>[] {
  const text = arg.trim().startsWith("{") || arg.trim().startsWith("[") ? arg : readFileSync(arg, "utf8");
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new BpfError("EINVAL", `--ctx-json: ${(e as Error).message}`); }
  const events = Array.isArray(v) ? v : [v];
  for (const [i, e] of events.entries()) if (!e || typeof e !== "object" || Array.isArray(e)) throw new BpfError("EINVAL", `--ctx-json: event ${i} is not an object of field values`);
  return events as Record<string, unknown>[];
}

/**
 * A context-only test run in the kernel: BPF_PROG_TEST_RUN for raw tracepoints and
 * BTF-typed programs refuses repeat, ctx_out and data, so the call is made bare.
 */
async function kernelRun(prog: unknown, type: string, ctx: Uint8Array): Promise<{ retval: number; durationNs: number }> {
  const { bpf } = await import("../kernel/index.js");
  const p = prog as { fd: number; testRun(x: { ctx: Uint8Array }): { retval: number; durationNs: number } };
  // bpf_prog_test_run_tracing runs fentry/fexit programs against its own test functions, not a context.
  if (type === "tracing") throw new NotSupportedError("running tp_btf/fentry programs on a given context in the kernel", "use --engine interp; the program still loads");
  if (type !== "raw_tracepoint" && type !== "raw_tracepoint_writable") return p.testRun({ ctx });
  const r = bpf.progTestRun({ progFd: p.fd, ctxIn: ctx.subarray(0, Math.min(ctx.length, 96)), ctxSizeOut: 0 });
  return { retval: r.retval, durationNs: 0 };
}

export interface TraceRunOptions {
  readonly spec: ObjectSpec;
  readonly program: ProgramSpec;
  readonly events: readonly Record<string, unknown>[];
  readonly engine: string;
  readonly json: boolean;
  readonly mode: RunMode;
  readonly budget?: number | undefined;
}

export async function runTrace(o: TraceRunOptions, out: (l: string) => void): Promise<number> {
  const { spec, program } = o;
  const { shape, from } = contextShape(spec, program);
  const row = programType(program.type);
  const kernel = o.engine === "kernel";
  if (!kernel && !(program.type in RUN_TYPES)) throw new NotSupportedError(`running ${program.type} programs`, "no context run for the type");
  const skip = spec.programs.filter((p) => p !== program && (kernel || !(p.type in RUN_TYPES))).map((p) => p.name);
  const targetBtf = kernel && (program.type === "tracing" || program.type === "lsm") ? kernelBtf() : undefined;
  const object = await loadObject(spec, { engine: o.engine as "interp", skip, mode: o.mode, ...(o.budget !== undefined ? { budget: o.budget } : {}), ...(targetBtf ? { targetBtf } : {}) });
  const closers: (() => void)[] = [];
  try {
    const prog = object.programs.get(program.name) as unknown as { testRun(x: { ctx: Uint8Array }): { retval: number; durationNs: number } };
    const results: { retval: number }[] = [];
    const space = (object as { runtime?: { space: AddressSpace } }).runtime?.space;
    const place = space ? stringPlacer(space) : undefined;
    const records = await recordReaders(object.maps as ReadonlyMap<string, unknown>, kernel);
    closers.push(() => records.close());
    for (const [i, e] of o.events.entries()) {
      const ctx = encodeContext(shape, e, Math.max(shape.size, 8), place);
      let r;
      try {
        r = kernel ? await kernelRun(object.programs.get(program.name), program.type, ctx) : prog.testRun({ ctx });
      } catch (err) {
        if (kernel && (err as { errnoName?: string }).errnoName === "ENOTSUPP") throw new NotSupportedError(`running ${program.type} programs in the kernel (BPF_PROG_TEST_RUN refuses them)`, "use --engine interp");
        throw err;
      }
      results.push({ retval: r.retval >>> 0 });
      if (!o.json) out(`event ${i}: retval ${r.retval >>> 0}${row.returnCodes?.[r.retval] ? ` (${row.returnCodes[r.retval]})` : ""}`);
    }
    const maps = object.maps as unknown as Map<string, DumpableMap>;
    const trace = (object as { trace?: string[] }).trace;
    const mapSpecs = new Map(spec.maps.map((m) => [m.name, m]));
    const got = records.collect();
    if (o.json) {
      out(JSON.stringify({
        program: program.name, type: program.type, engine: o.engine, context: from,
        events: results, maps: Object.fromEntries([...maps].filter(([n, m]) => dumpsAsElements(n, m, mapSpecs.get(n))).map(([n, m]) => [n, mapToJson(m, mapSpecs.get(n), spec.btf)])),
        records: recordsToJson(spec.btf, got),
        ...(trace ? { trace } : {}),
      }, (_k, v) => (typeof v === "bigint" ? (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? v.toString() : Number(v)) : v)));
      return 0;
    }
    out(`${program.name} (${program.type}): ${o.events.length} event${o.events.length === 1 ? "" : "s"} in the ${o.engine} engine; context from ${from}`);
    for (const n of records.notes) out(n);
    for (const l of recordLines(spec.btf, got)) out(l);
    for (const [name, m] of maps) {
      if (!dumpsAsElements(name, m, mapSpecs.get(name))) continue;
      let lines: string[];
      try { lines = dumpMap(m, mapSpecs.get(name), spec.btf); } catch (e) { lines = [`(${(e as Error).message})`]; }
      out(`map ${name}:`);
      for (const l of lines) out(`  ${l}`);
    }
    if (trace?.length) {
      out(`trace_printk (${trace.length} line${trace.length === 1 ? "" : "s"}):`);
      for (const l of trace.slice(-32)) out(`  ${l}`);
    }
    return 0;
  } finally {
    for (const c of closers) c();
    object.close();
  }
}
