/**
 * @fileoverview Shared by the map tests that compare with the kernel: the skip reason,
 * byte helpers, pinning this process to one CPU (the kernel's LRU and per-CPU values
 * depend on the CPU a syscall runs on), and the same map made in both places.
 */

import { createRequire } from "node:module";
import { kernelAvailable, KernelMap, possibleCpus } from "../../src/kernel/index.js";
import type { AddressSpace } from "../../src/runtime/address-space.js";
import { installHelpers } from "../../src/helpers/table.js";
import { HelperRegistry } from "../../src/runtime/helpers.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { createMap, setCpus, type BpfMap, type UserMapSpec } from "../../src/maps/index.js";

const available = kernelAvailable();
export const skip: false | string = available.ok ? false : `no kernel backend here: ${available.reason}`;

export const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString("hex") : "none");
export const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
export const u64 = (n: number | bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };

let pinned = false;
/** Runs this process's threads' syscalls on CPU 0 from now on (sched_setaffinity of the main thread). */
export function pinToCpu0(): void {
  if (pinned) return;
  const req = createRequire(import.meta.url);
  const koffi = req("koffi") as typeof import("koffi");
  const libc = koffi.load("libc.so.6");
  const setaffinity = libc.func("int sched_setaffinity(int pid, size_t size, uint8_t *mask)");
  const mask = new Uint8Array(128);
  mask[0] = 1;
  if (setaffinity(0, mask.length, mask) !== 0) throw new Error("sched_setaffinity failed");
  pinned = true;
}

const RUNTIMES = new WeakMap<AddressSpace, Runtime>();

/** A runtime (every helper installed) whose space has the kernel's CPU count, current CPU 0. */
export function kernelLikeRuntime(): Runtime {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  setCpus(rt.space, { cpus: available.ok ? possibleCpus() : 1, current: 0 });
  RUNTIMES.set(rt.space, rt);
  return rt;
}

/** The space of a fresh kernelLikeRuntime. */
export function kernelLikeSpace(): AddressSpace {
  return kernelLikeRuntime().space;
}

/** The runtime a kernelLikeSpace belongs to. */
export function runtimeOf(space: AddressSpace): Runtime {
  const rt = RUNTIMES.get(space);
  if (!rt) throw new Error("not a kernelLikeSpace");
  return rt;
}

/** The same map in the kernel and in a runtime space shaped like the kernel. */
export function twin(spec: UserMapSpec & { type: string }): { kernel: KernelMap; user: BpfMap; close(): void } {
  const user = createMap(kernelLikeSpace(), spec);
  const kernel = KernelMap.create({ ...spec, type: spec.type as "hash", ...(spec.mapExtra !== undefined ? { mapExtra: spec.mapExtra } : {}) });
  return { kernel, user, close: () => { kernel.close(); user.close(); } };
}
