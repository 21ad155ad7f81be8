/**
 * @fileoverview `loadObject`: an ObjectSpec to live maps and programs on an engine. The
 * engine is a small interface so the userspace runtime can join the kernel; engines are
 * imported only when asked for, so this module stays free of Node-only imports.
 */

import { NotSupportedError } from "../errors.js";
import type { KernelMap } from "../kernel/map.js";
import type { KernelProgram } from "../kernel/program.js";
import type { Btf } from "../btf/index.js";
import type { RunMode } from "../runtime/runtime.js";
import { wasmApi } from "../jit/wasm-api.js";
import type { InterpObject } from "./interp-engine.js";
import type { PinMode } from "./pinning.js";
import type { TailCallSlot } from "./tail-calls.js";
import type { ObjectSpec } from "./types.js";

export type { TailCallSlot } from "./tail-calls.js";

/** One map pinned by `loadObject`: its path, and what happened there. */
export interface PinnedMap {
  readonly map: string;
  readonly path: string;
  readonly mode: PinMode;
  /** "reused" a compatible pinned map, "pinned" a new one, "replaced" the old pin with a new map. */
  readonly action: "reused" | "pinned" | "replaced";
}

/** A live object: its programs and maps by name, owning what they hold until `close()`. */
export interface BpfObject<P = unknown, M = unknown> {
  readonly programs: Map<string, P>;
  readonly maps: Map<string, M>;
  /** Why the object's BTF was not loaded (the programs then have no func/line info), if it was not. */
  readonly btfError?: string;
  /** What the engine did differently from what the object asked, as libbpf's warnings (func and line info refused...). */
  readonly warnings?: readonly string[];
  /** The prog array slots filled from `ID/SLOT` section names or `tail:` tags (see `tailCalls`). */
  readonly tailCalls?: readonly TailCallSlot[];
  /** Why some tail calls were left out (no such map, a slot past its end, a slot taken twice). */
  readonly tailCallErrors?: readonly string[];
  /** "kernel" only: where each pinned map is, and whether it was reused, newly pinned or its pin replaced. */
  readonly pins?: readonly PinnedMap[];
  close(): void;
}

export interface LoadObjectOptions {
  /** Where to make the object: "kernel" (bpf(2), Node on Linux), or an engine of your own. */
  engine: "kernel" | "interp" | "jit" | ObjectEngine;
  /** Program names not to load (besides those with autoload false). */
  skip?: readonly string[];
  /** The verifier log level of program loads (0: a log only on failure). */
  logLevel?: number;
  /**
   * "kernel" only: the bpffs directory pinned maps live under, libbpf's `pin_root_path`
   * (default /sys/fs/bpf). LIBBPF_PIN_BY_NAME maps go in `<root>/<name>`; iproute2's
   * PIN_GLOBAL_NS and Cilium's CILIUM_PIN_REPLACE in `<root>/tc/globals/<name>`, as tc
   * and Cilium pin them; PIN_OBJECT_NS in `<root>/tc/<sha1 of the object>/<name>`. A
   * compatible pinned map is reused, an incompatible one refused (PinnedMapError), except
   * that CILIUM_PIN_REPLACE maps are always new and replace the pin once the object has
   * loaded. `false`: pin nothing and reuse nothing.
   */
  pinRoot?: string | false;
  /** The bpffs directory of LIBBPF_PIN_BY_NAME maps, as before `pinRoot`: the same as `pinRoot`, but without it nothing is pinned. */
  pinPath?: string;
  /**
   * Fill prog arrays from `ID/SLOT` section names (Cilium's `__section_tail(ID, SLOT)`):
   * each such program goes at SLOT of the `struct bpf_elf_map` whose id is ID (or, with
   * newer Cilium's BTF decl tag `tail:MAP/SLOT`, of the map MAP), after the `.values`
   * slots. Default true: what can be filled is, the rest is told in
   * `BpfObject.tailCallErrors` (a section naming an id no map has, a slot past the end or
   * taken twice). "strict": such a tail call is an ObjectError, as in Cilium's loader.
   * False leaves the arrays empty.
   */
  tailCalls?: boolean | "strict";
  /** The kernel's BTF, for programs whose section names a BTF target (fentry/, lsm/, tp_btf/...). */
  targetBtf?: Btf;
  /** "interp" and "jit" only: the runtime's mode ("checked", the default, or "fast" for verified programs). */
  mode?: RunMode;
  /**
   * "interp" and "jit" only: run tsbpf's verifier first (default true). Accepted programs
   * run in fast mode, a rejection is a ProgramRejectedError; false, or an explicit `mode`,
   * loads without it (checked mode by default).
   */
  verify?: boolean;
  /** "interp" and "jit" only: the instruction budget of a checked run. */
  budget?: number;
}

/** What an engine does with a spec; it copies what it needs, so the caller may keep editing. */
export interface ObjectEngine<P = unknown, M = unknown> {
  readonly name: string;
  load(spec: ObjectSpec, options: LoadObjectOptions): BpfObject<P, M>;
}

/** Loads an object into the kernel as libbpf's `bpf_object__load`: maps first, then programs. */
export function loadObject(spec: ObjectSpec, options: LoadObjectOptions & { engine: "kernel" }): Promise<BpfObject<KernelProgram, KernelMap>>;
/** Loads an object into one userspace Runtime: maps in its address space, programs in its interpreter. */
export function loadObject(spec: ObjectSpec, options: LoadObjectOptions & { engine: "interp" }): Promise<InterpObject>;
/** The same, with the programs compiled to WebAssembly. */
export function loadObject(spec: ObjectSpec, options: LoadObjectOptions & { engine: "jit" }): Promise<InterpObject>;
export function loadObject<P, M>(spec: ObjectSpec, options: LoadObjectOptions & { engine: ObjectEngine<P, M> }): Promise<BpfObject<P, M>>;
/** Without an engine: "jit" wherever WebAssembly exists, else "interp" (see `defaultEngine`). */
export function loadObject(spec: ObjectSpec, options?: Omit<LoadObjectOptions, "engine"> & { engine?: undefined }): Promise<InterpObject>;
export function loadObject(spec: ObjectSpec, options: LoadObjectOptions): Promise<BpfObject>;
export async function loadObject(spec: ObjectSpec, options: Omit<LoadObjectOptions, "engine"> & { engine?: LoadObjectOptions["engine"] } = {}): Promise<BpfObject> {
  const full = { ...options, engine: options.engine ?? (wasmApi() ? "jit" : "interp") } as LoadObjectOptions;
  const engine = await engineFor(full.engine);
  return engine.load(spec, full);
}

async function engineFor(engine: LoadObjectOptions["engine"]): Promise<ObjectEngine> {
  if (typeof engine === "object") return engine;
  if (engine === "kernel") return (await import("./kernel-engine.js")).KERNEL_ENGINE;
  if (engine === "interp") return (await import("./interp-engine.js")).INTERP_ENGINE;
  if (engine === "jit") return (await import("./jit-engine.js")).JIT_ENGINE;
  throw new NotSupportedError(`engine "${engine}"`, "unknown engine");
}
