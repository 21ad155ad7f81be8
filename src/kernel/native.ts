/**
 * @fileoverview The one door to the kernel: bpf(2), close(2) and mount(2) through
 * koffi and the C library, plus the unmanaged scratch memory that bpf() attributes
 * point into. koffi is loaded on first use, never at import, so that importing
 * tsbpf/kernel on a machine without it (or without Linux) does not throw.
 */

import { createRequire } from "node:module";
import type * as Koffi from "koffi";
import { NotSupportedError } from "../errors.js";
import { BpfSyscallError } from "./errors.js";
import { cmdName } from "./uapi.js";

/**
 * __NR_bpf per 64-bit architecture, from each arch's syscall table. 32-bit ones are
 * left out: there the 64-bit attribute address would not fit one argument register.
 */
const SYS_BPF: Partial<Record<string, number>> = {
  x64: 321,
  arm64: 280,
  riscv64: 280,
  loong64: 280,
  s390x: 351,
  ppc64: 361,
};

interface Libc {
  readonly koffi: typeof Koffi;
  /**
   * `long syscall(long, ...)`, declared with fixed integer arguments: on the Linux ABIs
   * above a variadic call passes integers exactly like a fixed one, and glibc's
   * syscall() is an assembly stub that reads only the registers. This is twice as
   * fast as koffi's variadic calls, which matters to the oracle.
   */
  readonly syscall: (nr: number, cmd: number, attr: bigint, size: number) => number;
  readonly close: (fd: number) => number;
  readonly mount: (source: string, target: string, fstype: string, flags: number, data: null) => number;
  readonly mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown;
  readonly munmap: (addr: unknown, length: number) => number;
  /** mmap(2) and munmap(2) with addresses as integers, for mappings placed or too large to view. */
  readonly mmapAddr: (addr: bigint, length: number, prot: number, flags: number, fd: number, offset: number) => bigint | number;
  readonly munmapAddr: (addr: bigint, length: number) => number;
  readonly memcpyTo: (dst: bigint, src: Uint8Array, n: number) => unknown;
  /** syscall(2) with five integer arguments (perf_event_open). */
  readonly syscall5: (nr: number, a: bigint, b: number, c: number, d: number, e: number) => number;
  /** setsockopt(2) with the option value at an address (SO_ATTACH_BPF). */
  readonly setsockopt: (fd: number, level: number, name: number, value: bigint, len: number) => number;
  readonly ifNameToIndex: (name: string) => number;
  readonly ifIndexToName: (index: number, buf: Buffer) => string | null;
  readonly setns: (fd: number, nstype: number) => number;
  readonly epollCreate1: (flags: number) => number;
  readonly epollCtl: (epfd: number, op: number, fd: number, event: Uint8Array) => number;
  readonly epollWait: ((epfd: number, events: Uint8Array, max: number, timeout: number) => number) & {
    async: (epfd: number, events: Uint8Array, max: number, timeout: number, cb: (err: unknown, n: number) => void) => void;
  };
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly send: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  readonly recv: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  readonly nr: number;
}

/** EIO, for the impossible case of a failure that set no errno. */
const EIO = 5;

let libc: Libc | undefined;
let failure: string | undefined;

/** Loads koffi and the C library once; the reason it cannot, or undefined when it can. */
export function loadNative(): string | undefined {
  if (libc || failure) return failure;
  if (process.platform !== "linux") return (failure = `bpf() exists only on Linux (this is ${process.platform})`);
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) return (failure = `the bpf() syscall number of ${process.arch} is not known to tsbpf`);
  let koffi: typeof Koffi;
  try {
    // koffi is CommonJS with a native addon; require() keeps kernelAvailable() synchronous.
    const mod = createRequire(import.meta.url)("koffi") as typeof Koffi & { default?: typeof Koffi };
    koffi = mod.default ?? mod;
  } catch (e) {
    return (failure = `koffi does not load: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    const lib = openLibc(koffi);
    libc = {
      koffi,
      nr,
      syscall: lib.func("long syscall(long nr, long cmd, uint64_t attr, long size)"),
      close: lib.func("int close(int fd)"),
      mount: lib.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)"),
      mmap: lib.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)"),
      munmap: lib.func("int munmap(void *addr, size_t length)"),
      mmapAddr: lib.func("uint64_t mmap(uint64_t addr, size_t length, int prot, int flags, int fd, int64_t offset)"),
      munmapAddr: lib.func("int munmap(uint64_t addr, size_t length)"),
      memcpyTo: lib.func("uint64_t memcpy(uint64_t dst, const uint8_t *src, size_t n)"),
      syscall5: lib.func("long syscall(long nr, uint64_t a, long b, long c, long d, long e)"),
      setsockopt: lib.func("int setsockopt(int fd, int level, int name, uint64_t value, uint32_t len)"),
      ifNameToIndex: lib.func("unsigned int if_nametoindex(const char *name)"),
      ifIndexToName: lib.func("const char *if_indextoname(unsigned int index, _Out_ uint8_t *buf)"),
      setns: lib.func("int setns(int fd, int nstype)"),
      epollCreate1: lib.func("int epoll_create1(int flags)"),
      socket: lib.func("int socket(int domain, int type, int protocol)"),
      send: lib.func("long send(int fd, const uint8_t *buf, size_t len, int flags)"),
      recv: lib.func("long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)"),
      epollCtl: lib.func("int epoll_ctl(int epfd, int op, int fd, uint8_t *event)"),
      epollWait: lib.func("int epoll_wait(int epfd, _Out_ uint8_t *events, int maxevents, int timeout)"),
    };
  } catch (e) {
    return (failure = `the C library does not load through koffi: ${(e as Error).message}`);
  }
  return undefined;
}

function openLibc(koffi: typeof Koffi): Koffi.IKoffiLib {
  // dlopen(NULL) finds libc through Node itself, whichever libc (glibc, musl) that is.
  try {
    return koffi.load(null);
  } catch {
    return koffi.load("libc.so.6");
  }
}

function native(): Libc {
  const why = loadNative();
  if (why !== undefined || !libc) throw new NotSupportedError("the kernel backend", why);
  return libc;
}

/**
 * Calls bpf(cmd, attr, size) and returns its result, or -errno. The errno is read
 * at once, before anything else in the process can overwrite it.
 */
export function bpfRaw(cmd: number, attr: bigint, size: number): number {
  const c = native();
  const ret = c.syscall(c.nr, cmd, attr, size);
  if (ret >= 0) return ret;
  // A failure without an errno cannot happen; never let it pass for fd 0.
  const err = c.koffi.errno();
  return err > 0 ? -err : -EIO;
}

/** Calls bpf(); a failure becomes a BpfSyscallError with `context` in front. */
export function bpfCall(cmd: number, attr: Chunk, size: number, context?: string): number {
  const ret = bpfRaw(cmd, attr.addr, size);
  if (ret < 0) throw new BpfSyscallError(cmdName(cmd), -ret, context);
  return ret;
}

/** close(2); the errno of a failure, or 0. */
export function closeFd(fd: number): number {
  const c = native();
  return c.close(fd) < 0 ? c.koffi.errno() : 0;
}

/** mount(2) with no data; the errno of a failure, or 0. */
export function mountFs(source: string, target: string, fstype: string, flags = 0): number {
  const c = native();
  return c.mount(source, target, fstype, flags, null) < 0 ? c.koffi.errno() : 0;
}

/** PROT_READ, PROT_WRITE, MAP_SHARED */
const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;

/** A shared mapping of a file descriptor (a ring buffer's pages): its bytes, and how to unmap it. */
export interface Mapping {
  readonly bytes: Uint8Array;
  unmap(): void;
}

/** mmap(2) of `length` bytes of `fd` at `offset`, shared, read-only or read-write; throws with the errno. */
export function mmapFd(fd: number, length: number, offset: number, writable: boolean, context: string): Mapping {
  const c = native();
  const ptr = c.mmap(null, length, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, offset);
  // MAP_FAILED is (void *)-1.
  if (!ptr || c.koffi.address(ptr) === 0xffffffffffffffffn) throw new BpfSyscallError("mmap", c.koffi.errno(), context);
  const bytes = new Uint8Array(c.koffi.view(ptr, length));
  let mapped = true;
  return {
    bytes,
    unmap: () => {
      if (mapped) c.munmap(ptr, length);
      mapped = false;
    },
  };
}

/** MAP_FIXED: the mapping goes at the address given, or fails. */
const MAP_FIXED = 0x10;

/** A mapping known by its address only (an arena's, up to 4 GB, too large to view): written by copies. */
export interface PlacedMapping {
  readonly address: bigint;
  write(offset: number, bytes: Uint8Array): void;
  unmap(): void;
}

/**
 * A shared read-write mmap(2) of `length` bytes of `fd` from its start, at address `at`
 * (MAP_FIXED) when given, else where the kernel puts it; throws with the errno.
 */
export function mmapPlaced(fd: number, length: number, at: bigint | undefined, context: string): PlacedMapping {
  const c = native();
  const raw = c.mmapAddr(at ?? 0n, length, PROT_READ | PROT_WRITE, MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
  const address = BigInt(raw);
  // MAP_FAILED is (void *)-1.
  if (address === 0xffffffffffffffffn || address === -1n) throw new BpfSyscallError("mmap", c.koffi.errno(), context);
  let mapped = true;
  return {
    address,
    write: (offset, bytes) => {
      if (!mapped || offset < 0 || offset + bytes.length > length) throw new RangeError(`${context}: write of ${bytes.length} bytes at ${offset} outside the ${length}-byte mapping`);
      if (bytes.length) c.memcpyTo(address + BigInt(offset), bytes, bytes.length);
    },
    unmap: () => {
      if (mapped) c.munmapAddr(address, length);
      mapped = false;
    },
  };
}

/** __NR_perf_event_open per 64-bit architecture. */
const SYS_PERF_EVENT_OPEN: Partial<Record<string, number>> = { x64: 298, arm64: 241, riscv64: 241, loong64: 241, s390x: 331, ppc64: 319 };

/**
 * perf_event_open(attr, pid, cpu, group_fd, flags) with the attribute bytes given; the
 * new fd, or throws with the errno.
 */
export function perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number, context: string): number {
  const c = native();
  const nr = SYS_PERF_EVENT_OPEN[process.arch];
  if (nr === undefined) throw new NotSupportedError(`perf_event_open on ${process.arch}`);
  return withScratch((s) => {
    const chunk = s.copy(attr);
    const fd = c.syscall5(nr, chunk.addr, pid, cpu, groupFd, flags);
    if (fd < 0) throw new BpfSyscallError("perf_event_open", c.koffi.errno() || EIO, context);
    return fd;
  });
}

/**
 * perf_event_open with an attribute built in scratch memory by `fill`, for attributes
 * that point at more memory (a uprobe's path); the new fd, or throws with the errno.
 */
export function perfEventOpenWith(fill: (s: Scratch) => Chunk, pid: number, cpu: number, groupFd: number, flags: number, context: string): number {
  const c = native();
  const nr = SYS_PERF_EVENT_OPEN[process.arch];
  if (nr === undefined) throw new NotSupportedError(`perf_event_open on ${process.arch}`);
  return withScratch((s) => {
    const fd = c.syscall5(nr, fill(s).addr, pid, cpu, groupFd, flags);
    if (fd < 0) throw new BpfSyscallError("perf_event_open", c.koffi.errno() || EIO, context);
    return fd;
  });
}

/** setsockopt(fd, level, name, value); the errno of a failure, or 0. */
export function setSockOpt(fd: number, level: number, name: number, value: Uint8Array): number {
  const c = native();
  return withScratch((s) => (c.setsockopt(fd, level, name, s.copy(value).addr, value.length) < 0 ? c.koffi.errno() || EIO : 0));
}

/** The ifindex of a network interface in this thread's network namespace, or 0 when there is none. */
export function ifNameToIndex(name: string): number {
  return native().ifNameToIndex(name);
}

/** The name of the interface with `index` in this thread's network namespace, or undefined. */
export function ifIndexToName(index: number): string | undefined {
  const buf = Buffer.alloc(16);
  return native().ifIndexToName(index, buf) === null ? undefined : buf.toString("latin1", 0, buf.indexOf(0));
}

/** setns(2); the errno of a failure, or 0. */
export function setNs(fd: number, nstype: number): number {
  const c = native();
  return c.setns(fd, nstype) < 0 ? c.koffi.errno() || EIO : 0;
}

/** AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC */
const AF_NETLINK = 16, SOCK_RAW_CLOEXEC = 3 | 0o2000000;

/** A netlink socket of `protocol` (NETLINK_ROUTE 0): send a request, receive its replies. */
export interface NetlinkSocket {
  send(message: Uint8Array): void;
  /** One datagram of replies (blocking: the kernel answers a request at once). */
  recv(): Uint8Array;
  close(): void;
}

export function netlinkSocket(protocol: number, context: string): NetlinkSocket {
  const c = native();
  const fd = c.socket(AF_NETLINK, SOCK_RAW_CLOEXEC, protocol);
  if (fd < 0) throw new BpfSyscallError("socket", c.koffi.errno() || EIO, context);
  const buf = new Uint8Array(64 * 1024);
  return {
    send(message) {
      if (c.send(fd, message, message.length, 0) < 0) throw new BpfSyscallError("send", c.koffi.errno() || EIO, context);
    },
    recv() {
      const n = c.recv(fd, buf, buf.length, 0);
      if (n < 0) throw new BpfSyscallError("recv", c.koffi.errno() || EIO, context);
      return buf.slice(0, n);
    },
    close() {
      c.close(fd);
    },
  };
}

/** EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN */
const EPOLL_CLOEXEC = 0o2000000, EPOLL_CTL_ADD = 1, EPOLLIN = 1;

/**
 * An epoll instance watching `fds` for input, as libbpf's ring_buffer and perf_buffer
 * wait for the kernel's wake-ups; `wait` blocks on a libuv worker thread, not the event loop.
 */
export interface EpollSet {
  /** Resolves when an fd is readable (true) or after `timeoutMs` (false). */
  wait(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export function epollWatch(fds: readonly number[], context: string): EpollSet {
  const c = native();
  const ep = c.epollCreate1(EPOLL_CLOEXEC);
  if (ep < 0) throw new BpfSyscallError("epoll_create1", c.koffi.errno() || EIO, context);
  for (const fd of fds) {
    // struct epoll_event: u32 events, then u64 data (packed on x86-64; 16 bytes elsewhere).
    const ev = new Uint8Array(16);
    new DataView(ev.buffer).setUint32(0, EPOLLIN, true);
    if (c.epollCtl(ep, EPOLL_CTL_ADD, fd, ev) < 0) {
      const err = c.koffi.errno() || EIO;
      c.close(ep);
      throw new BpfSyscallError("epoll_ctl", err, context);
    }
  }
  let open = true;
  let waiting = 0;
  let closeWhenIdle = false;
  return {
    wait(timeoutMs) {
      if (!open) return Promise.resolve(false);
      waiting++;
      const events = new Uint8Array(16 * 4);
      return new Promise((resolve) => {
        c.epollWait.async(ep, events, 4, Math.max(0, Math.round(timeoutMs)), (err, n) => {
          waiting--;
          // The fd is closed only once no worker is inside epoll_wait on it.
          if (closeWhenIdle && waiting === 0) c.close(ep);
          resolve(!err && n > 0);
        });
      });
    },
    close() {
      if (!open) return;
      open = false;
      if (waiting === 0) c.close(ep);
      else closeWhenIdle = true;
    },
  };
}

/** A piece of unmanaged memory: its address for the kernel, its bytes for us. */
export interface Chunk {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

const ARENA_SIZE = 64 * 1024;

interface Block {
  readonly ptr: unknown;
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

let arena: Block | undefined;
let inUse = false;

function allocBlock(c: Libc, size: number): Block {
  const ptr = c.koffi.alloc("uint8_t", size);
  return { ptr, addr: c.koffi.address(ptr), bytes: new Uint8Array(c.koffi.view(ptr, size)) };
}

/**
 * Bump allocation of zeroed memory for one bpf() call and its buffers. Everything
 * allocated stays put until the call's `withScratch` returns: what does not fit the
 * shared arena gets a block of its own, freed at the end.
 */
export class Scratch {
  private used = 0;
  private readonly extra: Block[] = [];
  constructor(private readonly c: Libc, private readonly main: Block) {}

  /** `size` zeroed bytes, 8-aligned. A size of 0 gives the null address. */
  alloc(size: number): Chunk {
    if (size === 0) return { addr: 0n, bytes: new Uint8Array(0) };
    const at = Math.ceil(this.used / 8) * 8;
    if (at + size <= this.main.bytes.length) {
      this.used = at + size;
      const bytes = this.main.bytes.subarray(at, at + size);
      bytes.fill(0);
      return { addr: this.main.addr + BigInt(at), bytes };
    }
    const block = allocBlock(this.c, size);
    this.extra.push(block);
    block.bytes.fill(0);
    return { addr: block.addr, bytes: block.bytes };
  }

  /** A copy of `data` in unmanaged memory; null for undefined or empty data. */
  copy(data: Uint8Array | undefined): Chunk {
    const chunk = this.alloc(data?.length ?? 0);
    if (data) chunk.bytes.set(data);
    return chunk;
  }

  /** A NUL-terminated UTF-8 string. */
  cstr(text: string): Chunk {
    const encoded = new TextEncoder().encode(text);
    const chunk = this.alloc(encoded.length + 1);
    chunk.bytes.set(encoded);
    return chunk;
  }

  /** @internal */
  release(): void {
    for (const b of this.extra) this.c.koffi.free(b.ptr);
    this.extra.length = 0;
  }
}

/** Runs `fn` with scratch memory that lives until it returns. Not re-entrant. */
export function withScratch<T>(fn: (s: Scratch) => T): T {
  const c = native();
  arena ??= allocBlock(c, ARENA_SIZE);
  // A nested call would hand out memory the outer call is still using.
  if (inUse) throw new Error("tsbpf internal error: nested withScratch");
  inUse = true;
  const s = new Scratch(c, arena);
  try {
    return fn(s);
  } finally {
    s.release();
    inUse = false;
  }
}
