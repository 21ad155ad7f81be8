/**
 * @fileoverview A seccomp policy built in code, in libseccomp's spirit: a default action,
 * rules per syscall with argument comparisons, architectures; it makes the same FilterSpec
 * the JSON form makes.
 */

import type { SockFilter } from "../cbpf/insn.js";
import { resolveArch, type SeccompAction } from "./constants.js";
import { compilePolicy, type CompiledPolicy } from "./compile.js";
import { SeccompPolicyError, type ArgCondition, type ArgOp, type FilterSpec, type SeccompRule } from "./policy.js";

/** The actions, as libseccomp's SCMP_ACT_* macros. */
export const Act = {
  killProcess: { kind: "kill_process" } as SeccompAction,
  killThread: { kind: "kill_thread" } as SeccompAction,
  trap: { kind: "trap" } as SeccompAction,
  log: { kind: "log" } as SeccompAction,
  notify: { kind: "user_notif" } as SeccompAction,
  allow: { kind: "allow" } as SeccompAction,
  errno: (n: number): SeccompAction => ({ kind: "errno", data: n & 0xffff }),
  trace: (msg: number): SeccompAction => ({ kind: "trace", data: msg & 0xffff }),
} as const;

const big = (v: bigint | number) => BigInt.asUintN(64, BigInt(v));

/** `arg(i).eq(v)` and friends: SCMP_A0(SCMP_CMP_EQ, v) ... */
export function arg(index: number) {
  if (!Number.isInteger(index) || index < 0 || index > 5) throw new SeccompPolicyError("arg", `argument index ${index}: 0-5`);
  const c = (op: ArgOp, value: bigint | number, valueTwo: bigint | number = 0): ArgCondition => ({ index, op, value: big(value), valueTwo: big(valueTwo) });
  return {
    eq: (v: bigint | number) => c("eq", v),
    ne: (v: bigint | number) => c("ne", v),
    lt: (v: bigint | number) => c("lt", v),
    le: (v: bigint | number) => c("le", v),
    gt: (v: bigint | number) => c("gt", v),
    ge: (v: bigint | number) => c("ge", v),
    /** `(arg & mask) == value` */
    maskedEq: (mask: bigint | number, value: bigint | number) => c("masked_eq", mask, value),
  };
}

/** Collects rules; `spec()` gives the plain FilterSpec, `compile()` the classic filter. */
export class SeccompBuilder {
  readonly #default: SeccompAction;
  readonly #arches: string[] = [];
  readonly #rules: SeccompRule[] = [];
  #badArch: SeccompAction | undefined;

  constructor(defaultAction: SeccompAction) {
    this.#default = defaultAction;
  }

  /** Adds an architecture (SCMP_ARCH_X86_64, or x86_64 / aarch64); the native one when none is added. */
  arch(name: string): this {
    const a = resolveArch(name);
    if (!a) throw new SeccompPolicyError("arch", `unknown architecture ${JSON.stringify(name)}`);
    if (!this.#arches.includes(a.name)) this.#arches.push(a.name);
    return this;
  }

  /** The action for calls from an architecture not added (KILL_PROCESS by default). */
  badArch(action: SeccompAction): this {
    this.#badArch = action;
    return this;
  }

  /** seccomp_rule_add: `syscall` with all `conditions` true gets `action`. */
  rule(action: SeccompAction, syscall: string, ...conditions: ArgCondition[]): this {
    this.#rules.push({ syscall, action, args: conditions });
    return this;
  }

  allow(...syscalls: string[]): this {
    for (const s of syscalls) this.rule(Act.allow, s);
    return this;
  }

  spec(nativeArch = "SCMP_ARCH_X86_64"): FilterSpec {
    const architectures = this.#arches.length ? [...this.#arches] : [resolveArch(nativeArch)?.name ?? "SCMP_ARCH_X86_64"];
    return { defaultAction: this.#default, architectures, rules: [...this.#rules], ...(this.#badArch ? { badArchAction: this.#badArch } : {}) };
  }

  compile(nativeArch?: string): CompiledPolicy {
    return compilePolicy(this.spec(nativeArch));
  }

  filter(nativeArch?: string): SockFilter[] {
    return this.compile(nativeArch).filter;
  }
}
