/**
 * diagnostics_channel hooks against a real HTTP server on loopback: the programs see every
 * request (counted in their maps), read the bounded strings with the probe-read helpers,
 * stop at detach; programs the verifier or the BTF check refuses never attach.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { attach, HookError, HookProgram, loadHooks } from "../../src/hooks/node/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { HOOK_TYPE_TABLE } from "../../src/programs/hook-types.js";

const obj = (name: string) => readFileSync(new URL(`./progs/${name}`, import.meta.url));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64At = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const cstr = (b: Uint8Array) => Buffer.from(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString();

async function server(): Promise<{ port: number; close: () => Promise<void>; get: (path: string) => Promise<number> }> {
  const srv = http.createServer((q, r) => { r.statusCode = q.url === "/missing" ? 404 : 200; r.end("hello"); });
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  const port = (srv.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const get = (path: string) => new Promise<number>((res, rej) => {
    http.get({ host: "127.0.0.1", port, path, agent }, (r) => { r.resume(); r.on("end", () => res(r.statusCode!)); }).on("error", rej);
  });
  return { port, get, close: () => new Promise((res) => { agent.destroy(); srv.close(() => res()); }) };
}

test("server request programs count every request and read method and path with probe_read_*_str", async () => {
  const o = loadHooks(obj("dc-basic.bpf.o"));
  const links = [...o.programs.values()].map((p) => attach(p));
  const s = await server();
  try {
    const t0 = BigInt(Math.round(performance.now() * 1e6));
    for (let i = 0; i < 5; i++) assert.equal(await s.get(`/item/${i}?q=1`), 200);
    assert.equal(await s.get("/missing"), 404);
    const counts = o.maps.get("counts")!;
    assert.equal(u64At(counts.get(u32(3))!, 0), 6n, "http.server.request.start once per request");
    assert.equal(u64At(counts.get(u32(4))!, 0), 6n, "http.server.response.finish once per request");
    const last = o.maps.get("lastreq")!.get(u32(0))!;
    const v = new DataView(last.buffer, last.byteOffset);
    const ts = v.getBigUint64(0, true), now = v.getBigUint64(8, true);
    assert.ok(ts >= t0 && now >= ts && now - ts < 50_000_000n, `ts_ns ${ts} on bpf_ktime_get_ns's clock (${t0}..${now})`);
    assert.equal(v.getUint32(16, true), 404);
    assert.equal(v.getUint32(20, true), s.port);
    assert.equal(v.getInt32(24, true), 4, "probe_read_kernel_str returns the length with its NUL");
    assert.equal(cstr(last.subarray(32, 48)), "GET");
    assert.equal(v.getInt32(28, true), "/missing".length + 1);
    assert.equal(cstr(last.subarray(48, 112)), "/missing");
    for (const p of o.programs.values()) assert.equal(p.faults, 0, `${p.name}: ${String(p.lastFault)}`);
    // Detached, the programs see nothing more.
    for (const l of links) l.detach();
    assert.equal(links[0]!.attached, false);
    await s.get("/after");
    assert.equal(u64At(counts.get(u32(3))!, 0), 6n);
    // Re-attached, they count again, once per request.
    const again = attach(o.program("on_request"));
    await s.get("/again");
    again.detach();
    assert.equal(u64At(counts.get(u32(3))!, 0), 7n);
  } finally {
    for (const l of links) l.detach();
    await s.close();
    o.close();
  }
});

test("which diagnostics_channel hooks fire in this Node: one program attached to every channel", async () => {
  const o = loadHooks(obj("dc-basic.bpf.o"));
  const p = o.program("on_child");
  const links = ["http.client.request.start", "http.client.response.finish", "http.server.request.start", "http.server.response.finish",
    "net.client.socket", "net.server.socket", "udp.socket", "child_process", "worker_threads",
    "undici:request:create", "undici:request:headers", "undici:request:trailers", "undici:request:error"].map((h) => attach(p, h));
  const s = await server();
  try {
    await s.get("/a");
    await fetch(`http://127.0.0.1:${s.port}/b`).then((r) => r.text());
    dgram.createSocket("udp4").close();
    await new Promise((res) => spawn("true").on("exit", res));
    await new Promise((res) => new Worker("0", { eval: true }).on("exit", res));
    const counts = o.maps.get("counts")!;
    const n = (ch: number) => Number(u64At(counts.get(u32(ch))!, 0));
    // http.get: 1 client request; fetch goes through undici, which says so on its own channels.
    assert.deepEqual([n(1), n(2)], [1, 1], "http.client.request.start, http.client.response.finish");
    assert.deepEqual([n(3), n(4)], [2, 2], "http.server.request.start, response.finish: both requests");
    assert.ok(n(5) >= 2 && n(6) >= 2, `net.client.socket ${n(5)}, net.server.socket ${n(6)}`);
    assert.deepEqual([n(7), n(8), n(9)], [1, 1, 1], "udp.socket, child_process, worker_threads");
    assert.deepEqual([n(10), n(11), n(12)], [1, 1, 1], "undici:request:create, headers, trailers");
    assert.equal(n(13), 0, "undici:request:error: no request failed");
  } finally {
    for (const l of links) l.detach();
    await s.close();
    o.close();
  }
});

test("programs the verifier refuses, or whose context struct is not the hook's, never load", () => {
  const spec = loadObjectSpec(obj("dc-bad.bpf.o"));
  const only = (name: string) => ({ ...spec, programs: spec.programs.filter((p) => p.name === name) });
  assert.throws(() => loadHooks(only("writes_ctx")), (e: unknown) => e instanceof HookError && /writes_ctx: rejected by the verifier: insn \d+: invalid bpf_context access off=28 size=4/.test(e.message));
  assert.throws(() => loadHooks(only("reads_past")), (e: unknown) => e instanceof HookError && /reads_past: rejected by the verifier/.test(e.message));
  assert.throws(() => loadHooks(only("wrong_struct")), /wrong_struct: its context is struct tsbpf_fn_ctx, but tsbpf\/dc\/http.server.request.start passes struct tsbpf_dc_ctx/);
  assert.throws(() => attach(loadHooks(obj("dc-basic.bpf.o")).program("on_request"), "http.server.nope"), /unknown tsbpf\/dc hook http.server.nope/);
});

test("hooks refuse programs in checked mode or off the jit", () => {
  const rt = new Runtime();
  const rp = rt.load([{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] as never, { engine: "jit", mode: "checked" });
  const row = HOOK_TYPE_TABLE.find((r) => r.name === "tsbpf_dc")!;
  assert.throws(() => new HookProgram("p", row, "child_process", rp, undefined as never), /fast mode only/);
});
