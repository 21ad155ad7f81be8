/**
 * @fileoverview `tsbpf tools fssnoop`: every fs call of a Node process (the sync, callback
 * and promise APIs) with its path, latency and error, one line each in the manner of BCC's
 * opensnoop (TIME(s) CALL LAT(ms) ERR PATH); -x only failed calls.
 */

import type { Io } from "../cli/io.js";
import { connectionFor, cstr, intervalCount, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const FSSNOOP_USAGE = `usage: tsbpf tools fssnoop -p PID [-x] [duration]
  trace fs calls (sync, callback and fs.promises) with path, latency and error
  -x   only failed calls`;

/** The calls traced: fs's sync, callback (timed until the callback) and promise APIs. */
export const FS_CALLS = [
  ...["openSync", "readFileSync", "writeFileSync", "appendFileSync", "unlinkSync", "statSync", "lstatSync", "readdirSync", "mkdirSync", "rmSync", "renameSync", "copyFileSync", "accessSync"].map((f) => `fs.${f}`),
  ...["open", "readFile", "writeFile", "appendFile", "unlink", "stat", "lstat", "readdir", "mkdir", "rm", "rename", "copyFile", "access"].flatMap((f) => [`fs.${f}`, `fs.promises.${f}`]),
];

export async function fssnoop(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { failed: { type: "boolean", short: "x" } });
  const { interval: duration } = intervalCount(positionals, "fssnoop");
  const conn = await connectionFor(v.pid, "fssnoop", o);
  const s = await ToolSession.open(conn, "fssnoop");
  // TIME(s) counts from the first event, as BCC's tools do (the traced process has its own clock origin).
  let t0: number | undefined;
  try {
    await s.set("config", ZERO_KEY, toolConfig({ failedOnly: v.failed === true }));
    for (const fn of FS_CALLS) await s.attach("fssnoop", fn);
    io.out(`${"TIME(s)".padEnd(9)} ${"CALL".padEnd(24)} ${"LAT(ms)".padStart(8)} ERR PATH`);
    o.onAttached?.();
    const drain = async () => {
      for (const e of await s.ringbuf("events")) {
        const at = Number(e.readBigUInt64LE(0)) / 1e9;
        t0 ??= at;
        const ts = at - t0;
        const lat = Number(e.readBigUInt64LE(8)) / 1e6;
        io.out(`${ts.toFixed(6).padEnd(9)} ${cstr(e, 24, 32).padEnd(24)} ${lat.toFixed(3).padStart(8)} ${(e.readUInt32LE(16) ? "1" : "0").padStart(3)} ${cstr(e, 56, 96)}`);
      }
    };
    await loop(duration, 1, drain, o, 100, drain);
  } finally {
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
