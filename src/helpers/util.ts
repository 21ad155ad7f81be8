/**
 * @fileoverview What the helper families share: the errnos they return (negated, as the
 * kernel's helpers do) and checked access to the program memory their pointers name.
 */

import type { HelperArgs, HelperEnv } from "../runtime/helpers.js";

/** The errno values helpers return, negated (include/uapi/asm-generic/errno-base.h, errno.h). */
export const E = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, ERANGE: 34,
  EOPNOTSUPP: 95, ENOTSUPP: 524,
} as const;

/**
 * The `size` bytes at the pointer in r`n`, after the checks a program's own access gets;
 * a bad pointer is the MemoryFault naming the call. A size of 0 gives an empty view.
 */
export function mem(env: HelperEnv, a: HelperArgs, n: number, size: number, access: "read" | "write"): Uint8Array {
  if (size === 0) return new Uint8Array(0);
  return env.bytes(a.addr(n), size, access);
}

/** A NUL-terminated string in program memory, read at most `max` bytes; undefined when it has no NUL there. */
export function cString(env: HelperEnv, addr: number, max: number): string | undefined {
  let s = "";
  for (let k = 0; k < max; k++) {
    if (env.space.check(addr + k, 1, false) === 0) return undefined;
    const c = env.space.u8[addr + k]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return undefined;
}
