/**
 * @fileoverview `tsbpf tools funclatency FN`: a function's latency as a log2 histogram, as
 * BCC's funclatency prints it (-u, -m, `-i interval`, `-d duration`, avg/total/count).
 * FN is a probe target: `fs.readFileSync`, `fs.promises.readFile`, `./db.js#query`.
 */

import type { Io } from "../cli/io.js";
import { HookError } from "../hooks/errors.js";
import { log2Hist } from "./hist.js";
import { KernelToolSession, toolEngine } from "./kernel.js";
import { clock, connectionFor, histSections, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const FUNCLATENCY_USAGE = `usage: tsbpf tools funclatency -p PID [-u|-m] [-i INTERVAL] [-d DURATION] [-T] FN
  time a function of a Node process (module.fn, module#path.fn or globalThis.fn), as a histogram
  -u   microsecond histogram     -m   millisecond histogram (default nanoseconds)
  -i   summary interval, seconds -d   total duration, seconds
  -T   include a timestamp on output
  --engine kernel   time BINARY:SYMBOL of -p PID instead (a uprobe and uretprobe, root), e.g.
                    libc.so.6:getaddrinfo or /usr/bin/node:uv_fs_open`;

export async function funclatency(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, {
    microseconds: { type: "boolean", short: "u" }, milliseconds: { type: "boolean", short: "m" },
    interval: { type: "string", short: "i" }, duration: { type: "string", short: "d" }, timestamp: { type: "boolean", short: "T" },
    engine: { type: "string" },
  });
  const fn = positionals[0];
  if (fn === undefined || positionals.length > 1) throw new HookError("funclatency: name one function to trace (e.g. fs.readFileSync)");
  const unitNs = v.milliseconds ? 1e6 : v.microseconds ? 1e3 : 1;
  const unit = v.milliseconds ? "msecs" : v.microseconds ? "usecs" : "nsecs";
  const interval = v.interval !== undefined ? Number(v.interval) : v.duration !== undefined ? Number(v.duration) : undefined;
  const count = v.interval !== undefined && v.duration !== undefined ? Math.max(1, Math.floor(Number(v.duration) / Number(v.interval))) : v.duration !== undefined ? 1 : undefined;
  const report = (io2: Io, hist: number[], total: number, calls: number, last: boolean) => {
    io2.out("");
    if (v.timestamp) io2.out(clock());
    for (const l of log2Hist(hist, unit)) io2.out(l);
    if (calls > 0) io2.out(`\navg = ${Math.floor(total / calls)} ${unit}, total: ${total} ${unit}, count: ${calls}`);
    if (last) io2.out("Detaching...");
  };
  if (toolEngine(v.engine, "funclatency") === "kernel") return funclatencyKernel(fn, v.pid, unitNs, interval, count, io, o, report);
  const conn = await connectionFor(v.pid as string | undefined, "funclatency", o);
  const s = await ToolSession.open(conn, "funclatency");
  try {
    await s.set("config", ZERO_KEY, toolConfig({ unitNs }));
    await s.attach("funclatency", fn);
    io.out(`Tracing 1 functions for "${fn}"... Hit Ctrl-C to end.`);
    o.onAttached?.();
    await loop(interval, count, async (last) => {
      const hist = histSections(await s.entries("hist", true)).get("") ?? [];
      const totals = await s.entries("totals");
      const get = (i: number) => Number(totals.find(([k]) => k.readUInt32LE(0) === i)?.[1].readBigUInt64LE(0) ?? 0n);
      const total = get(0), calls = get(1);
      for (const i of [0, 1]) await s.set("totals", new Uint8Array([i, 0, 0, 0]), new Uint8Array(8));
      report(io, hist, total, calls, last);
    }, o);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}

/** The kernel's view: a uprobe and a uretprobe on BINARY:SYMBOL in -p PID, the histogram in kernel maps. */
async function funclatencyKernel(fn: string, pid: string | undefined, unitNs: number, interval: number | undefined, count: number | undefined,
  io: Io, o: ToolOptions, report: (io: Io, hist: number[], total: number, calls: number, last: boolean) => void): Promise<number> {
  const at = fn.lastIndexOf(":");
  if (at <= 0 || at === fn.length - 1) throw new HookError(`funclatency: --engine kernel times BINARY:SYMBOL (e.g. libc.so.6:getaddrinfo), got ${fn}`);
  const n = Number(pid);
  if (pid === undefined || !Number.isInteger(n) || n <= 0) throw new HookError("funclatency: --engine kernel needs the process to trace with -p PID");
  const binary = fn.slice(0, at), symbol = fn.slice(at + 1);
  const s = await KernelToolSession.open("funclatency-kernel");
  try {
    s.map("config").set(ZERO_KEY, toolConfig({ unitNs }));
    s.attachUprobe("funclatency_entry", binary, { symbol, pid: n });
    s.attachUprobe("funclatency_return", binary, { symbol, pid: n, retprobe: true });
    io.out(`Tracing 1 functions for "${fn}"... Hit Ctrl-C to end.`);
    o.onAttached?.();
    const hist = s.map("hist"), totals = s.map("totals");
    const u32 = (i: number) => new Uint8Array([i, 0, 0, 0]);
    const u64 = (b: Uint8Array | undefined) => (b ? Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)) : 0);
    await loop(interval, count, async (last) => {
      // Read then zero each slot: a call landing in between is counted in the next interval.
      const slots: number[] = [];
      for (let i = 0; i < 64; i++) {
        slots.push(u64(hist.get(u32(i))));
        if (slots[i]) hist.set(u32(i), new Uint8Array(8));
      }
      const total = u64(totals.get(u32(0))), calls = u64(totals.get(u32(1)));
      for (const i of [0, 1]) totals.set(u32(i), new Uint8Array(8));
      report(io, slots, total, calls, last);
    }, o);
  } finally {
    s.close();
  }
  return 0;
}
