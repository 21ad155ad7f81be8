/**
 * @fileoverview `tsbpf tools httplat`: HTTP server latency of a Node process as a log2
 * histogram, in the manner of BCC's biolatency: -m for msecs, -R one histogram per
 * route, -T timestamps, `[interval [count]]`, the histogram emptied at each interval.
 */

import type { Io } from "../cli/io.js";
import { log2Hist } from "./hist.js";
import { clock, connectionFor, liveClear, cstr, histSections, intervalCount, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const HTTPLAT_USAGE = `usage: tsbpf tools httplat -p PID [-m] [-R] [-T] [interval [count]]
  HTTP server latency (request start to response finish) as a log2 histogram
  -p PID   the Node process to trace (attached through its inspector, which is closed again)
  -m       millisecond histogram (default microseconds)
  -R       one histogram per route (METHOD /path)
  -T       include a timestamp on output`;

export async function httplat(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { milliseconds: { type: "boolean", short: "m" }, routes: { type: "boolean", short: "R" }, timestamp: { type: "boolean", short: "T" } });
  const { interval, count } = intervalCount(positionals, "httplat");
  const conn = await connectionFor(v.pid, "httplat", o);
  const s = await ToolSession.open(conn, "httplat");
  try {
    await s.set("config", ZERO_KEY, toolConfig({ unitNs: v.milliseconds ? 1e6 : 1e3, perRoute: v.routes === true }));
    await s.attach("httplat");
    io.out(`Tracing HTTP server requests of process ${conn.pid}... Hit Ctrl-C to end.`);
    o.onAttached?.();
    await loop(interval, count, async () => {
      const sections = histSections(await s.entries("hist", true), (b) => (v.routes ? `${cstr(b, 0, 8)} ${cstr(b, 8, 56)}` : ""));
      liveClear(io, o, interval);
      io.out("");
      if (v.timestamp) io.out(clock());
      const unit = v.milliseconds ? "msecs" : "usecs";
      for (const [section, vals] of [...sections].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (v.routes) io.out(`\nroute = ${section}`);
        for (const l of log2Hist(vals, unit)) io.out(l);
      }
    }, o);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
