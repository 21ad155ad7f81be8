/**
 * @fileoverview `tsbpf tools execsnoop`: the child processes a Node process starts, one line
 * each as BCC's execsnoop prints them (PCOMM PID PPID RET ARGS), with -T and -t.
 */

import type { Io } from "../cli/io.js";
import { clock, connectionFor, cstr, intervalCount, loop, toolArgs, type ToolOptions, ToolSession, leave } from "./common.js";

export const EXECSNOOP_USAGE = `usage: tsbpf tools execsnoop -p PID [-T] [-t] [duration]
  trace the child processes (spawn, exec, execFile, fork) a Node process starts
  -T   include a time column (HH:MM:SS)
  -t   include a timestamp column (seconds since tracing began)`;

export async function execsnoop(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { time: { type: "boolean", short: "T" }, timestamp: { type: "boolean", short: "t" } });
  const { interval: duration } = intervalCount(positionals, "execsnoop");
  const conn = await connectionFor(v.pid, "execsnoop", o);
  const s = await ToolSession.open(conn, "execsnoop");
  // TIME(s) counts from the first event, as BCC's tools do (the traced process has its own clock origin).
  let t0: number | undefined;
  try {
    await s.attach("execsnoop");
    io.out(`${v.time ? "TIME     " : ""}${v.timestamp ? "TIME(s) " : ""}${"PCOMM".padEnd(16)} ${"PID".padEnd(7)} ${"PPID".padEnd(7)} RET ARGS`);
    o.onAttached?.();
    const drain = async () => {
      for (const e of await s.ringbuf("events")) {
        const pid = e.readUInt32LE(8), ppid = e.readUInt32LE(12);
        const comm = cstr(e, 16, 16).split("/").pop()!.slice(0, 15);
        const at = Number(e.readBigUInt64LE(0)) / 1e9;
        t0 ??= at;
        const ts = at - t0;
        io.out(`${v.time ? `${clock()} ` : ""}${v.timestamp ? `${ts.toFixed(3).padEnd(7)} ` : ""}${comm.padEnd(16)} ${String(pid).padEnd(7)} ${String(ppid).padEnd(7)} ${"0".padStart(3)} ${cstr(e, 32, 128)}`);
      }
    };
    await loop(duration, 1, drain, o, 100, drain);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
