/**
 * @fileoverview A compiled filter on every engine: the classic interpreter, and after
 * convertClassic the eBPF interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN of the socket
 * filter); `tsbpf filter EXPR -r IN --engine E | --compare | --attach-test` on top of them.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PcapWriter, readCapture, type CapturePacket } from "../capture/index.js";
import { convertClassic } from "../cbpf/convert.js";
import type { SockFilter } from "../cbpf/insn.js";
import { runCbpf } from "../cbpf/interpreter.js";
import { compileFilter } from "../cbpf/pcap/index.js";
import { BpfError } from "../errors.js";
import { installHelpers } from "../helpers/index.js";
import { kernelAvailable, KernelProgram } from "../kernel/index.js";
import { attachTest } from "../kernel/filter-attach.js";
import { HelperRegistry, Runtime } from "../runtime/index.js";
import type { Instruction } from "../isa/index.js";
import { hostNames } from "./filter-names.js";
import { CAPTURE_FILTER_OPTIONS, packetLimit, summarize } from "./filter.js";
import type { Io } from "./io.js";

/** The engines, in the order --compare prints them. */
export const FILTER_ENGINE_NAMES = ["cbpf", "interp", "jit", "kernel"] as const;
export type FilterEngineName = (typeof FILTER_ENGINE_NAMES)[number];

/**
 * A socket filter's test run (as the kernel's) pulls an Ethernet header off the data and
 * starts the program after it: a zeroed one in front makes the filter see the captured bytes
 * from offset 0, with `len` = their length, whatever the capture's link type.
 */
const PSEUDO_HEADER = 14;
export function socketFilterInput(packet: Uint8Array): Uint8Array {
  const data = new Uint8Array(PSEUDO_HEADER + packet.length);
  data.set(packet, PSEUDO_HEADER);
  return data;
}

/** A program ready on one engine: accepted length per packet (0 = no match). */
export interface PreparedFilter {
  readonly engine: FilterEngineName;
  run(packet: Uint8Array, wireLength: number): number;
  /** Mean nanoseconds per run over `repeat` runs of one packet (the engine's own clock). */
  time(packet: Uint8Array, wireLength: number, repeat: number): number;
  close(): void;
}

let shared: Runtime | undefined;
/** One runtime, with the helpers the conversion calls (CPU, RANDOM ancillary loads). */
function runtime(): Runtime {
  return (shared ??= new Runtime({ helpers: installHelpers(new HelperRegistry()) }));
}

/**
 * `program` on `engine`. The classic interpreter sees the wire length as `len` (as tcpdump
 * does); the eBPF engines see the captured bytes only, as a kernel socket would. Throws the
 * conversion's error (backward jumps, ancillary loads without an eBPF form) or the kernel's.
 */
export function prepareFilter(program: readonly SockFilter[], engine: FilterEngineName, converted?: Instruction[]): PreparedFilter {
  if (engine === "cbpf") {
    const run = (p: Uint8Array, wire: number) => runCbpf(program, p, { length: wire });
    return {
      engine, run, close() {},
      time(p, wire, repeat) {
        const t0 = performance.now();
        for (let i = 0; i < repeat; i++) run(p, wire);
        return ((performance.now() - t0) * 1e6) / repeat;
      },
    };
  }
  const insns = converted ?? convertClassic(program);
  if (engine === "kernel") {
    const k = KernelProgram.load({ type: "socket_filter", instructions: insns, name: "tsbpf_filter" });
    return {
      engine,
      run: (p) => k.testRun({ data: socketFilterInput(p) }).retval,
      time: (p, _w, repeat) => k.testRun({ data: socketFilterInput(p), repeat }).durationNs,
      close: () => k.close(),
    };
  }
  const prog = runtime().load(insns, { type: "socket_filter", engine });
  return {
    engine,
    run: (p) => prog.testRun({ data: socketFilterInput(p) }).retval,
    time: (p, _w, repeat) => prog.testRun({ data: socketFilterInput(p), repeat }).durationNs,
    close() {},
  };
}

/** Why the kernel engine is unavailable here, or false. */
export function kernelUnavailable(): string | false {
  const a = kernelAvailable();
  return a.ok ? false : a.reason;
}

/** True when filter.ts should hand its arguments here. */
export function wantsEngines(args: readonly string[]): boolean {
  return args.some((a) => a === "--engine" || a.startsWith("--engine=") || a === "--compare" || a === "--attach-test");
}

/** `tsbpf filter EXPR -r IN --engine E | --compare | --attach-test`. */
export function filterEnginesCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CAPTURE_FILTER_OPTIONS,
      engine: { type: "string" },
      compare: { type: "boolean", default: false },
      "attach-test": { type: "boolean", default: false },
    },
  });
  const expr = positionals.join(" ");
  const engine = (values.engine ?? "cbpf") as FilterEngineName;
  if (!FILTER_ENGINE_NAMES.includes(engine)) throw new BpfError("EINVAL", `--engine ${values.engine}: not one of ${FILTER_ENGINE_NAMES.join(", ")}`);
  if (values.read === undefined) throw new BpfError("EINVAL", "nothing to filter: give -r IN.pcap");
  const max = packetLimit(values.max);
  const capture = readCapture(new Uint8Array(readFileSync(values.read)));
  for (const w of capture.warnings) io.err(`warning: offset ${w.offset}: ${w.message}`);
  const names = hostNames();
  const optimize = !values["no-optimize"];
  const programs = new Map<number, SockFilter[]>();
  const programFor = (lt: number) => {
    let p = programs.get(lt);
    if (!p) programs.set(lt, (p = compileFilter(expr, { linkType: lt, optimize, names, savefile: true }).program));
    return p;
  };
  if (values["attach-test"]) {
    const frames = capture.packets.filter((p) => p.linkType === 1);
    if (frames.length === 0) throw new BpfError("EINVAL", "--attach-test: the capture has no Ethernet (EN10MB) frames to send");
    const r = attachTest(programFor(1), frames.map((p) => p.data));
    io.out(`${r.passed} of ${r.sent} frames passed the filter attached with SO_ATTACH_FILTER`);
    return 0;
  }
  // One prepared program per (link type, engine).
  const prepared = new Map<string, PreparedFilter>();
  const engines: FilterEngineName[] = values.compare ? [...FILTER_ENGINE_NAMES] : [engine];
  const noKernel = engines.includes("kernel") ? kernelUnavailable() : false;
  if (noKernel) {
    if (!values.compare) throw new BpfError("ENOTSUP", `--engine kernel: ${noKernel}`);
    io.err(`warning: no kernel engine: ${noKernel}`);
    engines.pop();
  }
  const on = (e: FilterEngineName, lt: number) => {
    const key = `${lt}/${e}`;
    let p = prepared.get(key);
    if (!p) prepared.set(key, (p = prepareFilter(programFor(lt), e)));
    return p;
  };
  try {
    if (values.compare) {
      // An engine that cannot take the program (a backward jump the kernel refuses, an
      // ancillary load without an eBPF form) is left out, with the reason.
      const usable = engines.filter((e) => {
        for (const lt of new Set(capture.packets.map((p) => p.linkType))) {
          try { on(e, lt); } catch (err) {
            io.err(`warning: ${e} left out: ${(err as Error).message}`);
            return false;
          }
        }
        return true;
      });
      if (usable.length < 2) {
        io.out(`only ${usable.join("")} could run the program: nothing to compare`);
        return 0;
      }
      return compare(capture.packets, usable, on, io);
    }
    let matched = 0;
    const writer = values.write !== undefined && capture.packets[0] ? new PcapWriter({ linkType: capture.packets[0].linkType, nanosecond: true }) : undefined;
    const out: Uint8Array[] = writer ? [writer.header()] : [];
    for (const p of capture.packets) {
      if (matched >= max) break;
      if (on(engine, p.linkType).run(p.data, p.originalLength) === 0) continue;
      matched++;
      if (writer) {
        if (p.linkType !== writer.options.linkType) throw new BpfError("EINVAL", `-w: a pcap file holds one link type; packet of link type ${p.linkType} after ${writer.options.linkType}`);
        out.push(writer.packet(p));
      } else if (!values.count) io.out(summarize(p));
    }
    if (values.write !== undefined) writeFileSync(values.write, Buffer.concat(out));
    if (values.count) io.out(`${matched} packet${matched === 1 ? "" : "s"}`);
    return 0;
  } finally {
    for (const p of prepared.values()) p.close();
  }
}

/** Every engine on every packet: the packets they disagree on (match or not), then a summary. */
function compare(packets: readonly CapturePacket[], engines: FilterEngineName[], on: (e: FilterEngineName, lt: number) => PreparedFilter, io: Io): number {
  let differ = 0;
  const counts = new Map<FilterEngineName, number>(engines.map((e) => [e, 0]));
  packets.forEach((p, i) => {
    const answers = engines.map((e) => on(e, p.linkType).run(p.data, p.originalLength));
    answers.forEach((a, k) => { if (a !== 0) counts.set(engines[k]!, counts.get(engines[k]!)! + 1); });
    if (answers.every((a) => (a !== 0) === (answers[0] !== 0))) return;
    differ++;
    const cut = p.data.length < p.originalLength ? ` (captured ${p.data.length} of ${p.originalLength} bytes: the eBPF engines see len ${p.data.length})` : "";
    io.out(`packet ${i + 1}: ${engines.map((e, k) => `${e} ${answers[k]}`).join(", ")}${cut}`);
  });
  io.out(engines.map((e) => `${e} ${counts.get(e)} packet${counts.get(e) === 1 ? "" : "s"}`).join(", "));
  io.out(differ === 0 ? `the engines agree on all ${packets.length} packets` : `${differ} of ${packets.length} packets differ`);
  return differ === 0 ? 0 : 1;
}

