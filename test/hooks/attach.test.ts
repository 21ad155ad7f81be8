/**
 * `tsbpf attach PID FILE.o`: into an app preloaded with `--import tsbpf/attach` (the agent's
 * socket, no inspector) and into one started bare (through the inspector); only the owner
 * or root may attach.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { agentDir, agentSocket } from "../../src/hooks/node/agent.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { connectAgent, inspectorOpen } from "../../src/hooks/node/remote.js";
import { startApp, until } from "./helpers.js";

const prog = new URL("./progs/dc-basic.bpf.o", import.meta.url).pathname;
const app = new URL("./apps/server.cjs", import.meta.url).pathname;
const get = (port: number, path: string) => new Promise<number>((res, rej) => http.get({ host: "127.0.0.1", port, path }, (r) => { r.resume(); r.on("end", () => res(r.statusCode!)); }).on("error", rej));

test("tsbpf attach reaches a preloaded app through its agent, prints its maps, and detaches", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", new URL("../../src/hooks/node/preload.ts", import.meta.url).pathname, app], { stdio: ["ignore", "pipe", "pipe"], cwd: new URL("../..", import.meta.url).pathname });
  try {
    const port = await new Promise<number>((res) => child.stdout!.once("data", (d) => res(Number(String(d).trim()))));
    const c = await connectAgent(child.pid!);
    assert.equal(c.via, "agent", "the preloaded agent answers, no inspector needed");
    c.close();
    const io = memoryIo();
    const run = main(["attach", String(child.pid), prog, "-i", "1", "-d", "1"], io);
    await until(() => io.stdout.includes("attached on_child"), run);
    for (let i = 0; i < 3; i++) assert.equal(await get(port, "/x"), 200);
    assert.equal(await run, 0, io.stderr);
    assert.match(io.stdout, new RegExp(`attached on_request to dc http.server.request.start in process ${child.pid}\\n`));
    // counts[3] (http.server.request.start) and counts[4] (response.finish) are 3.
    assert.match(io.stdout, /map counts:\n(?:.*\n)*key: 03 00 00 00 {2}value: 03 00 00 00 00 00 00 00\nkey: 04 00 00 00 {2}value: 03 00 00 00 00 00 00 00\n/);
    assert.match(io.stdout, /detached from process \d+\n$/);
    assert.equal(await inspectorOpen(), false);
  } finally {
    child.kill();
  }
});

test("attaching to a process of another user is refused (unless root), and to a missing one", async () => {
  await assert.rejects(connectAgent(0x3fffffff), /process 1073741823: no such process/);
  if ((process.geteuid?.() ?? 0) === 0) return; // root may attach to anyone, as with a debugger
  await assert.rejects(connectAgent(1), /only its owner or root may attach/);
});

test("an agent socket that accepts and hangs up (an agent closing) is passed over for the inspector", async () => {
  const app = await startApp();
  // What a connect meets when it lands in the backlog of an agent that is uninstalling.
  mkdirSync(agentDir(app.pid), { recursive: true, mode: 0o700 });
  const closing = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => closing.listen(agentSocket(app.pid), r));
  try {
    const c = await connectAgent(app.pid);
    assert.equal(c.via, "inspector", "the connect succeeded, but nothing answered on it");
    assert.equal((await c.request("hello")).pid, app.pid);
    await c.request("uninstall");
    c.close();
  } finally {
    closing.close();
    await app.stop();
  }
});
