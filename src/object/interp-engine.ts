/**
 * @fileoverview The "interp" engine of `loadObject`: the whole object in one userspace
 * Runtime. Every map of the spec becomes a BpfMap in the runtime's address space (global
 * data with its initial bytes, .rodata frozen, map-in-map and prog_array slots filled by
 * name), each program's 64-bit loads are resolved at compile time through `resolveLoad`
 * (a map reference to the map's handle, a global data reference to its value's address
 * plus the offset), and programs run with the runtime's semantics. Pins do not apply:
 * the runtime has no bpffs, so every map is new. No Node imports.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import { LDDW, slotsOf } from "../isa/instruction.js";
import { ArrayMap, programArrays } from "../maps/array.js";
import { createMap } from "../maps/create.js";
import { runtimeMapSpec } from "../maps/spec.js";
import type { Btf } from "../btf/types.js";
import { cpusOf } from "../maps/cpus.js";
import type { BpfMap } from "../maps/map.js";
import { installHelpers, onTrace, traceOf } from "../helpers/table.js";
import { HelperRegistry } from "../runtime/helpers.js";
import { Runtime, type RuntimeEngine, type RuntimeProgram } from "../runtime/runtime.js";
import { ObjectError } from "./errors.js";
import { fillSlots, programsToLoad } from "./engine-steps.js";
import { fillTailCalls, tailCallPlan, type TailCallSlot } from "./tail-calls.js";
import { verifyFirst } from "./verify-first.js";
import type { BpfObject, LoadObjectOptions, ObjectEngine } from "./load.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./types.js";

/** An object in the interpreter: its runtime, and what bpf_trace_printk printed. */
export interface InterpObject extends BpfObject<RuntimeProgram, BpfMap> {
  readonly runtime: Runtime;
  /** bpf_trace_printk's lines, oldest first (the array is live: clear it freely). */
  readonly trace: string[];
  /** Calls `fn` with each line bpf_trace_printk prints. */
  onTrace(fn: ((line: string) => void) | undefined): void;
}

export const INTERP_ENGINE: ObjectEngine<RuntimeProgram, BpfMap> & { load(spec: ObjectSpec, options: LoadObjectOptions): InterpObject } = {
  name: "interp",
  load: loadIntoRuntime,
};


/** Loads the object into one Runtime whose programs run on `engine` (the JIT engine shares this). */
export function loadIntoRuntime(spec: ObjectSpec, options: LoadObjectOptions, engine: RuntimeEngine = "interp"): InterpObject {
  if (!spec.littleEndian) throw new NotSupportedError("running a big-endian object in the interpreter", "the runtime is little-endian");
  const runtime = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const space = runtime.space;
  const maps = new Map<string, BpfMap>();
  const programs = new Map<string, RuntimeProgram>();
  // Program ids stand in for fds in prog_array slots.
  const byId: RuntimeProgram[] = [];
  const close = () => {
    for (const m of maps.values()) m.close();
    maps.clear();
    programs.clear();
  };
  const toLoad = programsToLoad(spec, options.skip);
  const plan = tailCallPlan(spec, options);
  let tailCalls: TailCallSlot[] = [];
  const warnings: string[] = [];
  try {
    for (const m of spec.maps) maps.set(m.name, makeMap(space, m, (id) => byId[id - 1], spec.btf));
    for (const m of spec.maps) {
      for (const e of m.contents ?? []) {
        if (e.value) maps.get(m.name)!.set(e.key, e.value);
      }
    }
    // Map ids and program ids stand in for the kernel's fds in slots.
    fillSlots(spec, maps, "map", maps, (target) => target.id);
    for (const m of spec.maps) if (m.freeze) maps.get(m.name)!.freeze();
    // Verify first, unless the caller chose otherwise (verify-first.ts).
    const verified = options.verify !== false && options.mode === undefined ? verifyFirst(spec, toLoad) : undefined;
    if (verified) warnings.push(...verified.warnings);
    for (const p of toLoad) {
      const loaded = runtime.load(p.instructions, {
        type: p.type,
        name: p.name,
        engine,
        mode: options.mode ?? verified?.runs.get(p.name)?.mode ?? "checked",
        ...(verified?.runs.get(p.name)?.stackDepths ? { stackDepths: verified.runs.get(p.name)!.stackDepths! } : {}),
        ...(verified?.runs.get(p.name)?.packetLoads ? { packetLoads: verified.runs.get(p.name)!.packetLoads! } : {}),
        ...(options.budget !== undefined ? { budget: options.budget } : {}),
        resolveLoad: resolver(p, maps),
      });
      programs.set(p.name, loaded);
      byId.push(loaded);
    }
    fillSlots(spec, maps, "program", programs, (prog) => byId.indexOf(prog) + 1);
    tailCalls = fillTailCalls(plan.slots, maps, programs, (prog) => byId.indexOf(prog) + 1);
  } catch (e) {
    close();
    throw e;
  }
  runtime.programArray = programArrays(space);
  return {
    programs, maps, close, runtime, tailCalls, tailCallErrors: plan.errors,
    ...(warnings.length ? { warnings } : {}),
    get trace() { return traceOf(space); },
    onTrace: (fn) => onTrace(space, fn),
  };
}

function makeMap(space: Runtime["space"], m: MapSpec, programs: (id: number) => RuntimeProgram | undefined, btf?: Btf): BpfMap {
  if (/^type \d+$/.test(m.type)) throw new NotSupportedError(`map type ${m.type} in the userspace runtime (map ${m.name})`);
  if (m.type === "unspec") throw new ObjectError(`map ${m.name}: no map type (unspec)`);
  try {
    // As libbpf: a perf_event_array declared without max_entries gets one slot per possible CPU.
    const maxEntries = m.maxEntries === 0 && m.type === "perf_event_array" ? cpusOf(space).cpus : m.maxEntries;
    // The value's BTF gives its bpf_spin_lock and bpf_timer offsets (BPF_F_LOCK, timers), as in the kernel.
    return createMap(space, runtimeMapSpec({ ...m, maxEntries }, btf), { programs });
  } catch (e) {
    if (e instanceof BpfError && !(e instanceof NotSupportedError) && !e.message.includes(m.name)) throw new ObjectError(`map ${m.name}: ${e.message}`);
    throw e;
  }
}

/** The values of a program's map and data loads, by slot, for the compiler's `resolveLoad`. */
function resolver(p: ProgramSpec, maps: Map<string, BpfMap>): (insn: unknown, slot: number) => number | undefined {
  const slotOf: number[] = [];
  let slot = 0;
  for (const i of p.instructions) { slotOf.push(slot); slot += slotsOf(i); }
  const values = new Map<number, number>();
  for (const r of p.references) {
    if (r.kind !== "map" && r.kind !== "data" && r.kind !== "kconfig") continue;
    const name = r.kind === "kconfig" ? r.map ?? "" : r.name;
    const map = maps.get(name);
    const ins = p.instructions[r.insnIndex];
    if (!map) throw new ObjectError(`insn ${r.insnIndex}: relocation against unknown map ${name}`, { program: p.name });
    if (!ins || ins.opcode !== LDDW) throw new ObjectError(`insn ${r.insnIndex}: ${r.kind} reference to ${name} is not on a 64-bit load`, { program: p.name });
    if (r.kind === "map") {
      values.set(slotOf[r.insnIndex]!, map.handle);
    } else {
      if (!(map instanceof ArrayMap)) throw new ObjectError(`insn ${r.insnIndex}: ${name} is not an array, so it has no value address`, { program: p.name });
      values.set(slotOf[r.insnIndex]!, map.valueAddress(0) + (r.offset ?? 0));
    }
  }
  return (_insn, s) => values.get(s);
}
