/**
 * @fileoverview Classic filters in the real kernel: the converted program loaded as a
 * socket_filter (BPF_PROG_LOAD), and the classic one attached with SO_ATTACH_FILTER to a
 * socket, through koffi and the C library's socket calls.
 */

import { closeSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Koffi from "koffi";
import { convertClassic } from "../cbpf/convert.js";
import { encodeCbpf, type SockFilter } from "../cbpf/insn.js";
import { BpfError, NotSupportedError } from "../errors.js";
import { errnoName, errnoText } from "./errno.js";
import { KernelProgram } from "./program.js";

/** SOL_SOCKET, SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_ATTACH_BPF (asm-generic/socket.h) */
const SOL_SOCKET = 1, SO_ATTACH_FILTER = 26, SO_DETACH_FILTER = 27, SO_ATTACH_BPF = 50;
/** AF_UNIX, SOCK_DGRAM, MSG_DONTWAIT, EAGAIN */
const AF_UNIX = 1, SOCK_DGRAM = 2, MSG_DONTWAIT = 0x40, EAGAIN = 11;

/** A libc call (setsockopt, socketpair, seccomp, ...) that failed; `errno` is its error number. */
export class SyscallError extends BpfError {
  readonly call: string;
  readonly errno: number;
  constructor(call: string, errno: number, context: string) {
    super("ESYSCALL", `${context}: ${call}: ${errnoName(errno)} (${errnoText(errno)})`);
    this.call = call;
    this.errno = errno;
  }
}

interface SocketLibc {
  readonly koffi: typeof Koffi;
  readonly socketpair: (domain: number, type: number, protocol: number, sv: Int32Array) => number;
  readonly setsockopt: (fd: number, level: number, name: number, value: unknown, len: number) => number;
  readonly send: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  readonly recv: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  readonly close: (fd: number) => number;
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly bind: (fd: number, addr: Uint8Array, len: number) => number;
  readonly setns: (fd: number, nstype: number) => number;
}

let lib: SocketLibc | undefined;

/** The C library's socket calls, bound on first use (koffi is never loaded at import). */
export function socketLibc(): SocketLibc {
  if (lib) return lib;
  if (process.platform !== "linux") throw new NotSupportedError("socket filters", `Linux only (this is ${process.platform})`);
  let koffi: typeof Koffi;
  try {
    const mod = createRequire(import.meta.url)("koffi") as typeof Koffi & { default?: typeof Koffi };
    koffi = mod.default ?? mod;
  } catch (e) {
    throw new NotSupportedError("socket filters", `koffi does not load: ${(e as Error).message.split("\n")[0]}`);
  }
  let c: Koffi.IKoffiLib;
  try { c = koffi.load(null); } catch { c = koffi.load("libc.so.6"); }
  lib = {
    koffi,
    socketpair: c.func("int socketpair(int, int, int, _Out_ int *sv)"),
    setsockopt: c.func("int setsockopt(int, int, int, void *, uint32_t)"),
    send: c.func("intptr_t send(int, const void *, size_t, int)"),
    recv: c.func("intptr_t recv(int, _Out_ void *, size_t, int)"),
    close: c.func("int close(int)"),
    socket: c.func("int socket(int, int, int)"),
    bind: c.func("int bind(int, const void *, uint32_t)"),
    setns: c.func("int setns(int, int)"),
  };
  return lib;
}

/** Runs `fn` with a `struct sock_fprog` (16 bytes: len, pad, pointer) and its instructions in unmanaged memory. */
export function withSockFprog<T>(program: readonly SockFilter[], fn: (fprog: unknown) => T): T {
  const { koffi } = socketLibc();
  const insns = encodeCbpf(program);
  const size = 16 + insns.length;
  const mem = koffi.alloc("uint8_t", size);
  try {
    const bytes = new Uint8Array(koffi.view(mem, size));
    const v = new DataView(bytes.buffer, bytes.byteOffset, size);
    v.setUint16(0, program.length, true);
    v.setBigUint64(8, koffi.address(mem) + 16n, true);
    bytes.set(insns, 16);
    return fn(mem);
  } finally {
    koffi.free(mem);
  }
}

/** SO_ATTACH_FILTER: the kernel validates, converts and runs the classic program on the socket's input. */
export function attachClassicFilter(fd: number, program: readonly SockFilter[]): void {
  const c = socketLibc();
  withSockFprog(program, (fprog) => {
    if (c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16) < 0) {
      throw new SyscallError("setsockopt", c.koffi.errno(), `SO_ATTACH_FILTER of a ${program.length}-instruction classic program`);
    }
  });
}

/** SO_DETACH_FILTER */
export function detachFilter(fd: number): void {
  const c = socketLibc();
  const none = new Int32Array(1);
  if (c.setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, none, 4) < 0) throw new SyscallError("setsockopt", c.koffi.errno(), "SO_DETACH_FILTER");
}

/** SO_ATTACH_BPF: a loaded socket_filter program (such as a converted classic one) on the socket. */
export function attachSocketProgram(fd: number, program: KernelProgram): void {
  const c = socketLibc();
  if (c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, new Int32Array([program.fd]), 4) < 0) {
    throw new SyscallError("setsockopt", c.koffi.errno(), `SO_ATTACH_BPF of ${program.typeName} program`);
  }
}

/** Loads the eBPF conversion of a classic socket filter (BPF_PROG_LOAD socket_filter), for test runs or SO_ATTACH_BPF. */
export function loadClassicSocketFilter(program: readonly SockFilter[], name = "cbpf"): KernelProgram {
  return KernelProgram.load({ type: "socket_filter", instructions: convertClassic(program, { kind: "socket" }), name });
}

/**
 * A connected AF_UNIX datagram pair, the simplest socket a filter can sit on: what `send`
 * puts in one end reaches the filter of the other as the packet (no link or IP header).
 */
export class DatagramPair {
  readonly fds: readonly [number, number];
  #closed = false;

  constructor() {
    const c = socketLibc();
    const sv = new Int32Array(2);
    if (c.socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) throw new SyscallError("socketpair", c.koffi.errno(), "AF_UNIX datagram pair");
    this.fds = [sv[0]!, sv[1]!];
  }

  /** The receiving end, where filters go. */
  get receiver(): number { return this.fds[1]; }

  /**
   * Sends `packet` through the pair and returns what the receiver's filter let through: the
   * bytes (cut to the filter's return value) or undefined when it dropped the packet.
   */
  roundTrip(packet: Uint8Array): Uint8Array | undefined {
    const c = socketLibc();
    if (c.send(this.fds[0], packet, packet.length, 0) !== packet.length) throw new SyscallError("send", c.koffi.errno(), "datagram pair");
    const buf = new Uint8Array(packet.length + 1);
    const n = c.recv(this.fds[1], buf, buf.length, MSG_DONTWAIT);
    if (n >= 0) return buf.slice(0, n);
    const err = c.koffi.errno();
    if (err === EAGAIN) return undefined;
    throw new SyscallError("recv", err, "datagram pair");
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const c = socketLibc();
    c.close(this.fds[0]);
    c.close(this.fds[1]);
  }
}

/** AF_PACKET, SOCK_RAW, ETH_P_ALL, CLONE_NEWNET, SO_RCVTIMEO */
const AF_PACKET = 17, SOCK_RAW = 3, ETH_P_ALL = 0x0003, CLONE_NEWNET = 0x40000000, SO_RCVTIMEO = 20;

/**
 * Runs `fn` with the calling thread in the network namespace at `path` (/run/netns/NAME),
 * then moves it back. Only this thread moves: sockets made inside stay in that namespace.
 */
export function inNetns<T>(path: string, fn: () => T): T {
  const c = socketLibc();
  const home = openSync("/proc/thread-self/ns/net", "r");
  const there = openSync(path, "r");
  try {
    if (c.setns(there, CLONE_NEWNET) < 0) throw new SyscallError("setns", c.koffi.errno(), `enter ${path}`);
    try {
      return fn();
    } finally {
      if (c.setns(home, CLONE_NEWNET) < 0) throw new SyscallError("setns", c.koffi.errno(), "return to the original network namespace");
    }
  } finally {
    closeSync(there);
    closeSync(home);
  }
}

/** A raw packet socket bound to one interface: it sees every frame from the link-layer header on. */
export class PacketSocket {
  readonly fd: number;
  #closed = false;

  /** socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) bound to `ifindex` (in the caller's namespace, see inNetns). */
  constructor(ifindex: number) {
    const c = socketLibc();
    const proto = ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8); // htons
    const fd = c.socket(AF_PACKET, SOCK_RAW, proto);
    if (fd < 0) throw new SyscallError("socket", c.koffi.errno(), "AF_PACKET socket");
    this.fd = fd;
    // struct sockaddr_ll: family, protocol (be16), ifindex, hatype, pkttype, halen, addr[8].
    const sll = new Uint8Array(20);
    const v = new DataView(sll.buffer);
    v.setUint16(0, AF_PACKET, true);
    v.setUint16(2, ETH_P_ALL, false);
    v.setInt32(4, ifindex, true);
    if (c.bind(fd, sll, sll.length) < 0) {
      const err = c.koffi.errno();
      c.close(fd);
      throw new SyscallError("bind", err, `AF_PACKET socket on ifindex ${ifindex}`);
    }
  }

  /** SO_RCVTIMEO: how long a blocking `receive` waits. */
  setTimeout(ms: number): void {
    const c = socketLibc();
    const tv = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
    if (c.setsockopt(this.fd, SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(tv.buffer), 16) < 0) throw new SyscallError("setsockopt", c.koffi.errno(), "SO_RCVTIMEO");
  }

  send(frame: Uint8Array): void {
    const c = socketLibc();
    if (c.send(this.fd, frame, frame.length, 0) !== frame.length) throw new SyscallError("send", c.koffi.errno(), "AF_PACKET socket");
  }

  /** The next frame (as the filter cut it), or undefined when none is waiting (`wait` false) or the timeout passed. */
  receive(wait: boolean, max = 65536): Uint8Array | undefined {
    const c = socketLibc();
    const buf = new Uint8Array(max);
    const n = c.recv(this.fd, buf, buf.length, wait ? 0 : MSG_DONTWAIT);
    if (n >= 0) return buf.slice(0, n);
    const err = c.koffi.errno();
    if (err === EAGAIN) return undefined;
    throw new SyscallError("recv", err, "AF_PACKET socket");
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    socketLibc().close(this.fd);
  }
}
