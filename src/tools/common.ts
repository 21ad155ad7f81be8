/**
 * @fileoverview What every tool shares: BCC's command line (`-p PID`, `[interval [count]]`),
 * the connection to the traced process (its agent, through the inspector if need be), its
 * object loaded and attached there, map reads, and the interval loop that ends at count,
 * at Ctrl-C or when the caller aborts.
 */

import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Io } from "../cli/io.js";
import { HookError } from "../hooks/errors.js";
import type { AgentConnection } from "../hooks/node/agent.js";
import { connectAgent } from "../hooks/node/remote.js";

/** What a tool is run with. */
export interface ToolOptions {
  /** The process to trace: by default `-p PID`'s (tests and the bench pass an in-process agent). */
  readonly conn?: AgentConnection;
  /** Ends the tool as Ctrl-C would. */
  readonly signal?: AbortSignal;
  /** Called once the tool is attached (after its `Tracing ...` line). */
  readonly onAttached?: () => void;
  /** Redraw each interval in place (default: when stdout is a terminal and the tool prints there). */
  readonly live?: boolean;
}

/** Clears the terminal before an interval's output, for the live view of the histogram tools. */
export function liveClear(io: Io, o: ToolOptions, interval: number | undefined): void {
  const live = o.live ?? (o.conn === undefined && process.stdout.isTTY === true && interval !== undefined);
  if (live) io.out("\x1b[H\x1b[2J");
}

/** One entry of a map, as bytes. */
export type Entry = [key: Buffer, value: Buffer];

/** A tool's object in the traced process. */
export class ToolSession {
  readonly links: number[] = [];
  constructor(readonly conn: AgentConnection, readonly object: number, readonly programs: { name: string; hook: string }[]) {}

  static async open(conn: AgentConnection, prog: string): Promise<ToolSession> {
    const bytes = readFileSync(new URL(`./progs/${prog}.bpf.o`, import.meta.url));
    const r = await conn.request("load", { object: bytes.toString("base64") });
    return new ToolSession(conn, r.object as number, r.programs as { name: string; hook: string }[]);
  }

  async attach(program: string, hook?: string, key?: string): Promise<void> {
    const r = await this.conn.request("attach", { object: this.object, program, ...(hook !== undefined ? { hook } : {}), ...(key !== undefined ? { key } : {}) });
    this.links.push(r.link as number);
  }

  async set(map: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.conn.request("update", { object: this.object, name: map, key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") });
  }

  /** Every entry of `map`; `drain` empties it in the same step. */
  async entries(map: string, drain = false): Promise<Entry[]> {
    const r = await this.conn.request("map", { object: this.object, name: map, drain });
    return (r.entries as [string, string][]).map(([k, v]) => [Buffer.from(k, "base64"), Buffer.from(v, "base64")]);
  }

  async ringbuf(map: string): Promise<Buffer[]> {
    const r = await this.conn.request("ringbuf", { object: this.object, name: map });
    return (r.records as string[]).map((x) => Buffer.from(x, "base64"));
  }

  async close(key?: string): Promise<void> {
    for (const l of this.links) await this.conn.request("detach", { link: l, ...(key !== undefined ? { key } : {}) }).catch(() => undefined);
    await this.conn.request("close", { object: this.object }).catch(() => undefined);
  }
}

/**
 * Disconnects from the traced process; an agent this attach installed through the inspector
 * is uninstalled again once idle, so the process is left as it was.
 */
export async function leave(conn: AgentConnection): Promise<void> {
  if ((conn as { via?: string }).via === "inspector") await conn.request("uninstall").catch(() => undefined);
  conn.close();
}

/** A NUL-terminated string out of a fixed char array. */
export const cstr = (b: Buffer, off = 0, len = b.length - off): string => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? s.length : z).toString("utf8");
};

/** BCC's positional `[interval [count]]`. */
export function intervalCount(positionals: readonly string[], tool: string): { interval: number | undefined; count: number | undefined } {
  const [i, c] = positionals.map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n <= 0) throw new HookError(`${tool}: interval and count must be positive numbers (got ${x})`);
    return n;
  });
  return { interval: i, count: c };
}

/** Parses a tool's options (always with -p PID). */
export function toolArgs(args: string[], options: NonNullable<ParseArgsConfig["options"]>): { values: ToolValues; positionals: string[] } {
  const r = parseArgs({ args, options: { pid: { type: "string", short: "p" }, ...options }, allowPositionals: true, strict: true });
  return { values: r.values as ToolValues, positionals: r.positionals };
}

/** Parsed options: strings and booleans by long name. */
export type ToolValues = { readonly pid?: string } & Readonly<Record<string, string | boolean | undefined>>;

/** The connection a tool traces through. */
export async function connectionFor(pid: string | undefined, tool: string, o: ToolOptions): Promise<AgentConnection> {
  if (o.conn) return o.conn;
  if (pid === undefined) throw new HookError(`${tool}: name the Node process to trace with -p PID`);
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) throw new HookError(`${tool}: -p wants a process id (got ${pid})`);
  return connectAgent(n);
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((res) => {
  const done = () => { clearTimeout(t); signal?.removeEventListener("abort", done); res(); };
  const t = setTimeout(done, ms);
  signal?.addEventListener("abort", done, { once: true });
});

/**
 * Runs `tick` every `interval` seconds, `count` times (forever without count); without an
 * interval, once at the end. Ends early at Ctrl-C or the signal, with a last tick.
 */
export async function loop(interval: number | undefined, count: number | undefined, tick: (last: boolean) => Promise<void>, o: ToolOptions, pollMs?: number, poll?: () => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once("SIGINT", onInt);
  o.signal?.addEventListener("abort", onInt, { once: true });
  try {
    let n = 0;
    for (;;) {
      const end = Date.now() + (interval ?? Infinity) * 1000;
      while (Date.now() < end && !ac.signal.aborted) {
        await sleep(Math.min(pollMs ?? 1e9, end - Date.now()), ac.signal);
        if (poll) await poll();
      }
      n++;
      const last = ac.signal.aborted || (count !== undefined && n >= count) || interval === undefined;
      await tick(last);
      if (last) return;
    }
  } finally {
    process.off("SIGINT", onInt);
  }
}

/** Folds hist entries (struct hist_key: section[64], slot u32 -> u64) into per-section slot counts. */
export function histSections(entries: readonly Entry[], name: (section: Buffer) => string = (b) => cstr(b)): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, v] of entries) {
    const section = name(k.subarray(0, 64));
    const slot = k.readUInt32LE(64);
    const n = Number(v.readBigUInt64LE(0));
    let vals = out.get(section);
    if (!vals) out.set(section, (vals = []));
    while (vals.length <= slot) vals.push(0);
    vals[slot] = (vals[slot] ?? 0) + n;
  }
  return out;
}

/** A struct tool_config for the `config` map. */
export function toolConfig(c: { unitNs?: number; perRoute?: boolean; failedOnly?: boolean; count?: number }): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(c.unitNs ?? 1000, 0);
  b.writeUInt32LE(c.perRoute ? 1 : 0, 4);
  b.writeUInt32LE(c.failedOnly ? 1 : 0, 8);
  b.writeUInt32LE(c.count ?? 0, 12);
  return b;
}

export const ZERO_KEY = new Uint8Array(4);

export type Tool = (args: string[], io: Io, o?: ToolOptions) => Promise<number>;

/** `HH:MM:SS` as BCC's -T prints it (strftime("%H:%M:%S")). */
export const clock = (d = new Date()): string => d.toTimeString().slice(0, 8);
