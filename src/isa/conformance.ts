/**
 * @fileoverview RFC 9669's conformance groups: which group each instruction belongs to,
 * and which groups a program needs, so a runtime can say what it implements.
 */

import type { Instruction } from "./instruction.js";
import { type ConformanceGroup, formOf } from "./table.js";

export type { ConformanceGroup } from "./table.js";

/** The groups, each with the groups it includes (RFC 9669, section 2.4). */
export const CONFORMANCE_GROUPS: Readonly<Record<ConformanceGroup, readonly ConformanceGroup[]>> = {
  base32: [],
  base64: ["base32"],
  atomic32: [],
  atomic64: ["atomic32"],
  divmul32: [],
  divmul64: ["divmul32"],
  packet: [],
  kernel: [], // not in the RFC: the kernel's later additions (may_goto, addr_space_cast, load-acquire, store-release)
};

/** The group of one instruction, or undefined if it is not a valid form. */
export function groupOf(insn: Instruction): ConformanceGroup | undefined {
  return formOf(insn)?.group;
}

/** Every group a program needs, with the groups they include, sorted by name. */
export function groupsNeeded(insns: readonly Instruction[]): ConformanceGroup[] {
  const needed = new Set<ConformanceGroup>();
  const add = (g: ConformanceGroup) => {
    if (needed.has(g)) return;
    needed.add(g);
    CONFORMANCE_GROUPS[g].forEach(add);
  };
  for (const i of insns) {
    const g = groupOf(i);
    if (g) add(g);
  }
  return [...needed].sort();
}

/** Whether a runtime that implements `implemented` can run a program needing `needed`. */
export function supports(implemented: readonly ConformanceGroup[], needed: readonly ConformanceGroup[]): boolean {
  const have = new Set<ConformanceGroup>();
  const add = (g: ConformanceGroup) => {
    if (have.has(g)) return;
    have.add(g);
    CONFORMANCE_GROUPS[g].forEach(add);
  };
  implemented.forEach(add);
  return needed.every((g) => have.has(g));
}
