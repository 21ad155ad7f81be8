/**
 * @fileoverview Attaching loaded programs to live hooks, one function per kind of hook,
 * each giving back an owned Link (or an Attachment where the kernel has no link):
 * XDP and tcx on an interface, cgroup hooks, raw tracepoints and BTF tracepoints,
 * tracepoints, uprobes and kprobes through perf_event_open, socket filters on a socket.
 * A refusal is an AttachError that says why in words.
 */

import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { BpfError, NotSupportedError } from "../errors.js";
import { attachTypeId, type AttachTypeName } from "../programs/types.js";
import { AttachError, explain, kindUnavailable, type HookKind } from "./attach-errors.js";
import { errno, errnoName } from "./errno.js";
import { linkCreate, rawTracepointOpen } from "./link-bpf.js";
import { KernelLink, type Attachment } from "./link.js";
import { MprogFlags, UPROBE_MULTI_RETURN, XdpFlags } from "./link-uapi.js";
import { closeFd, ifNameToIndex, mountFs, perfEventOpenWith, setSockOpt } from "./native.js";
import type { KernelMap } from "./map.js";
import type { KernelProgram } from "./program.js";
import { resolveSymbol } from "./elf-symbols.js";

/** An interface by name ("eth0") or ifindex. */
export type Interface = string | number;

/** The ifindex of an interface in this thread's network namespace; throws when there is none. */
export function ifindexOf(iface: Interface): number {
  if (typeof iface === "number") return iface;
  const index = ifNameToIndex(iface);
  if (index === 0) throw new AttachError(`interface ${iface}`, errno("ENODEV"), "no such network interface");
  return index;
}

function guarded<T>(kind: HookKind, hook: string, fn: () => T): T {
  const why = kindUnavailable(kind);
  if (why) throw new NotSupportedError(`attach ${hook}`, why);
  try {
    return fn();
  } catch (e) {
    explain(kind, hook, e);
  }
}

// ---------------------------------------------------------------------------------
// Network interfaces

export interface XdpOptions {
  /** "generic" (XDP_FLAGS_SKB_MODE), "native" (XDP_FLAGS_DRV_MODE), or the kernel's choice (default). */
  readonly mode?: "generic" | "native" | "auto";
}

/** Attaches an XDP program to an interface through BPF_LINK_CREATE. */
export function attachXdp(program: KernelProgram, iface: Interface, o: XdpOptions = {}): KernelLink {
  const hook = `xdp on ${iface}${o.mode && o.mode !== "auto" ? ` (${o.mode})` : ""}`;
  return guarded("xdp", hook, () => {
    const flags = o.mode === "generic" ? XdpFlags.SkbMode : o.mode === "native" ? XdpFlags.DrvMode : 0;
    const fd = linkCreate({ progFd: program.fd, target: ifindexOf(iface), attachType: attachTypeId("xdp"), flags }, `attach ${hook}`);
    return new KernelLink(fd, hook);
  });
}

export interface TcxOptions {
  /** Run before this program or link (or first of all, with `true`). */
  readonly before?: KernelProgram | KernelLink | true;
  /** Run after this program or link (or last of all, with `true`; the default). */
  readonly after?: KernelProgram | KernelLink | true;
  /** Attach only if the hook's revision is still this (from BPF_PROG_QUERY), else ERANGE. */
  readonly expectedRevision?: bigint;
}

/** Attaches a sched_cls program to an interface's tcx ingress or egress hook (Linux 6.6+). */
export function attachTcx(program: KernelProgram, iface: Interface, direction: "ingress" | "egress", o: TcxOptions = {}): KernelLink {
  const hook = `tcx ${direction} on ${iface}`;
  if (o.before && o.after) throw new BpfError("EINVAL", `attach ${hook}: give before or after, not both`);
  return guarded("tcx", hook, () => {
    const rel = o.before ?? o.after;
    let flags = o.before ? MprogFlags.Before : o.after ? MprogFlags.After : 0;
    if (rel instanceof KernelLink) flags |= MprogFlags.Link;
    const fd = linkCreate({
      progFd: program.fd,
      target: ifindexOf(iface),
      attachType: attachTypeId(direction === "ingress" ? "tcx_ingress" : "tcx_egress"),
      flags,
      ...(rel && rel !== true ? { relative: rel.fd } : {}),
      ...(o.expectedRevision !== undefined ? { expectedRevision: o.expectedRevision } : {}),
    }, `attach ${hook}`);
    return new KernelLink(fd, hook);
  });
}

// ---------------------------------------------------------------------------------
// Cgroups

/** Attaches a cgroup program (cgroup_skb, cgroup/sock, sock_addr, sysctl...) to a cgroup v2 directory. */
export function attachCgroup(program: KernelProgram, cgroupPath: string, attachType: AttachTypeName | number): KernelLink {
  const hook = `cgroup ${typeof attachType === "string" ? attachType : `attach type ${attachType}`} on ${cgroupPath}`;
  return guarded("cgroup", hook, () => {
    if (!statSync(cgroupPath).isDirectory()) throw new BpfError("EINVAL", `attach ${hook}: not a cgroup directory`);
    const cg = openSync(cgroupPath, "r");
    try {
      return new KernelLink(linkCreate({ progFd: program.fd, target: cg, attachType: attachTypeId(attachType) }, `attach ${hook}`), hook);
    } finally {
      closeSync(cg);
    }
  });
}

// ---------------------------------------------------------------------------------
// Tracing

/** Attaches a raw_tracepoint program to a raw tracepoint by name ("sched_process_exec"). */
export function attachRawTracepoint(program: KernelProgram, name: string): KernelLink {
  const hook = `raw_tp ${name}`;
  return guarded("raw_tp", hook, () => new KernelLink(rawTracepointOpen(program.fd, name, `attach ${hook}`), hook));
}

/**
 * Attaches a tracing program to the BTF target it was loaded for (tp_btf, fentry,
 * fexit, fmod_ret, lsm): the target is in the program, so there is nothing to name.
 */
export function attachTracing(program: KernelProgram, what = program.name): KernelLink {
  const hook = `tracing ${what}`;
  return guarded(program.typeName === "tracing" ? "tracing" : "tp_btf", hook, () => new KernelLink(rawTracepointOpen(program.fd, undefined, `attach ${hook}`), hook));
}

/** PERF_TYPE_TRACEPOINT */
const PERF_TYPE_TRACEPOINT = 2;
/** PERF_FLAG_FD_CLOEXEC */
const PERF_FLAG_FD_CLOEXEC = 8;
/** sizeof(struct perf_event_attr), PERF_ATTR_SIZE_VER8 */
const PERF_ATTR_SIZE = 136;

/** Where tracefs is, mounting it at /sys/kernel/tracing when it is nowhere. */
export function tracefsRoot(): string {
  for (const dir of ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]) if (existsSync(`${dir}/events`)) return dir;
  const err = mountFs("nodev", "/sys/kernel/tracing", "tracefs");
  if (err !== 0) throw new NotSupportedError("tracefs", `it is not mounted and mounting it at /sys/kernel/tracing failed: ${errnoName(err)}`);
  return "/sys/kernel/tracing";
}

/** A tracepoint's id from tracefs (events/CATEGORY/NAME/id). */
export function tracepointId(category: string, name: string): number {
  const path = `${tracefsRoot()}/events/${category}/${name}/id`;
  if (!existsSync(path)) throw new AttachError(`tracepoint ${category}/${name}`, errno("ENOENT"), `no such tracepoint (no ${path})`);
  return Number(readFileSync(path, "utf8").trim());
}

function perfAttr(type: number, config: bigint, config1 = 0n, config2 = 0n): (s: import("./native.js").Scratch) => import("./native.js").Chunk {
  return (s) => {
    const c = s.alloc(PERF_ATTR_SIZE);
    const v = new DataView(c.bytes.buffer, c.bytes.byteOffset, PERF_ATTR_SIZE);
    v.setUint32(0, type, true);
    v.setUint32(4, PERF_ATTR_SIZE, true);
    v.setBigUint64(8, config, true);
    v.setBigUint64(56, config1, true);
    v.setBigUint64(64, config2, true);
    return c;
  };
}

/** A BPF perf link on an open perf event; the link owns the event fd from here on. */
function perfLink(program: KernelProgram, perfFd: number, hook: string, cookie?: bigint): KernelLink {
  try {
    const fd = linkCreate({ progFd: program.fd, target: perfFd, attachType: attachTypeId("perf_event"), ...(cookie !== undefined ? { cookie } : {}) }, `attach ${hook}`);
    return new KernelLink(fd, hook, perfFd);
  } catch (e) {
    closeFd(perfFd);
    throw e;
  }
}

/** Attaches a tracepoint program to CATEGORY/NAME ("sched/sched_process_exec"), through a perf event. */
export function attachTracepoint(program: KernelProgram, category: string, name: string, o: { cookie?: bigint } = {}): KernelLink {
  const hook = `tracepoint ${category}/${name}`;
  return guarded("tracepoint", hook, () => {
    const id = tracepointId(category, name);
    const pfd = perfEventOpenWith(perfAttr(PERF_TYPE_TRACEPOINT, BigInt(id)), -1, 0, -1, PERF_FLAG_FD_CLOEXEC, `attach ${hook}`);
    return perfLink(program, pfd, hook, o.cookie);
  });
}

/** A dynamic PMU's type and the config bit that makes a return probe (uprobe, kprobe). */
function pmu(name: "uprobe" | "kprobe"): { type: number; retBit: number } {
  const dir = `/sys/bus/event_source/devices/${name}`;
  const type = Number(readFileSync(`${dir}/type`, "utf8").trim());
  // "config:0": the bit of attr.config that asks for a return probe.
  const m = /config:(\d+)/.exec(existsSync(`${dir}/format/retprobe`) ? readFileSync(`${dir}/format/retprobe`, "utf8") : "config:0");
  return { type, retBit: Number(m?.[1] ?? 0) };
}

export interface UprobeOptions {
  /** A function name in the binary's symbol tables, or give `offset`. */
  readonly symbol?: string;
  /** The file offset of the probed instruction (added to the symbol's, when both are given). */
  readonly offset?: number;
  /** A return probe (uretprobe). */
  readonly retprobe?: boolean;
  /** Only this process (default: every process that maps the file). */
  readonly pid?: number;
  readonly cookie?: bigint;
}

/** Attaches a kprobe-type program as a uprobe or uretprobe on a function of an ELF binary or library. */
export function attachUprobe(program: KernelProgram, binary: string, o: UprobeOptions): KernelLink {
  const hook = `${o.retprobe ? "uretprobe" : "uprobe"} ${binary}:${o.symbol ?? ""}${o.offset ? `+0x${o.offset.toString(16)}` : ""}`;
  return guarded("uprobe", hook, () => {
    const path = resolveBinary(binary);
    const offset = (o.symbol ? resolveSymbol(path, o.symbol) : 0) + (o.offset ?? 0);
    const { type, retBit } = pmu("uprobe");
    const pid = o.pid ?? -1;
    const pfd = perfEventOpenWith((s) => perfAttr(type, o.retprobe ? 1n << BigInt(retBit) : 0n, s.cstr(path).addr, BigInt(offset))(s),
      pid, pid === -1 ? 0 : -1, -1, PERF_FLAG_FD_CLOEXEC, `attach ${hook}`);
    return perfLink(program, pfd, hook, o.cookie);
  });
}

/**
 * Attaches one uprobe_multi link (Linux 6.6+) on many functions of one binary; the
 * program must have been loaded with expected attach type trace_uprobe_multi.
 */
export function attachUprobeMulti(program: KernelProgram, binary: string, symbols: readonly string[], o: { retprobe?: boolean; pid?: number; cookies?: readonly bigint[] } = {}): KernelLink {
  const hook = `uprobe_multi ${binary}:{${symbols.join(",")}}`;
  return guarded("uprobe", hook, () => {
    const path = resolveBinary(binary);
    const offsets = symbols.map((s) => BigInt(resolveSymbol(path, s)));
    const fd = linkCreate({
      progFd: program.fd, target: 0, attachType: attachTypeId("trace_uprobe_multi"),
      uprobeMulti: { path, offsets, ...(o.cookies ? { cookies: o.cookies } : {}), flags: o.retprobe ? UPROBE_MULTI_RETURN : 0, pid: o.pid ?? 0 },
    }, `attach ${hook}`);
    return new KernelLink(fd, hook);
  });
}

/** Attaches a kprobe program to a kernel function; refused with the reason where kprobes are compiled out. */
export function attachKprobe(program: KernelProgram, func: string, o: { retprobe?: boolean; offset?: number; cookie?: bigint } = {}): KernelLink {
  const hook = `${o.retprobe ? "kretprobe" : "kprobe"} ${func}`;
  return guarded("kprobe", hook, () => {
    const { type, retBit } = pmu("kprobe");
    const pfd = perfEventOpenWith((s) => perfAttr(type, o.retprobe ? 1n << BigInt(retBit) : 0n, s.cstr(func).addr, BigInt(o.offset ?? 0))(s),
      -1, 0, -1, PERF_FLAG_FD_CLOEXEC, `attach ${hook}`);
    return perfLink(program, pfd, hook, o.cookie);
  });
}

/** A binary by path, or a library by name as the dynamic loader would find it ("libc.so.6"). */
export function resolveBinary(binary: string): string {
  if (binary.includes("/")) {
    if (!existsSync(binary)) throw new AttachError(`uprobe ${binary}`, errno("ENOENT"), "no such file");
    return binary;
  }
  // The maps of this process know where its libraries are (Node links libc, libm, libstdc++...).
  const maps = readFileSync("/proc/self/maps", "utf8");
  for (const line of maps.split("\n")) {
    const path = line.slice(line.indexOf("/"));
    if (line.includes("/") && path.split("/").pop() === binary) return path;
  }
  for (const dir of ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]) {
    if (existsSync(`${dir}/${binary}`)) return `${dir}/${binary}`;
  }
  throw new AttachError(`uprobe ${binary}`, errno("ENOENT"), "no such library in this process's maps or the usual directories");
}

// ---------------------------------------------------------------------------------
// Sockets

/** The attach types a sockmap or sockhash takes programs for. */
export type SockmapAttachType = "sk_msg_verdict" | "sk_skb_stream_parser" | "sk_skb_stream_verdict" | "sk_skb_verdict";

/** Attaches an sk_msg or sk_skb program to a sockmap or sockhash as a link (Linux 6.10+). */
export function attachSockmap(program: KernelProgram, map: KernelMap, attachType: SockmapAttachType): KernelLink {
  const hook = `${attachType} on map ${map.name || map.typeName}`;
  return guarded("sockmap", hook, () => new KernelLink(linkCreate({ progFd: program.fd, target: map.fd, attachType: attachTypeId(attachType) }, `attach ${hook}`), hook));
}

/** SOL_SOCKET, SO_ATTACH_BPF, SO_DETACH_BPF (asm-generic/socket.h) */
const SOL_SOCKET = 1, SO_ATTACH_BPF = 50, SO_DETACH_BPF = 27;

/**
 * Attaches a socket_filter program to a socket the caller owns (SO_ATTACH_BPF). The
 * kernel keeps no link: `close()` detaches with SO_DETACH_BPF if the socket is still open.
 * A Node socket's fd is `socket._handle.fd`.
 */
export function attachSocketFilter(program: KernelProgram, socketFd: number): Attachment {
  const hook = `socket filter on fd ${socketFd}`;
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, program.fd, true);
  const err = setSockOpt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, value);
  if (err !== 0) throw new AttachError(hook, err, explainSocket(err));
  let closed = false;
  return {
    description: hook,
    get closed() { return closed; },
    close() {
      if (closed) return;
      closed = true;
      // ENOENT (nothing attached) and EBADF (socket already closed) leave nothing to undo.
      setSockOpt(socketFd, SOL_SOCKET, SO_DETACH_BPF, new Uint8Array(4));
    },
  };
}

function explainSocket(err: number): string {
  switch (errnoName(err)) {
    case "ENOTSOCK": return "the fd is not a socket";
    case "EBADF": return "the fd is not open";
    case "EINVAL": return "the program is not a socket_filter program";
    case "EPERM": return "not permitted";
    default: return "the socket refused the filter";
  }
}

/** Closes every attachment given, the last first, collecting nothing: closing never throws. */
export function closeAll(attachments: Iterable<Attachment>): void {
  for (const a of [...attachments].reverse()) a.close();
}
