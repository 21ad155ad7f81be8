/**
 * @fileoverview `tsbpf tools profile`: sampled JS stacks of a Node process, as BCC's profile
 * prints them (stacks with counts, or -f folded for flame graphs: root;...;leaf count).
 */

import type { Io } from "../cli/io.js";
import { connectionFor, intervalCount, loop, toolArgs, type ToolOptions, ToolSession, leave } from "./common.js";

export const PROFILE_USAGE = `usage: tsbpf tools profile -p PID [-F HZ] [-f] [duration]
  sample the JavaScript stack (V8's sampling profiler) and count stacks
  -F HZ   sample frequency (default 49)
  -f      folded output, one line per stack (for flamegraph.pl)`;

export async function profile(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, { frequency: { type: "string", short: "F" }, folded: { type: "boolean", short: "f" } });
  const { interval: duration } = intervalCount(positionals, "profile");
  const hz = Number(v.frequency ?? 49);
  const conn = await connectionFor(v.pid, "profile", o);
  const s = await ToolSession.open(conn, "profile");
  let detached = false;
  try {
    await s.attach("profile", String(hz));
    // Folded output is for a pipe: the banner goes to stderr, as nothing but stacks may reach stdout.
    (v.folded ? io.err : io.out)(`Sampling JS stacks of process ${conn.pid} at ${hz} Hertz... Hit Ctrl-C to end.`);
    o.onAttached?.();
    await loop(duration, 1, async () => {
      // Detach first: the last samples reach the maps as the sampler stops.
      for (const l of s.links.splice(0)) await conn.request("detach", { link: l });
      detached = true;
      await new Promise((r) => setTimeout(r, 300));
      const counts = await s.entries("counts");
      const stacks = new Map((await s.entries("stacks")).map(([k, val]) => [k.readUInt32LE(0), val]));
      const rows: { frames: string[]; n: number }[] = [];
      for (const [k, val] of counts) {
        const st = stacks.get(k.readUInt32LE(0));
        if (!st) continue;
        const ids: number[] = [];
        for (let i = 0; i + 8 <= st.length; i += 8) { const id = Number(st.readBigUInt64LE(i)); if (id === 0) break; ids.push(id); }
        const names = (await conn.request("frames", { ids })).names as string[];
        rows.push({ frames: names, n: Number(val.readBigUInt64LE(0)) });
      }
      rows.sort((a, b) => a.n - b.n);
      for (const r of rows) {
        if (v.folded) io.out(`${[...r.frames].reverse().join(";")} ${r.n}`);
        else { for (const f of r.frames) io.out(`    ${f}`); io.out(`        ${r.n}\n`); }
      }
    }, o);
  } finally {
    if (!detached) for (const l of s.links.splice(0)) await conn.request("detach", { link: l }).catch(() => undefined);
    await s.close();
    if (!o.conn) await leave(conn);
  }
  return 0;
}
