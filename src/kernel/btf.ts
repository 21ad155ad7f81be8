/**
 * @fileoverview BTF objects in the kernel (BPF_BTF_LOAD): a blob of type information
 * the kernel checks and keeps, referenced by fd from maps and programs.
 */

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

/** BTF_MAGIC, the first two bytes of every blob. */
const BTF_MAGIC = 0xeb9f;
/** BTF_KIND_INT */
const KIND_INT = 1;
/** BTF_INT_SIGNED, in bits 24-27 of an int's encoding word. */
const INT_SIGNED = 1;

/**
 * The smallest useful BTF: one type, `int` (type id 1, 4 bytes, signed). Enough for
 * the maps that insist on BTF for their key and value (sk_storage, task_storage...).
 */
export function intBtf(): Uint8Array {
  const strings = new TextEncoder().encode("\0int\0");
  const typeLen = 16;
  const hdrLen = 24;
  const out = new Uint8Array(hdrLen + typeLen + strings.length);
  const v = new DataView(out.buffer);
  const le = HOST_LITTLE_ENDIAN;
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, 1); // version
  v.setUint32(4, hdrLen, le);
  v.setUint32(8, 0, le); // type_off, from the end of the header
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le); // str_off
  v.setUint32(20, strings.length, le);
  v.setUint32(hdrLen, 1, le); // name_off: "int"
  v.setUint32(hdrLen + 4, KIND_INT << 24, le);
  v.setUint32(hdrLen + 8, 4, le); // size
  v.setUint32(hdrLen + 12, (INT_SIGNED << 24) | 32, le); // signed, offset 0, 32 bits
  out.set(strings, hdrLen + typeLen);
  return out;
}
