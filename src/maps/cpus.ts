/**
 * @fileoverview The CPUs a runtime pretends to have: how many (which sizes every per-CPU
 * value, fixed when a map is made) and which one the current run is on (which slot a
 * program's per-CPU lookup returns, and which local LRU list it uses). One setting per
 * address space, so every map and helper of a runtime agrees.
 */

import { BpfError } from "../errors.js";
import type { AddressSpace } from "../runtime/address-space.js";

/** The CPUs of one address space. */
export interface CpuModel {
  /** Possible CPUs: per-CPU maps keep this many values. */
  readonly cpus: number;
  /** The CPU the current run is on, 0 to cpus - 1 (bpf_get_smp_processor_id). */
  readonly current: number;
}

const MODELS = new WeakMap<AddressSpace, { cpus: number; current: number }>();
let defaultCpus = 1;

/**
 * The CPU count of spaces that `setCpus` has not set (1 to begin with): for code that
 * makes its runtime itself, loadObject's "interp" engine say.
 */
export function setDefaultCpus(cpus: number): void {
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new BpfError("EINVAL", `cpus: ${cpus} is not a CPU count (1 to 4096)`);
  defaultCpus = cpus;
}

/** The CPUs of `space`: the default count (see setDefaultCpus), CPU 0 current, until `setCpus` says otherwise. */
export function cpusOf(space: AddressSpace): CpuModel {
  let m = MODELS.get(space);
  if (!m) MODELS.set(space, (m = { cpus: defaultCpus, current: 0 }));
  return m;
}

/**
 * Sets the CPU count (before the maps are made: a map keeps the count it was made with)
 * and the current CPU (at any time, between runs).
 */
export function setCpus(space: AddressSpace, o: { cpus?: number; current?: number }): CpuModel {
  const m = cpusOf(space) as { cpus: number; current: number };
  const cpus = o.cpus ?? m.cpus;
  const current = o.current ?? m.current;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new BpfError("EINVAL", `cpus: ${cpus} is not a CPU count (1 to 4096)`);
  if (!Number.isInteger(current) || current < 0 || current >= cpus) throw new BpfError("EINVAL", `cpus: CPU ${current} does not exist (there are ${cpus})`);
  m.cpus = cpus;
  m.current = current;
  return m;
}
