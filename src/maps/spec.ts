/**
 * @fileoverview From an object's map description to what `createMap` takes: the shape,
 * map_extra (a bloom filter's hash count), and the value's bpf_spin_lock and bpf_timer
 * offsets found through BTF, as the kernel finds them when the map is created with BTF.
 */

import type { Btf } from "../btf/types.js";
import { valueFields } from "./dump.js";
import type { UserMapSpec } from "./map.js";

/** The parts of an object's MapSpec a runtime map needs. */
export interface ObjectMapShape {
  readonly name: string;
  readonly type: string | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly mapExtra?: bigint;
  /** The value's BTF type id in `btf`. */
  readonly valueType?: number;
}

/** The UserMapSpec of an object's map, with the special fields of its value when BTF describes it. */
export function runtimeMapSpec(m: ObjectMapShape, btf?: Btf): UserMapSpec {
  const fields = btf && m.valueType ? valueFields(btf, m.valueType) : {};
  return {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, name: m.name,
    ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    ...(fields.spinLockOffset !== undefined ? { spinLockOffset: fields.spinLockOffset } : {}),
    ...(fields.timerOffset !== undefined ? { timerOffset: fields.timerOffset } : {}),
  };
}
