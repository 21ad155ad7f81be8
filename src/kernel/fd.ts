/**
 * @fileoverview Owned file descriptors. Every kernel object tsbpf hands out holds one
 * `OwnedFd`: `close()` releases it, closing twice is harmless, a closed one refuses to
 * be used, and a FinalizationRegistry closes what the user forgot.
 */

import { ClosedError } from "./errors.js";
import { closeFd } from "./native.js";

// The registry holds the raw number, not the owner, so the owner can be collected.
const forgotten = new FinalizationRegistry<number>((fd) => {
  closeFd(fd);
});

/** A file descriptor with one owner. */
export class OwnedFd {
  #fd: number;
  readonly #what: string;

  /** Takes ownership of `fd`; `what` names the object in errors ("map counters"). */
  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
    forgotten.register(this, fd, this);
  }

  /** The number, for passing to the kernel; throws once closed. */
  get value(): number {
    if (this.#fd < 0) throw new ClosedError(this.#what);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    forgotten.unregister(this);
    closeFd(fd);
  }
}
