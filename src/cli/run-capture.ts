/**
 * @fileoverview `tsbpf run FILE.o --pcap IN`: every packet of a capture through a program,
 * with the context its type gets, in one engine (a summary of verdicts, time, maps and
 * trace output; the packets that go on written with `-w`) or in several (`--compare`,
 * every packet on which they differ). The capture is streamed from the file.
 */

import { closeSync, createReadStream, openSync, statSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { CaptureError, CaptureReader, LINKTYPE_ETHERNET, PcapngWriter, PcapWriter, toEthernet, type CapturePacket, type CaptureWarning } from "../capture/index.js";
import { NotSupportedError } from "../errors.js";
import { loadObject, type ObjectSpec, type ProgramSpec } from "../object/index.js";
import { programType, returnCodeName, RUN_TYPES, type Disposition } from "../programs/table.js";
import { SK_BUFF } from "../programs/layouts.js";
import type { RunMode } from "../runtime/index.js";
import { dumpMap, mapToJson, type DumpableMap } from "./map-dump.js";
import { runCbpf } from "../cbpf/interpreter.js";
import { compileFilter } from "../cbpf/pcap/index.js";
import { hostNames } from "./filter-names.js";

/** What `run --pcap` was asked to do. */
export interface CaptureRunOptions {
  readonly spec: ObjectSpec;
  readonly program: ProgramSpec;
  readonly capture: string;
  /** One engine, or several with `compare`. */
  readonly engines: readonly string[];
  readonly compare: boolean;
  /** -w: the packets that go on (pcapng: TX and redirected ones too, with a comment). */
  readonly write?: string | undefined;
  /** --tx-out: TX and redirected packets, for a pcap -w that cannot mark them. */
  readonly txOut?: string | undefined;
  readonly json: boolean;
  readonly mode: RunMode;
  readonly budget?: number | undefined;
  /** --filter: a pcap-filter expression choosing the packets the program sees. */
  readonly filter?: string | undefined;
  /** Where a progress bar may go (a terminal), if anywhere. */
  readonly progress?: ((line: string) => void) | undefined;
}

interface LoadedRun {
  readonly engine: string;
  run(data: Uint8Array, ctx: Uint8Array | undefined): { retval: number; data: Uint8Array | undefined; durationNs: number };
  readonly maps: ReadonlyMap<string, DumpableMap>;
  readonly trace: readonly string[] | undefined;
  close(): void;
}

async function load(spec: ObjectSpec, program: ProgramSpec, engine: string, mode: RunMode, budget: number | undefined): Promise<LoadedRun> {
  const kernel = engine === "kernel";
  if (!kernel && !(program.type in RUN_TYPES)) throw new NotSupportedError(`running ${program.type} programs on packets in the ${engine} engine`, "use --engine kernel");
  const skip = spec.programs.filter((p) => p !== program && (kernel || !(p.type in RUN_TYPES))).map((p) => p.name);
  const object = await loadObject(spec, { engine: engine as "interp", skip, mode, ...(budget !== undefined ? { budget } : {}) });
  const prog = object.programs.get(program.name) as unknown as {
    testRun(o: { data: Uint8Array; ctx?: Uint8Array }): { retval: number; data?: Uint8Array; durationNs: number };
  };
  const trace = (object as { trace?: string[] }).trace;
  return {
    engine,
    run(data, ctx) {
      const r = prog.testRun({ data, ...(ctx ? { ctx } : {}) });
      return { retval: r.retval >>> 0, data: r.data, durationNs: r.durationNs };
    },
    maps: object.maps as unknown as ReadonlyMap<string, DumpableMap>,
    trace,
    close: () => object.close(),
  };
}

/** The context a packet's run gets: skb types carry the capture's timestamp in `tstamp`. */
function contextFor(type: string, p: CapturePacket): Uint8Array | undefined {
  if (programType(type).ctx !== SK_BUFF) return undefined;
  const ctx = new Uint8Array(SK_BUFF.size);
  new DataView(ctx.buffer).setBigUint64(SK_BUFF.field("tstamp").off, BigInt.asUintN(64, p.timestampNs), true);
  return ctx;
}

/** Streams a capture file's packets. A CaptureError part way ends the stream after the packets before it. */
async function* packets(path: string, reader: CaptureReader, onBytes: (n: number) => void): AsyncGenerator<CapturePacket> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
    onBytes((chunk as Buffer).length);
    yield* reader.push(new Uint8Array((chunk as Buffer).buffer, (chunk as Buffer).byteOffset, (chunk as Buffer).length));
  }
  reader.end();
}

/** An output capture file, written as packets come. */
class Output {
  private fd: number;
  private writer: PcapWriter | PcapngWriter;
  count = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
    this.writer = /\.pcapng$/i.test(path) ? new PcapngWriter([LINKTYPE_ETHERNET]) : new PcapWriter({ linkType: LINKTYPE_ETHERNET, nanosecond: true });
    writeSync(this.fd, this.writer.header());
  }
  get marks(): boolean { return this.writer instanceof PcapngWriter; }
  write(data: Uint8Array, timestampNs: bigint, comment?: string) {
    const w = this.writer;
    writeSync(this.fd, w instanceof PcapngWriter ? w.packet({ data, timestampNs, ...(comment ? { comment, outbound: true } : {}) }) : w.packet({ data, timestampNs }));
    this.count++;
  }
  close() { closeSync(this.fd); }
}

/** Raw map contents, comparable across engines. */
function mapState(maps: ReadonlyMap<string, DumpableMap>): Map<string, string> {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const out = new Map<string, string>();
  for (const [name, m] of maps) {
    try {
      out.set(name, [...m.entries()].map(([k, v]) => `${hex(k)}:${hex(v)}`).sort().join(" "));
    } catch {
      out.set(name, "(cannot be read)");
    }
  }
  return out;
}

export async function runCapture(o: CaptureRunOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const type = o.program.type;
  const row = programType(type);
  if (!row.disposition) throw new NotSupportedError(`running ${type} programs over a capture`, "the type takes no packets");
  const runs: LoadedRun[] = [];
  const outputs: Output[] = [];
  try {
    for (const e of o.engines) runs.push(await load(o.spec, o.program, e, o.mode, o.budget));
    const write = o.write ? new Output(o.write) : undefined;
    const tx = o.txOut ? new Output(o.txOut) : undefined;
    for (const x of [write, tx]) if (x) outputs.push(x);

    const reader = new CaptureReader();
    // The filter is compiled per link type, as the capture's own frames are what it reads.
    const names = o.filter !== undefined ? hostNames() : undefined;
    const filters = new Map<number, ReturnType<typeof compileFilter>["program"]>();
    const selected = (p: CapturePacket) => {
      if (o.filter === undefined) return true;
      let prog = filters.get(p.linkType);
      if (!prog) filters.set(p.linkType, (prog = compileFilter(o.filter, { linkType: p.linkType, names, savefile: true }).program));
      return runCbpf(prog, p.data, { length: p.originalLength }) > 0;
    };
    if (o.filter !== undefined) compileFilter(o.filter, { names, savefile: true });
    const warnings: CaptureWarning[] = [];
    const verdicts = new Map<string, number>();
    const times: number[] = [];
    const differences: string[] = [];
    let differing = 0;
    let count = 0;
    let fatal: CaptureError | undefined;
    const size = statSync(o.capture).size;
    let read = 0;
    let lastBar = 0;
    try {
      for await (const p of packets(o.capture, reader, (n) => (read += n))) {
        if (!selected(p)) continue;
        const index = count++;
        const frame = toEthernet(p.data, p.linkType);
        if (!frame) {
          warnings.push({ offset: -1, message: `packet ${index}: link type ${p.linkType} header cut short or of no known protocol; skipped` });
          continue;
        }
        const ctx = contextFor(type, p);
        const results = runs.map((r) => r.run(frame, ctx));
        times.push(results[0]!.durationNs);
        const first = results[0]!;
        const name = returnCodeName(type, first.retval);
        verdicts.set(name, (verdicts.get(name) ?? 0) + 1);
        if (o.compare) {
          const d = compareResults(index, type, runs, results);
          if (d.length) { differing++; if (differences.length < 20) differences.push(...d); }
          continue;
        }
        const disposition: Disposition = row.disposition(first.retval);
        const data = outputData(type, first.retval, first.data ?? frame);
        if (disposition === "pass") write?.write(data, p.timestampNs);
        else if (disposition === "tx" || disposition === "redirect") {
          if (tx) tx.write(data, p.timestampNs, name);
          else if (write?.marks) write.write(data, p.timestampNs, name);
        }
        if (o.progress && count - lastBar >= 512) {
          lastBar = count;
          o.progress(bar(read, size, count));
        }
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      fatal = e;
    }
    if (o.progress && lastBar) o.progress("\r\x1b[K");
    warnings.unshift(...reader.warnings);

    const file = basename(o.capture);
    if (o.compare) return reportCompare(o, file, count, differing, differences, warnings, fatal, out, err);
    const run = runs[0]!;
    // The median: the first runs of a userspace engine are slower while the JS engine warms up.
    const sorted = times.sort((a, b) => a - b);
    const nsPerPacket = sorted.length ? sorted[sorted.length >> 1]! : 0;
    const btf = o.spec.btf;
    const mapSpecs = new Map(o.spec.maps.map((m) => [m.name, m]));
    if (o.json) {
      out(JSON.stringify({
        program: o.program.name, type, engine: run.engine, capture: file, packets: count,
        verdicts: Object.fromEntries(verdicts), ns_per_packet: Math.round(nsPerPacket),
        maps: Object.fromEntries([...run.maps].map(([n, m]) => [n, mapToJson(m, mapSpecs.get(n), btf)])),
        ...(run.trace ? { trace: run.trace } : {}),
        ...(write ? { written: { file: write.path, packets: write.count } } : {}),
        ...(tx ? { tx_written: { file: tx.path, packets: tx.count } } : {}),
        warnings: warnings.map((w) => w.message),
        ...(fatal ? { error: fatal.message } : {}),
      }, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
    } else {
      out(`${o.program.name} (${type}) over ${file}: ${count} packet${count === 1 ? "" : "s"} in the ${run.engine} engine`);
      const width = Math.max(...[...verdicts.keys()].map((k) => k.length), 8);
      for (const [v, n] of [...verdicts].sort((a, b) => b[1] - a[1])) out(`  ${v.padEnd(width)} ${String(n).padStart(8)}  ${((100 * n) / count).toFixed(1)}%`);
      out(`time per packet: ${Math.round(nsPerPacket)} ns (median of ${sorted.length} ${run.engine} runs)`);
      for (const [name, m] of run.maps) {
        if (/\.(rodata|kconfig)/.test(name)) continue; // constants: the run cannot change them
        out(`map ${name}:`);
        for (const line of dumpMap(m, mapSpecs.get(name), btf)) out(`  ${line}`);
      }
      if (run.trace?.length) {
        out(`trace_printk (${run.trace.length} line${run.trace.length === 1 ? "" : "s"}):`);
        for (const line of run.trace.slice(-32)) out(`  ${line}`);
      } else if (run.engine === "kernel") {
        out("trace_printk: the kernel's output goes to /sys/kernel/tracing/trace_pipe");
      }
      if (write) out(`wrote ${write.count} packet${write.count === 1 ? "" : "s"} to ${write.path}`);
      if (tx) out(`wrote ${tx.count} TX/redirected packet${tx.count === 1 ? "" : "s"} to ${tx.path}`);
    }
    for (const w of warnings) err(`warning: ${w.offset >= 0 ? `offset ${w.offset}: ` : ""}${w.message}`);
    if (fatal) { err(`error: ${fatal.message} (the ${count} packets before it were run)`); return 1; }
    return 0;
  } finally {
    for (const x of outputs) x.close();
    for (const r of runs) r.close();
  }
}

/** A socket filter keeps as many bytes of the packet as it returns. */
function outputData(type: string, retval: number, data: Uint8Array): Uint8Array {
  if (type === "socket_filter") return data.subarray(0, Math.min(data.length, 14 + retval));
  return data;
}

function bar(read: number, size: number, count: number): string {
  const frac = size ? Math.min(1, read / size) : 0;
  const filled = Math.round(frac * 30);
  return `\r[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${count} packets`;
}

function compareResults(index: number, type: string, runs: readonly LoadedRun[], results: readonly { retval: number; data: Uint8Array | undefined }[]): string[] {
  const out: string[] = [];
  const [a, ...rest] = results;
  const ra = runs[0]!;
  for (const [i, b] of rest.entries()) {
    const rb = runs[i + 1]!;
    if (a!.retval !== b.retval) out.push(`packet ${index}: verdict ${ra.engine} ${returnCodeName(type, a!.retval)}, ${rb.engine} ${returnCodeName(type, b.retval)}`);
    const da = a!.data ?? new Uint8Array(0);
    const db = b.data ?? new Uint8Array(0);
    if (da.length !== db.length) out.push(`packet ${index}: output ${ra.engine} ${da.length} bytes, ${rb.engine} ${db.length} bytes`);
    else {
      const at = da.findIndex((x, j) => x !== db[j]);
      if (at >= 0) out.push(`packet ${index}: output differs from byte ${at} (${ra.engine} ${da[at]!.toString(16)}, ${rb.engine} ${db[at]!.toString(16)})`);
    }
  }
  const states = runs.map((r) => mapState(r.maps));
  for (const [name, sa] of states[0]!) {
    for (const [i, s] of states.slice(1).entries()) {
      if (s.get(name) !== sa) out.push(`packet ${index}: map ${name} after it: ${runs[0]!.engine} {${sa}}, ${runs[i + 1]!.engine} {${s.get(name) ?? "(missing)"}}`);
    }
  }
  return out;
}

function reportCompare(o: CaptureRunOptions, file: string, count: number, differing: number, differences: readonly string[], warnings: readonly CaptureWarning[], fatal: CaptureError | undefined, out: (l: string) => void, err: (l: string) => void): number {
  const engines = o.engines.join(", ");
  if (o.json) {
    out(JSON.stringify({ program: o.program.name, capture: file, engines: o.engines, packets: count, differing_packets: differing, differences, warnings: warnings.map((w) => w.message), ...(fatal ? { error: fatal.message } : {}) }));
  } else {
    out(`${o.program.name} over ${file}: ${count} packets through ${engines}`);
    if (differing === 0) out("no differences");
    else {
      out(`${differing} packet${differing === 1 ? "" : "s"} differ; the first:`);
      for (const d of differences) out(`  ${d}`);
    }
  }
  for (const w of warnings) err(`warning: ${w.offset >= 0 ? `offset ${w.offset}: ` : ""}${w.message}`);
  if (fatal) err(`error: ${fatal.message}`);
  return differing || fatal ? 1 : 0;
}
