/**
 * @fileoverview A live attachment. `KernelLink` owns a bpf link fd (and, for perf
 * event links, the perf event fd under it): `close()` detaches unless a pin holds it,
 * `detach()` detaches even so, `pin()`, `update()` and `info()` as bpftool link does.
 * `Attachment` is the smaller shape every attach result has, links or not.
 */

import * as bpf from "./bpf.js";
import { OwnedFd } from "./fd.js";
import { linkDetach, linkGetFdById, linkUpdate } from "./link-bpf.js";
import { linkInfo, type LinkInfo } from "./link-info.js";
import { closeFd } from "./native.js";
import { AttachError } from "./attach-errors.js";
import { BpfSyscallError } from "./errors.js";
import type { KernelProgram } from "./program.js";

/** What every attach gives back: what it is, and how to undo it. */
export interface Attachment {
  /** "xdp eth0", "tracepoint sched/sched_process_exec", "socket filter on fd 12". */
  readonly description: string;
  /** Detaches (for a link: unless a pin keeps it) and releases the fds. Twice is harmless. */
  close(): void;
  readonly closed: boolean;
}

/**
 * BPF_LINK_DETACH on a link fd; the kernels that cannot force a kind of link off its
 * hook (raw tracepoints, perf events) say EOPNOTSUPP, which reads as what to do instead.
 */
export function detachLinkFd(fd: number, description: string): void {
  try {
    linkDetach(fd, `detach link ${description}`);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.errnoName === "EOPNOTSUPP") {
      throw new AttachError(`link ${description}`, e.errno, "this kind of link cannot be forced off its hook: remove its pins and close its fds", { cause: e, verb: "detach" });
    }
    throw e;
  }
}

/** A bpf link in the kernel. Made by the attach functions, `fromId` or `fromPin`. */
export class KernelLink implements Attachment {
  readonly description: string;
  readonly #fd: OwnedFd;
  /** A perf event (tracepoint, uprobe) the link holds the program on. */
  readonly #perf: OwnedFd | undefined;

  /** Takes ownership of a link fd (and the perf event fd it was made on). */
  constructor(fd: number, description: string, perfFd?: number) {
    this.description = description;
    this.#fd = new OwnedFd(fd, `link ${description}`);
    this.#perf = perfFd === undefined ? undefined : new OwnedFd(perfFd, `perf event of link ${description}`);
  }

  /** Opens the link with a kernel id (BPF_LINK_GET_FD_BY_ID). */
  static fromId(id: number): KernelLink {
    return KernelLink.#adopt(linkGetFdById(id));
  }

  /** Opens a pinned link (BPF_OBJ_GET). */
  static fromPin(path: string): KernelLink {
    return KernelLink.#adopt(bpf.objGet(path, 0, `open link pinned at ${path}`));
  }

  static #adopt(fd: number): KernelLink {
    try {
      const i = linkInfo(fd);
      return new KernelLink(fd, `${i.typeName} link ${i.id}`);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
  }

  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** The kernel's id of the link. */
  get id(): number {
    return this.info().id;
  }

  info(): LinkInfo {
    return linkInfo(this.fd);
  }

  /** Pins the link in a bpffs: it then outlives this process until the pin is removed. */
  pin(path: string): void {
    bpf.objPin(this.fd, path, `pin link ${this.description} at ${path}`);
  }

  /** Puts `program` in the link's place atomically (BPF_LINK_UPDATE); with `expected`, only if that one is there now. */
  update(program: KernelProgram, expected?: KernelProgram): void {
    linkUpdate(this.fd, program.fd, expected?.fd, `update link ${this.description}`);
  }

  /** Detaches the program from its hook now, even while pins or other fds hold the link (BPF_LINK_DETACH). */
  detach(): void {
    detachLinkFd(this.fd, this.description);
  }

  close(): void {
    this.#fd.close();
    this.#perf?.close();
  }
}
