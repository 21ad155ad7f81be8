/**
 * @fileoverview `tsbpf tools execsnoop`: the child processes a Node process starts, one line
 * each as BCC's execsnoop prints them (PCOMM PID PPID RET ARGS), with -T and -t; with
 * --engine kernel, the same columns from the kernel's exec tracepoint.
 */

import type { Io } from "../cli/io.js";
import { HookError } from "../hooks/errors.js";
import { clock, connectionFor, cstr, intervalCount, loop, toolArgs, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";
import { KernelToolSession, toolEngine } from "./kernel.js";

export const EXECSNOOP_USAGE = `usage: tsbpf tools execsnoop -p PID [-T] [-t] [--engine node|kernel] [duration]
  trace the child processes (spawn, exec, execFile, fork) a Node process starts
  -T   include a time column (HH:MM:SS)
  -t   include a timestamp column (seconds since tracing began)
  --engine kernel   the kernel's view instead (raw tracepoint sched_process_exec, root):
                    every exec on the machine, or the children of -p PID`;

/** The columns of one exec, as both engines see it. */
interface ExecLine { readonly at: number; readonly pid: number; readonly ppid: number; readonly comm: string; readonly args: string }

export async function execsnoop(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { time: { type: "boolean", short: "T" }, timestamp: { type: "boolean", short: "t" }, engine: { type: "string" } });
  const { interval: duration } = intervalCount(positionals, "execsnoop");
  // TIME(s) counts from the first event, as BCC's tools do (the traced process has its own clock origin).
  let t0: number | undefined;
  const header = () => io.out(`${v.time ? "TIME     " : ""}${v.timestamp ? "TIME(s) " : ""}${"PCOMM".padEnd(16)} ${"PID".padEnd(7)} ${"PPID".padEnd(7)} RET ARGS`);
  const line = (e: ExecLine) => {
    t0 ??= e.at;
    const ts = e.at - t0;
    io.out(`${v.time ? `${clock()} ` : ""}${v.timestamp ? `${ts.toFixed(3).padEnd(7)} ` : ""}${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)} ${"0".padStart(3)} ${e.args}`);
  };
  if (toolEngine(v.engine, "execsnoop") === "kernel") return execsnoopKernel(v.pid, duration, header, line, o);
  const conn = await connectionFor(v.pid, "execsnoop", o);
  const s = await ToolSession.open(conn, "execsnoop");
  try {
    await s.attach("execsnoop");
    header();
    o.onAttached?.();
    const drain = async () => {
      for (const e of await s.ringbuf("events")) {
        // The program's file name, as the kernel's comm is after exec (its last 15 bytes at most).
        const comm = cstr(e, 16, 16).split("/").pop()!.slice(0, 15);
        line({ at: Number(e.readBigUInt64LE(0)) / 1e9, pid: e.readUInt32LE(8), ppid: e.readUInt32LE(12), comm, args: cstr(e, 32, 128) });
      }
    };
    await loop(duration, 1, drain, o, 100, drain);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}

/** struct exec_event of execsnoop-kernel.bpf.c: ts_ns, pid, ppid, comm[16], args_len, args[128]. */
const EV = { ts: 0, pid: 8, ppid: 12, comm: 16, argsLen: 32, args: 36 } as const;

/** The kernel's view: every exec (sched_process_exec), or those whose parent is -p PID. */
async function execsnoopKernel(pid: string | undefined, duration: number | undefined, header: () => void, line: (e: ExecLine) => void, o: ToolOptions): Promise<number> {
  const ppid = pid === undefined ? 0 : Number(pid);
  if (!Number.isInteger(ppid) || ppid < 0) throw new HookError(`execsnoop: -p wants a process id (got ${pid})`);
  const s = await KernelToolSession.open("execsnoop-kernel");
  try {
    const cfg = new Uint8Array(4);
    new DataView(cfg.buffer).setUint32(0, ppid, true);
    s.map("config").set(ZERO_KEY, cfg);
    const reader = s.ringbuf("events", (r) => {
      const e = Buffer.from(r.buffer, r.byteOffset, r.byteLength);
      const len = Math.min(e.readUInt32LE(EV.argsLen), e.length - EV.args);
      // argv is NUL-separated in the new image; a trailing NUL ends the last argument.
      const args = e.subarray(EV.args, EV.args + len).toString("utf8").replace(/\0+$/, "").replaceAll("\0", " ");
      line({ at: Number(e.readBigUInt64LE(EV.ts)) / 1e9, pid: e.readUInt32LE(EV.pid), ppid: e.readUInt32LE(EV.ppid), comm: cstr(e, EV.comm, 16), args });
    });
    s.attach();
    header();
    o.onAttached?.();
    const drain = async () => { await reader.wait(0); };
    await loop(duration, 1, drain, o, 100, drain);
  } finally {
    s.close();
  }
  return 0;
}
