/**
 * @fileoverview The agent: tsbpf's runtime inside a Node process, serving whoever attaches
 * from outside over a unix socket only the process's owner can open (a 0700 directory
 * under the temp dir, `tsbpf-<pid>/agent.sock`). One JSON request a line, one answer a
 * line: load an object, attach and detach its programs, read its maps and ring buffers.
 * Installed by `node --import tsbpf/attach`, or from outside through the inspector.
 */

import { chmodSync, mkdirSync, rmSync } from "node:fs";
import dc from "node:diagnostics_channel";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BpfMap } from "../../maps/map.js";
import { RingBufMap } from "../../maps/ringbuf.js";
import { attach, DC_CHANNELS, jsFrameName, loadHooks, type HookObject, type Link } from "./index.js";

/** Where the agent of process `pid` listens. */
export const agentDir = (pid: number): string => join(tmpdir(), `tsbpf-${pid}`);
export const agentSocket = (pid: number): string => join(agentDir(pid), "agent.sock");

/** One request: `op` and its arguments. */
export interface AgentRequest { readonly id: number; readonly op: string; readonly [k: string]: unknown }

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");

/** The agent's state: objects and links by number. */
class Agent {
  readonly objects = new Map<number, HookObject>();
  readonly links = new Map<number, { link: Link; obj: number; key?: string }>();
  #next = 1;

  handle(r: AgentRequest): unknown {
    switch (r.op) {
      case "hello": return { pid: process.pid, node: process.version, argv: process.argv.slice(1), subscribed: [...DC_CHANNELS.keys()].filter((c) => dc.hasSubscribers(c)), links: this.links.size };
      case "load": {
        const o = loadHooks(Buffer.from(String(r.object), "base64"));
        const id = this.#next++;
        this.objects.set(id, o);
        return { object: id, programs: [...o.programs.values()].map((p) => ({ name: p.name, type: p.row.name, hook: p.target })), maps: [...o.maps.keys()] };
      }
      case "attach": {
        const o = this.#obj(r.object);
        const p = o.program(r.program === undefined ? undefined : String(r.program));
        const key = r.key === undefined ? undefined : String(r.key);
        const link = attach(p, r.hook === undefined ? p.target : String(r.hook), key === undefined ? {} : { key });
        const id = this.#next++;
        this.links.set(id, { link, obj: Number(r.object), ...(key !== undefined ? { key } : {}) });
        return { link: id, hook: link.hook };
      }
      case "detach": {
        const l = this.links.get(Number(r.link));
        if (!l) throw new Error(`no link ${String(r.link)}`);
        l.link.detach(r.key === undefined ? undefined : String(r.key));
        this.links.delete(Number(r.link));
        return {};
      }
      case "map": {
        const m = this.#map(r.object, r.name);
        const entries: [string, string][] = [];
        for (let k = m.nextKey(); k; k = m.nextKey(k)) {
          const v = m.get(k);
          if (v) entries.push([b64(k), b64(v)]);
        }
        // Read and emptied in one step: no hook runs in between, so nothing is lost or counted twice.
        if (r.drain === true) for (const [k] of entries) m.delete(Buffer.from(k, "base64"));
        return { entries };
      }
      case "ringbuf": {
        const m = this.#map(r.object, r.name);
        if (!(m instanceof RingBufMap)) throw new Error(`map ${String(r.name)} is not a ring buffer`);
        const records: string[] = [];
        m.consume((rec: Uint8Array) => { records.push(b64(rec)); });
        return { records };
      }
      case "update": {
        this.#map(r.object, r.name).set(Buffer.from(String(r.key), "base64"), Buffer.from(String(r.value), "base64"));
        return {};
      }
      case "uninstall": {
        // Only an idle agent goes: nothing attached, nothing loaded (policies keep it).
        if (this.links.size > 0 || this.objects.size > 0) return { uninstalled: false };
        setImmediate(() => uninstall?.());
        return { uninstalled: true };
      }
      case "frames": return { names: (r.ids as number[]).map((id) => jsFrameName(id) ?? `[unknown ${id}]`) };
      case "stats": {
        const o = this.#obj(r.object);
        return { programs: [...o.programs.values()].map((p) => ({ name: p.name, hits: p.hits, faults: p.faults, lastFault: p.lastFault === undefined ? undefined : String(p.lastFault) })), trace: o.object.trace.splice(0) };
      }
      case "close": {
        const id = Number(r.object);
        for (const [lid, l] of this.links) {
          if (l.obj === id) { l.link.detach(l.key); this.links.delete(lid); }
        }
        this.#obj(id).close();
        this.objects.delete(id);
        return {};
      }
      default: throw new Error(`unknown op ${r.op}`);
    }
  }

  #obj(id: unknown): HookObject {
    const o = this.objects.get(Number(id));
    if (!o) throw new Error(`no object ${String(id)}`);
    return o;
  }

  #map(obj: unknown, name: unknown): BpfMap {
    const m = this.#obj(obj).maps.get(String(name));
    if (!m) throw new Error(`no map ${String(name)}`);
    return m;
  }

  /** A client went away: what it attached goes too (policies stay: they were meant to). */
  dropLinksOf(ids: Set<number>): void {
    for (const id of ids) {
      const l = this.links.get(id);
      if (l && l.key === undefined) { l.link.detach(); this.links.delete(id); }
    }
  }
}

/** Something that answers agent requests: a remote agent's client, or this process's own. */
export interface AgentConnection {
  readonly pid: number;
  request(op: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

/** An agent in this process, without a socket (in-process tools, tests, benchmarks). */
export function localAgent(): AgentConnection {
  const agent = new Agent();
  const mine = new Set<number>();
  let id = 1;
  return {
    pid: process.pid,
    request: async (op, args = {}) => {
      const r = agent.handle({ id: id++, op, ...args }) as Record<string, unknown>;
      if (op === "attach") mine.add(r.link as number);
      return r;
    },
    close: () => {
      agent.dropLinksOf(mine);
      for (const o of agent.objects.keys()) agent.handle({ id: 0, op: "close", object: o });
    },
  };
}

const STATE = Symbol.for("tsbpf.agent");

/** Stops the agent's server and removes its socket (set while one runs). */
let uninstall: (() => void) | undefined;

/** Starts the agent in this process (once); resolves with its socket path. */
export function installAgent(): Promise<string> {
  const g = globalThis as unknown as Record<symbol, Promise<string> | undefined>;
  const running = g[STATE];
  if (running) return running;
  const agent = new Agent();
  const dir = agentDir(process.pid);
  const path = agentSocket(process.pid);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  const server = net.createServer((sock) => {
    const mine = new Set<number>();
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let req: AgentRequest | undefined;
        try {
          req = JSON.parse(line) as AgentRequest;
          const result = agent.handle(req) as Record<string, unknown>;
          if (req.op === "attach") mine.add(result.link as number);
          if (req.op === "detach") mine.delete(Number(req.link));
          sock.write(JSON.stringify({ id: req.id, ok: true, result }) + "\n");
        } catch (e) {
          sock.write(JSON.stringify({ id: req?.id ?? 0, ok: false, error: (e as Error).message, code: (e as { code?: string }).code }) + "\n");
        }
      }
    });
    sock.on("close", () => agent.dropLinksOf(mine));
    sock.on("error", () => undefined);
  });
  // The agent never keeps the application alive, and leaves nothing behind at exit.
  server.unref();
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const ready = new Promise<string>((res, rej) => {
    server.once("error", rej);
    server.listen(path, () => { chmodSync(path, 0o600); res(path); });
  });
  g[STATE] = ready;
  uninstall = () => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    g[STATE] = undefined;
    uninstall = undefined;
  };
  return ready;
}
