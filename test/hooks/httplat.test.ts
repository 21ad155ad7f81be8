/**
 * httplat against a real HTTP server started without tsbpf: attached from outside (SIGUSR1,
 * the inspector, closed again), its histogram counts exactly the requests served while
 * attached, through 10,000 requests with detach and re-attach; detached, the app is as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { existsSync } from "node:fs";
import { agentSocket } from "../../src/hooks/node/agent.js";
import { connectAgent, inspectorOpen } from "../../src/hooks/node/remote.js";
import { histSections, ToolSession, toolConfig, ZERO_KEY } from "../../src/tools/common.js";
import { log2Hist, stars } from "../../src/tools/hist.js";
import { httplat } from "../../src/tools/httplat.js";
import { startApp, until } from "./helpers.js";

test("log2 histograms print as BCC's print_log2_hist", () => {
  assert.deepEqual(log2Hist([0, 1, 0, 4, 2], "usecs"), [
    "     usecs               : count     distribution",
    "         0 -> 1          : 1        |**********                              |",
    "         2 -> 3          : 0        |                                        |",
    "         4 -> 7          : 4        |****************************************|",
    "         8 -> 15         : 2        |********************                    |",
  ]);
  assert.equal(stars(3, 7, 40), "*****************");
  assert.deepEqual(log2Hist([0, 0, 0], "usecs"), []);
});

test("tsbpf tools httplat -p PID 1 1 attaches from outside, prints the histogram of the requests, and detaches", async () => {
  const app = await startApp();
  try {
    const io = memoryIo();
    const run = main(["tools", "httplat", "-p", String(app.pid), "1", "1"], io);
    await until(() => io.stdout.includes("Tracing") || io.stderr !== "", run);
    assert.equal(await inspectorOpen(), false, "the inspector is closed once the agent is in");
    for (let i = 0; i < 20; i++) assert.equal((await app.get(`/r${i}`)).status, 200);
    assert.equal(await run, 0, io.stderr);
    const lines = io.stdout.split("\n");
    assert.equal(lines[0], `Tracing HTTP server requests of process ${app.pid}... Hit Ctrl-C to end.`);
    const header = lines.findIndex((l) => l.startsWith("     usecs "));
    assert.ok(header > 0, io.stdout);
    const total = lines.slice(header + 1).reduce((n, l) => n + Number(/: (\d+) /.exec(l)?.[1] ?? 0), 0);
    assert.equal(total, 20, io.stdout);
    // Detached: the agent the attach installed is gone, and nothing is left subscribed.
    await until(() => !existsSync(agentSocket(app.pid)));
    const c = await connectAgent(app.pid);
    const hello = await c.request("hello");
    assert.deepEqual([hello.subscribed, hello.links], [[], 0]);
    c.close();
  } finally {
    await app.stop();
  }
});

test("10,000 requests while httplat is attached, detached and attached again: none fails, each served while attached counted once", async () => {
  const app = await startApp();
  const conn = await connectAgent(app.pid);
  try {
    const s = await ToolSession.open(conn, "httplat");
    await s.set("config", ZERO_KEY, toolConfig({ unitNs: 1000 }));
    let failed = 0;
    const burst = async (n: number) => {
      // 8 requests in flight at a time, all of them done before the next step.
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < n) { next++; if ((await app.get("/x")).status !== 200) failed++; }
      }));
    };
    await s.attach("httplat");
    await burst(4000);
    await conn.request("detach", { link: s.links.pop() });
    await burst(2000);
    await s.attach("httplat");
    await burst(4000);
    const total = [...histSections(await s.entries("hist")).values()].flat().reduce((a, b) => a + b, 0);
    assert.equal(failed, 0);
    assert.equal(total, 8000, "histogram total == requests served while attached");
    await s.close();
  } finally {
    conn.close();
    await app.stop();
  }
});

test("httplat -R keeps one histogram per route", async () => {
  const app = await startApp();
  try {
    const io = memoryIo();
    const run = httplat(["-R", "-p", String(app.pid), "1", "1"], io);
    await until(() => io.stdout.includes("Tracing") || io.stderr !== "", run);
    for (let i = 0; i < 3; i++) await app.get("/a");
    await app.get("/spin/6");
    assert.equal(await run, 0);
    assert.match(io.stdout, /\nroute = GET \/a\n     usecs {15}: count {5}distribution\n/);
    // /spin/6 spins 5 to 6 ms: its one request lies in 4096 -> 8191 usecs (up to 32767 on a loaded machine).
    assert.match(io.stdout, /route = GET \/spin\/6\n(?:.*\n)*?\s+(4096 -> 8191|8192 -> 16383|16384 -> 32767)\s+: 1 /);
  } finally {
    await app.stop();
  }
});
