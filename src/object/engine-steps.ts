/**
 * @fileoverview The steps of loading an object that every engine takes alike, in
 * libbpf's order: refuse programs without a type before making anything, fill
 * map-in-map slots once every map exists, fill prog arrays once programs are loaded.
 */

import { ObjectError } from "./errors.js";
import { checkKconfig } from "./externs.js";
import type { ObjectSpec, ProgramSpec } from "./types.js";

/**
 * The programs an engine loads: autoload ones not skipped. Throws, as libbpf, for one
 * without a type, and for a kconfig extern without a value.
 */
export function programsToLoad(spec: ObjectSpec, skip: readonly string[] = []): ProgramSpec[] {
  for (const m of spec.maps) checkKconfig(m);
  const load = spec.programs.filter((p) => p.autoload && !skip.includes(p.name));
  for (const p of load) {
    if (p.loadError !== undefined) throw new ObjectError(p.loadError);
    if (p.type === "unspec") {
      throw new ObjectError(`missing BPF prog type, check ELF section name '${p.sectionName}'`, { program: p.name, section: p.sectionName });
    }
  }
  return load;
}

/** A live map, as far as filling its slots goes. */
interface Slotted {
  set(key: Uint8Array, value: Uint8Array, flags?: "any"): void;
}

/**
 * Writes the map-in-map (`kind` "map") or prog-array (`kind` "program") initial values of
 * every map: the slot holds what `ref` gives for the named map or program (an fd in the
 * kernel, an id in the runtime), as a u32 in `littleEndian` byte order.
 */
export function fillSlots<T>(
  spec: ObjectSpec,
  maps: ReadonlyMap<string, Slotted>,
  kind: "map" | "program",
  lookup: ReadonlyMap<string, T>,
  ref: (target: T) => number,
  littleEndian = true,
): void {
  for (const m of spec.maps) {
    for (const e of m.contents ?? []) {
      const name = kind === "map" ? e.map : e.program;
      if (name === undefined) continue;
      const target = lookup.get(name);
      if (target === undefined) {
        throw new ObjectError(kind === "map"
          ? `map ${m.name}: initial value names map ${name}, which the object does not define`
          : `map ${m.name}: initial value names program ${name}, which was not loaded`);
      }
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, ref(target) >>> 0, littleEndian);
      maps.get(m.name)!.set(e.key, value);
    }
  }
}
