/**
 * @fileoverview `tsbpf tools gcstat`: a Node process's GC pauses, one log2 histogram per
 * kind (V8's minor, major, incremental, weakcb), per interval.
 */

import type { Io } from "../cli/io.js";
import { log2Hist } from "./hist.js";
import { clock, connectionFor, liveClear, histSections, intervalCount, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const GCSTAT_USAGE = `usage: tsbpf tools gcstat -p PID [-m] [-T] [interval [count]]
  GC pauses by kind as log2 histograms (microseconds; -m milliseconds)`;

/** NODE_PERFORMANCE_GC_* */
const KINDS: Record<string, string> = { "1": "major", "2": "minor", "4": "incremental", "8": "weakcb" };

export async function gcstat(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { milliseconds: { type: "boolean", short: "m" }, timestamp: { type: "boolean", short: "T" } });
  const { interval, count } = intervalCount(positionals, "gcstat");
  const conn = await connectionFor(v.pid, "gcstat", o);
  const s = await ToolSession.open(conn, "gcstat");
  try {
    await s.set("config", ZERO_KEY, toolConfig({ unitNs: v.milliseconds ? 1e6 : 1e3 }));
    await s.attach("gcstat");
    io.out(`Tracing GC pauses of process ${conn.pid}... Hit Ctrl-C to end.`);
    o.onAttached?.();
    await loop(interval, count, async () => {
      const sections = histSections(await s.entries("hist", true), (b) => String(b[0]! - 48));
      liveClear(io, o, interval);
      io.out("");
      if (v.timestamp) io.out(clock());
      for (const [kind, vals] of [...sections].sort()) {
        io.out(`\nkind = ${KINDS[kind] ?? kind}`);
        for (const l of log2Hist(vals, v.milliseconds ? "msecs" : "usecs")) io.out(l);
      }
    }, o);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
