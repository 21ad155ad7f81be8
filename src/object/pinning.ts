/**
 * @fileoverview Where a map is pinned in bpffs, from its `pinning` attribute: libbpf's
 * LIBBPF_PIN_BY_NAME, iproute2's PIN_OBJECT_NS and PIN_GLOBAL_NS, Cilium's
 * CILIUM_PIN_REPLACE. One row per value; the kernel engine acts on the plan.
 */

import { BpfError, NotSupportedError } from "../errors.js";
import type { MapSpec } from "./types.js";

/** libbpf's default pin root (`pin_root_path` of bpf_object_open_opts). */
export const DEFAULT_PIN_ROOT = "/sys/fs/bpf";

/** LIBBPF_PIN_BY_NAME: `<root>/<name>`. */
export const LIBBPF_PIN_BY_NAME = 1;
/** iproute2's PIN_OBJECT_NS: `<root>/tc/<sha1 of the object>/<name>`. */
export const PIN_OBJECT_NS = 1;
/** iproute2's PIN_GLOBAL_NS: `<root>/tc/globals/<name>`. */
export const PIN_GLOBAL_NS = 2;
/** Cilium's CILIUM_PIN_REPLACE (1 << 4): never reuse; replace the pin once loaded. */
export const CILIUM_PIN_REPLACE = 1 << 4;

/** tc's directory for globally pinned maps, under the bpffs mount (iproute2's BPF_DIR_GLOBALS under "tc"). */
export const TC_GLOBALS = "tc/globals";

/**
 * - "reuse": open the pinned map if there is one and it is compatible (an error if not),
 *   else create the map and pin it there (libbpf's bpf_object__reuse_map, iproute2's
 *   bpf_probe_pinned + bpf_place_pinned).
 * - "replace": always create the map; once the whole object is loaded, the pin at `path`
 *   (if any) is replaced by the new map, as Cilium's commitMapPins does after attaching.
 */
export type PinMode = "reuse" | "replace";

/** What the loader does with one map. */
export interface PinPlan {
  readonly mode: PinMode;
  /** The pin's directory and full path. */
  readonly dir: string;
  readonly path: string;
  /** The kernel's or the tool's name of the pinning value. */
  readonly pinning: string;
}

interface PinningRow {
  /** "libbpf" for BTF and bpf_map_def maps, "iproute2" for struct bpf_elf_map ones. */
  readonly scheme: "libbpf" | "iproute2";
  readonly value: number;
  readonly name: string;
  readonly mode: PinMode;
  /** The directory under the pin root; `uid` is iproute2's object id. */
  readonly dir: (root: string, uid: string | undefined) => string | undefined;
}

/**
 * Every pinning value the loader knows. CILIUM_PIN_REPLACE goes where Cilium's agent
 * pins its maps (its pin path is /sys/fs/bpf/tc/globals), in either scheme.
 */
export const PINNINGS: readonly PinningRow[] = [
  { scheme: "libbpf", value: LIBBPF_PIN_BY_NAME, name: "LIBBPF_PIN_BY_NAME", mode: "reuse", dir: (root) => root },
  { scheme: "libbpf", value: CILIUM_PIN_REPLACE, name: "CILIUM_PIN_REPLACE", mode: "replace", dir: (root) => `${root}/${TC_GLOBALS}` },
  { scheme: "iproute2", value: PIN_OBJECT_NS, name: "PIN_OBJECT_NS", mode: "reuse", dir: (root, uid) => (uid ? `${root}/tc/${uid}` : undefined) },
  { scheme: "iproute2", value: PIN_GLOBAL_NS, name: "PIN_GLOBAL_NS", mode: "reuse", dir: (root) => `${root}/${TC_GLOBALS}` },
  { scheme: "iproute2", value: CILIUM_PIN_REPLACE, name: "CILIUM_PIN_REPLACE", mode: "replace", dir: (root) => `${root}/${TC_GLOBALS}` },
];

/** The scheme a map's `pinning` number is read in. */
export const pinningScheme = (m: MapSpec): PinningRow["scheme"] => (m.iproute2 ? "iproute2" : "libbpf");

/** The name of a map's pinning value ("PIN_GLOBAL_NS"), "none", or "pinning N" for one the loader does not know. */
export function pinningName(m: MapSpec): string {
  if (!m.pinning) return "none";
  const scheme = pinningScheme(m);
  return PINNINGS.find((r) => r.scheme === scheme && r.value === m.pinning)?.name ?? `pinning ${m.pinning}`;
}

/** Whether `value` is a pinning the loader knows for maps of `scheme` (0 included). */
export const knownPinning = (scheme: PinningRow["scheme"], value: number): boolean =>
  value === 0 || PINNINGS.some((r) => r.scheme === scheme && r.value === value);

/**
 * Where `m` is pinned under `root` (no trailing slash needed), or undefined for a map
 * that is not pinned. Throws NotSupportedError for values no loader here knows (iproute2's
 * custom pinnings come from /etc/iproute2/bpf_pinning, which tsbpf does not read).
 */
export function pinPlan(m: MapSpec, root: string, objectUid?: string): PinPlan | undefined {
  if (!m.pinning) return undefined;
  const scheme = pinningScheme(m);
  const row = PINNINGS.find((r) => r.scheme === scheme && r.value === m.pinning);
  if (!row) {
    const why = scheme === "iproute2"
      ? "iproute2 reads other values from /etc/iproute2/bpf_pinning, which tsbpf does not"
      : "libbpf knows only LIBBPF_PIN_BY_NAME (1)";
    throw new NotSupportedError(`map ${m.name}: pinning ${m.pinning}`, why);
  }
  // No trailing slash, so that "/sys/fs/bpf/" and "/sys/fs/bpf" give the same paths ("/" gives "").
  const base = root.replace(/\/+$/, "");
  const dir = row.dir(base, objectUid);
  if (dir === undefined) throw new NotSupportedError(`map ${m.name}: PIN_OBJECT_NS`, "the object spec has no objectUid (the SHA-1 of its file)");
  return { mode: row.mode, dir: dir || "/", path: `${dir}/${m.name}`, pinning: row.name };
}

/** A pinned map that cannot stand in for the spec's, or a pin that cannot be made. */
export class PinnedMapError extends BpfError {
  readonly map: string;
  readonly path: string;
  constructor(map: string, path: string, why: string) {
    super("EINVAL", `map ${map}: ${why}`);
    this.map = map;
    this.path = path;
  }
}

/** What libbpf's `map_is_reuse_compat` compares. */
export interface MapShape {
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/**
 * Why a pinned map of shape `have` cannot be reused for one of shape `want`, or
 * undefined when it can: type, key and value size, max_entries and flags must agree.
 */
export function incompatibility(want: MapShape, have: MapShape): string | undefined {
  const diffs: string[] = [];
  if (want.type !== have.type) diffs.push(`type ${have.type} != ${want.type}`);
  if (want.keySize !== have.keySize) diffs.push(`key_size ${have.keySize} != ${want.keySize}`);
  if (want.valueSize !== have.valueSize) diffs.push(`value_size ${have.valueSize} != ${want.valueSize}`);
  if (want.maxEntries !== have.maxEntries) diffs.push(`max_entries ${have.maxEntries} != ${want.maxEntries}`);
  if (want.flags !== have.flags) diffs.push(`map_flags 0x${have.flags.toString(16)} != 0x${want.flags.toString(16)}`);
  return diffs.length ? diffs.join(", ") : undefined;
}
