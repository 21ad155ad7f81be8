/**
 * @fileoverview Running a few synchronous kernel calls inside another network namespace
 * (`ip netns` names one by /run/netns/NAME): setns(2) on this thread, then back. An
 * ifindex and a socket's namespace are decided when they are used, so attaching XDP to
 * an interface of that namespace works from here.
 */

import { closeSync, existsSync, openSync } from "node:fs";
import { BpfError } from "../errors.js";
import { errnoName } from "./errno.js";
import { setNs } from "./native.js";

/** CLONE_NEWNET */
const CLONE_NEWNET = 0x40000000;

/** The path of a network namespace given by `ip netns` name or by path. */
export const netnsPath = (ns: string): string => (ns.includes("/") ? ns : `/run/netns/${ns}`);

/** Calls `fn` with this thread in network namespace `ns`, and returns to the namespace it was in, whatever happens. */
export function withNetns<T>(ns: string, fn: () => T): T {
  const path = netnsPath(ns);
  if (!existsSync(path)) throw new BpfError("EINVAL", `network namespace ${ns}: no ${path}`);
  const target = openSync(path, "r");
  try {
    return withNetnsFd(target, fn, ns);
  } finally {
    closeSync(target);
  }
}

/** The same with the namespace as an open fd (of /run/netns/NAME or /proc/PID/ns/net). */
export function withNetnsFd<T>(target: number, fn: () => T, what = `fd ${target}`): T {
  const home = openSync("/proc/thread-self/ns/net", "r");
  try {
    const err = setNs(target, CLONE_NEWNET);
    if (err !== 0) throw new BpfError("ESYSCALL", `enter network namespace ${what}: setns: ${errnoName(err)}`);
    try {
      return fn();
    } finally {
      const back = setNs(home, CLONE_NEWNET);
      // Staying in the wrong namespace would silently misdirect everything after.
      if (back !== 0) throw new BpfError("ESYSCALL", `return from network namespace ${what}: setns: ${errnoName(back)}`);
    }
  } finally {
    closeSync(home);
  }
}

/** An fd of this thread's network namespace, to come back to it later (`withNetnsFd`). */
export const currentNetns = (): number => openSync("/proc/thread-self/ns/net", "r");
