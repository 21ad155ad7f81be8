/**
 * @fileoverview The XDP redirect maps (devmap, devmap_hash, cpumap, xskmap), whose
 * kernel entries are devices, CPUs' kthreads and AF_XDP sockets. Here an entry is the
 * value userspace wrote (an ifindex, a queue size, a socket id), and bpf_redirect_map
 * records the chosen entry as the run's redirect target, which the caller takes with
 * `takeRedirect` after the run, as the kernel would hand the packet on.
 */

import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";
import { HashMap } from "./hash.js";
import { BPF_EXIST, BPF_NOEXIST, BpfMap, Errno, type UserMapSpec } from "./map.js";

/** Where bpf_redirect_map sent the packet. */
export interface RedirectTarget {
  /** The map's name and type ("devmap", "xskmap"...). */
  readonly map: string;
  readonly mapType: string;
  /** The key the program passed; undefined for a broadcast (BPF_F_BROADCAST). */
  readonly key: number | undefined;
  /** The entry's value bytes, as userspace reads them (ifindex first for devmaps, qsize for cpumap). */
  readonly value: Uint8Array | undefined;
  readonly flags: number;
}

const REDIRECTS = new WeakMap<AddressSpace, RedirectTarget>();

/** Records the redirect target of the current run (bpf_redirect_map). */
export function setRedirect(space: AddressSpace, target: RedirectTarget): void {
  REDIRECTS.set(space, target);
}

/** The redirect target the last run chose, cleared by the call; undefined when it chose none. */
export function takeRedirect(space: AddressSpace): RedirectTarget | undefined {
  const t = REDIRECTS.get(space);
  REDIRECTS.delete(space);
  return t;
}

const u32At = (b: Uint8Array, at = 0): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const keyOf = (i: number): Uint8Array => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24);

/** Interfaces that exist, for devmap checks: the runtime knows lo (1) and whatever a test adds. */
const IFINDEXES = new WeakMap<AddressSpace, Set<number>>();
/** The interface indexes a devmap may name in `space` (default: 1, lo). */
export function interfacesOf(space: AddressSpace): Set<number> {
  let s = IFINDEXES.get(space);
  if (!s) IFINDEXES.set(space, (s = new Set([1])));
  return s;
}

/**
 * An array of optional entries with values in the space (read-only to programs): the
 * shape of devmap, cpumap and xskmap. Each type says how a value is checked and
 * stored, and what deleting does.
 */
abstract class EntryArrayMap extends BpfMap {
  readonly values: Region;
  protected readonly present: Uint8Array;

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.values = space.alloc({ name: this.name || this.typeName, kind: "map", size: Math.max(8, spec.valueSize) * spec.maxEntries, perm: Perm.Read });
    this.present = new Uint8Array(spec.maxEntries);
  }

  protected at(i: number): number { return this.values.base + i * Math.max(8, this.valueSize); }

  protected lookupKey(key: Uint8Array): number {
    const i = u32At(key);
    return i < this.maxEntries && this.present[i] ? this.at(i) : 0;
  }

  /** Checks the value and gives the bytes to store, or an errno; undefined clears the entry. */
  protected abstract admit(i: number, value: Uint8Array, flags: number): Uint8Array | undefined | number;

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const i = u32At(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const r = this.admit(i, value, flags);
    if (typeof r === "number") return r;
    this.space.u8.fill(0, this.at(i), this.at(i) + this.valueSize);
    if (r) this.space.u8.set(r.subarray(0, this.valueSize), this.at(i));
    this.present[i] = r ? 1 : 0;
    return 0;
  }

  /** dev_map_delete_elem, cpu_map_delete_elem, xsk_map_delete_elem: 0 for any index in range. */
  protected deleteKey(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.present[i] = 0;
    return 0;
  }

  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    const i = key ? u32At(key) : this.maxEntries;
    if (i >= this.maxEntries) return keyOf(0);
    if (i === this.maxEntries - 1) return -Errno.ENOENT;
    return keyOf(i + 1);
  }

  /** The entry at `i` as userspace reads it, or undefined. */
  entry(i: number): Uint8Array | undefined {
    return i < this.maxEntries && this.present[i] ? this.readValue(this.at(i)) : undefined;
  }

  protected release(): void {
    this.values.free();
  }
}

/** BPF_MAP_TYPE_DEVMAP: struct bpf_devmap_val { u32 ifindex; u32 prog id } by index; ifindex 0 empties a slot. */
export class DevMap extends EntryArrayMap {
  protected admit(_i: number, value: Uint8Array, flags: number): Uint8Array | undefined | number {
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const ifindex = u32At(value);
    const progFd = value.length >= 8 ? u32At(value, 4) | 0 : 0;
    if (ifindex === 0) return progFd > 0 ? -Errno.EINVAL : undefined;
    if (!interfacesOf(this.space).has(ifindex)) return -Errno.EINVAL;
    // No program runs on the device in the runtime: the stored program id is 0.
    if (progFd > 0) return -Errno.EINVAL;
    const out = new Uint8Array(this.valueSize);
    out.set(value.subarray(0, 4));
    return out;
  }
}

/** BPF_MAP_TYPE_CPUMAP: struct bpf_cpumap_val { u32 qsize; u32 prog id } by CPU; qsize 0 empties a slot. */
export class CpuMap extends EntryArrayMap {
  protected admit(i: number, value: Uint8Array, flags: number): Uint8Array | undefined | number {
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const qsize = u32At(value);
    if (qsize > 16384) return -Errno.EOVERFLOW;
    if (i >= this.cpus) return -Errno.ENODEV;
    if (qsize === 0) return undefined;
    if (value.length >= 8 && (u32At(value, 4) | 0) > 0) return -Errno.EINVAL;
    const out = new Uint8Array(this.valueSize);
    out.set(value.subarray(0, 4));
    return out;
  }
}

/** BPF_MAP_TYPE_XSKMAP: an AF_XDP socket per queue; here a socket id userspace chooses (not 0). */
export class XskMap extends EntryArrayMap {
  protected admit(i: number, value: Uint8Array, flags: number): Uint8Array | undefined | number {
    if (u32At(value) === 0) return -Errno.EBADF;
    if (this.present[i] && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!this.present[i] && flags === BPF_EXIST) return -Errno.ENOENT;
    return value;
  }
  /** A program's lookup would give the socket; userspace lookups are EOPNOTSUPP in the kernel. */
  override get(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    return this.fail(Errno.EOPNOTSUPP, "look up in");
  }
}

/** BPF_MAP_TYPE_DEVMAP_HASH: devmap entries keyed by any u32, in buckets by the key itself. */
export class DevMapHash extends HashMap {
  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec, {
      perCpu: false, lru: false, byIndex: true,
      checkValue: (value) => {
        const ifindex = u32At(value);
        if (ifindex === 0 || !interfacesOf(space).has(ifindex)) return -Errno.EINVAL;
        if (value.length >= 8 && (u32At(value, 4) | 0) > 0) return -Errno.EINVAL;
        // The stored program id is 0: clear it in place (the value is a copy).
        value.fill(0, 4);
        return 0;
      },
    });
  }
}

/** The map types bpf_redirect_map takes. */
export const isRedirectMap = (m: BpfMap): boolean => m instanceof EntryArrayMap || m instanceof DevMapHash;

/** What an entry of a redirect map holds for bpf_redirect_map, or undefined when the key is empty. */
export function redirectEntry(m: BpfMap, key: number): Uint8Array | undefined {
  if (m instanceof EntryArrayMap) return m.entry(key);
  if (m instanceof DevMapHash) return m.get(keyOf(key));
  return undefined;
}
