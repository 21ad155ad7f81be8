/**
 * @fileoverview Policy hooks, the LSM of a Node process: SEC("tsbpf/policy/<op>") programs
 * run before fs open/write/unlink, net connect/listen, child_process spawn and worker
 * start, with struct tsbpf_policy_ctx; a nonzero return (or a fault: policies fail
 * closed) denies, and the call fails with an EPERM error as Node's own would.
 */

import childProcess from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import workerThreads from "node:worker_threads";
import { registerHookProvider } from "../attach.js";
import { HookContext, offsets } from "../context.js";
import { PolicyDeniedError } from "../errors.js";
import type { HookProgram } from "../load.js";
import { TSBPF_POLICY_CTX } from "../../programs/hook-types.js";
import { observe, Refusal } from "./patch.js";

const F = offsets(TSBPF_POLICY_CTX);

/** open(2) flags of fs's flag strings, as Node's stringToFlags gives them (Linux values). */
const FLAGS: Record<string, number> = {
  r: 0, rs: 0o4010000, sr: 0o4010000, "r+": 2, "rs+": 0o4010002, "sr+": 0o4010002,
  w: 0o1101, wx: 0o1301, xw: 0o1301, "w+": 0o1102, "wx+": 0o1302, "xw+": 0o1302,
  a: 0o2101, ax: 0o2301, xa: 0o2301, as: 0o6101, sa: 0o6101, "a+": 0o2102, "ax+": 0o2302, "xa+": 0o2302, "as+": 0o6102, "sa+": 0o6102,
};
const flagsOf = (f: unknown, dflt: number): number => (typeof f === "number" ? f : typeof f === "string" ? FLAGS[f] ?? dflt : dflt);
const pathOf = (p: unknown): string | undefined =>
  typeof p === "string" ? p : p instanceof URL ? p.pathname : Buffer.isBuffer(p) ? p.toString() : undefined;
const optFlags = (o: unknown, dflt: number) => flagsOf(typeof o === "object" && o !== null ? (o as { flag?: unknown }).flag : o, dflt);

/** How a denial reaches the caller: thrown, through the callback (last argument), or as a rejected promise. */
type Style = Refusal["style"];

interface Site {
  readonly obj: () => Record<string, unknown>;
  readonly prop: string;
  /** The API's name, in the context's `fn` and the error. */
  readonly fn: string;
  readonly style: Style;
  readonly syscall: string;
  /** What the context says of a call: path (or command, host, script), flags, port. */
  readonly what: (args: readonly unknown[], self: unknown) => { path?: string | undefined; flags?: number; port?: number };
}

const fsSites = (op: string, names: readonly [string, Style][], what: Site["what"]): Site[] =>
  names.map(([name, style]) => ({
    obj: () => (style === "promise" ? fs.promises : fs) as unknown as Record<string, unknown>,
    prop: name, fn: style === "promise" ? `fs.promises.${name}` : `fs.${name}`, style, syscall: op, what,
  }));

/** net's connect(options | port, host | path): the host (or path) and port. */
function connectArgs(args: readonly unknown[]): { path?: string; port?: number } {
  let a = args[0];
  if (Array.isArray(a)) a = a[0]; // net's normalized [options, cb]
  if (typeof a === "object" && a !== null) {
    const o = a as { host?: unknown; port?: unknown; path?: unknown };
    return { path: pathOf(o.path) ?? (typeof o.host === "string" ? o.host : "localhost"), port: Number(o.port ?? 0) || 0 };
  }
  if (typeof a === "string" && !/^\d+$/.test(a)) return { path: a };
  return { path: typeof args[1] === "string" ? args[1] : "localhost", port: Number(a) || 0 };
}

/** The operations, by hook name (enum tsbpf_policy_op), with the API calls each covers. */
const OPS: Readonly<Record<string, { readonly op: number; readonly sites: readonly Site[] }>> = {
  "fs.open": {
    op: 1,
    sites: [
      ...fsSites("open", [["openSync", "sync"], ["open", "callback"]], (a) => ({ path: pathOf(a[0]), flags: flagsOf(a[1], 0) })),
      ...fsSites("open", [["open", "promise"]], (a) => ({ path: pathOf(a[0]), flags: flagsOf(a[1], 0) })),
      ...fsSites("open", [["readFileSync", "sync"], ["readFile", "callback"], ["readFile", "promise"]], (a) => ({ path: pathOf(a[0]), flags: optFlags(a[1], 0) })),
    ],
  },
  "fs.write": {
    op: 2,
    sites: fsSites("open", [["writeFileSync", "sync"], ["writeFile", "callback"], ["writeFile", "promise"], ["appendFileSync", "sync"], ["appendFile", "callback"], ["appendFile", "promise"]],
      (a) => ({ path: pathOf(a[0]), flags: optFlags(a[2], 0o1101) })),
  },
  "fs.unlink": {
    op: 3,
    sites: fsSites("unlink", [["unlinkSync", "sync"], ["unlink", "callback"], ["unlink", "promise"], ["rmSync", "sync"], ["rm", "callback"], ["rm", "promise"]], (a) => ({ path: pathOf(a[0]) })),
  },
  "net.connect": {
    op: 4,
    sites: [{ obj: () => net.Socket.prototype as unknown as Record<string, unknown>, prop: "connect", fn: "net.Socket.connect", style: "sync", syscall: "connect", what: connectArgs }],
  },
  "net.listen": {
    op: 5,
    sites: [{
      obj: () => net.Server.prototype as unknown as Record<string, unknown>, prop: "listen", fn: "net.Server.listen", style: "sync", syscall: "listen",
      what: (a) => {
        const x = a[0];
        if (typeof x === "object" && x !== null) { const o = x as { port?: unknown; host?: unknown; path?: unknown }; return { path: pathOf(o.path) ?? (typeof o.host === "string" ? o.host : undefined), port: Number(o.port ?? 0) || 0 }; }
        return { port: Number(x) || 0, path: typeof a[1] === "string" ? a[1] : undefined };
      },
    }],
  },
  "child_process.spawn": {
    op: 6,
    sites: [
      // spawn, exec, execFile and fork all start their child through ChildProcess.prototype.spawn.
      { obj: () => childProcess.ChildProcess.prototype as unknown as Record<string, unknown>, prop: "spawn", fn: "child_process.spawn", style: "sync", syscall: "spawn", what: (a) => ({ path: (a[0] as { file?: string } | undefined)?.file }) },
      ...(["spawnSync", "execSync", "execFileSync"] as const).map((name): Site => ({
        obj: () => childProcess as unknown as Record<string, unknown>, prop: name, fn: `child_process.${name}`, style: "sync", syscall: `spawnSync ${String(name)}`,
        what: (a) => ({ path: typeof a[0] === "string" ? a[0].split(" ")[0] : undefined }),
      })),
    ],
  },
  "worker.start": {
    op: 7,
    sites: [{ obj: () => workerThreads as unknown as Record<string, unknown>, prop: "Worker", fn: "worker_threads.Worker", style: "sync", syscall: "worker", what: (a) => ({ path: pathOf(a[0]) }) }],
  },
};

/** The policy hooks, by name. */
export const POLICY_HOOKS: readonly string[] = Object.keys(OPS);

function attachPolicy(program: HookProgram, target: string): () => void {
  const { op, sites } = OPS[target]!;
  const c = program.ctx;
  const undo = sites.map((s) => {
    const obj = s.obj();
    return observe(obj, s.prop, {
      before(args, self) {
        let verdict: number | undefined;
        let w: ReturnType<Site["what"]> = {};
        try {
          w = s.what(args, self);
          c.clear();
          c.u64(F.ts_ns!, HookContext.nowNs());
          c.u32(F.op!, op);
          c.u32(F.flags!, w.flags ?? 0);
          c.u32(F.port!, w.port ?? 0);
          c.str(F["path.ptr"]!, w.path);
          c.str(F["fn.ptr"]!, s.fn);
          verdict = program.run();
        } catch (e) {
          program.faults++;
          program.lastFault = e;
        }
        if (verdict === 0) return undefined;
        const err = new PolicyDeniedError(s.fn, s.syscall, w.path ?? (w.port ? String(w.port) : undefined), program.name);
        throw new Refusal(err, s.style);
      },
    }, true);
  });
  return () => { for (const u of undo) u(); };
}

registerHookProvider({ type: "tsbpf_policy", targets: POLICY_HOOKS, attach: attachPolicy });
