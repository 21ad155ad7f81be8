/**
 * @fileoverview Network attach on the real kernel: two network namespaces joined by a
 * veth pair the test makes and removes. XDP dropping ICMP makes ping fail and counts
 * the drops, detaching restores ping; tcx programs mark and count in the order asked;
 * a socket filter drops datagrams on a socket; cgroup sock_create programs count and
 * refuse sockets. Every test ends with the fd count it began with.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync, rmdirSync, unlinkSync } from "node:fs";
import { after, before, test } from "node:test";
import { loadObject, loadObjectSpec, type BpfObject } from "../../src/object/index.js";
import {
  AttachError, attachAll, attachSockmap, BPFFS_PATH, ensureBpffs, KernelLink, attachCgroup, attachKprobe, attachSocketFilter, attachTcx, attachXdp, ifindexOf,
  linkIds, netlinkXdpAttach, tcAttach, tcList, netlinkXdpDetach, netlinkXdpList, withNetns, type KernelMap, type KernelProgram,
} from "../../src/kernel/index.js";
import { progQuery } from "../../src/kernel/link-bpf.js";
import { attachTypeId } from "../../src/programs/types.js";
import { openFds, readU64, skip as noKernel, u32 } from "./helpers.js";

const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const skip = noKernel || (process.getuid?.() !== 0 ? "needs root" : false)
  || (!has("ip") ? "needs iproute2 (ip)" : false) || (!has("ping") ? "needs iputils-ping" : false);

const tag = `tsbpf${process.pid}`;
const NS_A = `${tag}a`, NS_B = `${tag}b`;
const VETH_A = `${tag.slice(0, 10)}a`, VETH_B = `${tag.slice(0, 10)}b`;
const ADDR_A = "10.203.0.1", ADDR_B = "10.203.0.2";
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
const inA = (...cmd: string[]) => spawnSync("ip", ["netns", "exec", NS_A, ...cmd], { encoding: "utf8", timeout: 10_000 });

/** Pings B from A: how many echo requests went out and how many replies came back. */
function ping(count: number): { sent: number; received: number } {
  const r = inA("ping", "-c", String(count), "-i", "0.2", "-W", "1", "-q", ADDR_B);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  assert.ok(m, `ping printed no summary: ${r.stdout}${r.stderr}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

let obj: BpfObject<KernelProgram, KernelMap> | undefined;
let spec: ReturnType<typeof loadObjectSpec>;
const counter = (slot: number): bigint => readU64(obj!.maps.get("counters")!.get(u32(slot))!);
const resetCounters = () => { for (let i = 0; i < 4; i++) obj!.maps.get("counters")!.set(u32(i), new Uint8Array(8)); };
const prog = (name: string) => obj!.programs.get(name)!;

before(async () => {
  if (skip) return;
  ip("netns", "add", NS_A);
  ip("netns", "add", NS_B);
  ip("link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B);
  ip("-n", NS_A, "addr", "add", `${ADDR_A}/24`, "dev", VETH_A);
  ip("-n", NS_B, "addr", "add", `${ADDR_B}/24`, "dev", VETH_B);
  for (const [ns, dev] of [[NS_A, VETH_A], [NS_B, VETH_B]] as const) {
    ip("-n", ns, "link", "set", dev, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  }
  spec = loadObjectSpec(new Uint8Array(readFileSync(new URL("./fixtures/attach-net.bpf.o", import.meta.url))), { name: "attach-net" });
  obj = await loadObject(spec, { engine: "kernel" });
});

after(() => {
  obj?.close();
  if (skip) return;
  // Deleting a namespace deletes its end of the pair, and so the pair.
  for (const ns of [NS_A, NS_B]) spawnSync("ip", ["netns", "del", ns]);
});

test("ping works between the namespaces before anything is attached", { skip }, () => {
  assert.equal(ping(2).received, 2);
});

test("XDP dropping ICMP makes ping fail and counts every drop; detaching restores ping", { skip }, () => {
  const fds = openFds();
  resetCounters();
  const link = withNetns(NS_B, () => attachXdp(prog("xdp_drop_icmp"), VETH_B));
  try {
    const info = link.info();
    assert.equal(info.typeName, "xdp");
    assert.equal(info.ifindex, withNetns(NS_B, () => ifindexOf(VETH_B)));
    assert.equal(info.progId, prog("xdp_drop_icmp").info().id);
    assert.ok([...linkIds()].includes(info.id));
    const r = ping(3);
    assert.equal(r.received, 0);
    assert.equal(counter(0), BigInt(r.sent));
    // A second XDP link on the same interface is refused, in words.
    assert.throws(() => withNetns(NS_B, () => attachXdp(prog("xdp_pass"), VETH_B)),
      (e: unknown) => e instanceof AttachError && e.errnoName === "EBUSY" || e instanceof AttachError && e.errnoName === "EEXIST");
  } finally {
    link.close();
  }
  assert.equal(ping(2).received, 2);
  assert.equal(openFds(), fds);
});

test("a pinned XDP link outlives its fd, and is updated in place through the pin", { skip }, () => {
  const fds = openFds();
  resetCounters();
  ensureBpffs();
  const pin = `${BPFFS_PATH}/${tag}-xdp-link`;
  const link = withNetns(NS_B, () => attachXdp(prog("xdp_drop_icmp"), VETH_B, { mode: "generic" }));
  try {
    link.pin(pin);
  } finally {
    link.close();
  }
  try {
    assert.equal(ping(1).received, 0); // the pin keeps the program attached
    const again = KernelLink.fromPin(pin);
    try {
      again.update(prog("xdp_pass"));
      assert.equal(again.info().progId, prog("xdp_pass").info().id);
      assert.equal(ping(2).received, 2);
      assert.equal(counter(0), 1n);
      again.update(prog("xdp_drop_icmp"));
      again.detach(); // detached although the pin still holds the link
      assert.equal(ping(1).received, 1);
    } finally {
      again.close();
    }
  } finally {
    unlinkSync(pin);
  }
  assert.equal(openFds(), fds);
});

test("XDP through netlink (as iproute2 and bpftool net attach) drops until detached, and is listed", { skip }, () => {
  const fds = openFds();
  resetCounters();
  const id = prog("xdp_drop_icmp").info().id;
  withNetns(NS_B, () => netlinkXdpAttach(prog("xdp_drop_icmp").fd, VETH_B, { mode: "generic" }));
  try {
    assert.deepEqual(withNetns(NS_B, () => netlinkXdpList()), [{ ifindex: withNetns(NS_B, () => ifindexOf(VETH_B)), devname: VETH_B, mode: "generic", progId: id }]);
    assert.throws(() => withNetns(NS_B, () => netlinkXdpAttach(prog("xdp_pass").fd, VETH_B, { mode: "generic" })), /already attached .*overwrite/);
    const r = ping(2);
    assert.equal(r.received, 0);
    assert.equal(counter(0), BigInt(r.sent));
  } finally {
    withNetns(NS_B, () => netlinkXdpDetach(VETH_B, { mode: "generic" }));
  }
  assert.deepEqual(withNetns(NS_B, () => netlinkXdpList(VETH_B)), []);
  assert.equal(ping(1).received, 1);
  assert.equal(openFds(), fds);
});

test("tcx runs programs in the order asked: a marker placed before a counter", { skip }, () => {
  const fds = openFds();
  resetCounters();
  // The counter first, then the marker before it: the marker must still run first.
  const counterLink = withNetns(NS_B, () => attachTcx(prog("tc_count_marked"), VETH_B, "ingress"));
  const markerLink = withNetns(NS_B, () => attachTcx(prog("tc_mark"), VETH_B, "ingress", { before: counterLink }));
  try {
    const q = withNetns(NS_B, () => progQuery(ifindexOf(VETH_B), attachTypeId("tcx_ingress")));
    assert.deepEqual(q.progIds, [prog("tc_mark").info().id, prog("tc_count_marked").info().id]);
    assert.deepEqual(q.linkIds, [markerLink.info().id, counterLink.info().id]);
    assert.equal(markerLink.info().typeName, "tcx");
    assert.equal(markerLink.info().attachType, "tcx_ingress");
    const r = ping(3);
    assert.equal(r.received, 3);
    assert.equal(counter(1), 3n); // echo requests marked on B's ingress
    assert.equal(counter(2), 3n); // and seen marked by the program after
  } finally {
    markerLink.close();
    counterLink.close();
  }
  assert.equal(openFds(), fds);
});

test("legacy tc through netlink: clsact filters in priority order mark and count, listed as bpftool lists them", { skip }, () => {
  const fds = openFds();
  resetCounters();
  const mark = withNetns(NS_B, () => tcAttach(prog("tc_mark").fd, VETH_B, "ingress", { priority: 1 }));
  const count = withNetns(NS_B, () => tcAttach(prog("tc_count_marked").fd, VETH_B, "ingress", { priority: 2 }));
  try {
    assert.throws(() => withNetns(NS_B, () => tcAttach(prog("tc_mark").fd, VETH_B, "ingress", { priority: 1 })), /already there \(use replace\)/);
    const listed = withNetns(NS_B, () => tcList(VETH_B));
    assert.deepEqual(listed.map((f) => [f.priority, f.progId, f.name]), [
      [1, prog("tc_mark").info().id, `tc_mark:[${prog("tc_mark").info().id}]`],
      [2, prog("tc_count_marked").info().id, `tc_count_marked:[${prog("tc_count_marked").info().id}]`],
    ]);
    const theirs = JSON.parse(execFileSync("ip", ["netns", "exec", NS_B, "bpftool", "-j", "net", "list", "dev", VETH_B], { encoding: "utf8" }))[0].tc;
    assert.deepEqual(theirs.map((t: { id: number }) => t.id), listed.map((f) => f.progId));
    const r = ping(3);
    assert.equal(r.received, 3);
    assert.equal(counter(1), 3n);
    assert.equal(counter(2), 3n);
  } finally {
    count.close();
    mark.close();
  }
  assert.deepEqual(withNetns(NS_B, () => tcList(VETH_B)), []);
  assert.equal(openFds(), fds);
});

test("attachAll puts xdp and tc sections on the interface given, and skips the rest with reasons", { skip }, () => {
  const fds = openFds();
  resetCounters();
  const all = withNetns(NS_B, () => attachAll(obj!.programs, spec.programs, { interface: VETH_B, skip: ["xdp_pass"] }));
  try {
    assert.deepEqual([...all.links.keys()].sort(), ["tc_count_marked", "tc_mark", "xdp_drop_icmp"]);
    assert.deepEqual(all.skipped.map((s) => s.program).sort(), ["cg_count_socks", "cg_deny_socks", "msg_pass", "sock_drop_word", "xdp_pass"]);
    assert.match(all.skipped.find((s) => s.program === "cg_count_socks")!.reason, /needs a cgroup/);
    assert.equal(ping(2).received, 0);
    assert.equal(counter(0), 2n);
  } finally {
    all.close();
  }
  assert.equal(ping(1).received, 1);
  assert.equal(openFds(), fds);
});

test("a socket filter drops the datagrams it returns 0 for, until detached", { skip }, async () => {
  const fds = openFds();
  const sock = withNetns(NS_B, () => createSocket("udp4"));
  const got: string[] = [];
  sock.on("message", (m) => got.push(m.toString()));
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
  const port = sock.address().port;
  const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
  const filter = attachSocketFilter(prog("sock_drop_word"), fd);
  const sendAll = async (words: string[]) => {
    const out = withNetns(NS_B, () => createSocket("udp4"));
    for (const w of words) await new Promise((res) => out.send(w, port, "127.0.0.1", res));
    out.close();
    await new Promise((res) => setTimeout(res, 100));
  };
  await sendAll(["keep1", "drop", "keep2"]);
  assert.deepEqual(got, ["keep1", "keep2"]);
  filter.close();
  await sendAll(["drop"]);
  assert.deepEqual(got, ["keep1", "keep2", "drop"]);
  sock.close();
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(openFds(), fds);
});

// cgroup v2 has cgroup.controllers; a hybrid system mounts it at .../unified.
const CGROUP_ROOT = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].find((d) => existsSync(`${d}/cgroup.controllers`));
const hasPython = has("python3");

test("cgroup sock_create programs count a child's sockets, and a refusing one makes socket() fail", { skip: skip || (!CGROUP_ROOT ? "no cgroup v2 mount" : !hasPython ? "needs python3" : false) }, () => {
  const fds = openFds();
  resetCounters();
  const dir = `${CGROUP_ROOT}/${tag}`;
  mkdirSync(dir);
  // The child moves itself into the cgroup, then opens five sockets.
  const child = (code: string) => spawnSync("sh", ["-c", `echo $$ > ${dir}/cgroup.procs && exec python3 -c '${code}'`], { encoding: "utf8" });
  try {
    const count = attachCgroup(prog("cg_count_socks"), dir, "cgroup_inet_sock_create");
    try {
      assert.equal(count.info().typeName, "cgroup");
      const r = child("import socket\nfor _ in range(5): socket.socket()");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(counter(3), 5n);
    } finally {
      count.close();
    }
    const deny = attachCgroup(prog("cg_deny_socks"), dir, "cgroup_inet_sock_create");
    try {
      const r = child("import socket\ntry:\n  socket.socket(); print(\"made\")\nexcept PermissionError: print(\"refused\")");
      assert.equal(r.stdout.trim(), "refused");
    } finally {
      deny.close();
    }
    assert.equal(child("import socket\nsocket.socket(); print(\"made\")").stdout.trim(), "made");
  } finally {
    rmdirSync(dir);
  }
  assert.equal(openFds(), fds);
});

test("an sk_msg program goes on a sockmap as a sockmap link, shown with the map", { skip }, () => {
  const fds = openFds();
  const map = obj!.maps.get("socks")!;
  const link = attachSockmap(prog("msg_pass"), map, "sk_msg_verdict");
  try {
    const info = link.info();
    assert.equal(info.typeName, "sockmap");
    assert.equal(info.mapId, map.info().id);
    assert.equal(info.attachType, "sk_msg_verdict");
    // The same program twice on the same map and hook is refused in words.
    assert.throws(() => attachSockmap(prog("msg_pass"), map, "sk_msg_verdict"), (e: unknown) => e instanceof AttachError);
  } finally {
    link.close();
  }
  assert.equal(openFds(), fds);
});

test("a kprobe on this kernel is refused with the reason, not an errno", { skip }, () => {
  if (existsSync("/sys/bus/event_source/devices/kprobe")) return;
  assert.throws(() => attachKprobe(prog("xdp_pass"), "do_sys_openat2"), /kprobes are not available on this kernel: CONFIG_KPROBE_EVENTS is off/);
});
