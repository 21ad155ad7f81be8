/**
 * The tools on the kernel's hooks (--engine kernel) against the same real Node app as the
 * in-process tools: both views must show the same children, and the kernel run must give
 * back every fd it opened.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import http from "node:http";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { TOOLS } from "../../src/tools/index.js";
import { kernelAvailable } from "../../src/kernel/available.js";
import { type App, startApp, until } from "./helpers.js";

const available = kernelAvailable();
const skip = !available.ok ? `no kernel backend here: ${available.reason}`
  : !existsSync("/sys/kernel/btf/vmlinux") ? "no kernel BTF (/sys/kernel/btf/vmlinux) for the CO-RE reads" : false;

let app: App | undefined;
before(async () => { if (!skip) app = await startApp(); });
after(async () => { await app?.stop(); });

/**
 * The fds of the kinds a kernel tool opens (bpf maps, programs, links, perf events, epoll),
 * by target: sockets and pipes of the app's HTTP client and the agent come and go on their own.
 */
/** A request to the app on a fresh connection: the helper's keep-alive sockets may be closed by the server's idle timeout between tests. */
const get = (path: string) => new Promise<{ status: number; body: string }>((res, rej) => {
  http.get({ host: "127.0.0.1", port: app!.port, path, agent: false }, (r) => {
    let body = "";
    r.setEncoding("utf8");
    r.on("data", (d) => (body += d));
    r.on("end", () => res({ status: r.statusCode!, body }));
  }).on("error", rej);
});

const openFds = (): string[] => readdirSync("/proc/self/fd").flatMap((fd) => {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return /^anon_inode:(bpf-|\[perf_event\]|\[eventpoll\])/.test(target) ? [target] : [];
  } catch {
    return []; // closed meanwhile (readdir's own fd among them)
  }
}).sort();

/**
 * Starts a tool without a duration, resolved once it is attached; `stop()` ends it as Ctrl-C
 * would (a last drain, then detach), so a slow attach on a loaded machine cannot eat the run.
 */
async function started(args: string[]): Promise<{ io: ReturnType<typeof memoryIo>; run: Promise<number>; stop: () => Promise<number> }> {
  const io = memoryIo();
  const ac = new AbortController();
  let attached = false;
  const run = TOOLS[args[0]!]!.run(args.slice(1), io, { signal: ac.signal, onAttached: () => (attached = true) });
  await until(() => attached, run);
  return { io, run, stop: () => { ac.abort(); return run; } };
}

/** PCOMM PID PPID RET ARGS rows, whitespace-normalised, sorted by pid. */
const rows = (out: string) => out.trim().split("\n").slice(1).map((l) => l.trim().split(/ +/))
  .sort((a, b) => Number(a[1]) - Number(b[1])).map((c) => c.join(" "));

test("execsnoop --engine kernel -p PID and the in-process execsnoop see the same children", { skip }, async () => {
  const fds = openFds();
  const node = await started(["execsnoop", "-p", String(app!.pid)]);
  const kernel = await started(["execsnoop", "--engine", "kernel", "-p", String(app!.pid)]);
  assert.equal((await get("/spawn/%2Fbin%2Fecho")).body, "tsbpf-arg\n");
  assert.equal((await get("/spawn/%2Fbin%2Ftrue")).status, 200);
  assert.equal(await kernel.stop(), 0, kernel.io.stderr);
  assert.equal(await node.stop(), 0, node.io.stderr);
  assert.match(kernel.io.stdout.split("\n")[0]!, /^PCOMM {12}PID {5}PPID {4}RET ARGS$/);
  const k = rows(kernel.io.stdout), n = rows(node.io.stdout);
  assert.equal(k.length, 2, kernel.io.stdout);
  assert.match(k[0]!, new RegExp(`^echo \\d+ ${app!.pid} 0 /bin/echo tsbpf-arg$`));
  assert.match(k[1]!, new RegExp(`^true \\d+ ${app!.pid} 0 /bin/true tsbpf-arg$`));
  assert.deepEqual(k, n, "the kernel's view and the process's own view agree, pids included");
  assert.deepEqual(openFds(), fds, "every map, program, link, perf event and epoll fd closed");
});

test("execsnoop --engine kernel without -p sees every exec on the machine, this test's own child too", { skip }, async () => {
  const { spawnSync } = await import("node:child_process");
  const fds = openFds();
  const kernel = await started(["execsnoop", "--engine", "kernel"]);
  const child = spawnSync("/bin/echo", ["tsbpf-kernel-view"]);
  assert.equal(child.status, 0);
  assert.equal(await kernel.stop(), 0, kernel.io.stderr);
  assert.match(kernel.io.stdout, new RegExp(`\\necho +${child.pid} +${process.pid} +0 /bin/echo tsbpf-kernel-view\\n`));
  assert.deepEqual(openFds(), fds);
});

test("funclatency --engine kernel times a function of the node binary in the app through a uprobe and uretprobe", { skip }, async () => {
  const fds = openFds();
  // Each /file request opens its file twice through libuv: writeFileSync, then promises.readFile.
  const lat = await started(["funclatency", "--engine", "kernel", "-u", "-p", String(app!.pid), `${realpathSync(process.execPath)}:uv_fs_open`]);
  for (let i = 0; i < 5; i++) assert.equal((await get(`/file/k${i}`)).body, `data:k${i}`);
  assert.equal(await lat.stop(), 0, lat.io.stderr);
  const out = lat.io.stdout;
  assert.match(out, /^Tracing 1 functions for ".*:uv_fs_open"\.\.\. Hit Ctrl-C to end\.\n/);
  assert.match(out, /\n     usecs {15}: count {5}distribution\n/);
  const counted = [...out.matchAll(/^ +\d+ -> \d+ +: (\d+) +\|/gm)].reduce((a, m) => a + Number(m[1]), 0);
  assert.equal(counted, 10, out);
  assert.match(out, /\navg = \d+ usecs, total: \d+ usecs, count: 10\nDetaching...\n$/);
  assert.deepEqual(openFds(), fds);
});

test("funclatency --engine kernel wants BINARY:SYMBOL and -p PID", async () => {
  const io = memoryIo();
  assert.notEqual(await main(["tools", "funclatency", "--engine", "kernel", "-p", "1", "fs.readFileSync"], io), 0);
  assert.match(io.stderr, /--engine kernel times BINARY:SYMBOL/);
});

test("execsnoop --engine refuses an engine it does not know", async () => {
  const io = memoryIo();
  const rc = await main(["tools", "execsnoop", "--engine", "wasm", "-p", "1"], io);
  assert.notEqual(rc, 0);
  assert.match(io.stderr, /--engine is node or kernel \(got wasm\)/);
});
