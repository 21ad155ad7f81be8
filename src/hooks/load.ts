/**
 * @fileoverview Loading hook programs: every program whose section names a tsbpf hook
 * (SEC("tsbpf/dc/http.server.request.start")...) is checked against its context struct
 * through the object's BTF, verified by tsbpf's verifier as that hook type, and compiled
 * by the JIT in fast mode, with its object's maps in one runtime the caller reads too.
 */

import type { Btf } from "../btf/types.js";
import type { Host } from "../helpers/host.js";
import { hostOf, setHost } from "../helpers/host.js";
import { SparseMemory } from "../helpers/kernel-memory.js";
import type { AddressSpace } from "../runtime/address-space.js";
import type { BpfMap } from "../maps/map.js";
import { loadIntoRuntime } from "../object/interp-engine.js";
import type { InterpObject } from "../object/interp-engine.js";
import { loadObjectSpec } from "../object/spec.js";
import type { ObjectSpec, ProgramSpec } from "../object/types.js";
import { hookTypeOfSection, hookVerifierOps, type HookTypeRow } from "../programs/hook-types.js";
import type { CtxLayout } from "../programs/layouts.js";
import type { RuntimeProgram } from "../runtime/runtime.js";
import { verifyProgram } from "../verifier/index.js";
import { HookContext } from "./context.js";
import { HookError } from "./errors.js";

/** A verified hook program, compiled, with its context laid out in the runtime's memory. */
export class HookProgram {
  /** Runs that faulted (a fault never reaches the application; a policy that faults denies). */
  faults = 0;
  lastFault: unknown;
  /** Hits: runs made. */
  hits = 0;
  readonly ctx: HookContext;
  readonly #rp: RuntimeProgram;
  readonly #run: () => void;

  constructor(readonly name: string, readonly row: HookTypeRow, readonly target: string, rp: RuntimeProgram, readonly object: HookObject) {
    if (rp.mode !== "fast" || rp.engine !== "jit" || !rp.jitCode) throw new HookError(`program ${name}: hooks run verified programs on the jit in fast mode only`);
    this.#rp = rp;
    const rt = rp.runtime;
    this.ctx = new HookContext(rt.space, row.ctx);
    const m = rt.machine;
    const jit = rt.jit;
    const code = rp.jitCode;
    const info = { programType: row.name, ctx: this.ctx.region, packet: undefined, data: 0 };
    const base = this.ctx.base;
    this.#run = () => {
      m.run = info;
      m.packetStart = m.packetEnd = 0;
      m.budget = Infinity;
      jit.run(code, 1, base, 0, false);
    };
  }

  /** Runs the program on the context as the adapter wrote it; r0's low 32 bits, or undefined on a fault. */
  run(): number | undefined {
    this.hits++;
    try {
      this.#run();
    } catch (e) {
      this.faults++;
      this.lastFault = e;
      return undefined;
    }
    return this.#rp.runtime.machine.R[0]! | 0;
  }
}

/** An object's hook programs and maps. */
export interface HookObject {
  readonly programs: ReadonlyMap<string, HookProgram>;
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** The runtime object underneath (its runtime, trace lines). */
  readonly object: InterpObject;
  /** The one program of the object (throws if there are several). */
  program(name?: string): HookProgram;
  close(): void;
}

export interface LoadHooksOptions {
  /** The host the helpers see (the Node process's, in the Node adapters). */
  readonly host?: Host;
}

/** Loads an object's hook programs: BTF-checked, verified, compiled. Throws HookError or the verifier's verdict. */
export function loadHooks(input: Uint8Array | ObjectSpec, options: LoadHooksOptions = {}): HookObject {
  const spec = input instanceof Uint8Array ? loadObjectSpec(input) : input;
  const hooks: { p: ProgramSpec; row: HookTypeRow; target: string }[] = [];
  for (const p of spec.programs) {
    const h = hookTypeOfSection(p.sectionName);
    if (!h) continue;
    if (h.target === "") throw new HookError(`program ${p.name}: section ${p.sectionName} names no hook`);
    checkContextBtf(spec, p, h.row.ctx);
    const v = verifyProgram(p, { type: h.row.name, ops: hookVerifierOps(h.row), maps: spec.maps, ...(spec.btf ? { btf: spec.btf } : {}) });
    if (!v.accepted) {
      const e = v.error!;
      throw new HookError(`program ${p.name}: rejected by the verifier: insn ${e.insn}: ${e.message}${e.source ? ` (${e.source.file}:${e.source.line})` : ""}`, { cause: v });
    }
    hooks.push({ p, row: h.row, target: h.target });
  }
  if (hooks.length === 0) throw new HookError(`no hook programs in the object (sections ${spec.programs.map((p) => p.sectionName).join(", ") || "none"}; hook sections start tsbpf/)`);
  const names = new Set(hooks.map((h) => h.p.name));
  // The runtime runs them as raw programs: hooks lay out their own contexts.
  const runnable: ObjectSpec = { ...spec, programs: spec.programs.filter((p) => names.has(p.name)).map((p) => ({ ...p, type: "raw" as ProgramSpec["type"] })) };
  const object = loadIntoRuntime(runnable, { engine: "jit", mode: "fast" }, "jit");
  const space = object.runtime.space;
  const host = options.host ?? hostOf(space);
  // The strings a hook copies in are the application's memory: user reads find them too.
  setHost(space, { ...host, user: new HookUserMemory(space, host.user) });
  const programs = new Map<string, HookProgram>();
  const self: HookObject = {
    programs,
    maps: object.maps,
    object,
    program(name?: string) {
      if (name !== undefined) {
        const p = programs.get(name);
        if (!p) throw new HookError(`no hook program ${name} (programs: ${[...programs.keys()].join(", ")})`);
        return p;
      }
      if (programs.size !== 1) throw new HookError(`the object has ${programs.size} hook programs: name one (${[...programs.keys()].join(", ")})`);
      return programs.values().next().value!;
    },
    close() {
      for (const p of programs.values()) p.ctx.free();
      object.close();
    },
  };
  for (const h of hooks) programs.set(h.p.name, new HookProgram(h.p.name, h.row, h.target, object.programs.get(h.p.name)!, self));
  return self;
}

/**
 * Checks the program's context against the hook's: the first parameter of its BTF
 * prototype must point to the hook's struct, laid out as tsbpf lays it out. Objects
 * without BTF for the function (or a `void *ctx`) are taken on trust of the verifier.
 */
function checkContextBtf(spec: ObjectSpec, p: ProgramSpec, want: CtxLayout): void {
  const btf = spec.btf;
  const fi = p.funcInfo[0];
  if (!btf || !fi) return;
  const fn = btf.type(fi.typeId);
  if (fn.kind !== "func") return;
  const proto = btf.type(fn.type);
  if (proto.kind !== "func_proto" || proto.params.length === 0) return;
  const ptr = btf.resolve(proto.params[0]!.type);
  if (ptr.kind !== "ptr") throw new HookError(`program ${p.name}: its context argument is not a pointer (want struct ${want.struct} *)`);
  const s = btf.resolve(ptr.type);
  if (s.kind === "void") return;
  if ((s.kind !== "struct" && s.kind !== "fwd") || s.name !== want.struct) {
    throw new HookError(`program ${p.name}: its context is ${s.kind} ${s.name || "(anonymous)"}, but ${p.sectionName} passes struct ${want.struct}`);
  }
  if (s.kind === "fwd") return;
  const got = new Map(flatten(btf, s.id, "", 0));
  if (s.size !== want.size) throw new HookError(`program ${p.name}: struct ${want.struct} is ${s.size} bytes in the object, ${want.size} in tsbpf (a different include/tsbpf/hooks.h?)`);
  for (const f of want.fields) {
    const off = got.get(f.name);
    if (off !== undefined && off !== f.off) throw new HookError(`program ${p.name}: struct ${want.struct}: field ${f.name} at offset ${off} in the object, ${f.off} in tsbpf`);
  }
}

/** Member paths of a struct ("path.len", "args[2].num") with their byte offsets. */
function* flatten(btf: Btf, id: number, prefix: string, base: number): Generator<[string, number]> {
  const t = btf.resolve(id);
  if (t.kind === "struct" || t.kind === "union") {
    for (const m of t.members) yield* flatten(btf, m.type, prefix ? `${prefix}.${m.name}` : m.name, base + m.bitOffset / 8);
    return;
  }
  if (t.kind === "array") {
    const inner = btf.resolve(t.type);
    if (inner.kind === "struct") {
      const size = btf.sizeof(t.type);
      for (let i = 0; i < t.nelems; i++) yield* flatten(btf, t.type, `${prefix}[${i}]`, base + i * size);
      return;
    }
  }
  yield [prefix, base];
}

/** User memory for hook programs: the runtime's readable regions (the hook's strings), then the host's. */
class HookUserMemory extends SparseMemory {
  constructor(readonly space: AddressSpace, readonly rest: SparseMemory) {
    super("user");
  }
  override read(address: bigint, size: number): Uint8Array | undefined {
    if (address < 0x80000000n && this.space.check(Number(address), Math.max(size, 1), false) !== 0) {
      return this.space.u8.slice(Number(address), Number(address) + size);
    }
    return this.rest.read(address, size);
  }
}
