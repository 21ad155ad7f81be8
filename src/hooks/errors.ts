/**
 * @fileoverview The errors of the hooks: a program or hook that cannot attach (HookError),
 * and the error a policy's denial raises in the application (PolicyDeniedError, EPERM).
 */

import { BpfError } from "../errors.js";

/** A hook program that cannot load or attach: its name and the reason, lowercase. */
export class HookError extends BpfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("EINVAL", message, options);
  }
}

/** What a denied operation throws in the application: an EPERM error as Node's fs/net raise. */
export class PolicyDeniedError extends Error {
  readonly code = "EPERM";
  readonly errno = -1;
  readonly syscall: string;
  readonly path: string | undefined;
  constructor(fn: string, syscall: string, what: string | undefined, program: string) {
    super(`EPERM: operation not permitted, ${syscall}${what !== undefined ? ` '${what}'` : ""} (denied by tsbpf policy ${program} on ${fn})`);
    this.name = "Error";
    this.syscall = syscall;
    this.path = what;
  }
}
