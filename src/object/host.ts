/**
 * @fileoverview What libbpf reads from the running kernel to load an object: its BTF
 * (vmlinux and modules), its config and version for `__kconfig` externs, the virtual
 * LINUX_HAS_* externs it probes, and kallsyms. Node on Linux only, like the kernel engine.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { arch, release } from "node:os";
import { gunzipSync } from "node:zlib";
import { parseBtf, type Btf } from "../btf/index.js";
import { kernelAvailable } from "../kernel/available.js";
import { probeHelper } from "../kernel/probe.js";
import type { KconfigValue } from "./externs.js";

const BTF_DIR = "/sys/kernel/btf";

let vmlinux: Btf | null | undefined;

/** /sys/kernel/btf/vmlinux, parsed once, or undefined where the kernel has none. */
export function kernelBtf(): Btf | undefined {
  if (vmlinux === undefined) {
    const path = `${BTF_DIR}/vmlinux`;
    vmlinux = existsSync(path) ? parseBtf(new Uint8Array(readFileSync(path))) : null;
  }
  return vmlinux ?? undefined;
}

/** A kernel module's BTF (split BTF over vmlinux), by the module's name. */
export interface ModuleBtf {
  readonly module: string;
  readonly btf: Btf;
}

const modules = new Map<string, Btf | null>();

/** The modules that have BTF (/sys/kernel/btf/* but vmlinux), each parsed on first use. */
export function* moduleBtfs(): Generator<ModuleBtf> {
  const base = kernelBtf();
  if (!base || !existsSync(BTF_DIR)) return;
  for (const module of readdirSync(BTF_DIR).sort()) {
    if (module === "vmlinux") continue;
    let btf = modules.get(module);
    if (btf === undefined) {
      try {
        btf = parseBtf(new Uint8Array(readFileSync(`${BTF_DIR}/${module}`)), { base });
      } catch {
        btf = null; // a module whose BTF does not parse is skipped, as libbpf skips one it cannot load
      }
      modules.set(module, btf);
    }
    if (btf) yield { module, btf };
  }
}

/** A kernel type by name: in vmlinux first, then in each module's own types (ids after the base's). */
export function findKernelType(
  name: string,
  kind: "func" | "var" | "typedef",
  vmlinux: Btf | undefined,
  modules: Iterable<ModuleBtf>,
): { id: number; btf: Btf; module?: string } | undefined {
  const t = vmlinux?.byName(name, kind)[0];
  if (t) return { id: t.id, btf: vmlinux! };
  for (const m of modules) {
    const first = m.btf.base?.types.length ?? 0;
    const mt = m.btf.byName(name, kind).find((x) => x.id >= first);
    if (mt) return { id: mt.id, btf: m.btf, module: m.module };
  }
  return undefined;
}

/** `__<arch>_sys_` prefixes of syscall wrappers, as libbpf's `arch_specific_syscall_pfx`. */
const SYSCALL_PREFIX: Record<string, string> = { x64: "x64", ia32: "ia32", arm64: "arm64", s390x: "s390x", s390: "s390", arm: "arm", ppc64: "powerpc", ppc: "powerpc", riscv64: "riscv", loong64: "loongarch", mips: "mips" };

/** The kernel's `KERNEL_VERSION(a, b, c)` of the release string ("6.18.0-1" gives 0x61200). */
export function kernelVersion(text = release()): number | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0)) : undefined;
}

/**
 * What libbpf gives `__kconfig` externs: the kernel's config (/boot/config-$(uname -r) or
 * /proc/config.gz), LINUX_KERNEL_VERSION from the release string, and the virtual externs
 * it probes for (LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER).
 */
export function hostKconfig(): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  const version = kernelVersion();
  if (version !== undefined) out.LINUX_KERNEL_VERSION = version;
  let text: string | undefined;
  try {
    const boot = `/boot/config-${release()}`;
    if (existsSync(boot)) text = readFileSync(boot, "utf8");
    else if (existsSync("/proc/config.gz")) text = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
  } catch {
    text = undefined;
  }
  for (const line of (text ?? "").split("\n")) {
    const eq = line.indexOf("=");
    if (!line.startsWith("CONFIG_") || eq < 0) continue;
    out[line.slice(0, eq)] = kconfigValue(line.slice(eq + 1));
  }
  return { ...out, ...virtualKconfig() };
}

let virtuals: Record<string, KconfigValue> | undefined;

/** libbpf's probed externs, computed once. */
function virtualKconfig(): Record<string, KconfigValue> {
  if (virtuals) return virtuals;
  return (virtuals = { LINUX_HAS_BPF_COOKIE: hasBpfCookie(), LINUX_HAS_SYSCALL_WRAPPER: hasSyscallWrapper() });
}

/**
 * libbpf's FEAT_SYSCALL_WRAPPER: it makes a kprobe on `__<arch>_sys_bpf` and says yes if
 * that works. Where kprobes are compiled out that fails, so the answer is no there too.
 */
function hasSyscallWrapper(): boolean {
  if (!existsSync("/sys/bus/event_source/devices/kprobe")) return false;
  const pfx = SYSCALL_PREFIX[arch() === "x64" ? "x64" : arch()];
  if (!pfx) return false;
  const name = `__${pfx}_sys_bpf`;
  try {
    return readFileSync("/proc/kallsyms", "utf8").includes(` ${name}\n`);
  } catch {
    return false;
  }
}

/** libbpf's FEAT_BPF_COOKIE: a kprobe program may call bpf_get_attach_cookie (helper 174). */
function hasBpfCookie(): boolean {
  try {
    return kernelAvailable().ok && probeHelper("kprobe", 174);
  } catch {
    return false;
  }
}

/** A --kconfig or /boot/config value: a quoted string, a number, or y/n/m. */
export function kconfigValue(text: string): KconfigValue {
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return text.slice(1, -1).replace(/\\(.)/g, "$1");
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) return BigInt(text);
  return text; // y, n, m
}

let page: number | undefined;

/** The kernel's page size, from /proc/self/smaps (Node has no sysconf); 4096 where it cannot be read. */
export function pageSize(): number {
  if (page !== undefined) return page;
  try {
    const m = /^KernelPageSize:\s+(\d+) kB/m.exec(readFileSync("/proc/self/smaps", "utf8"));
    page = m ? Number(m[1]) * 1024 : 4096;
  } catch {
    page = 4096;
  }
  return page;
}

let ksyms: Map<string, bigint> | undefined;

/** Kernel symbol addresses from /proc/kallsyms (zeros unless the reader may see them), read once. */
export function hostKsyms(): ReadonlyMap<string, bigint> {
  if (ksyms) return ksyms;
  ksyms = new Map();
  let text = "";
  try {
    text = readFileSync("/proc/kallsyms", "utf8");
  } catch {
    return ksyms;
  }
  for (const line of text.split("\n")) {
    const [addr, , name] = line.split(/\s+/, 3);
    if (addr && name && !ksyms.has(name)) ksyms.set(name, BigInt(`0x${addr}`));
  }
  return ksyms;
}
