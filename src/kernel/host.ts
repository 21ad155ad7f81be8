/**
 * @fileoverview The host model of the process running tsbpf (Node on Linux): its pid,
 * uid, comm, cgroup and pid namespace as the kernel's helpers would report them for the
 * calling thread, for runs that should see what a kernel run sees (`setHost(space, nodeHost())`).
 */

import { readFileSync, statSync } from "node:fs";
import { fakeHost, type Host } from "../helpers/host.js";

/** The cgroup v2 id of `path` (under the unified hierarchy): the inode of its directory; the root is 1. */
function cgroupIds(path: string): bigint[] {
  const mount = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[f.indexOf("-") + 1] === "cgroup2")?.[4];
  const parts = path.split("/").filter(Boolean);
  const ids = [1n];
  for (let k = 1; k <= parts.length; k++) {
    if (!mount) break;
    try {
      ids.push(BigInt(statSync(`${mount}/${parts.slice(0, k).join("/")}`, { bigint: true }).ino));
    } catch {
      break;
    }
  }
  return ids;
}

/**
 * This process's main thread as a TaskModel, in a host with the system clock and the
 * CPU count left at one. Linux only; values it cannot read stay the fake host's.
 */
export function nodeHost(): Host {
  const host = fakeHost();
  const t = host.task;
  t.pid = t.tgid = process.pid;
  try {
    // In a pid namespace, the kernel's helpers report the outermost ids: NSpid's first.
    const status = readFileSync("/proc/self/status", "utf8");
    const first = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, "m").exec(status)?.[1] ?? NaN);
    if (first("NSpid") > 0) t.pid = first("NSpid");
    if (first("NStgid") > 0) t.tgid = first("NStgid");
  } catch { /* not Linux */ }
  t.uid = process.getuid?.() ?? 0;
  t.gid = process.getgid?.() ?? 0;
  try { t.comm = readFileSync("/proc/self/comm", "utf8").trim().slice(0, 15); } catch { /* not Linux */ }
  try {
    const line = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"));
    if (line) {
      t.cgroupAncestors = cgroupIds(line.slice(3));
      t.cgroupId = t.cgroupAncestors[t.cgroupAncestors.length - 1]!;
    }
  } catch { /* no cgroup v2 */ }
  try {
    const ns = statSync("/proc/self/ns/pid", { bigint: true });
    t.pidNs = { dev: ns.dev, ino: ns.ino, pid: process.pid, tgid: process.pid };
  } catch { /* no namespaces */ }
  return host;
}
