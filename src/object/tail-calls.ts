/**
 * @fileoverview Tail calls by name: a program in section `ID/SLOT` (Cilium's
 * `__section_tail(ID, SLOT)`, iproute2's convention) goes in the prog array whose
 * `struct bpf_elf_map` id is ID, at index SLOT, as Cilium's loader fills cilium_calls;
 * one whose function has the BTF decl tag `tail:MAP/SLOT` (newer Cilium's
 * `__declare_tail(SLOT)`) goes in the prog array named MAP.
 */

import type { Btf } from "../btf/index.js";
import { ObjectError } from "./errors.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./types.js";

/** One program in one prog array slot. */
export interface TailCallSlot {
  /** The prog array. */
  readonly map: string;
  readonly slot: number;
  readonly program: string;
  readonly section: string;
}

/**
 * `ID/SLOT` of a section name, or undefined for any other name. ID is decimal; SLOT is
 * read as Go's `%v` reads an integer (Cilium's loader uses fmt.Sscanf "%d/%v"): 0x
 * hexadecimal, 0b binary, 0o or a leading 0 octal, else decimal. Both must fit a u32.
 */
export function parseTailCallSection(name: string): { id: number; slot: number } | undefined {
  const m = /^(\d+)\/(.+)$/.exec(name);
  if (!m) return undefined;
  const id = Number(m[1]);
  const slot = parseSlot(m[2]!);
  if (id > 0xffffffff || slot === undefined) return undefined;
  return { id, slot };
}

/** A slot number as Go's `%v` reads one; undefined for anything else or past a u32. */
function parseSlot(text: string): number | undefined {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]?([0-7]+)|(\d+))$/.exec(text);
  if (!m) return undefined;
  const slot = m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 2) : m[3] !== undefined ? parseInt(m[3], 8) : Number(m[4]);
  return slot > 0xffffffff ? undefined : slot;
}

/** The decl tag newer Cilium's `__declare_tail(SLOT)` puts on a tail call's function. */
const TAIL_TAG = /^tail:([^/]+)\/(.+)$/;

/** Every `tail:MAP/SLOT` decl tag of a BTF, by the name of the function it tags: one pass over the types. */
export function tailCallTags(btf: Btf | undefined): Map<string, { map: string; slot: number }> {
  const out = new Map<string, { map: string; slot: number }>();
  if (!btf) return out;
  for (const t of btf.types) {
    if (t.kind !== "decl_tag" || t.componentIdx !== -1 || !t.name.startsWith("tail:")) continue;
    const m = TAIL_TAG.exec(t.name);
    const slot = m ? parseSlot(m[2]!) : undefined;
    let func;
    try {
      func = btf.type(t.type);
    } catch {
      continue; // a tag of a type the BTF does not have tags nothing
    }
    if (m && slot !== undefined && func.kind === "func" && !out.has(func.name)) out.set(func.name, { map: m[1]!, slot });
  }
  return out;
}

/** Where a program's name says it goes: its `ID/SLOT` section or its `tail:MAP/SLOT` tag. */
function claimOf(spec: ObjectSpec, p: ProgramSpec, tags: Map<string, { map: string; slot: number }>): { map: MapSpec | undefined; slot: number; by: string } | undefined {
  const at = parseTailCallSection(p.sectionName);
  if (at) {
    const map = spec.maps.find((m) => m.iproute2?.id === at.id);
    return { map, slot: at.slot, by: map ? "" : `no map with iproute2 map id ${at.id} for its tail-call slot` };
  }
  const tag = tags.get(p.name);
  if (tag) {
    const map = spec.maps.find((m) => m.name === tag.map);
    return { map, slot: tag.slot, by: map ? "" : `no map ${tag.map} for its tail-call tag` };
  }
  return undefined;
}

/** The slots a spec's tail calls fill, and those that cannot be filled, each with why. */
export interface TailCallPlan {
  readonly slots: TailCallSlot[];
  readonly errors: ObjectError[];
}

/**
 * Every `ID/SLOT` or `tail:MAP/SLOT` program of the spec and the slot it fills, checked
 * as Cilium's loader checks them: the map (by iproute2 id, or by name) must exist and be
 * a prog_array, the slot must be inside it, and no two programs may claim one slot (the
 * first keeps it). What fails a check is in `errors`, not in `slots`.
 */
export function planTailCalls(spec: ObjectSpec): TailCallPlan {
  const slots: TailCallSlot[] = [];
  const errors: ObjectError[] = [];
  const taken = new Map<string, string>();
  const tags = tailCallTags(spec.btf);
  for (const p of spec.programs) {
    const at = claimOf(spec, p, tags);
    if (!at) continue;
    const fail = (why: string) => errors.push(new ObjectError(why, { program: p.name, section: p.sectionName }));
    const map = at.map;
    if (!map) { fail(at.by); continue; }
    if (map.type !== "prog_array") { fail(`tail-call slot in map ${map.name}, which is a ${map.type}, not a prog_array`); continue; }
    if (at.slot >= map.maxEntries) { fail(`tail-call slot ${at.slot} is past the end of ${map.name} (max_entries ${map.maxEntries})`); continue; }
    const key = `${map.name}[${at.slot}]`;
    const other = taken.get(key);
    if (other) { fail(`duplicate tail call: ${key} is claimed by ${other} too`); continue; }
    taken.set(key, p.name);
    slots.push({ map: map.name, slot: at.slot, program: p.name, section: p.sectionName });
  }
  return { slots, errors };
}

/** The slots of `planTailCalls`, or its first error, thrown, as Cilium's loader refuses such an object. */
export function tailCallSlots(spec: ObjectSpec): TailCallSlot[] {
  const plan = planTailCalls(spec);
  if (plan.errors.length) throw plan.errors[0]!;
  return plan.slots;
}

/** A live map, as far as filling its slots goes. */
interface Slotted {
  set(key: Uint8Array, value: Uint8Array, flags?: "any"): void;
}

/**
 * Writes each slot whose program was loaded (`ref` gives its fd, or its id in the
 * runtime) as a u32 in `littleEndian` order; returns the slots written. Slots of
 * programs not loaded (skipped, autoload false) stay empty, as they would in the kernel.
 */
export function fillTailCalls<T>(
  slots: readonly TailCallSlot[],
  maps: ReadonlyMap<string, Slotted>,
  programs: ReadonlyMap<string, T>,
  ref: (program: T) => number,
  littleEndian = true,
): TailCallSlot[] {
  const filled: TailCallSlot[] = [];
  for (const s of slots) {
    const program = programs.get(s.program);
    const map = maps.get(s.map);
    if (program === undefined || !map) continue;
    const key = new Uint8Array(4);
    const value = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, s.slot, littleEndian);
    new DataView(value.buffer).setUint32(0, ref(program) >>> 0, littleEndian);
    map.set(key, value);
    filled.push(s);
  }
  return filled;
}

/**
 * The programs a prog array of the spec will hold once loaded: those of `ID/SLOT`
 * sections and those a BTF prog_array's `.values` names. A tool that loads one program
 * for a run keeps these too, so its tail calls land where they would in a full load.
 */
export function tailCallTargets(spec: ObjectSpec): Set<string> {
  const out = new Set<string>();
  const tags = tailCallTags(spec.btf);
  for (const p of spec.programs) if (parseTailCallSection(p.sectionName) || tags.has(p.name)) out.add(p.name);
  for (const m of spec.maps) for (const e of m.contents ?? []) if (e.program !== undefined) out.add(e.program);
  return out;
}

/** The plan a load follows for `options.tailCalls`: nothing for false; for "strict", throws the first error. */
export function tailCallPlan(spec: ObjectSpec, options: { tailCalls?: boolean | "strict" }): { slots: TailCallSlot[]; errors: string[] } {
  if (options.tailCalls === false) return { slots: [], errors: [] };
  if (options.tailCalls === "strict") return { slots: tailCallSlots(spec), errors: [] };
  const plan = planTailCalls(spec);
  return { slots: plan.slots, errors: plan.errors.map((e) => e.message) };
}
