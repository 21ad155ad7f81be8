/**
 * @fileoverview The diagnostics_channel tracepoints: one row per channel that fires in
 * Node 20 (checked on 20.20), saying how its message fills struct tsbpf_dc_ctx.
 */

import dc from "node:diagnostics_channel";
import { registerHookProvider } from "../attach.js";
import { HookContext, offsets } from "../context.js";
import type { HookProgram } from "../load.js";
import { TSBPF_DC_CTX } from "../../programs/hook-types.js";

const F = offsets(TSBPF_DC_CTX);
const S = { method: F["method.ptr"]!, path: F["path.ptr"]!, host: F["host.ptr"]! };

/* eslint-disable @typescript-eslint/no-explicit-any */
type Msg = any;

/** Ids of the objects messages are about, the same at start and finish. */
const ids = new WeakMap<object, number>();
let nextId = 1;
const idOf = (o: object | undefined): number => {
  if (!o || typeof o !== "object") return 0;
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
};
/** When each request started, and the socket's bytes written then, for the finish messages. */
const starts = new WeakMap<object, { ns: number; written: number }>();
const started = (o: object | undefined, written = 0) => {
  if (o && !starts.has(o)) starts.set(o, { ns: HookContext.nowNs(), written });
};

/** The port in a Host header ("127.0.0.1:8080"), 0 when none. */
const portOf = (host: unknown): number => {
  const m = typeof host === "string" ? /:(\d+)$/.exec(host) : null;
  return m ? Number(m[1]) : 0;
};
const pathOf = (url: unknown): string | undefined => (typeof url === "string" ? url : undefined);

/** One channel: its number (enum tsbpf_dc_channel) and how a message fills the context. */
interface Channel {
  readonly name: string;
  readonly id: number;
  /** Runs before any program of the channel, once per message (records starts). */
  readonly note?: (m: Msg) => void;
  /** The channel whose note records this one's start (finish messages need it running). */
  readonly startedBy?: string;
  /** Runs the program later, when `defer` calls back (child_process: once the child has spawned and has a pid). */
  readonly defer?: (m: Msg, go: () => void) => void;
  readonly fill: (c: HookContext, m: Msg) => void;
}

const CHANNELS: readonly Channel[] = [
  {
    name: "http.client.request.start", id: 1, note: (m) => started(m.request),
    fill: (c, { request: q }) => {
      c.u64(F.id!, idOf(q));
      c.str(S.method, q.method); c.str(S.path, pathOf(q.path));
      const host = q.getHeader?.("host") ?? q.host;
      c.str(S.host, typeof host === "string" ? host : undefined);
      c.u32(F.port!, portOf(host));
    },
  },
  {
    name: "http.client.response.finish", id: 2, startedBy: "http.client.request.start",
    fill: (c, { request: q, response: r }) => {
      c.u64(F.id!, idOf(q));
      c.u64(F.start_ns!, starts.get(q)?.ns ?? 0);
      c.u32(F.status!, r.statusCode ?? 0);
      c.str(S.method, q.method); c.str(S.path, pathOf(q.path));
      const host = q.getHeader?.("host") ?? q.host;
      c.str(S.host, typeof host === "string" ? host : undefined);
      c.u32(F.port!, portOf(host));
      c.u64(F.bytes!, r.socket?.bytesRead ?? 0);
    },
  },
  {
    name: "http.server.request.start", id: 3, note: (m) => started(m.response, m.socket?.bytesWritten ?? 0),
    fill: (c, { request: q, socket: s }) => {
      c.u64(F.id!, idOf(q));
      c.str(S.method, q.method); c.str(S.path, pathOf(q.url)); c.str(S.host, q.headers?.host);
      c.u32(F.port!, s?.localPort ?? 0);
    },
  },
  {
    name: "http.server.response.finish", id: 4, startedBy: "http.server.request.start",
    fill: (c, { request: q, response: r, socket: s }) => {
      const st = starts.get(r);
      c.u64(F.id!, idOf(q));
      c.u64(F.start_ns!, st?.ns ?? 0);
      c.u32(F.status!, r.statusCode ?? 0);
      c.str(S.method, q.method); c.str(S.path, pathOf(q.url)); c.str(S.host, q.headers?.host);
      c.u32(F.port!, s?.localPort ?? 0);
      c.u64(F.bytes!, Math.max(0, (s?.bytesWritten ?? 0) - (st?.written ?? 0)));
    },
  },
  {
    name: "net.client.socket", id: 5,
    fill: (c, { socket: s }) => { c.u64(F.id!, idOf(s)); c.str(S.host, s.remoteAddress ?? s._host ?? undefined); c.u32(F.port!, s.remotePort ?? 0); },
  },
  {
    name: "net.server.socket", id: 6,
    fill: (c, { socket: s }) => { c.u64(F.id!, idOf(s)); c.str(S.host, s.remoteAddress); c.u32(F.port!, s.localPort ?? 0); },
  },
  { name: "udp.socket", id: 7, fill: (c, { socket: s }) => { c.u64(F.id!, idOf(s)); c.str(S.method, s.type); } },
  {
    // Published in the ChildProcess constructor, before there is a pid: the program runs at 'spawn'.
    name: "child_process", id: 8, defer: (m, go) => { m.process?.once?.("spawn", go); },
    fill: (c, { process: p }) => {
      c.u64(F.id!, idOf(p)); c.u32(F.pid!, p.pid ?? 0);
      c.str(S.path, p.spawnfile); c.str(S.host, Array.isArray(p.spawnargs) ? p.spawnargs.join(" ") : undefined);
    },
  },
  { name: "worker_threads", id: 9, fill: (c, { worker: w }) => { c.u64(F.id!, idOf(w)); c.u32(F.pid!, w.threadId ?? 0); } },
  {
    name: "undici:request:create", id: 10, note: (m) => started(m.request),
    fill: (c, { request: q }) => { c.u64(F.id!, idOf(q)); c.str(S.method, q.method); c.str(S.path, q.path); c.str(S.host, q.origin); c.u32(F.port!, portOf(q.origin)); },
  },
  {
    name: "undici:request:headers", id: 11, startedBy: "undici:request:create",
    fill: (c, { request: q, response: r }) => {
      c.u64(F.id!, idOf(q)); c.u64(F.start_ns!, starts.get(q)?.ns ?? 0); c.u32(F.status!, r?.statusCode ?? 0);
      c.str(S.method, q.method); c.str(S.path, q.path); c.str(S.host, q.origin); c.u32(F.port!, portOf(q.origin));
    },
  },
  {
    name: "undici:request:trailers", id: 12, startedBy: "undici:request:create",
    fill: (c, { request: q }) => { c.u64(F.id!, idOf(q)); c.u64(F.start_ns!, starts.get(q)?.ns ?? 0); c.str(S.method, q.method); c.str(S.path, q.path); c.str(S.host, q.origin); },
  },
  {
    name: "undici:request:error", id: 13, startedBy: "undici:request:create",
    fill: (c, { request: q }) => { c.u64(F.id!, idOf(q)); c.u64(F.start_ns!, starts.get(q)?.ns ?? 0); c.str(S.method, q.method); c.str(S.path, q.path); c.str(S.host, q.origin); },
  },
];

/** The channels, by name. */
export const DC_CHANNELS: ReadonlyMap<string, Channel> = new Map(CHANNELS.map((c) => [c.name, c]));

/** Programs attached per channel with a note: the note is subscribed while there are any. */
const noted = new Map<string, number>();

function attachDc(program: HookProgram, target: string): () => void {
  const ch = DC_CHANNELS.get(target)!;
  // The notes this channel needs: its own (a start) and its start's (a finish).
  const notes = [ch, ch.startedBy ? DC_CHANNELS.get(ch.startedBy) : undefined].filter((x): x is Channel => x?.note !== undefined);
  for (const n of notes) {
    const k = noted.get(n.name) ?? 0;
    if (k === 0) dc.subscribe(n.name, n.note!);
    noted.set(n.name, k + 1);
  }
  const c = program.ctx;
  const now = (m: unknown) => {
    c.clear();
    c.u64(F.ts_ns!, HookContext.nowNs());
    c.u32(F.channel!, ch.id);
    try {
      ch.fill(c, m);
    } catch (e) {
      // A message of a shape this Node does not send: the program does not run, the app goes on.
      program.faults++;
      program.lastFault = e;
      return;
    }
    program.run();
  };
  const defer = ch.defer;
  let live = true;
  const fn = defer ? (m: unknown) => defer(m, () => { if (live) now(m); }) : now;
  dc.subscribe(ch.name, fn);
  return () => {
    live = false;
    dc.unsubscribe(ch.name, fn);
    for (const n of notes) {
      const k = (noted.get(n.name) ?? 1) - 1;
      noted.set(n.name, k);
      if (k === 0) dc.unsubscribe(n.name, n.note!);
    }
  };
}

registerHookProvider({ type: "tsbpf_dc", targets: [...DC_CHANNELS.keys()], attach: attachDc });
