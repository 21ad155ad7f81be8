/**
 * Policy hooks: a verified policy denies forbidden opens, unlinks, spawns and connects
 * with an EPERM error in the application (thrown, called back or rejected, as each API
 * reports its errors), lets the rest through, and cannot be detached without its key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attach, loadHooks } from "../../src/hooks/node/index.js";

const obj = () => fs.readFileSync(new URL("./progs/policy.bpf.o", import.meta.url));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const rule = (prefix: string, port = 0) => {
  const v = new Uint8Array(72);
  v.set(Buffer.from(prefix));
  new DataView(v.buffer).setUint32(64, prefix.length, true);
  new DataView(v.buffer).setUint32(68, port, true);
  return v;
};
const eperm = (e: unknown) => (e as NodeJS.ErrnoException).code === "EPERM" && /operation not permitted/.test((e as Error).message);

test("a policy denies opens and unlinks under a prefix with EPERM, in every API style, and lets the rest through", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-policy-"));
  const secret = join(dir, "secret");
  fs.mkdirSync(secret);
  writeFileSync(join(secret, "key"), "k");
  writeFileSync(join(dir, "open.txt"), "o");
  const o = loadHooks(obj());
  o.maps.get("rules")!.set(u32(0), rule(secret));
  const links = ["open_rule", "unlink_rule"].map((n) => attach(o.program(n), undefined, { key: "k1" }));
  try {
    assert.throws(() => fs.readFileSync(join(secret, "key")), eperm);
    assert.throws(() => fs.openSync(join(secret, "key"), "r"), eperm);
    await assert.rejects(fs.promises.readFile(join(secret, "key")), eperm);
    await assert.rejects(fs.promises.open(join(secret, "key")), eperm);
    const cbErr = await new Promise((res) => fs.readFile(join(secret, "key"), (e) => res(e)));
    assert.ok(eperm(cbErr), String(cbErr));
    // A stream opens through fs.open: its error event says EPERM.
    const streamErr = await new Promise((res) => fs.createReadStream(join(secret, "key")).on("error", res));
    assert.ok(eperm(streamErr), String(streamErr));
    assert.throws(() => fs.unlinkSync(join(secret, "key")), eperm);
    assert.ok(fs.existsSync(join(secret, "key")), "the denied unlink did not happen");
    // Outside the prefix everything works as before.
    assert.equal(fs.readFileSync(join(dir, "open.txt"), "utf8"), "o");
    assert.equal(await fs.promises.readFile(join(dir, "open.txt"), "utf8"), "o");
    fs.unlinkSync(join(dir, "open.txt"));
    const denied = o.maps.get("denied")!;
    const n = (op: number) => Number(new DataView(denied.get(u32(op))!.buffer).getBigUint64(0, true));
    assert.equal(n(1), 6, "six opens denied");
    assert.equal(n(3), 1, "one unlink denied");
    // The application cannot take the policy off: not by detaching, not by putting fs back.
    assert.throws(() => links[0]!.detach(), /detaches only with the key/);
    assert.throws(() => { (fs as unknown as Record<string, unknown>).readFileSync = () => "mine"; }, TypeError);
    assert.throws(() => fs.readFileSync(join(secret, "key")), eperm);
  } finally {
    for (const l of links) l.detach("k1");
    o.close();
  }
  // Detached with its key: the same reads work again.
  assert.equal(fs.readFileSync(join(secret, "key"), "utf8"), "k");
  rmSync(dir, { recursive: true, force: true });
});

test("a policy denies spawning a command and connecting to a port", async () => {
  const o = loadHooks(obj());
  o.maps.get("rules")!.set(u32(0), rule("/bin/ech", 0));
  const links = ["spawn_rule", "connect_rule"].map((n) => attach(o.program(n), undefined, { key: "k2" }));
  const srv = net.createServer((s) => s.end()).listen(0, "127.0.0.1");
  await new Promise((res) => srv.once("listening", res));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    assert.throws(() => spawn("/bin/echo", ["hi"]), eperm);
    assert.throws(() => execFileSync("/bin/echo", ["hi"]), eperm);
    assert.equal(execFileSync("/bin/true").length, 0, "other commands run");
    // Ports: allowed before the rule names one, denied after.
    await new Promise<void>((res, rej) => net.connect(port, "127.0.0.1", res).on("error", rej));
    o.maps.get("rules")!.set(u32(0), rule("/bin/ech", port));
    assert.throws(() => net.connect(port, "127.0.0.1"), eperm);
  } finally {
    for (const l of links) l.detach("k2");
    srv.close();
    o.close();
  }
});

test("the policy tool's program denies listening on a port and starting a worker, by its rules", async () => {
  const o = loadHooks(fs.readFileSync(new URL("../../src/tools/progs/policy.bpf.o", import.meta.url)));
  const rule = (i: number, op: number, prefix: string, port: number) => {
    const b = Buffer.alloc(80);
    b.writeUInt32LE(op, 0); b.writeUInt32LE(port, 4); b.writeUInt32LE(prefix.length, 8); b.write(prefix, 16);
    o.maps.get("rules")!.set(u32(i), b);
  };
  rule(0, 5, "", 47001); // net.listen on :47001
  rule(1, 7, "/forbidden/", 0); // worker.start of /forbidden/*
  o.maps.get("config")!.set(u32(0), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]));
  const p = o.program("policy");
  const links = ["net.listen", "worker.start"].map((h) => attach(p, h, { key: "k3" }));
  try {
    assert.throws(() => net.createServer().listen(47001, "127.0.0.1"), eperm);
    const other = net.createServer().listen(0, "127.0.0.1");
    await new Promise((res) => other.once("listening", res));
    other.close();
    // Imported after the attach: an ESM binding taken before it keeps the original class.
    const { Worker } = await import("node:worker_threads");
    assert.throws(() => new Worker("/forbidden/w.js"), eperm);
    const w = new Worker("0", { eval: true });
    await new Promise((res) => w.once("exit", res));
    assert.equal(o.maps.get("denials")!.constructor.name, "RingBufMap");
  } finally {
    for (const l of links) l.detach("k3");
    o.close();
  }
});
