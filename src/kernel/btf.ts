/**
 * @fileoverview BTF objects in the kernel (BPF_BTF_LOAD): a blob of type information
 * the kernel checks and keeps, referenced by fd from maps and programs.
 */

import { buildBtf, INT32_TYPE } from "../btf/build.js";
import * as bpf from "./bpf.js";
import { OwnedFd } from "./fd.js";
import { btfInfo, type BtfInfo } from "./info.js";
import { HOST_LITTLE_ENDIAN } from "./layout.js";

/** A BTF object in the kernel; `close()` when done. */
export class KernelBtf {
  /** The kernel's BTF checker log, when `logLevel` was above 0. */
  readonly log: string;
  readonly #fd: OwnedFd;

  private constructor(fd: number, log: string) {
    this.log = log;
    this.#fd = new OwnedFd(fd, "btf");
  }

  /** Loads a raw BTF blob (header, types, strings); a rejection is a KernelBtfError with the log. */
  static load(data: Uint8Array, o: { logLevel?: number; logSize?: number } = {}): KernelBtf {
    const { fd, log } = bpf.btfLoad(data, o);
    return new KernelBtf(fd, log);
  }

  /** Opens a BTF object by id (BPF_BTF_GET_FD_BY_ID); id 1 is usually vmlinux. */
  static fromId(id: number): KernelBtf {
    return new KernelBtf(bpf.btfGetFdById(id), "");
  }

  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  info(): BtfInfo {
    return btfInfo(this.fd);
  }

  close(): void {
    this.#fd.close();
  }
}

/**
 * The smallest useful BTF: one type, `int` (type id 1, 4 bytes, signed). Enough for
 * the maps that insist on BTF for their key and value (sk_storage, task_storage...).
 */
export function intBtf(): Uint8Array {
  return buildBtf([INT32_TYPE], { littleEndian: HOST_LITTLE_ENDIAN }).bytes;
}
