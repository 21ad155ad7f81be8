/**
 * @fileoverview seccomp's numbers: filter return values (uapi linux/seccomp.h), audit
 * architectures (uapi linux/audit.h), and the libseccomp/OCI names for them.
 */

import { AARCH64_SYSCALLS } from "./syscalls-aarch64.js";
import { X86_64_SYSCALLS } from "./syscalls-x86-64.js";

/** What a filter returns: the action in the high 16 bits, its data in the low 16. */
export const enum SeccompRet {
  /** SECCOMP_RET_KILL_PROCESS */ KillProcess = 0x80000000,
  /** SECCOMP_RET_KILL_THREAD */ KillThread = 0x00000000,
  /** SECCOMP_RET_TRAP */ Trap = 0x00030000,
  /** SECCOMP_RET_ERRNO */ Errno = 0x00050000,
  /** SECCOMP_RET_USER_NOTIF */ UserNotif = 0x7fc00000,
  /** SECCOMP_RET_TRACE */ Trace = 0x7ff00000,
  /** SECCOMP_RET_LOG */ Log = 0x7ffc0000,
  /** SECCOMP_RET_ALLOW */ Allow = 0x7fff0000,
}
/** SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000, SECCOMP_RET_DATA = 0x0000ffff;

/** The actions a policy names. */
export type ActionKind = "kill_process" | "kill_thread" | "trap" | "errno" | "trace" | "log" | "user_notif" | "allow";

/** An action and, for errno and trace, its 16-bit data. */
export interface SeccompAction {
  readonly kind: ActionKind;
  readonly data?: number;
}

/** One row per action: its return value base and the OCI name(s) (SCMP_ACT_KILL is KILL_THREAD, as in libseccomp). */
export const ACTIONS: readonly { kind: ActionKind; ret: number; names: readonly string[]; hasData: boolean }[] = [
  { kind: "kill_process", ret: SeccompRet.KillProcess, names: ["SCMP_ACT_KILL_PROCESS"], hasData: false },
  { kind: "kill_thread", ret: SeccompRet.KillThread, names: ["SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL"], hasData: false },
  { kind: "trap", ret: SeccompRet.Trap, names: ["SCMP_ACT_TRAP"], hasData: false },
  { kind: "errno", ret: SeccompRet.Errno, names: ["SCMP_ACT_ERRNO"], hasData: true },
  { kind: "user_notif", ret: SeccompRet.UserNotif, names: ["SCMP_ACT_NOTIFY"], hasData: false },
  { kind: "trace", ret: SeccompRet.Trace, names: ["SCMP_ACT_TRACE"], hasData: true },
  { kind: "log", ret: SeccompRet.Log, names: ["SCMP_ACT_LOG"], hasData: false },
  { kind: "allow", ret: SeccompRet.Allow, names: ["SCMP_ACT_ALLOW"], hasData: false },
];

/** The filter's return value for an action. */
export function actionRet(a: SeccompAction): number {
  const row = ACTIONS.find((r) => r.kind === a.kind)!;
  return (row.ret | (row.hasData ? (a.data ?? 0) & SECCOMP_RET_DATA : 0)) >>> 0;
}

/** The action a return value means, as the kernel reads it (unknown actions act as KILL_PROCESS). */
export function actionOf(ret: number): SeccompAction {
  const full = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  const row = ACTIONS.find((r) => r.ret === full);
  if (!row) return { kind: "kill_process" };
  return row.hasData ? { kind: row.kind, data: ret & SECCOMP_RET_DATA } : { kind: row.kind };
}

/** How a policy or a report names an action: `SCMP_ACT_ERRNO(1)`. */
export function actionName(a: SeccompAction): string {
  const row = ACTIONS.find((r) => r.kind === a.kind)!;
  return row.hasData ? `${row.names[0]}(${a.data ?? 0})` : row.names[0]!;
}

/** An architecture seccomp_data.arch reports, with its syscall table where tsbpf has one. */
export interface ArchInfo {
  /** The OCI/libseccomp name. */
  readonly name: string;
  /** AUDIT_ARCH_* */
  readonly audit: number;
  /** Go's GOARCH, as Docker's `includes.arches` names it. */
  readonly goArch: string;
  readonly syscalls?: Readonly<Record<string, number>>;
}

/** __X32_SYSCALL_BIT: x32 calls come in as x86_64 with this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** One row per architecture a profile may list. */
export const ARCHES: readonly ArchInfo[] = [
  { name: "SCMP_ARCH_X86_64", audit: 0xc000003e, goArch: "amd64", syscalls: X86_64_SYSCALLS },
  { name: "SCMP_ARCH_AARCH64", audit: 0xc00000b7, goArch: "arm64", syscalls: AARCH64_SYSCALLS },
  { name: "SCMP_ARCH_X86", audit: 0x40000003, goArch: "386" },
  { name: "SCMP_ARCH_X32", audit: 0xc000003e, goArch: "x32" },
  { name: "SCMP_ARCH_ARM", audit: 0x40000028, goArch: "arm" },
  { name: "SCMP_ARCH_MIPS", audit: 0x00000008, goArch: "mips" },
  { name: "SCMP_ARCH_MIPS64", audit: 0x80000008, goArch: "mips64" },
  { name: "SCMP_ARCH_MIPS64N32", audit: 0xa0000008, goArch: "mips64n32" },
  { name: "SCMP_ARCH_MIPSEL", audit: 0x40000008, goArch: "mipsle" },
  { name: "SCMP_ARCH_MIPSEL64", audit: 0xc0000008, goArch: "mips64le" },
  { name: "SCMP_ARCH_MIPSEL64N32", audit: 0xe0000008, goArch: "mips64n32le" },
  { name: "SCMP_ARCH_PPC", audit: 0x00000014, goArch: "ppc" },
  { name: "SCMP_ARCH_PPC64", audit: 0x80000015, goArch: "ppc64" },
  { name: "SCMP_ARCH_PPC64LE", audit: 0xc0000015, goArch: "ppc64le" },
  { name: "SCMP_ARCH_S390", audit: 0x00000016, goArch: "s390" },
  { name: "SCMP_ARCH_S390X", audit: 0x80000016, goArch: "s390x" },
  { name: "SCMP_ARCH_RISCV64", audit: 0xc00000f3, goArch: "riscv64" },
];

export const archByName = (name: string): ArchInfo | undefined => ARCHES.find((a) => a.name === name);

/** The name by which the short forms `x86_64`, `amd64`, `aarch64`, `arm64` are also accepted. */
export function resolveArch(name: string): ArchInfo | undefined {
  const n = name.trim();
  const short: Record<string, string> = { x86_64: "SCMP_ARCH_X86_64", amd64: "SCMP_ARCH_X86_64", x64: "SCMP_ARCH_X86_64", aarch64: "SCMP_ARCH_AARCH64", arm64: "SCMP_ARCH_AARCH64" };
  return archByName(short[n.toLowerCase()] ?? n.toUpperCase());
}

/** Docker's default capability set: what `includes.caps` / `excludes.caps` are judged against by default. */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
  "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];
