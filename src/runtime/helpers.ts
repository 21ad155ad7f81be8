/**
 * @fileoverview Helper functions by id, as the kernel's `get_func_proto` hands them out.
 * A helper sees r1-r5 through `HelperArgs` (64-bit values as two 32-bit halves, or as
 * bigint when it wants them) and the run through `HelperEnv`, and returns r0: a number
 * (an integer, sign-extended to 64 bits) or a bigint (taken modulo 2^64). The map and
 * helper issue fills the registry; tests define a few of their own.
 */

import { BpfError } from "../errors.js";
import type { HelperProto } from "../helpers/proto.js";
import type { AddressSpace, Region } from "./address-space.js";

/** r1-r5 of a helper call. `n` is the register number, 1 to 5. */
export interface HelperArgs {
  /** Low 32 bits, signed. */
  lo(n: number): number;
  /** High 32 bits, signed. */
  hi(n: number): number;
  /** Low 32 bits, unsigned. */
  u32(n: number): number;
  u64(n: number): bigint;
  i64(n: number): bigint;
  /** The register as an address in the runtime's space; -1 when it cannot be one. */
  addr(n: number): number;
}

/** What a run offers a helper besides its arguments. */
export interface HelperEnv {
  readonly space: AddressSpace;
  /** The slot of the call instruction. */
  readonly pc: number;
  /** The run's context and packet, as its program type set them up. */
  readonly run: RunInfo;
  /**
   * A view of program memory after the same checks a load or store gets, for helpers
   * that take pointers; a bad pointer raises the MemoryFault naming the call.
   */
  bytes(addr: number, size: number, access: "read" | "write"): Uint8Array;
  /**
   * Calls back into the program (bpf_loop, bpf_for_each_map_elem, timers): `fn` is the
   * callback argument as the program passed it (a BPF_PSEUDO_FUNC value), `args` r1-r5;
   * returns the callback's r0. Engines that cannot re-enter leave it out.
   */
  callback?(fn: bigint, args: readonly bigint[]): bigint;
}

/** The regions of the current run, for helpers and program types. */
export interface RunInfo {
  readonly programType: string;
  readonly ctx: Region | undefined;
  /** The packet, with its window `[data_meta, data_end)`, or the raw memory block. */
  readonly packet: Region | undefined;
  /** Where `data` starts within the packet window (XDP: after the metadata). */
  data: number;
}

export type HelperFn = (args: HelperArgs, env: HelperEnv) => number | bigint | void;

export interface HelperDef {
  readonly id: number;
  readonly name: string;
  readonly fn: HelperFn;
  /** The prototype a verifier checks calls against; a custom helper gives its own, a kernel helper's is HELPER_PROTOS[id]. */
  readonly proto?: HelperProto;
}

/**
 * Helpers by id; one registry per runtime. Besides the helpers it runs, it knows the ones
 * it refuses (`refuse`): a program calling one of those is refused when it is loaded, with
 * a NotSupportedError naming the helper, rather than faulting when the call runs.
 *
 * Custom helpers, as uBPF's and bpftime's users register theirs:
 *
 *     registry.define(1000, "my_hash", (a, env) => hash(env.bytes(a.addr(1), a.u32(2), "read")),
 *       { id: 1000, name: "my_hash", ret: { kind: "integer" }, args: [{ kind: "ptr_to_mem", readOnly: true }, { kind: "const_size" }] });
 */
export class HelperRegistry {
  /** Dense by id, so a call looks its helper up with one index. */
  readonly table: (HelperFn | undefined)[] = [];
  readonly #defs = new Map<number, HelperDef>();
  readonly #refused = new Map<number, { name: string; why: string }>();

  /** Adds (or replaces) helper `id`, with the prototype a verifier should check its calls against. */
  define(id: number, name: string, fn: HelperFn, proto?: HelperProto): this {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new BpfError("EINVAL", `helper id ${id} is out of range`);
    if (proto && proto.id !== id) throw new BpfError("EINVAL", `helper ${name}: its prototype is for id ${proto.id}, not ${id}`);
    this.#defs.set(id, proto ? { id, name, fn, proto } : { id, name, fn });
    this.#refused.delete(id);
    this.table[id] = fn;
    return this;
  }

  /** Marks helper `id` as one this runtime cannot run, and why: programs calling it are refused at load. */
  refuse(id: number, name: string, why: string): this {
    if (!this.#defs.has(id)) this.#refused.set(id, { name, why });
    return this;
  }

  /** Why helper `id` is refused, if it is. */
  refused(id: number): { name: string; why: string } | undefined {
    return this.#refused.get(id);
  }

  get(id: number): HelperDef | undefined {
    return this.#defs.get(id);
  }

  has(id: number): boolean {
    return this.#defs.has(id);
  }

  /** Every helper, by id. */
  list(): HelperDef[] {
    return [...this.#defs.values()].sort((a, b) => a.id - b.id);
  }
}

/** HelperArgs over a register file laid out as the interpreter keeps it. */
export class RegisterArgs implements HelperArgs {
  constructor(private readonly r: Int32Array) {}
  lo(n: number): number { return this.r[n * 2]!; }
  hi(n: number): number { return this.r[n * 2 + 1]!; }
  u32(n: number): number { return this.r[n * 2]! >>> 0; }
  u64(n: number): bigint { return (BigInt(this.r[n * 2 + 1]! >>> 0) << 32n) | BigInt(this.r[n * 2]! >>> 0); }
  i64(n: number): bigint { return BigInt.asIntN(64, this.u64(n)); }
  addr(n: number): number {
    const lo = this.r[n * 2]!;
    return this.r[n * 2 + 1] === 0 && lo >= 0 ? lo : -1;
  }
}
