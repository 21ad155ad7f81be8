/**
 * @fileoverview tsbpf's bpftool-idiom commands against the real bpftool on the same
 * kernel objects: prog/map/link/cgroup/net show and map dump print the same text and
 * the same JSON keys and values; what tsbpf writes (map update, net attach, cgroup
 * attach) bpftool reads back. And `tsbpf trace` streams a child's exec.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, rmdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { tracelog } from "../../src/cli/bpftool-prog.js";
import { memoryIo } from "../../src/cli/io.js";
import { BPFFS_PATH, ensureBpffs, KernelProgram, tcAttach, withNetns } from "../../src/kernel/index.js";
import { openFds, skip as noKernel } from "../kernel/helpers.js";

const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const skip = noKernel || (process.getuid?.() !== 0 ? "needs root" : false) || (!has("bpftool") ? "needs bpftool" : false);
const fixture = (name: string) => new URL(`../kernel/fixtures/${name}`, import.meta.url).pathname;

const ROOT = `${BPFFS_PATH}/tsbpf-cli-${process.pid}`;
const bpftool = (...args: string[]) => execFileSync("bpftool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

async function tsbpf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** loaded_at is computed from the boot time by each tool, and may differ by a second. */
function sameProgJson(a: Record<string, unknown>, b: Record<string, unknown>): void {
  assert.ok(Math.abs((a.loaded_at as number) - (b.loaded_at as number)) <= 1, `loaded_at ${a.loaded_at} vs ${b.loaded_at}`);
  assert.deepEqual({ ...a, loaded_at: 0 }, { ...b, loaded_at: 0 });
}
const noLoadedAt = (text: string) => text.replace(/loaded_at \S+/g, "loaded_at T");

before(async () => {
  if (skip) return;
  ensureBpffs();
  mkdirSync(ROOT, { recursive: true });
  const r = await tsbpf("prog", "loadall", fixture("attach-net.bpf.o"), `${ROOT}/net`, "pinmaps", `${ROOT}/netmaps`);
  assert.equal(r.code, 0, r.err);
});

after(() => {
  if (!skip) rmSync(ROOT, { recursive: true, force: true });
});

test("prog show: the same text and JSON as bpftool for every program tsbpf loaded and pinned", { skip }, async () => {
  const fds = openFds();
  for (const prog of ["xdp_drop_icmp", "tc_mark", "sock_drop_word", "cg_count_socks"]) {
    const path = `${ROOT}/net/${prog}`;
    const mine = await tsbpf("-j", "prog", "show", "pinned", path);
    assert.equal(mine.code, 0, mine.err);
    sameProgJson(JSON.parse(mine.out), JSON.parse(bpftool("-j", "prog", "show", "pinned", path)));
    const text = await tsbpf("prog", "show", "pinned", path);
    assert.equal(noLoadedAt(text.out), noLoadedAt(bpftool("prog", "show", "pinned", path)));
    // -f adds where the program is pinned, found by walking the bpffs mounts.
    sameProgJson(JSON.parse((await tsbpf("-f", "-j", "prog", "show", "pinned", path)).out), JSON.parse(bpftool("-f", "-j", "prog", "show", "pinned", path)));
    const pretty = await tsbpf("prog", "show", "pinned", path, "-p");
    assert.match(pretty.out, /^\{\n {4}"id": \d+,/);
  }
  const all = JSON.parse((await tsbpf("prog", "list", "-j")).out) as Record<string, unknown>[];
  const theirs = JSON.parse(bpftool("-j", "prog", "list")) as Record<string, unknown>[];
  const id = JSON.parse(bpftool("-j", "prog", "show", "pinned", `${ROOT}/net/tc_mark`)).id;
  sameProgJson(all.find((p) => p.id === id)!, theirs.find((p) => p.id === id)!);
  // name and tag select programs as in bpftool.
  const byName = JSON.parse((await tsbpf("-j", "prog", "show", "name", "tc_count_marked")).out);
  assert.equal((Array.isArray(byName) ? byName[0] : byName).name, "tc_count_marked");
  assert.equal(openFds(), fds);
});

test("prog dump xlated: the same instructions as bpftool's listing", { skip }, async () => {
  const fds = openFds();
  const path = `${ROOT}/net/xdp_drop_icmp`;
  const theirs = bpftool("prog", "dump", "xlated", "pinned", path).split("\n").filter((l) => /^\s*\d+: /.test(l));
  const mine = (await tsbpf("prog", "dump", "xlated", "pinned", path)).out.trimEnd().split("\n");
  assert.deepEqual(mine, theirs);
  assert.equal(openFds(), fds);
});

test("map show, update, lookup and dump agree with bpftool", { skip }, async () => {
  const fds = openFds();
  const path = `${ROOT}/netmaps/counters`;
  assert.deepEqual(JSON.parse((await tsbpf("-j", "map", "show", "pinned", path)).out), JSON.parse(bpftool("-j", "map", "show", "pinned", path)));
  assert.equal((await tsbpf("map", "show", "pinned", path)).out, bpftool("map", "show", "pinned", path));
  assert.equal((await tsbpf("-f", "map", "show", "pinned", path)).out, bpftool("-f", "map", "show", "pinned", path));
  const up = await tsbpf("map", "update", "pinned", path, "key", "2", "0", "0", "0", "value", "hex", "2a", "00", "00", "00", "00", "00", "00", "01");
  assert.equal(up.code, 0, up.err);
  assert.equal(bpftool("map", "lookup", "pinned", path, "key", "2", "0", "0", "0"), (await tsbpf("map", "lookup", "pinned", path, "key", "2", "0", "0", "0")).out);
  assert.deepEqual(JSON.parse((await tsbpf("-j", "map", "dump", "pinned", path)).out), JSON.parse(bpftool("-j", "map", "dump", "pinned", path)));
  assert.equal((await tsbpf("map", "dump", "pinned", path)).out, bpftool("map", "dump", "pinned", path));
  // Bad input is refused in bpftool's words.
  const bad = await tsbpf("map", "lookup", "pinned", path, "key", "1", "2");
  assert.equal(bad.code, 1);
  assert.match(bad.err, /key expected 4 bytes got 2/);
  const wrongKind = await tsbpf("map", "show", "pinned", `${ROOT}/net/tc_mark`);
  assert.match(wrongKind.err, /incorrect object type: prog/);
  assert.equal(openFds(), fds);
});

test("link list: tsbpf's autoattach links read the same in both tools", { skip }, async () => {
  const fds = openFds();
  const r = await tsbpf("prog", "loadall", fixture("attach-trace.bpf.o"), `${ROOT}/trace`, "autoattach");
  assert.equal(r.code, 0, r.err);
  try {
    const theirs = JSON.parse(bpftool("-j", "link", "list")) as Record<string, unknown>[];
    const mine = JSON.parse((await tsbpf("-j", "link", "list")).out) as Record<string, unknown>[];
    const pinnedIds = ["raw_exec", "tp_exec", "stress_submit"].map((p) => JSON.parse(bpftool("-j", "link", "show", "pinned", `${ROOT}/trace/${p}`)).id as number);
    for (const id of pinnedIds) {
      const t = theirs.find((l) => l.id === id)!, m = mine.find((l) => l.id === id)!;
      // Every key bpftool prints, tsbpf prints with the same value (newer link types may add keys).
      for (const k of Object.keys(t)) assert.deepEqual(m[k], t[k], `link ${id} ${k}`);
    }
    const raw = pinnedIds[0]!;
    const text = (await tsbpf("link", "show", "id", String(raw))).out;
    assert.equal(text, bpftool("link", "show", "id", String(raw)));
  } finally {
    rmSync(`${ROOT}/trace`, { recursive: true, force: true });
  }
  assert.equal(openFds(), fds);
});

test("net attach through netlink: bpftool net list sees what tsbpf attached, in the same JSON", { skip: skip || (!has("ip") ? "needs iproute2" : false) }, async () => {
  const ns = `tsbpfcli${process.pid}`;
  execFileSync("ip", ["netns", "add", ns]);
  try {
    execFileSync("ip", ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    // The async commands do their work before their first await: all of it inside the namespace.
    const inNs = (...args: string[]) => withNetns(ns, () => tsbpf(...args));
    const a = await inNs("net", "attach", "xdpgeneric", "pinned", `${ROOT}/net/xdp_drop_icmp`, "dev", "v0");
    assert.equal(a.code, 0, a.err);
    const again = await inNs("net", "attach", "xdpgeneric", "pinned", `${ROOT}/net/xdp_pass`, "dev", "v0");
    assert.match(again.err, /already attached .*overwrite/);
    // And a legacy tc filter, which bpftool lists under tc.
    const filter = withNetns(ns, () => {
      const p = KernelProgram.fromPin(`${ROOT}/net/tc_mark`);
      try { return tcAttach(p.fd, "v0", "ingress"); } finally { p.close(); }
    });
    const theirs = execFileSync("ip", ["netns", "exec", ns, "bpftool", "-j", "net", "list"], { encoding: "utf8" });
    assert.equal(JSON.parse(theirs)[0].tc.length, 1);
    assert.deepEqual(JSON.parse((await inNs("-j", "net", "list")).out), JSON.parse(theirs));
    assert.equal((await inNs("net", "list")).out, execFileSync("ip", ["netns", "exec", ns, "bpftool", "net", "list"], { encoding: "utf8" }));
    filter.close();
    assert.equal((await inNs("net", "detach", "xdpgeneric", "dev", "v0")).code, 0);
    assert.deepEqual(JSON.parse(execFileSync("ip", ["netns", "exec", ns, "bpftool", "-j", "net", "list"], { encoding: "utf8" }))[0].xdp, []);
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
});

const CGROUP_ROOT = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].find((d) => existsSync(`${d}/cgroup.controllers`));

test("cgroup attach and show: the same table and JSON as bpftool cgroup show", { skip: skip || (!CGROUP_ROOT ? "no cgroup v2" : false) }, async () => {
  const fds = openFds();
  const dir = `${CGROUP_ROOT}/tsbpf-cli-${process.pid}`;
  mkdirSync(dir);
  try {
    assert.equal((await tsbpf("cgroup", "attach", dir, "sock_create", "pinned", `${ROOT}/net/cg_count_socks`, "multi")).code, 0);
    assert.equal((await tsbpf("cgroup", "attach", dir, "sock_create", "pinned", `${ROOT}/net/cg_deny_socks`, "multi")).code, 0);
    assert.deepEqual(JSON.parse((await tsbpf("-j", "cgroup", "show", dir)).out), JSON.parse(bpftool("-j", "cgroup", "show", dir)));
    assert.equal((await tsbpf("cgroup", "show", dir)).out, bpftool("cgroup", "show", dir));
    for (const p of ["cg_count_socks", "cg_deny_socks"]) assert.equal((await tsbpf("cgroup", "detach", dir, "sock_create", "pinned", `${ROOT}/net/${p}`)).code, 0);
    assert.equal(bpftool("cgroup", "show", dir), "");
  } finally {
    rmdirSync(dir);
  }
  assert.equal(openFds(), fds);
});

test("tsbpf trace streams a child's exec from the bundled example, formatted through BTF, then detaches and dumps the maps", { skip }, async () => {
  const fds = openFds();
  const io = memoryIo();
  const example = new URL("../../examples/exectrace.bpf.o", import.meta.url).pathname;
  const running = main(["trace", example, "--type", "events=exec_event", "--json", "--duration", "3"], io);
  // Children exec until the tracer has seen one of them.
  const pids: number[] = [];
  for (let i = 0; i < 40 && !pids.some((p) => io.stdout.includes(`"pid":${p},`)); i++) {
    await new Promise((res) => setTimeout(res, 100));
    const c = spawn("/bin/true");
    pids.push(c.pid!);
    await new Promise((res) => c.once("exit", res));
  }
  assert.equal(await running, 0);
  const lines = io.stdout.trim().split("\n");
  const records = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { map: string; data?: { pid: number; uid: number; comm: string } });
  const mine = records.filter((r) => r.map === "events" && pids.includes(r.data!.pid));
  assert.ok(mine.length >= 1, io.stderr);
  for (const r of mine) assert.deepEqual(r.data, { pid: r.data!.pid, uid: process.getuid!(), comm: "true" });
  assert.match(io.stderr, /attached trace_exec: raw_tp sched_process_exec/);
  // After the stream, the other maps as bpftool map dump prints them.
  const at = lines.indexOf("execs_by_uid:");
  assert.ok(at > 0, io.stdout.slice(-500));
  const dump = JSON.parse(lines.slice(at + 1).join("\n")) as { key: number; value: number }[];
  assert.ok(dump.find((e) => e.key === process.getuid!())!.value >= mine.length);
  assert.equal(bpftool("-j", "link", "list").includes("sched_process_exec"), false);
  for (let i = 0; i < 20 && openFds() !== fds; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(openFds(), fds);
});

test("prog tracelog prints what bpf_printk wrote, until interrupted", { skip }, async () => {
  const fds = openFds();
  const io = memoryIo();
  const ac = new AbortController();
  const reading = tracelog(io, ac.signal);
  const r = await tsbpf("prog", "loadall", fixture("attach-trace.bpf.o"), `${ROOT}/hello`);
  assert.equal(r.code, 0, r.err);
  const prog = KernelProgram.fromPin(`${ROOT}/hello/say_hello`);
  try {
    prog.testRun({ data: new Uint8Array(64) });
    for (let i = 0; i < 40 && !io.stdout.includes("tsbpf tracelog 4242"); i++) await new Promise((res) => setTimeout(res, 50));
  } finally {
    prog.close();
    ac.abort();
    rmSync(`${ROOT}/hello`, { recursive: true, force: true });
  }
  assert.equal(await reading, 0);
  assert.match(io.stdout, /bpf_trace_printk: tsbpf tracelog 4242/);
  assert.equal(openFds(), fds);
});

test("prog load autoattach pins the link at PATH; map pin and link pin pin by reference", { skip }, async () => {
  const fds = openFds();
  const example = new URL("../../examples/exectrace.bpf.o", import.meta.url).pathname;
  const r = await tsbpf("prog", "load", example, `${ROOT}/exec-link`, "pinmaps", `${ROOT}/exec-maps`, "autoattach");
  assert.equal(r.code, 0, r.err);
  try {
    const link = JSON.parse(bpftool("-j", "link", "show", "pinned", `${ROOT}/exec-link`));
    assert.equal(link.type, "raw_tracepoint");
    assert.equal(link.tp_name, "sched_process_exec");
    assert.equal((await tsbpf("link", "pin", "id", String(link.id), `${ROOT}/exec-link2`)).code, 0);
    assert.equal(JSON.parse(bpftool("-j", "link", "show", "pinned", `${ROOT}/exec-link2`)).id, link.id);
    const map = JSON.parse(bpftool("-j", "map", "show", "pinned", `${ROOT}/exec-maps/execs_by_uid`));
    assert.equal((await tsbpf("map", "pin", "id", String(map.id), `${ROOT}/exec-map2`)).code, 0);
    assert.equal(JSON.parse(bpftool("-j", "map", "show", "pinned", `${ROOT}/exec-map2`)).id, map.id);
    // The pinned link keeps tracing after tsbpf exited: an exec is counted.
    spawnSync("/bin/true");
    const dump = JSON.parse(bpftool("-j", "map", "dump", "pinned", `${ROOT}/exec-map2`)) as { formatted: { value: number } }[];
    assert.ok(dump.length > 0 && dump.every((e) => e.formatted.value > 0));
  } finally {
    for (const p of ["exec-link", "exec-link2", "exec-map2", "exec-maps"]) rmSync(`${ROOT}/${p}`, { recursive: true, force: true });
  }
  assert.equal(openFds(), fds);
});
