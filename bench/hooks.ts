/**
 * @fileoverview The hooks' cost: ns per hook hit with no program, an empty program and each
 * tool's program (diagnostics_channel publish, a probed function call, a policy-checked
 * fs.openSync, a runtime event and a sample run straight), and the latency an HTTP server
 * on loopback gains with httplat attached. Alone: `node --import tsx bench/hooks.ts`.
 */

import dc from "node:diagnostics_channel";
import { closeSync, openSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { localAgent } from "../src/hooks/node/agent.js";
import { attach, loadHooks, type HookObject } from "../src/hooks/node/index.js";

export interface HookBenchResult {
  readonly hook: string;
  readonly program: string;
  readonly ns_per_hit: number;
}

const now = () => performance.now();
const obj = (path: string): HookObject => loadHooks(readFileSync(new URL(path, import.meta.url)));

/** ns per call of `fn`, run for about `ms` (after a warm-up). */
function perCall(fn: () => void, ms: number): number {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const t0 = now();
  let t = t0;
  while (t - t0 < ms) { for (let i = 0; i < 1000; i++) fn(); n += 1000; t = now(); }
  return ((t - t0) * 1e6) / n;
}

export async function benchHooks(o: { budgetMs: number; say: (l: string) => void }): Promise<{ hits: HookBenchResult[]; http?: { requests: number; without_us: number; with_us: number } }> {
  const ms = o.budgetMs;
  const hits: HookBenchResult[] = [];
  const add = (hook: string, program: string, ns: number) => hits.push({ hook, program, ns_per_hit: ns });

  // A diagnostics_channel publish, as http's server makes one per request and response.
  const socket = { localPort: 8080, bytesWritten: 0 };
  const request = { method: "GET", url: "/bench/path?q=1", headers: { host: "127.0.0.1:8080" } };
  const response = { statusCode: 200 };
  const msg = { request, response, socket, server: {} };
  const start = dc.channel("http.server.request.start"), finish = dc.channel("http.server.response.finish");
  add("dc http.server.request.start", "none", perCall(() => start.publish(msg), ms));
  const empty = obj("./hooks-progs/empty.bpf.o");
  let link = attach(empty.program("empty_dc"));
  add("dc http.server.request.start", "empty", perCall(() => start.publish(msg), ms));
  link.detach();
  const httplat = obj("../src/tools/progs/httplat.bpf.o");
  httplat.maps.get("config")!.set(new Uint8Array(4), new Uint8Array([0xe8, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  link = attach(httplat.program("httplat"));
  add("dc http.server.response.finish", "httplat -R", perCall(() => { start.publish(msg); finish.publish(msg); }, ms) / 2);
  link.detach();

  // A probed function: entry probe (empty), return probe (funclatency's, fssnoop's).
  const g = globalThis as unknown as { tsbpfBenchFn: (a: string, b: number) => number };
  g.tsbpfBenchFn = (a, b) => a.length + b;
  add("fn call", "none", perCall(() => g.tsbpfBenchFn("/some/path", 1), ms));
  link = attach(empty.program("empty_fentry"));
  add("fentry globalThis.tsbpfBenchFn", "empty", perCall(() => g.tsbpfBenchFn("/some/path", 1), ms));
  link.detach();
  for (const tool of ["funclatency", "fssnoop"]) {
    const t = obj(`../src/tools/progs/${tool}.bpf.o`);
    link = attach(t.program(tool), "globalThis.tsbpfBenchFn");
    add("fexit globalThis.tsbpfBenchFn", tool, perCall(() => g.tsbpfBenchFn("/some/path", 1), ms));
    link.detach();
    t.close();
  }

  // A policy-checked open: the syscall itself included, beside the same without a policy.
  const file = new URL(import.meta.url).pathname;
  const openClose = () => closeSync(openSync(file, "r"));
  add("fs.openSync + closeSync", "none", perCall(openClose, ms));
  link = attach(empty.program("empty_policy"), "fs.open", { key: "bench" });
  add("policy fs.open (openSync + closeSync)", "empty", perCall(openClose, ms));
  link.detach("bench");
  const policy = obj("../src/tools/progs/policy.bpf.o");
  const rule = Buffer.alloc(80); rule.writeUInt32LE(1, 0); rule.writeUInt32LE(12, 8); rule.write("/nonexistent", 16);
  policy.maps.get("rules")!.set(new Uint8Array(4), rule);
  policy.maps.get("config")!.set(new Uint8Array(4), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]));
  link = attach(policy.program("policy"), "fs.open", { key: "bench" });
  add("policy fs.open (openSync + closeSync)", "policy (1 rule)", perCall(openClose, ms));
  link.detach("bench");

  // Runtime events and samples: the program run on its laid-out context, as the hook makes it.
  for (const [tool, prog] of [["gcstat", "gcstat"], ["profile", "profile"], ["execsnoop", "execsnoop"]] as const) {
    const t = obj(`../src/tools/progs/${tool}.bpf.o`);
    const p = t.program(prog);
    p.ctx.clear();
    add(`${p.row.section}/${p.target} (run only)`, tool, perCall(() => p.run(), ms));
    if (tool === "execsnoop") { const rb = t.maps.get("events") as unknown as { consume(fn: () => void): number }; rb.consume(() => undefined); }
    t.close();
  }
  empty.close();

  // Loopback HTTP latency, one request at a time, without and with httplat attached (through the agent, as the tool does).
  const srv = http.createServer((_q, r) => r.end("ok"));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () => new Promise<void>((res, rej) => http.get({ host: "127.0.0.1", port, path: "/x", agent }, (r) => { r.resume(); r.on("end", res); }).on("error", rej));
  const N = Math.max(200, Math.round(ms * 2));
  const lat = async () => { for (let i = 0; i < 100; i++) await get(); const t0 = now(); for (let i = 0; i < N; i++) await get(); return ((now() - t0) * 1000) / N; };
  // Alternated, three rounds each, the best of each kept: the machine's noise is larger than the difference.
  const conn = localAgent();
  const l = await conn.request("load", { object: readFileSync(new URL("../src/tools/progs/httplat.bpf.o", import.meta.url)).toString("base64") });
  let without = Infinity, withIt = Infinity;
  for (let round = 0; round < 3; round++) {
    without = Math.min(without, await lat());
    const a = await conn.request("attach", { object: l.object, program: "httplat" });
    withIt = Math.min(withIt, await lat());
    await conn.request("detach", { link: a.link });
  }
  conn.close();
  agent.destroy();
  srv.close();
  httplat.close();
  const out = { hits, http: { requests: N, without_us: without, with_us: withIt } };
  for (const h of hits) o.say(`hook hit      ${h.hook.padEnd(44)} ${h.program.padEnd(16)} ${h.ns_per_hit.toFixed(0).padStart(7)} ns`);
  o.say(`hook http     loopback GET, ${N} sequential: ${without.toFixed(1)} us without httplat, ${withIt.toFixed(1)} us with`);
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await benchHooks({ budgetMs: 300, say: console.log });
}
