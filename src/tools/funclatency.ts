/**
 * @fileoverview `tsbpf tools funclatency FN`: a function's latency as a log2 histogram, as
 * BCC's funclatency prints it (-u, -m, `-i interval`, `-d duration`, avg/total/count).
 * FN is a probe target: `fs.readFileSync`, `fs.promises.readFile`, `./db.js#query`.
 */

import type { Io } from "../cli/io.js";
import { HookError } from "../hooks/errors.js";
import { log2Hist } from "./hist.js";
import { clock, connectionFor, histSections, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const FUNCLATENCY_USAGE = `usage: tsbpf tools funclatency -p PID [-u|-m] [-i INTERVAL] [-d DURATION] [-T] FN
  time a function of a Node process (module.fn, module#path.fn or globalThis.fn), as a histogram
  -u   microsecond histogram     -m   millisecond histogram (default nanoseconds)
  -i   summary interval, seconds -d   total duration, seconds
  -T   include a timestamp on output`;

export async function funclatency(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, {
    microseconds: { type: "boolean", short: "u" }, milliseconds: { type: "boolean", short: "m" },
    interval: { type: "string", short: "i" }, duration: { type: "string", short: "d" }, timestamp: { type: "boolean", short: "T" },
  });
  const fn = positionals[0];
  if (fn === undefined || positionals.length > 1) throw new HookError("funclatency: name one function to trace (e.g. fs.readFileSync)");
  const unitNs = v.milliseconds ? 1e6 : v.microseconds ? 1e3 : 1;
  const unit = v.milliseconds ? "msecs" : v.microseconds ? "usecs" : "nsecs";
  const interval = v.interval !== undefined ? Number(v.interval) : v.duration !== undefined ? Number(v.duration) : undefined;
  const count = v.interval !== undefined && v.duration !== undefined ? Math.max(1, Math.floor(Number(v.duration) / Number(v.interval))) : v.duration !== undefined ? 1 : undefined;
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
      io.out("");
      if (v.timestamp) io.out(clock());
      for (const l of log2Hist(hist, unit)) io.out(l);
      if (calls > 0) io.out(`\navg = ${Math.floor(total / calls)} ${unit}, total: ${total} ${unit}, count: ${calls}`);
      if (last) io.out("Detaching...");
    }, o);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
