/**
 * @fileoverview `tsbpf attach PID FILE.o`: loads an object's hook programs into a running
 * Node process (its agent, installed through the inspector if need be), attaches them,
 * and streams its maps (every -i seconds) and ring buffers back until Ctrl-C or -d.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { HookError } from "../hooks/errors.js";
import { connectAgent } from "../hooks/node/remote.js";
import type { Io } from "./io.js";

export const ATTACH_USAGE = `usage: tsbpf attach PID FILE.o [-i SECONDS] [-d SECONDS] [--key KEY]
  loads FILE.o's hook programs (SEC("tsbpf/...")) into Node process PID and attaches them;
  prints every map each -i seconds (default 1) and ring buffer records as they come,
  then detaches after -d seconds or at Ctrl-C. Policies need --key (and stay attached).`;

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

export async function attachCommand(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, options: { interval: { type: "string", short: "i" }, duration: { type: "string", short: "d" }, key: { type: "string" } }, allowPositionals: true, strict: true });
  const [pidArg, file] = positionals;
  if (pidArg === undefined || file === undefined) { io.err(ATTACH_USAGE); return 2; }
  const pid = Number(pidArg);
  if (!Number.isInteger(pid) || pid <= 0) throw new HookError(`attach: not a process id: ${pidArg}`);
  const bytes = readFileSync(file);
  const conn = await connectAgent(pid);
  try {
    const r = await conn.request("load", { object: bytes.toString("base64") });
    const programs = r.programs as { name: string; type: string; hook: string }[];
    for (const p of programs) {
      await conn.request("attach", { object: r.object, program: p.name, ...(v.key !== undefined ? { key: v.key } : {}) });
      io.out(`attached ${p.name} to ${p.type.replace("tsbpf_", "")} ${p.hook} in process ${pid}`);
    }
    const maps = r.maps as string[];
    const every = Number(v.interval ?? 1) * 1000;
    const until = v.duration !== undefined ? Date.now() + Number(v.duration) * 1000 : Infinity;
    let stop = false;
    const onInt = () => { stop = true; };
    process.once("SIGINT", onInt);
    while (!stop) {
      await new Promise((res) => setTimeout(res, Math.max(0, Math.min(every, until - Date.now()))));
      for (const name of maps) {
        const ring = await conn.request("ringbuf", { object: r.object, name }).catch(() => undefined);
        if (ring) { for (const rec of ring.records as string[]) io.out(`${name}: ${hex(Buffer.from(rec, "base64"))}`); continue; }
        const m = await conn.request("map", { object: r.object, name }).catch(() => undefined);
        if (!m) continue;
        io.out(`map ${name}:`);
        for (const [k, val] of m.entries as [string, string][]) io.out(`key: ${hex(Buffer.from(k, "base64"))}  value: ${hex(Buffer.from(val, "base64"))}`);
      }
      if (Date.now() >= until) break;
    }
    process.off("SIGINT", onInt);
    if (v.key === undefined) {
      await conn.request("close", { object: r.object });
      // An agent this attach put in through the inspector goes again: the process is as it was.
      if (conn.via === "inspector") await conn.request("uninstall");
    }
    io.out(`detached from process ${pid}`);
  } finally {
    conn.close();
  }
  return 0;
}
