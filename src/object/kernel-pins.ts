/**
 * @fileoverview Map pins in bpffs for the kernel engine: reuse a compatible pinned map
 * (libbpf's bpf_object__reuse_map), pin a new one, and replace CILIUM_PIN_REPLACE pins
 * once the object has loaded (Cilium's commitMapPins). Node on Linux only.
 */

import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { BpfError } from "../errors.js";
import { KernelMap } from "../kernel/map.js";
import type { LoadObjectOptions, PinnedMap } from "./load.js";
import { DEFAULT_PIN_ROOT, PinnedMapError, incompatibility, pinPlan, type MapShape, type PinPlan } from "./pinning.js";
import type { MapSpec, ObjectSpec } from "./types.js";

/** The pin root a load uses: `pinRoot`, else the older `pinPath`, else libbpf's default. */
export function pinRootOf(options: LoadObjectOptions): string | undefined {
  if (options.pinRoot === false) return undefined;
  return options.pinRoot ?? options.pinPath ?? DEFAULT_PIN_ROOT;
}

/** The pins of one load: what was reused or pinned, and the replacements still to make. */
export class PinSession {
  readonly pins: PinnedMap[] = [];
  private readonly pending: { map: KernelMap; plan: PinPlan; name: string }[] = [];

  constructor(
    private readonly spec: ObjectSpec,
    private readonly root: string | undefined,
  ) {}

  /** The plan for `m`, or undefined when it is not pinned (or nothing is, for this load). */
  plan(m: MapSpec): PinPlan | undefined {
    if (this.root === undefined || m.origin === "inner") return undefined;
    return pinPlan(m, this.root, this.spec.objectUid);
  }

  /** The pinned map to use instead of creating `m`, if there is a compatible one; throws for an incompatible one. */
  reuse(m: MapSpec, plan: PinPlan, want: MapShape): KernelMap | undefined {
    if (plan.mode !== "reuse" || !existsSync(plan.path)) return undefined;
    let pinned: KernelMap;
    try {
      pinned = KernelMap.fromPin(plan.path);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      throw new PinnedMapError(m.name, plan.path, `couldn't reuse pinned map at ${plan.path}: ${e.message}`);
    }
    const why = incompatibility(want, { type: pinned.typeName, keySize: pinned.keySize, valueSize: pinned.valueSize, maxEntries: pinned.maxEntries, flags: pinned.flags });
    if (why) {
      pinned.close();
      throw new PinnedMapError(m.name, plan.path, `couldn't reuse pinned map at ${plan.path}: parameter mismatch (${why}; ${plan.pinning})`);
    }
    this.pins.push({ map: m.name, path: plan.path, mode: plan.mode, action: "reused" });
    return pinned;
  }

  /** A map just created for `m`: pinned now ("reuse"), or once the load has succeeded ("replace"). */
  created(m: MapSpec, plan: PinPlan, map: KernelMap): void {
    if (plan.mode === "replace") {
      this.pending.push({ map, plan, name: m.name });
      return;
    }
    mkdirSync(plan.dir, { recursive: true });
    map.pin(plan.path);
    this.pins.push({ map: m.name, path: plan.path, mode: plan.mode, action: "pinned" });
  }

  /** After a failed load: removes the pins this load made, as libbpf unpins what it pinned (not what it reused). */
  rollback(): void {
    for (const p of this.pins) if (p.action === "pinned") rmSync(p.path, { force: true });
    this.pins.length = 0;
    this.pending.length = 0;
  }

  /**
   * Puts each new CILIUM_PIN_REPLACE map at its path, in place of what was pinned there:
   * pinned beside it, then renamed over it, so the path never names no map.
   */
  commit(): void {
    for (const { map, plan, name } of this.pending) {
      mkdirSync(plan.dir, { recursive: true });
      const had = existsSync(plan.path);
      // bpffs refuses names with a dot (bpf_lookup: EPERM), so the temporary name has none.
      const tmp = `${plan.path}_tsbpf_${process.pid}`;
      rmSync(tmp, { force: true });
      map.pin(tmp);
      try {
        renameSync(tmp, plan.path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw new PinnedMapError(name, plan.path, `couldn't replace the pin at ${plan.path}: ${(e as Error).message}`);
      }
      this.pins.push({ map: name, path: plan.path, mode: plan.mode, action: had ? "replaced" : "pinned" });
    }
    this.pending.length = 0;
  }
}
