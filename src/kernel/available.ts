/**
 * @fileoverview Whether bpf() works here, and if not, why: not Linux, koffi missing,
 * no privileges, bpf() compiled out. Tests ask this before touching the kernel.
 */

import { readFileSync } from "node:fs";
import { insn } from "../isa/instruction.js";
import { mapTypeId } from "../maps/types.js";
import { programTypeId } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { BpfSyscallError } from "./errors.js";
import { closeFd, loadNative } from "./native.js";

export type KernelAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let answer: KernelAvailability | undefined;

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll(".", "/")}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function explain(e: unknown, what: string): string {
  if (!(e instanceof BpfSyscallError)) return `${what}: ${(e as Error).message}`;
  switch (e.errnoName) {
    case "ENOSYS":
      return "the kernel has no bpf() (CONFIG_BPF_SYSCALL is off, or a seccomp filter hides it)";
    case "EPERM":
    case "EACCES": {
      const disabled = sysctl("kernel.unprivileged_bpf_disabled");
      const hint = disabled && disabled !== "0" ? `; kernel.unprivileged_bpf_disabled=${disabled}` : "";
      return `${what}: bpf() refused (${e.errnoName}): run as root or with CAP_BPF (and CAP_PERFMON, CAP_NET_ADMIN)${hint}`;
    }
    default:
      return `${what}: ${e.message}`;
  }
}

/**
 * Whether the kernel backend works in this process: Linux, koffi loads, and bpf()
 * both creates a map and loads a program. The answer is computed once.
 */
export function kernelAvailable(): KernelAvailability {
  if (answer) return answer;
  const why = loadNative();
  if (why !== undefined) return (answer = { ok: false, reason: why });
  try {
    closeFd(bpf.mapCreate({ mapType: mapTypeId("array"), keySize: 4, valueSize: 4, maxEntries: 1 }));
  } catch (e) {
    return (answer = { ok: false, reason: explain(e, "create a map") });
  }
  try {
    const mov0 = insn(0xb7, 0, 0, 0, 0); // r0 = 0
    const exit = insn(0x95, 0, 0, 0, 0);
    const { fd } = bpf.progLoad({ progType: programTypeId("socket_filter"), insns: [mov0, exit], license: "GPL", logOnFailure: false });
    closeFd(fd);
  } catch (e) {
    return (answer = { ok: false, reason: explain(e, "load a program") });
  }
  return (answer = { ok: true });
}
