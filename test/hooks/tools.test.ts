/**
 * Each tool against a real Node app started without tsbpf (test/hooks/apps/server.cjs),
 * attached from outside with -p PID: the output must show what the app really did (the
 * children it started, the files it touched, the function calls made, the denials).
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { parseRules } from "../../src/tools/policy.js";
import { type App, startApp, until } from "./helpers.js";

let app: App;
before(async () => { app = await startApp(); });
after(async () => { await app.stop(); });

/** Runs `tsbpf tools ARGS` against the app; `work` runs once it is attached. */
async function tool(args: string[], work: () => Promise<void>): Promise<string> {
  const io = memoryIo();
  const run = main(["tools", ...args.slice(0, 1), "-p", String(app.pid), ...args.slice(1)], io);
  await until(() => io.stdout.length > 0 || io.stderr !== "", run);
  await work();
  assert.equal(await run, 0, io.stderr);
  return io.stdout;
}

test("execsnoop prints each child the app starts, with its pid and arguments", async () => {
  const out = await tool(["execsnoop", "2"], async () => {
    assert.equal((await app.get("/spawn/%2Fbin%2Fecho")).body, "tsbpf-arg\n");
    assert.equal((await app.get("/spawn/%2Fbin%2Ftrue")).status, 200);
  });
  const lines = out.trim().split("\n");
  assert.match(lines[0]!, /^PCOMM {12}PID {5}PPID {4}RET ARGS$/);
  assert.equal(lines.length, 3, out);
  assert.match(lines[1]!, new RegExp(`^echo +\\d+ +${app.pid} +0 /bin/echo tsbpf-arg$`));
  assert.match(lines[2]!, new RegExp(`^true +\\d+ +${app.pid} +0 /bin/true tsbpf-arg$`));
});

test("fssnoop prints the app's fs calls with their paths", async () => {
  const out = await tool(["fssnoop", "2"], async () => {
    assert.equal((await app.get("/file/a.txt")).body, "data:a.txt");
    assert.equal((await app.get("/open/missing.txt")).status, 404);
    assert.equal((await app.get("/cb/a.txt")).body, "data:a.txt");
  });
  const f = join(app.dir, "a.txt");
  assert.match(out, new RegExp(`fs\\.writeFileSync +\\d+\\.\\d{3} +0 ${f}\\n`));
  assert.match(out, new RegExp(`fs\\.promises\\.readFile +\\d+\\.\\d{3} +0 ${f}\\n`));
  assert.match(out, new RegExp(`fs\\.promises\\.readFile +\\d+\\.\\d{3} +1 ${join(app.dir, "missing.txt")}\\n`), "the failed read, ERR 1");
  assert.match(out, new RegExp(`fs\\.readFile +\\d+\\.\\d{3} +0 ${f}\\n`), "the callback API, timed until its callback");
});

test("funclatency times the function calls the app makes", async () => {
  // -d 4: time enough for five requests on a loaded machine.
  const out = await tool(["funclatency", "-u", "-d", "4", "fs.writeFileSync"], async () => {
    for (let i = 0; i < 5; i++) await app.get(`/file/f${i}`);
  });
  assert.match(out, /^Tracing 1 functions for "fs.writeFileSync"... Hit Ctrl-C to end.\n/);
  assert.match(out, /\n     usecs {15}: count {5}distribution\n/);
  assert.match(out, /\navg = \d+ usecs, total: \d+ usecs, count: 5\nDetaching...\n$/);
});

test("gcstat shows the pauses of the app's collections", async () => {
  const out = await tool(["gcstat", "2", "1"], async () => {
    // 40 MB of short-lived arrays: the young generation fills, so scavenges happen.
    for (let i = 0; i < 10; i++) await app.get("/alloc/4");
  });
  assert.match(out, /^Tracing GC pauses of process \d+\.\.\. Hit Ctrl-C to end\.\n/);
  // Some collection happens, of some kind.
  assert.match(out, /\nkind = (minor|major|incremental|weakcb)\n     usecs {15}: count {5}distribution\n/, out);
});

test("profile -f folds the app's sampled stacks, the busy route on top", async () => {
  const out = await tool(["profile", "-F", "199", "-f", "2"], async () => {
    for (let i = 0; i < 6; i++) await app.get("/spin/100");
  });
  const lines = out.trim().split("\n").map((l) => { const i = l.lastIndexOf(" "); return { stack: l.slice(0, i), n: Number(l.slice(i + 1)) }; });
  const total = lines.reduce((a, b) => a + b.n, 0);
  // The route's handler or spin (which V8 may inline into it, and then shows no frame of its own).
  const spin = lines.filter((l) => /\(.*server\.cjs:(8|9)\)$/.test(l.stack)).reduce((a, b) => a + b.n, 0);
  // Of the JS stacks (not V8's "(garbage collector)" and the like), the busiest ends there.
  const js = lines.filter((l) => !l.stack.startsWith("(")).sort((a, b) => b.n - a.n);
  assert.ok(spin >= 10 && /\(.*server\.cjs:(8|9)\)$/.test(js[0]!.stack), `${spin} of ${total} samples end in the spinning route:\n${out}`);
});

test("policy denies what its rules name, in the running app, and prints the denials", async () => {
  const rules = join(mkdtempSync(join(tmpdir(), "tsbpf-rules-")), "rules");
  writeFileSync(rules, `# no secrets, no shells\ndeny fs.open ${join(app.dir, "secret")}\ndeny child_process.spawn /bin/ech\n`);
  writeFileSync(join(app.dir, "secret.txt"), "s");
  writeFileSync(join(app.dir, "public.txt"), "p");
  const out = await tool(["policy", rules, "2"], async () => {
    assert.equal((await app.get("/open/secret.txt")).status, 403, "the forbidden open fails with EPERM in the app");
    assert.equal((await app.get("/open/public.txt")).body, "p");
    assert.equal((await app.get("/spawn/%2Fbin%2Fecho")).status, 403);
  });
  assert.match(out, /^Enforcing 2 rules in process \d+\.\.\. Hit Ctrl-C to end\.\n/);
  assert.match(out, new RegExp(`fs\\.open +fs\\.promises\\.readFile +${join(app.dir, "secret.txt")}\\n`));
  assert.match(out, /child_process\.spawn +child_process\.spawn +\/bin\/echo\n/);
  // The tool has gone: its policy with it, and the app opens the file again.
  assert.equal((await app.get("/open/secret.txt")).body, "s");
  assert.throws(() => parseRules("allow fs.open /x"), /rules:1: a rule starts with deny/);
  assert.throws(() => parseRules("deny fs.chmod /x"), /unknown operation fs.chmod/);
});

test("tools without a process, or unknown, say so; help lists each tool's options", async () => {
  const io = memoryIo();
  assert.notEqual(await main(["tools", "httplat"], io), 0);
  assert.match(io.stderr, /httplat: name the Node process to trace with -p PID/);
  const io2 = memoryIo();
  assert.equal(await main(["tools", "nope"], io2), 2);
  assert.match(io2.stderr, /unknown tool nope/);
  const io3 = memoryIo();
  assert.equal(await main(["tools", "help", "httplat"], io3), 0);
  assert.match(io3.stdout, /^usage: tsbpf tools httplat -p PID \[-m\] \[-R\] \[-T\] \[interval \[count\]\]/);
});
